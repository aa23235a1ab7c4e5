"""Checksums of a results directory's data files, recorded in its manifest and checked on read.

A Parquet file copied over another (one sweep part over the next, one scenario's summary into
another run) reads without error and gives silently wrong tables. So ``manifest.json`` records,
for every data file (the Parquet files at the top of the directory and under ``parts/``), its
size and the SHA-256 of its footer, and commands that read a directory compare them first.

The footer (Parquet's file metadata, at the end of the file) holds every column chunk's
offsets, sizes and min/max statistics and the file's key-value metadata (table, chunk index,
scenario, seed), so two different files share a footer only when they hold the same values in
the same layout. Hashing the footer and not the whole file keeps the check to one small read
per file, whatever the size of the data (docs/errors.md gives the measured cost). Tables that
commands derive later (``analysis/``, ``discovery/``) are not data files: they are rewritten.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

from sim.errors import CommandError

#: The manifest key of the checksums: {relative path: {"bytes": size, "footer_sha256": hex}}.
DATA_FILES = "data_files"
_MAGIC = b"PAR1"
_TAIL = 8  # a Parquet file ends with the footer's length (4 bytes, little-endian) and PAR1


def data_files(directory: Path) -> list[Path]:
    """The directory's data files: top-level *.parquet and parts/<table>/part-*.parquet."""
    directory = Path(directory)
    found = sorted(directory.glob("*.parquet"))
    return found + sorted((directory / "parts").glob("*/part-*.parquet"))


def file_digest(path: Path) -> dict[str, Any]:
    """{"bytes": size, "footer_sha256": SHA-256 of the footer and its length}.

    A file too short to hold a footer, or one without Parquet's closing magic bytes, is
    hashed whole (it is small, or damaged, and either way its digest still identifies it).
    """
    with open(path, "rb") as file:
        size = file.seek(0, 2)
        if size < 2 * _TAIL:
            file.seek(0)
            return {"bytes": size, "footer_sha256": hashlib.sha256(file.read()).hexdigest()}
        file.seek(size - _TAIL)
        tail = file.read(_TAIL)
        (length,) = struct.unpack("<I", tail[:4])
        start = size - _TAIL - length if tail[4:] == _MAGIC and length <= size - _TAIL else 0
        file.seek(start)
        return {"bytes": size, "footer_sha256": hashlib.sha256(file.read()).hexdigest()}


def digests(directory: Path) -> dict[str, dict[str, Any]]:
    """The digest of every data file, by its path relative to `directory` (POSIX form)."""
    directory = Path(directory)
    return {p.relative_to(directory).as_posix(): file_digest(p) for p in data_files(directory)}


def check_data_files(directory: Path) -> None:
    """Refuse a directory whose data files differ from the checksums in its manifest.

    Every file the manifest lists that exists must have the same size and footer (a missing
    one is left to the commands' own checks, which say how to rebuild it). Directories made
    before the manifest recorded checksums, or without a readable manifest, are not checked
    (the callers' own checks say what is missing).

    Raises:
        CommandError (exit code 2): naming the first file that differs and how.
    """
    directory = Path(directory)
    try:
        recorded = json.loads((directory / "manifest.json").read_text()).get(DATA_FILES)
    except (OSError, ValueError, AttributeError):
        return
    if not isinstance(recorded, dict):
        return
    for name, expected in recorded.items():
        path = directory / name
        if not path.is_file():
            continue  # a missing part is named by the sweep's own check, with how to resume
        if file_digest(path) != expected:
            raise CommandError(
                f"{path} is not the file this directory's manifest.json recorded (its size or "
                "checksum differs: replaced, copied over or edited); restore it, or make the "
                "results again"
            )
