"""Do the studies use every core? Each command on one worker and on N, side by side, in pairs.

Run by hand from the project root (not a test):

    python benchmarks/bench_engine.py                  # validate, ablate, calibrate, run; 2 rounds
    python benchmarks/bench_engine.py --only run --rounds 1 --run-replicates 100000

Every number is a whole command in a fresh process (start-up included): wall seconds with
`workers=1` and with `workers=N`, measured one right after the other (`--rounds` pairs, since the
machine may be shared), the speed-up pair by pair, and the peak resident memory of the largest
single process of the command's tree (parent or worker), sampled every 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def commands(out: str, workers: int, run_replicates: int) -> dict[str, list[str]]:
    python = [sys.executable, "-m", "sim"]
    return {
        # The studies at the sizes users run them (validate's 10,000 runs a batch, a full
        # calibration): at smoke-test sizes start-up and composing dominate, not simulating.
        "validate": [*python, "validate", "figures=false",
                     f"output_root={out}", f"workers={workers}"],
        "ablate": [*python, "ablate", "scenario=baseline", "run.replicates=3000",
                   "run.figures=false", f"run.output_root={out}", f"run.workers={workers}"],
        "calibrate": [*python, "calibrate", "targets=seed_2022", "figures=false",
                      "progress=false", f"output_root={out}", f"workers={workers}"],
        "run": [*python, "run", "scenario=baseline", f"run.replicates={run_replicates}",
                "run.figures=false", f"run.output_root={out}", f"run.workers={workers}"],
    }  # fmt: skip


def timed(command: list[str]) -> dict[str, float]:
    """Wall seconds and the largest single process's peak RSS (MB) of one command."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        parent = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak = max([peak, *(p.memory_info().rss for p in tree if p.is_running())])
            except psutil.Error:
                pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(command)}")
    return {"seconds": time.perf_counter() - began, "peak_mb": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="+", default=["validate", "ablate", "calibrate", "run"])
    parser.add_argument("--run-replicates", type=int, default=40_000)
    args = parser.parse_args()
    print(f"{'command':<10}{'1 worker s':>12}{f'{args.workers} workers s':>13}{'speed-up':>10}"
          f"{'peak MB (1)':>13}{f'peak MB ({args.workers})':>13}")  # fmt: skip
    for name in args.only:
        one, many = [], []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as out:
                one.append(timed(commands(out, 1, args.run_replicates)[name]))
                many.append(timed(commands(out, args.workers, args.run_replicates)[name]))
        ratios = [a["seconds"] / b["seconds"] for a, b in zip(one, many, strict=True)]
        print(
            f"{name:<10}{statistics.median(r['seconds'] for r in one):>12.1f}"
            f"{statistics.median(r['seconds'] for r in many):>13.1f}"
            f"{statistics.median(ratios):>10.2f}"
            f"{max(r['peak_mb'] for r in one):>13.0f}{max(r['peak_mb'] for r in many):>13.0f}"
        )


if __name__ == "__main__":
    main()
