"""One chunk of a sweep: a block of consecutive runs simulated as one ensemble.

A chunk goes in (the runs, their seeds and encoded parameters) and exact tables come out: the
run summaries and the monthly aggregate per design point (``sim.engine.aggregate``). Workers
write their chunk's parts themselves when they share the sweep's file system.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.engine import posterior_draws as posterior
from sim.engine.aggregate import QUANTILE_MIN_REPLICATES, MonthlyAggregate
from sim.engine.plan import ChunkTask
from sim.engine.run_table import labelled_summary
from sim.engine.sweep_directory import write_parts
from sim.model import params as P
from sim.model.rng import derive_seeds

# Imported once by the process pool's forkserver, so that each worker starts with the model
# loaded instead of importing Mesa itself.
WORKER_MODULES = ("sim.engine.chunks", "sim.model.escalation", "sim.model.recording")


@dataclasses.dataclass
class ChunkResult:
    """A finished chunk; its tables are None once the worker has written them."""

    index: int
    runs: int
    summary: pd.DataFrame | None
    aggregate: pa.Table | None
    trajectories: pd.DataFrame | None
    seconds: float
    episodes: pd.DataFrame | None = None  # with trajectories: one row per demand episode


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate one chunk; write its parts (task.directory) or return its tables."""
    # Mesa: imported only where runs are simulated (in workers), never for --help
    from sim.model.escalation import EscalationModel

    began = time.perf_counter()
    run_ids = np.arange(task.start, task.stop, dtype=np.int64)
    points = run_ids // task.replicates
    replicate = run_ids % task.replicates
    local = points - task.first_point
    params = _chunk_params(task.columns, local)
    particle = None
    if task.calibration:  # replicate r of every design point gets the same posterior draw
        params, particle = posterior.override_params(
            params,
            posterior.load_cached(task.calibration).without(task.fixed),
            task.seed,
            replicate,
        )
    model = EscalationModel(
        params,
        seeds=derive_seeds(task.seed, replicate),
        months=task.months,
        run_ids=run_ids,
        trajectories=task.trajectories,
        events=False,
        episodes=task.trajectories,
    )
    histograms = task.replicates >= QUANTILE_MIN_REPLICATES
    monthly = MonthlyAggregate(local, len(task.scenarios), task.months, histograms)
    for month in range(task.months):
        model.step()
        monthly.add(model, month)
    result = model.results()
    summary = labelled_summary(
        result.summary,
        np.asarray(task.scenarios, dtype=object)[local],
        replicate=replicate,
        design_point=points,
        particle=particle,
        factors={name: values[local] for name, values in task.factors.items()},
    )
    trajectories = None
    if result.trajectories is not None:
        trajectories = result.trajectories
        trajectories.insert(1, "design_point", np.repeat(points, task.months))
    episodes = result.episodes
    if episodes is not None:
        episodes.insert(1, "design_point", episodes["run_id"].to_numpy() // task.replicates)
    chunk = ChunkResult(
        task.index,
        len(run_ids),
        summary,
        monthly.table(task.first_point),
        trajectories,
        0.0,
        episodes,
    )
    if task.directory is not None:
        write_parts(
            Path(task.directory),
            chunk,
            run_dir=task.run_dir,
            experiment=task.experiment,
            seed=task.seed,
        )
        chunk.summary = chunk.aggregate = chunk.trajectories = chunk.episodes = None
    chunk.seconds = time.perf_counter() - began
    return chunk


def _chunk_params(columns: Mapping[str, np.ndarray], local: np.ndarray) -> P.ParamSet:
    """One value per run; a parameter stays a scalar where every point of the chunk agrees."""
    per_run: dict[str, float | np.ndarray] = {}
    for path, values in columns.items():
        used = values[local[0] : local[-1] + 1]
        per_run[path] = float(used[0]) if np.all(used == used[0]) else values[local]
    return P.ParamSet(per_run, local.size)
