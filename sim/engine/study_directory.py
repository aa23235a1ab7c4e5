"""A resumable study's directory: where it goes, its stored config, and reopening it to resume.

Sweeps, policy studies and threshold studies write their chunks into a directory that exists
while they are incomplete, so ``resume=<dir>`` can finish them. Each lives at
``<output_root>/<folder>/<name>/<timestamp>``; a resume must name a directory of the same kind
whose stored config asks the same question (keys that only say *how* to run, such as the
executor or the number of workers, may differ).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.config.paths import check_inside, check_name, escape_interpolations, output_folder
from sim.engine.config_file import write_config
from sim.engine.store import check_config, check_same_model, read_manifest, timestamp
from sim.errors import ConfigError, explain
from sim.model.params import flatten


def study_path(cfg: DictConfig, folder: str, name_key: str) -> Path:
    """<output_root>/<folder>/<cfg[name_key]>/<timestamp>; refuses a name leading elsewhere."""
    root = Path(cfg.output_root)
    root = root if root.is_absolute() else Path.cwd() / root
    name = check_name(name_key, cfg[name_key]) if cfg[name_key] else ""
    return check_inside(root, root / folder / name / timestamp(), key=name_key)


def stored_config(cfg: DictConfig) -> DictConfig:
    """The config as the directory keeps it: resolved, with `${...}` in user text kept literal."""
    return OmegaConf.create(escape_interpolations(OmegaConf.to_container(cfg, resolve=True)))


def new_study_directory(cfg: DictConfig, folder: str, name_key: str, parts: str) -> Path:
    """A new directory with its parts folder and config.yaml."""
    directory = study_path(cfg, folder, name_key)
    (directory / parts).mkdir(parents=True)
    write_config(stored_config(cfg), directory)
    return directory


def config_identity(cfg: DictConfig, execution_keys: Iterable[str]) -> dict[str, Any]:
    """The flat config without the keys that only say how to run it."""
    data = OmegaConf.to_container(cfg, resolve=True)
    for key in execution_keys:
        data.pop(key, None)
    return flatten(data)


def reopen_study(
    directory: Path, cfg: DictConfig, kind: str, parts: str, execution_keys: Iterable[str]
) -> Path:
    """The directory of an interrupted study of `kind` asking the same question as `cfg`.

    Raises:
        ConfigError: not such a directory, an edited config.yaml, or another question (naming
            the first key that differs).
    """
    words = f"{kind} study"
    if not (directory / "config.yaml").is_file() or not (directory / "manifest.json").is_file():
        raise ConfigError(f"resume={directory}: not a {words} directory (no config.yaml)")
    if read_manifest(directory).get("kind") != kind:
        raise ConfigError(f"resume={directory} is not a {words}: only one can be resumed")
    check_config(directory)
    check_same_model(directory)
    output_folder(directory, parts)
    keys = list(execution_keys)
    stored = config_identity(OmegaConf.load(directory / "config.yaml"), keys)
    now = config_identity(stored_config(cfg), keys)
    differences = sorted(k for k in set(stored) | set(now) if stored.get(k) != now.get(k))
    if differences:
        key = differences[0]
        raise ConfigError(
            f"resume={directory} holds a different config; refusing to mix: {key}: "
            f"{stored.get(key, '<missing>')!r} there, {now.get(key, '<missing>')!r} now"
        )
    return directory


class StudyFailed(RuntimeError):
    """A study stopped by a failure it can be resumed from (disk full, a worker killed)."""

    def __init__(self, directory: Path, error: BaseException) -> None:
        super().__init__(explain(error)[0])
        self.directory = directory


class StudyInterrupted(KeyboardInterrupt):
    """Ctrl-C during a study; carries the directory to resume."""

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory))
        self.directory = directory
