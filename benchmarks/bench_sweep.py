"""Throughput and memory of the sweep runner, beside mesa.batch_run on the same model.

Run by hand from the project root (not a test):

    python benchmarks/bench_sweep.py                 # 10^4, 10^5, 10^6 runs + batch_run
    python benchmarks/bench_sweep.py --sizes 10000 100000 --batch-runs 300

Each runner measurement runs in a fresh subprocess, so its peak memory is its own: the peak
resident memory of the whole process tree (parent and pool workers), sampled every 50 ms.
The design is the baseline scenario crossed with a 10-level multivector grid, 120 months,
replicates = runs / 10, on every core. mesa.batch_run is measured on a few hundred runs and
extrapolated linearly (its cost per run is constant: one model per run), as printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402

from sim import EscalationModel  # noqa: E402

POINTS = 10


def tree_rss(pid: int) -> int:
    import psutil

    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a worker may exit while we look
            total += child.memory_info().rss
    return total


def one_runner(runs: int, workers: int | None, chunk: int) -> dict:
    """Run one sweep in this process and report runs/s and the tree's peak memory."""
    from sim.design import load_experiment
    from sim.runner import run_sweep

    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss(os.getpid()))
            time.sleep(0.05)

    with tempfile.TemporaryDirectory() as out:
        cfg = load_experiment(
            "escalation_threshold",
            [
                "scenarios=[baseline]",
                f"factors.kazakhstan.multivector.levels={POINTS}",
                f"replicates={runs // POINTS}",
                "months=120",
                f"chunk_size={chunk}",
                f"output_root={out}",
                "progress=false",
                "analysis.run=false",
                *([f"workers={workers}"] if workers else []),
            ],
        )
        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        began = time.perf_counter()
        run_sweep(cfg)
        seconds = time.perf_counter() - began
        stop.set()
        thread.join()
    return {
        "runs": runs,
        "seconds": seconds,
        "runs_per_s": runs / seconds,
        "peak_mb": peak[0] / 2**20,
    }


def batch_run_rate(runs: int, processes: int) -> dict:
    """mesa.batch_run on `runs` runs (one Mesa model per run), runs per second."""
    began = time.perf_counter()
    mesa.batch_run(
        EscalationModel,
        parameters={
            "rng": list(range(runs)),
            "months": 120,
            "trajectories": False,
            "events": False,
        },
        number_processes=processes,
        max_steps=120,
        display_progress=False,
    )
    seconds = time.perf_counter() - began
    return {"runs": runs, "seconds": seconds, "runs_per_s": runs / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--batch-runs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_runner(args.one, args.workers, args.chunk)))
        return
    from sim.executors import local_workers

    workers = local_workers(args.workers)
    print(f"{time.strftime('%Y-%m-%d')}  {workers} workers, chunk {args.chunk}, 120 months")
    results = []
    for runs in args.sizes:
        command = [sys.executable, __file__, "--one", str(runs), "--chunk", str(args.chunk)]
        if args.workers:
            command += ["--workers", str(args.workers)]
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(
            f"runner      {r['runs']:>9,} runs  {r['seconds']:8.1f} s  "
            f"{r['runs_per_s']:9,.0f} runs/s  peak {r['peak_mb']:7.0f} MB",
            flush=True,
        )
    mesa_rate = batch_run_rate(args.batch_runs, workers)
    print(
        f"batch_run   {mesa_rate['runs']:>9,} runs  {mesa_rate['seconds']:8.1f} s  "
        f"{mesa_rate['runs_per_s']:9,.0f} runs/s  ({workers} processes)"
    )
    best = max(r["runs_per_s"] for r in results)
    print(f"ratio runner / batch_run: {best / mesa_rate['runs_per_s']:,.0f}x")
    for r in results:
        print(
            f"batch_run would need about {r['runs'] / mesa_rate['runs_per_s']:,.0f} s for "
            f"{r['runs']:,} runs (extrapolated linearly from {args.batch_runs})"
        )


if __name__ == "__main__":
    main()
