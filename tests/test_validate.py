"""`python -m sim validate`: the statistics, the measures, the command line, and the verdicts.

The verdict tests run `validate quick=true` once, in a subprocess as a user would. Each claim
must not fail, and every claim decided at quick size must pass. A claim the current model
fails goes into KNOWN_FAILURES with the reason, which marks its test xfail(strict=True): the
test documents the failure and turns red when the model is fixed, so the entry is removed.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import HANG_GUARD

from sim.commands import validate as cmd
from sim.config import REPO_ROOT
from sim.studies import validation as V

#: claim id -> why the current model fails it (empty: every claim passes or is undecided).
KNOWN_FAILURES: dict[str, str] = {}


# --- the quick run ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("validation")
    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", "quick=true", f"output_root={root}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode in (0, 1), done.stderr
    (directory,) = (root / "validation").iterdir()
    return directory


@pytest.fixture(scope="module")
def table(quick_run: Path) -> pd.DataFrame:
    return pd.read_csv(quick_run / "claims.csv")


def test_writes_every_output(quick_run: Path) -> None:
    for name in ("validation.md", "claims.parquet", "claims.csv", "manifest.json"):
        assert (quick_run / name).stat().st_size > 0, name
    figures = sorted(p.name for p in (quick_run / "figures").glob("*.png"))
    assert figures == ["facts_2022.png", "forest.png", "levels.png"]
    manifest = json.loads((quick_run / "manifest.json").read_text())
    assert manifest["quick"] is True and manifest["replicates"] == cmd.QUICK_REPLICATES
    assert set(manifest["batches"]) == {b.name for b in V.BATCHES}
    assert not list(quick_run.parent.glob(".*partial")), "a staging directory was left behind"


def test_table_has_one_row_per_claim(table: pd.DataFrame, quick_run: Path) -> None:
    assert table["id"].tolist() == [c.id for c in V.CLAIMS]
    # runs draw from the shipped posterior: each claim also has its range over the parameters
    assert list(table.columns) == [*V.COLUMNS, "param_lower", "param_upper"]
    assert (table["param_lower"] <= table["value"] + 1e-12).all()
    assert (
        pd.read_parquet(quick_run / "claims.parquet")["verdict"].tolist()
        == table["verdict"].tolist()
    )
    assert (table["lower"] <= table["value"] + 1e-12).all()
    assert (table["value"] <= table["upper"] + 1e-12).all()


def _claim_param(claim: V.Claim) -> object:
    reason = KNOWN_FAILURES.get(claim.id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(claim.id, id=claim.id, marks=marks)


@pytest.mark.parametrize("claim_id", [_claim_param(c) for c in V.CLAIMS])
def test_claim_does_not_fail(table: pd.DataFrame, claim_id: str) -> None:
    row = table.set_index("id").loc[claim_id]
    assert row["verdict"] != "fail", f"{claim_id} fails: {row.to_dict()}"
    assert row["verdict"] in ("pass", "undecided")


# --- interval statistics ---------------------------------------------------------------------
def test_paired_difference_reduces_to_square_and_add_without_correlation() -> None:
    # a*d == b*c: no correlation, so method 10 is Newcombe's unpaired hybrid score interval.
    x = np.array([1] * 20 + [1] * 20 + [0] * 30 + [0] * 30, dtype=bool)
    y = np.array([1] * 20 + [0] * 20 + [1] * 30 + [0] * 30, dtype=bool)
    est = V.paired_proportion_difference(x, y)
    from sim.analysis.stats import wilson_interval

    l1, u1 = wilson_interval(40, 100)
    l2, u2 = wilson_interval(50, 100)
    assert est.value == pytest.approx(-0.1)
    assert est.lower == pytest.approx(-0.1 - np.hypot(0.4 - l1, u2 - 0.5))
    assert est.upper == pytest.approx(-0.1 + np.hypot(u1 - 0.4, 0.5 - l2))


def test_paired_difference_narrows_when_pairs_agree() -> None:
    rng = np.random.default_rng(1)
    y = rng.random(2000) < 0.3
    x = y | (rng.random(2000) < 0.05)  # mostly the same runs, a few more hits
    paired = V.paired_proportion_difference(x, y)
    unpaired = V.paired_proportion_difference(x, rng.permutation(y))
    assert paired.lower > 0
    assert paired.upper - paired.lower < 0.5 * (unpaired.upper - unpaired.lower)


def test_paired_difference_covers_the_truth() -> None:
    rng = np.random.default_rng(7)
    truth, covered = _true_difference(), 0
    for _ in range(1000):
        base = rng.random(300)
        y, x = base < 0.2, (base + 0.3 * rng.random(300)) < 0.25  # correlated pairs
        est = V.paired_proportion_difference(x, y)
        covered += est.lower <= truth <= est.upper
    assert 0.93 <= covered / 1000 <= 0.985


def _true_difference() -> float:
    # P(u + 0.3 v < 0.25) for u, v ~ U(0, 1), minus P(u < 0.2) = 0.2.
    grid = (np.arange(4000) + 0.5) / 4000
    p = np.mean(np.clip((0.25 - 0.3 * grid), 0, 1))
    return float(p - 0.2)


def test_bootstrap_is_reproducible_and_covers_the_mean() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(1.0, 1.0, 500), rng.normal(0.0, 1.0, 500)
    first = V.paired_bootstrap_difference(x, y, seed=11)
    assert first == V.paired_bootstrap_difference(x, y, seed=11)
    assert first.lower < first.value < first.upper
    normal = V.paired_mean_difference(x, y)
    assert first.lower == pytest.approx(normal.lower, abs=0.03)


@pytest.mark.parametrize(
    ("criterion", "interval", "verdict"),
    [
        (V.Criterion("within", 1.0, 2.0), (1.2, 1.8), "pass"),
        (V.Criterion("within", 1.0, 2.0), (0.9, 1.1), "undecided"),
        (V.Criterion("within", 1.0, 2.0), (2.1, 2.5), "fail"),
        (V.Criterion("at_least", 0.99), (0.995, 1.0), "pass"),
        (V.Criterion("at_least", 0.99), (0.98, 1.0), "undecided"),
        (V.Criterion("at_least", 0.99), (0.9, 0.98), "fail"),
        (V.Criterion("below", None, 0.01), (0.0, 0.004), "pass"),
        (V.Criterion("below", None, 0.01), (0.0, 0.01), "undecided"),
        (V.Criterion("below", None, 0.01), (0.01, 0.02), "fail"),
        (V.Criterion("positive"), (0.01, 0.2), "pass"),
        (V.Criterion("positive"), (-0.01, 0.2), "undecided"),
        (V.Criterion("positive"), (0.0, 0.0), "fail"),
        (V.Criterion("negative"), (-0.2, -0.01), "pass"),
        (V.Criterion("negative"), (-0.2, 0.01), "undecided"),
        (V.Criterion("negative"), (0.0, 0.3), "fail"),
    ],
)
def test_verdicts(criterion: V.Criterion, interval: tuple[float, float], verdict: str) -> None:
    lower, upper = interval
    estimate = V.Estimate((lower + upper) / 2, lower, upper, 100)
    assert criterion.verdict(estimate) == verdict


def test_separation_needs_disjoint_intervals() -> None:
    crit = V.Criterion("separate")
    assert crit.verdict(V.Estimate(0.04, 0.03, 0.05, 1000, extra={"gap": 0.02})) == "pass"
    assert crit.verdict(V.Estimate(0.04, 0.03, 0.05, 1000, extra={"gap": -0.01})) == "undecided"


# --- measures on tables ------------------------------------------------------------------------
def _trajectories(values: dict[str, list[list[float]]]) -> pd.DataFrame:
    """A trajectory table from {variable: [[run 0 months...], [run 1 months...]]}."""
    first = next(iter(values.values()))
    runs, months = len(first), len(first[0])
    table = {
        "run_id": np.repeat(np.arange(runs), months),
        "month": np.tile(np.arange(months), runs),
    }
    table |= {k: np.ravel(v) for k, v in values.items()}
    return pd.DataFrame(table)


def test_corridor_total_adds_january_and_february_at_the_2021_rate() -> None:
    traj = _trajectories({"corridor_cargo": [[12.0] * 12, [6.0] * 12]})
    totals = V.corridor_total_2022(traj, corridor_2021=0.6)
    assert totals == pytest.approx([10 * 1.0 + 0.1, 10 * 0.5 + 0.1])


def test_trade_growth_counts_eight_months() -> None:
    traj = _trajectories({"trade_kz_ru": [[2.0] * 8, [2.4] * 8]})
    growth = V.trade_growth_jan_aug(traj, kz_ru_2021=2.0)
    assert growth == pytest.approx([0.0, 6 * 0.4 / 16])


def test_halts_started_counts_only_2022_and_keeps_runs_without_halts() -> None:
    events = pd.DataFrame(
        {"run_id": [0, 0, 0, 2], "month": [1, 9, 10, 3], "action": ["pipeline_halt"] * 4}
    )
    assert V.halts_started(events, np.array([0, 1, 2]), 9).tolist() == [2, 0, 1]


def test_halts_after_statements_compares_the_two_months_after_a_refusal() -> None:
    """Run 0: a refusal in month 1, a halt in month 2 (after) and one in month 5 (else):
    rate after = 1/2 (months 2-3), else = 1/4 (months 0, 1, 4, 5). Run 1 never speaks."""
    events = pd.DataFrame(
        {
            "run_id": [0, 0, 0, 1],
            "month": [1, 2, 5, 3],
            "action": ["kazakh_statement", "pipeline_halt", "pipeline_halt", "pipeline_halt"],
        }
    )
    difference = V.halts_after_statements(events, np.array([0, 1]), last_month=5)
    assert difference[0] == pytest.approx(1 / 2 - 1 / 4)
    assert np.isnan(difference[1])


def test_episodes_closed_share_counts_open_ones_as_not_closed() -> None:
    episodes = pd.DataFrame(
        {
            "opened_month": [0, 3, 9, 12],
            "closed_month": pd.array([2, None, 20, 13], dtype="Int16"),
        }
    )
    closed = V.episodes_closed_share(episodes, opened_by=9, closed_by=18)
    assert closed.tolist() == [1.0, 0.0, 0.0]


def test_max_rung_between_reads_the_window() -> None:
    traj = _trajectories({"rung": [[0, 0, 3, 1, 1], [2, 0, 0, 1, 1]]})
    assert V.max_rung_between(traj, 1, 3).tolist() == [3, 1]


def test_restricted_time_censors_at_the_horizon() -> None:
    summary = pd.DataFrame({"month_rung_4": pd.array([5, None, 130], dtype="Int32")})
    assert V.restricted_time(summary, 4, horizon=120).tolist() == [5, 120, 120]


def test_pairing_refuses_batches_with_different_seeds() -> None:
    from sim.model.escalation import EnsembleResult

    def batch(seeds: list[int]) -> V.Batch:
        summary = pd.DataFrame({"run_id": range(len(seeds)), "seed": seeds})
        return V.Batch(V.BATCHES[0], EnsembleResult(summary, None, None), {})

    with pytest.raises(ValueError, match="do not share their seeds"):
        V.paired_summaries(batch([1, 2]), batch([1, 3]))


def test_early_batches_are_the_first_months_of_the_long_runs() -> None:
    # The 2022 facts and the CSTO window are read from 19-month batches; this holds only
    # because a run's first months do not depend on the horizon.
    from sim.config import compose, model_values
    from sim.model.escalation import simulate
    from sim.model.rng import derive_seeds

    values = model_values(compose(["scenario=csto_exit"]))
    seeds = derive_seeds(3, np.arange(40))
    short = simulate(values, seeds=seeds, months=19, events=False).trajectories
    long = simulate(values, seeds=seeds, months=40, events=False).trajectories
    pd.testing.assert_frame_equal(short, long[long["month"] < 19].reset_index(drop=True))


# --- the claims as the batches arrive, on one worker and on two -------------------------------
def _summary_batch(name: str, hits: np.ndarray) -> V.Batch:
    from sim.model.escalation import EnsembleResult

    summary = pd.DataFrame({"run_id": np.arange(hits.size), "hit": hits})
    return V.Batch(V.BatchSpec(name, "baseline"), EnsembleResult(summary, None, None), {})


def _share_claim(claim_id: str, reads: tuple[str, ...]) -> V.Claim:
    def compute(batches: V.Batches) -> V.Estimate:
        hits = np.concatenate([batches[n].result.summary["hit"].to_numpy() for n in reads])
        return V.proportion_interval(hits)

    return V.Claim(claim_id, "level", "", "", "", "", reads, V.Criterion("at_least", 0.5), compute)


def test_each_claim_is_measured_once_its_batches_are_in_whatever_their_order() -> None:
    from sim.studies.claim_table import ClaimTable

    rng = np.random.default_rng(4)
    batches = {n: _summary_batch(n, rng.random(400) < p) for n, p in (("a", 0.3), ("b", 0.7))}
    claims = [_share_claim("A", ("a",)), _share_claim("AB", ("a", "b")), _share_claim("B", ("b",))]
    tables = []
    for order in (["a", "b"], ["b", "a"]):
        claims_table = ClaimTable(claims, spread=True)
        claims_table.add(order[0], batches[order[0]])
        assert list(claims_table.rows) == [order[0].upper()]  # measured on arrival
        claims_table.add(order[1], batches[order[1]])
        tables.append(claims_table.table())
    assert tables[0]["id"].tolist() == ["A", "AB", "B"]
    assert np.isfinite(tables[0]["param_upper"]).all()
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)

    waiting = ClaimTable(claims)
    waiting.add("a", batches["a"])
    with pytest.raises(ValueError, match="claims without their batches: AB, B"):
        waiting.table()
    # A claim sees only the batches it declares: one that reads another fails loudly.
    sneaky = V.Claim("S", "level", "", "", "", "", ("a",), V.Criterion("at_least", 0.5),
                     lambda got: V.proportion_interval(got["b"].result.summary["hit"]))  # fmt: skip
    sees_only_its_own = ClaimTable([sneaky])
    sees_only_its_own.add("b", batches["b"])
    with pytest.raises(KeyError, match="b"):
        sees_only_its_own.add("a", batches["a"])


def test_every_output_is_the_same_on_one_worker_and_on_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole command at a small size: on two workers the batches go out whole, all at
    once and shortest first, and each claim is measured as its batches arrive; the claims
    table (with the parameters' ranges of the shipped posterior), the Parquet, the configs,
    the manifest and the report's numbers are the bits of one worker's."""
    from sim.engine import store

    # The long batches at 24 months instead of 120: a quarter of the cost, the same code.
    short = tuple(dataclasses.replace(b, months=min(b.months, 24)) for b in V.BATCHES)
    monkeypatch.setattr(V, "BATCHES", short)
    directories = []
    for workers in (1, 2):
        root = tmp_path / f"workers{workers}"
        argv = ["replicates=200", "figures=false", f"output_root={root}", f"workers={workers}"]
        assert cmd.main(argv) in (0, 1)
        directories.extend((root / "validation").iterdir())
    one, two = directories
    claims = store.read_table(one / "claims.parquet")
    assert {"param_lower", "param_upper"} <= set(claims.columns) and len(claims) == len(V.CLAIMS)
    pd.testing.assert_frame_equal(
        store.read_table(two / "claims.parquet"), claims, check_exact=True
    )
    assert (two / "claims.csv").read_bytes() == (one / "claims.csv").read_bytes()
    configs = sorted(p.name for p in (one / "configs").iterdir())
    assert configs == sorted(f"{b.name}.yaml" for b in short)
    for name in configs:
        assert (two / "configs" / name).read_bytes() == (one / "configs" / name).read_bytes()

    def manifest(directory: Path) -> dict:
        fields = json.loads((directory / "manifest.json").read_text())
        # the time, the command line and the Parquet's footer (it holds run_dir) differ
        return {k: v for k, v in fields.items()
                if k not in ("created", "seconds", "command", "run_dir", "data_files")}  # fmt: skip

    assert manifest(two) == manifest(one)
    assert list(manifest(two)["batches"]) == [b.name for b in short]

    def report(directory: Path) -> list[str]:
        lines = (directory / "validation.md").read_text().splitlines()
        return [line for line in lines if not line.startswith("Created ")]  # time and seconds

    assert report(two) == report(one)


# --- command line ------------------------------------------------------------------------------
def test_parse_defaults_and_quick() -> None:
    assert cmd.parse_args([]).replicates == cmd.FULL_REPLICATES
    quick = cmd.parse_args(["quick=true", "seed=5"])
    assert (quick.quick, quick.replicates, quick.seed) == (True, cmd.QUICK_REPLICATES, 5)
    assert cmd.parse_args(["quick=true", "replicates=50"]).replicates == 50


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("replicates=abc", "replicates = 'abc' is not allowed"),
        ("replicates=1", "expected an integer in [2,"),
        ("quick=maybe", "expected true or false"),
        ("runs=5", "unknown option 'runs'"),
        ("quick", "expected key=value"),
    ],
)
def test_bad_arguments_are_named(argument: str, message: str) -> None:
    with pytest.raises(cmd.UsageError, match=message.replace("[", r"\[")):
        cmd.parse_args([argument])


def test_usage_error_exits_2_without_output(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cmd.main(["replicates=0", f"output_root={tmp_path}"]) == 2
    assert "replicates = '0' is not allowed" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
