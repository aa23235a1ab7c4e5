"""Results are data, written once: directories, atomic Parquet tables, the manifest.

A results directory is built under a hidden temporary name (``.<name>.partial``) and renamed to
its final name only when everything in it is written, so a directory with a final name is
always complete, and a failed or interrupted run leaves nothing that looks finished. Every file
is written to a temporary name and renamed when whole, so no reader ever sees half a file.
Nothing is pickled.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.config import REPO_ROOT

MANIFEST = "manifest.json"
CONFIG = "config.yaml"
DEPENDENCIES = (
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "hydra-core",
    "omegaconf",
    "scipy",
    "SALib",
    "dask",
    "distributed",
    "ema-workbench",
)


def timestamp() -> str:
    """A sortable, filesystem-safe UTC timestamp with microseconds (unique per process)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S_%fZ")


@contextlib.contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `final`; rename it to `final` only if the block succeeds.

    On any exception (including KeyboardInterrupt) the temporary directory is removed.
    """
    final = Path(final)
    if final.exists():
        raise FileExistsError(f"results directory already exists: {final}")
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(final.parent)
    # The pid in the name tells a later run whether the writer is still alive (see below).
    staging = final.parent / f".{final.name}.{os.getpid()}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.replace(staging, final)


def remove_stale_staging(folder: Path) -> None:
    """Remove staging folders left in `folder` by a process that was killed (kill -9).

    A staging folder is named ``.<name>.<pid>.partial`` (or ``.plot-<pid>-...partial``,
    ``.tables-<pid>-...partial``); one
    whose process no longer runs can never be finished. Folders of live processes, and of other
    machines sharing the filesystem (whose pids mean nothing here), are left alone: only those
    of this host's dead processes go, and only after a minute, so a pid reused at once is safe.
    """
    from sim.processes import is_running

    for staging in Path(folder).glob(".*.partial"):
        pid = _staging_pid(staging.name)
        if pid is None or is_running(pid) or time.time() - staging.stat().st_mtime < 60:
            continue
        shutil.rmtree(staging, ignore_errors=True)


def _staging_pid(name: str) -> int | None:
    """The writer's pid in a staging folder's name, or None for other names."""
    import re

    found = re.fullmatch(r"\.(?:.+\.(\d+)|(?:plot|tables)-(\d+)-.*)\.partial", name)
    if not found:
        return None
    return int(found.group(1) or found.group(2))


def write_atomic(path: Path, write: Any) -> Path:
    """Call `write(tmp_path)` then rename the temporary file to `path`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write a DataFrame as Parquet (zstd), atomically."""
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False, compression="zstd"))


def write_text(text: str, path: Path) -> Path:
    return write_atomic(path, lambda tmp: Path(tmp).write_text(text))


def write_config(cfg: DictConfig, directory: Path) -> Path:
    """The fully resolved config, as YAML."""
    return write_text(OmegaConf.to_yaml(cfg, resolve=True), Path(directory) / CONFIG)


def read_config(directory: Path) -> DictConfig:
    return OmegaConf.load(Path(directory) / CONFIG)


def git_commit() -> str | None:
    """The current commit of the project checkout, with '-dirty' if it has local changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
        return commit + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def command_line() -> list[str]:
    """The command as a user would type it again (`python -m sim ...` rather than __main__.py)."""
    program = Path(sys.argv[0]).name
    if program == "__main__.py":
        program = "python -m sim"
    return [program, *sys.argv[1:]]


def versions() -> dict[str, str | None]:
    """Installed versions of the project and its main dependencies."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("kz-escalation-sim", *DEPENDENCIES):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    if found["kz-escalation-sim"] is None:  # run from a checkout that is not pip-installed
        from sim import __version__

        found["kz-escalation-sim"] = __version__
    return found


def write_manifest(directory: Path, **fields: Any) -> Path:
    """manifest.json: versions, git commit, command line, host, time, plus `fields`."""
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "git_commit": git_commit(),
        "versions": versions(),
        "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
        **fields,
    }
    return write_text(
        json.dumps(manifest, indent=2, default=str) + "\n", Path(directory) / MANIFEST
    )


def read_manifest(directory: Path) -> dict[str, Any]:
    return json.loads((Path(directory) / MANIFEST).read_text())


class Stopwatch:
    """Wall time of a block, for the manifest."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
