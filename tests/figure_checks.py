"""What a reader of a printed figure stumbles on, as properties a test can check.

Each function draws the figure (no file is written) and returns the offending texts or artists,
so that a failing test names them: tick labels written as mathtext, text cut off at the edge of
the figure, tick labels on top of one another, a legend over bars.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox


def drawn(fig: Figure):
    """Lay the figure out as saving it would, and return its renderer."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def tick_labels(fig: Figure) -> list[Text]:
    """The tick labels the figure shows: visible axes, ticks inside the view, non-empty text."""
    drawn(fig)
    labels = []
    for ax in fig.get_axes():
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():
                continue
            for tick in axis._update_ticks():  # the ticks drawn: those within the view
                for label, on in ((tick.label1, tick.label1.get_visible()),
                                  (tick.label2, tick.label2.get_visible())):  # fmt: skip
                    if on and tick.get_visible() and label.get_text():
                        labels.append(label)
    return labels


def visible_texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of the figure: titles, labels, ticks, legends, notes."""
    drawn(fig)
    axes_parts = [a for ax in fig.get_axes() for a in (ax.xaxis, ax.yaxis)]
    inside_axis = {id(t) for axis in axes_parts for t in axis.findobj(Text)}
    own = [t for axis in axes_parts if axis.axes.get_visible() and axis.get_visible()
           for t in (axis.label, axis.offsetText)]  # fmt: skip
    others = [
        t
        for t in [*(t for t in fig.findobj(Text) if id(t) not in inside_axis), *own]
        if t.get_visible() and t.get_text().strip()
        and (t.axes is None or t.axes.get_visible())
    ]  # fmt: skip
    return tick_labels(fig) + others


def mathtext_labels(fig: Figure) -> list[str]:
    """Texts shown as raw mathtext markup ('$\\mathdefault{...}$')."""
    return [t.get_text() for t in visible_texts(fig) if "\\mathdefault" in t.get_text()
            or ("$" in t.get_text() and "\\" in t.get_text())]  # fmt: skip


def clipped_texts(fig: Figure, tolerance: float = 1.0) -> list[str]:
    """Texts that reach past the edge of the figure (cut off in the saved image)."""
    renderer = drawn(fig)
    page = fig.bbox
    clipped = []
    for text in visible_texts(fig):
        box = text.get_window_extent(renderer)
        if (
            box.x0 < page.x0 - tolerance
            or box.y0 < page.y0 - tolerance
            or box.x1 > page.x1 + tolerance
            or box.y1 > page.y1 + tolerance
        ):
            clipped.append(text.get_text())
    return clipped


def overlapping_tick_labels(fig: Figure, pad: float = 4.5) -> list[tuple[str, str]]:
    """Pairs of tick labels (of any panels) that overlap or nearly touch on the page.

    Each box is widened by `pad` pixels left and right (at 100 dpi, about a third of a
    character): labels 8 px apart on a line, such as '1.0' ending one panel and '0.0'
    starting the next, read as one number.
    """
    renderer = drawn(fig)
    boxes = [(t.get_text(), _widened(t.get_window_extent(renderer), pad)) for t in tick_labels(fig)]
    pairs = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            if _overlap(box_a, box_b) > 1.0:
                pairs.append((a, b))
    return pairs


def legend_over_bars(fig: Figure) -> list[str]:
    """Axes titles of the panels whose legend covers one of their bars or histogram outlines."""
    renderer = drawn(fig)
    found = []
    for ax in fig.get_axes():
        legend = ax.get_legend()
        if legend is None or not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        for patch in ax.patches:
            if isinstance(patch, Rectangle):
                if patch.get_height() > 0 and _overlap(box, patch.get_window_extent(renderer)) > 1:
                    found.append(ax.get_title())
                    break
            elif isinstance(patch, Polygon) and _outline_inside(patch, box):
                found.append(ax.get_title())
                break
    return found


def _outline_inside(patch: Polygon, box: Bbox) -> bool:
    """Whether a point of the polygon's outline (sampled along each edge) lies in `box`."""
    points = patch.get_transform().transform(patch.get_xy())
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
        for share in np.linspace(0.0, 1.0, 25):
            if box.contains(x0 + share * (x1 - x0), y0 + share * (y1 - y0)):
                return True
    return False


def _widened(box: Bbox, pad: float) -> Bbox:
    return Bbox.from_extents(box.x0 - pad, box.y0, box.x1 + pad, box.y1)


def _overlap(a: Bbox, b: Bbox) -> float:
    """The area (pixels) two boxes share."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)
