"""A self-contained HTML report: figures embedded as base64 PNG, tables and the config inline.

The report references no file and no network address, so it can be mailed or opened from any
folder in any browser without a server.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.store import write_text

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #f3f3f3; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto;
font-size: 0.8em; max-height: 30em; } .note { color: #555; }
"""


def image_tag(png: bytes, alt: str) -> str:
    """An <img> whose source is the PNG itself, as a base64 data URI."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


#: Tables longer than this show their first rows and link to the CSV holding them all.
MAX_ROWS = 40


def format_number(value: object) -> str:
    """A table cell as a reader wants it: 0.0000353 (three significant digits, never 3.53e-05),
    12,346 for large numbers, whole numbers without a point, blank for a missing value."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        value = float(value)
        if not np.isfinite(value):
            return str(value)
        if value.is_integer() or abs(value) >= 1000:
            return f"{value:,.0f}"
        return np.format_float_positional(
            value, precision=3, unique=False, fractional=False, trim="-"
        )
    return str(value)


def table_html(table: pd.DataFrame, max_rows: int = MAX_ROWS, csv: str | None = None) -> str:
    """A DataFrame as an HTML table, numbers formatted, cut to `max_rows` rows (with a link to
    `csv`, a path relative to the report, when there are more)."""
    shown = table.head(max_rows).copy()
    for column in shown.columns:
        if pd.api.types.is_numeric_dtype(shown[column]) or shown[column].dtype == object:
            shown[column] = [format_number(v) for v in shown[column]]
    text = shown.to_html(index=False, na_rep="", border=0)
    if len(table) > max_rows:
        where = f'; all in <a href="{html.escape(csv)}">{html.escape(csv)}</a>' if csv else ""
        text += f'<p class="note">first {max_rows} of {len(table):,} rows{where}</p>'
    return text


def render_report(
    title: str,
    figures: Mapping[str, bytes],
    tables: Mapping[str, pd.DataFrame] | None = None,
    config: str = "",
    notes: Sequence[str] = (),
    captions: Mapping[str, str] | None = None,
    csv: Mapping[str, str] | None = None,
) -> str:
    """The HTML text of a report.

    Args:
        title: the page title and heading.
        figures: PNG bytes by figure name (the name becomes the caption).
        tables: tables to show, by heading.
        config: the resolved config (YAML text), shown verbatim.
        notes: paragraphs shown under the title (e.g. what was skipped and why).
        captions: a sentence per figure name, shown under it (the file name otherwise).
        csv: for a table (by heading), the CSV holding all its rows, relative to the report.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(f'<p class="note">{html.escape(n)}</p>' for n in notes),
        "<h2>Figures</h2>",
    ]
    for number, (name, png) in enumerate(figures.items(), start=1):
        caption = (captions or {}).get(name)
        text = f"Figure {number}. {caption} ({name})" if caption else name
        parts.append(
            f"<figure>{image_tag(png, name)}<figcaption>{html.escape(text)}</figcaption></figure>"
        )
    for heading, table in (tables or {}).items():
        parts += [
            f"<h2>{html.escape(heading)}</h2>",
            table_html(table, csv=(csv or {}).get(heading)),
        ]
    if config:
        parts += ["<h2>Configuration</h2>", f"<pre>{html.escape(config)}</pre>"]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(path: Path, text: str) -> Path:
    """Write the report atomically."""
    return write_text(text, Path(path))
