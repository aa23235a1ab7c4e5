"""Results directories as inputs: which kind a directory is, and whether its files can be read.

Commands that read a results directory (`analyze`, `plot`, `compare`, `discover`) call
``check_directory`` first. It refuses, in one line naming the file, a directory of the wrong kind
(a scenario run given to `analyze`, a comparison given to `plot`) and one whose config.yaml,
manifest.json or Parquet files are damaged (truncated, not YAML, not a JSON object), before
any work starts. Reading only the Parquet footers keeps the check fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.engine.checksums import check_data_files
from sim.errors import CommandError

#: What each kind of directory is, in words, and the command that reads it.
KIND_WORDS = {
    "run": "a scenario run (from `sim run`; `sim plot` and `sim compare` read it)",
    "sweep": "a sweep (from `sim sweep`; `sim analyze`, `plot` and `discover` read it)",
    "policy": "a policy search (from `sim policy`; `sim plot` reads it)",
    "threshold": "a threshold study (from `sim threshold`; `sim plot` and `compare` read it)",
    "comparison": "a comparison (from `sim compare`; open its report.html)",
    "validation": "a validation report (from `sim validate`; open its validation.md)",
    "score": "a scoring (from `sim score`; `sim plot` and `sim compare` read it)",
    "calibration": "a calibration (from `sim calibrate`; use it with calibration=<dir>)",
    "ablation": "an ablation (from `sim ablate`; open its ablation.md and figures/)",
    "events_comparison": "an event-data comparison (from `sim events compare`; open its "
    "report.html)",
}


def directory_kind(directory: Path) -> str | None:
    """The kind the manifest names (a key of KIND_WORDS); else 'run' or 'sweep' from the
    files; None if unknown."""
    manifest = Path(directory) / "manifest.json"
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict) and data.get("kind") in KIND_WORDS:
        return str(data["kind"])
    if (Path(directory) / "summary.parquet").is_file():
        return "run"
    if (Path(directory) / "design.parquet").is_file():
        return "sweep"
    return None


def check_directory(
    directory: Path,
    accepted: Iterable[str],
    command: str,
    error: type[Exception] = CommandError,
) -> None:
    """Refuse a directory of another kind, or with a damaged file, in one line (exit code 2).

    Args:
        directory: the results directory given on the command line.
        accepted: the kinds the command reads ("run", "sweep").
        command: the command's name, for the message ("analyze").
        error: the exception to raise (the command's own, so that its exit path is used).

    A directory that does not exist or has no known kind is left to the command's own
    checks, which say what is missing.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return
    kind = directory_kind(directory)
    accepted = tuple(accepted)
    if kind is not None and kind not in accepted:
        wanted = " or ".join(f"a {k}" for k in accepted)
        raise error(f"{directory} is {KIND_WORDS[kind]}; `sim {command}` takes {wanted}")
    try:
        check_readable(directory)
        if kind == "sweep":
            _check_sweep_parts(directory)
    except CommandError as damaged:
        raise error(str(damaged)) from None


def _check_sweep_parts(directory: Path) -> None:
    """A sweep needs its manifest (its plan and whether it is complete), and one whose manifest
    says complete must have its run summaries."""
    if not (directory / "manifest.json").is_file():
        raise CommandError(
            f"{directory} is damaged: manifest.json is missing (it holds the sweep's plan); "
            "restore it, or make the sweep again"
        )
    manifest = json.loads((directory / "manifest.json").read_text())
    summaries = directory / "parts" / "summary"
    if manifest.get("complete") is True and not any(summaries.glob("part-*.parquet")):
        raise CommandError(
            f"{directory} is damaged: manifest.json says complete but parts/ holds no run "
            "summaries; make the sweep again"
        )


def check_readable(directory: Path) -> None:
    """config.yaml a mapping, manifest.json an object, every Parquet file with a whole footer,
    and every data file the one its manifest recorded."""
    directory = Path(directory)
    _check_yaml(directory / "config.yaml")
    _check_json(directory / "manifest.json")
    for path in _parquet_files(directory):
        _check_parquet(path)
    check_data_files(directory)  # a data file replaced by another reads fine: compare checksums


def _parquet_files(directory: Path) -> list[Path]:
    found = [*directory.glob("*.parquet")]
    found += sorted((directory / "parts").glob("*/part-*.parquet"))  # parts/<table>/part-*
    found += sorted((directory / "analysis").glob("*.parquet"))  # made before analyses had keys
    found += sorted((directory / "analysis").glob("[!.]*/*.parquet"))  # analysis/<key>/
    return found


def _check_yaml(path: Path) -> None:
    if not path.is_file():
        return
    import yaml

    try:
        data: Any = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise CommandError(f"{path} is damaged: not valid YAML ({_short(error)})") from None
    if not isinstance(data, dict):
        raise CommandError(f"{path} is damaged: expected a mapping, got {type(data).__name__}")


def _check_json(path: Path) -> None:
    if not path.is_file():
        return
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise CommandError(f"{path} is damaged: not valid JSON ({_short(error)})") from None
    if not isinstance(data, dict):
        raise CommandError(f"{path} is damaged: expected a JSON object, got {type(data).__name__}")


def _check_parquet(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except (pa.ArrowException, OSError) as error:
        raise CommandError(
            f"{path} is damaged ({_short(error)}); restore it, or make the results again"
        ) from None


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
