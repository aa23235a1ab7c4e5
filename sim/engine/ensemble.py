"""Ensembles held in memory, simulated in chunks on any executor: how studies run their batches.

Validation, ablation and calibration each need the tables of a batch of runs (parameters and a
seed per run). ``Ensembles.simulate`` cuts the batch into chunks of consecutive runs, simulates
them on the study's executor (this process, a local process pool or a Dask cluster: the same
executors as a sweep's, ``sim.engine.executors``) and puts the tables back together in run
order. Every random number of a run depends only on its seed (``sim.model.rng``), so the result
is bit-identical to one ``simulate`` call, whatever the chunk size, executor or workers.

Open the executor once per study (``with Ensembles(...) as ensembles:``): a process pool costs
about a second to start, and a calibration simulates dozens of batches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.executors import local_workers, make_executor
from sim.model.params import ParamSet, encode

#: Imported once by a process pool's forkserver, so each worker starts with the model loaded.
WORKER_MODULES = ("sim.engine.ensemble", "sim.model.escalation")
#: Below this many runs a chunk costs more to ship to a worker than to simulate here.
MIN_RUNS_PER_CHUNK = 250


@dataclasses.dataclass(frozen=True)
class EnsembleTask:
    """Runs ``run_ids`` of a batch, with their parameters and seeds."""

    index: int
    params: ParamSet
    seeds: np.ndarray
    run_ids: np.ndarray
    months: int
    trajectories: bool
    events: bool


@dataclasses.dataclass(frozen=True)
class EnsembleTables:
    """The tables of a batch (as ``sim.model.escalation.EnsembleResult``), in run order."""

    summary: pd.DataFrame
    trajectories: pd.DataFrame | None
    events: pd.DataFrame | None
    episodes: pd.DataFrame | None = None


def simulate_task(task: EnsembleTask) -> tuple[int, EnsembleTables]:
    """Simulate one chunk (in a worker, or here)."""
    # Mesa: imported only where runs are simulated (in workers), never for --help
    from sim.model.escalation import simulate

    result = simulate(
        task.params,
        seeds=task.seeds,
        months=task.months,
        run_ids=task.run_ids,
        trajectories=task.trajectories,
        events=task.events,
    )
    tables = EnsembleTables(result.summary, result.trajectories, result.events, result.episodes)
    return task.index, tables


def chunk_bounds(runs: int, workers: int, chunk_size: int | None) -> list[tuple[int, int]]:
    """Consecutive (start, stop) ranges: about two chunks per worker, none under the minimum."""
    if chunk_size is None:
        chunk_size = max(MIN_RUNS_PER_CHUNK, -(-runs // (2 * workers)))
    return [(start, min(start + chunk_size, runs)) for start in range(0, runs, chunk_size)]


def _concat(frames: Sequence[pd.DataFrame | None]) -> pd.DataFrame | None:
    present = [f for f in frames if f is not None]
    if not present:
        return None
    return pd.concat(present, ignore_index=True) if len(present) > 1 else present[0]


class Ensembles:
    """Simulates batches of runs on one executor, opened for the length of a study.

    Args:
        executor: "serial", "process" (a local pool, the default) or "dask".
        workers: processes of the pool (default: every core this process may use); 1 is serial.
        scheduler: a Dask scheduler's address, with executor="dask".
        chunk_size: runs per chunk (default: about two chunks per worker).
    """

    def __init__(
        self,
        executor: str = "process",
        workers: int | None = None,
        scheduler: str | None = None,
        chunk_size: int | None = None,
    ) -> None:
        self.kind, self.workers, self.chunk_size = executor, workers, chunk_size
        self.executor = make_executor(executor, workers, scheduler, WORKER_MODULES)

    def __enter__(self) -> Ensembles:
        self.executor.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.__exit__(*exc)

    def chunks(
        self,
        params: ParamSet | Mapping[str, Any],
        seeds: Sequence[int] | np.ndarray,
        months: int,
        trajectories: bool = True,
        events: bool = True,
        chunk_size: int | None = None,
    ) -> Iterator[tuple[np.ndarray, EnsembleTables]]:
        """Each chunk's run ids and tables, in run order, as the chunks finish.

        Chunks that finish early wait in a buffer for the ones before them; the executor keeps
        only a few chunks in flight, so the buffer stays small.
        """
        seeds = np.asarray(seeds)
        if not isinstance(params, ParamSet):
            params = ParamSet(encode(params), seeds.size)
        workers = 1 if self.kind == "serial" else local_workers(self.workers)
        bounds = chunk_bounds(seeds.size, workers, chunk_size or self.chunk_size)
        tasks = (
            EnsembleTask(
                index,
                params.take(np.arange(start, stop)),
                seeds[start:stop],
                np.arange(start, stop, dtype=np.int64),
                months,
                trajectories,
                events,
            )
            for index, (start, stop) in enumerate(bounds)
        )
        if len(bounds) == 1:  # nothing to share out: no pickling, no round trip
            yield np.arange(seeds.size, dtype=np.int64), simulate_task(next(tasks))[1]
            return
        waiting: dict[int, EnsembleTables] = {}
        following = 0
        for index, tables in self.executor.map_unordered(simulate_task, tasks):
            waiting[index] = tables
            while following in waiting:
                start, stop = bounds[following]
                yield np.arange(start, stop, dtype=np.int64), waiting.pop(following)
                following += 1

    def simulate(
        self,
        params: ParamSet | Mapping[str, Any],
        seeds: Sequence[int] | np.ndarray,
        months: int,
        trajectories: bool = True,
        events: bool = True,
    ) -> EnsembleTables:
        """The tables of runs 0..R-1 (R = len(seeds)), as one ``simulate`` call would give."""
        parts = [t for _, t in self.chunks(params, seeds, months, trajectories, events)]
        return EnsembleTables(
            _concat([t.summary for t in parts]),
            _concat([t.trajectories for t in parts]),
            _concat([t.events for t in parts]),
            _concat([t.episodes for t in parts]),
        )
