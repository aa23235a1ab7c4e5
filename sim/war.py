"""The war in Ukraine as an exogenous timeline: Russia's free military capacity and resolve.

While the war lasts, most Russian ground forces are tied in Ukraine. When it ends (at
``war.end_month``, unless the outcome is "ongoing"), free capacity and resolve move towards the
levels of that outcome with time constant ``war.reconstitution_months``. With the outcome
"uncertain", each run draws its outcome (probabilities ``war.p_*``) and, with a spread, its end
month from its own random stream, once at the start:

    m(t) = m_during + (m_outcome - m_during) * ramp(t)
    shift(t) = resolve_outcome * ramp(t)
    ramp(t) = 1 - exp(-(t - t_end) / tau)   for t >= t_end, else 0
"""

from __future__ import annotations

import numpy as np

from sim.params import WAR_OUTCOMES, ParamSet
from sim.rng import RunStreams

ONGOING = WAR_OUTCOMES.index("ongoing")
UNCERTAIN = WAR_OUTCOMES.index("uncertain")


class WarTimeline:
    """Russia's free capacity and resolve shift, per run, month by month."""

    def __init__(self, params: ParamSet, streams: RunStreams) -> None:
        w = params.war
        chosen = np.broadcast_to(np.asarray(w.outcome), (params.size,)).astype(int)
        self.outcome = np.where(chosen == UNCERTAIN, _draw_outcome(w, streams), chosen)
        spread = np.asarray(w.end_month_spread)
        shift = np.rint((2.0 * streams.uniform("war_end", 0) - 1.0) * spread)
        self.end_month = np.where(
            self.outcome != ONGOING, np.maximum(w.end_month + shift, 0.0), np.inf
        )
        outcome = self.outcome
        free_after = [
            w.free_capacity_during,
            w.free_capacity_favorable,
            w.free_capacity_unfavorable,
            w.free_capacity_frozen,
        ]
        resolve_after = [0.0, w.resolve_favorable, w.resolve_unfavorable, w.resolve_frozen]
        self._free_during = np.broadcast_to(w.free_capacity_during, (params.size,)).astype(float)
        self._free_target = _pick(free_after, outcome, params.size)
        self._resolve_target = _pick(resolve_after, outcome, params.size)
        self._tau = w.reconstitution_months
        self.free_capacity = self._free_during.copy()
        self.resolve_shift = np.zeros(params.size)
        self.ongoing = np.ones(params.size, dtype=bool)

    def update(self, month: int) -> None:
        """Set free capacity, resolve shift and whether the war still goes on, for `month`."""
        elapsed = month - self.end_month
        self.ongoing = elapsed < 0
        ramp = np.where(self.ongoing, 0.0, -np.expm1(-np.maximum(elapsed, 0.0) / self._tau))
        self.free_capacity = self._free_during + (self._free_target - self._free_during) * ramp
        self.resolve_shift = self._resolve_target * ramp


def _draw_outcome(w, streams: RunStreams) -> np.ndarray:
    """Outcome codes drawn per run: favorable, unfavorable, frozen, else ongoing."""
    weights = np.stack(
        np.broadcast_arrays(
            np.asarray(w.p_favorable, float),
            np.asarray(w.p_unfavorable, float),
            np.asarray(w.p_frozen, float),
            np.zeros(streams.size),
        )
    )
    weights = weights / np.maximum(weights.sum(axis=0), 1.0)  # rescale only when above 1
    u = streams.uniform("war_outcome", 0)
    cumulative = np.cumsum(weights[:3], axis=0)
    drawn = np.full(streams.size, ONGOING)
    for code, upper in zip((1, 2, 3), cumulative, strict=True):
        drawn = np.where((drawn == ONGOING) & (u < upper), code, drawn)
    return drawn


def _pick(options: list, outcome: np.ndarray, size: int) -> np.ndarray:
    """For each run, the option of its outcome (options may be scalars or (R,) arrays)."""
    table = np.stack([np.broadcast_to(np.asarray(o, dtype=float), (size,)) for o in options])
    return table[outcome, np.arange(size)]
