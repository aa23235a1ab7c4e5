"""Start-up of every command, before and after, and what the floor is made of.

Run by hand from the project root (not a test); everything is printed side by side in one run:

    python benchmarks/bench_startup.py                        # this checkout, 5 repeats
    python benchmarks/bench_startup.py --baseline /tmp/base   # and a checkout of another commit
    python benchmarks/bench_startup.py --repeats 9 --only run sweep

What is measured (every number from a fresh `python -m sim ...` process, OMP_NUM_THREADS=1):

* each command's ``--help``, ``list``, a ``run`` of one run of one month (figures off), a
  ``sweep`` of one run per scenario of one month (serial, then 2 workers; analysis off), and
  ``analyze`` of a small sweep made beforehand: for run and sweep the whole command is the
  time before the first month of work plus a month of nine runs, so it is their start-up;
* wall seconds and CPU seconds (user + system of the command and the children it waited for;
  a sweep's forkserver and its workers are not waited for, so their imports are not counted),
  median over ``--repeats``; with ``--baseline``, the same command from the other checkout
  right after, pair by pair, so that both see the same load;
* the heavy packages each command imported (from ``python -X importtime``);
* the floor: the import of each package the commands need, alone, in a fresh interpreter
  (Mesa after numpy, pandas, pyarrow and scipy.special, which it imports first).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
HEAVY = ("mesa", "hydra", "pandas", "pyarrow", "scipy", "matplotlib", "ema_workbench")
HELP_COMMANDS = (
    "run",
    "sweep",
    "analyze",
    "plot",
    "compare",
    "validate",
    "events",
    "discover",
    "ablate",
    "calibrate",
    "app",
)
#: (label, statement timed, statements run before it) for the floor table.
FLOOR = (
    ("python itself", "pass", ""),
    ("numpy", "import numpy", ""),
    ("omegaconf + yaml", "import omegaconf, yaml", "import numpy"),
    ("pandas + pyarrow.parquet", "import pandas, pyarrow.parquet", "import numpy"),
    ("hydra (main + compose)", "import hydra, hydra.compose", "import numpy, omegaconf"),
    ("scipy.special", "import scipy.special", "import numpy"),
    ("mesa", "import mesa", "import numpy, pandas, pyarrow.parquet, scipy.special"),
    ("scipy.stats", "import scipy.stats", "import numpy, pandas, scipy.special"),
    ("matplotlib.pyplot", "import matplotlib.pyplot", "import numpy"),
)


def commands(out: Path, sweep_dir: Path) -> list[tuple[str, list[str]]]:
    """(label, arguments after `python -m sim`) of every measured command."""
    one_run = ["run.replicates=1", "run.months=1", "run.figures=false", f"run.output_root={out}"]
    sweep = ["sweep", "experiment=scenario_comparison", "replicates=1", "months=1"]
    sweep += ["progress=false", "analysis.run=false", f"output_root={out}"]
    listed = [("--help", ["--help"]), ("list", ["list"])]
    listed += [(f"{name} --help", [name, "--help"]) for name in HELP_COMMANDS]
    return [
        *listed,
        ("run, 1 run x 1 month", ["run", *one_run]),
        ("sweep, 9 runs x 1 month, serial", [*sweep, "workers=1"]),
        ("sweep, 9 runs x 1 month, 2 workers", [*sweep, "workers=2"]),
        ("analyze a small sweep", ["analyze", str(sweep_dir)]),
    ]


def timed(arguments: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m sim <arguments>` run from `cwd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sim", *arguments],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"python -m sim {' '.join(arguments)} failed in {cwd}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def heavy_imports(arguments: list[str], cwd: Path) -> str:
    """The HEAVY packages `python -X importtime -m sim <arguments>` imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sim", *arguments],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
    )
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines()}
    return " ".join(name for name in HEAVY if name in names) or "-"


def floor(repeats: int) -> list[tuple[str, float, float]]:
    """(label, wall, CPU) of each import of FLOOR, median of `repeats` fresh interpreters."""
    rows = []
    for label, statement, setup in FLOOR:
        if statement == "pass":  # the interpreter's own start-up: time the whole process
            rows.append((label, *timed_python(repeats)))
            continue
        code = (
            f"import time\n{setup}\nw, c = time.perf_counter(), time.process_time()\n{statement}\n"
            "print(time.perf_counter() - w, time.process_time() - c)"
        )
        samples = []
        for _ in range(repeats):
            done = subprocess.run(
                [sys.executable, "-c", code], env=ENV, capture_output=True, text=True, check=True
            )
            samples.append(tuple(map(float, done.stdout.split())))
        rows.append((label, *(statistics.median(s[i] for s in samples) for i in (0, 1))))
    return rows


def timed_python(repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `python -c pass`."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=ENV, check=True)
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def small_sweep(out: Path) -> Path:
    """A sweep of 2 runs per scenario and 12 months, for `analyze`."""
    arguments = ["sweep", "experiment=scenario_comparison", "replicates=2", "months=12"]
    arguments += ["workers=1", "progress=false", "analysis.run=false", f"output_root={out}"]
    timed(arguments, ROOT)
    return next((out / "sweeps" / "scenario_comparison").iterdir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="a checkout of another commit")
    parser.add_argument("--only", nargs="+", help="commands whose label starts with these words")
    args = parser.parse_args()
    roots = {"now": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        out = Path(tmp)
        measured = commands(out, small_sweep(out / "small"))
        if args.only:
            measured = [
                (label, a) for label, a in measured if label.split()[0].rstrip(",") in args.only
            ]
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.repeats):
            for label, arguments in measured:
                for name, root in roots.items():  # pair by pair: both under the same load
                    samples.setdefault((label, name), []).append(timed(arguments, root))
            for folder in ("runs", "sweeps"):  # keep the output root small
                shutil.rmtree(out / folder, ignore_errors=True)
        imports = {label: heavy_imports(arguments, ROOT) for label, arguments in measured}
    print(f"python -m sim start-up, median of {args.repeats}; load average {load:.1f} at start")
    header = f"{'command':<36} {'wall s':>7} {'CPU s':>7}"
    if args.baseline:
        header += f" {'before':>7} {'CPU s':>7} {'CPU ratio':>9}"
    print(f"{header}  heavy imports now")
    for label, _ in measured:
        wall, cpu = (statistics.median(s[i] for s in samples[label, "now"]) for i in (0, 1))
        line = f"{label:<36} {wall:7.2f} {cpu:7.2f}"
        if args.baseline:
            base = samples[label, "baseline"]
            b_wall, b_cpu = (statistics.median(s[i] for s in base) for i in (0, 1))
            line += f" {b_wall:7.2f} {b_cpu:7.2f} {cpu / b_cpu:9.2f}"
        print(f"{line}  {imports[label]}")
    print(f"\nthe floor: one import in a fresh interpreter, median of {args.repeats}")
    for label, wall, cpu in floor(args.repeats):
        print(f"{label:<36} {wall:7.2f} {cpu:7.2f}")


if __name__ == "__main__":
    main()
