"""The war in Ukraine as an exogenous timeline: Russia's free military capacity and resolve.

While the war lasts, most Russian ground forces are tied in Ukraine. When it ends (at
``war.end_month``, unless the outcome is "ongoing"), free capacity and resolve move towards the
levels of that outcome with time constant ``war.reconstitution_months``. With the outcome
"uncertain", each run draws its outcome (probabilities ``war.p_*``) and, with a spread, its end
month from its own random stream, once at the start. ``war.ongoing_through`` conditions every
run on the war still going on through a given month (a forecast from a later date):

    m(t) = m_during + (m_outcome - m_during) * ramp(t)
    shift(t) = resolve_outcome * ramp(t)
    ramp(t) = 1 - exp(-(t - t_end) / tau)   for t >= t_end, else 0
"""

from __future__ import annotations

import numpy as np

from sim.model.params import WAR_OUTCOMES, ParamSet
from sim.model.rng import RunStreams

ONGOING = WAR_OUTCOMES.index("ongoing")
UNCERTAIN = WAR_OUTCOMES.index("uncertain")


class WarTimeline:
    """Russia's free capacity and resolve shift, per run, month by month."""

    def __init__(self, params: ParamSet, streams: RunStreams) -> None:
        w = params.war
        chosen = np.broadcast_to(np.asarray(w.outcome), (params.size,)).astype(int)
        known = np.broadcast_to(np.asarray(w.ongoing_through, dtype=float), (params.size,))
        low, high, later = _end_range(w, known)
        drawn = _draw_outcome(w, streams, later)
        self.outcome = np.where(chosen == UNCERTAIN, drawn, chosen)
        # Uniform over the whole months low..high (after the known month when conditioned).
        u = streams.uniform("war_end", 0)
        end = low + np.floor(u * np.maximum(high - low + 1.0, 1.0))
        self.end_month = np.where(self.outcome != ONGOING, np.maximum(end, 0.0), np.inf)
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


def _end_range(w, known: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First and last possible end month, and the chance an ended war ends after ``known``.

    The end month is uniform over the whole months end_month - spread .. end_month + spread;
    conditioned runs (``known`` finite) draw it from the months after ``known``. When the whole
    range lies before ``known``, a fixed outcome ends right after it, and an uncertain one
    stays ongoing (its ended outcomes get weight zero).
    """
    spread = np.asarray(w.end_month_spread, dtype=float)
    first = np.asarray(w.end_month, dtype=float) - spread
    last = np.asarray(w.end_month, dtype=float) + spread
    after = np.where(np.isfinite(known), known + 1.0, -np.inf)
    low = np.maximum(first, after)
    later = np.clip((last - low + 1.0) / (2.0 * spread + 1.0), 0.0, 1.0)
    return low, np.maximum(last, low), later


def _draw_outcome(w, streams: RunStreams, later: np.ndarray) -> np.ndarray:
    """Outcome codes drawn per run: favorable, unfavorable, frozen, else ongoing.

    ``later`` is each run's chance that an ended war ends after the known month (1 with no
    condition): conditioning on "still ongoing" multiplies the ended outcomes by it and
    renormalises (Bayes), so a war known to last longer is likelier to go on.
    """
    ended = np.stack(
        [
            np.broadcast_to(np.asarray(x, dtype=float), (streams.size,))
            for x in (w.p_favorable, w.p_unfavorable, w.p_frozen)
        ]
    )
    ended = ended / np.maximum(ended.sum(axis=0), 1.0)  # rescale only when above 1
    ongoing = 1.0 - ended.sum(axis=0)
    weighted = ended * later
    weights = weighted / np.maximum(weighted.sum(axis=0) + ongoing, 1e-12)
    u = streams.uniform("war_outcome", 0)
    cumulative = np.cumsum(weights, axis=0)
    drawn = np.full(streams.size, ONGOING)
    for code, upper in zip((1, 2, 3), cumulative, strict=True):
        drawn = np.where((drawn == ONGOING) & (u < upper), code, drawn)
    return drawn


def _pick(options: list, outcome: np.ndarray, size: int) -> np.ndarray:
    """For each run, the option of its outcome (options may be scalars or (R,) arrays)."""
    table = np.stack([np.broadcast_to(np.asarray(o, dtype=float), (size,)) for o in options])
    return table[outcome, np.arange(size)]
