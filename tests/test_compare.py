"""`python -m sim compare`: the table, its intervals, the figures and the refusals."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.stats import newcombe_difference, newcombe_phi, paired_counts
from sim.commands import compare
from sim.commands.compare import PAIRED, UNPAIRED, comparison_table
from tests.test_figures import results, sim  # noqa: F401  (the shared session fixture)
from tests.test_plot_command import check_png, check_report


def test_unpaired_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998a), Table II, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    d, lo, hi = newcombe_difference(56, 70, 48, 80)
    assert round(float(d), 4) == 0.2
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.0524, 0.3339)


def test_paired_interval_is_narrower_when_outcomes_are_correlated() -> None:
    # (a, b, c, d) = (12, 9, 2, 21): positively correlated pairs, difference 7/44.
    x = np.array([1] * 12 + [1] * 9 + [0] * 2 + [0] * 21, bool)
    ref = np.array([1] * 12 + [0] * 9 + [1] * 2 + [0] * 21, bool)
    phi = newcombe_phi(*paired_counts(x, ref))
    assert 0 < phi < 1
    d, lo, hi = newcombe_difference(x.sum(), 44, ref.sum(), 44, phi)
    _, ulo, uhi = newcombe_difference(x.sum(), 44, ref.sum(), 44)
    assert round(float(d), 4) == 0.1591
    assert ulo < lo < d < hi < uhi


def test_same_seeds_are_paired_and_different_seeds_are_not() -> None:
    def summary(seeds, first):
        return pd.DataFrame(
            {"run_id": range(len(seeds)), "seed": seeds, "month_rung_2": first, "max_rung": 2}
        )

    ref = summary([1, 2, 3, 4], [0, None, 5, None])
    same = summary([1, 2, 3, 4], [0, 3, None, None])
    other = summary([9, 8, 7, 6], [0, 3, None, None])
    table = comparison_table({"a": ref, "b": same, "c": other}, [2], [12])
    assert list(table["method"]) == ["", PAIRED, UNPAIRED]
    assert np.isnan(table["difference"].iloc[0])
    assert (table["diff_lower"].iloc[1:] <= table["difference"].iloc[1:]).all()


def test_compare_two_runs(results, tmp_path: Path) -> None:  # noqa: F811
    output = tmp_path / "cmp"
    done = sim("compare", str(results["baseline"]), str(results["favorable"]), f"output={output}")
    assert done.returncode == 0, done.stderr
    assert "paired Newcombe" in done.stdout and str(output) in done.stdout
    table = pd.read_parquet(output / "comparison.parquet")
    assert set(table["scenario"]) == {"baseline", "war_favorable_russia"}
    assert (table["lower"] <= table["probability"]).all()
    # Both runs drew from the posterior: each probability carries the parameters' interval too.
    assert "range over the posterior's parameters" in done.stdout
    assert table[["parameters_lower", "parameters_upper"]].notna().all().all()
    assert (table["parameters_lower"] <= table["probability"]).all()
    assert (table["probability"] <= table["parameters_upper"]).all()
    assert (pd.read_csv(output / "comparison.csv")["hits"] == table["hits"]).all()
    pngs = sorted((output / "figures").glob("*.png"))
    assert {p.stem for p in pngs} == {
        "compare_rung_cumulative",
        "compare_halts_per_year",
        "compare_differences",
        "compare_rung_shares",
        "compare_fans",
    }
    for png in pngs:
        check_png(png)
    check_report(output / "report.html", len(pngs))


def test_compare_refuses_bad_input(results, tmp_path: Path) -> None:  # noqa: F811
    one = str(results["baseline"])
    cases = [
        ([one], "at least two"),
        ([one, str(results["sweep"])], "is a sweep"),
        ([one, str(tmp_path)], "not a results directory"),
        ([one, one, "rungs=[7]"], "rungs=[7] is not allowed"),
        ([one, one, f"output={tmp_path}"], "already exists"),
    ]
    for args, message in cases:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            assert compare.main(args) == 2, args
        assert message in stderr.getvalue(), (args, stderr.getvalue())
    assert list(tmp_path.iterdir()) == []
