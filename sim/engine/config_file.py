"""A results directory's config.yaml: written and read as OmegaConf writes and reads it,
through libyaml where it is installed (PyYAML's Python emitter and constructor took a tenth of
a small sweep's parent CPU). Apart from ``sim.engine.store`` so that the store, which the
pool's workers load to write their parts, does not load the configuration library.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf

from sim.config.paths import escape_interpolations
from sim.engine.store import CONFIG, write_text


def write_config(cfg: DictConfig, directory: Path) -> Path:
    """The fully resolved config, as YAML; text that looks like ``${...}`` stays literal."""

    data = escape_interpolations(OmegaConf.to_container(cfg, resolve=True))
    return write_text(config_yaml(data), Path(directory) / CONFIG)


def config_yaml(data: dict[str, Any]) -> str:
    """YAML of plain config data: the text `OmegaConf.to_yaml(OmegaConf.create(data))` gives.

    `OmegaConf.to_yaml` builds a DictConfig and converts it back before dumping; for a sweep's
    config (every scenario's parameters) that took twice as long as the dump. This dumps the
    data with OmegaConf's representers and settings, through libyaml's emitter when all its
    text is single lines of printable characters of the Basic Multilingual Plane (a tenth of a
    small sweep parent's CPU went to PyYAML's emitter in Python). Other text, which either
    emitter writes in double quotes and the two fold differently, goes through PyYAML's.
    tests/test_startup.py checks the text is equal.
    """
    from omegaconf._utils import get_omega_conf_dumper

    return yaml.dump(
        data,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
        Dumper=_libyaml_dumper() if _plain_text(data) else get_omega_conf_dumper(),
    )


def _plain_text(data: Any) -> bool:
    """Whether every string in `data` (keys too) is one line of printable characters below
    U+10000: text that libyaml's emitter writes as PyYAML's does (libyaml escapes the
    characters above U+FFFF, and folds long double-quoted lines elsewhere)."""
    if isinstance(data, str):
        return data.isprintable() and (not data or max(data) < "\U00010000")
    if isinstance(data, dict):
        return all(_plain_text(key) and _plain_text(value) for key, value in data.items())
    if isinstance(data, list | tuple):
        return all(_plain_text(value) for value in data)
    return True


@functools.cache
def _libyaml_dumper() -> type:
    """OmegaConf's YAML dumper (its representers: text that reads as a number or a flag is
    quoted) on libyaml's emitter; PyYAML's own where libyaml is missing."""
    from omegaconf._utils import get_omega_conf_dumper

    omegaconf_dumper = get_omega_conf_dumper()
    base = getattr(yaml, "CDumper", None)
    if base is None:
        return omegaconf_dumper

    class Dumper(base):  # type: ignore[misc, valid-type]
        yaml_representers = omegaconf_dumper.yaml_representers
        yaml_multi_representers = omegaconf_dumper.yaml_multi_representers

    return Dumper


def read_config(directory: Path, leave_out: tuple[str, ...] = ()) -> DictConfig:
    """config.yaml as OmegaConf.load reads it, parsed by libyaml: a sweep's config (every
    scenario's values) took 0.6 s to read in Python, most of a small sweep's analysis.

    `leave_out`: top-level keys the reader does not need (a sweep's ``resolved``, the bulk of
    its file), never turned into config nodes.
    """
    data = yaml.load((Path(directory) / CONFIG).read_text(), Loader=_config_loader())
    for key in leave_out:
        data.pop(key, None)
    return OmegaConf.create(data)


@functools.cache
def _config_loader() -> type:
    """A libyaml loader that reads YAML as OmegaConf.load does: its implicit resolvers (YAML
    1.2 floats such as 1e-3; no timestamps), its constructors, and duplicate keys refused."""
    from omegaconf._utils import get_yaml_loader

    omegaconf_loader = get_yaml_loader()
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # pure Python where libyaml is missing

    class Loader(base):  # type: ignore[misc, valid-type]
        yaml_implicit_resolvers = omegaconf_loader.yaml_implicit_resolvers
        yaml_constructors = omegaconf_loader.yaml_constructors

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            keys = [
                k.value
                for k, _ in node.value
                if k.tag == yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG
            ]
            if len(keys) != len(set(keys)):
                duplicate = next(k for k in keys if keys.count(k) > 1)
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {duplicate}",
                )
            return super().construct_mapping(node, deep=deep)

    return Loader
