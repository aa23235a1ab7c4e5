"""The war in Ukraine as an exogenous timeline, and the military balance it leaves.

While the war lasts, most Russian ground forces are tied in Ukraine. When it ends (unless the
outcome is "ongoing"), free capacity and resolve move towards the levels of that outcome with
time constant ``war.reconstitution_months``. With the outcome "uncertain", each run draws once,
from its own random streams, when the war ends, from the log-logistic duration law of
interstate wars given that it lasted through ``war.ongoing_through`` (``war.timing`` =
duration_prior), or uniformly around ``war.end_month`` (window), and how: the odds of an end
favourable to Russia fall with the duration (Slantchev 2004). A fixed outcome ends in its
window:

    m(t) = m_during + (m_outcome - m_during) * ramp(t)
    shift(t) = resolve_outcome * ramp(t)
    ramp(t) = 1 - exp(-(t - t_end) / tau)   for t >= t_end, else 0

The military balance (IISS 2022 force numbers, thousands of troops) prices Russia's military
options: the forces an attack on Kazakhstan needs, the odds of winning with the forces free, and
how much dearer posturing and war are when too few are free (docs/ODD.md 7.5-7.6).
"""

from __future__ import annotations

import numpy as np

from sim.model.params import WAR_OUTCOMES, WAR_TIMINGS, ParamSet
from sim.model.rng import RunStreams

ONGOING = WAR_OUTCOMES.index("ongoing")
UNCERTAIN = WAR_OUTCOMES.index("uncertain")
DURATION_PRIOR = WAR_TIMINGS.index("duration_prior")
#: The war's age in months at the start of month 0 (24 February to 1 March 2022).
AGE_AT_START = 5.0 / 30.0


class WarTimeline:
    """Russia's free capacity and resolve shift, per run, month by month."""

    def __init__(self, params: ParamSet, streams: RunStreams, horizon: float = np.inf) -> None:
        w = params.war
        chosen = np.broadcast_to(np.asarray(w.outcome), (params.size,)).astype(int)
        known = np.broadcast_to(np.asarray(w.ongoing_through, dtype=float), (params.size,))
        low, high, later = _end_range(w, known)
        drawn = _draw_outcome(w, streams, later)
        # Uniform over the whole months low..high (after the known month when conditioned).
        u = streams.uniform("war_end", 0)
        end = low + np.floor(u * np.maximum(high - low + 1.0, 1.0))
        # An uncertain war under the duration prior: the outcome among the ended ones, and the
        # month from the duration law; it is ongoing if that month lies past the horizon.
        by_prior = (chosen == UNCERTAIN) & (np.asarray(w.timing) == DURATION_PRIOR)
        if by_prior.any():
            prior_end, decline = _duration_end(w, streams, known)
            drawn = np.where(by_prior, _draw_ended_outcome(w, streams, decline), drawn)
            drawn = np.where(by_prior & (prior_end >= horizon), ONGOING, drawn)
            end = np.where(by_prior, prior_end, end)
        self.outcome = np.where(chosen == UNCERTAIN, drawn, chosen)
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
        # The ramp is 0 while the war lasts: expm1 (costly) only where it has ended.
        ramp = np.zeros(self.ongoing.shape)
        ended = np.flatnonzero(~self.ongoing)
        if ended.size:
            tau = self._tau if np.ndim(self._tau) == 0 else self._tau[ended]
            ramp[ended] = -np.expm1(-np.maximum(elapsed[ended], 0.0) / tau)
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


def _duration_end(w, streams: RunStreams, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """End months from a log-logistic duration law, given the war lasted past ``known``.

    Survival S(T) = 1 / (1 + (T / alpha)^beta) in months of war since 24 February 2022
    (Slantchev 2004 fits log-logistic hazards to interstate wars; alpha is their median
    duration). Conditioned on T > a0 (the end of month ``known``, or the start of month 0):
    T = alpha * ((1 + (a0 / alpha)^beta) / (1 - u) - 1)^(1 / beta), u uniform in [0, 1).
    Also returns the factor (reference / T)^gamma by which a longer war lowers the odds of an
    end favourable to Russia, the initiator (Slantchev 2004; gamma = war.initiator_decline,
    reference = the later of the conditioning age and the median duration).
    """
    alpha = np.asarray(w.duration_median, dtype=float)
    beta = np.asarray(w.duration_shape, dtype=float)
    survived = np.where(np.isfinite(known), known + 1.0, 0.0) + AGE_AT_START
    u = streams.uniform("war_duration", 0)
    odds = (1.0 + (survived / alpha) ** beta) / (1.0 - u) - 1.0
    age = alpha * odds ** (1.0 / beta)
    decline = (np.maximum(survived, alpha) / np.maximum(age, 1e-9)) ** w.initiator_decline
    return np.floor(np.minimum(age - AGE_AT_START, 1e6)), np.minimum(decline, 1.0)


def _draw_ended_outcome(w, streams: RunStreams, decline: np.ndarray) -> np.ndarray:
    """Favorable, unfavorable or frozen: war.p_* with the favourable one times `decline`,
    normalised to 1."""
    ended = np.stack(
        [
            np.broadcast_to(np.asarray(x, dtype=float), (streams.size,))
            for x in (w.p_favorable * decline, w.p_unfavorable, w.p_frozen)
        ]
    )
    total = ended.sum(axis=0)
    cumulative = np.cumsum(ended, axis=0) / np.maximum(total, 1e-12)
    u = streams.uniform("war_outcome", 0)
    drawn = np.full(streams.size, ONGOING)
    for code, upper in zip((3, 2, 1), cumulative[::-1], strict=True):
        drawn = np.where(u < upper, code, drawn)
    return np.where(total > 0, drawn, ONGOING)


def _pick(options: list, outcome: np.ndarray, size: int) -> np.ndarray:
    """For each run, the option of its outcome (options may be scalars or (R,) arrays)."""
    table = np.stack([np.broadcast_to(np.asarray(o, dtype=float), (size,)) for o in options])
    return table[outcome, np.arange(size)]


# --- the military balance (docs/ODD.md 7.6): forces in thousands of troops -------------------
def forces_needed(forces, defence: np.ndarray) -> np.ndarray:
    """Russian forces at which an attack on Kazakhstan has even odds: N = a * K * defence.

    K is Kazakhstan's active force at its 2021 budget (IISS 2022) and `defence` its effort in
    units of that budget; a is the defender's advantage on its own ground (the 3:1 rule).
    """
    return forces.defender_advantage * forces.kazakhstan_active * defence


def odds_of_winning(forces, free_share: np.ndarray, defence: np.ndarray) -> np.ndarray:
    """P(win) = F^m / (F^m + N^m): a contest success function of the force ratio F / N.

    F = free_share * Russia's ground forces (IISS 2022); m is the decisiveness of the ratio
    (Hirshleifer 1989; m = 1 and 2 are Lanchester's linear and square laws).
    """
    ratio = free_share * forces.russia_ground / np.maximum(forces_needed(forces, defence), 1e-9)
    return 1.0 / (1.0 + np.power(np.maximum(ratio, 1e-9), -forces.decisiveness))


def military_cost_factor(forces, free_share: np.ndarray, defence: np.ndarray) -> np.ndarray:
    """How much dearer posturing and war are than with enough forces free: max(N / F, 1).

    Forces beyond the free ones must be pulled from Ukraine or mobilised, at a price that
    grows with the shortfall.
    """
    free = np.maximum(free_share * forces.russia_ground, 1e-9)
    return np.maximum(forces_needed(forces, defence) / free, 1.0)
