"""Figures of one scenario run: the tidy data functions and the figure functions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image
from matplotlib.colors import to_hex

from sim import plots
from sim.analysis.run_report import format_summary, report_months
from sim.model.escalation import simulate

RUNS, MONTHS = 30, 36


@pytest.fixture(scope="module")
def result():
    return simulate(
        {"war.outcome": "favorable", "war.end_month": 6}, seeds=np.arange(RUNS), months=MONTHS
    )


def test_rung_shares_sum_to_one_each_month(result) -> None:
    shares = plots.rung_shares(result.trajectories)
    assert list(shares.columns) == ["month", "date", "rung", "share"]
    assert len(shares) == MONTHS * 6
    np.testing.assert_allclose(shares.groupby("month")["share"].sum(), 1.0)


def test_cumulative_escalation_never_decreases(result) -> None:
    table = plots.cumulative_escalation(result.summary, MONTHS)
    for _, rows in table.groupby("rung"):
        assert rows.sort_values("month")["probability"].is_monotonic_increasing
    assert (table["lower"] <= table["probability"]).all()
    assert (table["probability"] <= table["upper"] + 1e-12).all()  # rounding at p = 1


def test_fan_quantiles_are_ordered_and_keep_the_panel_order(result) -> None:
    q = plots.fan_quantiles(result.trajectories, plots.PARTNER_VARIABLES)
    assert list(dict.fromkeys(q["variable"])) == list(plots.PARTNER_VARIABLES)
    assert len(q) == MONTHS * len(plots.PARTNER_VARIABLES)
    columns = ["q05", "q25", "q50", "q75", "q95"]
    assert (np.diff(q[columns].to_numpy(), axis=1) >= -1e-9).all()


def test_representative_run_is_the_one_closest_to_the_median() -> None:
    summary = pd.DataFrame(
        {
            "run_id": [10, 11, 12, 13, 14],
            "max_rung": [5, 2, 3, 3, 3],
            "pipeline_halts": [9, 0, 4, 2, 3],
            "final_alignment": [0.1, 0.9, 0.5, 0.5, 0.45],
        }
    )
    run_id, how = plots.representative_run(summary)
    assert run_id == 14  # median rung 3 and halts 3
    assert "median" in how


def test_figures_that_need_trajectories_are_skipped_without_them(result, tmp_path: Path) -> None:
    paths = plots.run_figures(result.summary, None, result.events, "demo", MONTHS, tmp_path)
    assert [p.name for p in paths] == ["rung_cumulative.png", "halts_per_year.png"]
    assert image.imread(paths[0])[..., :3].var() > 0.001


def test_figure_functions_label_axes_and_name_the_run(result) -> None:
    title = "demo, 30 runs"
    figures = [
        plots.rung_share_figure(plots.rung_shares(result.trajectories), title),
        plots.cumulative_rung_figure(plots.cumulative_escalation(result.summary, MONTHS), title),
        plots.fan_chart_figure(plots.fan_quantiles(result.trajectories, ["alignment"]), title),
    ]
    for fig in figures:
        texts = [fig._suptitle.get_text() if fig._suptitle else ""]
        texts += [ax.get_title() for ax in fig.axes]
        assert any(title in t for t in texts)
        for ax in fig.axes:
            if ax.get_visible():
                assert ax.get_xlabel() and ax.get_ylabel()


def test_palette_is_not_the_default_tab10() -> None:
    tab10 = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"}
    assert not tab10 & {to_hex(c) for c in (*plots.RUNG_COLOURS, *plots.OKABE_ITO)}


def test_save_figure_writes_a_png_atomically(result, tmp_path: Path) -> None:
    fig = plots.rung_share_figure(plots.rung_shares(result.trajectories), "t")
    path = plots.save_figure(fig, tmp_path / "sub" / "f.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["f.png"]


def test_printed_summary_reports_months_within_the_horizon(result) -> None:
    assert report_months(36) == [12, 36] and report_months(180) == [12, 36, 120, 180]
    assert report_months(6) == [6]
    text = format_summary(result.summary, "demo", MONTHS, 1, 0.5, Path("results/x"))
    assert "by month 36" in text and "by month 120" not in text and "results/x" in text
