"""Parameters drawn from a posterior: a source of run parameters that the engine knows.

Runs are grouped in *draws* of ``RUNS_PER_DRAW`` consecutive runs (run i is in draw
i // RUNS_PER_DRAW). Each draw takes one particle of the posterior, chosen by weight with a
uniform number that depends only on the master seed and the draw's index (``sim.model.rng``), so the
parameters of a run are the same in any batch, chunk or executor. Groups of runs sharing a
parameter set let the law of total variance split the variance of an outcome into the part
from the parameters (between draws) and the part from the dice (within draws).

A scenario changes exogenous conditions; the calibrated parameters carry over: they replace
the scenario's values of those parameters and nothing else.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.checksums import file_digest
from sim.engine.store import read_manifest, read_table
from sim.errors import CalibrationError, ConfigError, first_line
from sim.model.params import PARAMS_BY_PATH, ParamSet, encode
from sim.model.rng import RunStreams, derive_seeds
from sim.model.version import model_version, prior_version
from sim.search_path import CONFIG_DIR

#: The file of a calibration directory that holds the particles (written by `sim calibrate`).
POSTERIOR = "posterior.parquet"
#: Shipped posteriors: configs/posteriors/<name>/ (written by `sim calibrate ... ship=true`).
POSTERIORS_DIR = CONFIG_DIR / "posteriors"
#: The posterior every run command draws from unless told `calibration=none` or another one.
DEFAULT_POSTERIOR = "seed_2022"
#: `calibration=none`: the hand-set values of the parameter table.
NONE = "none"
RECALIBRATE = "make posterior"
RUNS_PER_DRAW = 10
#: What a manifest records when the runs use the parameter table's hand-set values.
HAND_SET = "none: the parameter table's hand-set values"
#: The key of the posterior file's digest in a manifest's ``calibration`` facts.
DIGEST = "posterior_sha256"
_DRAW_SEED_SALT = 0x5EED_CA1B  # keeps the draws' seeds apart from the runs' own seeds


@dataclasses.dataclass(frozen=True)
class Posterior:
    """The particles of a calibration: parameter values (N, d) and normalised weights (N,)."""

    directory: Path
    names: tuple[str, ...]
    theta: np.ndarray
    weights: np.ndarray
    targets: str
    manifest: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    #: SHA-256 of posterior.parquet's footer (``sim.engine.checksums``) as it was read: two
    #: files share it only when they hold the same particles.
    digest: str = ""

    def warnings(self) -> list[str]:
        """Why this posterior should not be trusted, one line each (empty if it can be):
        a quick smoke test, a calibration that stopped on its budget, missed targets."""
        m, where = self.manifest, f"posterior {self.directory}"
        lines = []
        if m.get("quick"):
            lines.append(f"{where} is a quick smoke-test calibration, not an inference")
        if m.get("converged") is False:
            lines.append(
                f"{where} did not converge (stopped: {m.get('stop_reason')}); recalibrate: "
                f"{RECALIBRATE}"
            )
        for target in m.get("missed_targets") or []:
            lines.append(f"{where} misses target {target} (posterior predictive check)")
        return lines

    def without(self, names: Sequence[str]) -> Posterior:
        """The posterior of the other parameters (a sweep's factors are set by its design)."""
        keep = [j for j, n in enumerate(self.names) if n not in set(names)]
        return dataclasses.replace(
            self, names=tuple(self.names[j] for j in keep), theta=self.theta[:, keep]
        )

    def describe(self) -> dict[str, Any]:
        """What a run's manifest records about the posterior it used."""
        return {
            "directory": str(self.directory),
            "targets": self.targets,
            "model_version": model_version(),
            "parameters": list(self.names),
            "particles": len(self.weights),
            "runs_per_draw": RUNS_PER_DRAW,
            "warnings": self.warnings(),
            DIGEST: self.digest,
        }


def stale_reason(manifest: Mapping[str, Any]) -> str | None:
    """Why a posterior no longer fits this model (another parameter table or prior), or None."""
    if manifest.get("model_version") != model_version():
        return (
            f"it was made with model version {manifest.get('model_version')}, this model is "
            f"{model_version()}"
        )
    if manifest.get("prior_version", prior_version()) != prior_version():
        return "the uncertainty table (sim/model/uncertainty.py) changed since"
    return None


def resolve(calibration: str | None) -> str | None:
    """The posterior directory a run command draws from, or None for the hand-set values.

    Unset: the shipped default (configs/posteriors/seed_2022/), unless it is missing or stale,
    when the runs use the hand-set values and `default_notice` says why. `none`: hand-set
    values. A name in configs/posteriors/, or a calibration directory.
    """
    if calibration is None:
        default = POSTERIORS_DIR / DEFAULT_POSTERIOR
        if default_notice() is not None:
            return None
        return str(default)
    if str(calibration).lower() == NONE:
        return None
    shipped = POSTERIORS_DIR / str(calibration)
    if "/" not in str(calibration) and shipped.is_dir():
        return str(shipped)
    return str(calibration)


def default_notice() -> str | None:
    """Why runs cannot use the shipped default posterior, or None when they can."""
    default = POSTERIORS_DIR / DEFAULT_POSTERIOR
    manifest_path = default / "manifest.json"
    if not manifest_path.is_file():
        return (
            f"no shipped posterior ({default}): runs use the hand-set values; calibrate: "
            f"{RECALIBRATE}"
        )
    reason = stale_reason(json.loads(manifest_path.read_text()))
    if reason:
        return (
            f"the shipped posterior {default} is stale ({reason}): runs use the hand-set "
            f"values; recalibrate: {RECALIBRATE}"
        )
    return None


def notices(calibration: str | None) -> list[str]:
    """The warnings a command prints on every use of `calibration` (unresolved, as given)."""
    if calibration is None and default_notice():
        return [str(default_notice())]
    directory = resolve(calibration)
    return load_cached(directory).warnings() if directory else []


def load(directory: str | Path) -> Posterior:
    """Read a calibration directory; raise CalibrationError if it is not one of this model."""
    directory = Path(directory)
    key = f"calibration = {str(directory)!r}"
    manifest_path = directory / "manifest.json"
    if not directory.is_dir():
        raise CalibrationError(f"{key} is not allowed: expected a calibration directory")
    if not manifest_path.is_file() or not (directory / POSTERIOR).is_file():
        raise CalibrationError(
            f"{key} is not allowed: expected a finished calibration directory "
            f"(with manifest.json and {POSTERIOR}; python -m sim calibrate writes one)"
        )
    manifest = _read_manifest(manifest_path, key)
    if manifest.get("kind") != "calibration":
        raise CalibrationError(f"{key} is not allowed: its manifest is not a calibration's")
    stale = stale_reason(manifest)
    if stale:
        raise CalibrationError(
            f"{key}: {stale}: calibrate again (python -m sim calibrate "
            f"targets={manifest.get('targets')})"
        )
    names = _parameter_names(manifest, key)
    digest = file_digest(directory / POSTERIOR)["footer_sha256"]
    frame = _read_particles(directory / POSTERIOR, names, key)
    weights = _checked_weights(frame["weight"].to_numpy(dtype=float), key)
    theta = frame[list(names)].to_numpy(dtype=float)
    for j, name in enumerate(names):
        _check_values(name, theta[:, j], key)
    return Posterior(
        directory=directory,
        names=names,
        theta=theta,
        weights=weights / weights.sum(),
        targets=str(manifest.get("targets")),
        manifest=manifest,
        digest=digest,
    )


# A posterior is a file a user can copy, edit or damage: each check below turns what would be
# a silently wrong run (a NaN parameter, a value outside its range, every run on the last
# particle) into one line naming the file, the key and what is allowed (review 2, D5).
def _read_manifest(path: Path, key: str) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CalibrationError(f"{key}: {path} cannot be read ({error})") from None
    if not isinstance(manifest, dict):
        raise CalibrationError(f"{key}: {path} is not a calibration manifest (not a mapping)")
    return manifest


def _parameter_names(manifest: Mapping[str, Any], key: str) -> tuple[str, ...]:
    names = manifest.get("parameters")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise CalibrationError(
            f"{key}: manifest.json parameters = {names!r} is not allowed: expected a list of "
            "parameter paths"
        )
    unknown = [n for n in names if n not in PARAMS_BY_PATH]
    if unknown:
        raise CalibrationError(
            f"{key}: parameter {unknown[0]!r} is not allowed: expected a name in the parameter "
            "table (docs/ODD.md)"
        )
    return tuple(names)


def _read_particles(path: Path, names: Sequence[str], key: str) -> pd.DataFrame:
    try:
        frame = read_table(path)
    except Exception as error:  # noqa: BLE001 (pyarrow raises many kinds for a damaged file)
        first = first_line(error)
        raise CalibrationError(f"{key}: {path} cannot be read ({first})") from None
    missing = [c for c in ("weight", *names) if c not in frame.columns]
    if missing:
        raise CalibrationError(f"{key}: {path} has no column {missing[0]!r}")
    if frame.empty:
        raise CalibrationError(f"{key}: {path} has no particles")
    return frame


def _checked_weights(weights: np.ndarray, key: str) -> np.ndarray:
    bad = weights[~np.isfinite(weights) | (weights < 0)]
    if bad.size:
        raise CalibrationError(
            f"{key}: weight = {bad[0]!r} is not allowed: expected finite numbers >= 0"
        )
    if not weights.sum() > 0:
        raise CalibrationError(
            f"{key}: the weights sum to {weights.sum()!r}: expected a positive sum"
        )
    return weights


def _check_values(name: str, values: np.ndarray, key: str) -> None:
    param = PARAMS_BY_PATH[name]
    low, high = (0, len(param.choices) - 1) if param.choices else (param.low, param.high)
    bad = values[~np.isfinite(values) | (values < low) | (values > high)]
    if bad.size:
        raise CalibrationError(
            f"{key}: {name} = {float(bad[0])!r} is not allowed: expected {param.allowed()}"
        )


@functools.lru_cache(maxsize=4)
def load_cached(directory: str) -> Posterior:
    """`load`, once per process (each chunk of a sweep asks for the same posterior)."""
    return load(directory)


def load_checked(directory: str, digest: str | None) -> Posterior:
    """`load_cached`, refused when its file is no longer the one with `digest` (None: any):
    a posterior shipped again in place (``make posterior``) while a sweep runs, or since a
    run drew from it, would otherwise give other parameters without a word."""
    posterior = load_cached(directory)
    if digest and posterior.digest != digest:
        raise CalibrationError(
            f"calibration = {directory!r}: {POSTERIOR} has changed since the runs drew from it "
            f"(sha256 {digest[:12]}, now {posterior.digest[:12]}): its draws would not be theirs"
        )
    return posterior


def source_facts(directory: str | None) -> dict[str, Any] | str:
    """What a manifest records about the runs' parameters: the posterior's `describe`, or
    `HAND_SET`."""
    return HAND_SET if directory is None else load_cached(directory).describe()


def check_same_source(resumed: Path, now: Mapping[str, Any] | str | None) -> None:
    """Refuse to resume a study whose finished chunks drew their parameters from another
    source than the rest would (another posterior file, or the hand-set values): the result
    would mix two sets of parameters. Directories that recorded no digest are not checked.

    Raises:
        ConfigError: naming the directory and both sources.
    """
    before, after = read_manifest(resumed).get("calibration"), now
    if _source_key(before) is None or _source_key(after) is None:
        return
    if _source_key(before) != _source_key(after):
        raise ConfigError(
            f"resume={resumed} drew its parameters from {_source_words(before)}; now they "
            f"would come from {_source_words(after)}: refusing to mix them (resume with "
            "calibration= set to the posterior it began with, or start a new one)"
        )


def recorded_digest(facts: Mapping[str, Any] | str | None) -> str | None:
    """The posterior file's digest in a manifest's `calibration` facts; None for the hand-set
    values or where the facts do not record it."""
    return (facts.get(DIGEST) or None) if isinstance(facts, Mapping) else None


def _source_key(facts: Mapping[str, Any] | str | None) -> str | None:
    """HAND_SET, the posterior file's digest, or None where the facts do not say."""
    return HAND_SET if facts == HAND_SET else recorded_digest(facts)


def _source_words(facts: Mapping[str, Any] | str | None) -> str:
    if not isinstance(facts, Mapping):
        return "the hand-set values"
    return f"posterior {facts.get('directory')} ({POSTERIOR} sha256 {str(facts[DIGEST])[:12]})"


def check_usable(directory: str) -> Posterior:
    """The posterior in `directory`; ConfigError if it cannot be read or is another model's."""
    try:
        return load(directory)
    except CalibrationError as error:
        raise ConfigError(str(error)) from None


def overridden_by_design(directory: str | None, factors: Iterable[str]) -> list[str]:
    """The design's factors that the posterior in `directory` calibrates (none without one):
    the design sets them, and the posterior draws the other calibrated parameters from their
    marginal (the reading of an intervention, "if x were ..."). Sweeps and threshold studies
    record them in the manifest as ``posterior_overridden``."""
    if directory is None:
        return []
    names = load_cached(directory).names
    return [f for f in factors if f in names]


def draw_particles(
    posterior: Posterior, seed: int, run_ids: np.ndarray, runs_per_draw: int = RUNS_PER_DRAW
) -> np.ndarray:
    """The particle of each run: one by-weight draw per group of `runs_per_draw` runs."""
    draws = np.asarray(run_ids, dtype=np.int64) // runs_per_draw
    u = RunStreams(derive_seeds(int(seed) ^ _DRAW_SEED_SALT, draws)).uniform("posterior_draw", 0)
    cumulative = np.cumsum(posterior.weights)
    index = np.searchsorted(cumulative, u * cumulative[-1], side="right")
    return np.minimum(index, len(posterior.weights) - 1)


def calibrated_columns(posterior: Posterior, particles: np.ndarray) -> dict[str, np.ndarray]:
    """Each calibrated parameter's value per run (integer parameters rounded, as calibrated)."""
    columns = {}
    for j, path in enumerate(posterior.names):
        values = posterior.theta[particles, j]
        columns[path] = np.round(values) if PARAMS_BY_PATH[path].integer else values
    return columns


def set_explicitly(values: Mapping[str, Any]) -> list[str]:
    """The parameters a scenario or an override sets away from the table's default: they keep
    that value, and the posterior draws only the others (a scenario that sets partners'
    reliability, or `model.kazakhstan.multivector=0`, means what it says)."""
    return [
        path
        for path, value in values.items()
        if path in PARAMS_BY_PATH and value != PARAMS_BY_PATH[path].default
    ]


def left_to_the_design(factors: Iterable[str], scenarios: Iterable[Mapping[str, Any]]) -> list[str]:
    """What a sweep's posterior draws leave alone: the design's factors, and what any of its
    scenarios sets away from the table's default (``set_explicitly``)."""
    names = {str(f) for f in factors}
    for values in scenarios:
        names.update(set_explicitly(values))
    return sorted(names)


def params_for_runs(
    posterior: Posterior,
    values: Mapping[str, Any],
    seed: int,
    run_ids: np.ndarray,
    runs_per_draw: int = RUNS_PER_DRAW,
) -> tuple[ParamSet, pd.DataFrame]:
    """The runs' parameters (the scenario's `values`, calibrated ones from the posterior) and
    the table recording them (params.parquet: run_id, draw, particle, one column per path)."""
    posterior = posterior.without(set_explicitly(values))
    particles = draw_particles(posterior, seed, run_ids, runs_per_draw)
    columns: dict[str, Any] = dict(encode(values))
    calibrated = calibrated_columns(posterior, particles)
    columns.update(calibrated)
    table = pd.DataFrame(
        {
            "run_id": np.asarray(run_ids),
            "draw": np.asarray(run_ids) // runs_per_draw,
            "particle": particles,
            **calibrated,
        }
    )
    return ParamSet(columns, len(run_ids)), table


def override_params(
    params: ParamSet, posterior: Posterior, seed: int, run_ids: np.ndarray
) -> tuple[ParamSet, np.ndarray]:
    """`params` with the calibrated parameters replaced by the runs' posterior draws, and the
    particle of each run (`run_ids` number the runs for the draws: replicates in a sweep)."""
    particles = draw_particles(posterior, seed, run_ids)
    columns = dict(params.columns)
    columns.update(calibrated_columns(posterior, particles))
    return ParamSet(columns, params.size), particles


def calibrated_params(
    calibration: str | None,
    values: Mapping[str, Any],
    seed: int,
    run_ids: np.ndarray,
    runs_per_draw: int = RUNS_PER_DRAW,
) -> tuple[Mapping[str, Any] | ParamSet, pd.DataFrame | None]:
    """The parameters of a run command: the draws from the posterior in directory
    `calibration` (already resolved: ``resolve``) and the params.parquet table recording them,
    or `values` and None when `calibration` is None (the hand-set values)."""
    if calibration is None:
        return values, None
    return params_for_runs(load_cached(calibration), values, seed, run_ids, runs_per_draw)
