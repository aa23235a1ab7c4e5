"""Forecast skill: the model's predictions of the facts after a cut-off, scored against what
happened and against reference forecasts that need no model.

The study: read a facts file (``sim.studies.facts``); split its facts at the cut-off into the
known (period ended by it) and the scored (period starts after it); with ``calibration=auto``
calibrate on the known facts that carry a tolerance and on the targets file's targets that end
by the cut-off, simulating only the months up to it (rolling origin); simulate the ensemble in
chunks on any executor; score each scored fact (``sim.analysis.scores``) and its reference
forecasts (``sim.studies.references``); and sum up the skill per kind and score with bootstrap
intervals. Nothing observed after the cut-off enters the calibration or a reference forecast,
and the observed values never enter the simulation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from sim.analysis import scores as S
from sim.analysis.stats import LEVEL, wilson_interval
from sim.analysis.variance_split import parameter_interval
from sim.config import compose, list_scenarios, model_values
from sim.engine import store
from sim.engine.chunks import Chunk, RunTables, run_chunk
from sim.engine.ensemble import Ensembles
from sim.engine.posterior_draws import POSTERIOR, Posterior, params_for_runs
from sim.engine.posterior_draws import load as load_posterior
from sim.errors import CalibrationError
from sim.model.params import ParamSet, encode
from sim.model.rng import derive_seeds
from sim.model.version import model_version
from sim.studies.calibration import abc, regression
from sim.studies.calibration import calibrate as C
from sim.studies.calibration import targets as T
from sim.studies.facts import Fact, FactsError, FactSet, month_label
from sim.studies.references import REFERENCES, references

if TYPE_CHECKING:
    from sim.model.escalation import EnsembleResult

SCORES = "scores.parquet"
SKILL = "skill.parquet"
PREDICTIVE = "predictive.parquet"
CALIBRATION_DIR = "calibration"
#: A binary fact's P(yes): the dice's interval, then the parameters' (`probability_intervals`).
INTERVAL_COLUMNS = (
    "probability_lower",
    "probability_upper",
    "parameters_lower",
    "parameters_upper",
)
#: Which scores each kind of fact gets.
SCORE_NAMES = {"binary": ("brier", "log"), "count": ("crps",), "continuous": ("crps",)}
#: The module a process pool's workers import once beside the model (its reductions).
WORKER_MODULES = ("sim.studies.scoring",)


@dataclasses.dataclass(frozen=True)
class Options:
    """What to score and how: everything the command line sets."""

    cutoff: int
    calibration: str  # "none", "auto" or a calibration directory
    scenario: str
    replicates: int
    seed: int
    months: int
    settings: abc.Settings | regression.Settings  # calibration=auto's sampler (as calibrate's)
    executor: str = "serial"
    workers: int | None = None
    chunk_size: int = 500


# --- checks before any work ----------------------------------------------------------------------
def check_cutoff(facts: FactSet, cutoff: int) -> None:
    """A cut-off inside the facts' span, with at least one fact known and one to score."""
    first, last = facts.span
    if not first <= cutoff < last or not facts.scored(cutoff):
        raise FactsError(
            f"cutoff = {month_label(cutoff)} is not allowed: expected a month from "
            f"{month_label(first)} to {month_label(last - 1)} (the facts of {facts.name} span "
            f"{month_label(first)}..{month_label(last)}) that leaves a fact to score after it"
        )


def check_months(facts: Sequence[Fact], months: int, what: str) -> None:
    """Every simulated fact within the simulated months 0..months-1."""
    for fact in facts:
        if fact.first < 0 or fact.last >= months:
            raise FactsError(
                f"fact {fact.name!r}: period {fact.period} is outside the simulated months "
                f"{month_label(0)}..{month_label(months - 1)} ({what})"
            )


def check_measures(facts: Sequence[Fact], values: dict[str, Any], months: int) -> None:
    """Measure every fact on two runs, so that a column the model does not record fails
    with one line before any long work."""
    tables = simulate_tables(ParamSet(encode(values), 2), derive_seeds(0, np.arange(2)), months)
    for fact in facts:
        try:
            fact.evaluate(tables)
        except CalibrationError as error:
            raise FactsError(f"fact {fact.name!r} (measure {fact.measure}): {error}") from None


def scenario_values(name: str) -> dict[str, Any]:
    """The flat model values of a scenario (checked)."""
    known = [n for n, _ in list_scenarios()]
    if name not in known:
        raise FactsError(f"scenario = {name!r} is not allowed: expected one of {', '.join(known)}")
    try:
        return model_values(compose([f"scenario={name}"]))
    except Exception as error:  # Hydra's missing-config error or a bad value in the scenario
        raise FactsError(f"scenario = {name!r}: {str(error).splitlines()[0]}") from None


# --- calibration on what was known by the cut-off ------------------------------------------------
def target_last_month(target: T.Target) -> int | None:
    """The last month a target measures (its `last` or `month` argument)."""
    value = target.args.get("last", target.args.get("month"))
    return None if value is None else int(value)


def calibration_targets(facts: FactSet, cutoff: int) -> T.TargetSet:
    """The targets of a rolling-origin calibration: the targets file's targets that end by the
    cut-off and the known facts with a tolerance; months 0..cutoff only."""
    if facts.targets is None:
        raise FactsError(
            f"calibration = auto is not allowed for {facts.name}: its facts file names no "
            "targets file (targets: <name>) whose parameters give the priors"
        )
    base = T.load(facts.targets)
    kept = [t for t in base.targets if _ends_by(target_last_month(t), cutoff)]
    for fact in facts.known(cutoff):
        if fact.tolerance is not None and fact.first >= 0:
            kept.append(
                T.Target(
                    name=fact.name,
                    measure=fact.measure,
                    args=fact.measure_args(),
                    observed=fact.observed,
                    tolerance=fact.tolerance,
                    period=fact.period,
                    source=fact.source,
                )
            )
    if not kept:
        raise FactsError(
            f"calibration = auto is not allowed at cutoff = {month_label(cutoff)}: no target "
            f"of {base.name} and no fact with a tolerance in {facts.name} ends by it"
        )
    return dataclasses.replace(
        base,
        name=f"{facts.name}_to_{month_label(cutoff)}",
        months=cutoff + 1,
        targets=tuple(kept),
    )


def _ends_by(last: int | None, cutoff: int) -> bool:
    """Whether a target's last month is known to lie by the cut-off (no months: it is not)."""
    return last is not None and last <= cutoff


def posterior_of(calibration: Any, directory: Path) -> Posterior:
    """The in-memory posterior of a finished calibration (recorded at `directory`)."""
    post = calibration.result.posterior
    return Posterior(
        directory=directory,
        names=tuple(calibration.prior.names),
        theta=np.asarray(post.theta, dtype=float),
        weights=np.asarray(post.weights, dtype=float) / np.sum(post.weights),
        targets=calibration.targets.name,
    )


# --- simulating the ensemble ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class FactValues:
    """Every fact's measure on every run of a chunk: a (runs, facts) array; the chunks' arrays
    merge one after the other (run order)."""

    facts: tuple[Fact, ...]
    name: str = "facts"

    def reduce(self, result: EnsembleResult, chunk: Chunk) -> np.ndarray:
        tables = T.measured_tables(result, chunk)
        return np.column_stack([fact.evaluate(tables) for fact in self.facts])

    def merge(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts, axis=0)


def simulate_tables(params: ParamSet, seeds: np.ndarray, months: int) -> T.RunTables:
    """Simulate runs 0..n-1 (their ids local to this batch) and return their tables."""
    chunk = Chunk(0, params, seeds, months, trajectories=True, events=True)
    return T.measured_tables(run_chunk(chunk, [RunTables()]).parts["tables"], chunk)


def predict(
    facts: Sequence[Fact], params: ParamSet, options: Options, progress: Callable | None = None
) -> np.ndarray:
    """The (runs, facts) predictive values; the same for any executor and chunk size, since
    run i has seed derive_seeds(seed, i) and its own parameters wherever it is simulated.

    Each chunk's runs are numbered from 0 in its tables, as in `check_measures`: the
    measures see a batch of runs, not their place in the ensemble.
    """
    seeds = derive_seeds(options.seed, np.arange(options.replicates))
    reduction = FactValues(tuple(facts))
    parts = []
    ensembles = Ensembles(
        options.executor, options.workers, chunk_size=options.chunk_size, preload=WORKER_MODULES
    )
    with ensembles:
        outputs = ensembles.outputs(params, seeds, options.months, [reduction], local_ids=True)
        for output in outputs:
            parts.append(output.parts[reduction.name])
            if progress is not None:
                progress(output.runs)
    return reduction.merge(parts)


def run_params(
    values: dict[str, Any], posterior: Posterior | None, options: Options
) -> tuple[ParamSet, pd.DataFrame | None]:
    """The runs' parameters: the scenario's, or with a posterior each run's draw."""
    run_ids = np.arange(options.replicates)
    if posterior is None:
        return ParamSet(encode(values), options.replicates), None
    return params_for_runs(posterior, values, options.seed, run_ids)


# --- scoring -------------------------------------------------------------------------------------
def score_facts(
    scored: Sequence[Fact],
    known: Sequence[Fact],
    predictive: np.ndarray,
    draws: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per scored fact and score: the predictive summary, the model's score, each
    reference's score (and its probability or mean, `<reference>_forecast`) and the skill
    against it; PIT and coverage for counts and continuous facts. A binary fact's P(yes)
    carries two intervals (`probability_intervals`); `draws`: each run's posterior draw
    (None: the runs have the hand-set values)."""
    runs = predictive.shape[0]
    rows = []
    for j, fact in enumerate(scored):
        values = fact.outcome(predictive[:, j])
        base = _summary(fact, values, draws)
        refs = references(fact, list(known))
        for score in SCORE_NAMES[fact.kind]:
            model = _score(score, values, fact, runs)
            row = dict(base, score=score, model=model)
            for name in REFERENCES:
                ref = _reference_score(score, refs[name], fact, runs)
                row[name] = ref
                row[f"{name}_forecast"] = _reference_centre(refs[name])
                row[f"skill_{name}"] = S.skill(np.array([model]), np.array([ref]))
            rows.append(row)
    return pd.DataFrame(rows)


def _summary(fact: Fact, values: np.ndarray, draws: np.ndarray | None) -> dict[str, Any]:
    q05, q25, q50, q75, q95 = S.bands(values[:, None])[:, 0]
    row = {
        "fact": fact.name,
        "kind": fact.kind,
        "series": fact.series or "",
        "period": fact.period,
        "first_month": fact.first,
        "last_month": fact.last,
        "observed": fact.observed,
        "mean": float(values.mean()),
        "q05": q05,
        "q25": q25,
        "median": q50,
        "q75": q75,
        "q95": q95,
        "probability": float(values.mean()) if fact.kind == "binary" else np.nan,
        **probability_intervals(fact, values, draws),
        "pit_low": np.nan,
        "pit_high": np.nan,
        "inside_50": np.nan,
        "inside_90": np.nan,
    }
    if fact.kind != "binary":
        y = np.array([fact.observed])
        low, high = S.pit_interval(values[:, None], y)
        inside_50, inside_90 = S.coverage(values[:, None], y)
        row.update(
            pit_low=float(low[0]),
            pit_high=float(high[0]),
            inside_50=float(inside_50[0]),
            inside_90=float(inside_90[0]),
        )
    return row


def probability_intervals(
    fact: Fact, values: np.ndarray, draws: np.ndarray | None, level: float = LEVEL
) -> dict[str, float]:
    """A binary fact's P(yes) with the dice's 95% interval (probability_lower,
    probability_upper: Wilson, over the runs) and the parameters' (parameters_lower,
    parameters_upper: the spread of P over the posterior's draws,
    ``sim.analysis.variance_split.parameter_interval``, the split `sim run` prints). NaN for
    counts and continuous facts, and the parameters' NaN too on the hand-set values (no
    `draws`) or with fewer than two draws."""
    row = dict.fromkeys(INTERVAL_COLUMNS, np.nan)
    if fact.kind != "binary":
        return row
    lower, upper = wilson_interval(np.array([values.sum()]), np.array([values.size]), level)
    row["probability_lower"], row["probability_upper"] = float(lower[0]), float(upper[0])
    if draws is not None:
        row["parameters_lower"], row["parameters_upper"] = parameter_interval(values, draws, level)
    return row


def _score(score: str, values: np.ndarray, fact: Fact, runs: int) -> float:
    y = np.array([fact.observed])
    if score == "crps":
        return float(S.crps(values[:, None], y)[0])
    p = np.array([values.mean()])
    if score == "brier":
        return float(S.brier(p, y)[0])
    return float(S.log_score(p, y, members=runs)[0])


def _reference_centre(ref: Any) -> float:
    """A reference's probability (binary) or mean, for the figures."""
    if ref.probability is not None:
        return float(ref.probability)
    if ref.uniform is not None:
        return float(np.mean(ref.uniform))
    return float(np.mean(ref.ensemble)) if ref.ensemble is not None else float("nan")


def _reference_score(score: str, ref: Any, fact: Fact, runs: int) -> float:
    y = np.array([fact.observed])
    if not ref.available:
        return float("nan")
    if score == "crps":
        if ref.uniform is not None:
            return float(S.crps_uniform(y, *ref.uniform)[0])
        return float(S.crps(np.asarray(ref.ensemble, float)[:, None], y)[0])
    p = np.array([ref.probability])
    if score == "brier":
        return float(S.brier(p, y)[0])
    if ref.name == "persistence":  # certain: an infinite log score whenever it is wrong
        return float("nan")
    return float(S.log_score(p, y)[0])


def skill_table(scores: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Per kind, score and reference: facts scored, mean scores, skill and its bootstrap
    interval (seeded: the same scores give the same interval)."""
    rows = []
    groups = scores.groupby(["kind", "score"], sort=False)
    for g, ((kind, score), part) in enumerate(groups):
        for r, name in enumerate(REFERENCES):
            usable = part[np.isfinite(part[name])]
            model, ref = usable["model"].to_numpy(), usable[name].to_numpy()
            low, high = S.skill_interval(model, ref, seed + 1000 * g + r)
            rows.append(
                {
                    "kind": kind,
                    "score": score,
                    "reference": name,
                    "facts": len(usable),
                    "model_mean": float(model.mean()) if len(model) else np.nan,
                    "reference_mean": float(ref.mean()) if len(ref) else np.nan,
                    "skill": S.skill(model, ref) if len(model) else np.nan,
                    "skill_low": low,
                    "skill_high": high,
                }
            )
    return pd.DataFrame(rows)


def coverage_summary(scores: pd.DataFrame) -> dict[str, float]:
    """Counts and quantities: the share inside the 50% and 90% intervals, the mean mid-PIT."""
    part = scores[scores["kind"] != "binary"]
    if part.empty:
        return {}
    return {
        "facts": int(len(part)),
        "inside_50": float(part["inside_50"].mean()),
        "inside_90": float(part["inside_90"].mean()),
        "pit_mean": float(((part["pit_low"] + part["pit_high"]) / 2).mean()),
    }


# --- the whole study -----------------------------------------------------------------------------
@dataclasses.dataclass
class Scoring:
    """A finished scoring, in memory."""

    facts: FactSet
    options: Options
    scored: list[Fact]
    known: list[Fact]
    predictive: pd.DataFrame
    scores: pd.DataFrame
    skill: pd.DataFrame
    calibration: Any = None  # the Calibration of calibration=auto
    posterior: Posterior | None = None
    seconds: float = 0.0


def check(facts: FactSet, options: Options) -> dict[str, Any]:
    """Every refusal before any long work; return the scenario's model values."""
    check_cutoff(facts, options.cutoff)
    scored = facts.scored(options.cutoff)
    check_months(scored, options.months, f"months = {options.months}")
    values = scenario_values(options.scenario)
    check_measures(scored, values, options.months)
    if options.calibration not in ("none", "auto"):
        load_posterior(options.calibration)
    return values


def run(
    facts: FactSet,
    options: Options,
    calibrate: Callable[[T.TargetSet, abc.Settings, str, int | None], Any] | None = None,
    progress: Callable | None = None,
) -> Scoring:
    """Check, calibrate (calibration=auto), simulate and score; write nothing.

    `calibrate(targets, settings, scenario, workers)` is
    ``sim.studies.calibration.calibrate.calibrate`` (passed in so that a test can see what it is
    given); it runs on one process with executor=serial, else on `workers` processes.
    """
    values = check(facts, options)
    scored, known = facts.scored(options.cutoff), facts.known(options.cutoff)
    calibration, posterior = None, None
    with store.Stopwatch() as clock:
        if options.calibration == "auto":
            targets = calibration_targets(facts, options.cutoff)
            workers = 1 if options.executor == "serial" else options.workers
            calibration = (calibrate or C.calibrate)(
                targets, options.settings, options.scenario, workers=workers
            )
            posterior = posterior_of(calibration, Path(CALIBRATION_DIR))
        elif options.calibration != "none":
            posterior = load_posterior(options.calibration)
        params, drawn = run_params(values, posterior, options)
        values_per_run = predict(scored, params, options, progress)
        draws = None if drawn is None else drawn["draw"].to_numpy()
        scores = score_facts(scored, known, values_per_run, draws)
        skill = skill_table(scores, options.seed)
    predictive = pd.DataFrame(values_per_run, columns=[f.name for f in scored])
    predictive.insert(0, "run_id", np.arange(options.replicates))
    if drawn is not None:
        predictive.insert(1, "particle", drawn["particle"].to_numpy())
    return Scoring(
        facts,
        options,
        scored,
        known,
        predictive,
        scores,
        skill,
        calibration,
        posterior,
        clock.seconds,
    )


# --- writing -------------------------------------------------------------------------------------
def fact_dict(fact: Fact) -> dict[str, Any]:
    data = {
        "name": fact.name,
        "measure": fact.measure,
        "args": dict(fact.args),
        "observed": fact.observed,
        "period": fact.period,
        "source": fact.source,
        "kind": fact.kind,
    }
    for key in ("series", "tolerance", "support", "doc"):
        value = getattr(fact, key)
        if value not in (None, ""):
            data[key] = list(value) if key == "support" else value
    return data


def config_dict(scoring: Scoring) -> dict[str, Any]:
    """The scoring's full configuration: options, and the facts known and scored."""
    o = scoring.options
    return {
        "facts": {
            "name": scoring.facts.name,
            "file": str(scoring.facts.path),
            "description": scoring.facts.description,
            "targets": scoring.facts.targets,
        },
        "cutoff": month_label(o.cutoff),
        "calibration": o.calibration,
        "scenario": o.scenario,
        "run": {"replicates": o.replicates, "seed": o.seed, "months": o.months},
        "calibration_settings": dataclasses.asdict(o.settings) if o.calibration == "auto" else None,
        "scored": [fact_dict(f) for f in scoring.scored],
        "known": [fact_dict(f) for f in scoring.known],
    }


def write_calibration(scoring: Scoring, directory: Path, run_dir: str) -> list[str]:
    """The posterior of calibration=auto, as a calibration directory `sim run` can use."""
    directory.mkdir()
    C.write_into(scoring.calibration, directory, run_dir)
    return [f"{CALIBRATION_DIR}/{name}" for name in (POSTERIOR, store.CONFIG)]


def write(
    scoring: Scoring,
    output_root: Path,
    draw: Callable[[Path], list[Path]] | None = None,
) -> Path:
    """Write results/scores/<facts>/<timestamp>/; return its path.

    `draw(staging)` draws the figures and report.html into the directory before it is
    complete (the command passes the plot command's drawing; plots live above studies).
    """
    final = Path(output_root) / "scores" / scoring.facts.name / store.timestamp()
    run_dir = store.run_dir_name(final, output_root)
    with store.staged_directory(final) as staging:
        store.write_table(scoring.scores, staging / SCORES, run_dir=run_dir)
        store.write_table(scoring.skill, staging / SKILL, run_dir=run_dir)
        store.write_table(scoring.predictive, staging / PREDICTIVE, run_dir=run_dir)
        store.write_text(
            yaml.safe_dump(config_dict(scoring), sort_keys=False), staging / store.CONFIG
        )
        files = [SCORES, SKILL, PREDICTIVE, store.CONFIG]
        calibration: Any = scoring.options.calibration
        if scoring.calibration is not None:
            files += write_calibration(
                scoring, staging / CALIBRATION_DIR, f"{run_dir}/{CALIBRATION_DIR}"
            )
            calibration = {"auto": str(final / CALIBRATION_DIR)}
        elif scoring.posterior is not None:
            calibration = scoring.posterior.describe()
        if draw is not None:
            files += [str(p.relative_to(staging)) for p in draw(staging)]
        o = scoring.options
        store.write_manifest(
            staging,
            kind="score",
            run_dir=run_dir,
            model_version=model_version(),
            facts=scoring.facts.name,
            cutoff=month_label(o.cutoff),
            calibration=calibration,
            scenario=o.scenario,
            replicates=o.replicates,
            seed=o.seed,
            months=o.months,
            scored=len(scoring.scored),
            known=len(scoring.known),
            coverage=coverage_summary(scoring.scores),
            seeds="run i has seed sim.model.rng.derive_seeds(seed, i)",
            executor=o.executor,
            wall_seconds=scoring.seconds,
            files=files,
        )
    return final


def read(directory: Path) -> dict[str, Any]:
    """The tables and config of a scores directory."""
    directory = Path(directory)
    return {
        "scores": store.read_table(directory / SCORES),
        "skill": store.read_table(directory / SKILL),
        "predictive": store.read_table(directory / PREDICTIVE),
        "config": yaml.safe_load((directory / store.CONFIG).read_text()),
    }


def skill_comparison(directories: Sequence[Path], labels: Sequence[str]) -> pd.DataFrame:
    """The skill tables of several scores directories, one after the other, labelled."""
    parts = []
    for directory, label in zip(directories, labels, strict=True):
        data = read(directory)
        config = data["config"]
        parts.append(
            data["skill"].assign(
                label=label,
                facts_file=config["facts"]["name"],
                cutoff=config["cutoff"],
                calibration=str(config["calibration"]),
            )
        )
    table = pd.concat(parts, ignore_index=True)
    first = ["label", "facts_file", "cutoff", "calibration"]
    return table[[*first, *(c for c in table.columns if c not in first)]]
