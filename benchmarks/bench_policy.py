"""A whole policy study against the pure model on the same cores: time, throughput, memory.

Run by hand from the project root (not a test); the numbers are printed side by side:

    python benchmarks/bench_policy.py                    # partner_commitments, 385,200 runs
    python benchmarks/bench_policy.py search.generations=5 robustness.scenarios=100

The study runs as ``python -m sim policy experiment=partner_commitments workers=N`` (figures
off) with the resident memory of its whole process tree sampled every 50 ms; the pure model is
measured right after on the same number of cores, as in bench_sweep.py. "study runs/s" counts
every simulated run of the study (manifest ``runs``) over the whole command's wall time, so
the ratio includes start-up, the optimiser, the robustness tables and PRIM.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sweep import pure_rate, timed_command  # noqa: E402

GOAL_SECONDS = 600  # a full study in under ten minutes on two cores


def study(workers: int, overrides: list[str], keep: str | None) -> dict:
    with tempfile.TemporaryDirectory() as temporary:
        out = keep or temporary
        command = [
            sys.executable,
            "-m",
            "sim",
            "policy",
            "experiment=partner_commitments",
            f"workers={workers}",
            "progress=false",
            "plot=false",
            f"output_root={out}",
            *overrides,
        ]
        result = timed_command(command)
        manifest = json.loads(next(Path(out).glob("policies/*/*/manifest.json")).read_text())
    return {**result, "runs": manifest["runs"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0, help="pure model: time per rate")
    parser.add_argument("--chunk", type=int, default=12000, help="R of the pure model")
    parser.add_argument("--keep", help="write the study here (default: a temporary folder)")
    parser.add_argument("overrides", nargs="*", help="key=value overrides of the experiment")
    args = parser.parse_args()

    found = study(args.workers, args.overrides, args.keep)
    pure = pure_rate(args.workers, args.chunk, 120, args.seconds)
    rate = found["runs"] / found["seconds"]
    print(f"policy study partner_commitments {' '.join(args.overrides)}".rstrip())
    print(
        f"{'runs':>12} {'wall s':>8} {'study runs/s':>13} {'pure runs/s':>12} {'ratio':>6} "
        f"{'CPU ratio':>9} {'peak MB':>8}"
    )
    print(
        f"{found['runs']:>12,} {found['seconds']:>8.0f} {rate:>13,.0f} "
        f"{pure['runs_per_s']:>12,.0f} {rate / pure['runs_per_s']:>6.2f} "
        f"{found['runs'] / found['cpu_seconds'] / pure['runs_per_cpu_s']:>9.2f} "
        f"{found['peak_mb']:>8.0f}"
    )
    verdict = "met" if found["seconds"] < GOAL_SECONDS else "not met"
    print(f"goal: under {GOAL_SECONDS // 60} minutes on {args.workers} cores: {verdict}")


if __name__ == "__main__":
    main()
