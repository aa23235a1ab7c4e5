"""Shared fixtures: make the worktree importable by worker processes; a tiny calibration; each
test's --search-path folders forgotten after it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.engine.executors import ensure_importable
from sim.model.params import DRAW_RANGES
from sim.search_path import SEARCH_PATH_ENV
from tests.shared_builds import built_once

ensure_importable()

# Seconds a child process may take before a test calls it hung. A guard against a hang, not a
# speed check: CI machines may be busy, so it is far above any honest run's time.
HANG_GUARD = 1800


@pytest.fixture(autouse=True)
def forget_search_path() -> Iterator[None]:
    """`--search-path DIR` keeps DIR in an environment variable (child processes see it too),
    so a test calling ``sim.cli.main`` with it would hand its folder to every later test of the
    same pytest worker (seen: `run --help` then composed the folder's configs with Hydra)."""
    before = os.environ.get(SEARCH_PATH_ENV)
    yield
    if before is None:
        os.environ.pop(SEARCH_PATH_ENV, None)
    else:
        os.environ[SEARCH_PATH_ENV] = before


def make_consistent(row: dict[str, Any]) -> dict[str, Any]:
    """Adjust a random parameter row so its export shares and route ceilings are possible.

    Each value is drawn within its own range; together the initial shares must leave room for
    the routes through Russia, and each route's ceiling range must run from its initial share
    (low) to at least low (high), as sim.model.params.check_export_shares demands; so must
    every other range a run draws from (sim.model.params.DRAW_RANGES).
    """
    k = "kazakhstan."
    tc, cn = row[k + "initial_trans_caspian_share"], row[k + "initial_china_share"]
    row[k + "initial_cpc_share"] = min(row[k + "initial_cpc_share"], 1.0 - tc - cn)
    for route, initial in (("caspian", tc), ("china", cn)):
        low = max(row[f"{k}{route}_ceiling_low"], initial)
        row[f"{k}{route}_ceiling_low"] = low
        row[f"{k}{route}_ceiling_high"] = max(row[f"{k}{route}_ceiling_high"], low)
    for low_path, high_path in DRAW_RANGES:  # lead times and capacities drawn per run
        row[high_path] = max(row[high_path], row[low_path])
    return row


#: A calibration on seed_2022 small enough for a test (seconds of runs, then its figures).
TINY_CALIBRATION = ["population=60", "budget=3000", "generations=3", "progress=false", "seed=7"]


@pytest.fixture(scope="session")
def tiny_calibration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory `python -m sim calibrate targets=seed_2022` writes with TINY_CALIBRATION,
    made once per session for every file that reads it (read-only: copy it to change it)."""
    from sim.commands import calibrate

    def build(root: Path) -> None:
        assert calibrate.main(["targets=seed_2022", f"output_root={root}", *TINY_CALIBRATION]) == 0

    root = built_once(tmp_path_factory, "tiny-calibration", build)
    (directory,) = [p.parent for p in root.rglob("manifest.json") if p.parent.name[0] != "."]
    return directory
