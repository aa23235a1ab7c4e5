"""Figures of sensitivity analysis and scenario discovery, drawn from a sweep's tables.

``sensitivity_figures(directory)`` returns every figure that suits a sweep directory: Sobol
bars with intervals (``analysis/<key>/sobol.parquet``), Morris mu*-sigma charts
(``analysis/<key>/morris.parquet``) and, for each ``discovery/<question>/``, the PRIM peeling
trade-off and the chosen box's limits. Each figure function takes a tidy table and returns a
``matplotlib.figure.Figure`` (no pyplot, no global state), like ``sim.plots``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from sim.analysis.discovery import factor_label
from sim.analysis.sensitivity import headline_outcomes
from sim.analysis.sweep_analysis import newest_analysis
from sim.engine.store import read_table
from sim.plots.style import OKABE_ITO, wrap_title

PANEL = (4.6, 3.6)  # inches per panel


def _grid(count: int, columns: int = 3) -> tuple[int, int]:
    columns = min(columns, count)
    return math.ceil(count / columns), columns


def _noise_text(noise: pd.DataFrame | None, outcome: str) -> str:
    if noise is None or noise.empty:
        return ""
    row = noise[noise["outcome"] == outcome]
    share = float(row["noise_share"].iloc[0]) if len(row) else np.nan
    return f"\nreplicate noise {100 * share:.0f}% of variance" if np.isfinite(share) else ""


# --- Sobol -----------------------------------------------------------------------------------
def sobol_figure(table: pd.DataFrame, noise: pd.DataFrame | None = None, title: str = "") -> Figure:
    """First-order and total indices with their intervals, one panel per headline outcome.

    Args:
        table: the ``sobol`` table of one scenario.
        noise: the ``sensitivity_noise`` table of the same scenario (shown in panel titles).
    """
    outcomes = headline_outcomes(table["outcome"].unique())
    order = table.groupby("factor")["ST"].mean().sort_values().index  # most important on top
    rows, cols = _grid(len(outcomes))
    fig = Figure(figsize=(PANEL[0] * cols + 1.5, 0.3 * len(order) * rows + 1.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    y = np.arange(len(order))
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        frame = table[table["outcome"] == outcome].set_index("factor").reindex(order)
        ax.set_title(frame["label"].dropna().iloc[0] + _noise_text(noise, outcome), fontsize=9)
        if frame["ST"].isna().all():  # no axis to read: say why the panel is empty
            _no_variance(ax, "no variance to apportion")  # shared y: the names come back below
            continue
        for offset, key, colour in ((0.2, "S1", OKABE_ITO[0]), (-0.2, "ST", OKABE_ITO[1])):
            ax.barh(
                y + offset,
                frame[key].fillna(0.0),
                height=0.38,
                xerr=frame[f"{key}_conf"].fillna(0.0),
                color=colour,
                error_kw={"elinewidth": 0.8, "capsize": 2},
                label={"S1": "first order S1", "ST": "total ST"}[key],
            )
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlabel("Sobol index (bar: 95% interval)")
    for ax in axes.flat[len(outcomes) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_yticks(y, [factor_label(f) for f in order], fontsize=8)
    handles = {}
    for ax in axes.flat:
        handles.update(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="lower center",
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    fig.suptitle(title or "Sobol indices", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


# --- Morris ----------------------------------------------------------------------------------
def morris_figure(table: pd.DataFrame, title: str = "", labelled: int = 6) -> Figure:
    """mu* against sigma per factor, one panel per headline outcome.

    Lines sigma/mu* = 0.1, 0.5 and 1 separate (almost) linear, monotonic, and non-linear or
    interacting effects (Garcia Sanchez et al. 2014); the `labelled` largest mu* are named,
    their labels spread apart so that none covers another. An outcome that is the same in
    every sample (every run reaches rung 2, say) has no effects to show: its panel says so.
    """
    outcomes = headline_outcomes(table["outcome"].unique())
    groups = sorted({f.split(".")[0] for f in table["factor"]})
    colour = {g: OKABE_ITO[i % len(OKABE_ITO)] for i, g in enumerate(groups)}
    rows, cols = _grid(len(outcomes))
    fig = Figure(figsize=(PANEL[0] * cols, PANEL[1] * rows + 0.9))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        frame = table[table["outcome"] == outcome]
        ax.set_title(frame["label"].iloc[0], fontsize=9)
        if not np.nanmax(frame["mu_star"].to_numpy(float), initial=0.0) > 0:
            _no_variance(ax)
            continue
        for group in groups:
            part = frame[frame["factor"].str.startswith(group + ".")]
            ax.errorbar(
                part["mu_star"],
                part["sigma"],
                xerr=part["mu_star_conf"],
                fmt="o",
                markersize=4,
                color=colour[group],
                elinewidth=0.6,
                label=group,
            )
        top = float(frame["mu_star"].max()) * 1.1
        for ratio in (0.1, 0.5, 1.0):
            ax.plot([0, top], [0, ratio * top], color="grey", linewidth=0.6, linestyle="--")
            ax.annotate(f"{ratio:g}", (top, ratio * top), fontsize=7, color="grey")
        ax.set_xlim(0, top * 1.15)
        ax.set_ylim(0, max(float(frame["sigma"].max()), 1e-9) * 1.15)
        _spread_labels(ax, frame.nlargest(labelled, "mu_star"))
        ax.set_xlabel("mu* (mean |elementary effect|)")
        ax.set_ylabel("sigma (spread of effects)")
    for ax in axes.flat[len(outcomes) :]:
        ax.set_visible(False)
    handles = {}
    for ax in axes.flat:
        handles.update(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    fig.legend(  # below the panels, where it hides no point
        list(handles.values()),
        list(handles),
        loc="lower center",
        ncols=min(len(handles), 8),
        fontsize=8,
        frameon=False,
        title="factor group (bar: 95% interval of mu*)",
        title_fontsize=8,
    )
    fig.suptitle(title or "Morris screening", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def _no_variance(ax, what: str = "no elementary effects to show") -> None:
    """A panel with nothing to show: the outcome never varies across the samples."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(
        0.5,
        0.5,
        f"the same in every sample:\n{what}",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=9,
        color="0.3",
    )


def _spread_labels(ax, points: pd.DataFrame, gap: float = 0.075) -> None:
    """Name the points, their labels at least `gap` (axes fraction) apart vertically.

    Labels start at their point's height and are pushed apart, top to bottom; a label whose
    point is in the right half of the panel is written to the left of it, so none runs past
    the panel's edge. A thin line joins a label that moved to its point.
    """
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    fx = (points["mu_star"].to_numpy(float) - x0) / (x1 - x0)
    fy = (points["sigma"].to_numpy(float) - y0) / (y1 - y0)
    order = np.argsort(-fy)
    placed = np.empty(len(fy))
    level = 0.97 + gap
    for i in order:  # from the top down, each label below the previous one
        level = min(fy[i], level - gap)
        placed[i] = level
    if len(placed) and placed.min() < 0.03:  # ran off the bottom: lift them all
        placed += 0.03 - placed.min()
    for i, r in enumerate(points.itertuples()):
        left = fx[i] > 0.5
        ax.annotate(
            factor_label(r.factor),
            (fx[i], fy[i]),
            xycoords="axes fraction",
            xytext=(fx[i] + (-0.03 if left else 0.03), placed[i]),
            textcoords="axes fraction",
            ha="right" if left else "left",
            va="center",
            fontsize=7,
            arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5},
        )


# --- PRIM ------------------------------------------------------------------------------------
def tradeoff_figure(trajectory: pd.DataFrame, title: str = "") -> Figure:
    """Coverage against density along each box's peeling trajectory, by restricted dims."""
    boxes = sorted(trajectory["box"].unique())
    fig = Figure(figsize=(5.2 * len(boxes), 4.2))
    axes = fig.subplots(1, len(boxes), squeeze=False)[0]
    most = int(trajectory["res_dim"].max())
    cmap = ListedColormap(colormaps["viridis"](np.linspace(0, 1, most + 1)))
    norm = BoundaryNorm(np.arange(-0.5, most + 1.5), cmap.N)
    for ax, number in zip(axes, boxes, strict=True):
        frame = trajectory[trajectory["box"] == number]
        points = ax.scatter(
            frame["coverage"], frame["density"], c=frame["res_dim"], cmap=cmap, norm=norm, s=18
        )
        chosen = frame[frame["chosen"]]
        ax.scatter(
            chosen["coverage"], chosen["density"], s=120, facecolors="none", edgecolors="red"
        )
        for r in chosen.itertuples():
            ax.annotate(  # off the points, with an arrow: the label no longer hides them
                f"chosen: step {r.step}",
                (r.coverage, r.density),
                fontsize=8,
                xytext=(-60, -40),
                textcoords="offset points",
                color="red",
                arrowprops={"arrowstyle": "->", "color": "red", "lw": 0.8},
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        ax.set_xlabel("coverage (share of cases of interest in the box)")
        ax.set_ylabel("density (share of the box's cases of interest)")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"box {number}", fontsize=9)
        fig.colorbar(points, ax=ax, ticks=range(most + 1), label="restricted dimensions")
    fig.suptitle(title or "PRIM peeling trajectory", fontsize=10)
    fig.tight_layout()
    return fig


def limits_figure(limits: pd.DataFrame, title: str = "") -> Figure:
    """The chosen box against each restricted factor's full range (numbers at the ends)."""
    shown = limits[limits["restricted"]]
    shown = shown if len(shown) else limits
    fig = Figure(figsize=(7.5, 0.55 * len(shown) + 1.6), layout="constrained")
    ax = fig.subplots()
    for i, r in enumerate(shown.itertuples()):
        y = len(shown) - 1 - i
        ax.plot([0, 1], [y, y], color="lightgrey", linewidth=8, solid_capstyle="butt")
        if r.kind == "numeric":
            _numeric_limit(ax, r, y)
        else:
            _categorical_limit(ax, r, y)
    ax.set_yticks(range(len(shown)), [f"{r.label}" for r in shown.itertuples()][::-1])
    ax.set_xticks([0, 1], ["lowest in sweep", "highest"])
    ax.set_xlim(-0.15, 1.15)
    ax.set_ylim(-0.8, len(shown) - 0.2)
    # At 10 pt a 7.5 in figure holds about 80 characters a line: wrap, do not clip.
    ax.set_title(wrap_title(title or "PRIM box limits", Figure(figsize=(8.5, 1))), fontsize=10)
    return fig


def _numeric_limit(ax, r, y: float) -> None:
    width = r.full_high - r.full_low
    lo = (r.low - r.full_low) / width if width else 0.0
    hi = (r.high - r.full_low) / width if width else 1.0
    ax.plot([lo, hi], [y, y], color=OKABE_ITO[0], linewidth=8, solid_capstyle="butt")
    for x, value, align in ((lo, r.low, "right"), (hi, r.high, "left")):
        ax.annotate(f"{value:.3g}", (x, y + 0.18), fontsize=8, ha=align)
    ax.annotate(f"{r.full_low:.3g}", (-0.01, y - 0.38), fontsize=7, color="grey", ha="left")
    ax.annotate(f"{r.full_high:.3g}", (1.01, y - 0.38), fontsize=7, color="grey", ha="right")


def _categorical_limit(ax, r, y: float) -> None:
    everything = r.full_values.split(", ")
    inside = set(r.values.split(", "))
    for j, value in enumerate(everything):
        x = (j + 0.5) / len(everything)
        filled = value in inside
        ax.plot(
            x,
            y,
            "s",
            markersize=9,
            color=OKABE_ITO[0] if filled else "white",
            markeredgecolor=OKABE_ITO[0],
        )
        ax.annotate(value, (x, y + 0.2), fontsize=7, ha="center")


# --- a directory ------------------------------------------------------------------------------
def _read(path: Path) -> pd.DataFrame | None:
    return read_table(path) if path.exists() else None


def sensitivity_figures(directory: Path, analysis: Path | None = None) -> dict[str, Figure]:
    """Every sensitivity and discovery figure that suits a sweep directory (name -> Figure).

    The Sobol or Morris tables are read from `analysis` (an analysis folder), by default the
    sweep's newest. Empty when there are no such tables and no discovery results.
    """
    directory = Path(directory)
    figures: dict[str, Figure] = {}
    analysis = analysis or newest_analysis(directory)
    noise = _read(analysis / "sensitivity_noise.parquet") if analysis else None
    for key, draw in (("sobol", sobol_figure), ("morris", morris_figure)):
        table = _read(analysis / f"{key}.parquet") if analysis else None
        if table is None or table.empty:
            continue
        for scenario, frame in table.groupby("scenario", sort=False):
            title = f"{'Sobol indices' if key == 'sobol' else 'Morris screening'}: {scenario}"
            if key == "sobol":
                part = None if noise is None else noise[noise["scenario"] == scenario]
                figures[f"{key}_{scenario}"] = sobol_figure(frame, part, title)
            else:
                figures[f"{key}_{scenario}"] = draw(frame, title)
    for folder in sorted((directory / "discovery").glob("*/")):
        figures.update(discovery_figures(folder))
    return figures


def question_words(question: str) -> str:
    """A discovery folder's name in words: rung4_month120_points -> P(rung >= 4 by month 120)."""

    found = re.fullmatch(r"rung(\d+)_month(\d+)_(\w+)", question)
    if not found:
        return question
    rung, month, unit = found.groups()
    cases = {"points": "design points", "runs": "runs"}.get(unit, unit)
    return f"Cases of interest: rung {rung}+ by month {month} (cases are {cases})"


def discovery_figures(folder: Path) -> dict[str, Figure]:
    """The trade-off and each box's limits of one discovery question (<dir>/discovery/<q>)."""
    trajectory = _read(folder / "trajectory.parquet")
    limits = _read(folder / "limits.parquet")
    if trajectory is None or limits is None or trajectory.empty:
        return {}
    question = folder.name
    words = question_words(question)
    figures = {f"discovery_{question}_tradeoff": tradeoff_figure(trajectory, words)}
    for number, frame in limits.groupby("box"):
        stats = trajectory[(trajectory["box"] == number) & trajectory["chosen"]].iloc[0]
        title = (
            f"{words}\nbox {number}: coverage {stats['coverage']:.0%}, "
            f"density {stats['density']:.0%}"
        )
        figures[f"discovery_{question}_limits_box{number}"] = limits_figure(frame, title)
    return figures
