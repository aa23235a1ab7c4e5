"""Experiments and their designs: which parameters vary, over which values, in which design.

An experiment file (``experiments/<name>.yaml``) names the base scenarios, the *factors* (model
parameters by path, each with a list of ``values`` or a ``range``), the design (``grid``,
``lhs``, ``sobol`` or ``morris``), the replicates per design point, the horizon and the seed. In EMA
Workbench's words the factors are the uncertainties and levers, a design point is an
experiment, and the run summaries are the outcomes.

A design is plain data, as in SALib: the numeric factors form a SALib *problem* dict
(``num_vars``, ``names``, ``bounds``) and a design is a DataFrame with one row per design point
(``design_point``, ``scenario``, one column per factor). Every check happens here, before any
run starts, and every refusal names the key at fault.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config import (
    MAX_DESIGN_POINTS,
    RUN_LIMITS,
    ConfigError,
    experiment_entries,
    experiment_file,
    list_scenarios,
    read_yaml_mapping,
    scenario_model_values,
    scenario_path,
)
from sim.config.analysis_options import check_options
from sim.config.paths import check_name, check_scenario_file, keep_literal
from sim.model import params as P

DESIGNS = ("grid", "lhs", "sobol", "morris")
SPEC_KEYS = frozenset({"values", "range", "levels"})


# --- the experiment schema ---------------------------------------------------------------------
@dataclasses.dataclass
class DesignConfig:
    kind: str = "grid"  # grid | lhs | sobol | morris
    # samples (lhs), base samples N (sobol: N(2D+2) points, or N(D+2)), or trajectories
    # (morris: N(D+1) points)
    n: int = 16
    # grid: points along each `range` factor without its own `levels`; morris: the p-level grid
    # each trajectory steps on (4 is usual). Reused, not a new key, so that the config of
    # existing sweep directories stays the same and they can still be resumed.
    levels: int = 5
    second_order: bool = True  # sobol: sample for second-order indices
    seed: Optional[int] = None  # noqa: UP045 (OmegaConf needs it); default: the experiment seed


@dataclasses.dataclass
class AnalysisConfig:
    months: list[int] = dataclasses.field(default_factory=lambda: [12, 36, 120])
    rungs: list[int] = dataclasses.field(default_factory=lambda: [2, 3, 4, 5])
    level: float = 0.5  # threshold: the probability a factor's curve must cross
    confidence: float = 0.95
    bootstrap: int = 200  # bootstrap resamples for threshold intervals
    replicate_bootstrap: int = 50  # sobol/morris: resamples of replicates (index noise)
    run: bool = True  # analyse at the end of a sweep


@dataclasses.dataclass
class ExperimentConfig:
    name: str = ""
    description: str = ""
    scenarios: list[str] = dataclasses.field(default_factory=lambda: ["baseline"])
    factors: dict[str, Any] = dataclasses.field(default_factory=dict)
    model: dict[str, Any] = dataclasses.field(default_factory=dict)  # fixed for every point
    design: DesignConfig = dataclasses.field(default_factory=DesignConfig)
    replicates: int = 100
    months: int = 120
    seed: int = 20221028
    # Runs per task; part of the result's identity (resume). Ensembles of 10^4 runs step about
    # 20% faster per run than 5,000 (the per-month numpy overhead is shared by more runs).
    chunk_size: int = 10000
    trajectories: bool = False
    calibration: Optional[str] = None  # noqa: UP045 (a posterior, docs/calibration.md)
    # Execution only: these never change results, so resume may change them.
    executor: str = "process"  # process | dask | serial
    workers: Optional[int] = None  # noqa: UP045 (OmegaConf); default: every core
    scheduler: Optional[str] = None  # noqa: UP045 (OmegaConf); dask scheduler
    output_root: str = "results"
    resume: Optional[str] = None  # noqa: UP045
    progress: bool = True
    force: bool = False  # run work estimated above resources.MAX_WALL_SECONDS anyway
    analysis: AnalysisConfig = dataclasses.field(default_factory=AnalysisConfig)


EXECUTION_KEYS = (
    "executor",
    "workers",
    "scheduler",
    "output_root",
    "resume",
    "progress",
    "force",
    "analysis",
)


@dataclasses.dataclass(frozen=True)
class Factor:
    """One varied parameter: either discrete `values` or a continuous `range` (low, high)."""

    path: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    levels: int | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @property
    def spec(self) -> P.Param:
        return P.PARAMS_BY_PATH[self.path]

    def grid(self, default_levels: int) -> list[Any]:
        """The factor's values in a full grid (a range is cut into evenly spaced levels)."""
        if not self.is_range:
            return list(self.values)
        points = np.linspace(self.low, self.high, self.levels or default_levels)
        return [self.cast(x) for x in points]

    def cast(self, x: float) -> Any:
        """A sampled number as the parameter's type (integers are rounded)."""
        return int(round(x)) if self.spec.integer else float(x)


# --- loading --------------------------------------------------------------------------------
def experiment_path(name: str) -> Path:
    """The file of experiment `name`: built-in first, then the user folders (--search-path)."""

    return experiment_file(name, experiment_entries(), "experiments")


def load_experiment(name: str | None, overrides: Sequence[str] = ()) -> DictConfig:
    """The experiment `name` with dotlist overrides applied, typed and checked.

    Args:
        name: a file stem in experiments/ (None: an empty experiment, built from overrides).
        overrides: ``key=value`` strings, OmegaConf dotlist style (``design.n=64``).

    Raises:
        ConfigError or ParamError naming the key at fault.
    """
    schema = OmegaConf.structured(ExperimentConfig)
    layers = [schema]
    if name is not None:
        path = experiment_path(name)
        data = read_yaml_mapping(path)  # ConfigError naming the file
        if not data:  # an empty file ran a default sweep of the baseline (review 2, D16)
            raise ConfigError(f"{path}: the experiment file is empty: expected factors, scenarios")
        data.setdefault("name", name)
        layers.append(OmegaConf.create(data))
    try:
        layers.append(OmegaConf.from_dotlist([_scenarios_as_list(o) for o in overrides]))
        cfg = OmegaConf.merge(*layers)
    except OmegaConfBaseException as error:
        key = getattr(error, "full_key", None)
        if key:  # "Value 'abc' ... could not be converted" named no key (review 2, D16)
            value = getattr(error, "value", None)
            raise ConfigError(
                f"experiment {name!r}: {key} = {value!r} is not allowed: "
                f"{str(error).splitlines()[0]}"
            ) from error
        raise ConfigError(f"experiment {name!r}: {error}".splitlines()[0]) from error
    keep_literal(cfg)  # text from the file is never resolved (no ${oc.env:...} in results)
    cfg.scenarios = expand_scenarios(cfg.scenarios)
    check_experiment(cfg)
    return cfg


def _scenarios_as_list(override: str) -> str:
    """`scenarios=all` or `scenarios=baseline` as the one-element list the schema expects."""
    key, _, value = override.partition("=")
    if key == "scenarios" and value and not value.lstrip().startswith("["):
        return f"scenarios=[{value}]"
    return override


def expand_scenarios(names: Sequence[str]) -> list[str]:
    """`all` stands for every scenario in configs/scenario/."""
    known = [n for n, _ in list_scenarios()]
    out: list[str] = []
    for name in names:
        out.extend(known if name == "all" else [name])
    return list(dict.fromkeys(out))


def check_experiment(cfg: DictConfig) -> None:
    """Refuse, before any run, whatever cannot work; the message names the key."""
    known = [n for n, _ in list_scenarios()]
    if cfg.name:
        check_name("name", cfg.name)  # it names the results directory
    if not cfg.scenarios:
        raise ConfigError("scenarios is empty: name at least one scenario (or 'all')")
    for name in cfg.scenarios:
        if name not in known:
            raise ConfigError(
                f"scenarios: {name!r} is unknown: expected one of {', '.join(known)} or all"
            )
        check_scenario_file(scenario_path(name))
    _check_seeds(cfg)
    for key, low in (
        ("replicates", 1),
        ("months", 1),
        ("chunk_size", 1),
        ("design.n", 1),
        ("design.levels", 1),
    ):
        value = OmegaConf.select(cfg, key)
        if value < low:
            raise ConfigError(f"{key} = {value} is not allowed: expected at least {low}")
    if cfg.seed < 0:
        raise ConfigError(f"seed = {cfg.seed} is not allowed: expected a non-negative integer")
    if cfg.design.kind not in DESIGNS:
        raise ConfigError(
            f"design.kind = {cfg.design.kind!r} is not allowed: expected one of "
            f"{', '.join(DESIGNS)}"
        )
    if cfg.executor not in ("process", "dask", "serial"):
        raise ConfigError(
            f"executor = {cfg.executor!r} is not allowed: expected process, dask or serial"
        )
    if cfg.workers is not None and cfg.workers < 1:
        raise ConfigError(f"workers = {cfg.workers} is not allowed: expected at least 1")
    analysis = cfg.analysis
    if not 0 < analysis.level < 1 or not 0 < analysis.confidence < 1:
        raise ConfigError("analysis.level and analysis.confidence must lie strictly in (0, 1)")
    check_options(OmegaConf.to_container(analysis), prefix="analysis.")
    factors = parse_factors(cfg.factors)
    fixed = P.flatten(OmegaConf.to_container(cfg.model, resolve=True))
    P.encode(fixed)  # unknown path or bad value -> ParamError naming it
    check_design(cfg.design.kind, factors)
    if cfg.design.kind == "grid":
        check_grid_levels(factors, cfg.design.levels)
    if cfg.design.kind == "morris" and cfg.design.levels < 2:
        raise ConfigError(
            f"design.levels = {cfg.design.levels} is not allowed for design.kind = morris: "
            "expected at least 2 (the p-level grid; 4 is usual)"
        )


def _check_seeds(cfg: DictConfig) -> None:
    """Seeds in [0, 2^63 - 1], as `run` allows: larger ones would alias modulo 2^64."""

    low, high = RUN_LIMITS["seed"]
    for key in ("seed", "design.seed"):
        value = OmegaConf.select(cfg, key)
        if value is not None and not low <= value <= high:
            raise ConfigError(f"{key} = {value} is not allowed: expected an integer in [0, {high}]")


def check_grid_levels(factors: Sequence[Factor], levels: int) -> None:
    """Each factor's grid values must differ: a repeated value would run the same point twice.

    An integer parameter given a range with more levels than integers in it repeats values
    after rounding; a list of values can repeat one by mistake.
    """
    for factor in factors:
        if factor.is_range and (factor.levels or levels) > MAX_DESIGN_POINTS:
            continue  # the size guard refuses this design; building its grid would take minutes
        values = factor.grid(levels)
        if len(set(values)) < len(values):
            what = (
                f"range [{factor.low:g}, {factor.high:g}] with {len(values)} levels"
                if factor.is_range
                else f"values {list(factor.values)}"
            )
            raise ConfigError(
                f"factors.{factor.path}: {what} repeats a value ({len(set(values))} distinct "
                f"of {len(values)}{', after rounding to integers' if factor.is_range else ''}); "
                "give distinct values or fewer levels"
            )


def parse_factors(node: Mapping[str, Any] | DictConfig) -> list[Factor]:
    """Factors from the nested ``{group: {name: spec}}`` node, checked against PARAMS.

    A spec is a list of values, ``{values: [...]}``, or ``{range: [low, high], levels: k}``.
    """
    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node, resolve=True)
    factors = []
    for path, spec in _factor_specs(node or {}).items():
        if path not in P.PARAMS_BY_PATH:
            raise P.unknown_path_error(path)
        factors.append(_parse_factor(path, spec))
    return factors


def _factor_specs(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    specs: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        # An empty mapping is a (bad) spec, not a group: refused below, never silently dropped.
        is_spec = not isinstance(value, Mapping) or not value or SPEC_KEYS & set(value)
        if is_spec:
            specs[path] = value
        else:
            specs.update(_factor_specs(value, path + "."))
    return specs


def _parse_factor(path: str, spec: Any) -> Factor:
    key = f"factors.{path}"
    if isinstance(spec, list | tuple):
        spec = {"values": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{key} = {spec!r} is not allowed: expected a list of values, "
            "{values: [...]} or {range: [low, high]}"
        )
    unknown = set(spec) - SPEC_KEYS
    if unknown or ("values" in spec) == ("range" in spec):
        raise ConfigError(
            f"{key}: give exactly one of values or range (and optionally "
            f"levels); got {sorted(spec)}"
        )
    param = P.PARAMS_BY_PATH[path]
    if "values" in spec:
        values = tuple(spec["values"] or ())
        if not values:
            raise ConfigError(f"{key}.values is empty: give at least one value")
        for v in values:  # each value must be allowed (ParamError names the key)
            param.encode(v)
        return Factor(path, values=values)
    return _parse_range(key, param, spec)


def _parse_range(key: str, param: P.Param, spec: Mapping[str, Any]) -> Factor:
    bounds = spec["range"]
    if param.choices:
        raise ConfigError(
            f"{key}: {param.path} is categorical ({param.allowed()}); give values, not a range"
        )
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        raise ConfigError(f"{key}.range = {bounds!r} is not allowed: expected [low, high]")
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{key}.range = {list(bounds)!r} is not allowed: expected two numbers [low, high]"
        ) from None
    if not low < high:
        raise ConfigError(f"{key}.range = [{low:g}, {high:g}] is empty: expected low < high")
    if low < param.low or high > param.high:
        raise ConfigError(
            f"{key}.range = [{low:g}, {high:g}] lies outside the allowed range "
            f"of model.{param.path}: {param.allowed()}"
        )
    levels = spec.get("levels")
    if levels is not None and (not isinstance(levels, int) or levels < 2):
        raise ConfigError(f"{key}.levels = {levels!r} is not allowed: expected an integer >= 2")
    return Factor(param.path, low=low, high=high, levels=levels)


def check_design(kind: str, factors: Sequence[Factor]) -> None:
    """LHS, Sobol and Morris sample continuous ranges: every factor must be a numeric range."""
    if kind == "grid":
        return
    if not factors:
        raise ConfigError(f"design.kind = {kind} needs at least one factor with a range")
    for f in factors:
        if not f.is_range:
            raise ConfigError(
                f"design.kind = {kind} does not fit factors.{f.path}: it samples "
                "continuous ranges; give the factor a range or use design.kind=grid"
            )
    if kind == "sobol" and len(factors) < 2:
        raise ConfigError("design.kind = sobol needs at least two factors")


# --- designs ---------------------------------------------------------------------------------
def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem dict of the range factors."""
    ranged = [f for f in factors if f.is_range]
    return {
        "num_vars": len(ranged),
        "names": [f.path for f in ranged],
        "bounds": [[f.low, f.high] for f in ranged],
    }


def full_grid(factors: Sequence[Factor], levels: int) -> pd.DataFrame:
    """Every combination of every factor's values (the first factor varies slowest)."""
    axes = [f.grid(levels) for f in factors]
    return pd.DataFrame(list(itertools.product(*axes)), columns=[f.path for f in factors])


def latin_hypercube(factors: Sequence[Factor], n: int, seed: int) -> pd.DataFrame:
    """`n` points of a Latin hypercube over the factors' ranges (SALib)."""
    from SALib.sample import latin

    return _frame(factors, latin.sample(problem(factors), n, seed=seed))


def sobol(factors: Sequence[Factor], n: int, seed: int, second_order: bool) -> pd.DataFrame:
    """Saltelli's extension of a Sobol sequence (SALib): N(2D+2) points, or N(D+2)."""
    return _frame(factors, sobol_sample(problem(factors), n, seed, second_order))


def sobol_sample(
    problem_: Mapping[str, Any], n: int, seed: int, second_order: bool = True
) -> np.ndarray:
    """The raw Saltelli/Sobol sample of a SALib problem, shape (N(2D+2) or N(D+2), D).

    Pure (the same arguments give the same sample): `sim.analysis.sensitivity` relies on the rows
    being
    in SALib's A, AB_1..AB_D, [BA_1..BA_D,] B order.
    """

    from SALib.sample import sobol as salib_sobol

    with warnings.catch_warnings():  # SALib warns for N not a power of 2; still valid
        warnings.simplefilter("ignore")
        return salib_sobol.sample(dict(problem_), n, calc_second_order=second_order, seed=seed)


def morris(factors: Sequence[Factor], n: int, seed: int, levels: int) -> pd.DataFrame:
    """`n` Morris trajectories (SALib) on a `levels`-level grid: N(D+1) points."""
    return _frame(factors, morris_sample(problem(factors), n, seed, levels))


def morris_sample(problem_: Mapping[str, Any], n: int, seed: int, levels: int = 4) -> np.ndarray:
    """The raw Morris sample of a SALib problem, shape (N(D+1), D), one trajectory per block.

    Pure, so the analysis can regenerate the unrounded sample: SALib detects which factor a
    step moved from the inputs, and an integer factor's rounded step might not move at all.
    """
    from SALib.sample import morris as salib_morris

    return salib_morris.sample(dict(problem_), n, num_levels=levels, seed=seed)


def _frame(factors: Sequence[Factor], sample: np.ndarray) -> pd.DataFrame:
    columns = {f.path: [f.cast(x) for x in sample[:, i]] for i, f in enumerate(factors)}
    return pd.DataFrame(columns)


def factor_design(cfg: DictConfig) -> pd.DataFrame:
    """The factor values of each design point, before crossing with the scenarios."""
    factors = parse_factors(cfg.factors)
    d = cfg.design
    seed = cfg.seed if d.seed is None else d.seed
    if d.kind == "grid":
        return full_grid(factors, d.levels) if factors else pd.DataFrame(index=[0])
    if d.kind == "lhs":
        return latin_hypercube(factors, d.n, seed)
    if d.kind == "morris":
        return morris(factors, d.n, seed, d.levels)
    return sobol(factors, d.n, seed, d.second_order)


def build_design(cfg: DictConfig) -> pd.DataFrame:
    """One row per design point: design_point, scenario, and every factor's value.

    Scenarios vary slowest, so each scenario holds the same factor sample (the design is
    crossed with the scenarios, not resampled per scenario).
    """
    points = factor_design(cfg)
    frames = [points.assign(scenario=name) for name in cfg.scenarios]
    design = pd.concat(frames, ignore_index=True)
    design.insert(0, "design_point", np.arange(len(design), dtype=np.int64))
    return design[["design_point", "scenario", *points.columns]]


def scenario_values(cfg: DictConfig) -> dict[str, dict[str, Any]]:
    """Each scenario's full flat parameter values, with the experiment's fixed `model` node.

    Each scenario's values are read once here, never per run.
    """
    fixed = P.flatten(OmegaConf.to_container(cfg.model, resolve=True))
    return {name: scenario_model_values(name, fixed) for name in cfg.scenarios}


def point_values(
    design: pd.DataFrame,
    bases: Mapping[str, Mapping[str, Any]],
) -> pd.DataFrame:
    """Encoded parameters (floats, as the model reads them), one row per design point."""
    factor_paths = [c for c in design.columns if c not in ("design_point", "scenario")]
    encoded = {name: P.encode(values) for name, values in bases.items()}
    table = pd.DataFrame([encoded[s] for s in design["scenario"]])
    for path in factor_paths:
        spec = P.PARAMS_BY_PATH[path]
        table[path] = [spec.encode(_native(v)) for v in design[path]]
    if factor_paths:
        check_points(design, table)
    return table


class _Row(Mapping[str, float]):
    """One design point's encoded parameters, read as a mapping without copying the row."""

    def __init__(self, index: Mapping[str, int], values: np.ndarray) -> None:
        self.index, self.values = index, values

    def __getitem__(self, path: str) -> float:
        return float(self.values[self.index[path]])

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def check_points(design: pd.DataFrame, table: pd.DataFrame) -> None:
    """Apply the checks across parameters (export shares, drawn ranges) to every design point.

    Each factor value is checked on its own when parsed; a combination of values can still be
    one `run` refuses (e.g. export shares summing above 1). Refuse it before anything runs,
    naming the design point and its factor values.
    """
    index = {path: i for i, path in enumerate(table.columns)}
    values = table.to_numpy(dtype=float)
    factors = [c for c in design.columns if c not in ("design_point", "scenario")]
    for row in sorted(np.unique(values, axis=0, return_index=True)[1]):
        try:
            P.check_export_shares(_Row(index, values[row]))
            P.check_draw_ranges(_Row(index, values[row]))
        except P.ParamError as error:
            point = design.iloc[row]
            held = ", ".join(f"{f} = {_native(point[f])!r}" for f in factors)
            raise ConfigError(
                f"design point {int(point['design_point'])} (scenario {point['scenario']}, "
                f"{held}) cannot run: {error}; narrow the factor ranges"
            ) from None


def _native(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if isinstance(value, np.generic) else value
