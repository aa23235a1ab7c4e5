"""A self-contained HTML report: figures embedded as base64 PNG, tables and the config inline.

The report references no file and no network address, so it can be mailed or opened from any
folder in any browser without a server.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

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


def table_html(table: pd.DataFrame, max_rows: int = 200) -> str:
    """A DataFrame as an HTML table (floats to 4 significant digits), truncated if long."""
    shown = table.head(max_rows)
    text = shown.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="", border=0)
    if len(table) > max_rows:
        text += f'<p class="note">first {max_rows} of {len(table):,} rows</p>'
    return text


def render_report(
    title: str,
    figures: Mapping[str, bytes],
    tables: Mapping[str, pd.DataFrame] | None = None,
    config: str = "",
    notes: Sequence[str] = (),
) -> str:
    """The HTML text of a report.

    Args:
        title: the page title and heading.
        figures: PNG bytes by figure name (the name becomes the caption).
        tables: tables to show, by heading.
        config: the resolved config (YAML text), shown verbatim.
        notes: paragraphs shown under the title (e.g. what was skipped and why).
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(f'<p class="note">{html.escape(n)}</p>' for n in notes),
        "<h2>Figures</h2>",
    ]
    for name, png in figures.items():
        parts.append(
            f"<figure>{image_tag(png, name)}<figcaption>{html.escape(name)}</figcaption></figure>"
        )
    for heading, table in (tables or {}).items():
        parts += [f"<h2>{html.escape(heading)}</h2>", table_html(table)]
    if config:
        parts += ["<h2>Configuration</h2>", f"<pre>{html.escape(config)}</pre>"]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(path: Path, text: str) -> Path:
    """Write the report atomically."""
    return write_text(text, Path(path))
