"""A policy study from start to finish: search, Pareto set, robustness, files.

Directory ``results/policies/<experiment>/<timestamp>/`` (docs/policy.md, "Outputs"):

* ``config.yaml``, ``manifest.json`` (``complete: false`` until the end);
* ``evaluations.parquet``: every policy the search evaluated, the status quo first (a
  probability objective with the dice's interval; the parameters' is NaN: one run per draw);
* ``pareto.parquet``: the Pareto set (values on the search ensemble);
* ``robustness.parquet``: the re-evaluated policies (the Pareto set thinned to
  ``robustness.max_policies``, plus the status quo): means (a probability's with the dice's
  and the parameters' interval), regrets, threshold share, chosen;
* ``scenarios.parquet``: each re-evaluated policy in each fresh scenario;
* ``failure_boxes.parquet``: PRIM's box of the scenarios where the chosen policy fails;
* ``lever_effects.parquet``: each lever moved alone from the low to the high end of its range
  (the others at the status quo) on the robustness ensemble: its effect on each objective and
  the share of posterior draws in which that effect's sign holds;
* ``parts/``: each chunk's sums as it finished, for resuming.

Seeds: the search ensemble, the robustness ensemble and pymoo each get their own seed derived
from the experiment seed, so the robustness scenarios are fresh (never the search's).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim.analysis.discovery import MissingDependency, discovery_tables
from sim.config import ConfigError
from sim.engine import posterior_draws
from sim.engine.executors import make_executor, start_workers_early
from sim.engine.store import read_table, recorded_run_dir, write_table
from sim.engine.store import write_manifest as write
from sim.engine.study_directory import (
    StudyFailed,
    StudyInterrupted,
    new_study_directory,
    reopen_study,
)
from sim.errors import explain
from sim.model.rng import derive_seeds
from sim.studies.policy import robustness as R
from sim.studies.policy import spec
from sim.studies.policy.evaluate import WORKER_MODULES, Ensemble, Evaluation, run_evaluation
from sim.studies.policy.evaluate import sample_ensemble as sample
from sim.studies.policy.objectives import OBJECTIVES
from sim.studies.policy.robustness import failure_boxes
from sim.studies.policy.search import run_search

PARTS = "parts"
FILES = ("evaluations", "pareto", "robustness", "scenarios", "failure_boxes", "lever_effects")
SEED_STREAMS = {"search": 0, "robustness": 1, "optimiser": 2}


@dataclasses.dataclass
class Study:
    """Everything a study needs before it runs."""

    cfg: DictConfig
    levers: list[spec.Variable]
    uncertainties: list[spec.Variable]
    base: dict[str, float]
    objectives: tuple[str, ...]
    run_dir: str = ""  # the study directory's name, every table's first column (store.RUN_DIR)

    @classmethod
    def plan(cls, cfg: DictConfig) -> Study:
        return cls(
            cfg,
            spec.levers_of(cfg),
            spec.uncertainties_of(cfg),
            spec.base_values(cfg),
            tuple(cfg.objectives),
        )

    def seed(self, stream: str) -> int:
        return int(derive_seeds(int(self.cfg.seed), np.array([SEED_STREAMS[stream]]))[0])

    @property
    def lever_paths(self) -> tuple[str, ...]:
        return tuple(v.path for v in self.levers)

    def search_ensemble(self) -> Ensemble:
        ensemble = sample(self.uncertainties, int(self.cfg.search.runs), 1, self.seed("search"))
        return self.with_posterior(ensemble, "search")

    def robustness_ensemble(self) -> Ensemble:
        r = self.cfg.robustness
        ensemble = sample(
            self.uncertainties, int(r.scenarios), int(r.replicates), self.seed("robustness")
        )
        return self.with_posterior(ensemble, "robustness")

    def posterior(self) -> posterior_draws.Posterior | None:
        """The posterior the scenarios draw from, without the levers, the uncertainties and
        what the base scenario sets itself (None: the hand-set values)."""
        directory = posterior_draws.resolve(self.cfg.get("calibration"))
        if directory is None:
            return None
        fixed = {*self.lever_paths, *(v.path for v in self.uncertainties)}
        fixed.update(posterior_draws.set_explicitly(self.base))
        return posterior_draws.load_cached(directory).without(sorted(fixed))

    def with_posterior(self, ensemble: Ensemble, stream: str) -> Ensemble:
        """Each scenario of the ensemble takes one posterior draw of the calibrated parameters
        (its replicates share it), so a policy's effect is evaluated per draw, with common
        random numbers, and its sign can be counted over the draws."""
        posterior = self.posterior()
        if posterior is None:
            return ensemble
        scenarios = np.arange(ensemble.scenarios) * posterior_draws.RUNS_PER_DRAW
        particles = posterior_draws.draw_particles(posterior, self.seed(stream), scenarios)
        drawn = posterior_draws.calibrated_columns(posterior, particles)
        return dataclasses.replace(ensemble, values={**ensemble.values, **drawn})

    def lever_values(self, unit: np.ndarray) -> np.ndarray:
        """(policies, levers): unit-cube points as encoded lever values."""
        return np.column_stack([v.scale(unit[:, k]) for k, v in enumerate(self.levers)])

    def status_quo(self) -> np.ndarray:
        """The base scenario's own lever values: the policy the others are compared with."""
        return np.array([[self.base[path] for path in self.lever_paths]])

    def evaluation(self, policies: np.ndarray, ensemble: Ensemble) -> Evaluation:
        return Evaluation(
            policies,
            self.lever_paths,
            ensemble,
            self.base,
            self.objectives,
            int(self.cfg.months),
            int(self.cfg.chunk_size),
        )

    def expected_runs(self) -> int:
        """Runs of the whole study (the search's at most: pymoo may drop duplicates)."""
        s, r = self.cfg.search, self.cfg.robustness
        if s.method == "grid":
            policies = s.levels ** len(self.levers)
        else:
            policies = s.population * (s.generations + 1)
        search = (policies + 1) * s.runs
        robust = (r.max_policies + 1) * r.scenarios * r.replicates
        return int(search + robust + self.effect_runs())

    def effect_runs(self) -> int:
        """Runs of the lever-effect phase: each lever at both ends on the robustness ensemble."""
        r = self.cfg.robustness
        return 2 * len(self.levers) * r.scenarios * r.replicates if r.lever_effects else 0

    def effect_policies(self) -> np.ndarray:
        """(2 * levers, levers): the status quo with lever k at its low (row 2k) and its high
        end (row 2k + 1): each lever's effect alone, from the policy in force."""
        rows = np.repeat(self.status_quo(), 2 * len(self.levers), axis=0)
        for k, v in enumerate(self.levers):
            rows[2 * k, k], rows[2 * k + 1, k] = v.scale(np.array([0.0, 1.0]))
        return rows

    def drawn(self) -> list[spec.Variable]:
        """The posterior's parameters each scenario draws (none with the hand-set values):
        written with the scenarios, so PRIM can explain failures by them too."""
        posterior = self.posterior()
        return [] if posterior is None else [spec.Variable(p) for p in posterior.names]

    def scenarios_differ(self) -> bool:
        """Whether the scenarios hold different parameter sets (a posterior draw each, or a
        point of the uncertainties), so that the spread between them is the parameters'."""
        return bool(self.uncertainties) or self.posterior() is not None

    def calibration_facts(self) -> dict[str, Any] | str:
        """What the manifest records about the parameters' source."""
        posterior = self.posterior()
        if posterior is None:
            return posterior_draws.HAND_SET
        return {**posterior.describe(), "runs_per_draw": "one draw per scenario"}


# --- directories -------------------------------------------------------------------------------
def new_directory(cfg: DictConfig) -> Path:
    """<output_root>/policies/<name>/<timestamp>, created with its config."""
    return new_study_directory(cfg, "policies", "name", PARTS)


def reopen(directory: Path, study: Study) -> Path:
    """The directory of an interrupted study of the same config (execution keys may differ),
    whose scenarios drew from the same posterior."""
    reopen_study(directory, study.cfg, "policy", PARTS, spec.EXECUTION_KEYS)
    posterior_draws.check_same_source(directory, study.calibration_facts())
    return directory


def write_manifest(directory: Path, study: Study, complete: bool, **facts: Any) -> None:

    cfg = study.cfg
    write(
        directory,
        kind="policy",
        run_dir=study.run_dir,
        experiment=cfg.name,
        complete=complete,
        levers=list(study.lever_paths),
        uncertainties=[v.path for v in study.uncertainties],
        objectives=list(study.objectives),
        method=cfg.search.method,
        seeds={stream: study.seed(stream) for stream in SEED_STREAMS},
        calibration=study.calibration_facts(),
        **facts,
    )


# --- the study ---------------------------------------------------------------------------------
def run_study(cfg: DictConfig, on_chunk: Any = None) -> Path:
    """Run (or finish, with cfg.resume) a policy study and return its directory.

    Args:
        cfg: a policy experiment from ``sim.studies.policy.spec.load``.
        on_chunk: called with each chunk's run count after its sums are written (a test hook:
            raising there simulates an interruption).
    """

    start_workers_early(cfg.executor, cfg.workers, WORKER_MODULES)
    study = Study.plan(cfg)
    directory = reopen(Path(cfg.resume), study) if cfg.resume else new_directory(cfg)
    study.run_dir = recorded_run_dir(directory, cfg.output_root)  # a resume keeps its own
    write_manifest(directory, study, complete=False)
    began = time.perf_counter()
    runs = {"search": 0, "robustness": 0, "effects": 0}
    try:
        with (
            _Progress(study, cfg.progress) as progress,
            make_executor(cfg.executor, cfg.workers, cfg.scheduler, WORKER_MODULES) as executor,
        ):

            def counted(done: int) -> None:
                progress.update(done)
                if on_chunk is not None:
                    on_chunk(done)

            search = search_phase(study, directory, executor, counted, progress)
            robust = robustness_phase(study, directory, executor, counted, search, progress)
            effects_phase(study, directory, executor, counted, progress)
            runs["search"] = len(search) * int(cfg.search.runs)
            runs["robustness"] = len(robust["table"]) * study.robustness_ensemble().size
            runs["effects"] = study.effect_runs()
    except KeyboardInterrupt:
        raise StudyInterrupted(directory) from None
    except Exception as error:
        if explain(error)[0] is None:  # a bug: the traceback is the useful report
            raise
        raise StudyFailed(directory, error) from error
    write_manifest(
        directory,
        study,
        complete=True,
        runs=int(sum(runs.values())),
        runs_search=int(runs["search"]),
        runs_robustness=int(runs["robustness"]),
        runs_lever_effects=int(runs["effects"]),
        policies_evaluated=int(len(search) - 1),
        pareto_policies=int(search["pareto"].sum()),
        robustness_policies=int(len(robust["table"])),
        wall_seconds=round(time.perf_counter() - began, 3),
        **robust["facts"],
    )
    return directory


def search_phase(
    study: Study, directory: Path, executor: Any, counted: Any, progress: Any
) -> pd.DataFrame:
    """The status quo and every generation on the search ensemble; writes the search tables."""

    cfg, ensemble = study.cfg, study.search_ensemble()
    folder = directory / PARTS / "search"

    def evaluate(values: np.ndarray, name: str) -> np.ndarray:
        _check_replay(folder / name, values, study)
        evaluation = study.evaluation(values, ensemble)
        means = run_evaluation(evaluation, executor, folder / name, study.run_dir, counted)
        return means.mean(axis=1)  # every scenario of the search ensemble has one run

    reference = evaluate(study.status_quo(), "status-quo")

    def evaluate_generation(generation: int, unit: np.ndarray) -> np.ndarray:
        progress.generation(generation)
        return evaluate(study.lever_values(unit), f"generation-{generation:04d}")

    s = cfg.search
    found = run_search(
        s.method,
        len(study.levers),
        len(study.objectives),
        evaluate_generation,
        int(s.population),
        int(s.generations),
        int(s.levels),
        study.seed("optimiser") % 2**31,
    )
    table = evaluations_table(study, reference, found)
    write_table(
        table, directory / "evaluations.parquet", run_dir=study.run_dir, table="evaluations"
    )
    pareto = table[table["pareto"]].drop(columns="pareto")
    write_table(pareto, directory / "pareto.parquet", run_dir=study.run_dir, table="pareto")
    progress.say(
        f"search: {len(table) - 1:,} policies on {ensemble.size:,} runs each; "
        f"Pareto set: {len(pareto)} policies"
    )
    return table


def _check_replay(folder: Path, values: np.ndarray, study: Study) -> None:
    """The first time, store a batch's lever values; on a resume, they must be the same."""
    paths = study.lever_paths

    stored = folder / "levers.parquet"
    if stored.is_file():
        before = read_table(stored)[list(paths)].to_numpy()
        if before.shape != values.shape or not np.array_equal(before, values):
            raise ConfigError(
                f"resume: {folder.name} asks other policies than when it started (another "
                "pymoo or numpy version?); start the study anew"
            )
        return
    folder.mkdir(parents=True, exist_ok=True)
    levers = pd.DataFrame(values, columns=list(paths))
    write_table(levers, stored, run_dir=study.run_dir, table="levers")


def evaluations_table(study: Study, reference: np.ndarray, found: Any) -> pd.DataFrame:
    """Status quo (policy 0) then every searched policy, with its levers and objectives."""
    values = np.vstack([study.status_quo(), study.lever_values(found.unit)])
    objectives = np.vstack([reference, found.objectives])
    table = pd.DataFrame(
        {
            "policy": np.arange(len(values)),
            "generation": np.r_[-1, found.generation].astype(int),
            "reference": np.r_[True, np.zeros(len(found.unit), dtype=bool)],
        }
    )
    for k, path in enumerate(study.lever_paths):
        table[path] = values[:, k]
    # The search ensemble has one run per scenario: the dice's intervals, the parameters' NaN
    runs = int(study.cfg.search.runs)
    intervals = R.probability_intervals(objectives[:, None, :], study.objectives, runs, False)
    for k, name in enumerate(study.objectives):
        table[name] = objectives[:, k]
        for column, values in intervals.get(name, {}).items():
            table[column] = values
    table["pareto"] = False
    table.loc[found.pareto + 1, "pareto"] = True
    return table


def robustness_phase(
    study: Study,
    directory: Path,
    executor: Any,
    counted: Any,
    evaluations: pd.DataFrame,
    progress: Any,
) -> dict[str, Any]:
    """The thinned Pareto set and the status quo on a fresh ensemble; writes the tables."""

    cfg, objectives = study.cfg, list(study.objectives)
    robust = cfg.robustness
    pareto = evaluations[evaluations["pareto"]]
    first = int(np.argmin(pareto[robust.objective].to_numpy()))
    kept = pareto.iloc[R.thin(pareto[objectives].to_numpy(), first, int(robust.max_policies))]
    tested = pd.concat([evaluations.iloc[[0]], kept]).drop_duplicates("policy")
    ensemble = study.robustness_ensemble()
    progress.phase("robustness", len(tested) * ensemble.size)
    values = tested[list(study.lever_paths)].to_numpy()
    folder = directory / PARTS / "robustness"
    _check_replay(folder, values, study)
    evaluation = study.evaluation(values, ensemble)
    means = run_evaluation(evaluation, executor, folder, study.run_dir, counted)
    table = R.robustness_table(
        means,
        objectives,
        robust.objective,
        float(robust.threshold),
        ensemble.replicates,
        study.scenarios_differ(),
    )
    head = tested[["policy", "reference", *study.lever_paths]].reset_index(drop=True)
    table = pd.concat([head, table], axis=1)
    scenarios = ensemble.frame([*study.uncertainties, *study.drawn()])
    write_table(table, directory / "robustness.parquet", run_dir=study.run_dir, table="robustness")
    write_table(
        R.scenario_table(means, head["policy"].tolist(), scenarios, objectives),
        directory / "scenarios.parquet",
        run_dir=study.run_dir,
        table="scenarios",
    )
    facts = failure_facts(study, directory, table, means, scenarios)
    best = table[table["chosen"]].iloc[0]
    progress.say(
        f"robustness: {len(table)} policies on {ensemble.scenarios} fresh scenarios x "
        f"{ensemble.replicates} runs; most robust: policy {int(best['policy'])}, "
        f"{robust.objective} <= {robust.threshold:g} in {best['threshold_share']:.0%} of them"
    )
    return {"table": table, "facts": facts}


def effects_phase(
    study: Study, directory: Path, executor: Any, counted: Any, progress: Any
) -> pd.DataFrame | None:
    """Each lever alone at both ends of its range on the robustness ensemble (the same
    scenarios, posterior draws and seeds as the robustness test); writes lever_effects."""

    if not study.cfg.robustness.lever_effects:
        return None
    ensemble = study.robustness_ensemble()
    values = study.effect_policies()
    progress.phase("lever effects", len(values) * ensemble.size)
    folder = directory / PARTS / "effects"
    _check_replay(folder, values, study)
    means = run_evaluation(
        study.evaluation(values, ensemble), executor, folder, study.run_dir, counted
    )
    ends = [(v.path, float(v.low), float(v.high)) for v in study.levers]
    table = R.lever_effects(means, ends, list(study.objectives))
    write_table(
        table, directory / "lever_effects.parquet", run_dir=study.run_dir, table="lever_effects"
    )
    robust = study.cfg.robustness.objective
    mine = table[table["objective"] == robust]
    strongest = mine.loc[mine["effect"].abs().idxmax()]
    progress.say(
        f"lever effects: {len(ends)} levers, each alone at both ends; largest on {robust}: "
        f"{strongest['lever']} {strongest['effect']:+.3g}, sign holds in "
        f"{strongest['sign_share']:.0%} of the scenarios"
    )
    return table


def failure_facts(
    study: Study,
    directory: Path,
    table: pd.DataFrame,
    means: np.ndarray,
    scenarios: pd.DataFrame,
) -> dict[str, Any]:
    """PRIM on the chosen policy's failures; writes failure_boxes.parquet when there is a box."""

    robust = study.cfg.robustness
    if not robust.prim:
        return {"failure_box": None, "failure_note": "robustness.prim = false"}
    row = int(np.flatnonzero(table["chosen"].to_numpy())[0])
    k = list(study.objectives).index(robust.objective)
    failed = means[row, :, k] > robust.threshold
    what = f"{OBJECTIVES[robust.objective].label} > {robust.threshold:g}"
    try:
        boxes, words = failure_boxes(scenarios, failed, what)
    except MissingDependency as error:
        return {"failure_box": None, "failure_note": str(error)}
    if boxes:
        limits = discovery_tables(boxes)["limits"]
        write_table(
            limits,
            directory / "failure_boxes.parquet",
            run_dir=study.run_dir,
            table="failure_boxes",
        )
        return {"failure_box": words, "failure_note": None}
    return {"failure_box": None, "failure_note": words}


class _Progress:
    """A tqdm bar of runs on stderr, one per phase, and short lines between phases."""

    def __init__(self, study: Study, enabled: bool) -> None:
        self.study, self.enabled, self.bar = study, enabled, None
        s = study.cfg.search
        self.generations = (
            -(-(s.levels ** len(study.levers)) // s.population)
            if s.method == "grid"
            else s.generations + 1
        )
        self.phase("search", study.expected_runs() - self._robust_runs() - study.effect_runs())

    def _robust_runs(self) -> int:
        r = self.study.cfg.robustness
        return int((r.max_policies + 1) * r.scenarios * r.replicates)

    def phase(self, name: str, total: int) -> None:
        from tqdm import tqdm

        if self.bar is not None:
            self.bar.close()
        self.bar = tqdm(
            total=total,
            unit="run",
            unit_scale=True,
            file=sys.stderr,
            disable=not self.enabled,
            smoothing=0.1,
            desc=name,
        )

    def generation(self, generation: int) -> None:
        self.bar.set_postfix_str(f"generation {generation + 1}/{self.generations}")

    def update(self, runs: int) -> None:
        self.bar.update(runs)

    def say(self, line: str) -> None:
        if self.enabled:
            self.bar.write(line, file=sys.stderr)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
