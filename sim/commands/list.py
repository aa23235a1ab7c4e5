"""`python -m sim list`: the scenarios and the experiments, one line each."""

from __future__ import annotations

from sim.config import list_experiments, list_scenarios


def main(argv: list[str]) -> int:
    for title, entries in (("scenarios", list_scenarios()), ("experiments", list_experiments())):
        print(f"{title}:")
        width = max((len(name) for name, _ in entries), default=0)
        for name, description in entries:
            print(f"  {name:<{width}}  {description}")
    return 0
