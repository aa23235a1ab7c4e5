"""Throughput and peak memory of the simulation core, printed side by side.

Each configuration runs in its own subprocess (one core: thread pools pinned to 1), which
reports its wall time and its peak resident set size, ``resource.getrusage(RUSAGE_SELF)
.ru_maxrss`` read at its end. A baseline subprocess that only imports the package gives the
memory every configuration pays anyway, so the table also shows peak RSS above that baseline.

Configurations (120-month runs by default):
  * ensemble R = 1, 1,000, 10,000 with trajectories and events off (summary table only);
  * ensemble R = 1,000 with trajectories and events on (all three tables built);
  * the same model driven one run at a time by ``mesa.batch_run`` (number_processes=1), as a
    Mesa user would: the model itself, with its own DataCollector collecting every month.

Usage: ``make bench`` or ``.venv/bin/python benchmarks/bench_model.py [--batch-runs 200]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_RUNS_PER_SECOND = 15_000  # on one core at R = 10,000 (Model v2 issue)
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def ensemble_config(runs: int, tables: bool) -> dict:
    label = f"ensemble R={runs:,}" + (" +traj+events" if tables else "")
    return {"kind": "ensemble", "label": label, "runs": runs, "tables": tables}


def configs(batch_runs: int) -> list[dict]:
    return [
        {"kind": "baseline", "label": "import only", "runs": 0},
        ensemble_config(1, False),
        ensemble_config(1_000, False),
        ensemble_config(10_000, False),
        ensemble_config(1_000, True),
        {"kind": "batch_run", "label": f"mesa.batch_run x{batch_runs}", "runs": batch_runs},
    ]


# --- inside a worker subprocess ----------------------------------------------------------------


def run_ensemble(runs: int, tables: bool, months: int) -> None:
    import numpy as np

    from sim import EscalationModel

    model = EscalationModel(
        None, seeds=np.arange(runs), months=months, trajectories=tables, events=tables
    )
    model.run()


def run_batch_run(runs: int, months: int) -> None:
    import mesa

    from sim import EscalationModel

    results = mesa.batch_run(
        EscalationModel,
        parameters={"months": months, "trajectories": False, "events": False},
        rng=list(range(runs)),
        max_steps=months,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    # One row per agent and run: a model with agent reporters returns five rows per run.
    assert len({row["RunId"] for row in results}) == runs, len(results)


def timed(once, min_seconds: float) -> tuple[int, float]:
    """Call `once` after one warm-up call until min_seconds have passed; (calls, seconds)."""
    once()
    calls, start = 0, time.perf_counter()
    while True:
        once()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return calls, elapsed


def worker(config: dict, months: int, min_seconds: float) -> dict:
    sys.path.insert(0, str(ROOT))
    # The baseline pays the model's imports too (numpy, pandas, Mesa); `import sim` alone
    # loads nothing, since the package imports its modules lazily.
    import sim.model.escalation  # noqa: F401

    kind, runs = config["kind"], config["runs"]
    calls, seconds = 0, 0.0
    if kind == "ensemble":
        calls, seconds = timed(lambda: run_ensemble(runs, config["tables"], months), min_seconds)
    elif kind == "batch_run":
        calls, seconds = timed(lambda: run_batch_run(runs, months), 0.0)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"calls": calls, "seconds": seconds, "peak_mib": peak_kib / 1024}


# --- the driver --------------------------------------------------------------------------------


def measure(config: dict, months: int, min_seconds: float) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        json.dumps(config),
        "--months",
        str(months),
        "--min-seconds",
        str(min_seconds),
    ]
    env = {**os.environ, **ONE_CORE}
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    runs = config["runs"] * result["calls"]
    result["runs_per_s"] = runs / result["seconds"] if result["seconds"] else float("nan")
    return result


def print_table(rows: list[tuple[dict, dict]], baseline_mib: float, months: int) -> None:
    print(
        f"{'configuration':<30} {'runs/s':>10} {'ms/run':>9} {'peak RSS MiB':>13} "
        f"{'above base':>11}"
    )
    for config, r in rows:
        if config["kind"] == "baseline":
            print(f"{config['label']:<30} {'':>10} {'':>9} {r['peak_mib']:>13.1f} {'':>11}")
            continue
        ms = 1000.0 / r["runs_per_s"]
        print(
            f"{config['label']:<30} {r['runs_per_s']:>10,.0f} {ms:>9.3f} "
            f"{r['peak_mib']:>13.1f} {r['peak_mib'] - baseline_mib:>11.1f}"
        )
    print(
        f"({months}-month runs; one core per configuration; peak RSS = ru_maxrss of the "
        "configuration's own subprocess)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--batch-runs", type=int, default=200)
    parser.add_argument(
        "--min-seconds",
        type=float,
        default=3.0,
        help="minimum timed wall time per ensemble configuration",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker), args.months, args.min_seconds)))
        return

    rows = []
    for config in configs(args.batch_runs):
        print(f"measuring {config['label']} ...", file=sys.stderr, flush=True)  # no long silence
        rows.append((config, measure(config, args.months, args.min_seconds)))
    results = {c["label"]: r for c, r in rows}
    baseline = results["import only"]["peak_mib"]
    print_table(rows, baseline, args.months)
    big = results["ensemble R=10,000"]["runs_per_s"]
    mesa_rate = results[f"mesa.batch_run x{args.batch_runs}"]["runs_per_s"]
    print(
        f"ensemble R=10,000 / mesa.batch_run: {big / mesa_rate:,.0f}x;  "
        f"ensemble R=1,000 / mesa.batch_run: "
        f"{results['ensemble R=1,000']['runs_per_s'] / mesa_rate:,.0f}x"
    )
    verdict = "met" if big >= GOAL_RUNS_PER_SECOND else "NOT met"
    print(
        f"goal >= {GOAL_RUNS_PER_SECOND:,} runs/s on one core at R=10,000: {verdict} "
        f"({big:,.0f} runs/s)"
    )


if __name__ == "__main__":
    main()
