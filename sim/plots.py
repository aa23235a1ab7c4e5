"""Figures of a scenario run, a sweep and a comparison of runs.

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

import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

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


def halts_per_year(summary: pd.DataFrame, months: int) -> pd.DataFrame:
    """CPC pipeline halts per simulated year, one row per run: columns scenario, halts_per_year."""
    return pd.DataFrame(
        {
            "scenario": summary["scenario"].astype(str).to_numpy() if "scenario" in summary else "",
            "halts_per_year": summary["pipeline_halts"].to_numpy(dtype=float) * 12.0 / months,
        }
    )


# --- figures ---------------------------------------------------------------------------------
def _date_axis(ax, label: str = "Month (simulation starts March 2022)") -> None:
    ax.xaxis.set_major_locator(
        mdates.YearLocator(base=2 if ax.get_xlim()[1] - ax.get_xlim()[0] > 2500 else 1)
    )
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel(label)


def _bottom_labels_only(axes: np.ndarray, columns: int, shown: int) -> None:
    """Drop the x label of panels that have a visible panel below them (shared x axis)."""
    for i, ax in enumerate(axes[:shown]):
        if i + columns < shown:
            ax.set_xlabel("")


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
    _bottom_labels_only(axes, columns, len(variables))
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle(title)
    return fig


def _event_rows(events: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The (actor, action, CAMEO code) rows of a timeline: by actor, then most hostile first."""
    order = {actor.label: i for i, actor in enumerate(Actor)}
    rows = (
        events[["actor", "action", "cameo", "goldstein"]]
        .astype({"actor": str, "action": str, "cameo": str})
        .drop_duplicates(["actor", "action"])
    )
    rows = rows.assign(_actor=rows["actor"].map(order)).sort_values(["_actor", "goldstein"])
    return list(rows[["actor", "action", "cameo"]].itertuples(index=False, name=None))


def _action_label(actor: str, action: str, cameo: str) -> str:
    """'Russia: pipeline halt (163)', dropping the actor prefix the action name repeats."""
    name = action
    for prefix in ("russia_", "kazakh_"):
        name = name.removeprefix(prefix)
    return f"{actor}: {name.replace('_', ' ')} ({cameo})"


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
        _date_axis(bottom, "Month (simulation starts March 2022)")
        bottom.set_ylabel("Actor: action (CAMEO)", fontsize=8)
        panel.colorbar(
            points, ax=[top, bottom], label="Goldstein weight\n(-10 conflict, +10 coop.)"
        )
    fig.suptitle(title)
    return fig


def halt_distribution_figure(halts: pd.DataFrame, title: str) -> Figure:
    """Histogram of CPC pipeline halts per year across runs, one outline per scenario.

    One scenario is drawn as filled bars; several as outlines on shared bins, each with its
    median marked, so that the distributions can be compared without hiding one another.
    """
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    values = halts["halts_per_year"].to_numpy()
    top = max(float(values.max()), 0.5) if len(values) else 1.0
    bins = np.linspace(0, top * 1.001 + 1e-9, min(40, max(8, int(top / 0.1) + 1)))
    scenarios = list(dict.fromkeys(halts["scenario"]))
    for i, scenario in enumerate(scenarios):
        x = halts.loc[halts["scenario"] == scenario, "halts_per_year"].to_numpy()
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        median = float(np.median(x))
        ax.hist(
            x,
            bins=bins,
            weights=np.full(len(x), 1 / len(x)),
            histtype="stepfilled" if len(scenarios) == 1 else "step",
            color=colour,
            alpha=0.7 if len(scenarios) == 1 else 1.0,
            linewidth=1.8,
            label=f"{scenario} (median {median:.2f})" if scenario else f"median {median:.2f}",
        )
        ax.axvline(median, color=colour, linestyle="--", linewidth=1.2)
    ax.set_xlabel("CPC pipeline halts per year (count / year)")
    ax.set_ylabel("Share of runs")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", frameon=False, fontsize=9)
    ax.set_title(title)
    return fig


# --- saving ----------------------------------------------------------------------------------
FORMATS: tuple[str, ...] = ("png", "pdf", "svg")


def save_figure(fig: Figure, path: Path, dpi: int = 110) -> Path:
    """Write a figure atomically (a reader never sees half an image); the suffix sets the format.

    PNG is the default; `.pdf` and `.svg` give vector files.
    """
    path = Path(path)
    kind = path.suffix.lstrip(".").lower() or "png"
    if kind not in FORMATS:
        raise ValueError(f"unknown figure format {kind!r}; expected one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=kind))


def save_figures(
    figures: dict[str, Figure], directory: Path, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """Write every figure in every format as <directory>/<name>.<format>; return the paths."""
    return [
        save_figure(fig, Path(directory) / f"{name}.{kind}")
        for name, fig in figures.items()
        for kind in formats
    ]


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (for embedding in the HTML report)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    return buffer.getvalue()


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
            f"CPC pipeline halts per year across runs ({runs})",
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


# --- a sweep: data ---------------------------------------------------------------------------
ANALYSIS_TABLES: tuple[str, ...] = (
    "probabilities",
    "time_to_escalation",
    "median_times",
    "thresholds",
)


@dataclass
class Sweep:
    """What the sweep figures need, read from a complete sweep directory.

    Attributes:
        name: the experiment's name.
        runs: the number of runs; replicates: runs per design point; months: the horizon.
        design: one row per design point.
        factors: every factor column; numeric: those with numeric values.
        tables: the analysis tables by name (read from analysis/, or computed when missing).
        computed: the names of the tables that were computed here rather than read.
        level: the probability whose crossing the thresholds locate.
    """

    name: str
    runs: int
    replicates: int
    months: int
    design: pd.DataFrame
    factors: list[str]
    numeric: list[str]
    tables: dict[str, pd.DataFrame]
    computed: list[str]
    level: float

    @property
    def label(self) -> str:
        """'<experiment>, N runs' for titles."""
        return f"{self.name}, {self.runs:,} runs"


def load_sweep(directory: Path) -> Sweep:
    """Read a complete sweep directory's design and analysis tables.

    A table missing from analysis/ (e.g. a sweep run with `analysis.run=false`) is computed in
    memory from the run summaries with the sim.analysis functions and the stored analysis
    settings; nothing is written.
    """
    from omegaconf import OmegaConf

    from sim.store import read_manifest

    directory = Path(directory)
    cfg = OmegaConf.load(directory / "config.yaml")
    manifest = read_manifest(directory)
    design = pd.read_parquet(directory / "design.parquet")
    factors = [c for c in design.columns if c not in ("design_point", "scenario")]
    numeric = [f for f in factors if pd.api.types.is_numeric_dtype(design[f])]
    tables = {
        name: pd.read_parquet(directory / "analysis" / f"{name}.parquet")
        for name in ANALYSIS_TABLES
        if (directory / "analysis" / f"{name}.parquet").exists()
    }
    computed = [name for name in ANALYSIS_TABLES if name not in tables]
    if computed:
        tables.update(_compute_tables(directory, cfg, design, factors, computed))
    return Sweep(
        name=str(cfg.get("name") or manifest.get("experiment") or directory.name),
        runs=int(manifest.get("runs", len(design) * int(cfg.replicates))),
        replicates=int(cfg.replicates),
        months=int(cfg.months),
        design=design,
        factors=factors,
        numeric=numeric,
        tables=tables,
        computed=computed,
        level=float(cfg.analysis.level),
    )


def _compute_tables(
    directory: Path, cfg: Any, design: pd.DataFrame, factors: list[str], names: list[str]
) -> dict[str, pd.DataFrame]:
    """The analysis tables `names`, computed as sim.analysis.analyze_sweep does (not written)."""
    from sim.analysis import median_times, thresholds, time_to_escalation
    from sim.runner import read_parts

    opts = cfg.analysis
    horizon = int(cfg.months)
    months = [int(m) for m in opts.months if m <= horizon] or [horizon]
    rungs = [int(k) for k in opts.rungs]
    columns = ["design_point", *(f"month_rung_{k}" for k in rungs)]
    summary = read_parts(directory, "summary", columns)
    probs = design.merge(
        rung_probabilities(summary, months, rungs, by=["design_point"], level=opts.confidence),
        on="design_point",
    )
    curves = time_to_escalation(summary, horizon, rungs, level=opts.confidence)
    keys = design[["design_point", "scenario"]]
    every = {
        "probabilities": lambda: probs,
        "time_to_escalation": lambda: keys.merge(curves),
        "median_times": lambda: keys.merge(median_times(curves)),
        "thresholds": lambda: thresholds(
            probs, factors, opts.level, opts.bootstrap, opts.confidence, seed=int(cfg.seed)
        ),
    }
    return {name: every[name]() for name in names}


def factor_label(factor: str) -> str:
    """'kazakhstan.drift_pace (1/month)': the factor's path and unit from sim.params."""
    from sim.params import PARAMS_BY_PATH

    spec = PARAMS_BY_PATH.get(factor)
    unit = "" if spec is None or spec.unit in ("1", "") else spec.unit
    return f"{factor} ({unit or 'index'})" if spec is not None else factor


def _levels(values: pd.Series, most: int) -> list[float]:
    """At most `most` of the sorted distinct values, evenly spaced, always with both ends."""
    levels = np.sort(values.unique())
    if len(levels) <= most:
        return list(levels)
    return list(levels[np.unique(np.linspace(0, len(levels) - 1, most).round().astype(int))])


def _middle(values: pd.Series) -> float:
    """The middle of the sorted distinct values (the level other factors are held at)."""
    levels = np.sort(values.unique())
    return levels[len(levels) // 2]


def _hold_others(
    table: pd.DataFrame, sweep: Sweep, free: Sequence[str]
) -> tuple[pd.DataFrame, str]:
    """Rows where each numeric factor not in `free` is at its middle level; a note saying so."""
    held = [f for f in sweep.numeric if f not in free]
    for factor in held:
        table = table[np.isclose(table[factor], _middle(sweep.design[factor]))]
    note = ", ".join(f"{f.split('.')[-1]} = {_middle(sweep.design[f]):g}" for f in held)
    return table, (f"other factors at their middle level: {note}" if note else "")


def heatmap_data(sweep: Sweep) -> tuple[dict[str, pd.DataFrame], str, str]:
    """The matrices of the sweep heatmaps: {figure name: tidy frame}, x label, y label.

    Each frame has columns name, row, col (the panel and its place), x, y, probability.

    * Two or more numeric factors: x and y are the first two, at the latest month of the
      probabilities table; one figure per rung; one panel per scenario and per level of the
      other factors (each reduced to at most three levels: low, middle, high).
    * One numeric factor: x is the factor and y the month T, from the Kaplan-Meier table
      (with no censoring before the horizon 1 - S(T) is exactly P(rung k by month T), so the
      rows at the probabilities table's months equal that table); one figure, one row of
      panels per rung and one column per scenario.
    * No numeric factor (or a design that is not a grid): no heatmap.
    """
    if not sweep.numeric or not _is_grid(sweep):
        return {}, "", ""
    if len(sweep.numeric) >= 2:
        return (
            _heatmap_two_factors(sweep),
            factor_label(sweep.numeric[0]),
            factor_label(sweep.numeric[1]),
        )
    return (
        {"heatmap_months": _heatmap_factor_by_month(sweep)},
        factor_label(sweep.numeric[0]),
        "By month T (months from March 2022)",
    )


def _is_grid(sweep: Sweep) -> bool:
    """Whether the design is a full grid: every combination of the factor levels appears."""
    sizes = [sweep.design[f].nunique() for f in ["scenario", *sweep.factors]]
    return int(np.prod(sizes)) == len(sweep.design) and all(
        sweep.design[f].nunique() >= 2 for f in sweep.numeric
    )


def _heatmap_two_factors(sweep: Sweep) -> dict[str, pd.DataFrame]:
    x, y, others = sweep.numeric[0], sweep.numeric[1], sweep.numeric[2:]
    probs = sweep.tables["probabilities"]
    month = int(probs["month"].max())
    probs = probs[probs["month"] == month]
    for factor in others:
        probs = probs[probs[factor].isin(_levels(sweep.design[factor], 3))]
    panel_keys = ["scenario", *others]
    frames = {}
    for rung, rows in probs.groupby("rung", sort=True):
        parts = []
        for i, (key, panel) in enumerate(rows.groupby(panel_keys, sort=True)):
            key = key if isinstance(key, tuple) else (key,)
            name = ", ".join(
                [
                    str(key[0]),
                    *(f"{f.split('.')[-1]} = {v:g}" for f, v in zip(others, key[1:], strict=True)),
                ]
            )
            parts.append(
                pd.DataFrame(
                    {
                        "name": name,
                        "row": i // 3,
                        "col": i % 3,
                        "x": panel[x].to_numpy(),
                        "y": panel[y].to_numpy(),
                        "probability": panel["probability"].to_numpy(),
                    }
                )
            )
        frame = pd.concat(parts, ignore_index=True)
        frame.attrs["title"] = f"P(rung {rung}+ by month {month})"
        frames[f"heatmap_rung{rung}"] = frame
    return frames


def reached_by_month(
    curves: pd.DataFrame, points: Sequence[int], rungs: Sequence[int], months: int
) -> pd.DataFrame:
    """P(rung k by month T) for T = 1..months from KM curves: the step function 1 - S(T).

    A design point with no run reaching a rung has no KM rows for it: its probability is 0
    throughout (so the heatmap has no holes). Returns columns design_point, rung, month,
    probability.
    """
    grid = np.arange(1, months + 1)
    groups = dict(list(curves.groupby(["design_point", "rung"], sort=True)))
    frames = []
    for point, rung in itertools.product(points, rungs):
        curve = groups.get((point, rung))
        reached = np.zeros(months)
        if curve is not None:
            curve = curve.sort_values("month")
            i = np.searchsorted(curve["month"].to_numpy(), grid, side="right") - 1
            reached = np.where(i >= 0, curve["reached"].to_numpy()[np.maximum(i, 0)], 0.0)
        frames.append(
            pd.DataFrame(
                {"design_point": point, "rung": rung, "month": grid, "probability": reached}
            )
        )
    return pd.concat(frames, ignore_index=True)


def _heatmap_factor_by_month(sweep: Sweep) -> pd.DataFrame:
    factor = sweep.numeric[0]
    table = reached_by_month(
        sweep.tables["time_to_escalation"],
        sweep.design["design_point"].tolist(),
        sorted(sweep.tables["probabilities"]["rung"].unique()),
        sweep.months,
    )
    table = sweep.design.merge(table, on="design_point")
    scenarios = list(dict.fromkeys(sweep.design["scenario"]))
    rungs = sorted(table["rung"].unique())
    table["name"] = [
        f"{s}: rung {k}+" for s, k in zip(table["scenario"], table["rung"], strict=True)
    ]
    table["row"] = table["rung"].map({k: i for i, k in enumerate(rungs)})
    table["col"] = table["scenario"].map({s: i for i, s in enumerate(scenarios)})
    frame = table.rename(columns={factor: "x", "month": "y"})[
        ["name", "row", "col", "x", "y", "probability"]
    ]
    frame.attrs["title"] = "P(rung k or higher by month T)"
    return frame


def heatmap_matrix(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One panel's x values, y values and matrix Z[y, x] (NaN where a cell is missing)."""
    wide = panel.pivot_table(index="y", columns="x", values="probability", aggfunc="first")
    return wide.columns.to_numpy(float), wide.index.to_numpy(float), wide.to_numpy(float)


def factor_curves(sweep: Sweep, factor: str) -> tuple[pd.DataFrame, str]:
    """P(rung k by month T) along one numeric factor, one line per scenario (or level).

    Lines are the scenarios; with a single scenario and further numeric factors, the levels
    (at most five) of the next factor instead. Other numeric factors are held at their middle
    level. Returns the table (the probabilities rows plus a `line` column) and a note on what
    was held.
    """
    probs = sweep.tables["probabilities"]
    others = [f for f in sweep.numeric if f != factor]
    by_level = sweep.design["scenario"].nunique() == 1 and others
    free = [factor, others[0]] if by_level else [factor]
    table, note = _hold_others(probs, sweep, free)
    if by_level:
        table = table[table[others[0]].isin(_levels(sweep.design[others[0]], 5))]
        line = [
            f"{s}, {others[0].split('.')[-1]} = {v:g}"
            for s, v in zip(table["scenario"], table[others[0]], strict=True)
        ]
    else:
        line = table["scenario"].astype(str).tolist()
    return table.assign(line=line).sort_values(factor), note


def km_curves(sweep: Sweep) -> tuple[pd.DataFrame, str]:
    """Kaplan-Meier curves to draw: one panel row per scenario, coloured by the first factor.

    Other numeric factors are held at their middle level; with no numeric factor there is one
    curve per scenario. Returns the KM rows joined with the design, and a note on what was held.
    """
    curves = sweep.tables["time_to_escalation"].merge(
        sweep.design.drop(columns="scenario"), on="design_point"
    )
    return _hold_others(curves, sweep, sweep.numeric[:1])


def threshold_rows(sweep: Sweep, factor: str) -> tuple[pd.DataFrame, str]:
    """The thresholds along one factor, other numeric factors held at their middle level."""
    table = sweep.tables["thresholds"]
    if table.empty:
        return table, ""
    table = table[table["factor"] == factor]
    # Columns of the other factors hold their values; hold them at the middle level.
    table, note = _hold_others(table, sweep, [factor])
    return table.sort_values(["scenario", "rung", "month"], kind="stable"), note


# --- a sweep: figures ------------------------------------------------------------------------
def _contour(ax, x: np.ndarray, y: np.ndarray, z: np.ndarray, level: float) -> None:
    """The `level` contour, drawn only where the surface actually crosses it."""
    finite = z[np.isfinite(z)]
    if len(x) < 2 or len(y) < 2 or not len(finite) or not finite.min() < level < finite.max():
        return
    lines = ax.contour(x, y, z, levels=[level], colors="white", linewidths=2.2)
    lines.set_path_effects([patheffects.withStroke(linewidth=3.6, foreground="black")])


def heatmap_figure(
    frame: pd.DataFrame, xlabel: str, ylabel: str, title: str, level: float = 0.5
) -> Figure:
    """Heatmaps of a probability over two axes, one panel per (row, col), with the contour.

    Args:
        frame: columns name, row, col, x, y, probability (see `heatmap_data`).
        xlabel, ylabel: axis labels with units.
        title: names the experiment and the number of runs.
        level: the probability whose contour is drawn (white, outlined black).
    """
    rows, cols = int(frame["row"].max()) + 1, int(frame["col"].max()) + 1
    fig = Figure(figsize=(min(3.4 * cols + 1.6, 20), 2.9 * rows + 1.0), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    mesh = None
    for (row, col), panel in frame.groupby(["row", "col"]):
        ax = axes[row, col]
        x, y, z = heatmap_matrix(panel)
        mesh = ax.pcolormesh(x, y, z, cmap="cividis", vmin=0, vmax=1, shading="nearest")
        _contour(ax, x, y, z, level)
        ax.set_title(str(panel["name"].iloc[0]), fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    for ax in axes.ravel():
        if not ax.has_data():
            ax.set_visible(False)
    for ax in axes[-1, :]:
        ax.set_xlabel(xlabel, fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=9)
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, label=f"Probability (white line: {level:g})", shrink=0.8)
    fig.suptitle(title)
    return fig


def factor_curve_figure(table: pd.DataFrame, factor: str, title: str, level: float = 0.5) -> Figure:
    """P(rung k by month T) along a factor with 95% Wilson bands: rows rungs, columns months."""
    rungs, months = sorted(table["rung"].unique()), sorted(table["month"].unique())
    # Lines in design order (scenarios as listed in the experiment), not in plotting order.
    lines = list(dict.fromkeys(table.sort_values("design_point")["line"]))
    fig = Figure(figsize=(3.6 * len(months) + 2.8, 2.5 * len(rungs) + 1.0), layout="constrained")
    axes = fig.subplots(len(rungs), len(months), squeeze=False, sharex=True, sharey=True)
    for (i, rung), (j, month) in itertools.product(enumerate(rungs), enumerate(months)):
        ax = axes[i, j]
        cell = table[(table["rung"] == rung) & (table["month"] == month)]
        for n, line in enumerate(lines):
            rows = cell[cell["line"] == line]
            colour = OKABE_ITO[n % len(OKABE_ITO)]
            ax.fill_between(
                rows[factor], rows["lower"], rows["upper"], color=colour, alpha=0.12, lw=0
            )
            ax.plot(
                rows[factor],
                rows["probability"],
                color=colour,
                lw=1.8,
                marker="o",
                ms=3,
                label=line,
            )
        ax.axhline(level, color="0.4", linestyle=":", linewidth=1)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.set_title(f"rung {rung}+ by month {month}", fontsize=9)
    for ax in axes[-1, :]:
        ax.set_xlabel(factor_label(factor), fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel("P(rung k+ by T)", fontsize=9)
    fig.legend(
        *axes[0, 0].get_legend_handles_labels(),
        loc="outside right center",
        frameon=False,
        fontsize=8,
        title="band: 95% Wilson",
        title_fontsize=8,
    )
    fig.suptitle(title)
    return fig


def _km_step(curve: pd.DataFrame, horizon: int) -> tuple[np.ndarray, ...]:
    """A KM curve as a step from month 0 (nothing reached) to the horizon."""
    month = np.concatenate([[0], curve["month"].to_numpy(), [horizon]])
    values = [
        np.concatenate([[0.0], curve[c].to_numpy(), curve[c].to_numpy()[-1:]])
        for c in ("reached", "reached_lower", "reached_upper")
    ]
    return month, *values


def km_figure(curves: pd.DataFrame, factor: str | None, horizon: int, title: str) -> Figure:
    """Kaplan-Meier curves of the time to each rung: rows scenarios, columns rungs.

    With a factor, each design point is one curve coloured by the factor's value (cividis);
    without, one curve per scenario. The shaded band is the pointwise 95% log-log interval.
    """
    scenarios = list(dict.fromkeys(curves["scenario"]))
    rungs = sorted(curves["rung"].unique())
    fig = Figure(figsize=(3.3 * len(rungs) + 1.8, 2.3 * len(scenarios) + 1.0), layout="constrained")
    axes = fig.subplots(len(scenarios), len(rungs), squeeze=False, sharex=True, sharey=True)
    norm = Normalize(curves[factor].min(), curves[factor].max()) if factor else None
    for (i, scenario), (j, rung) in itertools.product(enumerate(scenarios), enumerate(rungs)):
        ax = axes[i, j]
        cell = curves[(curves["scenario"] == scenario) & (curves["rung"] == rung)]
        for _, curve in cell.groupby("design_point", sort=True):
            colour = colormaps["cividis"](norm(curve[factor].iloc[0])) if factor else OKABE_ITO[i]
            month, reached, low, high = _km_step(curve.sort_values("month"), horizon)
            if cell["design_point"].nunique() <= 4:  # more bands would hide the curves
                ax.fill_between(month, low, high, step="post", color=colour, alpha=0.15, lw=0)
            ax.step(month, reached, where="post", color=colour, lw=1.5)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlim(0, horizon)
        ax.grid(alpha=0.3)
        ax.set_title(f"{scenario}: rung {rung}+", fontsize=9)
    for ax in axes[-1, :]:
        ax.set_xlabel("Months from March 2022", fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel("P(reached by month)", fontsize=9)
    if factor:
        fig.colorbar(
            ScalarMappable(norm, "cividis"), ax=axes, label=factor_label(factor), shrink=0.8
        )
    fig.suptitle(title)
    return fig


def threshold_figure(
    table: pd.DataFrame, factor: str, low: float, high: float, title: str
) -> Figure:
    """Thresholds with their bootstrap intervals; curves that never cross are marked as such.

    One row per curve (scenario, held factors, rung, month). A found threshold is a dot with its
    interval (hollow when fewer than 95% of resamples cross); a curve that never crosses is a
    grey cross at the edge of the factor's range, with the analysis' note in words.
    """
    labels = [
        f"{r.scenario}: rung {r.rung}+ by month {r.month}" for r in table.itertuples(index=False)
    ]
    fig = Figure(figsize=(10, 0.3 * len(table) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    span = high - low
    for y, row in enumerate(table.itertuples(index=False)):
        if np.isfinite(row.threshold):
            solid = not (row.crossing_share < 0.95)
            colour = OKABE_ITO[0]
            if np.isfinite(row.lower):
                ax.plot([row.lower, row.upper], [y, y], color=colour, lw=2)
            ax.plot(
                row.threshold, y, "o", ms=7, color=colour, mfc=colour if solid else "white", mew=1.5
            )
            if not solid:
                ax.annotate(
                    f"crosses in {row.crossing_share:.0%} of resamples",
                    (row.threshold, y),
                    xytext=(8, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7,
                    color="0.3",
                )
        else:
            edge = high if "below" in str(row.note) else low
            ax.plot(edge, y, "x", ms=7, color="0.45", mew=2)
            ax.annotate(
                str(row.note),
                (low + span / 2, y),
                ha="center",
                va="center",
                fontsize=7,
                color="0.35",
                style="italic",
            )
    ax.set_yticks(range(len(table)), labels, fontsize=8)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(low - 0.03 * span, high + 0.03 * span)
    ax.set_xlabel(f"Threshold: {factor_label(factor)}", fontsize=9)
    ax.set_ylabel("Curve (scenario, rung, month T)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig


def sweep_figure_set(sweep: Sweep) -> dict[str, Figure]:
    """Every figure that suits the sweep, by file name (without suffix)."""
    figures: dict[str, Figure] = {}
    frames, xlabel, ylabel = heatmap_data(sweep)
    for name, frame in frames.items():
        figures[name] = heatmap_figure(
            frame, xlabel, ylabel, f"{frame.attrs['title']} ({sweep.label})", sweep.level
        )
    for factor in sweep.numeric if _is_grid(sweep) else []:
        short = factor.split(".")[-1]
        table, note = factor_curves(sweep, factor)
        figures[f"probability_{short}"] = factor_curve_figure(
            table, factor, _title(f"P(rung k+ by month T) along {short}", sweep, note), sweep.level
        )
        rows, note = threshold_rows(sweep, factor)
        if len(rows):
            figures[f"thresholds_{short}"] = threshold_figure(
                rows,
                factor,
                float(sweep.design[factor].min()),
                float(sweep.design[factor].max()),
                _title(f"Where P crosses {sweep.level:g} along {short}", sweep, note),
            )
    curves, note = km_curves(sweep)
    figures["time_to_rung"] = km_figure(
        curves,
        sweep.numeric[0] if sweep.numeric else None,
        sweep.months,
        _title("Time to each rung (Kaplan-Meier; 95% band where <= 4 curves)", sweep, note),
    )
    return figures


def _title(what: str, sweep: Sweep, note: str) -> str:
    return f"{what} ({sweep.label})" + (f"\n{note}" if note else "")


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
    return OKABE_ITO[list(scenarios).index(scenario) % len(OKABE_ITO)]


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
            ax.plot(part["date"], part["probability"], color=colour, lw=1.8, label=scenario)
        ax.set_title(f"rung {rung}+ {RUNG_LABELS[int(rung)]}", fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.set_ylabel("P(reached by month)")
        ax.set_xlim(curves["date"].min(), curves["date"].max())
        _date_axis(ax, "Year")
    for ax in axes[len(rungs) :]:
        ax.set_visible(False)
    _bottom_labels_only(axes, cols, len(rungs))
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
        wide = shares[shares["scenario"] == scenario].pivot(
            index="date", columns="rung", values="share"
        )
        ax.stackplot(
            wide.index,
            *(wide[k].to_numpy() for k in wide.columns),
            colors=[RUNG_COLOURS[k] for k in wide.columns],
            labels=[f"{k} {RUNG_LABELS[k]}" for k in wide.columns],
        )
        ax.set_ylim(0, 1)
        ax.set_xlim(wide.index[0], wide.index[-1])
        ax.set_title(scenario, fontsize=10)
        ax.set_ylabel("Share of runs")
        _date_axis(ax, "Year")
    for ax in axes[len(scenarios) :]:
        ax.set_visible(False)
    _bottom_labels_only(axes, cols, len(scenarios))
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
            ax.plot(q["date"], q["q50"], color=colour, lw=1.8, label=scenario)
        ax.set_title(axis_label(variable).replace(" (", "\n(", 1), fontsize=9)
        ax.set_ylabel(_UNITS.get(_VARIABLES[variable].unit, _VARIABLES[variable].unit))
        ax.grid(alpha=0.3)
        ax.set_xlim(quantiles["date"].min(), quantiles["date"].max())
        _date_axis(ax, "Year")
    for ax in axes[len(variables) :]:
        ax.set_visible(False)
    _bottom_labels_only(axes, cols, len(variables))
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
        ax.plot([row.diff_lower, row.diff_upper], [y, y], color=colour, lw=2.2)
        ax.plot(row.difference, y, "o", color=colour, ms=6)
        labels.append(f"{row.scenario}: rung {row.rung}+ by month {row.month}")
    ax.set_yticks(range(len(table)), labels, fontsize=8)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(-1.02, 1.02)
    ax.set_xlabel(f"Difference in P(rung k+ by month T) to {reference} (95% interval: {method})")
    ax.set_ylabel("Scenario, rung, month")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig
