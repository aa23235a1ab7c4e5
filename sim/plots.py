"""Figures for one scenario run.

Two kinds of function live here, kept apart so that figures can be reused for sweeps and
comparisons:

* data functions (`rung_shares`, `cumulative_escalation`, `fan_quantiles`, `representative_run`)
  turn the run's tables into small tidy DataFrames;
* figure functions (`*_figure`) take those tidy frames and return a matplotlib Figure, drawing
  nothing else; `save_figure` writes one to PNG.

Figures are built with `matplotlib.figure.Figure` rather than pyplot, so they need no GUI
backend, hold no global state and are freed when dropped. Colours are colour-blind safe:
viridis for the ordered rungs, Okabe-Ito for categories, ColorBrewer PuOr for Goldstein weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from sim.analysis import rung_probabilities
from sim.ladder import TOP_RUNG, Actor
from sim.model import month_dates
from sim.recording import TRAJECTORY_VARIABLES
from sim.report import RUNG_LABELS
from sim.store import write_atomic

#: Okabe & Ito (2008) palette, distinguishable with the common colour-vision deficiencies.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
#: One colour per rung, ordered light (normal) to dark (intervention).
RUNG_COLOURS: tuple[str, ...] = tuple(
    colormaps["viridis"](x) for x in np.linspace(0.95, 0.0, TOP_RUNG + 1)
)
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
KAZAKHSTAN_VARIABLES: tuple[str, ...] = (
    "alignment",
    "cpc_share",
    "oil_revenue",
    "defence",
    "nationalism",
    "leverage",
)
PARTNER_VARIABLES: tuple[str, ...] = (
    "backing",
    "credibility_china",
    "credibility_turkey",
    "credibility_eu",
    "trade_kz_ru",
    "trade_kz_cn",
    "trade_kz_tr",
    "trade_kz_eu",
)
_VARIABLES = {v.name: v for v in TRAJECTORY_VARIABLES}
_UNITS = {"1": "index", "share": "share", "2021 budget": "x 2021 budget"}


def axis_label(variable: str) -> str:
    """'Description (unit)' for a trajectory variable, from sim.recording."""
    spec = _VARIABLES[variable]
    return f"{spec.doc} ({_UNITS.get(spec.unit, spec.unit)})"


# --- data ------------------------------------------------------------------------------------
def rung_shares(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Share of runs at each rung in each month: columns month, date, rung, share."""
    counts = (
        trajectories.groupby(["month", "rung"], observed=True)
        .size()
        .unstack("rung", fill_value=0)
        .reindex(columns=range(TOP_RUNG + 1), fill_value=0)
    )
    shares = counts.div(counts.sum(axis=1), axis=0)
    tidy = shares.stack().rename("share").reset_index()
    tidy["date"] = month_dates(int(tidy["month"].max()) + 1)[tidy["month"]]
    return tidy[["month", "date", "rung", "share"]]


def cumulative_escalation(summary: pd.DataFrame, months: int) -> pd.DataFrame:
    """P(rung k or higher by the end of each month), k = 1..5, with 95% Wilson intervals.

    Returns the columns of `sim.analysis.rung_probabilities` plus `date` (the month's start).
    """
    table = rung_probabilities(summary, months=range(1, months + 1))
    table["date"] = month_dates(months)[table["month"] - 1]
    return table


def fan_quantiles(trajectories: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Monthly 5/25/50/75/95% quantiles: columns variable, month, date, q05, q25, q50, q75, q95."""
    grouped = trajectories.groupby("month")[list(variables)].quantile(list(QUANTILES))
    grouped.index.names = ["month", "quantile"]
    tidy = grouped.stack().rename("value").reset_index().rename(columns={"level_2": "variable"})
    # Keep the caller's order of variables (it is the order of the panels).
    tidy["variable"] = pd.Categorical(tidy["variable"], categories=list(variables))
    wide = tidy.pivot_table(
        index=["variable", "month"], columns="quantile", values="value", observed=True
    )
    wide.columns = [f"q{round(q * 100):02d}" for q in wide.columns]
    wide = wide.reset_index()
    wide["variable"] = wide["variable"].astype(str)
    wide["date"] = month_dates(int(wide["month"].max()) + 1)[wide["month"]]
    return wide


def representative_run(summary: pd.DataFrame) -> tuple[int, str]:
    """The run closest to the median run, and how it was chosen (for a title).

    Runs are ranked by distance of their max rung from the median max rung, then of their halt
    count from the median count, then of their final alignment from the median: a typical
    run, rather than the first or an extreme one.
    """
    keys = [
        (summary[c].astype(float) - summary[c].astype(float).median()).abs()
        for c in ("max_rung", "pipeline_halts", "final_alignment")
    ]
    order = np.lexsort([k.to_numpy() for k in reversed(keys)])
    run_id = int(summary["run_id"].iloc[order[0]])
    return run_id, "max rung, halts and final alignment closest to the median"


# --- figures ---------------------------------------------------------------------------------
def _date_axis(ax, label: str = "Month (simulation starts March 2022)") -> None:
    ax.xaxis.set_major_locator(
        mdates.YearLocator(base=2 if ax.get_xlim()[1] - ax.get_xlim()[0] > 2500 else 1)
    )
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel(label)


def rung_share_figure(shares: pd.DataFrame, title: str) -> Figure:
    """Stacked area: the share of runs at each rung, month by month."""
    wide = shares.pivot(index="date", columns="rung", values="share").sort_index()
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.stackplot(
        wide.index,
        *(wide[k].to_numpy() for k in wide.columns),
        colors=[RUNG_COLOURS[k] for k in wide.columns],
        labels=[f"{k} {RUNG_LABELS[k]}" for k in wide.columns],
    )
    ax.set_ylim(0, 1)
    ax.set_xlim(wide.index[0], wide.index[-1])
    ax.set_ylabel("Share of runs at each rung")
    _date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        title="Russian posture (rung)",
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
    )
    ax.set_title(title)
    return fig


def cumulative_rung_figure(probabilities: pd.DataFrame, title: str) -> Figure:
    """Lines of P(rung k or higher by month) with their 95% Wilson bands, one per rung."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for rung, rows in probabilities.groupby("rung", sort=True):
        colour = RUNG_COLOURS[int(rung)]
        ax.fill_between(
            rows["date"], rows["lower"], rows["upper"], color=colour, alpha=0.3, linewidth=0
        )
        ax.plot(
            rows["date"],
            rows["probability"],
            color=colour,
            linewidth=2,
            label=f"{rung}+ {RUNG_LABELS[int(rung)]}",
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlim(probabilities["date"].min(), probabilities["date"].max())
    ax.set_ylabel("P(rung k or higher reached by month)")
    _date_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(
        title="rung k (band: 95% Wilson)",
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
    )
    ax.set_title(title)
    return fig


def fan_chart_figure(quantiles: pd.DataFrame, title: str, columns: int = 3) -> Figure:
    """Small multiples, one per variable: median line, 50% and 90% bands across runs."""
    variables = list(dict.fromkeys(quantiles["variable"]))
    rows = -(-len(variables) // columns)
    fig = Figure(figsize=(4.2 * columns, 3.0 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True).ravel()
    colour = OKABE_ITO[0]
    for ax, variable in zip(axes, variables, strict=False):
        q = quantiles[quantiles["variable"] == variable].sort_values("date")
        ax.fill_between(
            q["date"], q["q05"], q["q95"], color=colour, alpha=0.2, linewidth=0, label="90% of runs"
        )
        ax.fill_between(
            q["date"],
            q["q25"],
            q["q75"],
            color=colour,
            alpha=0.45,
            linewidth=0,
            label="50% of runs",
        )
        ax.plot(q["date"], q["q50"], color=colour, linewidth=1.8, label="median")
        ax.set_title(axis_label(variable).replace(" (", "\n(", 1), fontsize=9)
        ax.set_ylabel(_UNITS.get(_VARIABLES[variable].unit, _VARIABLES[variable].unit))
        ax.set_xlim(q["date"].min(), q["date"].max())
        ax.grid(alpha=0.3)
        _date_axis(ax, "Year")
    for ax in axes[len(variables) :]:
        ax.set_visible(False)
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle(title)
    return fig


def event_timeline_figure(events: pd.DataFrame, trajectory: pd.DataFrame, title: str) -> Figure:
    """One run's events: its rung over time above, every action below, one lane per actor.

    Markers are coloured by Goldstein weight (-10 hostile to +10 cooperative) and labelled with
    their CAMEO code; events of one actor in one month are stacked within the lane.
    """
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1, 3])
    top.step(trajectory["date"], trajectory["rung"], where="post", color=OKABE_ITO[3])
    top.set_ylim(-0.3, TOP_RUNG + 0.3)
    top.set_yticks(range(TOP_RUNG + 1))
    top.set_ylabel("Russian rung")
    top.grid(alpha=0.3)
    lanes = {actor.label: i for i, actor in enumerate(Actor)}
    stack = events.groupby(["actor", "month"], observed=True).cumcount().to_numpy()
    # Several events of one actor in one month are stacked up the lane (the axis is inverted).
    y = events["actor"].map(lanes).astype(float).to_numpy() - 0.22 * (stack % 4)
    norm = Normalize(-10, 10)
    points = bottom.scatter(
        events["date"],
        y,
        c=events["goldstein"],
        cmap="PuOr",
        norm=norm,
        s=30,
        edgecolors="0.3",
        linewidths=0.4,
        zorder=3,
    )
    # Labels alternate above and below the markers on the lane, so neighbours overlap less;
    # stacked markers are labelled on their right.
    within_lane = events.groupby("actor", observed=True).cumcount().to_numpy()
    for date, yy, code, i, level in zip(
        events["date"], y, events["cameo"], within_lane, stack, strict=True
    ):
        if level > 0:
            offset, ha, va = (5, 0), "left", "center"
        else:
            offset, ha, va = (
                ((0, 4), "center", "bottom") if i % 2 == 0 else ((0, -4), "center", "top")
            )
        bottom.annotate(
            code,
            (date, yy),
            xytext=offset,
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=6,
            color="0.15",
        )
    bottom.set_yticks(list(lanes.values()), list(lanes))
    bottom.set_ylim(len(lanes) - 0.6, -0.9)
    bottom.set_ylabel("Acting actor")
    bottom.grid(axis="x", alpha=0.3)
    bottom.set_xlim(trajectory["date"].min(), trajectory["date"].max())
    _date_axis(bottom)
    fig.colorbar(
        points, ax=bottom, label="Goldstein weight (-10 conflict to +10 cooperation)", shrink=0.9
    )
    fig.suptitle(title)
    return fig


def save_figure(fig: Figure, path: Path, dpi: int = 110) -> Path:
    """Write a figure as PNG, atomically (a reader never sees half an image)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))


def run_figures(
    summary: pd.DataFrame,
    trajectories: pd.DataFrame | None,
    events: pd.DataFrame | None,
    scenario: str,
    months: int,
    directory: Path,
) -> list[Path]:
    """Draw every figure of one scenario run into `directory`; return the paths written.

    Figures that need trajectories or events are skipped when those were not recorded.
    """
    runs = f"{scenario}, {len(summary):,} runs"
    written = [
        save_figure(
            cumulative_rung_figure(
                cumulative_escalation(summary, months),
                f"Probability of reaching each rung ({runs})",
            ),
            directory / "rung_cumulative.png",
        )
    ]
    if trajectories is not None:
        written.append(
            save_figure(
                rung_share_figure(
                    rung_shares(trajectories), f"Share of runs at each rung ({runs})"
                ),
                directory / "rung_shares.png",
            )
        )
        for name, variables, what in (
            ("fan_kazakhstan", KAZAKHSTAN_VARIABLES, "Kazakhstan"),
            ("fan_partners", PARTNER_VARIABLES, "Third parties"),
        ):
            written.append(
                save_figure(
                    fan_chart_figure(
                        fan_quantiles(trajectories, variables),
                        f"{what}: median, 50% and 90% of runs ({runs})",
                        columns=3 if len(variables) <= 6 else 4,
                    ),
                    directory / f"{name}.png",
                )
            )
    if trajectories is not None and events is not None:
        run_id, how = representative_run(summary)
        written.append(
            save_figure(
                event_timeline_figure(
                    events[events["run_id"] == run_id],
                    trajectories[trajectories["run_id"] == run_id],
                    f"Events of run {run_id} of {runs}: {how}",
                ),
                directory / "event_timeline.png",
            )
        )
    return written
