"""Shared look of every figure: palettes, labels, axes, and writing figures to disk.

Figures are built with `matplotlib.figure.Figure` rather than pyplot, so they need no GUI
backend, hold no global state and are freed when dropped. Colours are colour-blind safe:
viridis for the ordered rungs, Okabe-Ito for categories, ColorBrewer PuOr for Goldstein weights.

Two styles: ``screen`` (the default: figures sized for a report or a slide) and ``paper``
(`use_style("paper")`: at most a journal page's width, journal font sizes, series told apart
in greyscale by lightness and dash pattern, 300 dpi PNG).
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from sim.engine.store import write_atomic
from sim.model.ladder import TOP_RUNG
from sim.model.recording import TRAJECTORY_VARIABLES

# Names in titles and labels come from users (scenario and sweep names): a '$' in them must
# stay a dollar sign, not start matplotlib's mathtext (which can fail to parse). No figure
# here uses mathtext, so tick labels must not either: see `log_scale`.
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


#: The paper style's series colours: Okabe-Ito colours of clearly different lightness (black,
#: blue, vermillion, orange: greys 0, 0.34, 0.47, 0.64), so that four series stay apart
#: printed in greyscale; every series also gets its own dash pattern from the first one on.
GREY_SAFE: tuple[str, ...] = ("#000000", "#0072B2", "#D55E00", "#E69F00")


def series_style(index: int) -> tuple[str, str]:
    """(colour, line style) of the index-th series: every series up to 32 (16 in the paper
    style) looks different."""
    if current_style() == "paper":
        colours = len(GREY_SAFE)
        dash = (index + index // colours) % len(LINE_STYLES)
        return GREY_SAFE[index % colours], LINE_STYLES[dash]
    colours = len(OKABE_ITO)
    return OKABE_ITO[index % colours], LINE_STYLES[(index // colours) % len(LINE_STYLES)]


#: THE rung palette, used by every figure and by the app: one colour per rung of the ladder,
#: normal relations (light yellow) to intervention (dark purple). Viridis at 0.95 ... 0: its
#: lightness falls monotonically, so the rungs keep their order in greyscale and for readers
#: with the common colour-vision deficiencies.
RUNG_COLOURS: tuple[str, ...] = ("#dfe318", "#63cb5f", "#1fa188", "#2c738e", "#424086", "#440154")
assert len(RUNG_COLOURS) == TOP_RUNG + 1
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


def log_scale(ax, axis: str = "y") -> None:
    """A log axis whose tick labels are plain numbers (0.2, 0.05), not mathtext.

    Matplotlib's log labels are mathtext ('$\\mathdefault{2\\times10^{-1}}$'), which the
    `text.parse_math = False` above would print literally.
    """
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_locator(LogLocator(base=10))
    target.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    target.set_major_formatter(plain)
    target.set_minor_formatter(plain)


def inward_x_ticks(ax, low: float, high: float, most: int = 6) -> None:
    """Round x ticks from `low` to `high`; the first label leans right and the last left, so
    that panels side by side do not run '120' into the next panel's '0'."""
    ticks = [t for t in MaxNLocator(most).tick_values(low, high) if low <= t <= high]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    labels = ax.get_xticklabels()
    if len(labels) > 1:
        labels[0].set_horizontalalignment("left")
        labels[-1].set_horizontalalignment("right")


def wrap_title(title: str, fig: Figure) -> str:
    """Wrap a figure title to the figure's width (a narrow figure clipped long titles)."""

    characters = max(30, int(fig.get_figwidth() * 9))
    return "\n".join(textwrap.fill(line, characters) for line in title.splitlines())


def tidy_panels(axes: np.ndarray, columns: int, shown: int) -> None:
    """Hide the unused panels of a grid; keep x labels only where no panel sits below."""
    for ax in axes[shown:]:
        ax.set_visible(False)
    for i, ax in enumerate(axes[:shown]):
        if i + columns < shown:
            ax.set_xlabel("")
        else:  # bottom of its column: shared axes hid its tick labels if a hidden panel is below
            ax.tick_params(axis="x", labelbottom=True)


# --- styles ---------------------------------------------------------------------------------
STYLES: tuple[str, ...] = ("screen", "paper")
#: A journal page: 180 mm (7.1 in) across two columns; one column is 88 mm.
PAPER_WIDTH = 7.0
#: Journal text sizes (points, as printed): nothing below 6.5 pt, titles at most 9 pt.
PAPER_FONT = (6.5, 9.0)
PAPER_RC = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
    "figure.titlesize": 9,
    "lines.linewidth": 1.2,
    "axes.linewidth": 0.6,
    "pdf.fonttype": 42,  # text stays text in the PDF (journals ask for embedded TrueType)
    "svg.fonttype": "none",
}
_STYLE: contextvars.ContextVar[str] = contextvars.ContextVar("figure_style", default="screen")


def current_style() -> str:
    """'screen' or 'paper': the style figures are being drawn in."""
    return _STYLE.get()


@contextlib.contextmanager
def use_style(name: str) -> Iterator[None]:
    """Draw the figures made inside this block in style `name` ('screen' or 'paper')."""
    if name not in STYLES:
        raise ValueError(f"unknown figure style {name!r}; expected one of {', '.join(STYLES)}")
    token = _STYLE.set(name)
    try:
        with matplotlib.rc_context(PAPER_RC if name == "paper" else {}):
            yield
    finally:
        _STYLE.reset(token)


def fit_to_page(fig: Figure) -> Figure:
    """A figure at most a journal page wide (aspect kept), its text at journal sizes.

    Scaling the figure down keeps the layout; the text is then set to 6.5-9 pt, the sizes it
    will have in print, and a constrained layout reflows around it.
    """
    width, height = fig.get_size_inches()
    if width > PAPER_WIDTH:
        fig.set_size_inches(PAPER_WIDTH, max(height * PAPER_WIDTH / width, 2.2))
    low, high = PAPER_FONT
    for text in fig.findobj(Text):
        text.set_fontsize(min(max(text.get_fontsize(), low), high))
    if fig.get_layout_engine() is None:
        fig.set_layout_engine("constrained")
    for ax in fig.get_axes():  # narrower panels: titles on more lines
        width = ax.get_position().width * fig.get_figwidth() * 72  # points
        title = ax.title.get_text()
        characters = max(12, int(width / (0.55 * ax.title.get_fontsize())))
        if title:
            ax.set_title("\n".join(textwrap.fill(t, characters) for t in title.splitlines()))
    fig._suptitle is not None and fig._suptitle.set_text(wrap_title(fig._suptitle.get_text(), fig))
    _thin_ticks(fig)
    return fig


def _thin_ticks(fig: Figure) -> None:
    """Drop every other x tick where neighbouring labels would touch on the smaller page."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()
    for ax in fig.get_axes():
        ticks = ax.get_xticks()
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in labels]
        touching = any(a.x1 + 3 > b.x0 for a, b in zip(boxes[:-1], boxes[1:], strict=True))
        if touching and len(ticks) > 2:
            ax.set_xticks(ticks[::2], [t.get_text() for t in ax.get_xticklabels()][::2])


# --- saving ----------------------------------------------------------------------------------
FORMATS: tuple[str, ...] = ("png", "pdf", "svg")


def save_figure(fig: Figure, path: Path, dpi: int | None = None) -> Path:
    """Write a figure atomically (a reader never sees half an image); the suffix sets the format.

    PNG is the default; `.pdf` and `.svg` give vector files.
    """
    path = Path(path)
    kind = path.suffix.lstrip(".").lower() or "png"
    if kind not in FORMATS:
        raise ValueError(f"unknown figure format {kind!r}; expected one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    dpi = dpi or (300 if current_style() == "paper" else 110)
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
