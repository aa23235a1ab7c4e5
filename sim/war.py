"""The war in Ukraine as an exogenous timeline: Russia's free military capacity and resolve.

While the war lasts, most Russian ground forces are tied in Ukraine. When it ends (at
``war.end_month``, unless the outcome is "ongoing"), free capacity and resolve move towards the
levels of that outcome with time constant ``war.reconstitution_months``:

    m(t) = m_during + (m_outcome - m_during) * ramp(t)
    shift(t) = resolve_outcome * ramp(t)
    ramp(t) = 1 - exp(-(t - t_end) / tau)   for t >= t_end, else 0
"""

from __future__ import annotations

import numpy as np

from sim.params import WAR_OUTCOMES, ParamSet

ONGOING = WAR_OUTCOMES.index("ongoing")


class WarTimeline:
    """Russia's free capacity and resolve shift, per run, month by month."""

    def __init__(self, params: ParamSet) -> None:
        w = params.war
        outcome = np.broadcast_to(np.asarray(w.outcome), (params.size,)).astype(int)
        self._ends = outcome != ONGOING
        self._end_month = np.where(self._ends, w.end_month, np.inf)
        free_after = [w.free_capacity_during, w.free_capacity_favorable,
                      w.free_capacity_unfavorable, w.free_capacity_frozen]
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
        elapsed = month - self._end_month
        self.ongoing = elapsed < 0
        ramp = np.where(self.ongoing, 0.0, -np.expm1(-np.maximum(elapsed, 0.0) / self._tau))
        self.free_capacity = self._free_during + (self._free_target - self._free_during) * ramp
        self.resolve_shift = self._resolve_target * ramp


def _pick(options: list, outcome: np.ndarray, size: int) -> np.ndarray:
    """For each run, the option of its outcome (options may be scalars or (R,) arrays)."""
    table = np.stack([np.broadcast_to(np.asarray(o, dtype=float), (size,)) for o in options])
    return table[outcome, np.arange(size)]
