"""A threshold question: its settings, every one checked before any run (docs/thresholds.md).

    python -m sim threshold scenario=baseline factor=turkey.reliability \\
        outcome="rung>=4 by 120" level=0.1 [range=[0.2,1.0]] [budget=20000] ...

Two factors: ``factor=[turkey.reliability,china.reliability]`` with
``range=[[0.2,1.0],[0,1]]``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config import ConfigError, list_scenarios, scenario_model_values
from sim.config.paths import keep_literal
from sim.engine.posterior_draws import check_usable
from sim.model import params as P
from sim.studies.threshold.outcomes import Outcome, parse_outcome


@dataclasses.dataclass
class ThresholdConfig:
    scenario: str = "baseline"
    factor: Any = None  # a parameter path, or a list of two
    outcome: str = "rung>=4 by 120"
    level: float = 0.1
    range: Any = None  # [low, high] (two factors: a list of two); default: the bounds
    budget: int = 20_000  # the most runs in all
    batch: int = 400  # runs per batch
    tolerance: float = 0.05  # converged when the interval is at most this share of the range
    confidence: float = 0.95
    calibration: Optional[str] = None  # noqa: UP045 (OmegaConf): a posterior to draw from
    seed: int = 20221028
    # Runs per chunk (default: about two chunks of a batch per worker); never changes a result.
    chunk_size: Optional[int] = None  # noqa: UP045
    # Execution only: never changes a result, so a resume may change them.
    executor: str = "process"  # process | dask | serial
    workers: Optional[int] = None  # noqa: UP045
    scheduler: Optional[str] = None  # noqa: UP045
    output_root: str = "results"
    resume: Optional[str] = None  # noqa: UP045
    progress: bool = True


EXECUTION_KEYS = (
    "executor",
    "workers",
    "scheduler",
    "chunk_size",
    "output_root",
    "resume",
    "progress",
)


def load(overrides: Sequence[str]) -> DictConfig:
    """The settings from `key=value` arguments, typed and checked (ConfigError naming the key)."""
    try:
        given = OmegaConf.from_dotlist(list(overrides))
        cfg = OmegaConf.merge(OmegaConf.structured(ThresholdConfig), given)
    except OmegaConfBaseException as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError(f"cannot read {' '.join(overrides)!r}: {first}") from None
    keep_literal(cfg)
    check(cfg)
    return cfg


def factors(cfg: DictConfig) -> list[str]:
    value = cfg.factor
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def ranges(cfg: DictConfig) -> list[tuple[float, float]]:
    """Each factor's range: the given one, or the parameter's bounds."""
    paths = factors(cfg)
    if cfg.range is None:
        return [(float(P.PARAMS_BY_PATH[p].low), float(P.PARAMS_BY_PATH[p].high)) for p in paths]
    given = OmegaConf.to_container(cfg.range) if not isinstance(cfg.range, list) else cfg.range
    pairs = [given] if len(paths) == 1 else given
    return [(float(lo), float(hi)) for lo, hi in pairs]


def outcome(cfg: DictConfig) -> Outcome:
    return parse_outcome(cfg.outcome)


def scenario_values(cfg: DictConfig) -> dict[str, Any]:
    """The scenario's parameter values, as the scenario writes them (not encoded)."""
    return scenario_model_values(cfg.scenario)


def base_values(cfg: DictConfig) -> dict[str, float]:
    """The scenario's encoded parameters (the factors are set per run on top)."""
    return P.encode(scenario_values(cfg))


def check(cfg: DictConfig) -> None:
    """Refuse, before any run, what cannot work; the message names the key."""
    known = [n for n, _ in list_scenarios()]
    if cfg.scenario not in known:
        raise ConfigError(
            f"scenario = {cfg.scenario!r} is not allowed: expected one of {', '.join(known)}"
        )
    _check_factors(cfg)
    _check_ranges(cfg)
    parse_outcome(cfg.outcome)
    for key in ("level", "confidence"):
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} = {value!r} is not allowed: expected a number in (0, 1)")
        if not math.isfinite(value) or not 0 < value < 1:
            raise ConfigError(
                f"{key} = {value!r} is not allowed: expected a number strictly between 0 and 1"
            )
    if not 0 < cfg.tolerance <= 1:
        raise ConfigError(
            f"tolerance = {cfg.tolerance!r} is not allowed: expected a share of the range in (0, 1]"
        )
    for key, low in (("batch", 20), ("chunk_size", 10)):
        if cfg[key] is not None and cfg[key] < low:
            raise ConfigError(f"{key} = {cfg[key]} is not allowed: expected an integer >= {low}")
    if cfg.budget < cfg.batch:
        raise ConfigError(
            f"budget = {cfg.budget} is not allowed: expected at least one batch ({cfg.batch} runs)"
        )
    if cfg.workers is not None and cfg.workers < 1:
        raise ConfigError(f"workers = {cfg.workers} is not allowed: expected an integer >= 1")
    if cfg.executor not in ("process", "dask", "serial"):
        raise ConfigError(
            f"executor = {cfg.executor!r} is not allowed: expected process, dask or serial"
        )
    if cfg.calibration:
        # A calibrated factor is allowed: the design sets it, the posterior draws the rest
        # (posterior_draws.left_to_the_design, as a scenario's settings in a sweep).
        check_usable(str(cfg.calibration))
    _check_ends(cfg)


def _check_factors(cfg: DictConfig) -> None:
    value = cfg.factor
    if value is None:
        raise ConfigError(
            "factor is missing: name a parameter, e.g. factor=turkey.reliability (or two: "
            "factor=[turkey.reliability,china.reliability])"
        )
    paths = [value] if isinstance(value, str) else list(value)
    if not 1 <= len(paths) <= 2 or len(set(map(str, paths))) != len(paths):
        raise ConfigError(
            f"factor = {value!r} is not allowed: expected one parameter or a list of two"
        )
    for path in map(str, paths):
        if path not in P.PARAMS_BY_PATH:
            raise ConfigError(f"factor: {P.unknown_path_error(path)}")
        param = P.PARAMS_BY_PATH[path]
        if param.choices or param.integer:
            raise ConfigError(
                f"factor = {path!r} is not allowed: expected a continuous parameter (it is "
                f"{param.allowed()}; a crossing needs a number that varies smoothly)"
            )


def _check_ranges(cfg: DictConfig) -> None:
    if cfg.range is None:
        return
    paths = factors(cfg)
    value = OmegaConf.to_container(cfg.range) if OmegaConf.is_config(cfg.range) else cfg.range
    shape = "[low, high]" if len(paths) == 1 else "[[low, high], [low, high]]"
    pairs = [value] if len(paths) == 1 else value
    if not isinstance(pairs, list) or len(pairs) != len(paths):
        raise ConfigError(f"range = {value!r} is not allowed: expected {shape}")
    for path, pair in zip(paths, pairs, strict=True):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
        ):
            raise ConfigError(f"range = {value!r} is not allowed: expected {shape}")
        param = P.PARAMS_BY_PATH[path]
        low, high = float(pair[0]), float(pair[1])
        if not (param.low <= low < high <= param.high):
            raise ConfigError(
                f"range = {value!r} is not allowed: {path} takes values in "
                f"[{param.low:g}, {param.high:g}], and low < high"
            )


def _check_ends(cfg: DictConfig) -> None:
    """Each factor at each end of its range, on the scenario: valid together."""
    base = scenario_model_values(cfg.scenario)
    for path, (low, high) in zip(factors(cfg), ranges(cfg), strict=True):
        for value in (low, high):
            try:
                P.encode({**base, path: value})
            except P.ParamError as error:
                raise ConfigError(
                    f"range: {path} = {value:g} is not allowed with scenario {cfg.scenario}: "
                    f"{error}"
                ) from None
