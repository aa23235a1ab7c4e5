"""Figures of a threshold study (``python -m sim threshold``, docs/thresholds.md).

One factor: the fitted probability along the range with its band, the level, the crossing and
its interval, and below it where each batch's runs went. Two factors: the fitted probability
as a map, the level line with its band, and the evaluated points. Several studies
(``sim compare``): their crossings side by side.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from sim.engine.config_file import read_config
from sim.engine.store import read_manifest, read_table
from sim.plots.policy import lever_label
from sim.plots.style import OKABE_ITO

TABLES = ("threshold", "evaluations", "curve")
CURVE_COLOUR, LEVEL_COLOUR, CROSSING_COLOUR = OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[3]


@dataclass
class ThresholdResult:
    """A complete threshold directory's settings and tables."""

    directory: Path
    scenario: str
    factors: list[str]
    outcome: str
    level: float
    confidence: float
    answer: str
    threshold: pd.DataFrame
    evaluations: pd.DataFrame
    curve: pd.DataFrame

    @property
    def runs(self) -> int:
        return int(self.evaluations["runs"].sum())

    @property
    def title(self) -> str:
        return f"{self.scenario}: P({self.outcome}) = {self.level:g}, {self.runs:,} runs"


def load_threshold(directory: Path) -> ThresholdResult:
    directory = Path(directory)
    cfg = read_config(directory)
    manifest = read_manifest(directory)
    tables = {name: read_table(directory / f"{name}.parquet") for name in TABLES}
    return ThresholdResult(
        directory,
        str(cfg.scenario),
        [str(f) for f in manifest["factors"]],
        str(manifest["outcome"]),
        float(cfg.level),
        float(cfg.confidence),
        str(manifest.get("answer", "")),
        **tables,
    )


def threshold_figure_set(result: ThresholdResult) -> dict[str, Figure]:
    if len(result.factors) == 1:
        return {"threshold_curve": curve_figure(result)}
    return {"threshold_line": line_figure(result)}


def curve_figure(result: ThresholdResult) -> Figure:
    """The fitted probability with its band, the level and the crossing; the batches below."""
    factor = result.factors[0]
    row = result.threshold.iloc[0]
    fig = Figure(figsize=(7.5, 6.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.3])
    curve = result.curve
    x = curve[factor].to_numpy()
    top.fill_between(
        x, curve["lower"], curve["upper"], color=CURVE_COLOUR, alpha=0.2,
        label=f"{result.confidence:.0%} band of the fit",
    )  # fmt: skip
    top.plot(x, curve["probability"], color=CURVE_COLOUR, label="fitted probability (logistic)")
    points = result.evaluations.groupby(factor, as_index=False)[["runs", "successes"]].sum()
    top.scatter(
        points[factor], points["successes"] / points["runs"], s=8 + 60 * points["runs"] /
        points["runs"].max(), color="black", alpha=0.6, zorder=3,
        label="share of runs at an evaluated value (size: runs)",
    )  # fmt: skip
    top.axhline(result.level, color=LEVEL_COLOUR, linestyle="--", label=f"level {result.level:g}")
    if row["status"] == "crossed":
        top.axvspan(row["lower"], row["upper"], color=CROSSING_COLOUR, alpha=0.15, lw=0)
        top.axvline(
            row["crossing"], color=CROSSING_COLOUR,
            label=f"crossing {row['crossing']:.3g} [{row['lower']:.3g}, {row['upper']:.3g}]",
        )  # fmt: skip
    else:
        top.errorbar(
            [row["closest"]], [row["probability"]],
            # an interval from the fit's band can sit a hair off the point: never negative
            yerr=[[max(0.0, row["probability"] - row["probability_lower"])],
                  [max(0.0, row["probability_upper"] - row["probability"])]],
            color=CROSSING_COLOUR, fmt="o", capsize=4,
            label=f"closest: {row['probability']:.3f} ({row['status']})",
        )  # fmt: skip
    top.set_ylabel(f"P({result.outcome})")
    top.set_ylim(0, max(1.05 * float(curve["upper"].max()), 1.5 * result.level))
    top.legend(fontsize=8, loc="best")
    top.set_title(_wrapped(result), fontsize=10)
    evaluations = result.evaluations
    bottom.scatter(
        evaluations[factor], evaluations["batch"] + 1, s=6 + 40 * evaluations["runs"] /
        evaluations["runs"].max(), color=CURVE_COLOUR,
    )  # fmt: skip
    bottom.set_ylabel("batch")
    bottom.invert_yaxis()
    bottom.set_xlabel(lever_label(factor))
    return fig


def line_figure(result: ThresholdResult) -> Figure:
    """The fitted probability map, the level line with its band, the evaluated points."""
    a, b = result.factors
    grid = result.curve
    xs, ys = np.sort(grid[a].unique()), np.sort(grid[b].unique())
    p = grid.pivot(index=b, columns=a, values="probability").loc[ys, xs].to_numpy()
    band = grid.pivot(index=b, columns=a, values="in_band").loc[ys, xs].to_numpy(dtype=float)
    fig = Figure(figsize=(7.2, 6.0), layout="constrained")
    ax = fig.subplots()
    mesh = ax.pcolormesh(xs, ys, p, cmap=colormaps["cividis"], shading="auto", vmin=0)
    fig.colorbar(mesh, ax=ax, label=f"fitted P({result.outcome})")
    ax.contourf(xs, ys, band, levels=[0.5, 1.5], colors=["white"], alpha=0.35)
    ax.contour(xs, ys, band, levels=[0.5], colors=["white"], linewidths=0.8, linestyles=":")
    lines = ax.contour(xs, ys, p, levels=[result.level], colors=[LEVEL_COLOUR], linewidths=2)
    ax.clabel(lines, fmt={result.level: f"P = {result.level:g}"}, fontsize=8)
    points = result.evaluations.groupby([a, b], as_index=False)["runs"].sum()
    ax.scatter(
        points[a], points[b], s=6 + 50 * points["runs"] / points["runs"].max(),
        color="black", edgecolor="white", linewidth=0.5, zorder=3,
    )  # fmt: skip
    ax.set_xlabel(lever_label(a))
    ax.set_ylabel(lever_label(b))
    ax.set_title(
        _wrapped(result) + f"\nlevel line (orange), {result.confidence:.0%} band (pale, dotted); "
        "dots: evaluated points (size: runs)",
        fontsize=9,
    )
    return fig


def _wrapped(result: ThresholdResult) -> str:
    return "\n".join(textwrap.wrap(f"{result.title}. {result.answer}", 95))


def comparison_figure(results: list[ThresholdResult], labels: list[str]) -> Figure:
    """Each study's crossing with its interval (or closest probability), one row each."""
    fig = Figure(figsize=(7.5, 1.2 + 0.5 * len(results)), layout="constrained")
    ax = fig.subplots()
    for k, (result, label) in enumerate(zip(results, labels, strict=True)):
        row = result.threshold.iloc[0]
        if row["status"] == "crossed":
            ax.errorbar(
                [row["crossing"]], [k], xerr=[[max(0.0, row["crossing"] - row["lower"])],
                [max(0.0, row["upper"] - row["crossing"])]], fmt="o", color=CURVE_COLOUR, capsize=4,
            )  # fmt: skip
        else:
            ax.text(0.02, k, f"{label}: {row['status']}", transform=ax.get_yaxis_transform())
    ax.set_yticks(range(len(results)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(lever_label(results[0].factors[0]))
    ax.set_title(f"Where P({results[0].outcome}) crosses {results[0].level:g}", fontsize=10)
    return fig


def comparison_lines_figure(results: list[ThresholdResult], labels: list[str]) -> Figure:
    """Two-factor studies: each level line with its band (along the second factor), overlaid."""
    a, b = results[0].factors
    fig = Figure(figsize=(7.2, 5.6), layout="constrained")
    ax = fig.subplots()
    for k, (result, label) in enumerate(zip(results, labels, strict=True)):
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        line = result.threshold.dropna(subset=["crossing"]).sort_values(a)
        if line.empty:
            ax.plot([], [], color=colour, label=f"{label}: {line_status(result)}")
            continue
        ax.fill_between(line[a], line["lower"], line["upper"], color=colour, alpha=0.25, lw=0)
        ax.plot(line[a], line["crossing"], color=colour, lw=2, label=label)
    ax.set_xlabel(lever_label(a))
    ax.set_ylabel(lever_label(b))
    ax.legend(fontsize=8, loc="best")
    ax.set_title(
        f"Where each study's probability crosses its level (legend): level lines with their "
        f"{results[0].confidence:.0%} bands (along {b})",
        fontsize=9,
    )
    return fig


def line_status(result: ThresholdResult) -> str:
    """Why a 2-factor study has no level line to draw."""
    status = result.threshold["status"].iloc[0]
    return "level never crossed in the range" if status == "not crossed" else str(status)
