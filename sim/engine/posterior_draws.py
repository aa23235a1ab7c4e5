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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError
from sim.errors import CalibrationError
from sim.model.params import PARAMS_BY_PATH, ParamSet, encode
from sim.model.rng import RunStreams, derive_seeds
from sim.model.version import model_version

#: The file of a calibration directory that holds the particles (written by `sim calibrate`).
POSTERIOR = "posterior.parquet"
RUNS_PER_DRAW = 10
_DRAW_SEED_SALT = 0x5EED_CA1B  # keeps the draws' seeds apart from the runs' own seeds


@dataclasses.dataclass(frozen=True)
class Posterior:
    """The particles of a calibration: parameter values (N, d) and normalised weights (N,)."""

    directory: Path
    names: tuple[str, ...]
    theta: np.ndarray
    weights: np.ndarray
    targets: str

    def describe(self) -> dict[str, Any]:
        """What a run's manifest records about the posterior it used."""
        return {
            "directory": str(self.directory),
            "targets": self.targets,
            "model_version": model_version(),
            "parameters": list(self.names),
            "particles": len(self.weights),
            "runs_per_draw": RUNS_PER_DRAW,
        }


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
    if manifest.get("model_version") != model_version():
        raise CalibrationError(
            f"{key} was made with model version {manifest.get('model_version')}, this model "
            f"is {model_version()}: calibrate again (python -m sim calibrate "
            f"targets={manifest.get('targets')})"
        )
    names = _parameter_names(manifest, key)
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
        frame = pd.read_parquet(path)
    except Exception as error:  # noqa: BLE001 (pyarrow raises many kinds for a damaged file)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
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


def check_for_sweep(directory: str, factors: Sequence[str]) -> None:
    """Refuse a posterior that cannot serve a sweep: another model's, or one whose calibrated
    parameters are also design factors (the design and the posterior would both set them)."""

    try:
        posterior = load(directory)
    except CalibrationError as error:
        raise ConfigError(str(error)) from None
    both = sorted(set(posterior.names) & set(factors))
    if both:
        raise ConfigError(
            f"calibration = {directory!r} is not allowed with factors {', '.join(both)}: they "
            "are calibrated; vary other parameters, or calibrate without them"
        )


def draw_particles(posterior: Posterior, seed: int, run_ids: np.ndarray) -> np.ndarray:
    """The particle of each run: one by-weight draw per group of RUNS_PER_DRAW runs."""
    draws = np.asarray(run_ids, dtype=np.int64) // RUNS_PER_DRAW
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


def params_for_runs(
    posterior: Posterior, values: Mapping[str, Any], seed: int, run_ids: np.ndarray
) -> tuple[ParamSet, pd.DataFrame]:
    """The runs' parameters (the scenario's `values`, calibrated ones from the posterior) and
    the table recording them (params.parquet: run_id, draw, particle, one column per path)."""
    particles = draw_particles(posterior, seed, run_ids)
    columns: dict[str, Any] = dict(encode(values))
    calibrated = calibrated_columns(posterior, particles)
    columns.update(calibrated)
    table = pd.DataFrame(
        {
            "run_id": np.asarray(run_ids),
            "draw": np.asarray(run_ids) // RUNS_PER_DRAW,
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
    calibration: str | None, values: Mapping[str, Any], seed: int, run_ids: np.ndarray
) -> tuple[Mapping[str, Any] | ParamSet, pd.DataFrame | None]:
    """The parameters of a run command: `values`, or with `calibration=` the posterior draws
    and the params.parquet table recording them."""
    if not calibration:
        return values, None
    return params_for_runs(load(calibration), values, seed, run_ids)
