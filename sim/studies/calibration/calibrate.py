"""Calibrate the model on a targets file and write ``results/calibrations/<targets>/<timestamp>/``.

The simulator handed to ABC-SMC takes a batch of parameter vectors and steps them as one
ensemble (one run per vector, the other parameters at the scenario's values), then measures
every target on every run. The directory is written through ``sim.engine.store.staged_directory``,
so an interrupted calibration leaves nothing that looks finished.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from sim.config import compose, list_scenarios, model_values
from sim.engine import store
from sim.engine.chunks import Chunk
from sim.engine.ensemble import WORKER_MODULES as ENSEMBLE_WORKER_MODULES
from sim.engine.ensemble import Ensembles
from sim.engine.executors import start_workers_early
from sim.engine.posterior_draws import POSTERIOR, POSTERIORS_DIR
from sim.model.params import ParamSet, encode
from sim.model.rng import derive_seeds
from sim.model.version import model_version, prior_version
from sim.studies.calibration import abc, priors, regression
from sim.studies.calibration.targets import (
    CalibrationError,
    Measure,
    TargetSet,
    measured_tables,
)

if TYPE_CHECKING:
    from sim.model.escalation import EnsembleResult

DIAGNOSTICS = "diagnostics.parquet"
PREDICTIVE = "predictive.parquet"
GENERATIONS = "generations.parquet"
PREDICTIVE_DRAWS = 2000


def scenario_values(targets: TargetSet, scenario: str | None = None) -> dict[str, Any]:
    """The flat model values of the scenario the calibration simulates (checked)."""
    name = scenario or targets.scenario
    known = [n for n, _ in list_scenarios()]
    if name not in known:
        raise CalibrationError(
            f"scenario = {name!r} is not allowed: expected one of {', '.join(known)}"
        )
    try:
        return model_values(compose([f"scenario={name}"]))
    except Exception as error:  # Hydra's missing-config error or a bad value in the scenario
        raise CalibrationError(f"scenario = {name!r}: {str(error).splitlines()[0]}") from None


@dataclasses.dataclass(frozen=True)
class TargetValues:
    """Every target measured on every run of a chunk, in the worker that simulated it: an
    (runs, targets) array; the chunks' arrays merge one after the other (run order). Only these
    numbers go back to the parent, not the chunk's tables."""

    targets: TargetSet
    measures: Mapping[str, Measure]  # targets.measures(): functions, not names, for the worker
    name: str = "targets"

    def reduce(self, result: EnsembleResult, chunk: Chunk) -> np.ndarray:
        return self.targets.evaluate(measured_tables(result, chunk), self.measures)

    def merge(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts, axis=0)


#: Imported once by a process pool's forkserver: what a worker needs to measure the targets.
WORKER_MODULES = ("sim.studies.calibration.calibrate",)
#: Runs per chunk at most: a chunk's tables (trajectories and events) stay in its worker.
MAX_CHUNK = 10_000


class ModelSimulator:
    """theta (n, d) and seeds (n,) -> the targets measured on n runs, an (n, targets) array.

    The n runs are cut into one chunk per worker (at most MAX_CHUNK runs each; a chunk of a
    model instance runs faster the more runs it holds), and each worker measures the targets
    on its own chunk. Every measure reads each run on its own, so the array does not depend on
    the chunking.
    """

    def __init__(
        self,
        targets: TargetSet,
        prior: priors.UniformPrior,
        values: dict[str, Any],
        ensembles: Ensembles | None = None,
    ):
        self.targets, self.prior = targets, prior
        self.base = encode(values)
        self.ensembles = ensembles or Ensembles("serial")
        self.reduction = TargetValues(targets, targets.measures())

    def __call__(self, theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        columns: dict[str, Any] = dict(self.base)
        columns.update(priors.as_model_values(self.prior.names, theta))
        params = ParamSet(columns, len(theta))
        workers = self.ensembles.worker_count()
        size = self.ensembles.chunk_size or min(MAX_CHUNK, max(1, -(-len(theta) // workers)))
        outputs = self.ensembles.outputs(
            params, seeds, self.targets.months, [self.reduction], chunk_size=size, local_ids=True
        )
        return self.reduction.merge([output.parts[self.reduction.name] for output in outputs])


def check_targets(simulator: ModelSimulator) -> None:
    """Measure every target on two prior draws, so a bad column fails before any long work."""
    theta = simulator.prior.sample(2, np.random.default_rng(0))
    simulator(theta, np.array([1, 2]))


#: A target is missed when fewer than this share of posterior predictive runs fall within
#: its tolerance of the observation (the manifest lists it; every use of the posterior warns).
MISS_SHARE = 0.05
SBC_TRIALS = 300
SBC_DRAWS = 99
SBC = "sbc_ranks.parquet"


@dataclasses.dataclass(frozen=True)
class Calibration:
    """A finished calibration: what ran, the ABC result, its checks, and how long it took."""

    targets: TargetSet
    prior: priors.UniformPrior
    settings: abc.Settings | regression.Settings
    scenario: str
    result: abc.Result | regression.Result
    predictive: pd.DataFrame
    seconds: float
    quick: bool = False
    sbc: pd.DataFrame | None = None  # ranks of true values (trials, parameters)
    misfit: regression.Misfit | None = None  # does the model reach the observation?

    @property
    def method(self) -> str:
        if isinstance(self.settings, regression.Settings):
            return self.settings.method
        return "smc"

    @property
    def converged(self) -> bool:
        """Stopped on its convergence criteria (regression) or not on its budget (ABC-SMC)."""
        if isinstance(self.result, regression.Result):
            return self.result.converged
        return self.result.stop_reason != "budget"

    def missed_targets(self) -> list[str]:
        """Targets the posterior predictive check misses (see MISS_SHARE)."""
        table = predictive_table(self)
        return table.loc[table["share_within_tolerance"] < MISS_SHARE, "target"].tolist()


def calibrate(
    targets: TargetSet,
    settings: abc.Settings | regression.Settings,
    scenario: str | None = None,
    quick: bool = False,
    workers: int | None = None,
) -> Calibration:
    """Run the sampler that `settings` names on the model, the posterior predictive check and
    (reference-table ABC) simulation-based calibration; write nothing.

    The runs are cut into chunks over `workers` processes (default: every core); the result
    does not depend on it. With more than one worker the parent ranks the simulation-based
    calibration (numpy on the reference table) while the workers simulate the posterior
    predictive runs.
    """
    preload = (*ENSEMBLE_WORKER_MODULES, *WORKER_MODULES)
    start_workers_early("process", workers, preload)  # they import the model while we compose
    prior = priors.build(targets.parameters)
    name = scenario or targets.scenario
    with (
        Ensembles(workers=workers, preload=preload) as ensembles,
        store.Stopwatch() as clock,
        ThreadPoolExecutor(1) as meanwhile,
    ):
        simulator = ModelSimulator(targets, prior, scenario_values(targets, name), ensembles)
        check_targets(simulator)
        if isinstance(settings, regression.Settings):
            result = regression.regression_abc(
                simulator, targets.observed, targets.tolerance, prior, settings
            )
            cores = ensembles.worker_count()
            # The ranks are numpy work in this process: with a pool it overlaps the predictive
            # runs; on one core it runs first, as it would alone.
            ranking = meanwhile.submit(
                simulation_based_ranks, result, prior, targets, settings, cores
            )
            distances = meanwhile.submit(
                regression.misfit, result, targets.observed, targets.tolerance, settings.accept // 2
            )
            if cores == 1:  # the checks first, as they would run alone
                ranking.result()
                distances.result()
        else:
            result = abc.abc_smc(simulator, targets.observed, targets.tolerance, prior, settings)
            ranking = distances = None
        names = [t.name for t in targets.targets]
        predictive = posterior_predictive(simulator, result.posterior, settings.seed, names)
        sbc = ranking.result() if ranking is not None else None
        fit = distances.result() if distances is not None else None
    return Calibration(
        targets, prior, settings, name, result, predictive, clock.seconds, quick, sbc, fit
    )


def simulation_based_ranks(
    result: regression.Result,
    prior: priors.UniformPrior,
    targets: TargetSet,
    settings: regression.Settings,
    threads: int,
) -> pd.DataFrame:
    """The SBC ranks of a reference-table calibration (`regression.sbc_ranks`), a column per
    parameter."""
    ranks = regression.sbc_ranks(
        result,
        prior,
        targets.tolerance,
        settings.accept,
        SBC_TRIALS,
        SBC_DRAWS,
        settings.seed,
        method=settings.method,
        threads=threads,
    )
    return pd.DataFrame(ranks, columns=list(prior.names))


def posterior_predictive(
    simulator: abc.Simulator, posterior: abc.Generation, seed: int, names: list[str]
) -> pd.DataFrame:
    """Fresh runs at particles drawn by weight: one row per run, one column per target."""
    rng = np.random.default_rng(seed + 1)
    particles = rng.choice(len(posterior.weights), size=PREDICTIVE_DRAWS, p=posterior.weights)
    seeds = derive_seeds(seed + 1, np.arange(PREDICTIVE_DRAWS))
    summaries = simulator(posterior.theta[particles], seeds)
    frame = pd.DataFrame(summaries, columns=names)
    frame.insert(0, "particle", particles)
    return frame


# --- writing ---------------------------------------------------------------------------------
def posterior_frame(calibration: Calibration) -> pd.DataFrame:
    """One row per particle: the calibrated parameters, weight and distance."""
    post = calibration.result.posterior
    frame = pd.DataFrame(post.theta, columns=list(calibration.prior.names))
    frame.insert(0, "particle", np.arange(len(post.weights)))
    frame["weight"] = post.weights
    frame["distance"] = post.distances
    return frame


def generations_frame(calibration: Calibration) -> pd.DataFrame:
    """Every generation's particles (for figures of how the posterior narrowed)."""
    parts = []
    for t, gen in enumerate(calibration.result.generations):
        part = pd.DataFrame(gen.theta, columns=list(calibration.prior.names))
        part.insert(0, "generation", t)
        part["weight"] = gen.weights
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def config_dict(calibration: Calibration) -> dict[str, Any]:
    """The calibration's full configuration: targets file, priors and sampler settings."""
    t = calibration.targets
    return {
        "targets": {
            "name": t.name,
            "file": str(t.path),
            "description": t.description,
            "scenario": calibration.scenario,
            "months": t.months,
            "targets": [
                {
                    "name": x.name,
                    "measure": x.measure,
                    "args": dict(x.args),
                    "observed": x.observed,
                    "tolerance": x.tolerance,
                    "period": x.period,
                    "source": x.source,
                }
                for x in t.targets
            ],
        },
        "priors": calibration.prior.table(),
        "settings": dataclasses.asdict(calibration.settings),
    }


#: What a shipped posterior holds (configs/posteriors/<targets>/): small tables, no figures.
SHIPPED = (POSTERIOR, DIAGNOSTICS, PREDICTIVE, SBC, store.CONFIG, "manifest.json")
TARGETS_COPY = "targets.yaml"


def ship(directory: Path, name: str) -> Path:
    """Copy a calibration directory's posterior and checks to configs/posteriors/<name>/,
    replacing what is there only once the new copy is complete; return the shipped path."""
    final = POSTERIORS_DIR / name
    staging = POSTERIORS_DIR / f".{name}.{os.getpid()}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for file in SHIPPED:
            if (directory / file).is_file():
                shutil.copyfile(directory / file, staging / file)
        config = yaml.safe_load((directory / store.CONFIG).read_text())
        shutil.copyfile(config["targets"]["file"], staging / TARGETS_COPY)
        manifest = json.loads((staging / "manifest.json").read_text())
        manifest["calibration_directory"] = str(directory)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = POSTERIORS_DIR / f".{name}.{os.getpid()}.old"
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def write(
    calibration: Calibration,
    output_root: Path,
    draw_figures: Callable[[Path, Calibration], list[Path]] | None = None,
    ship_it: bool = False,
) -> Path:
    """Write the calibration directory; return its final path.

    `draw_figures(staging, calibration)` draws the figures into the directory before it is
    complete (the command passes ``sim.plots.calibration.calibration_figures``; figures live
    above studies, so they come in as a function).
    """
    final = Path(output_root) / "calibrations" / calibration.targets.name / store.timestamp()
    with store.staged_directory(final) as staging:
        write_into(calibration, staging, store.run_dir_name(final, output_root), draw_figures)
    if ship_it:
        ship(final, calibration.targets.name)
    return final


def write_into(
    calibration: Calibration,
    directory: Path,
    run_dir: str,
    draw_figures: Callable[[Path, Calibration], list[Path]] | None = None,
) -> list[str]:
    """Every file of a calibration directory into `directory` (which exists); return their
    names. `write` stages a new directory for it; `sim score calibration=auto` writes one
    inside its own. `run_dir` names the directory in every table (store.run_dir_name)."""
    store.write_table(posterior_frame(calibration), directory / POSTERIOR, run_dir=run_dir)
    store.write_table(generations_frame(calibration), directory / GENERATIONS, run_dir=run_dir)
    store.write_table(calibration.result.diagnostics, directory / DIAGNOSTICS, run_dir=run_dir)
    store.write_table(calibration.predictive, directory / PREDICTIVE, run_dir=run_dir)
    store.write_text(
        yaml.safe_dump(config_dict(calibration), sort_keys=False), directory / store.CONFIG
    )
    files = [POSTERIOR, GENERATIONS, DIAGNOSTICS, PREDICTIVE, store.CONFIG]
    if calibration.sbc is not None:
        store.write_table(calibration.sbc, directory / SBC, run_dir=run_dir)
        files.append(SBC)
    if draw_figures is not None:
        files += [f"figures/{p.name}" for p in draw_figures(directory, calibration)]
    store.write_manifest(
        directory,
        kind="calibration",
        run_dir=run_dir,
        model_version=model_version(),
        targets=calibration.targets.name,
        scenario=calibration.scenario,
        parameters=list(calibration.prior.names),
        particles=len(calibration.result.posterior.weights),
        generations=len(calibration.result.generations),
        simulations=calibration.result.simulations,
        stop_reason=calibration.result.stop_reason,
        wall_seconds=calibration.seconds,
        files=files,
        **status(calibration),
    )
    return files


def status(calibration: Calibration) -> dict[str, Any]:
    """What a posterior's manifest says about whether to trust it (read by every command that
    draws from it: ``sim.engine.posterior_draws.Posterior.warnings``)."""
    return {
        "method": calibration.method,
        "converged": calibration.converged,
        "quick": calibration.quick,
        "missed_targets": calibration.missed_targets(),
        "prior_version": prior_version(),
        "ess": abc.effective_sample_size(calibration.result.posterior.weights),
        "misfit": None if calibration.misfit is None else dataclasses.asdict(calibration.misfit),
    }


def summary_table(calibration: Calibration) -> pd.DataFrame:
    """The posterior per parameter (see `posterior_summary`)."""
    return posterior_summary(posterior_frame(calibration), calibration.prior.table())


def posterior_summary(frame: pd.DataFrame, prior_rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Per parameter: prior range, posterior mean and 90% interval, and how much it narrowed.

    ``sd_ratio`` is the posterior sd over the uniform prior's sd: near 1 the data say little
    about the parameter, near 0 they pin it down.
    """
    weights = frame["weight"].to_numpy()
    rows = []
    for row in prior_rows:
        values = frame[row["parameter"]].to_numpy()
        low, median, high = weighted_quantiles(values, weights, (0.05, 0.5, 0.95))
        mean = float(np.average(values, weights=weights))
        sd = float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))
        rows.append(
            {
                "parameter": row["parameter"],
                "prior_low": row["low"],
                "prior_high": row["high"],
                "mean": mean,
                "median": median,
                "q05": low,
                "q95": high,
                "sd_ratio": sd / ((row["high"] - row["low"]) / np.sqrt(12.0)),
            }
        )
    return pd.DataFrame(rows)


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]
) -> list[float]:
    return [abc.weighted_quantile(values, weights, q) for q in qs]


def predictive_table(calibration: Calibration) -> pd.DataFrame:
    """The posterior predictive check per target (see `predictive_summary`)."""
    rows = [dataclasses.asdict(t) for t in calibration.targets.targets]
    return predictive_summary(calibration.predictive, rows)


def predictive_summary(predictive: pd.DataFrame, targets: list[dict[str, Any]]) -> pd.DataFrame:
    """Per target: observed value, predictive median and 90% interval, share within tolerance."""
    rows = []
    for target in targets:
        values = predictive[target["name"]].to_numpy()
        q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
        observed, tolerance = target["observed"], target["tolerance"]
        rows.append(
            {
                "target": target["name"],
                "observed": observed,
                "tolerance": tolerance,
                "median": q50,
                "q05": q05,
                "q95": q95,
                "share_within_tolerance": float(np.mean(np.abs(values - observed) <= tolerance)),
            }
        )
    return pd.DataFrame(rows)
