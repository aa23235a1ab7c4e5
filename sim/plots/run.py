"""Figures of one scenario run: rung probabilities and shares, fans, events, halts.

Data functions (`rung_shares`, `cumulative_escalation`, `fan_quantiles`, `representative_run`)
turn the run's tables into small tidy DataFrames; figure functions (`*_figure`) take those and
return a matplotlib Figure, drawing nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from sim.analysis.probabilities import rung_probabilities
from sim.analysis.run_report import RUNG_LABELS
from sim.model.dates import month_dates
from sim.model.ladder import TOP_RUNG, Actor
from sim.plots.style import (
    KAZAKHSTAN_VARIABLES,
    OKABE_ITO,
    PARTNER_VARIABLES,
    QUANTILES,
    RUNG_COLOURS,
    UNIT_WORDS,
    VARIABLE_SPECS,
    axis_label,
    date_axis,
    save_figures,
    series_style,
    tidy_panels,
)


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

    Returns the columns of `sim.analysis.probabilities.rung_probabilities` plus `date` (the month's
    start).
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


def representative_runs(summary: pd.DataFrame) -> dict[int, str]:
    """A typical run, a severe one and a calm one: {run_id: how it was chosen}.

    The severe and calm runs are those whose highest rung is the 90th and 10th percentile of
    the runs' highest rungs, and that are otherwise closest to the median (as in
    `representative_run`); so the small multiples show the spread, not only the centre.
    """
    chosen: dict[int, str] = {}
    typical, how = representative_run(summary)
    chosen[typical] = f"typical ({how})"
    for q, name in ((0.9, "severe"), (0.1, "calm")):
        target = float(np.quantile(summary["max_rung"], q, method="nearest"))
        pool = summary[(summary["max_rung"] == target) & ~summary["run_id"].isin(list(chosen))]
        if len(pool):
            run_id, _ = representative_run(pool)
            chosen[run_id] = f"{name} (max rung {int(target)}, the {round(q * 100)}th percentile)"
    return chosen


#: The causes of CPC stoppages the summary counts apart: (column, words), Russia's first.
HALT_CAUSES: tuple[tuple[str, str], ...] = (
    ("pipeline_halts_russia", "Russia-attributable (coercion)"),
    ("pipeline_halts_other", "other causes (storms, repairs, third parties)"),
)


def halts_per_year(summary: pd.DataFrame, months: int) -> pd.DataFrame:
    """CPC stoppages per simulated year, one row per run and cause.

    Columns: scenario, cause (Russia-attributable, or other causes; 'all causes' for a summary
    that does not tell them apart), halts_per_year, and per_halt (what one halt adds to the
    rate, 12/months), which the histogram needs to put its bin edges between the possible
    values.
    """
    scenario = summary["scenario"].astype(str).to_numpy() if "scenario" in summary else ""
    causes = [c for c in HALT_CAUSES if c[0] in summary] or [("pipeline_halts", "all causes")]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "cause": words,
                    "halts_per_year": summary[column].to_numpy(dtype=float) * 12.0 / months,
                    "per_halt": 12.0 / months,
                }
            )
            for column, words in causes
        ],
        ignore_index=True,
    )


def stack_rung_shares(ax, shares: pd.DataFrame) -> None:
    """Draw the share of runs at each rung, month by month, as stacked areas on `ax`."""
    wide = shares.pivot(index="date", columns="rung", values="share").sort_index()
    ax.stackplot(
        wide.index,
        *(wide[k].to_numpy() for k in wide.columns),
        colors=[RUNG_COLOURS[k] for k in wide.columns],
        labels=[f"{k} {RUNG_LABELS[k]}" for k in wide.columns],
    )
    ax.set_ylim(0, 1)
    ax.set_xlim(wide.index[0], wide.index[-1])


def rung_share_figure(shares: pd.DataFrame, title: str) -> Figure:
    """Stacked area: the share of runs at each rung, month by month."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    stack_rung_shares(ax, shares)
    ax.set_ylabel("Share of runs at each rung")
    date_axis(ax)
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
    date_axis(ax)
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
        ax.set_ylabel(UNIT_WORDS.get(VARIABLE_SPECS[variable].unit, VARIABLE_SPECS[variable].unit))
        ax.set_xlim(q["date"].min(), q["date"].max())
        ax.grid(alpha=0.3)
        date_axis(ax, "Year")
    tidy_panels(axes, columns, len(variables))
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle(title)
    return fig


def _event_rows(events: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The (actor, action, CAMEO code) rows of a timeline: by actor, then most hostile first."""
    order = {actor.label: i for i, actor in enumerate(Actor)}
    rows = (
        events[["actor", "action", "cameo", "goldstein"]]
        .astype({"actor": str, "action": str, "cameo": object})
        .fillna({"cameo": ""})
        .drop_duplicates(["actor", "action"])
    )
    rows = rows.assign(_actor=rows["actor"].map(order)).sort_values(["_actor", "goldstein"])
    return list(rows[["actor", "action", "cameo"]].itertuples(index=False, name=None))


def _action_label(actor: str, action: str, cameo: str) -> str:
    """'Russia: pipeline halt (163)', dropping the actor prefix the action name repeats."""
    name = action
    for prefix in ("russia_", "kazakh_"):
        name = name.removeprefix(prefix)
    code = f" ({cameo})" if cameo else " (no CAMEO: not coercion)"
    return f"{actor}: {name.replace('_', ' ')}{code}"


def event_timeline_figure(
    events: pd.DataFrame,
    trajectory: pd.DataFrame,
    title: str,
    captions: dict[int, str] | None = None,
) -> Figure:
    """Events of one or more runs: each run's rung above, one row per actor and action below.

    Each (actor, action) pair has its own row, named with its CAMEO code, so no marker needs a
    text label and busy periods cannot overlap: a month with many events is a column of
    markers on different rows. Markers are coloured by Goldstein weight (-10 hostile to +10
    cooperative); the most hostile acts (Goldstein <= -7: halts, threats, mobilisation,
    intervention) are drawn larger. Several runs become small multiples on shared rows.

    Args:
        events: event rows of the runs to show (column run_id selects the panels).
        trajectory: the same runs' trajectories (run_id, date, rung).
        title: the figure title.
        captions: optional text per run id (why the run was chosen).
    """
    run_ids = list(dict.fromkeys(trajectory["run_id"]))
    rows = _event_rows(events)
    index = {(actor, action): i for i, (actor, action, _) in enumerate(rows)}
    height = 1.0 + 0.19 * max(len(rows), 4)
    fig = Figure(figsize=(12, (height + 0.9) * len(run_ids) + 0.5), layout="constrained")
    panels = fig.subfigures(len(run_ids), 1, squeeze=False).ravel()
    norm = Normalize(-10, 10)
    for panel, run_id in zip(panels, run_ids, strict=True):
        path = trajectory[trajectory["run_id"] == run_id]
        mine = events[events["run_id"] == run_id]
        top, bottom = panel.subplots(2, 1, sharex=True, height_ratios=[0.9, height])
        top.step(path["date"], path["rung"], where="post", color=OKABE_ITO[3])
        top.set_ylim(-0.3, TOP_RUNG + 0.3)
        top.set_yticks(range(0, TOP_RUNG + 1, 1))
        top.tick_params(axis="y", labelsize=7)
        top.set_ylabel("Rung", fontsize=8)
        top.grid(alpha=0.3)
        caption = (captions or {}).get(int(run_id), "")
        top.set_title(f"Run {run_id}" + (f": {caption}" if caption else ""), fontsize=9, loc="left")
        y = [index[(str(a), str(b))] for a, b in zip(mine["actor"], mine["action"], strict=True)]
        severe = mine["goldstein"].to_numpy() <= -7
        points = bottom.scatter(
            mine["date"],
            y,
            c=mine["goldstein"],
            cmap="PuOr",
            norm=norm,
            s=np.where(severe, 42, 16),
            marker="s",
            edgecolors="0.25",
            linewidths=0.3,
            zorder=3,
        )
        bottom.set_yticks(range(len(rows)), [_action_label(*r) for r in rows], fontsize=7)
        bottom.set_ylim(len(rows) - 0.5, -0.5)
        # Light bands separate the actors' groups of rows.
        groups = list(dict.fromkeys(r[0] for r in rows))
        for i, (actor, _, _) in enumerate(rows):
            if groups.index(actor) % 2 == 1:
                bottom.axhspan(i - 0.5, i + 0.5, color="0.93", zorder=0, linewidth=0)
        bottom.grid(axis="x", alpha=0.3)
        bottom.set_xlim(path["date"].min(), path["date"].max())
        date_axis(bottom, "Year (simulation starts March 2022)")
        bottom.set_ylabel("Actor: action (CAMEO)", fontsize=8)
        panel.colorbar(
            points, ax=[top, bottom], label="Goldstein weight\n(-10 conflict, +10 coop.)"
        )
    fig.suptitle(title)
    return fig


def halt_distribution_figure(halts: pd.DataFrame, title: str) -> Figure:
    """Histograms of CPC stoppages per year across runs: one panel per cause, Russia's first.

    One scenario is drawn as filled bars; several as outlines on shared bins, each with its
    median marked, so that the distributions can be compared without hiding one another.
    Legends sit below the panels, where they hide no bar.
    """
    if "cause" not in halts:
        halts = halts.assign(cause="all causes")
    causes = list(dict.fromkeys(halts["cause"]))
    scenarios = list(dict.fromkeys(halts["scenario"]))
    fig = Figure(figsize=(4.6 * len(causes) + 1.2, 4.3), layout="constrained")
    axes = fig.subplots(1, len(causes), squeeze=False, sharey=True)[0]
    values = halts["halts_per_year"].to_numpy()
    top = max(float(values.max()), 0.5) if len(values) else 1.0
    # The rates are multiples of `step`; bins holding the same number of possible values
    # avoid the comb a free choice of edges draws on discrete data.
    step = float(halts["per_halt"].max()) if "per_halt" in halts and len(halts) else 0.1
    width = step * max(1, int(np.ceil(top / step / 40)))
    bins = np.arange(-step / 2, top + width, width)
    for ax, cause in zip(axes, causes, strict=True):
        mine = halts[halts["cause"] == cause]
        for i, scenario in enumerate(scenarios):
            x = mine.loc[mine["scenario"] == scenario, "halts_per_year"].to_numpy()
            _halt_histogram(ax, x, bins, i, scenario, alone=len(scenarios) == 1)
        ax.set_title(cause[0].upper() + cause[1:], fontsize=10)
        ax.set_xlabel("CPC stoppages per year (count / year)")
        ax.grid(alpha=0.3)
        if len(scenarios) == 1:  # the dashed line is the median, not the bars
            handles, labels = [ax.lines[-1]], [ax.lines[-1].get_label()]
        else:
            handles, labels = ax.get_legend_handles_labels()
        ax.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.17),
            frameon=False,
            fontsize=8 if len(scenarios) > 1 else 9,
        )
    axes[0].set_ylabel("Share of runs")
    fig.suptitle(title)
    return fig


def _halt_histogram(ax, x: np.ndarray, bins: np.ndarray, i: int, scenario: str, alone: bool):
    """One scenario's histogram (filled when alone, an outline otherwise) and its median."""
    colour, line = series_style(i)
    median = float(np.median(x)) if len(x) else np.nan
    ax.hist(
        x,
        bins=bins,
        weights=np.full(len(x), 1 / max(len(x), 1)),
        histtype="stepfilled" if alone else "step",
        color=colour,
        alpha=0.7 if alone else 1.0,
        linewidth=1.8,
        linestyle=line,
        label=f"{scenario} (median {median:.2f})" if scenario else f"median {median:.2f}",
    )
    ax.axvline(  # several scenarios: their legend entries name the medians already
        median,
        color=colour,
        linestyle="--",
        linewidth=1.2,
        label=f"median {median:.2f} / year" if alone else "_median",
    )


# --- a scenario run ---------------------------------------------------------------------------
def run_figure_set(
    summary: pd.DataFrame,
    trajectories: pd.DataFrame | None,
    events: pd.DataFrame | None,
    scenario: str,
    months: int,
) -> dict[str, Figure]:
    """Every figure of one scenario run, by file name (without suffix).

    Figures that need trajectories or events are left out when those were not recorded.
    """
    runs = f"{scenario}, {len(summary):,} runs"
    figures = {
        "rung_cumulative": cumulative_rung_figure(
            cumulative_escalation(summary, months), f"Probability of reaching each rung ({runs})"
        ),
        "halts_per_year": halt_distribution_figure(
            halts_per_year(summary, months).assign(scenario=""),
            f"CPC pipeline stoppages per year across runs, by cause ({runs})",
        ),
    }
    if trajectories is not None:
        figures["rung_shares"] = rung_share_figure(
            rung_shares(trajectories), f"Share of runs at each rung ({runs})"
        )
        for name, variables, what in (
            ("fan_kazakhstan", KAZAKHSTAN_VARIABLES, "Kazakhstan"),
            ("fan_partners", PARTNER_VARIABLES, "Third parties"),
        ):
            figures[name] = fan_chart_figure(
                fan_quantiles(trajectories, variables),
                f"{what}: median, 50% and 90% of runs ({runs})",
                columns=3 if len(variables) <= 6 else 4,
            )
    if trajectories is not None and events is not None:
        chosen = representative_runs(summary)
        figures["event_timeline"] = event_timeline_figure(
            events[events["run_id"].isin(list(chosen))],
            trajectories[trajectories["run_id"].isin(list(chosen))]
            .set_index("run_id")
            .loc[list(chosen)]
            .reset_index(),
            f"Events of {len(chosen)} representative runs ({runs})",
            captions=chosen,
        )
    return figures


def run_figures(
    summary: pd.DataFrame,
    trajectories: pd.DataFrame | None,
    events: pd.DataFrame | None,
    scenario: str,
    months: int,
    directory: Path,
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """Draw every figure of one scenario run into `directory`; return the paths written.

    Figures that need trajectories or events are skipped when those were not recorded.
    """
    figures = run_figure_set(summary, trajectories, events, scenario, months)
    return save_figures(figures, directory, formats)
