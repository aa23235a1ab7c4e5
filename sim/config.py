"""Configuration: the typed schema, composing scenarios with Hydra, and checking values.

The schema of the ``model`` node is generated from the parameter table in ``sim.params``, so a
parameter is declared once. OmegaConf checks types and rejects unknown keys (struct mode);
``check`` then checks ranges and allowed values, with a message that names the key, the value
and what is allowed.

Layout of a composed config::

    run:       replicates, months, seed, trajectories, events, output_root, figures
    scenario:  name, description, sources
    model:     <group>.<name> for every parameter in sim.params.PARAMS
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import yaml
from omegaconf import DictConfig, OmegaConf

from sim import params as P

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO_ROOT / "configs"
EXPERIMENTS_DIR = REPO_ROOT / "experiments"
MAX_MONTHS = 600


class ConfigError(ValueError):
    """A config value that is not allowed; the message names key, value and what is allowed."""


@dataclasses.dataclass
class RunConfig:
    replicates: int = 1000
    months: int = 120
    seed: int = 20221028
    trajectories: bool = True
    events: bool = True
    output_root: str = "results"
    figures: bool = True


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
    path = CONFIG_DIR / "scenario" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text()) if path.is_file() else None
    if not isinstance(data, dict) or "defaults" in data:
        overrides = [f"model.{k}={'null' if v is None else v}" for k, v in (model or {}).items()]
        return compose([f"scenario={name}", *overrides])
    values: dict[str, Any] = {}
    for key, value in (model or {}).items():
        group, leaf = key.split(".", 1)
        values.setdefault(group, {})[leaf] = value
    cfg = OmegaConf.merge(_schema(), data, {"model": values})
    check(cfg)
    return cfg


_SCHEMA: list[DictConfig] = []


def _schema() -> DictConfig:
    """The structured schema, built once (merging never changes it)."""
    if not _SCHEMA:
        _SCHEMA.append(OmegaConf.structured(Config))
    return _SCHEMA[0]


def compose(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose a config from configs/ with Hydra overrides, outside of a Hydra app."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
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
    model_values(cfg)


def allowed(key: str) -> str:
    """What a config key accepts, in words (for error messages), e.g. "an integer in [1, 600]"."""
    group, _, name = key.partition(".")
    if group == "model" and name in P.PARAMS_BY_PATH:
        return P.PARAMS_BY_PATH[name].allowed()
    if group == "run" and name in RUN_LIMITS:
        low, high = RUN_LIMITS[name]
        return f"an integer in [{low}, {high}]"
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


def list_scenarios() -> list[tuple[str, str]]:
    """(name, one-line description) for every file in configs/scenario/."""
    return [
        (path.stem, _first_line(path, "scenario"))
        for path in sorted((CONFIG_DIR / "scenario").glob("*.yaml"))
    ]


def list_experiments() -> list[tuple[str, str]]:
    """(name, one-line description) for every file in experiments/."""
    return [(path.stem, _first_line(path, None)) for path in sorted(EXPERIMENTS_DIR.glob("*.yaml"))]


def _first_line(path: Path, node: str | None) -> str:
    data = yaml.safe_load(path.read_text()) or {}
    section = data.get(node, {}) if node else data
    description = str((section or {}).get("description", "")).strip()
    return description.splitlines()[0] if description else ""
