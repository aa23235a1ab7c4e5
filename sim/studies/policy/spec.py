"""A policy experiment: levers, uncertainties, objectives, and how to search and test.

An experiment file (``experiments/policies/<name>.yaml``) is plain data::

    scenario: baseline            # the base scenario every run starts from
    levers:                       # what an actor controls: searched
      turkey: {arms: {range: [0.0, 0.5]}}
    uncertainties:                # what nobody controls: sampled, the same for every policy
      russia: {base_resolve: {range: [0.6, 1.6]}}
    objectives: [p_rung4, support_turkey, arms_turkey]   # costs, minimised
    search: {method: nsga2, population: 40, generations: 20, runs: 1000}
    robustness: {objective: p_rung4, threshold: 0.1, scenarios: 300, replicates: 100}

Every check happens in `load`, before any run, and names the key at fault.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config import (
    RUN_LIMITS,
    ConfigError,
    experiment_file,
    list_scenarios,
    policy_entries,
    read_yaml_mapping,
    scenario_model_values,
)
from sim.config.paths import check_name, keep_literal
from sim.engine.resources import MAX_REPLICATES
from sim.engine.workers import require_dask
from sim.model import params as P
from sim.studies.policy.objectives import OBJECTIVES

METHODS = ("nsga2", "nsga3", "grid")
# quick=true: the same experiment, small enough for a test or a first look (about 10^4 runs).
QUICK = {
    "search.population": 8,
    "search.generations": 2,
    "search.runs": 100,
    "search.levels": 2,
    "robustness.scenarios": 12,
    "robustness.replicates": 10,
    "robustness.max_policies": 4,
}


@dataclasses.dataclass
class SearchConfig:
    # nsga2 / nsga3 (pymoo's genetic algorithms) or grid (every combination of `levels` values
    # per lever: exhaustive, for few levers)
    method: str = "nsga2"
    population: int = 40  # policies per generation (nsga*), or per batch (grid)
    generations: int = 20  # after the first population (nsga*)
    levels: int = 3  # values per lever (grid)
    runs: int = 1000  # runs per policy: the search ensemble (common random numbers)


@dataclasses.dataclass
class RobustnessConfig:
    objective: str = "p_rung4"  # the objective the threshold and failure boxes are about
    threshold: float = 0.1  # a policy fails a scenario where the objective exceeds this
    scenarios: int = 300  # fresh scenarios (values of the uncertainties)
    replicates: int = 100  # runs per scenario and policy
    max_policies: int = 24  # the Pareto set is thinned to this many (spread over the front)
    prim: bool = True  # look for the scenarios where the most robust policy fails (PRIM)
    # each lever alone at both ends of its range on the same ensemble: its effect and the share
    # of scenarios (posterior draws) in which that effect's sign holds
    lever_effects: bool = True


@dataclasses.dataclass
class PolicyExperimentConfig:
    name: str = ""
    description: str = ""
    scenario: str = "baseline"
    levers: dict[str, Any] = dataclasses.field(default_factory=dict)
    uncertainties: dict[str, Any] = dataclasses.field(default_factory=dict)
    model: dict[str, Any] = dataclasses.field(default_factory=dict)  # fixed for every run
    objectives: list[str] = dataclasses.field(default_factory=lambda: ["p_rung4"])
    search: SearchConfig = dataclasses.field(default_factory=SearchConfig)
    robustness: RobustnessConfig = dataclasses.field(default_factory=RobustnessConfig)
    months: int = 120
    seed: int = 20221028
    quick: bool = False
    # A posterior the scenarios draw the calibrated parameters from (unset: the shipped
    # default; none: the hand-set values); each ensemble scenario is one posterior draw.
    calibration: Optional[str] = None  # noqa: UP045
    chunk_size: int = 10000  # runs per task (part of the result's identity)
    # Execution only: never changes a result, so a resume may change them.
    executor: str = "process"  # process | dask | serial
    workers: Optional[int] = None  # noqa: UP045 (OmegaConf)
    scheduler: Optional[str] = None  # noqa: UP045
    output_root: str = "results"
    resume: Optional[str] = None  # noqa: UP045
    progress: bool = True


EXECUTION_KEYS = ("executor", "workers", "scheduler", "output_root", "resume", "progress")


@dataclasses.dataclass(frozen=True)
class Variable:
    """A lever or an uncertainty: a parameter path and its range, or (uncertainties) values."""

    path: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()

    @property
    def spec(self) -> P.Param:
        return P.PARAMS_BY_PATH[self.path]

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Points of [0, 1] as encoded parameter values (integers rounded, values chosen)."""
        if self.values:
            codes = [self.spec.encode(v) for v in self.values]
            index = np.minimum((unit * len(codes)).astype(int), len(codes) - 1)
            return np.asarray(codes, dtype=float)[index]
        x = self.low + unit * (self.high - self.low)
        return np.round(x) if self.spec.integer else x


# --- loading ---------------------------------------------------------------------------------
def experiment_path(name: str) -> Path:
    """The file of policy experiment `name` (a plain name, never a path)."""

    return experiment_file(name, policy_entries(), "experiments/policies")


def load(name: str, overrides: Sequence[str] = ()) -> DictConfig:
    """The policy experiment `name` with dotlist overrides, typed and checked.

    Raises:
        ConfigError or ParamError naming the key at fault.
    """

    data = read_yaml_mapping(experiment_path(name))
    data.setdefault("name", name)
    try:
        cfg = OmegaConf.merge(
            OmegaConf.structured(PolicyExperimentConfig),
            OmegaConf.create(data),
            OmegaConf.from_dotlist(list(overrides)),
        )
    except OmegaConfBaseException as error:
        raise ConfigError(f"experiment {name!r}: {error}".splitlines()[0]) from error
    for override in overrides:  # merging {} keeps the file's node: `levers={}` means empty
        key, _, value = override.partition("=")
        if value.strip() == "{}" and OmegaConf.select(cfg, key) is not None:
            OmegaConf.update(cfg, key, {}, merge=False)
    keep_literal(cfg)
    if cfg.quick:
        explicit = {o.split("=", 1)[0] for o in overrides}
        for key, value in QUICK.items():
            if key not in explicit:
                OmegaConf.update(cfg, key, min(value, OmegaConf.select(cfg, key)))
        if "search.population" not in explicit:  # NSGA-III needs one per objective at least
            cfg.search.population = max(cfg.search.population, len(cfg.objectives))
    check(cfg)
    return cfg


def variables(node: Mapping[str, Any], key: str) -> list[Variable]:
    """The levers or uncertainties of a config node {group: {name: spec}}, checked."""
    if not isinstance(node, Mapping):
        raise ConfigError(f"{key} = {node!r} is not allowed: expected {{group: {{name: spec}}}}")
    out = []
    for group, names in node.items():
        if not isinstance(names, Mapping):
            raise ConfigError(
                f"{key}.{group} = {names!r} is not allowed: expected {{name: {{range: [low, "
                "high]}}}}"
            )
        for leaf, spec in names.items():
            out.append(_variable(f"{group}.{leaf}", spec, key))
    return out


def _variable(path: str, spec: Any, key: str) -> Variable:
    where = f"{key}.{path}"
    if path not in P.PARAMS_BY_PATH:
        raise ConfigError(f"{where}: {P.unknown_path_error(path)}")
    param = P.PARAMS_BY_PATH[path]
    if not isinstance(spec, Mapping) or set(spec) - {"range", "values"} or len(spec) != 1:
        allowed = "{range: [low, high]}"
        if key != "levers":
            allowed += " or {values: [a, b, ...]}"
        raise ConfigError(f"{where} = {spec!r} is not allowed: expected {allowed}")
    if "values" in spec:
        if key == "levers":
            raise ConfigError(
                f"{where}.values is not allowed: a lever takes a range [low, high] (the search "
                "moves continuously; integer parameters are rounded)"
            )
        values = tuple(spec["values"]) if isinstance(spec["values"], Sequence) else ()
        if not values or isinstance(spec["values"], str):
            raise ConfigError(f"{where}.values = {spec['values']!r} is not allowed: a list")
        for v in values:
            _encode(param, v, f"{where}.values")
        return Variable(path, values=values)
    bounds = spec["range"]
    if not isinstance(bounds, Sequence) or isinstance(bounds, str) or len(bounds) != 2:
        raise ConfigError(f"{where}.range = {bounds!r} is not allowed: expected [low, high]")
    low, high = (_encode(param, b, f"{where}.range") for b in bounds)
    if not low < high:
        raise ConfigError(f"{where}.range = [{low:g}, {high:g}] is not allowed: low < high")
    return Variable(path, low, high)


def _encode(param: P.Param, value: Any, where: str) -> float:
    try:
        return param.encode(value)
    except P.ParamError as error:
        raise ConfigError(
            f"{where} = {value!r} is not allowed: expected {param.allowed()}"
        ) from error


def check(cfg: DictConfig) -> None:
    """Refuse, before any run, what cannot work; the message names the key."""
    if cfg.name:
        check_name("name", cfg.name)
    known = [n for n, _ in list_scenarios()]
    if cfg.scenario not in known:
        raise ConfigError(
            f"scenario = {cfg.scenario!r} is not allowed: expected one of {', '.join(known)}"
        )
    levers = variables(OmegaConf.to_container(cfg.levers), "levers")
    if not levers:
        raise ConfigError(
            "levers = {} is not allowed: name at least one lever, e.g. "
            "levers.turkey.reliability.range=[0.2,1.0]"
        )
    uncertainties = variables(OmegaConf.to_container(cfg.uncertainties), "uncertainties")
    both = {v.path for v in levers} & {v.path for v in uncertainties}
    if both:
        raise ConfigError(
            f"uncertainties.{sorted(both)[0]} is not allowed: it is also a lever (a parameter is "
            "either controlled or not)"
        )
    _check_objectives(cfg)
    _check_counts(cfg, len(levers))
    _check_corners(cfg, levers + uncertainties)


def _check_objectives(cfg: DictConfig) -> None:
    names = list(cfg.objectives)
    if not names:
        raise ConfigError("objectives = [] is not allowed: name at least one objective")
    for name in names:
        if name not in OBJECTIVES:
            raise ConfigError(
                f"objectives: {name!r} is not allowed: expected one of {', '.join(OBJECTIVES)}"
            )
    if len(set(names)) != len(names):
        raise ConfigError(f"objectives = {names} is not allowed: each objective once")
    r = cfg.robustness
    if r.objective not in names:
        raise ConfigError(
            f"robustness.objective = {r.objective!r} is not allowed: expected one of the "
            f"objectives ({', '.join(names)})"
        )
    if not 0.0 <= r.threshold <= _largest(r.objective):
        raise ConfigError(
            f"robustness.threshold = {r.threshold} is not allowed: expected a value of "
            f"{r.objective} ({OBJECTIVES[r.objective].unit}) from 0 to {_largest(r.objective):g}"
        )


def _largest(objective: str) -> float:
    return 1.0 if OBJECTIVES[objective].unit == "probability" else float("inf")


def _check_counts(cfg: DictConfig, levers: int) -> None:
    s, r = cfg.search, cfg.robustness
    if s.method not in METHODS:
        raise ConfigError(
            f"search.method = {s.method!r} is not allowed: expected one of {', '.join(METHODS)}"
        )
    minimum = {
        "search.population": (s.population, 2),
        "search.generations": (s.generations, 0),
        "search.levels": (s.levels, 2),
        "search.runs": (s.runs, 1),
        "robustness.scenarios": (r.scenarios, 2),
        "robustness.replicates": (r.replicates, 1),
        "robustness.max_policies": (r.max_policies, 1),
        "months": (cfg.months, 1),
        "chunk_size": (cfg.chunk_size, 1),
    }
    for key, (value, low) in minimum.items():
        if value < low:
            raise ConfigError(f"{key} = {value} is not allowed: expected an integer >= {low}")
    # A typo such as search.runs=100000000 started a study that ran out of memory after making
    # its directory; the caps of a sweep apply (review 2, D13).
    for key, value in (
        ("search.runs", s.runs),
        ("robustness.replicates", r.replicates),
        ("robustness.scenarios", r.scenarios),
    ):
        if value > MAX_REPLICATES:
            raise ConfigError(
                f"{key} = {value:,} is not allowed: expected an integer <= {MAX_REPLICATES:,}"
            )
    # As for `run`: seeds outside [0, 2^63 - 1] wrap to the same derived seeds (-1 and 2^64 - 1
    # gave one study twice), and months beyond 600 are beyond any run (review 2, D6).
    for key in ("seed", "months"):
        low, high = RUN_LIMITS[key]
        if not low <= cfg[key] <= high:
            raise ConfigError(
                f"{key} = {cfg[key]} is not allowed: expected an integer in [{low}, {high}]"
            )
    if cfg.workers is not None and cfg.workers < 1:
        raise ConfigError(f"workers = {cfg.workers} is not allowed: expected an integer >= 1")
    if cfg.executor not in ("process", "dask", "serial"):
        raise ConfigError(
            f"executor = {cfg.executor!r} is not allowed: expected process, dask or serial"
        )
    if cfg.executor == "dask":
        try:
            require_dask()
        except ValueError as error:
            raise ConfigError(str(error)) from None
    if s.method == "nsga3" and s.population < len(cfg.objectives):
        raise ConfigError(
            f"search.population = {s.population} is not allowed with nsga3 and "
            f"{len(cfg.objectives)} objectives: expected at least one policy per objective "
            f"(>= {len(cfg.objectives)}), for NSGA-III's reference directions"
        )
    if s.method == "grid" and s.levels**levers > 10**6:
        raise ConfigError(
            f"search.levels = {s.levels} is not allowed with {levers} levers: the grid would "
            f"hold {s.levels**levers:,} policies (at most 10^6); use search.method=nsga2"
        )


def _check_corners(cfg: DictConfig, every: list[Variable]) -> None:
    """Each variable at each end (or each of its values) on the base scenario: valid together."""
    base = base_settings(cfg)
    for v in every:
        ends = v.values or (v.low, v.high)
        for value in ends:
            try:
                P.encode({**base, v.path: value})
            except P.ParamError as error:
                raise ConfigError(
                    f"{v.path} = {value!r} (from its range or values) is not allowed with "
                    f"scenario {cfg.scenario}: {error}"
                ) from None


def base_settings(cfg: DictConfig) -> dict[str, Any]:
    """The base scenario's parameters (flat, as written) with the experiment's `model` node."""

    fixed = P.flatten(OmegaConf.to_container(cfg.model, resolve=True))
    return scenario_model_values(cfg.scenario, fixed)


def base_values(cfg: DictConfig) -> dict[str, float]:
    """The encoded parameters of the base scenario with the experiment's fixed `model` node."""
    return P.encode(base_settings(cfg))


def levers_of(cfg: DictConfig) -> list[Variable]:
    return variables(OmegaConf.to_container(cfg.levers), "levers")


def uncertainties_of(cfg: DictConfig) -> list[Variable]:
    return variables(OmegaConf.to_container(cfg.uncertainties), "uncertainties")
