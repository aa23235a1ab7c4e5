"""The one chunk engine: a chunk of runs goes in, the reductions of its results come out.

Every command that runs ensembles (run, sweep, policy, score, calibrate, ablate, validate) cuts
its runs into chunks and simulates each chunk as one ensemble: one EscalationModel stepping all
the chunk's runs at once. A `Chunk` says what goes in: the runs' parameters, seeds and ids, the
months and which tables to record. A list of `Reduction`s says what comes out: each turns the
chunk's results into a *part* (a table, the exact fixed-point sums of a block of runs, the
values of a measure per run) and knows how the parts of all chunks merge into the whole.
`run_chunk` is the function every worker runs, whichever command it serves.

Exact whatever the chunking: a run's random numbers depend only on its seed (``sim.model.rng``),
so a run's rows do not depend on the runs that share its chunk; sums are fixed point
(``sim.engine.fixed_point``), so merged integers do not depend on the order or the size of the
parts.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from sim.engine.fixed_point import FIXED_POINT, block_starts, block_sums, to_fixed_point
from sim.model.params import ParamSet

if TYPE_CHECKING:
    from sim.model.escalation import EnsembleResult, EscalationModel

#: Imported once by a process pool's forkserver, so each worker starts with the model loaded.
WORKER_MODULES = ("sim.engine.chunks", "sim.model.escalation", "sim.model.recording")


@dataclasses.dataclass(frozen=True)
class Chunk:
    """Runs simulated together as one ensemble: run i has params row i and seeds[i]."""

    index: int  # the chunk's place among its command's chunks
    params: ParamSet
    seeds: np.ndarray
    months: int
    run_ids: np.ndarray | None = None  # the runs' ids in the tables; None: 0..runs-1
    trajectories: bool = False
    events: bool = False
    episodes: bool | None = None  # None: recorded with the events (the model's default)

    @property
    def runs(self) -> int:
        return len(self.seeds)

    @property
    def ids(self) -> np.ndarray:
        """The runs' ids (0..runs-1 unless given)."""
        return np.arange(self.runs, dtype=np.int64) if self.run_ids is None else self.run_ids


class Reduction(Protocol):
    """What a chunk's results become (`reduce`), and how the chunks' parts merge (`merge`)."""

    name: str

    def reduce(self, result: EnsembleResult, chunk: Chunk) -> Any: ...

    def merge(self, parts: Sequence[Any]) -> Any:
        """The whole from every chunk's part, given in chunk (= run) order."""
        ...


@runtime_checkable
class MonthlyReduction(Reduction, Protocol):
    """A reduction that also reads the model after each month (what the tables do not keep)."""

    def each_month(self, model: EscalationModel, month: int) -> None: ...


def columns_for_runs(
    columns: Mapping[str, np.ndarray], block: np.ndarray
) -> dict[str, float | np.ndarray]:
    """Each run's value of parameters given per block of runs (a design point, a policy).

    ``columns`` holds one value per block, ``block`` the (sorted) block of each run. A
    parameter stays a scalar where every block of the chunk agrees: the model then works
    with one number instead of an array.
    """
    per_run: dict[str, float | np.ndarray] = {}
    for path, values in columns.items():
        used = values[block[0] : block[-1] + 1]
        per_run[path] = float(used[0]) if np.all(used == used[0]) else values[block]
    return per_run


@dataclasses.dataclass
class ChunkOutput:
    """A simulated chunk: each reduction's part by name (empty once a worker stored them)."""

    index: int
    runs: int
    parts: dict[str, Any]
    seconds: float = 0.0


def run_chunk(chunk: Chunk, reductions: Sequence[Reduction]) -> ChunkOutput:
    """Simulate a chunk and apply each reduction to its results."""
    # Mesa: imported only where runs are simulated (in workers), never for --help
    from sim.model.escalation import EscalationModel

    began = time.perf_counter()
    model = EscalationModel(
        chunk.params,
        seeds=chunk.seeds,
        months=chunk.months,
        run_ids=chunk.run_ids,
        trajectories=chunk.trajectories,
        events=chunk.events,
        episodes=chunk.episodes,
    )
    monthly = [r for r in reductions if isinstance(r, MonthlyReduction)]
    for month in range(chunk.months):
        model.step()
        for reduction in monthly:
            reduction.each_month(model, month)
    result = model.results()
    parts = {r.name: r.reduce(result, chunk) for r in reductions}
    return ChunkOutput(chunk.index, chunk.runs, parts, time.perf_counter() - began)


@dataclasses.dataclass(frozen=True)
class ChunkJob:
    """A chunk and its reductions, built by the parent and shipped whole to a worker."""

    chunk: Chunk
    reductions: tuple[Reduction, ...]

    @property
    def index(self) -> int:
        return self.chunk.index


def run_job(job: ChunkJob) -> ChunkOutput:
    """`run_chunk` of a job (the function executors map over jobs)."""
    return run_chunk(job.chunk, job.reductions)


# --- reductions every command can use ----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class EnsembleTables:
    """The tables of a batch (as ``sim.model.escalation.EnsembleResult``), in run order."""

    summary: pd.DataFrame
    trajectories: pd.DataFrame | None
    events: pd.DataFrame | None
    episodes: pd.DataFrame | None = None


@dataclasses.dataclass(frozen=True)
class RunTables:
    """The chunk's tables themselves; merged by putting the chunks one after the other."""

    name: str = "tables"

    def reduce(self, result: EnsembleResult, chunk: Chunk) -> EnsembleTables:
        return EnsembleTables(result.summary, result.trajectories, result.events, result.episodes)

    def merge(self, parts: Sequence[EnsembleTables]) -> EnsembleTables:
        return EnsembleTables(
            *(concat_frames([getattr(p, f) for p in parts]) for f in _TABLES)  # type: ignore[arg-type]
        )


_TABLES = ("summary", "trajectories", "events", "episodes")


def concat_frames(frames: Sequence[pd.DataFrame | None]) -> pd.DataFrame | None:
    """Frames one after the other (None where none was recorded)."""
    present = [f for f in frames if f is not None]
    if not present:
        return None
    return pd.concat(present, ignore_index=True) if len(present) > 1 else present[0]


@dataclasses.dataclass
class CellSums:
    """Runs and exact fixed-point sums of k values per *cell*: a block of consecutive runs
    that share labels (a policy and a scenario; a design point).

    ``labels`` holds one array per label, one entry per cell; ``sums`` is (cells, k) int64 in
    units of 2^-24.
    """

    labels: dict[str, np.ndarray]
    runs: np.ndarray
    sums: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, labels: dict[str, np.ndarray]) -> CellSums:
        """Sum (runs, k) values over the blocks of runs with equal labels (runs sorted so)."""
        starts = block_starts(*labels.values())
        return cls(
            {name: column[starts] for name, column in labels.items()},
            np.diff(np.r_[starts, len(values)]),
            block_sums(to_fixed_point(values), starts, axis=0),
        )

    def frame(self, names: Sequence[str]) -> pd.DataFrame:
        """One row per cell: its labels, runs, and each value's sum (column by `names`)."""
        table: dict[str, Any] = {**self.labels, "runs": self.runs}
        table.update({name: self.sums[:, k] for k, name in enumerate(names)})
        return pd.DataFrame(table)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, labels: Sequence[str], names: Sequence[str]
    ) -> CellSums:
        return cls(
            {name: frame[name].to_numpy() for name in labels},
            frame["runs"].to_numpy(),
            frame[list(names)].to_numpy(dtype=np.int64).reshape(len(frame), -1),
        )


def merge_cell_sums(
    parts: Iterable[CellSums], shape: tuple[int, ...], values: int
) -> tuple[np.ndarray, np.ndarray]:
    """(runs, sums) of every cell of a dense grid `shape` (indexed by the labels in order),
    merged exactly from the chunks' parts; a cell split between chunks adds up."""
    sums = np.zeros((*shape, values), dtype=np.int64)
    runs = np.zeros(shape, dtype=np.int64)
    for part in parts:
        index = tuple(part.labels.values())
        np.add.at(sums, index, part.sums)
        np.add.at(runs, index, part.runs)
    return runs, sums


def cell_means(runs: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """The mean of each cell's values from its runs and fixed-point sums."""
    return sums / FIXED_POINT / runs[..., None]
