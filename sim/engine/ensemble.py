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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from sim.engine.chunks import WORKER_MODULES as CHUNK_WORKER_MODULES
from sim.engine.chunks import (
    Chunk,
    ChunkJob,
    ChunkOutput,
    EnsembleTables,
    Reduction,
    RunTables,
    run_job,
)
from sim.engine.executors import local_workers, make_executor
from sim.model.params import ParamSet, encode

#: Imported once by a process pool's forkserver, so each worker starts with the model loaded.
WORKER_MODULES = ("sim.engine.ensemble", *CHUNK_WORKER_MODULES)
#: Below this many runs a chunk costs more to ship to a worker than to simulate here.
MIN_RUNS_PER_CHUNK = 250


@dataclasses.dataclass(frozen=True)
class Runs:
    """A batch of runs for `Ensembles.simulate_each`: run i has params row i and seeds[i]
    (ids 0..R-1 in its tables), stepped `months` months, recording what is asked."""

    params: ParamSet | Mapping[str, Any]
    seeds: Sequence[int] | np.ndarray
    months: int
    trajectories: bool = True
    events: bool = True


def chunk_bounds(runs: int, workers: int, chunk_size: int | None) -> list[tuple[int, int]]:
    """Consecutive (start, stop) ranges: about two chunks per worker, none under the minimum."""
    if chunk_size is None:
        chunk_size = max(MIN_RUNS_PER_CHUNK, -(-runs // (2 * workers)))
    return [(start, min(start + chunk_size, runs)) for start in range(0, runs, chunk_size)]


class Ensembles:
    """Simulates batches of runs on one executor, opened for the length of a study.

    Args:
        executor: "serial", "process" (a local pool, the default) or "dask".
        workers: processes of the pool (default: every core this process may use); 1 is serial.
        scheduler: a Dask scheduler's address, with executor="dask".
        chunk_size: runs per chunk (default: about two chunks per worker).
        preload: more modules for a process pool's workers to import once (those of the
            reductions a study ships with its jobs).
    """

    def __init__(
        self,
        executor: str = "process",
        workers: int | None = None,
        scheduler: str | None = None,
        chunk_size: int | None = None,
        preload: Sequence[str] = (),
    ) -> None:
        self.kind, self.workers, self.chunk_size = executor, workers, chunk_size
        self.executor = make_executor(executor, workers, scheduler, (*WORKER_MODULES, *preload))

    def __enter__(self) -> Ensembles:
        self.executor.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.__exit__(*exc)

    def outputs(
        self,
        params: ParamSet | Mapping[str, Any],
        seeds: Sequence[int] | np.ndarray,
        months: int,
        reductions: Sequence[Reduction],
        trajectories: bool = True,
        events: bool = True,
        chunk_size: int | None = None,
        local_ids: bool = False,
    ) -> Iterator[ChunkOutput]:
        """Each chunk's output (the parts of `reductions`), in run order, as chunks finish.

        Run i has params row i and seeds[i]; its id in the tables is i, or with `local_ids` its
        place in its chunk (what a measure that indexes by run id within a batch expects).
        """
        seeds = np.asarray(seeds)
        params = _param_set(params, seeds.size)
        workers = self.worker_count()
        bounds = chunk_bounds(seeds.size, workers, chunk_size or self.chunk_size)
        jobs = (
            _job(
                index,
                params.take(np.arange(start, stop)),
                seeds[start:stop],
                None if local_ids else np.arange(start, stop, dtype=np.int64),
                (months, trajectories, events),
                reductions,
            )
            for index, (start, stop) in enumerate(bounds)
        )
        return self.in_order(jobs, len(bounds))

    def chunks(
        self,
        params: ParamSet | Mapping[str, Any],
        seeds: Sequence[int] | np.ndarray,
        months: int,
        trajectories: bool = True,
        events: bool = True,
        chunk_size: int | None = None,
    ) -> Iterator[tuple[np.ndarray, EnsembleTables]]:
        """Each chunk's run ids and tables, in run order, as the chunks finish."""
        outputs = self.outputs(
            params, seeds, months, (RunTables(),), trajectories, events, chunk_size
        )
        start = 0
        for output in outputs:
            yield np.arange(start, start + output.runs, dtype=np.int64), output.parts["tables"]
            start += output.runs

    def in_order(
        self, jobs: Iterator[ChunkJob], count: int, in_flight: int | None = None
    ) -> Iterator[ChunkOutput]:
        """The outputs of `count` jobs (indexed 0..count-1) in job order, as they finish.

        Jobs that finish early wait in a buffer for the ones before them; the executor keeps
        only a few in flight (`in_flight`, default two per worker), so the buffer stays small.
        A single job runs here: nothing to share out, no pickling, no round trip.
        """
        if count == 1:
            yield run_job(next(jobs))
            return
        waiting: dict[int, ChunkOutput] = {}
        following = 0
        for output in self.executor.map_unordered(run_job, jobs, in_flight):
            waiting[output.index] = output
            while following in waiting:
                yield waiting.pop(following)
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
        return RunTables().merge(parts)

    def simulate_each(
        self, batches: Iterable[Runs], count: int | None = None, all_at_once: bool = False
    ) -> Iterator[EnsembleTables]:
        """The tables of each batch in order, each as `simulate` gives it.

        With at least two batches per worker the workers get whole batches, not slices of one:
        the model's throughput per core falls steeply with fewer runs per model instance (a
        month costs about the same Python overhead at 750 runs as at 10,000), so a study of many
        batches (ablate's mechanisms, validate's scenarios) keeps both cores busy at full batch
        size. Fewer batches are cut into chunks as `simulate` does. Runs do not depend on how
        they are grouped, so the tables are the same either way.

        `batches` may be a generator (then give `count`): it is read as workers become free, so
        the parent builds the next batch while the workers simulate the first ones. With
        `all_at_once` every batch is built and handed over before the first is awaited (the
        workers take them in order), so that a caller that works on each batch as it arrives
        never leaves a worker without its next batch; the batches are held until simulated.
        """
        if count is None:
            batches = list(batches)
            count = len(batches)
        if count < 2 * self.worker_count() or self.chunk_size:
            for runs in batches:
                yield self.simulate(
                    runs.params, runs.seeds, runs.months, runs.trajectories, runs.events
                )
            return
        jobs = (
            _job(
                index,
                _param_set(runs.params, len(runs.seeds)),
                np.asarray(runs.seeds),
                np.arange(len(runs.seeds), dtype=np.int64),
                (runs.months, runs.trajectories, runs.events),
                (RunTables(),),
            )
            for index, runs in enumerate(batches)
        )
        for output in self.in_order(jobs, count, count if all_at_once else None):
            yield output.parts["tables"]

    def worker_count(self) -> int:
        """How many chunks this executor simulates at once (1 in this process)."""
        return 1 if self.kind == "serial" else local_workers(self.workers)


def _job(
    index: int,
    params: ParamSet,
    seeds: np.ndarray,
    run_ids: np.ndarray | None,
    recording: tuple[int, bool, bool],
    reductions: Sequence[Reduction],
) -> ChunkJob:
    """Chunk `index` of these runs (`recording`: months, trajectories, events) and what to keep."""
    months, trajectories, events = recording
    chunk = Chunk(
        index, params, seeds, months, run_ids=run_ids, trajectories=trajectories, events=events
    )
    return ChunkJob(chunk, tuple(reductions))


def _param_set(params: ParamSet | Mapping[str, Any], runs: int) -> ParamSet:
    return params if isinstance(params, ParamSet) else ParamSet(encode(params), runs)
