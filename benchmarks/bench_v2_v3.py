"""Two checkouts of the model timed side by side: runs per second at R runs, one core.

For the Model v3 speed goal ("at R = 10,000 one core keeps at least 0.8 of v2's runs/s on
the same machine, measured side by side"), but any two checkouts work: unpack the other commit
anywhere (``git archive <commit> | tar -x -C /tmp/before``) and pass its folder.

Each measurement is a fresh subprocess with ``PYTHONPATH=<checkout>`` and thread pools pinned to
one (``OMP/OPENBLAS/MKL_NUM_THREADS=1``); it builds
``EscalationModel(None, seeds=np.arange(R), months=120, trajectories=False, events=False)`` and
times ``run()`` alone (wall and CPU seconds). The two checkouts alternate, in turn first, for
``--rounds`` rounds, so both see the same load; the table gives each one's best of the rounds
and the ratio after / before, of the bests and pair by pair (median and range). CPU time moves
less than wall time when other work shares the machine: on a shared machine read the CPU ratio.

Usage:
  .venv/bin/python benchmarks/bench_v2_v3.py --before /tmp/v2            # this checkout as after
  .venv/bin/python benchmarks/bench_v2_v3.py --before /tmp/v2 --after . --runs 10000 --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
GOAL = 0.8  # Model v3 issue: v3 keeps at least 0.8 of v2's runs/s at R = 10,000

# Run inside the subprocess: argv = runs, months. Prints {"wall": s, "cpu": s}.
CHILD = """
import json, sys, time
import numpy as np
from sim import EscalationModel
runs, months = int(sys.argv[1]), int(sys.argv[2])
model = EscalationModel(
    None, seeds=np.arange(runs), months=months, trajectories=False, events=False
)
wall, cpu = time.perf_counter(), time.process_time()
model.run()
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))
"""


def measure(checkout: Path, runs: int, months: int, cpu: int | None) -> dict[str, float]:
    """One timed run of `runs` runs in a fresh interpreter importing `sim` from `checkout`."""
    env = {**os.environ, **ONE_CORE, "PYTHONPATH": str(checkout)}
    command = [sys.executable, "-c", CHILD, str(runs), str(months)]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    done = subprocess.run(
        command, cwd=checkout, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: the timed run failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def commit_of(checkout: Path) -> str:
    """The checkout's commit, or its folder name when it is not a git work tree."""
    done = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else checkout.name


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the reference checkout (v2)")
    parser.add_argument("--after", type=Path, default=ROOT, help="default: this checkout")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=None, help="pin both to this core (taskset)")
    args = parser.parse_args(argv)
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    for name, folder in checkouts.items():
        if not (folder / "sim" / "__init__.py").is_file():
            parser.error(f"--{name} {folder}: no sim/ package there")

    times: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for i in range(args.rounds):
        order = ("before", "after") if i % 2 == 0 else ("after", "before")
        for name in order:
            times[name].append(measure(checkouts[name], args.runs, args.months, args.cpu))
        pair = {n: args.runs / times[n][-1]["wall"] for n in order}
        print(
            f"round {i + 1}: before {pair['before']:,.0f}  after {pair['after']:,.0f} runs/s "
            f"(wall)  ratio {pair['after'] / pair['before']:.2f}",
            file=sys.stderr,
            flush=True,
        )
    print(report(args, checkouts, times))


def report(args, checkouts: dict[str, Path], times: dict[str, list[dict[str, float]]]) -> str:
    lines = [
        f"R = {args.runs:,}, {args.months} months, one core, {args.rounds} interleaved rounds; "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"load average before the last round {os.getloadavg()[0]:.1f}",
        f"before: {checkouts['before']} ({commit_of(checkouts['before'])})",
        f"after:  {checkouts['after']} ({commit_of(checkouts['after'])})",
        "",
        f"{'clock':<6}{'before runs/s':>15}{'after runs/s':>14}{'ratio of bests':>16}"
        f"{'paired ratios: median (min-max)':>34}",
    ]
    for clock in ("wall", "cpu"):
        best = {n: args.runs / min(t[clock] for t in times[n]) for n in times}
        paired = [b[clock] / a[clock] for b, a in zip(times["before"], times["after"], strict=True)]
        lines.append(
            f"{clock:<6}{best['before']:>15,.0f}{best['after']:>14,.0f}"
            f"{best['after'] / best['before']:>16.2f}"
            f"{statistics.median(paired):>19.2f} ({min(paired):.2f}-{max(paired):.2f})"
        )
    best = {n: min(t["wall"] for t in times[n]) for n in times}
    ratio = best["before"] / best["after"]
    verdict = "met" if ratio >= GOAL else "NOT met"
    lines.append(f"goal: after keeps >= {GOAL} of before's runs/s (wall, best of rounds): ")
    lines[-1] += verdict
    return "\n".join(lines)


if __name__ == "__main__":
    main()
