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
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.engine.store import read_table, write_table
from sim.model.params import ParamSet
from sim.model.rng import derive_seeds
from sim.studies.policy.objectives import per_run_values
from sim.studies.policy.spec import Variable

#: The column with a sampled scenario's index (a point of the uncertainties' Latin hypercube).
SAMPLED_SCENARIO = "sampled_scenario"

FIXED_POINT = float(2**24)
WORKER_MODULES = ("sim.model.escalation", "sim.studies.policy.evaluate")


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
class EvaluationTask:
    """Runs ``start .. stop-1`` of an evaluation (flat numbering, see the module docstring)."""

    index: int
    start: int
    stop: int
    ensemble_size: int
    replicates: int
    seed: int
    months: int
    first_policy: int
    levers: dict[str, np.ndarray]  # encoded, one value per policy from first_policy on
    uncertainties: dict[str, np.ndarray]  # encoded, one value per run of this chunk
    base: dict[str, float]  # every other parameter (the base scenario, encoded)
    objectives: tuple[str, ...]


@dataclasses.dataclass
class ChunkSums:
    """Per (policy, scenario) cell of a chunk: runs and fixed-point sums of each objective."""

    index: int
    policy: np.ndarray
    scenario: np.ndarray
    runs: np.ndarray
    sums: np.ndarray  # (cells, objectives) int64
    seconds: float = 0.0

    def frame(self, objectives: Sequence[str]) -> pd.DataFrame:
        table = {"policy": self.policy, SAMPLED_SCENARIO: self.scenario, "runs": self.runs}
        table.update({name: self.sums[:, k] for k, name in enumerate(objectives)})
        return pd.DataFrame(table)

    @classmethod
    def from_frame(cls, index: int, frame: pd.DataFrame, objectives: Sequence[str]) -> ChunkSums:
        return cls(
            index,
            frame["policy"].to_numpy(),
            frame[SAMPLED_SCENARIO].to_numpy(),
            frame["runs"].to_numpy(),
            frame[list(objectives)].to_numpy(dtype=np.int64).reshape(len(frame), -1),
        )


def evaluate_chunk(task: EvaluationTask) -> ChunkSums:
    """Simulate one chunk and sum its objectives per (policy, scenario)."""
    # Mesa: imported only where runs are simulated (in workers), never for --help
    from sim.model.escalation import EscalationModel

    began = time.perf_counter()
    flat = np.arange(task.start, task.stop, dtype=np.int64)
    policy, run = np.divmod(flat, task.ensemble_size)
    local = policy - task.first_policy
    columns: dict[str, Any] = dict(task.base)
    for path, values in task.levers.items():
        used = values[local[0] : local[-1] + 1]
        columns[path] = float(used[0]) if np.all(used == used[0]) else values[local]
    columns.update(task.uncertainties)
    model = EscalationModel(
        ParamSet(columns, flat.size),
        seeds=derive_seeds(task.seed, run),
        months=task.months,
        run_ids=flat,
        trajectories=False,
        events=False,
    )
    summary = model.run().summary
    values = per_run_values(summary, task.objectives, task.months / 12.0)
    fixed = np.rint(values * FIXED_POINT).astype(np.int64)
    # Runs are ordered by policy, then scenario: every cell is one contiguous block.
    cell = policy * (task.ensemble_size // task.replicates) + run // task.replicates
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    return ChunkSums(
        task.index,
        policy[starts],
        (run // task.replicates)[starts],
        np.diff(np.r_[starts, flat.size]),
        np.add.reduceat(fixed, starts, axis=0),
        time.perf_counter() - began,
    )


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

    def task(self, index: int) -> EvaluationTask:
        start = index * self.chunk_size
        stop = min(start + self.chunk_size, self.runs)
        size = self.ensemble.size
        first, last = start // size, (stop - 1) // size
        run = np.arange(start, stop) % size
        scenario = run // self.ensemble.replicates
        return EvaluationTask(
            index=index,
            start=start,
            stop=stop,
            ensemble_size=size,
            replicates=self.ensemble.replicates,
            seed=self.ensemble.seed,
            months=self.months,
            first_policy=first,
            levers={
                path: self.policies[first : last + 1, k] for k, path in enumerate(self.lever_paths)
            },
            uncertainties={path: values[scenario] for path, values in self.ensemble.values.items()},
            base=self.base,
            objectives=self.objectives,
        )

    def means(self, chunks: Iterator[ChunkSums] | Sequence[ChunkSums]) -> np.ndarray:
        """(policies, scenarios, objectives): each cell's mean, merged exactly from the chunks."""
        shape = (len(self.policies), self.ensemble.scenarios)
        sums = np.zeros((*shape, len(self.objectives)), dtype=np.int64)
        runs = np.zeros(shape, dtype=np.int64)
        for chunk in chunks:
            sums[chunk.policy, chunk.scenario] += chunk.sums
            runs[chunk.policy, chunk.scenario] += chunk.runs
        if np.any(runs == 0):
            raise RuntimeError("an evaluation is missing chunks")  # a bug, never bad input
        return sums / FIXED_POINT / runs[..., None]


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
    done: dict[int, ChunkSums] = {}
    for index in range(evaluation.chunks):
        path = part_path(folder, index)
        if path.is_file():
            done[index] = ChunkSums.from_frame(index, read_table(path), evaluation.objectives)
    todo = (evaluation.task(i) for i in range(evaluation.chunks) if i not in done)
    for chunk in executor.map_unordered(evaluate_chunk, todo):
        frame = chunk.frame(evaluation.objectives)
        path = part_path(folder, chunk.index)
        write_table(frame, path, run_dir=run_dir, table="policy_sums", chunk=chunk.index)
        done[chunk.index] = chunk
        if on_chunk is not None:
            on_chunk(int(chunk.runs.sum()))
    return evaluation.means(done.values())
