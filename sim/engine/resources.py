"""Resource guards: refuse, before anything runs, work this machine cannot hold or store.

A run of R replicates over T months keeps its model state and (optionally) its trajectories in
memory, R x T values at a time, and writes them to disk at the end; a sweep does the same per
chunk in each worker. The estimates below are rough (measured on the baseline: about 45 bytes
of state and 230 of trajectories per run-month in memory; 80 bytes of trajectories and 7 of
events per run-month, 90 bytes of summary per run on disk), but the work they refuse is off by
orders of magnitude: 10^7 runs need hundreds of gigabytes. The refusal names the estimate, the
limit it exceeds and the setting to lower.

``check_output_root`` refuses an output location that cannot be written (a read-only
filesystem, no permission, a file in the way, a name too long) before any simulation, so that
a mistake does not cost the whole computation.
"""

from __future__ import annotations

import dataclasses
import math
import os
import resource
import shutil
from pathlib import Path

from sim.config import MAX_DESIGN_POINTS, MAX_MONTHS

MB = 1024**2
GB = 1024**3
#: Python, numpy, pandas, Mesa and the model's modules, before any run.
BASE_MEMORY = 300 * MB
STATE_BYTES_PER_RUN_MONTH = 45
TRAJECTORY_BYTES_PER_RUN_MONTH = 230
EVENT_BYTES_PER_RUN_MONTH = 16
TRAJECTORY_DISK_PER_RUN_MONTH = 80
EVENT_DISK_PER_RUN_MONTH = 7
SUMMARY_DISK_PER_RUN = 90
#: Run-months simulated per second by one core (for the time estimate only).
RUN_MONTHS_PER_SECOND = 400_000
MAX_REPLICATES = 10_000_000
#: Estimated wall time above which a sweep needs `force=true`: a typo (replicates=9999999)
#: should not quietly occupy a machine for days (review 2, D13).
MAX_WALL_SECONDS = 24 * 3_600
PARAMETER_BYTES_PER_POINT = 2_000


class TooLarge(ValueError):
    """The work would not fit; the message gives the estimate and what to lower."""


@dataclasses.dataclass(frozen=True)
class Estimate:
    """Rough peak memory and disk (bytes) and time (seconds on one core) of some work."""

    memory: float
    disk: float
    seconds: float

    def words(self) -> str:
        return (
            f"about {size(self.memory)} of memory, {size(self.disk)} of disk and "
            f"{duration(self.seconds)} of computing"
        )


def size(n: float) -> str:
    return f"{n / GB:,.1f} GB" if n >= GB else f"{n / MB:,.0f} MB"


def duration(seconds: float) -> str:
    if seconds >= 2 * 86_400:
        return f"{seconds / 86_400:,.0f} days"
    if seconds >= 3_600:
        return f"{seconds / 3_600:,.1f} h"
    return f"{seconds / 60:,.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


# --- what the machine has ----------------------------------------------------------------------
def available_memory() -> float:
    """Memory this process may still use: the free RAM, or the address-space limit if lower."""
    import psutil

    free = float(psutil.virtual_memory().available)
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        free = min(free, float(soft))
    return free


def free_disk(path: Path) -> float:
    """Free bytes on the filesystem that holds `path` (or would hold it, once made)."""
    return float(shutil.disk_usage(existing_ancestor(path)).free)


def existing_ancestor(path: Path) -> Path:
    """`path` itself if it exists, else its nearest existing parent."""
    path = Path(os.path.abspath(path))
    while not _exists(path) and path != path.parent:
        path = path.parent
    return path


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # e.g. a name longer than the filesystem allows: it cannot exist
        return False


# --- checks --------------------------------------------------------------------------------------
def check_output_root(root: Path | str, key: str = "output_root") -> None:
    """Refuse an output location that cannot be written, before any work is done.

    Raises:
        ValueError: naming `key`, its value and why it cannot be written.
    """
    if not str(root).strip():  # Path("") is ".": an empty value would write to ./runs silently
        raise ValueError(f"{key} = {str(root)!r} is not allowed: expected a folder's path")
    root = Path(root)
    where = existing_ancestor(root)
    limit = _name_max(where)
    for part in root.parts:
        if len(part.encode()) > limit:
            raise ValueError(
                f"{key} = {str(root)[:40]!r}... is not allowed: a folder name in it has "
                f"{len(part.encode())} bytes, the filesystem allows at most {limit}"
            )
    if not where.is_dir():
        raise ValueError(f"{key} = {str(root)!r} is not allowed: {where} is a file, not a folder")
    if _has_no_storage(where):  # /proc, /sys: the disk check would say "0 MB of disk is free"
        raise ValueError(
            f"{key} = {str(root)!r} is not allowed: {where} is on a virtual filesystem with no "
            "storage (such as /proc or /sys); expected a folder on a disk"
        )
    if not os.access(where, os.W_OK | os.X_OK):
        raise ValueError(
            f"{key} = {str(root)!r} is not allowed: {where} cannot be written "
            "(read-only filesystem or no permission)"
        )
    limit = _name_max(where)
    long_names = [part for part in root.parts if len(part.encode()) > limit]
    if long_names:
        raise ValueError(
            f"{key} = {str(root)!r} is not allowed: a name is longer than {limit} bytes"
        )


def check_name_length(name: str, key: str, root: Path | str) -> None:
    """A name that becomes one directory must fit the filesystem's limit on names."""
    limit = _name_max(existing_ancestor(Path(root)))
    if len(str(name).encode()) > limit:
        raise ValueError(
            f"{key} = {str(name)[:40]!r}... is not allowed: it names a folder, and names may "
            f"have at most {limit} bytes (this one has {len(str(name).encode())})"
        )


def _has_no_storage(directory: Path) -> bool:
    """Whether `directory` is on a filesystem with no blocks at all (proc, sysfs, cgroup)."""
    try:
        return os.statvfs(directory).f_blocks == 0
    except (OSError, AttributeError):  # no statvfs (Windows): the disk check still applies
        return False


def _name_max(directory: Path) -> int:
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def check_fits(estimate: Estimate, root: Path | str, what: str, advice: str) -> None:
    """Refuse `what` when its estimate exceeds the free memory or disk.

    Args:
        estimate: the work's estimate.
        root: where its results go (for the free disk space).
        what: the work, e.g. "run.replicates = 10000000 x 120 months".
        advice: which settings to lower.
    """
    memory, disk = available_memory(), free_disk(Path(root))
    if estimate.memory > memory:
        limit = f"{size(memory)} of memory is available"
    elif estimate.disk > disk:
        limit = f"{size(disk)} of disk is free under {existing_ancestor(Path(root))}"
    else:
        return
    raise TooLarge(f"{what} needs {estimate.words()}, but only {limit}; {advice}")


# --- estimates -----------------------------------------------------------------------------------
def run_estimate(replicates: int, months: int, trajectories: bool, events: bool) -> Estimate:
    """Peak memory, disk and time of `sim run` (all runs are stepped at once)."""
    run_months = float(replicates) * months
    per_run_month = STATE_BYTES_PER_RUN_MONTH
    per_run_month += TRAJECTORY_BYTES_PER_RUN_MONTH if trajectories else 0
    per_run_month += EVENT_BYTES_PER_RUN_MONTH if events else 0
    disk = float(replicates) * SUMMARY_DISK_PER_RUN
    disk += run_months * (TRAJECTORY_DISK_PER_RUN_MONTH if trajectories else 0)
    disk += run_months * (EVENT_DISK_PER_RUN_MONTH if events else 0)
    return Estimate(
        BASE_MEMORY + run_months * per_run_month, disk, run_months / RUN_MONTHS_PER_SECOND
    )


def check_run(replicates: int, months: int, trajectories: bool, events: bool, root: Path) -> None:
    """Refuse a `sim run` that cannot fit in memory or on disk."""
    check_fits(
        run_estimate(replicates, months, trajectories, events),
        root,
        f"run.replicates = {replicates:,} x run.months = {months}",
        "lower run.replicates or run.months, or set run.trajectories=false (or use "
        "`sim sweep`, which runs in chunks)",
    )


def sweep_estimate(
    points: int,
    replicates: int,
    months: int,
    chunk_size: int,
    trajectories: bool,
    workers: int,
) -> Estimate:
    """Peak memory (parent plus workers), disk and time of a sweep."""
    # pandas and pyarrow come with the aggregate: not for --help
    from sim.engine.aggregate import AGGREGATE_VARIABLES, BINS, QUANTILE_MIN_REPLICATES

    runs = float(points) * replicates
    chunk = min(chunk_size, runs)
    points_per_chunk = math.ceil(chunk / replicates) + 1
    histogram = len(AGGREGATE_VARIABLES) * BINS * 4 if replicates >= QUANTILE_MIN_REPLICATES else 0
    per_chunk = (
        chunk
        * months
        * (STATE_BYTES_PER_RUN_MONTH + (TRAJECTORY_BYTES_PER_RUN_MONTH if trajectories else 0))
    )
    per_chunk += points_per_chunk * months * (histogram + 16 * len(AGGREGATE_VARIABLES) + 48)
    parent = BASE_MEMORY + points * PARAMETER_BYTES_PER_POINT + 2 * per_chunk
    memory = parent + workers * (BASE_MEMORY + per_chunk)
    disk = runs * SUMMARY_DISK_PER_RUN + points * months * (histogram / 20 + 200)
    disk += runs * months * (TRAJECTORY_DISK_PER_RUN_MONTH if trajectories else 0)
    return Estimate(memory, disk, runs * months / RUN_MONTHS_PER_SECOND)


def check_sweep_settings(cfg: object) -> None:
    """Refuse a sweep that cannot fit, from its settings alone (before its design is built).

    Args:
        cfg: an experiment from ``sim.engine.design.load_experiment``.
    """
    from omegaconf import OmegaConf

    for key, high in (("months", MAX_MONTHS), ("replicates", MAX_REPLICATES)):
        value = OmegaConf.select(cfg, key)
        if value > high:
            raise TooLarge(f"{key} = {value:,} is not allowed: expected at most {high:,}")
    points = design_points(cfg)
    if points > MAX_DESIGN_POINTS:
        raise TooLarge(
            f"the design has {points:,} points (design.kind = {cfg.design.kind}); at most "
            f"{MAX_DESIGN_POINTS:,} are allowed: lower design.n, design.levels or a factor's "
            "levels, or use fewer scenarios"
        )
    from sim.engine.executors import local_workers  # Dask probe: not for --help

    remote = cfg.executor == "dask" and cfg.scheduler not in (None, "threads")
    workers = 1 if cfg.executor == "serial" else local_workers(cfg.workers)
    estimate = sweep_estimate(
        points,
        int(cfg.replicates),
        int(cfg.months),
        int(cfg.chunk_size),
        bool(cfg.trajectories),
        0 if remote else workers,
    )
    what = (
        f"{points:,} design points x {cfg.replicates:,} replicates x {cfg.months} months "
        f"({workers} workers, chunk_size = {cfg.chunk_size:,})"
    )
    check_fits(
        estimate,
        cfg.resume or cfg.output_root,
        what,
        "lower replicates, months, chunk_size or workers, or set trajectories=false",
    )
    wall = estimate.seconds / max(1, workers)
    if wall > MAX_WALL_SECONDS and not remote and not OmegaConf.select(cfg, "force"):
        raise TooLarge(
            f"{what} would take about {duration(wall)} ({estimate.words()}), more than the "
            f"{duration(MAX_WALL_SECONDS)} allowed without confirmation; lower replicates or "
            "months, or add force=true to run it anyway"
        )


def design_points(cfg: object) -> int:
    """How many design points a sweep's design will have, without building it."""
    from sim.engine.design import parse_factors  # pandas and OmegaConf: not for --help

    factors = parse_factors(cfg.factors)
    design = cfg.design
    ranged = sum(1 for f in factors if f.is_range)
    if design.kind == "grid":
        per_scenario = math.prod(
            (f.levels or design.levels) if f.is_range else len(f.values) for f in factors
        )
    elif design.kind == "lhs":
        per_scenario = design.n
    elif design.kind == "morris":
        per_scenario = design.n * (ranged + 1)
    else:
        per_scenario = design.n * (2 * ranged + 2 if design.second_order else ranged + 2)
    return int(per_scenario) * max(1, len(cfg.scenarios))
