"""Shared look of every figure: palettes, labels, axes, and writing figures to disk.

Figures are built with `matplotlib.figure.Figure` rather than pyplot, so they need no GUI
backend, hold no global state and are freed when dropped. Colours are colour-blind safe:
viridis for the ordered rungs, Okabe-Ito for categories, ColorBrewer PuOr for Goldstein weights.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from sim.engine.store import write_atomic
from sim.model.ladder import TOP_RUNG
from sim.model.recording import TRAJECTORY_VARIABLES

# Names in titles and labels come from users (scenario and sweep names): a '$' in them must
# stay a dollar sign, not start matplotlib's mathtext (which can fail to parse). No figure
# here uses mathtext.
matplotlib.rcParams["text.parse_math"] = False

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
#: After the eight colours, lines repeat them with these dash patterns: 32 distinct series.
LINE_STYLES: tuple[str, ...] = ("-", "--", ":", "-.")


def series_style(index: int) -> tuple[str, str]:
    """(colour, line style) of the index-th series: every series up to 32 looks different."""
    colours = len(OKABE_ITO)
    return OKABE_ITO[index % colours], LINE_STYLES[(index // colours) % len(LINE_STYLES)]


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
#: China and the EU deliver no arms, so Moscow's belief that they act against force never moves
#: (docs/ODD.md 7.12): their economic beliefs are the informative ones.
PARTNER_VARIABLES: tuple[str, ...] = (
    "backing",
    "credibility_turkey",
    "economic_belief_china",
    "economic_belief_eu",
    "trade_kz_ru",
    "trade_kz_cn",
    "trade_kz_tr",
    "trade_kz_eu",
)
VARIABLE_SPECS = {v.name: v for v in TRAJECTORY_VARIABLES}
UNIT_WORDS = {"1": "index", "share": "share", "2021 budget": "x 2021 budget"}


def axis_label(variable: str) -> str:
    """'Description (unit)' for a trajectory variable, from sim.model.recording."""
    spec = VARIABLE_SPECS[variable]
    return f"{spec.doc} ({UNIT_WORDS.get(spec.unit, spec.unit)})"


def date_axis(ax, label: str = "Year (simulation starts March 2022)") -> None:
    ax.xaxis.set_major_locator(
        mdates.YearLocator(base=2 if ax.get_xlim()[1] - ax.get_xlim()[0] > 2500 else 1)
    )
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel(label)


def tidy_panels(axes: np.ndarray, columns: int, shown: int) -> None:
    """Hide the unused panels of a grid; keep x labels only where no panel sits below."""
    for ax in axes[shown:]:
        ax.set_visible(False)
    for i, ax in enumerate(axes[:shown]):
        if i + columns < shown:
            ax.set_xlabel("")
        else:  # bottom of its column: shared axes hid its tick labels if a hidden panel is below
            ax.tick_params(axis="x", labelbottom=True)


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
