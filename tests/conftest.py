"""Shared fixtures: make the worktree importable by worker processes."""

from __future__ import annotations

from typing import Any

from sim.engine.executors import ensure_importable
from sim.model.params import DRAW_RANGES

ensure_importable()

# Seconds a child process may take before a test calls it hung. A guard against a hang, not a
# speed check: CI machines may be busy, so it is far above any honest run's time.
HANG_GUARD = 1800


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
