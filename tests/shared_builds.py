"""Expensive results built once per test session and shared by every test file that reads them.

`make test` runs the files on several pytest-xdist workers (`--dist loadfile`), each a process of
its own, so a session fixture or a functools.cache would build the same results once per worker.
`built_once` builds them once for the whole session instead: in a folder under the session's
temporary root, which all the workers share, guarded by a file lock so that the first worker to
ask builds while the others wait, then read what it wrote.

A shared result is read-only: a test that changes files copies the directory first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def session_root(factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this session shares (each session gets a fresh one).

    Under xdist each worker's base temp is <session root>/popen-gwN; alone, pytest's own base
    temp is already this session's.
    """
    base = factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder <session root>/shared-<name>, made by build(folder) once per session.

    build writes into the empty folder it is given; if it raises, the folder is removed and the
    next test that asks builds it again (so a failure shows in every test that needs it).
    """
    root = session_root(factory)
    folder = root / f"shared-{name}"
    done = root / f"shared-{name}.done"  # written last: without it, a build failed half-way
    with FileLock(root / f"shared-{name}.lock"):
        if done.is_file():
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        try:
            build(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        done.touch()
    return folder
