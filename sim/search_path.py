"""Where scenario and experiment files are found: the built-in folders, then the user's own.

Light on purpose (the standard library and PyYAML only): `python -m sim sweep` reads its
experiment file with it before importing anything heavy, to start the worker pool early
(``sim.commands.early_workers``). ``sim.config`` builds on it and re-exports its names.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Where a wheel carries configs/ and experiments/ (copied there at build time, see setup.py).
PACKAGE_DATA = Path(__file__).resolve().parent / "_data"
#: Extra folders of the user's own scenarios and experiments, separated by os.pathsep; set by
#: the `--search-path DIR` option of `python -m sim`.
SEARCH_PATH_ENV = "SIM_SEARCH_PATH"
BUILT_IN = "built-in"


def _built_in_dir(name: str) -> Path:
    """The built-in configs/ or experiments/: in the package (a wheel), else the checkout's.

    The package copy is tried first: in a wheel, the folder beside the package is
    site-packages, where another distribution could have put a folder of the same name.
    """
    packaged = PACKAGE_DATA / name
    return packaged if packaged.is_dir() else REPO_ROOT / name


CONFIG_DIR = _built_in_dir("configs")
EXPERIMENTS_DIR = _built_in_dir("experiments")
POLICIES = "policies"  # experiments/policies/: policy experiments (`sim policy`, docs/policy.md)


def user_folders() -> list[Path]:
    """The user's own folders (from --search-path), in the order given."""
    raw = os.environ.get(SEARCH_PATH_ENV, "")
    return [Path(part).expanduser().resolve() for part in raw.split(os.pathsep) if part]


@dataclasses.dataclass(frozen=True)
class Entry:
    """A scenario or experiment file and where it came from (BUILT_IN or a user folder)."""

    name: str
    path: Path
    origin: str
    shadowed: bool = False  # a file of the same name earlier in the search path wins


def entries_in(folders: Sequence[tuple[Path, str]]) -> list[Entry]:
    """The YAML files of (folder, origin) pairs, in order; a later file of a name is shadowed."""
    entries, seen = [], set()
    for folder, origin in folders:
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            entries.append(Entry(path.stem, path, origin, shadowed=path.stem in seen))
            seen.add(path.stem)
    return entries


def experiment_folder(user: Path) -> Path:
    """A user folder's experiments: its experiments/, or the folder itself when it has neither
    experiments/ nor scenario/."""
    nested = user / "experiments"
    return nested if nested.is_dir() or (user / "scenario").is_dir() else user


def experiment_entries() -> list[Entry]:
    """Every experiment file, built-in first, then the user folders'."""
    folders = [(EXPERIMENTS_DIR, BUILT_IN)]
    folders += [(experiment_folder(user), str(user)) for user in user_folders()]
    return entries_in(folders)


def policy_entries() -> list[Entry]:
    """Every policy experiment file (experiments/policies/), built-in first, then the users'."""
    folders = [(EXPERIMENTS_DIR / POLICIES, BUILT_IN)]
    folders += [(experiment_folder(user) / POLICIES, str(user)) for user in user_folders()]
    return entries_in(folders)


def experiment_file(name: str, entries: list[Entry], folder: str) -> Path:
    """The file of experiment `name` among `entries` (built-in first, then the user folders).

    `name` is a plain name, never a path (results use it); ConfigError names the known ones.
    """
    if "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(
            f"experiment={name!r} is not allowed: expected the name of a file in {folder}/ "
            "(without .yaml), not a path; copy a shared experiment file there"
        )
    usable = [e for e in entries if not e.shadowed]
    for entry in usable:
        if entry.name == name:
            return entry.path
    known = ", ".join(e.name for e in usable) or "(none)"
    raise ConfigError(f"experiment={name!r} is unknown: expected one of {known}")


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """The YAML file as a mapping (empty: {}); ConfigError naming the file if it is not one."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise ConfigError(f"{path}{where}: not valid YAML ({problem})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of keys to values, got a {type(data).__name__}"
        )
    return data
