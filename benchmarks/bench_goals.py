"""The engine's three speed goals (issue 24), measured side by side, each with pass or fail.

Run by hand from the project root on an idle machine (not a test):

    python benchmarks/bench_goals.py                 # the full goals (about 10 minutes on 2 cores)
    python benchmarks/bench_goals.py --scale 0.1     # a tenth of the runs: a quick look
    make bench-engine                                # the same as the first line

1. **Sweep against the pure model.** ``sim sweep experiment=scenario_comparison
   replicates=20000`` (180,000 runs) on 2 workers, the whole command's wall-clock (start-up,
   chunks, merge and analysis; timed alone, no memory sampler beside it), against the pure
   model's runs/s on the same 2 cores
   (``bench_sweep.pure_rate``: the same ``EscalationModel`` on the same nine scenarios, nothing
   around it), measured one right after the other (every other pair the sweep first),
   ``--rounds`` pairs; the median of the pairs' ratios. Goal: ratio >= 0.80.
2. **Memory of a large run.** ``sim run run.replicates=100000`` with trajectories (the
   default) on 2 workers: the peak resident memory of its largest single process (parent or
   worker), sampled every 50 ms. Goal: under 1,500 MB.
3. **Studies on both cores.** ``validate``, ``ablate`` and ``calibrate`` (``bench_engine.py``'s
   sizes) with ``workers=1`` and ``workers=2``, in pairs; the speed-up is the median of the
   pairs' wall-time ratios. Goal: each at least 1.5 (both cores used: 2.0 is the ceiling).

Every number is a whole command in a fresh process. Other work on the CPU moves every wall
time: on a shared machine the ratios say more about the load than about the engine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_engine  # noqa: E402  (benchmarks/ is not a package)
import bench_sweep  # noqa: E402

SWEEP_RUNS = 180_000
SWEEP_GOAL = 0.80
RUN_RUNS = 100_000
RUN_GOAL_MB = 1_500
STUDIES = ("validate", "ablate", "calibrate")
SPEEDUP_GOAL = 1.5


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def sweep_goal(scale: float, rounds: int, seconds: float, workers: int) -> bool:
    runs = max(bench_sweep.SCENARIOS, int(SWEEP_RUNS * scale))
    chunk = bench_sweep.default_chunk()
    ratios = []
    for round_ in range(rounds):
        # Every other pair runs the sweep first: a machine that slows down or speeds up over
        # the measurement then moves the two orders' ratios in opposite directions.
        sweep_first = round_ % 2 == 1
        if sweep_first:
            wall = _sweep_seconds(runs, workers)
        pure = bench_sweep.pure_rate(workers, chunk, 120, seconds)
        if not sweep_first:
            wall = _sweep_seconds(runs, workers)
        rate = runs // bench_sweep.SCENARIOS * bench_sweep.SCENARIOS / wall
        ratios.append(rate / pure["runs_per_s"])
        print(
            f"  sweep {runs:,} runs: {wall:.1f} s, {rate:,.0f} runs/s; pure model "
            f"{pure['runs_per_s']:,.0f} runs/s; ratio {ratios[-1]:.2f}",
            flush=True,
        )
    ratio = statistics.median(ratios)
    ok = ratio >= SWEEP_GOAL
    print(f"1. sweep / pure model on {workers} cores: {ratio:.3f} (goal >= {SWEEP_GOAL}): "
          f"{verdict(ok)}")  # fmt: skip
    return ok


def _sweep_seconds(runs: int, workers: int) -> float:
    """The whole sweep command's wall seconds, analysis included, nothing sampling beside it
    (the pure model is not sampled either)."""
    with tempfile.TemporaryDirectory() as out:
        command = bench_sweep.sweep_command(runs, workers, 120, out)
        command.remove("analysis.run=false")  # the goal counts the analysis too
        return bench_sweep.wall_seconds(command)


def run_goal(scale: float, workers: int) -> bool:
    runs = max(1, int(RUN_RUNS * scale))
    with tempfile.TemporaryDirectory() as out:
        done = bench_engine.timed(bench_engine.commands(out, workers, runs)["run"])
    ok = done["peak_mb"] < RUN_GOAL_MB
    print(
        f"2. run of {runs:,} runs with trajectories: {done['seconds']:.1f} s, largest process "
        f"{done['peak_mb']:,.0f} MB (goal < {RUN_GOAL_MB:,} MB, "
        f"{done['peak_mb'] / RUN_GOAL_MB:.2f} of it): {verdict(ok)}",
        flush=True,
    )
    return ok


def studies_goal(rounds: int, workers: int) -> bool:
    results = []
    for name in STUDIES:
        ratios = []
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as out:
                one = bench_engine.timed(bench_engine.commands(out, 1, 1)[name])
                many = bench_engine.timed(bench_engine.commands(out, workers, 1)[name])
            ratios.append(one["seconds"] / many["seconds"])
        speedup = statistics.median(ratios)
        results.append(speedup >= SPEEDUP_GOAL)
        print(
            f"3. {name}: {workers} workers over 1: {speedup:.2f}x (goal >= {SPEEDUP_GOAL}): "
            f"{verdict(results[-1])}",
            flush=True,
        )
    return all(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the goals' runs")
    parser.add_argument("--rounds", type=int, default=1, help="pairs per measurement")
    parser.add_argument("--seconds", type=float, default=20.0, help="pure model: time per rate")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="+", default=["sweep", "run", "studies"])
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  scale {args.scale}, {args.workers} workers")
    goals = {
        "sweep": lambda: sweep_goal(args.scale, args.rounds, args.seconds, args.workers),
        "run": lambda: run_goal(args.scale, args.workers),
        "studies": lambda: studies_goal(args.rounds, args.workers),
    }
    passed = [goals[name]() for name in args.only]
    print(f"{sum(passed)} of {len(passed)} goals met" + ("" if args.scale == 1 else
          f" (at scale {args.scale}: the full goals need --scale 1)"))  # fmt: skip
    sys.exit(0 if all(passed) else 1)


if __name__ == "__main__":
    main()
