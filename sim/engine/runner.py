"""Sweeps: a design -> chunks of runs -> an executor -> Parquet parts -> merged tables.

The runs of a sweep are numbered ``run_id = design_point * replicates + replicate`` and cut into
chunks of ``chunk_size`` consecutive runs; each chunk is one ensemble (one EscalationModel
stepping all its runs at once, with one parameter value per run).

Common random numbers: the seed of a run is ``derive_seeds(seed, replicate)``; it depends on the
experiment seed and the replicate index but not on the design point, so replicate r of every
design point sees the same random streams, and differences between design points are not
blurred by sampling noise. Because every run's random numbers depend only on its seed
(``sim.model.rng``), a run's result is bit-identical whatever the chunk size, executor or workers.

Besides the run summaries, each chunk writes an *aggregate* per design point and month: the
number of runs at each rung, and for each key variable a fixed-point sum and (with at least
``QUANTILE_MIN_REPLICATES`` replicates) the exact minimum and maximum and a fixed-bin histogram
with two more bins that count the runs below and above its range. Counts and sums are integers and
min/max are exact, so merging chunks is exact and the merged table does not depend on the
chunking; the merge reads one part at a time, so its memory does not grow with the design.

Workers write their chunk's part files themselves (when they share the sweep's file system), so
the parent neither receives the tables nor spends a core's time compressing them. The parent
never imports the model (Mesa): process workers import it once, in the forkserver.

The sweep directory exists while the sweep is incomplete (so it can be resumed);
``manifest.json`` has ``"complete": false`` until the last step writes it as true.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from sim.engine.executors import SerialExecutor, make_executor, start_workers_early
from sim.engine.parts import write_parts
from sim.engine.plan import Plan, plan
from sim.engine.sweep_chunk import run_sweep_chunk
from sim.engine.sweep_directory import (
    finish,
    prepare_directory,
    sweep_run_dir,
    workers_share_files,
    write_sweep_manifest,
)
from sim.engine.workers import SWEEP_WORKER_MODULES as WORKER_MODULES
from sim.errors import explain


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; carries the directory to resume."""

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory))
        self.directory = directory


class SweepFailed(RuntimeError):
    """A sweep stopped by a failure it can be resumed from (disk full, a worker killed)."""

    def __init__(self, directory: Path, error: BaseException) -> None:
        super().__init__(explain(error)[0])
        self.directory = directory
        self.error = error


def run_sweep(
    cfg: DictConfig,
    resume: str | Path | None = None,
    on_chunk: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Path:
    """Run (or finish) an experiment and return its directory.

    Args:
        cfg: an experiment from ``sim.engine.design.load_experiment``.
        resume: a directory of an interrupted sweep of the same config (default: cfg.resume).
        on_chunk: called in this process with each chunk's index after its parts are written
            (a test hook: raising there simulates an interruption).
        meanwhile: work for this process while workers simulate (the command imports the
            analysis), run in a background thread; not when the chunks run in this process,
            where it would only take their time.
    """
    resume = cfg.resume if resume is None else resume
    # Workers import the model (about a second) while this process plans.
    start_workers_early(cfg.executor, cfg.workers, WORKER_MODULES)
    plan_ = plan(cfg)  # every refusal happens here, before the directory exists
    directory, done = prepare_directory(plan_, resume)
    run_dir = sweep_run_dir(directory, cfg)  # a resumed sweep keeps the one it began with
    todo = [i for i in range(plan_.chunks) if i not in done]
    write_sweep_manifest(directory, plan_, complete=False, done=len(done))
    began = time.perf_counter()
    seconds = 0.0
    background: threading.Thread | None = None
    try:
        with (
            _progress(plan_, done, cfg.progress) as bar,
            make_executor(cfg.executor, cfg.workers, cfg.scheduler, preload=WORKER_MODULES) as (
                executor
            ),
        ):
            if meanwhile is not None and not isinstance(executor, SerialExecutor):
                background = threading.Thread(target=meanwhile, daemon=True)
                background.start()
            writes_in_worker = workers_share_files(cfg)
            facts = dict(experiment=str(cfg.name), seed=int(cfg.seed))
            tasks = (plan_.task(i, directory if writes_in_worker else None, run_dir) for i in todo)
            for result in executor.map_unordered(run_sweep_chunk, tasks):
                if result.parts:
                    write_parts(directory, result, run_dir, **facts)
                seconds += result.seconds
                bar.update(result.runs)
                if on_chunk is not None:
                    on_chunk(result.index)
        finish(directory, plan_, run_dir)
        if background is not None:
            background.join()  # nothing half-imported when the caller goes on
    except KeyboardInterrupt:
        # Chunks written so far stay; the manifest still says complete: false.
        raise SweepInterrupted(directory) from None
    except Exception as error:
        if explain(error)[0] is None:
            raise
        # A full disk, a killed worker: the chunks written so far stay, and can be resumed.
        raise SweepFailed(directory, error) from error
    write_sweep_manifest(
        directory,
        plan_,
        complete=True,
        done=plan_.chunks,
        wall_seconds=round(time.perf_counter() - began, 3),
        chunk_seconds=round(seconds, 3),
    )
    return directory


class _progress:
    """A tqdm bar of runs (to stderr), started at the runs already done when resuming."""

    def __init__(self, plan_: Plan, done: set[int], enabled: bool) -> None:
        from tqdm import tqdm

        initial = sum(np.subtract(*plan_.chunk_bounds(i)[::-1]) for i in done)
        self.bar = tqdm(
            total=plan_.runs,
            initial=int(initial),
            unit="run",
            unit_scale=True,
            file=sys.stderr,
            disable=not enabled,
            smoothing=0.1,
            desc=plan_.cfg.name or "sweep",
        )

    def __enter__(self) -> Any:
        return self.bar

    def __exit__(self, *exc: object) -> None:
        self.bar.close()
