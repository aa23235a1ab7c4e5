"""A threshold study from start to finish: batches of runs, the crossing, the files.

Directory ``results/thresholds/<scenario>/<timestamp>/`` (docs/thresholds.md, "Outputs"):

* ``config.yaml``, ``manifest.json`` (``complete: false`` until the end);
* ``parts/batches/part-<i>.parquet``: each batch's runs (point, replicate, outcome) as it finished;
  a resumed study replays the design on them and goes on from the first missing batch;
* ``evaluations.parquet``: every batch and point: factor value(s), runs, successes;
* ``threshold.parquet``: the crossing (two factors: the crossing curve) with its interval,
  runs used and whether the convergence rule was met;
* ``curve.parquet``: the fitted probability with its band (one factor: along the range; two:
  on a grid), for the figure.

Runs go through the engine's ensembles (``sim.engine.ensemble``): a batch is cut into chunks
on the study's executor. Common random numbers: replicate r has the seed
``derive_seeds(seed, r)`` at every factor value; the points of one batch share their
replicates, and each batch takes fresh ones. With a posterior, replicate r draws its
parameters as in a sweep (``sim.engine.posterior_draws``).
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
from scipy.special import expit

from sim.config import ConfigError
from sim.engine import posterior_draws as posterior
from sim.engine.checksums import check_data_files
from sim.engine.ensemble import WORKER_MODULES, Ensembles
from sim.engine.executors import start_workers_early
from sim.engine.store import read_table, recorded_run_dir, write_table
from sim.engine.store import write_manifest as write
from sim.engine.study_directory import (
    StudyFailed,
    StudyInterrupted,
    new_study_directory,
    reopen_study,
)
from sim.errors import CommandError, explain
from sim.model.params import ParamSet
from sim.model.rng import derive_seeds
from sim.studies.threshold import method as M
from sim.studies.threshold import spec
from sim.studies.threshold.outcomes import Outcome

PARTS = "parts"


# --- one batch: parameters and seeds of its runs ---------------------------------------------
def batch_runs(study: Study, batch: M.Batch) -> tuple[ParamSet, np.ndarray]:
    """The batch's runs (point by point, replicate by replicate): parameters and seeds.

    Replicate r has the seed derive_seeds(seed, r) at every point; with a posterior it draws
    its calibrated parameters as replicate r of a sweep does.
    """
    k, n = len(batch.points), batch.runs
    replicate = np.tile(np.arange(n, dtype=np.int64) + batch.first_replicate, k)
    values = study.values(batch.points)
    columns: dict[str, Any] = dict(study.base)
    for j, path in enumerate(study.factors):
        columns[path] = np.repeat(values[:, j], n)
    params = ParamSet(columns, k * n)
    seed = int(study.cfg.seed)
    if study.cfg.calibration:
        draws = posterior.load_cached(str(study.cfg.calibration)).without(study.fixed)
        params, _ = posterior.override_params(params, draws, seed, replicate)
    return params, derive_seeds(seed, replicate)


# --- the study -------------------------------------------------------------------------------
@dataclasses.dataclass
class Study:
    cfg: DictConfig
    factors: list[str]
    ranges: list[tuple[float, float]]
    outcome: Outcome
    base: dict[str, float]
    fixed: tuple[str, ...]  # what the posterior draws leave alone: the factors, the scenario's
    run_dir: str = ""  # the study directory's name, every table's first column (store.RUN_DIR)

    @classmethod
    def plan(cls, cfg: DictConfig) -> Study:
        factors = spec.factors(cfg)
        fixed = posterior.left_to_the_design(factors, [spec.scenario_values(cfg)])
        return cls(
            cfg, factors, spec.ranges(cfg), spec.outcome(cfg), spec.base_values(cfg), tuple(fixed)
        )

    @property
    def overridden(self) -> list[str]:
        """The factors a posterior calibrates: the design sets them instead of its draws."""
        calibration = str(self.cfg.calibration) if self.cfg.calibration else None
        return posterior.overridden_by_design(calibration, self.factors)

    @property
    def settings(self) -> M.Settings:
        cfg = self.cfg
        return M.Settings(
            len(self.factors),
            float(cfg.level),
            float(cfg.confidence),
            int(cfg.budget),
            int(cfg.batch),
            float(cfg.tolerance),
            posterior.RUNS_PER_DRAW,
        )

    def values(self, unit: np.ndarray) -> np.ndarray:
        """Unit coordinates (k, d) as factor values."""
        low = np.array([r[0] for r in self.ranges])
        high = np.array([r[1] for r in self.ranges])
        return low + np.asarray(unit) * (high - low)

    def clusters(self, replicate: np.ndarray) -> np.ndarray:
        """A posterior draw's runs share parameters: they are one cluster."""
        return replicate // posterior.RUNS_PER_DRAW if self.cfg.calibration else replicate


# --- directories -------------------------------------------------------------------------------
def new_directory(cfg: DictConfig) -> Path:
    """<output_root>/thresholds/<scenario>/<timestamp>, created with its config."""
    return new_study_directory(cfg, "thresholds", "scenario", f"{PARTS}/batches")


def reopen(directory: Path, study: Study) -> Path:
    """The directory of an interrupted study of the same question (execution keys may differ),
    whose batches drew from the same posterior."""
    reopen_study(directory, study.cfg, "threshold", PARTS, spec.EXECUTION_KEYS)
    posterior.check_same_source(directory, _posterior_facts(study).get("calibration"))
    try:
        check_data_files(directory)  # a batch copied over another would replay other runs
    except CommandError as error:
        raise ConfigError(str(error)) from None
    return directory


def part_path(directory: Path, index: int) -> Path:
    return Path(directory) / PARTS / "batches" / f"part-{index:06d}.parquet"


def write_batch(directory: Path, study: Study, batch: M.Batch, outcomes: np.ndarray) -> None:
    """One row per run: point, replicate, outcome (the factor values beside)."""
    k, n = outcomes.shape
    values = study.values(batch.points)
    table = pd.DataFrame(
        {
            "batch": batch.index,
            "point": np.repeat(np.arange(k), n),
            "replicate": np.tile(np.arange(n) + batch.first_replicate, k),
            **{f"u{j}": np.repeat(batch.points[:, j], n) for j in range(batch.points.shape[1])},
            **{path: np.repeat(values[:, j], n) for j, path in enumerate(study.factors)},
            "outcome": outcomes.reshape(-1),
        }
    )
    path = part_path(directory, batch.index)
    write_table(table, path, run_dir=study.run_dir, table="threshold_batch")


def read_batch(directory: Path, batch: M.Batch) -> np.ndarray | None:
    """A finished batch's outcomes (points, runs), or None if it is not on disk yet.

    Raises ConfigError when the stored batch is not the one the design asks for now.
    """
    path = part_path(directory, batch.index)
    if not path.is_file():
        return None
    table = read_table(path)
    d = batch.points.shape[1]
    stored = table.groupby("point", sort=True)[[f"u{j}" for j in range(d)]].first().to_numpy()
    first = int(table["replicate"].min())
    if (
        stored.shape != batch.points.shape
        or not np.array_equal(stored, batch.points)
        or len(table) != batch.size
        or first != batch.first_replicate
    ):
        raise ConfigError(
            f"resume: {path.name} holds other points than the design asks for now (another "
            "numpy or scipy version?); start the study anew"
        )
    return table["outcome"].to_numpy(dtype=bool).reshape(len(batch.points), batch.runs)


def write_manifest(directory: Path, study: Study, complete: bool, **facts: Any) -> None:
    cfg = study.cfg
    write(
        directory,
        kind="threshold",
        run_dir=study.run_dir,
        scenario=cfg.scenario,
        factors=study.factors,
        outcome=study.outcome.text,
        level=float(cfg.level),
        complete=complete,
        seeds={
            "seed": int(cfg.seed),
            "run_seed": "sim.model.rng.derive_seeds(seed, replicate)",
            "common_random_numbers": "replicate r has the same seed at every factor value",
        },
        **_posterior_facts(study),
        **facts,
    )


def _posterior_facts(study: Study) -> dict[str, Any]:
    """With a posterior: what it is, what its draws leave alone, and which factors' posterior
    the design overrides."""
    if not study.cfg.calibration:
        return {}
    draws = posterior.load_cached(str(study.cfg.calibration))
    return {
        "calibration": draws.describe(),
        "posterior_left_alone": [n for n in study.fixed if n in draws.names],
        "posterior_overridden": study.overridden,
    }


def run_study(cfg: DictConfig, on_batch: Any = None) -> Path:
    """Run (or finish, with cfg.resume) a threshold study and return its directory.

    Args:
        cfg: settings from ``sim.studies.threshold.spec.load``.
        on_batch: called with each new batch's index after it is written (a test hook:
            raising there simulates an interruption).
    """
    start_workers_early(cfg.executor, cfg.workers, WORKER_MODULES)
    study = Study.plan(cfg)
    directory = reopen(Path(cfg.resume), study) if cfg.resume else new_directory(cfg)
    study.run_dir = recorded_run_dir(directory, cfg.output_root)  # a resume keeps its own
    write_manifest(directory, study, complete=False)
    began = time.perf_counter()
    months = study.outcome.months
    try:
        with (
            _Progress(study, cfg.progress) as progress,
            Ensembles(cfg.executor, cfg.workers, cfg.scheduler, cfg.chunk_size) as ensembles,
        ):

            def evaluate(batch: M.Batch) -> np.ndarray:
                stored = read_batch(directory, batch)
                if stored is not None:
                    progress.update(batch.size)
                    return stored
                params, seeds = batch_runs(study, batch)
                happened = np.zeros(batch.size, dtype=bool)
                for runs, tables in ensembles.chunks(params, seeds, months, False, False):
                    happened[runs] = study.outcome.happened(tables.summary)
                    progress.update(runs.size)
                outcomes = happened.reshape(len(batch.points), batch.runs)
                write_batch(directory, study, batch, outcomes)
                write_manifest(directory, study, complete=False, batches_done=batch.index + 1)
                if on_batch is not None:
                    on_batch(batch.index)
                return outcomes

            draws = study.clusters if cfg.calibration else None
            history, answer, done = M.run_design(study.settings, evaluate, draws=draws)
    except KeyboardInterrupt:
        raise StudyInterrupted(directory) from None
    except Exception as error:
        if explain(error)[0] is None:  # a bug: the traceback is the useful report
            raise
        raise StudyFailed(directory, error) from error
    facts = write_results(directory, study, history, answer, done)
    write_manifest(
        directory,
        study,
        complete=True,
        wall_seconds=round(time.perf_counter() - began, 3),
        **facts,
    )
    return directory


# --- results ---------------------------------------------------------------------------------
def write_results(
    directory: Path, study: Study, history: M.History, answer: Any, done: bool
) -> dict[str, Any]:
    """evaluations, threshold and curve tables; returns the manifest's facts."""
    run_dir = study.run_dir
    write_table(
        evaluations_table(study, history), directory / "evaluations.parquet", run_dir=run_dir
    )
    clusters = study.clusters(history.replicate)
    model = M.fit(history, clusters)
    if isinstance(answer, M.Crossing):
        table = crossing_table(study, history, answer, done)
        curve = curve_table_1d(study, model, answer)
    else:
        table = curve_2d_table(study, history, answer, done)
        curve = grid_table_2d(study, model, answer)
    write_table(table, directory / "threshold.parquet", run_dir=run_dir, table="threshold")
    write_table(curve, directory / "curve.parquet", run_dir=run_dir, table="threshold_curve")
    return {
        "runs": history.runs,
        "batches": history.batches,
        "converged": bool(done),
        "status": answer.status,
        "answer": answer_words(study, table),
    }


def evaluations_table(study: Study, history: M.History) -> pd.DataFrame:
    """Every batch and point: factor value(s), runs, successes, first replicate."""
    frame = pd.DataFrame(history.u, columns=[f"u{j}" for j in range(history.u.shape[1])])
    frame["batch"] = history.batch
    frame["outcome"] = history.y
    frame["replicate"] = history.replicate
    keys = ["batch", *frame.columns[: history.u.shape[1]]]
    table = (
        frame.groupby(keys, sort=False)
        .agg(runs=("outcome", "size"), successes=("outcome", "sum"), first=("replicate", "min"))
        .reset_index()
    )
    values = study.values(table[keys[1:]].to_numpy())
    for j, path in enumerate(study.factors):
        table.insert(1 + j, path, values[:, j])
    table["successes"] = table["successes"].astype(np.int64)
    table["share"] = table["successes"] / table["runs"]
    return table.drop(columns=keys[1:]).rename(columns={"first": "first_replicate"})


def _scale(study: Study, u: float, j: int = 0) -> float:
    low, high = study.ranges[j]
    return float(low + u * (high - low)) if np.isfinite(u) else float("nan")


def crossing_table(study: Study, history: M.History, a: M.Crossing, done: bool) -> pd.DataFrame:
    cfg = study.cfg
    row = {
        "factor": study.factors[0],
        "outcome": study.outcome.text,
        "level": float(cfg.level),
        "confidence": float(cfg.confidence),
        "status": a.status,
        "crossing": _scale(study, a.crossing),
        "lower": _scale(study, a.lower),
        "upper": _scale(study, a.upper),
        "open_lower": bool(a.open_lower),
        "open_upper": bool(a.open_upper),
        "dice_lower": _scale(study, a.dice_lower),
        "dice_upper": _scale(study, a.dice_upper),
        "closest": _scale(study, a.closest),
        "probability": a.probability,
        "probability_lower": a.probability_lower,
        "probability_upper": a.probability_upper,
        "runs": history.runs,
        "batches": history.batches,
        "converged": bool(done),
        "posterior": bool(cfg.calibration),
        "sd_parameters": sd_parameters(study, a.tau2),
    }
    return pd.DataFrame([row])


def sd_parameters(study: Study, tau2: float) -> float:
    """The parameters' spread of P at the crossing (probability scale; 0 without a posterior)."""
    level = float(study.cfg.level)
    return float(np.sqrt(tau2) * level * (1 - level))


def curve_2d_table(study: Study, history: M.History, c: M.Curve, done: bool) -> pd.DataFrame:
    """The crossing curve: at each value of the first factor, the second's crossing."""
    a, b = study.factors
    table = pd.DataFrame(
        {
            a: [_scale(study, u, 0) for u in c.u1],
            "crossing": [_scale(study, u, 1) for u in c.crossing],
            "lower": [_scale(study, u, 1) for u in c.lower],
            "upper": [_scale(study, u, 1) for u in c.upper],
        }
    )
    table.insert(1, "factor", b)
    table["outcome"] = study.outcome.text
    table["level"] = float(study.cfg.level)
    table["confidence"] = float(study.cfg.confidence)
    table["status"] = c.status
    table["band_width"] = c.widest  # across the line, share of the range, at its widest
    for j, path in enumerate(study.factors):
        table["closest_" + path] = _scale(study, float(c.closest[j]), j)
    table["probability"] = c.probability
    table["probability_lower"] = c.probability_lower
    table["probability_upper"] = c.probability_upper
    table["runs"] = history.runs
    table["batches"] = history.batches
    table["converged"] = bool(done)
    table["posterior"] = bool(study.cfg.calibration)
    table["sd_parameters"] = sd_parameters(study, c.tau2)
    return table


def curve_table_1d(study: Study, model: M.Fit, a: M.Crossing) -> pd.DataFrame:
    """The fitted probability along the range with its pointwise band (the crossing's)."""
    u = np.linspace(0, 1, 201)[:, None]
    eta, se = model.eta(u), model.se(u)
    z = study.settings.z
    return pd.DataFrame(
        {
            study.factors[0]: study.values(u)[:, 0],
            "probability": expit(eta),
            "lower": expit(eta - z * se),
            "upper": expit(eta + z * se),
        }
    )


def grid_table_2d(study: Study, model: M.Fit, c: M.Curve) -> pd.DataFrame:
    """The fitted probability on a grid, and whether the level is inside its band there."""
    axis = np.linspace(0, 1, 51)
    u = np.array([[x, y] for x in axis for y in axis])
    eta, se = model.eta(u), model.se(u)
    values = study.values(u)
    settings = study.settings
    return pd.DataFrame(
        {
            study.factors[0]: values[:, 0],
            study.factors[1]: values[:, 1],
            "probability": expit(eta),
            "in_band": np.abs(eta - settings.target) <= settings.z * se,
        }
    )


def answer_words(study: Study, table: pd.DataFrame) -> str:
    """The answer in one sentence (printed, and in the manifest)."""
    cfg, row = study.cfg, table.iloc[0]
    what = f"{study.outcome.label} = {cfg.level:g}"
    percent = f"{cfg.confidence:.0%}"
    if len(study.factors) == 2:
        if row["status"] != "crossed":
            return _not_crossed(study, row, what)
        crossed = table.dropna(subset=["crossing"])
        return (
            f"{what}: the level line runs from {study.factors[0]} = "
            f"{crossed[study.factors[0]].min():.3g} to {crossed[study.factors[0]].max():.3g} "
            f"(see threshold.parquet); band width across the line at most "
            f"{row['band_width']:.2%} of the range ({percent})"
        )
    if row["status"] != "crossed":
        return _not_crossed(study, row, what)
    lower = "the range's low end" if row["open_lower"] else f"{row['lower']:.3g}"
    upper = "the range's high end" if row["open_upper"] else f"{row['upper']:.3g}"
    return f"{what} at {row['factor']} = {row['crossing']:.3g} [{percent}: {lower}, {upper}]"


def _not_crossed(study: Study, row: pd.Series, what: str) -> str:
    if len(study.factors) == 1:
        where = f"{study.factors[0]} = {row['closest']:.3g}"
    else:
        where = ", ".join(f"{path} = {row['closest_' + path]:.3g}" for path in study.factors)
    verb = "is never crossed" if row["status"] == "not crossed" else "is not shown to be crossed"
    return (
        f"{what} {verb} in the range (closest at {where}): the probability there is "
        f"{row['probability']:.3f} [{study.cfg.confidence:.0%}: {row['probability_lower']:.3f}, "
        f"{row['probability_upper']:.3f}]"
    )


class _Progress:
    """A tqdm bar of runs on stderr, out of the budget (the study may stop sooner)."""

    def __init__(self, study: Study, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=int(study.cfg.budget),
            unit="run",
            unit_scale=True,
            file=sys.stderr,
            disable=not enabled,
            smoothing=0.1,
            desc="threshold",
        )

    def update(self, runs: int) -> None:
        self.bar.update(runs)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()
