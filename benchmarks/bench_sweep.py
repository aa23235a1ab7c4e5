"""Sweep throughput against the pure model on the same cores, start-up, memory, mesa.batch_run.

Run by hand from the project root (not a test); everything is printed side by side in one run:

    python benchmarks/bench_sweep.py                      # 10^5 and 10^6 runs, 2 rounds
    python benchmarks/bench_sweep.py --sizes 10000000 --rounds 1   # the flat-memory check
    python benchmarks/bench_sweep.py --batch-model sim.model.escalation:EscalationModel

What is measured (every number from a fresh subprocess, 120-month runs, summary only):

* pure model, 1 core and N cores: ``EscalationModel(params, seeds=arange(R)).run()`` repeated
  for ``--seconds`` after a warm-up, cycling through the sweep's nine scenarios, R = the
  sweep's chunk size, in 1 or N concurrent processes (runs/s summed). This is the ceiling the
  sweep is held against: the same stepping code on the same work with nothing around it.
* sweep: ``python -m sim sweep experiment=scenario_comparison replicates=<size/9>`` on N
  workers. "sweep runs/s" is the runner's own wall time (manifest ``wall_seconds``: chunks,
  writing, merging); "command runs/s" is the whole command, start-up included. Peak memory is
  the resident memory of the whole process tree, sampled every 50 ms.
* start-up: the whole command for a sweep of one run of one month, and for `run` of one run.
* mesa.batch_run, N processes: the same model one run per model instance (``--batch-model``;
  the model itself, whose DataCollector batch_run reads), and a plain five-agent Mesa model.

The CPU is shared with other work, so the pure model and the sweep are measured in pairs, one
right after the other, ``--rounds`` times, and the ratio is taken pair by pair.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SCENARIOS = 9  # experiment scenario_comparison: every scenario, a grid of one point each


# --- inside a subprocess ---------------------------------------------------------------------
def pure_model(runs: int, months: int, seconds: float) -> dict:
    """Step ensembles of `runs` runs for at least `seconds` after a warm-up; runs/s.

    The ensembles cycle through the sweep's scenarios, so the model does the same work as in
    the sweep (scenarios differ in cost: a war that ends early escalates more).
    """
    import itertools

    import numpy as np

    from sim.engine.design import load_experiment
    from sim.engine.plan import plan
    from sim.model.escalation import EscalationModel
    from sim.model.params import ParamSet

    values = plan(load_experiment("scenario_comparison", ["replicates=1"])).values
    scenarios = itertools.cycle([dict(row) for _, row in values.iterrows()])

    def once() -> None:
        params = ParamSet(next(scenarios), runs)
        seeds = np.arange(runs)
        EscalationModel(params, seeds=seeds, months=months, trajectories=False, events=False).run()

    once()
    began, cpu, done = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - began < seconds:
        once()
        done += runs
    return {
        "runs_per_s": done / (time.perf_counter() - began),
        "runs_per_cpu_s": done / (time.process_time() - cpu),
    }


def batch_run(model: str, runs: int, processes: int, months: int) -> dict:
    """mesa.batch_run of `model` ("module:Class"), one model instance per run; runs/s."""
    import mesa

    sys.path.insert(0, str(HERE))
    module, name = model.split(":")
    cls = getattr(importlib.import_module(module), name)
    began = time.perf_counter()
    results = mesa.batch_run(
        cls,
        parameters={"months": months},
        rng=list(range(runs)),
        max_steps=months,
        number_processes=processes,
        data_collection_period=-1,
        display_progress=False,
    )
    seconds = time.perf_counter() - began
    assert len(results) == runs, len(results)
    return {"runs_per_s": runs / seconds, "seconds": seconds}


# --- in the benchmark process ----------------------------------------------------------------
def child(*args: str) -> list[str]:
    return [sys.executable, __file__, *args]


def run_json(command: list[str]) -> dict:
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, env=ENV)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pure_rate(cores: int, runs: int, months: int, seconds: float) -> dict:
    """Runs/s of `cores` concurrent pure-model processes, summed, and runs per CPU second."""
    command = child("--pure", str(runs), "--months", str(months), "--seconds", str(seconds))
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
        for _ in range(cores)
    ]
    rates = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return {
        "runs_per_s": sum(r["runs_per_s"] for r in rates),
        "runs_per_cpu_s": statistics.mean(r["runs_per_cpu_s"] for r in rates),
    }


def tree_sample(pid: int, cpu: dict[int, float]) -> int:
    """Resident memory of a process tree now; records each process's CPU seconds in `cpu`."""
    import psutil

    total = 0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a worker may exit while we look
                total += proc.memory_info().rss
                times = proc.cpu_times()
                cpu[proc.pid] = times.user + times.system
    return total


def wall_seconds(command: list[str]) -> float:
    """A command's wall seconds, with nothing else on the CPU: `timed_command`'s sampler
    reads every process of the tree 20 times a second (about 1.2 CPU s over a 20 s sweep on
    two cores, CPU that the command's workers would otherwise have)."""
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return time.perf_counter() - began


def timed_command(command: list[str]) -> dict:
    """Run a command; its wall seconds and the peak resident memory of its process tree."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak, cpu = [0], {}

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_sample(proc.pid, cpu))
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, err = proc.communicate()
    thread.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{err}")
    return {
        "seconds": time.perf_counter() - began,
        "peak_mb": peak[0] / 2**20,
        "cpu_seconds": sum(cpu.values()),  # sampled: misses each process's last 50 ms
        "stdout": out,
    }


def sweep_command(runs: int, workers: int, months: int, out: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sim",
        "sweep",
        "experiment=scenario_comparison",
        f"replicates={max(1, runs // SCENARIOS)}",
        f"months={months}",
        f"workers={workers}",
        "progress=false",
        "analysis.run=false",
        f"output_root={out}",
        *extra,
    ]


def sweep(runs: int, workers: int, months: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        result = timed_command(sweep_command(runs, workers, months, out))
        manifest = next(Path(out).glob("sweeps/*/*/manifest.json"))
        info = json.loads(manifest.read_text())
    total = info["runs"]
    return {
        "runs": total,
        "chunk_size": info["chunk_size"],
        "sweep_runs_per_s": total / info["wall_seconds"],
        "command_runs_per_s": total / result["seconds"],
        "command_seconds": result["seconds"],
        "command_runs_per_cpu_s": total / result["cpu_seconds"],
        "peak_mb": result["peak_mb"],
    }


def startup(workers: int, repeats: int) -> dict:
    """Median whole-command wall and CPU seconds of a one-run, one-month sweep and run."""
    times: dict[str, list[float]] = {"sweep": [], "run": [], "sweep_cpu": [], "run_cpu": []}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeats):
            command = sweep_command(1, workers, 1, out, "scenarios=[baseline]")
            done = timed_command(command)
            times["sweep"].append(done["seconds"])
            times["sweep_cpu"].append(done["cpu_seconds"])
            command = [
                sys.executable,
                "-m",
                "sim",
                "run",
                "run.replicates=1",
                "run.months=1",
                "run.figures=false",
                f"run.output_root={out}",
            ]
            done = timed_command(command)
            times["run"].append(done["seconds"])
            times["run_cpu"].append(done["cpu_seconds"])
    return {k: statistics.median(v) for k, v in times.items()}


def default_chunk() -> int:
    from sim.engine.design import ExperimentConfig

    return ExperimentConfig.chunk_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2, help="pairs of pure model and sweep")
    parser.add_argument("--seconds", type=float, default=8.0, help="pure model: time per rate")
    parser.add_argument("--batch-runs", type=int, default=100, help="runs of the model per run")
    parser.add_argument("--plain-runs", type=int, default=600, help="runs of the plain model")
    parser.add_argument("--batch-model", default="sim.model.escalation:EscalationModel")
    parser.add_argument("--plain-model", default="batch_run_model:PlainModel")
    parser.add_argument("--pure-runs", type=int, help="R of the pure model (default: chunk)")
    parser.add_argument("--pure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--batch", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pure:
        print(json.dumps(pure_model(args.pure, args.months, args.seconds)))
        return
    if args.batch:
        model, runs, processes = args.batch
        print(json.dumps(batch_run(model, int(runs), int(processes), args.months)))
        return

    n, chunk = args.workers, args.pure_runs or default_chunk()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}  {n} workers, {args.months} months, "
        f"{os.cpu_count()} cores seen; sweep chunk {default_chunk():,}, pure model R = {chunk:,}"
    )
    header = (
        f"{'runs':>10} {'pure 1 core':>11} {f'pure {n} cores':>12} {'sweep':>9} {'ratio':>6} "
        f"{'command':>9} {'ratio':>6} {'CPU ratio':>9} {'peak MB':>8}"
    )
    print(header)
    rows = []
    for runs in args.sizes:
        for _ in range(args.rounds):
            one = pure_rate(1, chunk, args.months, args.seconds)
            many = pure_rate(n, chunk, args.months, args.seconds)
            s = sweep(runs, n, args.months)
            row = {
                "runs": s["runs"],
                "ratio": s["sweep_runs_per_s"] / many["runs_per_s"],
                "command_ratio": s["command_runs_per_s"] / many["runs_per_s"],
                "cpu_ratio": s["command_runs_per_cpu_s"] / many["runs_per_cpu_s"],
                "seconds": s["command_seconds"],
                "sweep_runs_per_s": s["sweep_runs_per_s"],
            }
            rows.append(row)
            print(
                f"{s['runs']:>10,} {one['runs_per_s']:>11,.0f} {many['runs_per_s']:>12,.0f} "
                f"{s['sweep_runs_per_s']:>9,.0f} {row['ratio']:>6.2f} "
                f"{s['command_runs_per_s']:>9,.0f} {row['command_ratio']:>6.2f} "
                f"{row['cpu_ratio']:>9.2f} {s['peak_mb']:>8,.0f}",
                flush=True,
            )
    print("runs/s. ratio: sweep / pure model on the same cores, measured pair by pair; 'command'")
    print("counts the whole command, start-up included; CPU ratio: runs per CPU second of the")
    print("whole command's process tree / of the pure model (unmoved by other work on the CPU);")
    print("peak: resident memory of the process tree.")
    for runs in args.sizes:
        mine = [r for r in rows if abs(r["runs"] - runs) < SCENARIOS]
        median = {k: statistics.median(r[k] for r in mine) for k in mine[0] if k != "runs"}
        print(
            f"{runs:>10,} runs, median of {len(mine)}: sweep / pure model {median['ratio']:.2f} "
            f"(goal >= 0.80); whole command {median['command_ratio']:.2f}, CPU "
            f"{median['cpu_ratio']:.2f}; {median['seconds']:.1f} s"
        )

    starts = startup(n, 3)
    print(
        f"start-up (whole command, median of 3): sweep of 1 run {starts['sweep']:.2f} s "
        f"({starts['sweep_cpu']:.2f} CPU s, all processes), run of 1 run {starts['run']:.2f} s "
        f"({starts['run_cpu']:.2f} CPU s) (goal < 1 s)"
    )

    best = max(r["sweep_runs_per_s"] for r in rows)
    for label, model, runs in (
        ("this model per run", args.batch_model, args.batch_runs),
        ("plain 5-agent model", args.plain_model, args.plain_runs),
    ):
        rate = run_json(child("--batch", model, str(runs), str(n), "--months", str(args.months)))
        ratio = best / rate["runs_per_s"]
        print(
            f"mesa.batch_run, {label} ({model}, {runs} runs, {n} processes): "
            f"{rate['runs_per_s']:,.1f} runs/s; sweep / batch_run = {ratio:,.0f}x"
        )


if __name__ == "__main__":
    main()
