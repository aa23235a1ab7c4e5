"""`python -m sim list`: the scenarios and experiments, one entry each (long ones wrap at 100)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence

from sim.config import CONFIG_DIR, list_experiments, list_scenarios, read_yaml_mapping

WIDTH = 100
USAGE = (
    "usage: python -m sim list\n\nLists the scenarios (configs/scenario/) and experiments "
    "(experiments/), one line each."
)


def format_listing(title: str, hint: str, rows: Sequence[tuple[str, str]]) -> list[str]:
    """A titled block of `name  description` lines, names padded to one column."""
    lines = [f"{title} ({hint}):"]
    if not rows:
        return [*lines, "  (none)"]
    width = max(len(name) for name, _ in rows)
    for name, text in rows:
        # Long descriptions wrap under their own column, so no line is wider than WIDTH.
        wrapped = textwrap.wrap(text or "(no description)", WIDTH - width - 4) or [""]
        lines.append(f"  {name:<{width}}  {wrapped[0]}")
        lines += [f"  {'':<{width}}  {more}" for more in wrapped[1:]]
    return lines


def scenario_rows() -> list[tuple[str, str]]:
    """(name, description and sources) for every scenario, so a line says what it rests on."""
    rows = []
    for name, description in list_scenarios():
        if description.startswith("(cannot be used"):
            rows.append((name, description))
            continue
        data = read_yaml_mapping(CONFIG_DIR / "scenario" / f"{name}.yaml")
        sources = (data.get("scenario") or {}).get("sources") or []
        rows.append(
            (
                name,
                f"{description} [sources: {'; '.join(map(str, sources))}]"
                if sources
                else description,
            )
        )
    return rows


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
        "experiments", "python -m sim sweep experiment=<name>", list_experiments()
    )
    print("\n".join(lines))
    return 0
