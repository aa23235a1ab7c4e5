"""Every figure draws from a small run and a small sweep; what a heatmap shows is the table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim import plots
from sim.config import REPO_ROOT
from tests.shared_builds import built_once


def sim(*args: str) -> subprocess.CompletedProcess:
    """Run `python -m sim ...` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=REPO_ROOT, capture_output=True, text=True
    )


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two small runs (same seed: paired) and a small grid sweep, made once per session and
    shared by the test files that import this fixture (tests/shared_builds.py)."""
    root = built_once(tmp_path_factory, "plot-results", make_results)
    return {
        "baseline": next((root / "runs" / "baseline").iterdir()),
        "favorable": next((root / "runs" / "war_favorable_russia").iterdir()),
        "sweep": next((root / "sweeps" / "escalation_threshold").iterdir()),
    }


def make_results(root: Path) -> None:
    """The results behind `results`, written under root (in-process: the plot and compare
    tests that read them run their own commands as subprocesses)."""
    from sim.cli import main

    for scenario in ("baseline", "war_favorable_russia"):
        assert main(["run", f"scenario={scenario}", "run.replicates=30", "run.months=36",
                     f"run.output_root={root}", "run.figures=false"]) == 0  # fmt: skip
    sweep = ["sweep", "experiment=escalation_threshold", "replicates=12", "months=36",
             "factors.kazakhstan.multivector.levels=4", "scenarios=[baseline,war_favorable_russia]",
             "executor=serial", "analysis.bootstrap=20", "progress=false"]  # fmt: skip
    assert main([*sweep, f"output_root={root}"]) == 0


def _texts(fig: Figure) -> list[str]:
    texts = [fig._suptitle.get_text() if fig._suptitle else ""]
    for sub in fig.subfigs:
        texts += _texts(sub)
    return texts + [ax.get_title() for ax in fig.axes] + [ax.get_title("left") for ax in fig.axes]


def _check_labelled(figures: dict[str, Figure], runs: str) -> None:
    """A title naming the runs, and labels on every visible data axis (not colour bars)."""
    for name, fig in figures.items():
        assert any(runs in t for t in _texts(fig)), name
        data_axes = [a for a in fig.axes if a.get_visible() and a.has_data()]
        assert data_axes, name
        assert any(a.get_xlabel() for a in data_axes), name
        assert any(a.get_ylabel() for a in data_axes), name


def test_every_run_figure_draws_with_titles_and_labels(results) -> None:
    d = results["baseline"]
    figures = plots.run_figure_set(
        pd.read_parquet(d / "summary.parquet"),
        pd.read_parquet(d / "trajectories.parquet"),
        pd.read_parquet(d / "events.parquet"),
        "baseline",
        36,
    )
    expected = {"rung_cumulative", "halts_per_year", "rung_shares", "fan_kazakhstan"}
    assert expected | {"fan_partners", "event_timeline"} == set(figures)
    _check_labelled(figures, "30 runs")


def test_every_sweep_figure_draws_with_titles_and_labels(results) -> None:
    sweep = plots.load_sweep(results["sweep"])
    figures = plots.sweep_figure_set(sweep)
    assert {
        "heatmap_months",
        "probability_multivector",
        "thresholds_multivector",
        "time_to_rung",
    } <= set(figures)
    _check_labelled(figures, f"{sweep.runs:,} runs")


def test_heatmap_shows_the_probabilities_table(results) -> None:
    """The month-by-factor heatmap, read at the table's months, equals probabilities.parquet."""
    sweep = plots.load_sweep(results["sweep"])
    frames, _, _ = plots.heatmap_data(sweep)
    frame = frames["heatmap_months"]
    probs = sweep.tables["probabilities"]
    factor = "kazakhstan.multivector"
    for (_, _), panel in frame.groupby(["row", "col"]):
        x, y, z = plots.heatmap_matrix(panel)
        scenario, rung = panel["name"].iloc[0].split(": rung ")
        rung = int(rung.rstrip("+"))
        for month in probs["month"].unique():
            want = probs[
                (probs["scenario"] == scenario)
                & (probs["rung"] == rung)
                & (probs["month"] == month)
            ].sort_values(factor)
            np.testing.assert_allclose(want[factor], x)
            np.testing.assert_allclose(z[list(y).index(month)], want["probability"])
    assert not np.isnan(frame["probability"]).any()  # no holes where no run escalated


def test_two_factor_heatmap_is_the_table_at_the_last_month() -> None:
    """With two numeric factors the matrix is the probabilities table, pivoted."""
    grid = pd.MultiIndex.from_product([[0.1, 0.5, 0.9], [0.0, 2.0]], names=["a.x", "b.y"])
    design = grid.to_frame(index=False).assign(scenario="s")
    design.insert(0, "design_point", range(len(design)))
    rng = np.random.default_rng(1)
    probs = design.assign(rung=3, month=24, runs=10, probability=rng.random(len(design)))
    sweep = plots.Sweep(
        "demo",
        60,
        10,
        24,
        design,
        ["a.x", "b.y"],
        ["a.x", "b.y"],
        {"probabilities": probs},
        [],
        0.5,
    )
    frames, xlabel, ylabel = plots.heatmap_data(sweep)
    x, y, z = plots.heatmap_matrix(frames["heatmap_rung3"])
    want = probs.pivot(index="b.y", columns="a.x", values="probability")
    np.testing.assert_allclose(z, want.to_numpy())
    assert xlabel.startswith("a.x") and ylabel.startswith("b.y")


def test_representative_runs_are_distinct_and_explained(results) -> None:
    summary = pd.read_parquet(results["baseline"] / "summary.parquet")
    chosen = plots.representative_runs(summary)
    assert 1 <= len(chosen) <= 3 and set(chosen) <= set(summary["run_id"])
    assert next(iter(chosen.values())).startswith("typical")


def test_save_figure_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    magic = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF", "svg": b"<?xml"}
    for kind, start in magic.items():
        assert plots.save_figure(fig, tmp_path / f"f.{kind}").read_bytes().startswith(start)
    with pytest.raises(ValueError, match="unknown figure format"):
        plots.save_figure(fig, tmp_path / "f.jpg")
