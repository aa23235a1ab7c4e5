"""Figures of a scoring (`python -m sim score`): a reliability diagram of the binary facts, PIT
histograms of the counts and continuous facts, each fact's predictive distribution against what
was observed, and the skill against each reference forecast."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.scores import pit_histogram
from sim.plots.style import OKABE_ITO, tidy_panels

MODEL_COLOUR = OKABE_ITO[0]
OBSERVED_COLOUR = OKABE_ITO[7]
CLIMATOLOGY_COLOUR = OKABE_ITO[1]
REFERENCE_COLOURS = {"climatology": OKABE_ITO[1], "persistence": OKABE_ITO[2], "uniform": "0.55"}
#: Panels per predictive figure (one per series), so that a long facts file stays legible.
PANELS_PER_FIGURE = 12


def reliability_figure(scores: pd.DataFrame, title: str, bins: int = 5) -> Figure:
    """Observed frequency against forecast probability of the binary facts, in equal bins;
    the marker's area is the number of facts in the bin; the model and climatology."""
    facts = scores[(scores["kind"] == "binary") & (scores["score"] == "brier")]
    fig = Figure(figsize=(5.2, 4.8), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", label="perfect reliability")
    for column, colour, label in (
        ("probability", MODEL_COLOUR, "model"),
        ("climatology_forecast", CLIMATOLOGY_COLOUR, "climatology"),
    ):
        p = facts[column].to_numpy(dtype=float)
        keep = np.isfinite(p)
        p, y = p[keep], facts["observed"].to_numpy(dtype=float)[keep]
        which = np.minimum((p * bins).astype(int), bins - 1)
        centres, freqs, counts = [], [], []
        for b in range(bins):
            inside = which == b
            if inside.any():
                centres.append(p[inside].mean())
                freqs.append(y[inside].mean())
                counts.append(inside.sum())
        ax.plot(centres, freqs, color=colour, lw=1.0, alpha=0.7)
        ax.scatter(centres, freqs, s=30 * np.asarray(counts), color=colour, label=label, zorder=3)
    ax.set(xlim=(-0.03, 1.03), ylim=(-0.03, 1.03), xlabel="forecast probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def pit_figure(scores: pd.DataFrame, title: str, bins: int = 5) -> Figure:
    """Non-randomised PIT histograms (Czado et al. 2009) of the count and continuous facts:
    flat means the observations look like draws from the model."""
    kinds = [k for k in ("count", "continuous") if (scores["kind"] == k).any()]
    fig = Figure(figsize=(4.0 * max(1, len(kinds)), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(1, len(kinds)), sharey=True))
    for ax, kind in zip(axes, kinds, strict=False):
        part = scores[scores["kind"] == kind]
        density = pit_histogram(part["pit_low"], part["pit_high"], bins)
        ax.bar(
            np.arange(bins) / bins,
            density,
            width=1 / bins,
            align="edge",
            color=MODEL_COLOUR,
            alpha=0.7,
            edgecolor="white",
        )
        ax.axhline(1.0, color="0.4", lw=0.8, ls="--")
        ax.set(xlim=(0, 1), xlabel="PIT")
        ax.set_title(f"{kind} facts ({len(part)})", fontsize=9)
    axes[0].set_ylabel("density (1 = uniform)")
    if not kinds:
        axes[0].text(0.5, 0.5, "no count or continuous facts", ha="center", va="center")
    fig.suptitle(title, fontsize=9)
    return fig


def predictive_figures(scores: pd.DataFrame, title: str) -> dict[str, Figure]:
    """Each fact's predictive distribution against the observed value, one panel per series
    (a fact without a series gets its own), in figures of at most PANELS_PER_FIGURE panels."""
    rows = scores.drop_duplicates("fact")
    groups = list(
        rows.groupby(rows["series"].where(rows["series"] != "", rows["fact"]), sort=False)
    )
    figures = {}
    pages = math.ceil(len(groups) / PANELS_PER_FIGURE)
    for page in range(pages):
        chunk = groups[page * PANELS_PER_FIGURE : (page + 1) * PANELS_PER_FIGURE]
        name = "score_predictive" if pages == 1 else f"score_predictive_{page + 1}"
        figures[name] = _predictive_page(chunk, title if pages == 1 else f"{title} ({page + 1})")
    return figures


def _predictive_page(groups: list[tuple[str, pd.DataFrame]], title: str) -> Figure:
    columns = min(3, len(groups))
    lines = math.ceil(len(groups) / columns)
    fig = Figure(figsize=(3.4 * columns, 2.6 * lines + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(lines, columns, squeeze=False)).ravel()
    for ax, (series, part) in zip(axes, groups, strict=False):
        x = np.arange(len(part))
        if (part["kind"] == "binary").all():
            ax.bar(x, part["probability"], width=0.6, color=MODEL_COLOUR, alpha=0.6)
            ax.set_ylim(-0.05, 1.05)
            ax.set_ylabel("P(yes)", fontsize=8)
        else:
            ax.vlines(x, part["q05"], part["q95"], color=MODEL_COLOUR, lw=2, alpha=0.35)
            ax.vlines(x, part["q25"], part["q75"], color=MODEL_COLOUR, lw=6, alpha=0.6)
            ax.plot(x, part["median"], ls="", marker="_", ms=14, color=MODEL_COLOUR)
        ax.plot(x, part["climatology_forecast"], ls="", marker="D", ms=4, color=CLIMATOLOGY_COLOUR)
        ax.plot(x, part["observed"], ls="", marker="o", ms=6, color=OBSERVED_COLOUR)
        ax.set_xticks(x, [p.split("..")[0] for p in part["period"]], fontsize=7, rotation=30)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(series, fontsize=8)
        ax.set_xlim(-0.6, len(part) - 0.4)
    tidy_panels(axes, columns, len(groups))
    handles = [
        Patch(color=MODEL_COLOUR, alpha=0.6, label="model: 50% (thick), 90% of runs; P(yes)"),
        Line2D([], [], ls="", marker="D", color=CLIMATOLOGY_COLOUR, label="climatology"),
        Line2D([], [], ls="", marker="o", color=OBSERVED_COLOUR, label="observed"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=9)
    return fig


def skill_figure(skill: pd.DataFrame, title: str) -> Figure:
    """Skill (1 - score / reference score) per kind and score against each reference, with its
    bootstrap interval; right of 0 the model beats the reference."""
    table = skill[skill["facts"] > 0].reset_index(drop=True)
    fig = Figure(figsize=(6.4, 0.45 * len(table) + 1.4), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(table))[::-1]
    for yi, row in zip(y, table.itertuples(index=False), strict=True):
        colour = REFERENCE_COLOURS[row.reference]
        value = float(np.clip(row.skill, -2, 1))
        if np.isfinite(row.skill_low):
            low, high = np.clip([row.skill_low, row.skill_high], -2, 1)
            ax.hlines(yi, low, high, color=colour, lw=2, alpha=0.6)
        ax.plot(value, yi, marker="o", color=colour)
    labels = [f"{r.kind} {r.score} vs {r.reference} ({r.facts})" for r in table.itertuples()]
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_xlim(-2.05, 1.05)
    ax.set_xlabel(
        "skill = 1 - score / reference score\n(clipped at -2; bars: 90% bootstrap interval)"
    )
    ax.set_title(title, fontsize=9)
    return fig


def score_figure_set(scores: pd.DataFrame, skill: pd.DataFrame, what: str) -> dict[str, Figure]:
    """Every figure of a scoring, by name."""
    figures: dict[str, Figure] = {"score_skill": skill_figure(skill, f"Skill\n{what}")}
    if (scores["kind"] == "binary").any():
        figures["score_reliability"] = reliability_figure(
            scores, f"Reliability of the binary facts\n{what}"
        )
    if (scores["kind"] != "binary").any():
        figures["score_pit"] = pit_figure(scores, f"PIT histograms: {what}")
    figures.update(predictive_figures(scores, f"Predictive against observed: {what}"))
    return figures


def skill_comparison_figure(table: pd.DataFrame, title: str) -> Figure:
    """Skill per kind, score and reference, one marker per scoring (compare's table)."""
    table = table[table["facts"] > 0]
    keys = list(dict.fromkeys(zip(table["kind"], table["score"], table["reference"], strict=True)))
    labels = list(dict.fromkeys(table["label"]))
    fig = Figure(figsize=(7.0, 0.5 * len(keys) + 1.8), layout="constrained")
    ax = fig.subplots()
    offsets = np.linspace(-0.25, 0.25, len(labels)) if len(labels) > 1 else [0.0]
    for i, (label, offset) in enumerate(zip(labels, offsets, strict=True)):
        part = table[table["label"] == label].set_index(["kind", "score", "reference"])
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        for k, key in enumerate(keys):
            if key not in part.index:
                continue
            row = part.loc[key]
            y = len(keys) - 1 - k + offset
            if np.isfinite(row["skill_low"]):
                low, high = np.clip([row["skill_low"], row["skill_high"]], -2, 1)
                ax.hlines(y, low, high, color=colour, lw=2, alpha=0.5)
            ax.plot(
                np.clip(row["skill"], -2, 1), y, "o", color=colour, label=label if k == 0 else None
            )
    ax.set_yticks(np.arange(len(keys))[::-1], [" ".join(k) for k in keys], fontsize=8)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_xlim(-2.05, 1.05)
    ax.set_xlabel(
        "skill = 1 - score / reference score\n(clipped at -2; bars: 90% bootstrap interval)"
    )
    ax.set_title(title, fontsize=9)
    fig.legend(loc="outside lower center", fontsize=8, frameon=False)
    return fig
