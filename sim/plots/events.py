"""Figures of an events comparison (`python -m sim events compare`): the model's monthly bands
with the observed series on top, one figure per dyad, and the PIT histograms."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.eventdata.compare import MEASURE_LABELS
from sim.eventdata.readers import BASIC_MEASURES
from sim.plots.style import OKABE_ITO, tidy_panels

MODEL_COLOUR = OKABE_ITO[0]
OBSERVED_COLOUR = OKABE_ITO[7]


def dyad_figure(bands: pd.DataFrame, dyad: str, title: str) -> Figure:
    """Six panels (all events, the four quad classes, the Goldstein sum) for one dyad: the
    model's median, 50% and 90% bands across runs, and the observed months as dots."""
    columns = 3
    fig = Figure(figsize=(9.0, 5.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(2, columns, sharex=True)).ravel()
    for ax, measure in zip(axes, BASIC_MEASURES, strict=True):
        part = bands[(bands["dyad"] == dyad) & (bands["measure"] == measure)]
        dates = pd.to_datetime(part["date"])
        # Months are blocks of time: bands and median are drawn as steps centred on each month.
        steps = dict(step="mid", color=MODEL_COLOUR, lw=0)
        ax.fill_between(dates, part["q05"], part["q95"], alpha=0.18, **steps)
        ax.fill_between(dates, part["q25"], part["q75"], alpha=0.35, **steps)
        ax.step(dates, part["median"], where="mid", color=MODEL_COLOUR, lw=1.5)
        outside = ~part["inside_90"].to_numpy()
        ax.plot(dates, part["observed"], ls="", color=OBSERVED_COLOUR, marker="o", ms=4)
        ax.plot(
            dates[outside],
            part["observed"][outside],
            ls="",
            marker="o",
            ms=8,
            mfc="none",
            mec=OKABE_ITO[3],
            mew=1.4,
        )
        if measure != "goldstein":  # counts: from 0, and at least to 1 so a zero line is legible
            top = max(1.0, float(part[["q95", "observed"]].to_numpy().max()))
            ax.set_ylim(-0.05 * top, 1.1 * top)
        inside = part["inside_90"].mean()
        ax.set_title(f"{MEASURE_LABELS[measure]}\n{inside:.0%} of months in 90% band", fontsize=9)
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=6))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.tick_params(labelsize=8)
        if measure == "goldstein":
            ax.axhline(0, color="0.6", lw=0.6)
    axes[0].set_ylabel("events per month", fontsize=8)
    axes[columns].set_ylabel("events per month", fontsize=8)
    axes[-1].set_ylabel("Goldstein sum", fontsize=8)
    tidy_panels(axes, columns, len(BASIC_MEASURES))
    handles = [
        _patch(0.18, "model 90% of runs"),
        _patch(0.35, "model 50% of runs"),
        _line(MODEL_COLOUR, "", "model median"),
        _line(OBSERVED_COLOUR, "o", "observed", markers_only=True),
        _line(OKABE_ITO[3], "o", "observed, outside the 90% band", hollow=True),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    return fig


def pit_figure(histograms: pd.DataFrame, title: str) -> Figure:
    """One PIT histogram per dyad (pooled over months and basic measures); 1 is uniform."""
    dyads = list(dict.fromkeys(histograms["dyad"]))
    columns = min(3, len(dyads))
    rows = -(-len(dyads) // columns)
    fig = Figure(figsize=(3.0 * columns + 0.5, 2.3 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, sharey=True, squeeze=False)).ravel()
    for ax, dyad in zip(axes, dyads, strict=False):
        part = histograms[histograms["dyad"] == dyad]
        width = part["bin_high"] - part["bin_low"]
        ax.bar(
            part["bin_low"],
            part["density"],
            width=width,
            align="edge",
            color=MODEL_COLOUR,
            alpha=0.7,
            edgecolor="white",
        )
        ax.axhline(1.0, color="0.3", lw=0.8, ls="--")
        ax.set_xlim(0, 1)
        # Panels side by side: '1' of one and '0' of the next met in the gap; end labels
        # lean inwards.
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "0.25", "0.5", "0.75", "1"])
        ticks = ax.get_xticklabels()
        ticks[0].set_horizontalalignment("left")
        ticks[-1].set_horizontalalignment("right")
        ax.set_title(dyad.replace("-", " → "), fontsize=9)
        ax.set_xlabel("PIT (model's probability of a lower value)", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes[len(dyads) :]:
        ax.set_visible(False)
    axes[0].set_ylabel("density (1 = calibrated)", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


def _patch(alpha: float, label: str):
    from matplotlib.patches import Patch

    return Patch(color=MODEL_COLOUR, alpha=alpha, lw=0, label=label)


def _line(colour: str, marker: str, label: str, hollow: bool = False, markers_only=False):
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        color="none" if hollow or markers_only else colour,
        marker=marker or None,
        mfc="none" if hollow else colour,
        mec=colour,
        label=label,
    )
