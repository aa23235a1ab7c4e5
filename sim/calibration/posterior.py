"""Using a posterior: draw each run's calibrated parameters, and split the spread of an answer.

Runs are grouped in *draws* of ``RUNS_PER_DRAW`` consecutive runs (run i is in draw
i // RUNS_PER_DRAW). Each draw takes one particle of the posterior, chosen by weight with a
uniform number that depends only on the master seed and the draw's index (``sim.rng``), so the
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

from sim.calibration.calibrate import POSTERIOR
from sim.calibration.targets import CalibrationError
from sim.calibration.version import model_version
from sim.params import PARAMS_BY_PATH, ParamSet, encode
from sim.rng import RunStreams, derive_seeds

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
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("kind") != "calibration":
        raise CalibrationError(f"{key} is not allowed: its manifest is not a calibration's")
    if manifest.get("model_version") != model_version():
        raise CalibrationError(
            f"{key} was made with model version {manifest.get('model_version')}, this model "
            f"is {model_version()}: calibrate again (python -m sim calibrate "
            f"targets={manifest.get('targets')})"
        )
    frame = pd.read_parquet(directory / POSTERIOR)
    names = tuple(manifest["parameters"])
    unknown = [n for n in names if n not in PARAMS_BY_PATH]
    if unknown:  # cannot happen with a matching version; kept so a hand-edited file fails clearly
        raise CalibrationError(f"{key}: unknown parameters {unknown}")
    weights = frame["weight"].to_numpy(dtype=float)
    return Posterior(
        directory=directory,
        names=names,
        theta=frame[list(names)].to_numpy(dtype=float),
        weights=weights / weights.sum(),
        targets=str(manifest.get("targets")),
    )


@functools.lru_cache(maxsize=4)
def load_cached(directory: str) -> Posterior:
    """`load`, once per process (each chunk of a sweep asks for the same posterior)."""
    return load(directory)


def check_for_sweep(directory: str, factors: Sequence[str]) -> None:
    """Refuse a posterior that cannot serve a sweep: another model's, or one whose calibrated
    parameters are also design factors (the design and the posterior would both set them)."""
    from sim.config import ConfigError

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


# --- how much of the spread comes from the parameters ------------------------------------------
def variance_split(
    summary: pd.DataFrame, draws: np.ndarray, months: Sequence[int], rungs: Sequence[int]
) -> pd.DataFrame:
    """Split Var(1{rung >= k by month T}) into parameter and dice parts (law of total variance).

    With the runs grouped by draw (one parameter set each), the one-way random-effects
    (ANOVA) estimator gives the between-draw variance of P(rung >= k by T | parameters), the
    parameters' part, and the mean within-draw variance, the dice's part.
    """
    from sim.analysis import reached_by

    draws = np.asarray(draws)
    _, group = np.unique(draws, return_inverse=True)
    rows = []
    for rung in rungs:
        for month in months:
            reached = reached_by(summary, rung, month).astype(float)
            parameters, dice = _anova(reached, group)
            total = parameters + dice
            rows.append(
                {
                    "rung": rung,
                    "month": month,
                    "probability": float(reached.mean()),
                    "sd_from_parameters": float(np.sqrt(parameters)),
                    "share_parameters": parameters / total if total > 0 else 0.0,
                    "share_dice": dice / total if total > 0 else 0.0,
                }
            )
    return pd.DataFrame(rows)


def _anova(values: np.ndarray, group: np.ndarray) -> tuple[float, float]:
    """Between-group (parameter) and within-group (dice) variance components."""
    count = np.bincount(group).astype(float)
    groups, n = count.size, values.size
    if groups < 2 or n <= groups:
        return 0.0, float(values.var())
    means = np.bincount(group, weights=values) / count
    within = float(((values - means[group]) ** 2).sum() / (n - groups))
    between = float((count * (means - values.mean()) ** 2).sum() / (groups - 1))
    size = (n - (count**2).sum() / n) / (groups - 1)  # effective group size (unbalanced groups)
    return max(0.0, (between - within) / size), within


def format_variance_split(table: pd.DataFrame) -> list[str]:
    """Printed lines: per rung and month, P, and the shares of its spread."""
    lines = [
        f"  spread of P(rung >= k by month T) from the parameters vs the dice "
        f"({RUNS_PER_DRAW} runs per posterior draw):",
        f"  {'rung, month':<14}{'P':>8}{'sd of P over parameters':>26}"
        f"{'parameters':>12}{'dice':>8}",
    ]
    for row in table.itertuples():
        lines.append(
            f"  {f'{row.rung}+ by {row.month}':<14}{row.probability:>8.3f}"
            f"{row.sd_from_parameters:>26.3f}{row.share_parameters:>12.0%}{row.share_dice:>8.0%}"
        )
    return lines


# --- the run command's use of a posterior ------------------------------------------------------
PARAMS_TABLE = "params.parquet"
VARIANCE_TABLE = "variance_split.parquet"
SPLIT_RUNGS = (2, 3, 4, 5)


def calibrated_params(
    calibration: str | None, values: Mapping[str, Any], seed: int, run_ids: np.ndarray
) -> tuple[Mapping[str, Any] | ParamSet, pd.DataFrame | None]:
    """The parameters of a run command: `values`, or with `calibration=` the posterior draws
    and the params.parquet table recording them."""
    if not calibration:
        return values, None
    return params_for_runs(load(calibration), values, seed, run_ids)


def write_run_tables(
    directory: Path, summary: pd.DataFrame, drawn: pd.DataFrame, months: int
) -> dict[str, int]:
    """params.parquet and variance_split.parquet of a run on a posterior."""
    from sim.store import write_table

    split = run_variance_split(summary, drawn, months)
    write_table(drawn, Path(directory) / PARAMS_TABLE)
    write_table(split, Path(directory) / VARIANCE_TABLE)
    return {PARAMS_TABLE: len(drawn), VARIANCE_TABLE: len(split)}


def run_variance_split(summary: pd.DataFrame, drawn: pd.DataFrame, months: int) -> pd.DataFrame:
    from sim.report import report_months

    draws = drawn.set_index("run_id").loc[summary["run_id"], "draw"].to_numpy()
    return variance_split(summary, draws, report_months(months), SPLIT_RUNGS)
