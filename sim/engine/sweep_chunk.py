"""A sweep's chunk in a worker: its task (`ChunkTask`, made by ``sim.engine.plan``) as a
`Chunk`, and the sweep's reductions.

The worker builds the chunk's parameters itself (a scalar where every point of the chunk
agrees, drawn from a posterior with ``calibration=``), runs it through the chunk engine
(``sim.engine.chunks.run_chunk``) with the sweep's reductions: the run summaries labelled with
their design point, replicate, scenario and factors; the trajectories and demand episodes with
their design point; and the exact monthly aggregate (``sim.engine.aggregate``). Workers that
share the sweep's file system write the chunk's parts themselves.

What this module imports is what the pool's workers load (``sim.engine.workers``), so it stays
below the configuration layer: no Hydra or OmegaConf in a worker.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.engine import posterior_draws as posterior
from sim.engine.aggregate import QUANTILE_MIN_REPLICATES, MonthlyAggregate
from sim.engine.chunks import (
    Chunk,
    ChunkOutput,
    Reduction,
    columns_for_runs,
    concat_frames,
    run_chunk,
)
from sim.engine.parts import write_parts
from sim.engine.run_table import labelled_summary
from sim.model import params as P
from sim.model.rng import derive_seeds

if TYPE_CHECKING:
    from sim.model.escalation import EnsembleResult


@dataclasses.dataclass(frozen=True)
class ChunkTask:
    """Runs ``start .. stop-1`` of a sweep, with the encoded parameters of their points.

    ``columns`` holds one value per design point covered (first_point, first_point + 1, ...).
    ``directory``: where the worker writes the chunk's parts itself; None returns the tables to
    the parent instead (workers that do not share the sweep's file system).
    """

    index: int
    start: int
    stop: int
    replicates: int
    seed: int
    months: int
    first_point: int
    columns: dict[str, np.ndarray]
    scenarios: tuple[str, ...]
    trajectories: bool
    calibration: str | None = None  # a posterior directory: calibrated parameters drawn from it
    calibration_digest: str | None = None  # its file's, as the plan read it (None: unchecked)
    fixed: tuple[str, ...] = ()  # the design's columns: the default posterior leaves them alone
    directory: str | None = None
    experiment: str = ""  # for the parts' metadata
    run_dir: str = ""  # the sweep directory's name, the parts' first column (store.RUN_DIR)
    #: The design's factor values of the points covered, by summary column (factor_column).
    factors: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class LabelledSummary:
    """The run summaries with the sweep's columns: the leading labels a run's summary shares
    (``sim.engine.run_table``: design point, replicate, scenario, particle), then the factors."""

    labels: dict[str, Any]  # the keyword arguments of run_table.labelled_summary
    name: str = "summary"

    def reduce(self, result: EnsembleResult, chunk: Chunk) -> pd.DataFrame:
        return labelled_summary(result.summary, **self.labels)

    def merge(self, parts: Sequence[pd.DataFrame]) -> pd.DataFrame | None:
        return concat_frames(parts)


@dataclasses.dataclass(frozen=True)
class RowsWithDesignPoint:
    """A per-run table (trajectories, episodes) with each row's design point after run_id."""

    name: str  # "trajectories" or "episodes": the table of the result
    replicates: int

    def reduce(self, result: EnsembleResult, chunk: Chunk) -> pd.DataFrame | None:
        table = getattr(result, self.name)
        if table is not None:
            table.insert(1, "design_point", table["run_id"].to_numpy() // self.replicates)
        return table

    def merge(self, parts: Sequence[pd.DataFrame | None]) -> pd.DataFrame | None:
        return concat_frames(parts)


def sweep_chunk(task: ChunkTask) -> tuple[Chunk, list[Reduction]]:
    """The task's runs as a chunk, and the reductions a sweep keeps of them."""
    run_ids = np.arange(task.start, task.stop, dtype=np.int64)
    points = run_ids // task.replicates
    replicate = run_ids % task.replicates
    local = points - task.first_point
    params = P.ParamSet(columns_for_runs(task.columns, local), local.size)
    particle = None
    if task.calibration:  # replicate r of every design point gets the same posterior draw
        params, particle = posterior.override_params(
            params,
            posterior.load_checked(task.calibration, task.calibration_digest).without(task.fixed),
            task.seed,
            replicate,
        )
    chunk = Chunk(
        task.index,
        params,
        derive_seeds(task.seed, replicate),
        task.months,
        run_ids=run_ids,
        trajectories=task.trajectories,
        events=False,
        episodes=task.trajectories,
    )
    labels: dict[str, Any] = dict(
        scenario=np.asarray(task.scenarios, dtype=object)[local],
        replicate=replicate,
        design_point=points,
        particle=particle,
        factors={name: values[local] for name, values in task.factors.items()},
    )
    histograms = task.replicates >= QUANTILE_MIN_REPLICATES
    reductions: list[Reduction] = [
        LabelledSummary(labels),
        MonthlyAggregate(local, len(task.scenarios), task.months, histograms, task.first_point),
    ]
    if task.trajectories:
        reductions += [
            RowsWithDesignPoint("trajectories", task.replicates),
            RowsWithDesignPoint("episodes", task.replicates),
        ]
    return chunk, reductions


def run_sweep_chunk(task: ChunkTask) -> ChunkOutput:
    """Simulate one chunk of a sweep; write its parts (task.directory) or return them."""
    began = time.perf_counter()
    output = run_chunk(*sweep_chunk(task))
    if task.directory is not None:
        write_parts(
            Path(task.directory),
            output,
            run_dir=task.run_dir,
            experiment=task.experiment,
            seed=task.seed,
        )
        output.parts = {}
    output.seconds = time.perf_counter() - began
    return output
