"""Figures of a sweep: heatmaps, probability along a factor, Kaplan-Meier curves, thresholds."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.analysis.probabilities import (
    median_times,
    thresholds,
)
from sim.analysis.sweep_analysis import (
    newest_analysis,
    point_curves,
    point_probabilities,
    read_options,
)
from sim.engine.store import read_manifest, read_table
from sim.model.params import PARAMS_BY_PATH
from sim.plots.style import OKABE_ITO, inward_x_ticks, series_style, wrap_title

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
        tables: the analysis tables by name (read from an analysis folder, or computed when
            missing).
        computed: the names of the tables that were computed here rather than read.
        level: the probability whose crossing the thresholds locate.
        analysis: the analysis folder the tables were read from (None: none was).
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
    analysis: Path | None = None

    @property
    def label(self) -> str:
        """'<experiment>, N runs' for titles."""
        return f"{self.name}, {self.runs:,} runs"


def load_sweep(directory: Path, analysis: Path | None = None) -> Sweep:
    """Read a complete sweep directory's design and analysis tables.

    The tables are read from `analysis` (an analysis folder), by default the newest analysis
    (``sim.analysis.sweep_analysis.newest_analysis``). A table missing there, or all of them
    when the sweep has no analysis (e.g. one run with `analysis.run=false`), is computed in
    memory from the run summaries with the sim.analysis.probabilities functions and the stored
    analysis settings; nothing is written.
    """
    from omegaconf import OmegaConf

    directory = Path(directory)
    cfg = OmegaConf.load(directory / "config.yaml")
    manifest = read_manifest(directory)
    design = read_table(directory / "design.parquet")
    factors = [c for c in design.columns if c not in ("design_point", "scenario")]
    numeric = [f for f in factors if pd.api.types.is_numeric_dtype(design[f])]
    analysis = analysis or newest_analysis(directory)
    tables = {
        name: read_table(analysis / f"{name}.parquet")
        for name in ANALYSIS_TABLES
        if analysis is not None and (analysis / f"{name}.parquet").exists()
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
        level=_level(analysis, cfg, computed),
        analysis=analysis if len(computed) < len(ANALYSIS_TABLES) else None,
    )


def _level(analysis: Path | None, cfg: Any, computed: list[str]) -> float:
    """The level the thresholds were found at: as recorded by `analyze`, else config.yaml's.

    `analyze level=0.25` writes an analysis but does not change config.yaml; figures must name
    the level of the tables they draw.
    """

    recorded = read_options(analysis).get("level")
    if recorded is not None and "thresholds" not in computed:
        return float(recorded)
    return float(cfg.analysis.level)


def _compute_tables(
    directory: Path, cfg: Any, design: pd.DataFrame, factors: list[str], names: list[str]
) -> dict[str, pd.DataFrame]:
    """The analysis tables `names`, computed as sim.analysis.sweep_analysis.analyze_sweep does
    (not written)."""

    opts = cfg.analysis
    horizon = int(cfg.months)
    months = [int(m) for m in opts.months if m <= horizon] or [horizon]
    rungs = [int(k) for k in opts.rungs]
    probs, summary = point_probabilities(directory, design, months, rungs, opts.confidence)
    curves = point_curves(summary, probs, horizon, rungs, opts.confidence)
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
    """'kazakhstan.multivector (1)': the factor's path and unit from sim.model.params."""

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


def short_name(factor: str, sweep: Sweep) -> str:
    """A factor's last name (drift_pace), or its whole path where two factors share it
    (turkey.reliability and china.reliability), so labels and file names stay apart."""
    last = factor.split(".")[-1]
    factors = [c for c in sweep.design.columns if c not in ("design_point", "scenario")]
    clash = sum(1 for f in factors if f.split(".")[-1] == last) > 1
    return factor if clash else last


def file_part(name: str) -> str:
    """A factor name as part of a file name (dots become underscores)."""
    return name.replace(".", "_")


def _hold_others(
    table: pd.DataFrame, sweep: Sweep, free: Sequence[str]
) -> tuple[pd.DataFrame, str]:
    """Rows where each numeric factor not in `free` is at its middle level; a note saying so."""
    held = [f for f in sweep.numeric if f not in free]
    for factor in held:
        table = table[np.isclose(table[factor], _middle(sweep.design[factor]))]
    note = ", ".join(f"{short_name(f, sweep)} = {_middle(sweep.design[f]):g}" for f in held)
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
    if not sweep.numeric or not is_grid(sweep):
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


def is_grid(sweep: Sweep) -> bool:
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
            # One line per part: three panels side by side hold ~35 characters a line each.
            name = "\n".join(
                [
                    str(key[0]),
                    *(
                        f"{short_name(f, sweep)} = {v:g}"
                        for f, v in zip(others, key[1:], strict=True)
                    ),
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
        shown, every = _levels(sweep.design[others[0]], 5), sweep.design[others[0]].nunique()
        table = table[table[others[0]].isin(shown)]
        if len(shown) < every:  # say so: a legend without a level reads as if it were missing
            picked = f"{short_name(others[0], sweep)}: {len(shown)} of its {every} levels shown"
            note = f"{note}; {picked}" if note else picked
        line = [
            f"{s}, {short_name(others[0], sweep)} = {v:g}"
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
    top = colour_top(frame["probability"])
    for (row, col), panel in frame.groupby(["row", "col"]):
        ax = axes[row, col]
        x, y, z = heatmap_matrix(panel)
        mesh = ax.pcolormesh(x, y, z, cmap="cividis", vmin=0, vmax=top, shading="nearest")
        _contour(ax, x, y, z, level)
        ax.set_title(str(panel["name"].iloc[0]), fontsize=8)
        level_ticks(ax.xaxis, x)
        level_ticks(ax.yaxis, y)
    for ax in axes.ravel():
        if not ax.has_data():
            ax.set_visible(False)
    for ax in axes[-1, :]:
        ax.set_xlabel(xlabel, fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=9)
    if mesh is not None:
        scale = "" if top == 1 else f"; scale to {top:g}"
        fig.colorbar(mesh, ax=axes, label=f"Probability (white line: {level:g}{scale})", shrink=0.8)
    fig.suptitle(wrap_title(title, fig))
    return fig


def level_ticks(axis, levels: np.ndarray, most: int = 6) -> None:
    """Ticks at the factor's own levels (every other one when there are many), so that no
    tick names a value outside the sweep's range; a long axis (months) keeps round ticks."""
    levels = np.unique(levels)
    if len(levels) > 2 * most:
        axis.set_major_locator(MaxNLocator(5, integer=True))
        return
    shown = levels[:: -(-len(levels) // most)]
    axis.set_ticks(shown, [f"{v:g}" for v in shown])


def colour_top(probabilities: pd.Series) -> float:
    """The top of the colour scale: 1, or a smaller round number when every P is small.

    On a fixed 0-1 scale, probabilities of 0.01-0.12 all look the same colour.
    """
    highest = float(np.nanmax(probabilities)) if len(probabilities) else 1.0
    if not np.isfinite(highest) or highest > 0.5:
        return 1.0
    return float(min(1.0, max(0.05, np.ceil(highest * 20) / 20)))


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
            colour, style = series_style(n)
            ax.fill_between(
                rows[factor], rows["lower"], rows["upper"], color=colour, alpha=0.12, lw=0
            )
            ax.plot(
                rows[factor],
                rows["probability"],
                color=colour,
                linestyle=style,
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
            colour, style = series_style(i)  # one scenario per panel row
            if factor:
                colour, style = colormaps["cividis"](norm(curve[factor].iloc[0])), "-"
            month, reached, low, high = _km_step(curve.sort_values("month"), horizon)
            if cell["design_point"].nunique() <= 4:  # more bands would hide the curves
                ax.fill_between(month, low, high, step="post", color=colour, alpha=0.15, lw=0)
            ax.step(month, reached, where="post", color=colour, linestyle=style, lw=1.5)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlim(0, horizon)
        inward_x_ticks(ax, 0, horizon)
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
    # At least 2.8 in tall: the y label must fit beside a single curve.
    fig = Figure(figsize=(10, max(0.3 * len(table) + 1.6, 2.8)), layout="constrained")
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
    for factor in sweep.numeric if is_grid(sweep) else []:
        short = short_name(factor, sweep)
        table, note = factor_curves(sweep, factor)
        figures[f"probability_{file_part(short)}"] = factor_curve_figure(
            table, factor, _title(f"P(rung k+ by month T) along {short}", sweep, note), sweep.level
        )
        rows, note = threshold_rows(sweep, factor)
        if len(rows):
            figures[f"thresholds_{file_part(short)}"] = threshold_figure(
                rows,
                factor,
                float(sweep.design[factor].min()),
                float(sweep.design[factor].max()),
                _title(f"Where P crosses {sweep.level:g} along {short}", sweep, note),
            )
    if sweep.tables["time_to_escalation"].empty:
        return figures  # Sobol and Morris designs: no per-point curves (sensitivity figures)
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
