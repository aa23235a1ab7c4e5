"""Checks that keep what the tool writes where it belongs, and user text literal.

- Names that become a path component (a scenario's or a sweep's name) must be plain names:
  letters, digits, '_', '-' and '.', not '.' or '..', and at most MAX_NAME_LENGTH characters.
- A results directory the tool creates must lie inside its output root.
- A folder the tool writes into inside an existing results directory (``figures/``,
  ``analysis/``, ``discovery/``) must be a real folder there, not a symlink leading elsewhere.
- A scenario file's ``scenario.name`` must equal its file name, so its results are filed and
  labelled under the scenario that was asked for.
- Text from scenario and experiment files is never resolved as an OmegaConf interpolation
  (``${oc.env:HOME}`` stays those characters), so no environment value is copied into
  config.yaml or a report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, ListConfig, read_write

from sim.errors import ConfigError, first_line

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
#: Longest name of a results folder: well under the 255 bytes filesystems allow for one name,
#: leaving room for the timestamp a run's label is appended to. Checked with the other
#: settings, so a long name fails before any work, not when its folder is made (review 2, D16).
MAX_NAME_LENGTH = 100


class UnsafePath(ConfigError):
    """A name or a folder that would make the tool write outside its place (exit code 2)."""


def check_name(key: str, name: Any) -> str:
    """Return `name` if it can name a results folder; else raise UnsafePath naming `key`."""
    text = str(name)
    if not _SAFE_NAME.match(text) or set(text) == {"."}:
        raise UnsafePath(
            f"{key} = {text!r} is not allowed: expected letters, digits, '_', '-' or '.' "
            "(not '.' or '..'); it names the results directory"
        )
    if len(text) > MAX_NAME_LENGTH:
        raise UnsafePath(
            f"{key} = {text[:40]!r}... ({len(text)} characters) is not allowed: expected at most "
            f"{MAX_NAME_LENGTH} characters; it names the results directory"
        )
    return text


def check_inside(root: Path, path: Path, key: str = "output") -> Path:
    """Return `path` if it lies inside `root` (both resolved); else raise UnsafePath."""
    root_resolved = Path(root).resolve()
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(root_resolved):
        raise UnsafePath(f"{key}: {path} would lie outside the output root {root}")
    return path


def output_folder(directory: Path, name: str) -> Path:
    """``directory/name``, a folder the tool may write into; refuses a symlink or a file there.

    Raises:
        UnsafePath: if ``directory/name`` is a symlink, or is not a folder inside `directory`.
    """
    folder = Path(directory) / name
    if folder.is_symlink():
        raise UnsafePath(
            f"{folder} is a symbolic link (to {folder.resolve()}); refusing to write through "
            "it: remove the link or copy the results directory"
        )
    if folder.exists() and not folder.is_dir():
        raise UnsafePath(f"{folder} is not a folder; refusing to write there")
    if folder.exists():
        check_inside(directory, folder, key=str(folder))
    return folder


def check_scenario_file(path: Path) -> None:
    """A scenario file must set ``scenario.name`` to its file name (README: "must equal").

    Raises:
        UnsafePath: naming the file, the name it gives and the name expected.
    """
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        first = first_line(error)
        raise UnsafePath(f"{path} cannot be read: {first}") from None
    section = data.get("scenario") if isinstance(data, Mapping) else None
    name = section.get("name") if isinstance(section, Mapping) else None
    if name != Path(path).stem:
        raise UnsafePath(
            f"{path}: scenario.name = {name!r} is not allowed: expected {Path(path).stem!r}, "
            "the file name (results are filed under it)"
        )


_INTERPOLATION = re.compile(r"(\\*)\$\{")


def escape_interpolations(data: Any) -> Any:
    """A plain container whose strings read back from OmegaConf as exactly the same text.

    OmegaConf reads ``\\${`` as a literal ``${``, and ``\\\\`` before ``${`` as one backslash, so
    each ``${`` gets a backslash and the backslashes already before it are doubled.
    """
    if isinstance(data, str):
        return _INTERPOLATION.sub(lambda m: m.group(1) * 2 + "\\${", data)
    if isinstance(data, Mapping):
        return {key: escape_interpolations(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [escape_interpolations(value) for value in data]
    return data


def keep_literal(node: DictConfig | ListConfig) -> None:
    """Escape, in place, every string value of `node` that contains '${' (user text)."""
    with read_write(node):
        keys = range(len(node)) if isinstance(node, ListConfig) else list(node.keys())
        for key in keys:
            child = node._get_node(key)
            if isinstance(child, DictConfig | ListConfig):
                if not child._is_none():
                    keep_literal(child)
                continue
            value = child._value()
            if isinstance(value, str) and "${" in value:
                node[key] = escape_interpolations(value)
