"""Keep the generated parts of docs/ODD.md in step with the code.

Four tables of the ODD description are rendered from the code, so they cannot drift from it:
the parameter table (``sim.model.params.PARAMS``), the trajectory variables
(``sim.model.recording.TRAJECTORY_VARIABLES``), the escalation ladder
(``sim.model.ladder.RUNG_SIGNATURE``)
and the event kinds (``sim.model.ladder.Action``). Each sits between two HTML comments::

    <!-- BEGIN GENERATED: parameters -->
    ...
    <!-- END GENERATED: parameters -->

Usage::

    python -m sim.model.odd --write   # rewrite the generated sections in place
    python -m sim.model.odd --check   # exit 1 naming each stale section or broken code reference
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sim.model.ladder import RUNG_SIGNATURE, Action, Rung, severity
from sim.model.params import GROUPS, PARAMS, Param
from sim.model.recording import TRAJECTORY_VARIABLES
from sim.model.uncertainty import UNCERTAIN

ODD_PATH = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"

# Sub-headings of the parameter table; a group the lead adds later falls back to its own name.
GROUP_TITLES: dict[str, str] = {
    "war": "War in Ukraine (exogenous timeline)",
    "russia": "Russia",
    "kazakhstan": "Kazakhstan",
    "china": "China",
    "turkey": "Turkey",
    "eu": "European Union",
    "disruptions": "CPC disruptions that are not coercion",
    "partners": "Partners' shared parameters",
    "mechanisms": "Mechanism switches (for `python -m sim ablate`)",
    "trade": "Trade and the Trans-Caspian corridor",
    "leverage": "Russia's leverage index",
    "forces": "Military balance (forces in thousands of troops)",
}


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table; pipes inside cells are escaped so a cell never splits."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return lines


def _number(x: float) -> str:
    return f"{x:g}"


def _weight(x: float) -> str:
    # Goldstein weights are conventionally printed with one decimal (4.0, -10.0).
    return f"{x:.1f}"


def _default(p: Param) -> str:
    if p.default is None:
        return "null (never)"
    if isinstance(p.default, str):
        return f"`{p.default}`"
    return _number(p.default)


def _allowed(p: Param) -> str:
    if p.choices:
        return ", ".join(f"`{c}`" for c in p.choices)
    text = f"[{_number(p.low)}, {_number(p.high)}]"
    if p.integer:
        text += " integer"
    return text + " or null" if p.nullable else text


def _source(p: Param) -> str:
    """The source, and for an uncertain parameter the prior range its evidence leaves open:
    the calibration's prior (``sim.model.uncertainty``) where it has one, which is the range
    the shipped posterior was inferred on, else the parameter table's own ``prior``."""
    if p.path in UNCERTAIN:
        low, high = UNCERTAIN[p.path].low, UNCERTAIN[p.path].high
    elif p.prior is not None:
        low, high = p.prior
    else:
        return p.source
    return f"{p.source}; **uncertain** [{_number(low)}, {_number(high)}]"


def render_parameters() -> str:
    """The parameter table, one sub-table per group, in the order of PARAMS."""
    lines: list[str] = []
    header = ("parameter", "default", "range or choices", "unit", "source", "meaning")
    for group in GROUPS:
        lines += ["", f"#### {GROUP_TITLES.get(group, group)} (`model.{group}`)", ""]
        rows = [
            (f"`model.{p.path}`", _default(p), _allowed(p), p.unit, _source(p), p.doc)
            for p in PARAMS
            if p.group == group
        ]
        lines += _table(header, rows)
    return "\n".join(lines[1:])


def render_trajectories() -> str:
    """The monthly trajectory variables the recorder stores, with units."""
    rows = [(f"`{v.name}`", v.unit, v.doc) for v in TRAJECTORY_VARIABLES]
    return "\n".join(_table(("variable", "unit", "meaning"), rows))


def render_ladder() -> str:
    """The rungs with their signature action; severity is what orders them."""
    rows = []
    for rung in Rung:
        action = RUNG_SIGNATURE[rung]
        rows.append(
            (
                str(int(rung)),
                rung.name.lower(),
                f"`{action.name.lower()}`",
                action.cameo,
                _weight(action.goldstein),
                _weight(severity(rung)),
            )
        )
    header = ("rung", "name", "signature action", "CAMEO", "Goldstein", "severity")
    return "\n".join(_table(header, rows))


def render_events() -> str:
    """Every kind of event in the log, as named in the events table."""
    rows = [(f"`{a.name.lower()}`", a.description, a.cameo, _weight(a.goldstein)) for a in Action]
    return "\n".join(_table(("action", "description", "CAMEO", "Goldstein"), rows))


SECTIONS: dict[str, Callable[[], str]] = {
    "parameters": render_parameters,
    "trajectories": render_trajectories,
    "ladder": render_ladder,
    "events": render_events,
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN GENERATED: {name} -->\n)(.*?)(<!-- END GENERATED: {name} -->)", re.S
    )


def regenerate(text: str) -> str:
    """The document with every generated section replaced by a fresh rendering.

    Raises:
        ValueError: if a section's markers are missing.
    """
    for name, render in SECTIONS.items():
        pattern = _pattern(name)
        if not pattern.search(text):
            raise ValueError(f"docs/ODD.md has no markers for the generated section {name!r}")
        body = render()
        # A function replacement keeps backslashes in the rendered text literal.
        text = pattern.sub(lambda m, body=body: f"{m[1]}{body}\n{m[3]}", text)
    return text


def stale_sections(text: str) -> list[str]:
    """Names of the generated sections whose text differs from a fresh rendering."""
    fresh = regenerate(text)
    return [n for n in SECTIONS if _pattern(n).search(text)[2] != _pattern(n).search(fresh)[2]]


def section(text: str, heading: str) -> str:
    """The body of the level-2 section whose heading contains `heading` (to the next one)."""
    match = re.search(rf"^## [^\n]*{re.escape(heading)}[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match[1] if match else ""


def code_references(text: str) -> list[str]:
    """Dotted paths in backticks that start with ``sim.``, in order of appearance."""
    return list(dict.fromkeys(re.findall(r"`(sim(?:\.\w+)+)`", text)))


def resolves(dotted: str) -> bool:
    """Whether `dotted` names a real module or module attribute (import, then getattr)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def problems(text: str) -> list[str]:
    """Everything --check reports: stale sections and broken references under Submodels."""
    found = [f"generated section {n!r} is stale" for n in stale_sections(text)]
    refs = code_references(section(text, "Submodels"))
    found += [f"Submodels refers to {r!r}, which does not resolve" for r in refs if not resolves(r)]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: --write rewrites docs/ODD.md, --check reports what is out of date."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.model.odd", description=__doc__.split("\n")[0]
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the generated sections")
    mode.add_argument("--check", action="store_true", help="exit 1 if anything is out of date")
    parser.add_argument("--path", type=Path, default=ODD_PATH, help="the ODD file")
    args = parser.parse_args(argv)
    text = args.path.read_text(encoding="utf-8")
    if args.write:
        fresh = regenerate(text)
        if fresh != text:
            args.path.write_text(fresh, encoding="utf-8")
        print(f"{args.path}: generated sections up to date")
        return 0
    found = problems(text)
    for problem in found:
        hint = "; run `python -m sim.model.odd --write`" if "stale" in problem else ""
        print(f"{args.path}: {problem}{hint}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
