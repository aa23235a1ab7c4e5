"""The event log: every action of every actor, one row per event, in columns.

Events are appended as whole arrays per month and kind (no Python loop over runs), and turned
into a table once at the end. ``detail`` holds what depends on the kind: the pretext of a halt,
the cause of a disruption that is not coercion, the content of a demand and of its answer.
Each row carries its CAMEO code and Goldstein weight so that simulated event series can be set
beside real event data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.ladder import Action, Actor, Cause, Demand, Pretext

EVENT_COLUMNS = ("run", "month", "actor", "target", "action", "rung", "size", "detail")


class EventLog:
    """Columnar buffer of events for R runs."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._chunks: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        month: int,
        mask: np.ndarray,
        actor: Actor,
        target: Actor,
        action: Action,
        rung: np.ndarray,
        size: float | np.ndarray = 0.0,
        detail: int | np.ndarray = -1,
    ) -> None:
        """Record `action` for every run where `mask` is True."""
        if not self.enabled:
            return
        runs = np.flatnonzero(mask)
        if runs.size == 0:
            return
        n = runs.size
        self._chunks.append(
            (
                runs.astype(np.int32),
                np.full(n, month, dtype=np.int16),
                np.full(n, actor, dtype=np.int8),
                np.full(n, target, dtype=np.int8),
                np.full(n, action.code, dtype=np.int16),
                rung[runs].astype(np.int8),
                _pick(size, runs, np.float32),
                _pick(detail, runs, np.int16),
            )
        )

    def columns(self) -> dict[str, np.ndarray]:
        """The raw columns, sorted by run, then month, in the order events happened."""
        if not self._chunks:
            empty = (np.int32, np.int16, np.int8, np.int8, np.int16, np.int8, np.float32, np.int16)
            return {k: np.zeros(0, dtype=t) for k, t in zip(EVENT_COLUMNS, empty, strict=True)}
        stacked = [np.concatenate(parts) for parts in zip(*self._chunks, strict=True)]
        order = np.lexsort((stacked[1], stacked[0]))  # stable: keeps within-month order
        return {k: v[order] for k, v in zip(EVENT_COLUMNS, stacked, strict=True)}


def _pick(value: float | int | np.ndarray, runs: np.ndarray, dtype: type) -> np.ndarray:
    if np.ndim(value) == 0:
        return np.full(runs.size, value, dtype=dtype)
    return np.asarray(value)[runs].astype(dtype)


ACTOR_NAMES = [a.label for a in Actor]
_MAX_CODE = max(a.code for a in Action) + 1
_ACTION_INDEX = np.zeros(_MAX_CODE, dtype=np.int16)
_CAMEO_CODES = sorted({a.cameo for a in Action} - {""})  # "" (not a political act): missing
_CAMEO_INDEX = np.zeros(_MAX_CODE, dtype=np.int16)
_GOLDSTEIN = np.zeros(_MAX_CODE, dtype=np.float32)
for _i, _a in enumerate(Action):
    _ACTION_INDEX[_a.code] = _i
    _CAMEO_INDEX[_a.code] = _CAMEO_CODES.index(_a.cameo) if _a.cameo else -1
    _GOLDSTEIN[_a.code] = _a.goldstein
_PRETEXT_NAMES = [p.name.lower() for p in Pretext]  # code -1 (no pretext) reads as missing
_CAUSE_NAMES = [c.name.lower() for c in Cause]
_DEMAND_NAMES = [d.name.lower() for d in Demand]
_DEMAND_ACTIONS = [
    a.code
    for a in (
        Action.RUSSIA_DEMAND,
        Action.KAZAKH_COMPLY,
        Action.KAZAKH_RESIST,
        Action.KAZAKH_QUIET_DEED,
    )
]
_COERCION_ACTIONS = [a.code for a in (Action.PIPELINE_HALT, Action.TRADE_RESTRICTION)]


def events_frame(
    columns: dict[str, np.ndarray],
    run_ids: np.ndarray,
    dates: pd.DatetimeIndex,
) -> pd.DataFrame:
    """The event log as a tidy table with names, CAMEO codes and Goldstein weights."""
    codes = columns["action"]
    actors = pd.CategoricalDtype(ACTOR_NAMES)
    detail = columns["detail"]
    pretext = np.where(codes == Action.PIPELINE_HALT.code, detail, -1)
    cause = np.where(
        np.isin(codes, _COERCION_ACTIONS),
        Cause.COERCION,
        np.where(codes == Action.CPC_DISRUPTION.code, detail, -1),
    )
    demand = np.where(np.isin(codes, _DEMAND_ACTIONS), detail, -1)
    return pd.DataFrame(
        {
            "run_id": np.asarray(run_ids)[columns["run"]],
            "month": columns["month"],
            "date": dates[columns["month"]],
            "actor": pd.Categorical.from_codes(columns["actor"], dtype=actors),
            "target": pd.Categorical.from_codes(columns["target"], dtype=actors),
            "action": pd.Categorical.from_codes(
                _ACTION_INDEX[codes], categories=[a.name.lower() for a in Action]
            ),
            "rung": columns["rung"],
            "cameo": pd.Categorical.from_codes(_CAMEO_INDEX[codes], categories=_CAMEO_CODES),
            "goldstein": _GOLDSTEIN[codes],
            "size": columns["size"],
            "pretext": pd.Categorical.from_codes(pretext, categories=_PRETEXT_NAMES),
            "cause": pd.Categorical.from_codes(cause, categories=_CAUSE_NAMES),
            "demand": pd.Categorical.from_codes(demand, categories=_DEMAND_NAMES),
        },
        copy=False,
    )
