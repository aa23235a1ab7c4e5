"""Figures of a comparison of scenario runs on shared axes, and the differences."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.run_report import RUNG_LABELS
from sim.plots.run import stack_rung_shares
from sim.plots.style import (
    UNIT_WORDS,
    VARIABLE_SPECS,
    axis_label,
    date_axis,
    series_style,
    tidy_panels,
)

# --- a comparison of scenario runs ----------------------------------------------------------
COMPARISON_VARIABLES: tuple[str, ...] = (
    "alignment",
    "cpc_share",
    "oil_revenue",
    "defence",
    "nationalism",
    "backing",
)


def _scenario_colour(scenarios: Sequence[str], scenario: str) -> str:
    return series_style(list(scenarios).index(scenario))[0]


def _scenario_line(scenarios: Sequence[str], scenario: str) -> str:
    """The dash pattern that tells apart scenarios beyond the eighth (which reuse colours)."""
    return series_style(list(scenarios).index(scenario))[1]


def difference_limits(table: pd.DataFrame) -> tuple[float, float]:
    """Symmetric x limits around 0 that fit every interval (a fixed -1..1 hid +-0.02)."""
    widest = table[["diff_lower", "diff_upper"]].abs().max().max()  # NaN when there are none
    edge = min(1.02, max(0.02, 1.15 * float(widest))) if pd.notna(widest) else 1.02
    return -edge, edge


def comparison_cumulative_figure(curves: pd.DataFrame, title: str) -> Figure:
    """P(rung k or higher by month) per scenario on shared axes: one panel per rung.

    Args:
        curves: `cumulative_escalation` of each run with a `scenario` column.
        title: names the scenarios and the number of runs.
    """
    scenarios = list(dict.fromkeys(curves["scenario"]))
    rungs = sorted(curves["rung"].unique())
    cols = 2 if len(rungs) > 1 else 1
    rows = -(-len(rungs) // cols)
    fig = Figure(figsize=(6 * cols + 2.5, 3.3 * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True).ravel()
    for ax, rung in zip(axes, rungs, strict=False):
        for scenario in scenarios:
            part = curves[(curves["scenario"] == scenario) & (curves["rung"] == rung)]
            colour = _scenario_colour(scenarios, scenario)
            ax.fill_between(
                part["date"], part["lower"], part["upper"], color=colour, alpha=0.2, lw=0
            )
            ax.plot(
                part["date"],
                part["probability"],
                color=colour,
                linestyle=_scenario_line(scenarios, scenario),
                lw=1.8,
                label=scenario,
            )
        ax.set_title(f"rung {rung}+ {RUNG_LABELS[int(rung)]}", fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.set_ylabel("P(reached by month)")
        ax.set_xlim(curves["date"].min(), curves["date"].max())
        date_axis(ax, "Year")
    tidy_panels(axes, cols, len(rungs))
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside right center",
        frameon=False,
        title="scenario (band: 95% Wilson)",
    )
    fig.suptitle(title)
    return fig


def comparison_shares_figure(shares: pd.DataFrame, title: str) -> Figure:
    """The share of runs at each rung, month by month: one stacked-area panel per scenario."""
    scenarios = list(dict.fromkeys(shares["scenario"]))
    cols = min(3, len(scenarios))
    rows = -(-len(scenarios) // cols)
    fig = Figure(figsize=(4.6 * cols + 2.4, 3.2 * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True).ravel()
    for ax, scenario in zip(axes, scenarios, strict=False):
        stack_rung_shares(ax, shares[shares["scenario"] == scenario])
        ax.set_title(scenario, fontsize=10)
        ax.set_ylabel("Share of runs")
        date_axis(ax, "Year")
    tidy_panels(axes, cols, len(scenarios))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside right center", frameon=False, title="rung")
    fig.suptitle(title)
    return fig


def comparison_fan_figure(quantiles: pd.DataFrame, title: str) -> Figure:
    """Median and 50% band of key variables per scenario, on shared axes (one panel each)."""
    scenarios = list(dict.fromkeys(quantiles["scenario"]))
    variables = list(dict.fromkeys(quantiles["variable"]))
    cols = 3
    rows = -(-len(variables) // cols)
    fig = Figure(figsize=(4.3 * cols + 2.4, 3.0 * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True).ravel()
    for ax, variable in zip(axes, variables, strict=False):
        for scenario in scenarios:
            q = quantiles[(quantiles["scenario"] == scenario) & (quantiles["variable"] == variable)]
            colour = _scenario_colour(scenarios, scenario)
            ax.fill_between(q["date"], q["q25"], q["q75"], color=colour, alpha=0.2, lw=0)
            ax.plot(
                q["date"],
                q["q50"],
                color=colour,
                linestyle=_scenario_line(scenarios, scenario),
                lw=1.8,
                label=scenario,
            )
        ax.set_title(axis_label(variable).replace(" (", "\n(", 1), fontsize=9)
        ax.set_ylabel(UNIT_WORDS.get(VARIABLE_SPECS[variable].unit, VARIABLE_SPECS[variable].unit))
        ax.grid(alpha=0.3)
        ax.set_xlim(quantiles["date"].min(), quantiles["date"].max())
        date_axis(ax, "Year")
    tidy_panels(axes, cols, len(variables))
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside right center",
        frameon=False,
        title="median (band: 50% of runs)",
    )
    fig.suptitle(title)
    return fig


def forest_figure(table: pd.DataFrame, reference: str, method: str, title: str) -> Figure:
    """Differences to the reference scenario with their 95% intervals, and the zero line.

    Args:
        table: one row per scenario, rung and month with difference, diff_lower, diff_upper
            (the reference's own rows are left out).
        reference: the scenario the differences are taken to.
        method: how the intervals were computed (shown in the axis label).
        title: names the scenarios and the number of runs.
    """
    table = table[table["scenario"] != reference].reset_index(drop=True)
    scenarios = list(dict.fromkeys(table["scenario"]))
    everyone = [reference, *scenarios]
    fig = Figure(figsize=(9.5, 0.28 * len(table) + 1.8), layout="constrained")
    ax = fig.add_subplot()
    ax.axvline(0, color="0.2", lw=1)
    labels = []
    for y, row in enumerate(table.itertuples(index=False)):
        colour = _scenario_colour(everyone, row.scenario)
        line = _scenario_line(everyone, row.scenario)
        ax.plot([row.diff_lower, row.diff_upper], [y, y], color=colour, linestyle=line, lw=2.2)
        ax.plot(row.difference, y, "o", color=colour, ms=6)
        labels.append(f"{row.scenario}: rung {row.rung}+ by month {row.month}")
    ax.set_yticks(range(len(table)), labels, fontsize=8)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(*difference_limits(table))
    ax.set_xlabel(f"Difference in P(rung k+ by month T) to {reference} (95% interval: {method})")
    ax.set_ylabel("Scenario, rung, month")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig
