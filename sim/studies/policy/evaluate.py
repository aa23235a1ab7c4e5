"""Policies on a scenario ensemble: chunks of runs in workers, exact sums per policy and scenario.

An *ensemble* is a fixed list of runs: each run has the uncertainties' values of its scenario,
a seed, and the index of its scenario. Every policy is evaluated on the same ensemble (common
random numbers), so two policies differ only by their levers, never by luck of the draw.

The runs of an evaluation are numbered ``flat = policy * ensemble_size + run`` and cut into
chunks of ``chunk_size``; each chunk is one model ensemble stepping all its runs at once. A chunk
returns, per (policy, scenario), the number of runs and each objective's sum in fixed point
(integers in units of 2^-24), so merging chunks is exact and a result does not depend on the
chunk size, the executor or the number of workers. With a directory, each chunk's sums are
written to their own part file as it finishes, so an interrupted evaluation resumes where it
stopped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.engine.chunks import (
    CellSums,
    Chunk,
    ChunkJob,
    cell_means,
    columns_for_runs,
    merge_cell_sums,
    run_job,
)
from sim.engine.store import read_table, write_table
from sim.model.params import ParamSet
from sim.model.rng import derive_seeds
from sim.studies.policy.objectives import per_run_values
from sim.studies.policy.spec import Variable

#: The column with a sampled scenario's index (a point of the uncertainties' Latin hypercube).
SAMPLED_SCENARIO = "sampled_scenario"

if TYPE_CHECKING:
    from sim.model.escalation import EnsembleResult

WORKER_MODULES = ("sim.engine.chunks", "sim.model.escalation", "sim.studies.policy.evaluate")


@dataclasses.dataclass(frozen=True)
class Ensemble:
    """The runs every policy meets: scenario s holds runs s * replicates ... + replicates - 1."""

    values: dict[str, np.ndarray]  # encoded value of each uncertainty, one per scenario
    scenarios: int
    replicates: int
    seed: int  # master seed of the runs' seeds

    @property
    def size(self) -> int:
        return self.scenarios * self.replicates

    def frame(self, uncertainties: Sequence[Variable]) -> pd.DataFrame:
        """One row per scenario with the uncertainties' values (choices by name)."""
        # its own name: `scenario` is a scenario's name in every other table (docs/outputs.md)
        table: dict[str, Any] = {SAMPLED_SCENARIO: np.arange(self.scenarios)}
        for v in uncertainties:
            column = self.values[v.path]
            choices = v.spec.choices
            table[v.path] = [choices[int(c)] for c in column] if choices else column
        return pd.DataFrame(table)


def sample_ensemble(
    uncertainties: Sequence[Variable], scenarios: int, replicates: int, seed: int
) -> Ensemble:
    """A Latin hypercube of `scenarios` points over the uncertainties, `replicates` runs each.

    A values list is sampled as equal slices of [0, 1) (each value equally often); the runs'
    seeds are derived from `seed`, so the same arguments give the same ensemble anywhere.
    """
    values: dict[str, np.ndarray] = {}
    if uncertainties:
        sampler = qmc.LatinHypercube(d=len(uncertainties), rng=np.random.default_rng(seed))
        unit = sampler.random(scenarios)
        values = {v.path: v.scale(unit[:, k]) for k, v in enumerate(uncertainties)}
    return Ensemble(values, scenarios, replicates, seed)


@dataclasses.dataclass(frozen=True)
class ObjectiveSums:
    """The chunk engine's reduction of a policy evaluation: per (policy, scenario) cell, the
    runs and each objective's exact fixed-point sum (``sim.engine.chunks.CellSums``)."""

    objectives: tuple[str, ...]
    years: float  # the horizon: rates are per year
    ensemble_size: int
    replicates: int
    policies: int
    name: str = "objectives"

    def cells(self, run_ids: np.ndarray) -> dict[str, np.ndarray]:
        """Each run's policy and scenario (runs numbered policy * ensemble_size + run)."""
        policy, run = np.divmod(run_ids, self.ensemble_size)
        return {"policy": policy, SAMPLED_SCENARIO: run // self.replicates}

    def reduce(self, result: EnsembleResult, chunk: Chunk) -> CellSums:
        values = per_run_values(result.summary, self.objectives, self.years)
        return CellSums.of(values, self.cells(chunk.ids))

    def merge(self, parts: Iterable[CellSums]) -> np.ndarray:
        """(policies, scenarios, objectives): each cell's mean, merged exactly."""
        shape = (self.policies, self.ensemble_size // self.replicates)
        runs, sums = merge_cell_sums(parts, shape, len(self.objectives))
        if np.any(runs == 0):
            raise RuntimeError("an evaluation is missing chunks")  # a bug, never bad input
        return cell_means(runs, sums)


# --- an evaluation -----------------------------------------------------------------------------
@dataclasses.dataclass
class Evaluation:
    """Policies x an ensemble, cut into chunks; `means` merges the chunks' sums exactly."""

    policies: np.ndarray  # (P, levers) encoded lever values
    lever_paths: tuple[str, ...]
    ensemble: Ensemble
    base: dict[str, float]
    objectives: tuple[str, ...]
    months: int
    chunk_size: int

    @property
    def runs(self) -> int:
        return len(self.policies) * self.ensemble.size

    @property
    def chunks(self) -> int:
        return -(-self.runs // self.chunk_size)

    def reduction(self) -> ObjectiveSums:
        size, replicates = self.ensemble.size, self.ensemble.replicates
        years = self.months / 12.0
        return ObjectiveSums(self.objectives, years, size, replicates, len(self.policies))

    def job(self, index: int) -> ChunkJob:
        """Chunk `index`: runs start..stop-1, ordered by policy, then scenario."""
        start = index * self.chunk_size
        stop = min(start + self.chunk_size, self.runs)
        flat = np.arange(start, stop, dtype=np.int64)
        policy, run = np.divmod(flat, self.ensemble.size)
        first = int(policy[0])
        levers = {path: self.policies[first:, k] for k, path in enumerate(self.lever_paths)}
        columns: dict[str, Any] = dict(self.base)
        columns.update(columns_for_runs(levers, policy - first))
        scenario = run // self.ensemble.replicates
        columns.update({path: values[scenario] for path, values in self.ensemble.values.items()})
        chunk = Chunk(
            index,
            ParamSet(columns, flat.size),
            derive_seeds(self.ensemble.seed, run),
            self.months,
            run_ids=flat,
        )
        return ChunkJob(chunk, (self.reduction(),))

    def means(self, parts: Iterable[CellSums]) -> np.ndarray:
        """(policies, scenarios, objectives): each cell's mean, merged exactly from the chunks."""
        return self.reduction().merge(parts)


def part_path(folder: Path, index: int) -> Path:
    return Path(folder) / f"part-{index:06d}.parquet"


def run_evaluation(
    evaluation: Evaluation,
    executor: Any,
    folder: Path,
    run_dir: str,
    on_chunk: Any = None,
) -> np.ndarray:
    """Evaluate (resuming from the parts already in `folder`) and return the cell means.

    Args:
        evaluation: the policies and ensemble.
        executor: an executor from ``sim.engine.executors.make_executor`` (entered).
        folder: where each chunk's sums are written as it finishes; parts present are reused.
        run_dir: the study directory's name, the parts' first column (store.RUN_DIR).
        on_chunk: called with each finished chunk's run count (progress bars, test hooks).
    """

    folder.mkdir(parents=True, exist_ok=True)
    labels, names = ("policy", SAMPLED_SCENARIO), evaluation.objectives
    done: dict[int, CellSums] = {}
    for index in range(evaluation.chunks):
        path = part_path(folder, index)
        if path.is_file():
            done[index] = CellSums.from_frame(read_table(path), labels, names)
    todo = (evaluation.job(i) for i in range(evaluation.chunks) if i not in done)
    for output in executor.map_unordered(run_job, todo):
        sums = output.parts["objectives"]
        path = part_path(folder, output.index)
        write_table(
            sums.frame(names), path, run_dir=run_dir, table="policy_sums", chunk=output.index
        )
        done[output.index] = sums
        if on_chunk is not None:
            on_chunk(output.runs)
    return evaluation.means(done.values())
