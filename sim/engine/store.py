"""Results are data, written once: directories, atomic Parquet tables, the manifest.

A results directory is built under a hidden temporary name (``.<name>.partial``) and renamed to
its final name only when everything in it is written, so a directory with a final name is
always complete, and a failed or interrupted run leaves nothing that looks finished. Every file
is written to a temporary name and renamed when whole, so no reader ever sees half a file.
Nothing is pickled.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import re
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
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.engine.aggregate import RUNG_COLUMNS
from sim.engine.checksums import DATA_FILES, digests
from sim.engine.fixed_point import FIXED_POINT_SCALE
from sim.engine.workers import is_running
from sim.errors import ConfigError
from sim.model.params import PARAMS_BY_PATH
from sim.model.recording import TRAJECTORY_VARIABLES
from sim.model.version import code_version
from sim.search_path import PACKAGE_DATA, REPO_ROOT

MANIFEST = "manifest.json"
CONFIG = "config.yaml"
#: The manifest key of the model's code version (``sim.model.version.code_version``).
MODEL_CODE = "model_code"
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

    for staging in Path(folder).glob(".*.partial"):
        pid = _staging_pid(staging.name)
        if pid is None or is_running(pid) or time.time() - staging.stat().st_mtime < 60:
            continue
        shutil.rmtree(staging, ignore_errors=True)


def _staging_pid(name: str) -> int | None:
    """The writer's pid in a staging folder's name, or None for other names."""

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


#: Prefix of the key-value metadata a Parquet file of this project carries (docs/outputs.md).
METADATA_PREFIX = "sim."
FLAG_UNIT = "0/1"  # a trajectory variable with this unit is a flag, stored as a boolean
MONTH_UNIT = "month (0 = March 2022)"
#: The column, first in every table, that names the results directory the file belongs to.
RUN_DIR = "run_dir"
#: Units of the table columns that are not trajectory variables (those carry their own).
COLUMN_UNITS: dict[str, str] = {
    RUN_DIR: "path of the results directory, relative to the output root",
    "run_id": "id",
    "design_point": "id",
    "replicate": "index",
    "seed": "seed",
    "scenario": "name",
    "month": MONTH_UNIT,
    "date": "first day of the month",
    "max_rung": "rung",
    "final_rung": "rung",
    "war_outcome": "category",
    "war_end_month": MONTH_UNIT,
    "pipeline_halts": "count",
    "pipeline_halts_russia": "count",
    "pipeline_halts_other": "count",
    "trade_restrictions": "count",
    "demands": "count",
    "refusals": "count",
    "runs": "count of runs",
    **dict.fromkeys(RUNG_COLUMNS, "count of runs"),  # aggregate.parquet: runs at each rung
    "intervention": "category",
    "oil_revenue_lost": "bn USD",
    "oil_route_cost": "bn USD",
    "deliveries_china": "count",
    "deliveries_turkey": "count",
    "deliveries_eu": "count",
    "arms_delivered_china": "2021 budget",
    "arms_delivered_turkey": "2021 budget",
    "arms_delivered_eu": "2021 budget",
    "actor": "category",
    "target": "category",
    "action": "category",
    "cause": "category",
    "cameo": "CAMEO code",
    "goldstein": "Goldstein scale (-10 to 10)",
    "pretext": "category",
    "demand": "category",
    "size": "depends on the action (docs/ODD.md: severity, rung, stake or belief)",
    **{f"share_rung_{k}": "share of runs" for k in range(len(RUNG_COLUMNS))},
    "particle": "index of the posterior particle the run drew (row of posterior.parquet)",
    "draw": "index of the posterior draw (runs that share one parameter set)",
    "pipeline_halts_attributed": "count",
    "stoppages_misread": "count",
    "inducements": "count",
    "quiet_deeds": "count",
    "public_refusals": "count",
    "episodes": "count",
    "episodes_complied": "count",
    "episodes_dropped": "count",
    # the episodes table
    "trigger": "category",
    "content": "category",
    "opened_month": MONTH_UNIT,
    "closed_month": MONTH_UNIT,
    "outcome": "category",
    "used_halt": "flag",
    "used_restriction": "flag",
    "used_inducement": "flag",
    "escalated": "flag",
    "peak_rung": "rung",
}


#: The per-variable columns of aggregate.parquet: sums are int64 fixed point (exact in any
#: order, ``sim.engine.fixed_point``), so the mean over a row's runs is sum / 2^24 / runs.
AGGREGATE_UNITS: dict[str, str] = {
    "mean": "{unit}",
    "sum": f"{FIXED_POINT_SCALE} x ({{unit}}), summed over the runs (mean = sum / 2^24 / runs)",
    "min": "{unit}",
    "max": "{unit}",
    "hist": "count of runs per bin",
}


@functools.cache
def _variable_units() -> dict[str, str]:

    return {v.name: v.unit for v in TRAJECTORY_VARIABLES}


def column_unit(name: str) -> str | None:
    """The unit of a column of the project's tables, or None if it has none on record."""
    variables = _variable_units()
    if name in variables:
        return "flag" if variables[name] == FLAG_UNIT else variables[name]
    if name in COLUMN_UNITS:
        return COLUMN_UNITS[name]
    if name.startswith("final_") and name[6:] in variables:
        return variables[name[6:]]
    stem, _, kind = name.rpartition("_")
    if stem in variables and kind in AGGREGATE_UNITS:  # aggregate.parquet's columns
        return AGGREGATE_UNITS[kind].format(unit=variables[stem])
    if name.startswith("month_"):
        return MONTH_UNIT
    if name in PARAMS_BY_PATH:  # a design factor, by its parameter path
        return PARAMS_BY_PATH[name].unit
    if name.startswith("factor_"):  # a design factor in the summary parts (plan.factor_column)
        path = _factor_paths().get(name[len("factor_") :])
        return PARAMS_BY_PATH[path].unit if path else None
    return None


@functools.cache
def _factor_paths() -> dict[str, str]:
    return {path.replace(".", "_"): path for path in PARAMS_BY_PATH}


def flags_as_booleans(frame: pd.DataFrame) -> pd.DataFrame:
    """The 0/1 trajectory flags (unit "0/1") as booleans; other columns untouched."""
    variables = _variable_units()
    flags = [
        c
        for c in frame.columns
        if variables.get(c) == FLAG_UNIT and pd.api.types.is_float_dtype(frame[c])
    ]
    return frame.astype({c: bool for c in flags}) if flags else frame


def run_dir_name(directory: Path, root: Path) -> str:
    """The `run_dir` of a results directory: its path relative to the output root (POSIX form),
    e.g. ``runs/baseline/20221028T120000_000000Z``; a directory outside the root (an explicit
    ``output=``) is named by its own name.

    The directory's final path is chosen before anything is written (staged directories are
    renamed to it, studies are created under it), so every file can carry it from the start.
    """
    try:
        return Path(directory).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(directory).name


def recorded_run_dir(directory: Path, root: Path | None = None) -> str:
    """The `run_dir` a directory's manifest recorded (a resumed study keeps its own); without
    one, `run_dir_name` of the directory (under `root`, or its name alone)."""
    try:
        recorded = read_manifest(directory).get(RUN_DIR)
    except (OSError, ValueError, AttributeError):
        recorded = None
    if isinstance(recorded, str) and recorded:
        return recorded
    return run_dir_name(directory, root) if root is not None else Path(directory).name


#: Columns that mean the same in every table get the same type in every file, so tables of
#: different kinds and directories compare and stack without casts (docs/outputs.md).
SHARED_TYPES: dict[str, pa.DataType] = {
    RUN_DIR: pa.large_string(),
    "scenario": pa.large_string(),  # a scenario's name (pandas' str)
    "month": pa.int16(),  # months from March 2022
    "date": pa.timestamp("us"),  # the first day of the month: a calendar date, no time zone
}


def with_shared_types(table: pa.Table) -> pa.Table:
    """`table` with each column of SHARED_TYPES cast to its type (a safe cast: a value that
    does not fit raises rather than changes)."""
    for position, name in enumerate(table.column_names):
        wanted = SHARED_TYPES.get(name)
        if wanted is not None and table.schema.field(name).type != wanted:
            table = table.set_column(position, name, table.column(name).cast(wanted))
    return table


def with_run_dir(table: pa.Table, run_dir: str) -> pa.Table:
    """`table` with `run_dir` as its first column (a string, the same in every row), so that
    rows read from many directories at once still say where they came from."""
    if RUN_DIR in table.column_names:
        table = table.drop_columns([RUN_DIR])
    column = pa.repeat(pa.scalar(run_dir, pa.large_string()), table.num_rows)
    return table.add_column(0, RUN_DIR, column)


def with_metadata(table: pa.Table, /, **fields: Any) -> pa.Table:
    """`table` with units on each known column and the run's facts as key-value metadata.

    Every file gets ``sim.package_version``, ``sim.git_commit`` and ``sim.units`` (JSON,
    column -> unit); each keyword adds ``sim.<name>`` (None values are left out), e.g. seed,
    scenario, experiment, table. Each column with a unit also carries it as field metadata.
    ``run_dir=`` also becomes the table's first column (`with_run_dir`).
    """
    if fields.get(RUN_DIR) is not None:
        table = with_run_dir(table, str(fields[RUN_DIR]))
    table = with_shared_types(table)
    units = {name: column_unit(name) for name in table.column_names}
    units = {name: unit for name, unit in units.items() if unit is not None}
    schema = pa.schema(
        [
            field.with_metadata({"unit": units[field.name]}) if field.name in units else field
            for field in table.schema
        ]
    )
    facts = {
        "package_version": versions_of_project(),
        "git_commit": git_commit(),
        **fields,
        "units": json.dumps(units),
    }
    metadata = dict(table.schema.metadata or {})
    metadata.update(
        {
            f"{METADATA_PREFIX}{k}".encode(): str(v).encode()
            for k, v in facts.items()
            if v is not None
        }
    )
    return table.cast(schema).replace_schema_metadata(metadata)


def write_arrow(table: pa.Table, path: Path, /, *, run_dir: str, **fields: Any) -> Path:
    """Write an Arrow table as Parquet (zstd) with the project's metadata, atomically.

    `run_dir` (`run_dir_name`) is required: every file names the directory it belongs to.
    """
    table = with_metadata(table, run_dir=run_dir, **fields)
    return write_atomic(path, lambda tmp: write_parquet(table, tmp))


def write_parquet(table: pa.Table, path: Path) -> None:
    """Parquet with zstd; float columns byte-stream-split first, which zstd compresses far
    better (a posterior of 6,000 draws x 65 parameters: 2.3 MB plain, 1.4 MB split). The values
    are the same bits either way."""
    floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]
    pq.write_table(
        table,
        path,
        compression="zstd",
        use_byte_stream_split=floats or False,
        use_dictionary=[f.name for f in table.schema if f.name not in floats],
    )


def write_table(frame: pd.DataFrame, path: Path, /, *, run_dir: str, **fields: Any) -> Path:
    """Write a DataFrame as Parquet (zstd), atomically, flags as booleans, with metadata.

    `run_dir` becomes the first column; `fields` become key-value metadata (see
    `with_metadata`), e.g. seed=..., scenario=....
    """
    table = pa.Table.from_pandas(flags_as_booleans(frame), preserve_index=False)
    return write_arrow(table, path, run_dir=run_dir, **fields)


def read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A table of a results directory, as the project's own code reads it: without `run_dir`
    (the directory being read is known, and generic code would take it for data)."""
    frame = pd.read_parquet(path, columns=columns)
    return frame.drop(columns=RUN_DIR) if RUN_DIR in frame.columns else frame


def write_text(text: str, path: Path) -> Path:
    return write_atomic(path, lambda tmp: Path(tmp).write_text(text))


@functools.cache
def git_commit() -> str | None:
    """The commit of the code that runs, with '-dirty' if it had local changes.

    An installed wheel reports the commit it was built from (sim/_data/build.json, written by
    setup.py); a checkout or editable install asks git.
    """
    build_info = PACKAGE_DATA / "build.json"
    if build_info.exists():
        return json.loads(build_info.read_text()).get("git_commit")
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


@functools.cache  # read from the installed metadata (~1 ms) for every table a process writes
def versions_of_project() -> str:
    """The version of this package (installed, or the checkout's sim.__version__)."""
    try:
        return metadata.version("kz-escalation-sim")
    except metadata.PackageNotFoundError:
        return __version__


def versions() -> dict[str, str | None]:
    """Installed versions of the project and its main dependencies."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("kz-escalation-sim", *DEPENDENCIES):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    if found["kz-escalation-sim"] is None:  # run from a checkout that is not pip-installed
        found["kz-escalation-sim"] = __version__
    return found


def write_manifest(directory: Path, **fields: Any) -> Path:
    """manifest.json: versions, git commit, command line, host, time, plus `fields`.

    With a config.yaml in `directory`, its SHA-256 too, so a later edit of it is detected
    (`check_config`); and the size and footer checksum of every data file already written
    (`sim.engine.checksums`), so a replaced or copied-over Parquet file is detected.
    """
    if (Path(directory) / CONFIG).is_file():
        fields.setdefault("config_sha256", config_digest(directory))
    fields.setdefault(DATA_FILES, digests(directory))  # checked on read (sim.engine.checksums)
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "git_commit": git_commit(),
        MODEL_CODE: code_version(),  # a resume is held to it (sim.engine.study_directory)
        "versions": versions(),
        "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
        **fields,
    }
    return write_text(
        json.dumps(manifest, indent=2, default=str) + "\n", Path(directory) / MANIFEST
    )


def read_manifest(directory: Path) -> dict[str, Any]:
    return json.loads((Path(directory) / MANIFEST).read_text())


def config_digest(directory: Path) -> str:
    """SHA-256 of the directory's config.yaml, as stored in its manifest."""
    return hashlib.sha256((Path(directory) / CONFIG).read_bytes()).hexdigest()


class EditedConfig(ConfigError):
    """config.yaml no longer matches the manifest: it was changed after the results were made."""


def check_config(directory: Path) -> None:
    """Refuse a results directory whose config.yaml was edited after its manifest was written.

    Commands read settings (horizon, replicates, analysis options) from config.yaml; an edited
    one would describe other results than the data hold. Directories made before the manifest
    recorded the digest are not checked.
    """
    try:
        expected = read_manifest(directory).get("config_sha256")
    except (OSError, ValueError, AttributeError):
        return  # no readable manifest: the callers' own checks say so
    if expected and config_digest(directory) != expected:
        raise EditedConfig(
            f"{Path(directory) / CONFIG} was edited after the results were made (its SHA-256 "
            "differs from manifest.json's config_sha256); the data follow the original "
            "settings: restore the file, or make new results"
        )


def check_same_model(directory: Path) -> None:
    """Refuse to resume a study whose chunks so far were run by other model code (a checkout
    updated, or the mechanisms edited, since it began): the rest would run other mechanisms,
    and no table would say which runs did. Directories made before the manifest recorded the
    code version are not checked.

    Raises:
        ConfigError: naming the directory, both versions and the commit it began with.
    """
    manifest = read_manifest(directory)
    began = manifest.get(MODEL_CODE)
    if began and began != code_version():
        raise ConfigError(
            f"resume={directory} was run by other model code (sim/model/ version {began}, "
            f"commit {manifest.get('git_commit') or 'unknown'}; this one is {code_version()}): "
            "refusing to mix two models; start a new one, or resume with the code it began with"
        )


class Stopwatch:
    """Wall time of a block, for the manifest."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
