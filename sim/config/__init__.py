"""Configuration: the typed schema, composing scenarios with Hydra, and checking values.

The schema of the ``model`` node is generated from the parameter table in ``sim.model.params``, so a
parameter is declared once. OmegaConf checks types and rejects unknown keys (struct mode);
``check`` then checks ranges and allowed values, with a message that names the key, the value
and what is allowed.

Layout of a composed config::

    run:       replicates, months, seed, trajectories, events, output_root, figures, label
    scenario:  name, description, sources
    model:     <group>.<name> for every parameter in sim.model.params.PARAMS
    calibration, targets: a posterior to draw calibrated parameters from (docs/calibration.md)
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config.paths import keep_literal
from sim.errors import ConfigError
from sim.model import params as P
from sim.search_path import (  # re-exported: the config layer's names for them
    BUILT_IN,
    CONFIG_DIR,
    EXPERIMENTS_DIR,  # noqa: F401
    PACKAGE_DATA,  # noqa: F401
    POLICIES,  # noqa: F401
    REPO_ROOT,  # noqa: F401
    SEARCH_PATH_ENV,
    Entry,
    entries_in,
    experiment_entries,
    experiment_file,  # noqa: F401
    policy_entries,
    read_yaml_mapping,
    user_folders,
)

MAX_MONTHS = 600
#: Worker processes a command may start.
MAX_WORKERS = 1024
#: Design points a sweep may have: each holds every parameter's value in memory.
MAX_DESIGN_POINTS = 2_000_000


@dataclasses.dataclass
class RunConfig:
    replicates: int = 1000
    months: int = 120
    seed: int = 20221028
    trajectories: bool = True
    events: bool = True
    output_root: str = "results"
    figures: bool = True
    # Processes that simulate the chunks (None: every core; 1: this process only). The results
    # do not depend on it.
    workers: Optional[int] = None  # noqa: UP045 (OmegaConf needs it)
    # Appended to the run's directory name, <timestamp>_<label>, to tell runs apart.
    label: Optional[str] = None  # noqa: UP045 (OmegaConf needs it)


@dataclasses.dataclass
class ScenarioInfo:
    name: str = "baseline"
    description: str = ""
    sources: list[str] = dataclasses.field(default_factory=list)


def _field_type(param: P.Param) -> Any:
    if param.choices:
        return str
    if param.integer:
        return Optional[int] if param.nullable else int  # noqa: UP045 (OmegaConf needs it)
    return float


def _group_schema(group: str) -> type:
    fields = [
        (p.name, _field_type(p), dataclasses.field(default=p.default))
        for p in P.PARAMS
        if p.group == group
    ]
    return dataclasses.make_dataclass(f"{group.capitalize()}Params", fields)


_GROUP_SCHEMAS = {g: _group_schema(g) for g in P.GROUPS}
ModelConfig = dataclasses.make_dataclass(
    "ModelConfig",
    [(g, cls, dataclasses.field(default_factory=cls)) for g, cls in _GROUP_SCHEMAS.items()],
)


@dataclasses.dataclass
class Config:
    run: RunConfig = dataclasses.field(default_factory=RunConfig)
    scenario: ScenarioInfo = dataclasses.field(default_factory=ScenarioInfo)
    model: Any = dataclasses.field(default_factory=ModelConfig)
    # A calibration directory: calibrated parameters are drawn from its posterior (and a
    # targets file's name, for calibrations composed with Hydra); docs/calibration.md.
    calibration: Optional[str] = None  # noqa: UP045 (OmegaConf needs it)
    targets: Optional[str] = None  # noqa: UP045


def register_schema() -> None:
    """Make the schema available to Hydra as `base_config` (config.yaml extends it)."""
    from hydra.core.config_store import ConfigStore  # Hydra is imported only when used

    if "base_config.yaml" not in ConfigStore.instance().repo:  # storing it again costs 0.1 s
        ConfigStore.instance().store(name="base_config", node=Config)


def compose_scenario(name: str, model: Mapping[str, Any] | None = None) -> DictConfig:
    """The config `compose(["scenario=<name>"])` gives, with flat `model` values on top.

    The same layers in the same order (the schema, then configs/scenario/<name>.yaml, which is
    a `_global_` package, then the values), merged by OmegaConf without Hydra's start-up: ten
    times faster, which counts for a sweep over many scenarios. tests/test_startup.py checks
    that both agree. A scenario file with its own defaults list goes through Hydra.
    """
    path = scenario_path(name)
    data = yaml.safe_load(path.read_text()) if path.is_file() else None
    if isinstance(data, dict):
        check_scenario_keys(path, data)
    if not isinstance(data, dict):
        overrides = [f"model.{k}={'null' if v is None else v}" for k, v in (model or {}).items()]
        return compose([f"scenario={name}", *overrides])
    values: dict[str, Any] = {}
    for key, value in (model or {}).items():
        group, leaf = key.split(".", 1)
        values.setdefault(group, {})[leaf] = value
    cfg = OmegaConf.merge(_schema(), data, {"model": values})
    keep_literal(cfg)  # scenario text is never resolved (no ${oc.env:...} in results)
    check(cfg)
    return cfg


def scenario_model_values(name: str, model: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``model_values(compose_scenario(name, model))``, without composing a config.

    A sweep composes every scenario it crosses, and each merge deep-copies the whole schema
    (a quarter of a small sweep parent's CPU). Here the schema's flat defaults are copied and
    each value the scenario file or `model` sets is converted by the schema node that the
    merge would have given it (``validate_and_convert``), in the merge's order. Files and values
    outside the plain cases (not plain scalars, interpolations, unknown keys, a scenario file
    with its own defaults list) are composed as before, which also gives any error its message.
    tests/test_startup.py checks both agree with Hydra for every scenario.
    """
    path = scenario_path(name)
    data = yaml.safe_load(path.read_text()) if path.is_file() else None
    values = _plain_model_values(data, model or {}) if isinstance(data, dict) else None
    if values is None:
        return model_values(compose_scenario(name, model))
    P.encode(values)  # raises ParamError naming the first bad key, as `check` does
    return values


def _plain_model_values(data: dict[str, Any], fixed: Mapping[str, Any]) -> dict[str, Any] | None:
    """The flat model values of a scenario file's data with `fixed` on top, or None when
    a value or key is not one this shortcut handles exactly."""
    model = data.get("model", {})
    if not _plain_scenario_section(data) or not isinstance(model, dict):
        return None
    layers = [P.flatten(model), dict(fixed)]
    values = _schema_defaults()
    for layer in layers:
        for path, value in layer.items():
            if path not in values or not _plain_scalar(value):
                return None
            group, leaf = path.split(".", 1)
            try:
                values[path] = _schema().model[group]._get_node(leaf).validate_and_convert(value)
            except OmegaConfBaseException:
                return None
    return values


def _plain_scenario_section(data: Mapping[str, Any]) -> bool:
    """Whether a scenario file has only scenario: and model:, and a scenario: that merges
    into the schema as it is (strings, and a list of strings for its sources)."""
    if set(data) - set(SCENARIO_KEYS):
        return False
    section = data.get("scenario", {})
    if not isinstance(section, dict) or set(section) - {"name", "description", "sources"}:
        return False
    texts = [section.get("name", ""), section.get("description", "")]
    sources = section.get("sources", [])
    return isinstance(sources, list) and all(
        isinstance(text, str) and _plain_scalar(text) for text in [*texts, *sources]
    )


def _plain_scalar(value: Any) -> bool:
    """A value the merge stores as it is converted: no interpolation, no missing marker."""
    if isinstance(value, str):
        return "${" not in value and value != "???"
    return value is None or type(value) in (bool, int, float)


_DEFAULTS: list[dict[str, Any]] = []


def _schema_defaults() -> dict[str, Any]:
    """A copy of the schema's flat model values (the parameters' defaults), read once."""
    if not _DEFAULTS:
        _DEFAULTS.append(P.flatten(OmegaConf.to_container(_schema().model, resolve=True)))
    return dict(_DEFAULTS[0])


_SCHEMA: list[DictConfig] = []


def _schema() -> DictConfig:
    """The structured schema, built once (merging never changes it)."""
    if not _SCHEMA:
        _SCHEMA.append(OmegaConf.structured(Config))
    return _SCHEMA[0]


def add_user_folder(folder: str | Path) -> Path:
    """Add a folder of the user's own scenarios (<folder>/scenario/) and experiments.

    Experiments are read from <folder>/experiments/, or from <folder> itself when it holds no
    scenario/ or experiments/ subfolder. The folder is kept in an environment variable, so
    worker processes see it too. Raises ConfigError when it is not a directory.
    """
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise ConfigError(f"--search-path = {str(folder)!r} is not allowed: expected a directory")
    folders = [*user_folders(), path]
    os.environ[SEARCH_PATH_ENV] = os.pathsep.join(str(f) for f in dict.fromkeys(folders))
    return path


def hydra_search_path() -> list[str]:
    """The user folders as Hydra overrides (empty when there are none).

    Hydra appends `hydra.searchpath` after the built-in configs, so on a name clash the
    built-in scenario wins; `python -m sim list` says so.
    """
    folders = user_folders()
    if not folders:
        return []
    return ["hydra.searchpath=[" + ",".join(f"'file://{f}'" for f in folders) + "]"]


def compose(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose a config from configs/ (and the user folders) with Hydra overrides."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = hydra_compose(config_name=config_name, overrides=[*hydra_search_path(), *overrides])
    keep_literal(cfg)  # scenario text is never resolved (no ${oc.env:...} in results)
    check(cfg)
    return cfg


#: Allowed ranges of the integer `run` settings (closed intervals), used by `check`.
RUN_LIMITS: dict[str, tuple[int, int]] = {
    "replicates": (1, 10_000_000),
    "months": (1, MAX_MONTHS),
    "seed": (0, 2**63 - 1),
}


def check(cfg: DictConfig) -> None:
    """Check every range and allowed value; raise ConfigError or ParamError naming the key."""
    for name, (low, high) in RUN_LIMITS.items():
        _check_int(f"run.{name}", cfg.run[name], low, high)
    if cfg.run.get("workers") is not None:
        _check_int("run.workers", cfg.run.workers, 1, MAX_WORKERS)
    model_values(cfg)


def allowed(key: str) -> str:
    """What a config key accepts, in words (for error messages), e.g. "an integer in [1, 600]"."""
    group, _, name = key.partition(".")
    if group == "model" and name in P.PARAMS_BY_PATH:
        return P.PARAMS_BY_PATH[name].allowed()
    if group == "run" and name in RUN_LIMITS:
        low, high = RUN_LIMITS[name]
        return f"an integer in [{low}, {high}]"
    if key == "run.workers":
        return f"an integer in [1, {MAX_WORKERS}], or null for every core"
    field = {f.name: f for f in dataclasses.fields(RunConfig)}.get(name)
    if group == "run" and field is not None:
        return "true or false" if field.type in (bool, "bool") else "a string"
    return "a string" if group == "scenario" else "a value of the schema's type"


def _check_int(key: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key} = {value!r} is not allowed: expected {allowed(key)}")


def model_values(cfg: DictConfig) -> dict[str, Any]:
    """The model parameters of a composed config, flat {"group.name": value}, checked."""
    flat = P.flatten(OmegaConf.to_container(cfg.model, resolve=True))
    P.encode(flat)  # raises ParamError naming the first bad key
    return flat


def scenario_entries() -> list[Entry]:
    """Every scenario file, built-in first, then each user folder's scenario/ (Hydra's order)."""
    folders = [(CONFIG_DIR / "scenario", BUILT_IN)]
    folders += [(user / "scenario", str(user)) for user in user_folders()]
    return entries_in(folders)


def scenario_path(name: str) -> Path:
    """The file `scenario=<name>` loads: the first of that name in the search path."""
    for entry in scenario_entries():
        if entry.name == name and not entry.shadowed:
            return entry.path
    return CONFIG_DIR / "scenario" / f"{name}.yaml"


def list_policy_experiments() -> list[tuple[str, str]]:
    """(name, one-line description) for every experiment that `sim policy` can load."""
    return [(e.name, _first_line(e.path, None)) for e in policy_entries() if not e.shadowed]


def list_scenarios() -> list[tuple[str, str]]:
    """(name, one-line description) for every scenario that `scenario=<name>` can load."""
    return [(e.name, _first_line(e.path, "scenario")) for e in scenario_entries() if not e.shadowed]


def list_experiments() -> list[tuple[str, str]]:
    """(name, one-line description) for every experiment that `experiment=<name>` can load."""
    return [(e.name, _first_line(e.path, None)) for e in experiment_entries() if not e.shadowed]


#: The top-level keys a scenario file may have. Anything else would reach past the scenario:
#: a `hydra:` block can run callbacks (e.g. open any writable file) or move Hydra's output, a
#: `run:` block can move the results and change the replicates, a `defaults:` list can pull in
#: Hydra plugins. None of that belongs to a scenario (robustness review 2, D1 and D2).
SCENARIO_KEYS = ("scenario", "model")


def check_scenario_keys(path: Path, data: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the first top-level key of a scenario file other than
    `scenario` and `model`."""
    for key in data:
        if key not in SCENARIO_KEYS:
            raise ConfigError(
                f"{path}: top-level key {str(key)!r} is not allowed: a scenario file sets only "
                "scenario: and model: (run settings go on the command line)"
            )


def file_problem(path: Path, node: str | None) -> str | None:
    """Why a scenario (node "scenario") or experiment (node None) file cannot be used, or None."""
    try:
        data = read_yaml_mapping(path)
        if node:
            _section(path, data, node)
        if node == "scenario":
            check_scenario_keys(path, data)
        _usable_name(path)
    except ConfigError as error:
        return str(error)
    return None


def _first_line(path: Path, node: str | None) -> str:
    problem = file_problem(path, node)
    if problem:
        return f"(cannot be used: {problem})"
    data = read_yaml_mapping(path)
    if node:
        data = _section(path, data, node)
    description = str(data.get("description", "")).strip()
    return description.splitlines()[0] if description else ""


#: File names that can be given on the command line as scenario=<name> or experiment=<name>.
USABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def _section(path: Path, data: dict[str, Any], node: str) -> dict[str, Any]:
    section = data.get(node) or {}
    if not isinstance(section, dict):
        raise ConfigError(
            f"{path}: {node} = {section!r} is not allowed: expected a mapping "
            "(name, description, sources)"
        )
    return section


def _usable_name(path: Path) -> None:
    if not USABLE_NAME.match(path.stem):
        raise ConfigError(
            f"{path}: the file name cannot be given on the command line; rename it "
            "with letters, digits, '_', '-' or '.' only"
        )


def scenario_problem(name: str) -> str | None:
    """Why configs/scenario/<name>.yaml cannot be run (one line naming file, key and value),
    or None when it looks fine (Hydra and `check` then check every value)."""
    path = scenario_path(name)
    try:
        _usable_name(path)
        data = read_yaml_mapping(path)
        _section(path, data, "scenario")
        check_scenario_keys(path, data)
        model = data.get("model")
        if model is not None and not isinstance(model, dict):
            raise ConfigError(
                f"{path}: model = {model!r} is not allowed: expected a mapping of parameter "
                "groups (e.g. model: {war: {outcome: favorable}})"
            )
        first = path.read_text().lstrip().splitlines()[:1]
        if data and first != ["# @package _global_"]:
            raise ConfigError(
                f"{path}: the first line must be '# @package _global_' (so that its "
                "scenario: and model: keys land at the top of the config)"
            )
    except ConfigError as error:
        return str(error)
    return None
