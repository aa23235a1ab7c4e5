"""Priors of the calibrated parameters, built from the parameter table's ranges.

Every prior is uniform on an interval: by default the parameter's allowed range in
``sim.model.params`` (the widest values the model accepts), or a narrower ``low``/``high`` given
for it
in the targets file, with a ``why`` that says where the narrower range comes from. A uniform
prior states only bounds, which is all the parameter table records; docs/calibration.md lists
the prior of every calibrated parameter. Integer parameters are calibrated on a continuous
scale and rounded when a run uses them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.model.params import (
    DRAW_RANGES,
    PARAMS_BY_PATH,
    Param,
    check_draw_ranges,
    check_export_shares,
    encode,
    unknown_path_error,
)
from sim.studies.calibration.targets import CalibrationError

PRIOR_KEYS = ("low", "high", "why")


@dataclasses.dataclass(frozen=True)
class UniformPrior:
    """Independent uniform priors on a box; `names` are parameter paths."""

    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    why: tuple[str, ...]

    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def width(self) -> np.ndarray:
        return self.high - self.low

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws, an (n, dim) array."""
        return self.low + rng.random((n, self.dim)) * self.width

    def contains(self, theta: np.ndarray) -> np.ndarray:
        """Which rows lie in the prior's support (the box, and the table's joint constraints)."""
        inside = np.all((theta >= self.low) & (theta <= self.high), axis=1)
        if _SHARES & set(self.names):
            inside &= np.array([_shares_ok(self.names, row) for row in theta])
        return inside

    def table(self) -> list[dict[str, Any]]:
        """One row per parameter, for the manifest and the docs."""
        return [
            {"parameter": n, "low": float(lo), "high": float(hi), "prior": why}
            for n, lo, hi, why in zip(self.names, self.low, self.high, self.why, strict=True)
        ]


_SHARES = {
    "kazakhstan.initial_cpc_share",
    "kazakhstan.initial_trans_caspian_share",
    "kazakhstan.initial_china_share",
    "kazakhstan.max_alternative_share",
    *(f"kazakhstan.{r}_ceiling_{end}" for r in ("caspian", "china") for end in ("low", "high")),
    *(path for pair in DRAW_RANGES for path in pair),  # low <= high for each drawn range
}


def _shares_ok(names: tuple[str, ...], row: np.ndarray) -> bool:
    values = encode({})
    values.update(dict(zip(names, row.tolist(), strict=True)))
    try:
        check_export_shares(values)
        check_draw_ranges(values)
    except ValueError:
        return False
    return True


def build(parameters: Mapping[str, Mapping[str, Any]]) -> UniformPrior:
    """The prior of a targets file's `parameters` mapping; raise CalibrationError if bad."""
    names, lows, highs, whys = [], [], [], []
    for path, spec in parameters.items():
        param = _calibratable(path)
        for key in spec:
            if key not in PRIOR_KEYS:
                raise CalibrationError(
                    f"parameters.{path}: unknown key {key!r}; expected {', '.join(PRIOR_KEYS)}"
                )
        low = float(spec.get("low", param.low))
        high = float(spec.get("high", param.high))
        if not param.low <= low < high <= param.high:
            raise CalibrationError(
                f"parameters.{path}: prior [{low:g}, {high:g}] is not allowed: expected "
                f"low < high within the parameter's range [{param.low:g}, {param.high:g}]"
            )
        narrowed = (low, high) != (param.low, param.high)
        if narrowed and not spec.get("why"):
            raise CalibrationError(
                f"parameters.{path}: a prior narrower than the table's range needs a 'why'"
            )
        default_why = f"the table's range ({param.source}; default {param.default})"
        names.append(path)
        lows.append(low)
        highs.append(high)
        whys.append(str(spec.get("why") or default_why))
    return UniformPrior(tuple(names), np.array(lows), np.array(highs), tuple(whys))


def _calibratable(path: str) -> Param:
    if path not in PARAMS_BY_PATH:
        raise CalibrationError(f"parameters: {unknown_path_error(path)}")
    param = PARAMS_BY_PATH[path]
    if param.choices or param.low is None or param.high is None:
        raise CalibrationError(
            f"parameters.{path}: a choice cannot be calibrated: expected a numeric parameter"
        )
    return param


def as_model_values(names: tuple[str, ...], theta: np.ndarray) -> dict[str, np.ndarray]:
    """Calibrated values as model columns: integer parameters rounded, one array per path."""
    columns = {}
    for j, path in enumerate(names):
        values = theta[:, j]
        columns[path] = np.round(values) if PARAMS_BY_PATH[path].integer else values.copy()
    return columns
