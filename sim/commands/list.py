"""`python -m sim list`: the scenarios and experiments, one entry each, and where each is from.

Long entries wrap at 100 columns; a file that cannot be used is listed with its problem.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence

from sim.config import (
    BUILT_IN,
    CONFIG_DIR,
    EXPERIMENTS_DIR,
    Entry,
    experiment_entries,
    file_problem,
    policy_entries,
    read_yaml_mapping,
    scenario_entries,
)

WIDTH = 100
USAGE = (
    "usage: python -m sim [--search-path DIR] list\n\n"
    "Lists the scenarios, experiments and policy experiments, one line each, with where each "
    "comes from: built-in, or a folder added by --search-path DIR (its scenario/, experiments/ "
    "and experiments/policies/)."
)


def format_listing(title: str, hint: str, rows: Sequence[tuple[str, str]]) -> list[str]:
    """A titled block of `name  description` lines, names padded to one column."""
    lines = [f"{title} ({hint}):"]
    if not rows:
        return [*lines, "  (none)"]
    width = max(len(name) for name, _ in rows)
    for name, text in rows:
        # Long descriptions wrap under their own column, so no line is wider than WIDTH.
        wrapped = textwrap.wrap(
            text or "(no description)",
            WIDTH - width - 4,
            break_on_hyphens=False,  # paths stay whole, even one longer than the column
            break_long_words=False,
        ) or [""]
        lines.append(f"  {name:<{width}}  {wrapped[0]}")
        lines += [f"  {'':<{width}}  {more}" for more in wrapped[1:]]
    return lines


def _describe(entry: Entry, node: str | None) -> str:
    """Description, sources (scenarios) and, unless built-in, the folder it came from.

    A file that cannot be read is listed with its problem, so one bad file breaks nothing else.
    """
    problem = file_problem(entry.path, node)
    if problem:
        return f"(cannot be used: {problem})"
    data = read_yaml_mapping(entry.path)
    section = (data.get(node) or {}) if node else data
    description = str(section.get("description", "")).strip()
    text = description.splitlines()[0] if description else "(no description)"
    sources = (section.get("sources") or []) if node else []
    if sources:
        text += f" [sources: {'; '.join(map(str, sources))}]"
    if entry.origin != BUILT_IN:
        text += f" (from {entry.origin})"
    if entry.shadowed:
        text += " -- hidden by a file of the same name above: rename it"
    return text


def scenario_rows() -> list[tuple[str, str]]:
    """(name, description, sources and origin) for every scenario file."""
    return [(e.name, _describe(e, "scenario")) for e in scenario_entries()]


def experiment_rows() -> list[tuple[str, str]]:
    """(name, description and origin) for every experiment file."""
    return [(e.name, _describe(e, None)) for e in experiment_entries()]


def policy_rows() -> list[tuple[str, str]]:
    """(name, description and origin) for every policy experiment file."""
    return [(e.name, _describe(e, None)) for e in policy_entries()]


def main(argv: Sequence[str]) -> int:
    """Print the listing; any argument other than --help is an error (exit code 2)."""
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if argv:
        print(f"python -m sim list: error: unexpected arguments: {' '.join(argv)}", file=sys.stderr)
        return 2
    lines = format_listing("scenarios", "python -m sim run scenario=<name>", scenario_rows())
    lines += [""] + format_listing(
        "experiments", "python -m sim sweep experiment=<name>", experiment_rows()
    )
    lines += [""] + format_listing(
        "policy experiments", "python -m sim policy experiment=<name>", policy_rows()
    )
    where = f"built-in: {CONFIG_DIR / 'scenario'} and {EXPERIMENTS_DIR}"
    lines += [
        "",
        *textwrap.wrap(
            where, WIDTH, break_on_hyphens=False, break_long_words=False, subsequent_indent="  "
        ),
    ]
    print("\n".join(lines))
    return 0
