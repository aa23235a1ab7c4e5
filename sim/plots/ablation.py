"""The ablation figure: what switching each mechanism off does to each outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.style import OKABE_ITO, tidy_panels
from sim.studies.ablation import OUTCOMES


def ablation_figure(table: pd.DataFrame, scenario: str, runs: int) -> Figure:
    """One panel per outcome: the paired difference (mechanism off - all on), 95% intervals.

    Intervals that exclude zero are drawn dark: that mechanism carries the outcome.
    """
    outcomes = [o for o in OUTCOMES if o.name in set(table["outcome"].astype(str))]
    mechanisms = list(dict.fromkeys(table["mechanism"].astype(str)))
    columns = 4
    rows = int(np.ceil(len(outcomes) / columns))
    fig = Figure(figsize=(3.3 * columns, 0.28 * len(mechanisms) * rows + 1.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, sharey=True)).ravel()
    y = np.arange(len(mechanisms))
    for ax, outcome in zip(axes, outcomes, strict=False):
        part = table[table["outcome"].astype(str) == outcome.name].set_index("mechanism")
        part = part.reindex(mechanisms)
        moves = (part["difference_lower"] > 0) | (part["difference_upper"] < 0)
        colours = np.where(moves, OKABE_ITO[0], "#9a9a9a")
        ax.axvline(0.0, color="black", lw=0.8)
        ax.hlines(y, part["difference_lower"], part["difference_upper"], colors=colours, lw=2)
        ax.scatter(part["difference"], y, c=colours, s=14, zorder=3)
        baseline = part["baseline_value"].iloc[0]
        ax.set_title(f"{outcome.label}\n(all on: {baseline:.3g})", fontsize=8.5)
        ax.set_xlabel("off - all on", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, [m.replace("_", " ") for m in mechanisms])
    axes[0].invert_yaxis()
    tidy_panels(axes, columns, len(outcomes))
    fig.suptitle(
        f"{scenario}: each mechanism switched off in turn ({runs:,} paired runs each); "
        "dark = 95% interval excludes 0",
        fontsize=10,
    )
    return fig
