"""Russia: reads Kazakhstan's drift, chooses a rung of the ladder, and coerces.

Each month Russia
1. reads Kazakh alignment with noise and updates its estimate of its leverage trend;
2. forms its motivation to coerce from the alignment gap (bargaining range), the projected loss
   of leverage (closing window) and any bloc exit (breach);
3. climbs, holds or steps down one rung (a logit choice with inertia); from rung 4 it
   intervenes when war pays better than any concession Kazakhstan could make (Fearon 1995);
4. halts CPC flows under a pretext while at rung 2 or higher, in proportion to the leverage
   the pipeline gives (Drezner 1998).
The equations are in docs/ODD.md, section "Submodels".
"""

from __future__ import annotations

import numpy as np

from sim.agents.base import EnsembleAgent
from sim.ladder import RUNG_SIGNATURE, TOP_RUNG, Action, Actor, Pretext, Rung


def logistic(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), written to stay finite for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Russia(EnsembleAgent):
    """Russia, with its rung, leverage estimate, motivation and pipeline halts per run."""

    actor = Actor.RUSSIA

    def __init__(self, model) -> None:
        super().__init__(model, "russia")
        self.rung = self.full(self.p.initial_rung, np.int8)
        self.perceived_alignment = self.full(model.params.kazakhstan.initial_alignment)
        self.leverage = np.zeros(self.size)  # set by `start`, once Kazakhstan exists
        self.leverage_trend = np.zeros(self.size)  # EWMA of the monthly change of leverage
        self.motivation = np.zeros(self.size)
        self.war_surplus = np.zeros(self.size)
        self.p_win = np.zeros(self.size)  # Russia's chance of prevailing if it intervened
        self.halt_months_left = np.zeros(self.size, dtype=np.int16)
        self.halt_severity = np.zeros(self.size)
        self.halt_cut = np.zeros(self.size)  # share of CPC flow lost this month
        self.halts = np.zeros(self.size, dtype=np.int32)
        self.intervention = np.zeros(self.size, dtype=np.int8)  # 0 none, 1 limited, 2 full
        self.new_demand = np.zeros(self.size, dtype=bool)

    def start(self) -> None:
        """Initialise leverage from Kazakhstan's initial state."""
        self.leverage = self.leverage_index()

    # --- the monthly decision ----------------------------------------------------------------
    def act(self, month: int) -> None:
        self.observe(month)
        self.motivation = self.motivation_to_coerce()
        climbed = self.choose_rung(month)
        halted = self.coerce(month)
        self.new_demand = (climbed | halted) & (self.rung < Rung.INTERVENTION)

    def leverage_index(self) -> np.ndarray:
        """Russia's leverage over Kazakhstan in [0, 1]: a weighted mean of four holds."""
        kz, w = self.model.kazakhstan, self.model.params.leverage
        total = w.route_weight + w.trade_weight + w.bloc_weight + w.alignment_weight
        holds = (
            w.route_weight * kz.via_russia_share
            + w.trade_weight * self.model.trade.russia_share
            + w.bloc_weight * 0.5 * (kz.in_csto.astype(float) + kz.in_eaeu)
            + w.alignment_weight * kz.alignment
        )
        return holds / np.maximum(total, 1e-12)

    def observe(self, month: int) -> None:
        """Noisy reading of alignment; moving estimate of the leverage trend."""
        kz = self.model.kazakhstan
        noise = self.p.observation_noise * self.streams.normal("perceive_alignment", month)
        self.perceived_alignment = np.clip(kz.alignment + noise, 0.0, 1.0)
        leverage = self.leverage_index()
        change = leverage - self.leverage
        self.leverage_trend += self.p.trend_memory * (change - self.leverage_trend)
        self.leverage = leverage

    def resolve(self) -> np.ndarray:
        return np.maximum(self.p.base_resolve + self.model.war.resolve_shift, 0.05)

    def projected_loss(self) -> np.ndarray:
        """Leverage Russia expects to lose within its horizon at the current trend (Powell)."""
        return np.maximum(-self.leverage_trend, 0.0) * self.p.window_horizon

    def demanded_alignment(self) -> np.ndarray:
        """Peacetime demand, plus endorsement of the war while it lasts."""
        return self.p.demand_alignment + self.p.war_demand * self.model.war.ongoing

    def motivation_to_coerce(self) -> np.ndarray:
        """M = resolve * (gap_weight * gap + window_weight * loss + breaches)."""
        kz, p = self.model.kazakhstan, self.p
        gap = np.maximum(self.demanded_alignment() - self.perceived_alignment, 0.0)
        breach = p.csto_breach * ~kz.in_csto + p.eaeu_breach * ~kz.in_eaeu
        return self.resolve() * (
            p.gap_weight * gap + p.window_weight * self.projected_loss() + breach
        )

    def choose_rung(self, month: int) -> np.ndarray:
        """Climb, hold or step down one rung; intervene from rung 4. Returns who climbed."""
        p, kz = self.p, self.model.kazakhstan
        old = self.rung
        rung = old.astype(float)
        p_up = p.climb_rate * logistic(
            (self.effective_motivation(rung + 1) - p.rung_spacing * (rung + 1)) / p.decision_noise
        )
        p_up = np.where(old < Rung.POSTURING, p_up, 0.0)  # rung 5 only by decide_intervention
        hold_line = p.rung_spacing * rung - p.step_down_cost
        p_down = p.climb_rate * logistic(
            (hold_line - self.effective_motivation(rung)) / p.decision_noise
        )
        p_down = np.where(kz.complied, np.maximum(p_down, p.comply_relief), p_down)
        can_step_down = (old > Rung.NORMAL) & (old < Rung.INTERVENTION)

        up = self.streams.chance("climb", month, p_up)
        down = ~up & can_step_down & self.streams.chance("step_down", month, p_down)
        breach_jump = (
            kz.left_bloc
            & (old < Rung.ECONOMIC)
            & self.streams.chance("breach_response", month, p.breach_response)
        )
        new_rung = np.where(breach_jump, Rung.ECONOMIC, old + up - down).astype(np.int8)
        holding_posture = (old == Rung.POSTURING) & (new_rung == Rung.POSTURING)
        intervene, full = self.decide_intervention(month, holding_posture)
        new_rung[intervene] = Rung.INTERVENTION
        self.rung = new_rung  # set first, so the events below carry the rung they announce
        self._log_moves(new_rung > old, new_rung < old, intervene, full)
        return new_rung > old

    def effective_motivation(self, level: np.ndarray) -> np.ndarray:
        """Motivation for a rung: military rungs need free forces, rungs from 3 price backing."""
        p = self.p
        military = np.minimum(self.model.war.free_capacity / p.military_requirement, 1.0)
        m = np.where(level >= Rung.POSTURING, self.motivation * military, self.motivation)
        return m - p.backing_cost * self.model.backing * (level >= Rung.THREAT)

    def decide_intervention(
        self,
        month: int,
        eligible: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Intervene when war beats the best deal (Fearon) and the window closes (Powell).

        Only runs holding rung 4 this month are eligible. Returns (intervene, full).
        """
        p, kz = self.p, self.model.kazakhstan
        free = self.model.war.free_capacity
        strength = free + p.defence_weight * kz.defence + p.backing_weight * self.model.backing
        p_win = free / np.maximum(strength, 1e-12)
        value = self.resolve() * p.stakes
        best_deal = np.minimum(
            (self.perceived_alignment + kz.p.comply_step * (1.0 - self.perceived_alignment))
            / self.demanded_alignment(),
            1.0,
        )
        war_cost = p.war_cost * (1.0 + self.model.backing)
        urgency = p.war_window_weight * self.projected_loss()  # act before it is too late
        self.war_surplus = value * (p_win - best_deal + urgency) - war_cost
        p_war = p.war_rate * logistic(self.war_surplus / p.war_noise)
        go = eligible & self.streams.chance("intervene", month, p_war)
        full = go & (p_win > p.full_intervention_odds)
        self.p_win = p_win
        self.intervention[go] = np.where(full[go], 2, 1)
        return go, full

    def _log_moves(
        self, up: np.ndarray, down: np.ndarray, intervene: np.ndarray, full: np.ndarray
    ) -> None:
        climbed = up & ~intervene
        for rung in range(Rung.RHETORIC, TOP_RUNG):
            self.log(
                RUNG_SIGNATURE[Rung(rung)],
                climbed & (self.rung == rung),
                Actor.KAZAKHSTAN,
                float(rung),
            )
        self.log(Action.RUSSIA_DEESCALATE, down, Actor.KAZAKHSTAN, self.rung)
        self.log(Action.INTERVENTION_FULL, full, Actor.KAZAKHSTAN, self.p_win)
        self.log(Action.INTERVENTION_LIMITED, intervene & ~full, Actor.KAZAKHSTAN, self.p_win)

    def coerce(self, month: int) -> np.ndarray:
        """Start CPC halts at rung 2+, more often the more of Kazakh oil the CPC carries."""
        p, kz = self.p, self.model.kazakhstan
        self.halt_months_left = np.maximum(self.halt_months_left - 1, 0).astype(np.int16)
        eligible = (
            (self.rung >= Rung.ECONOMIC)
            & (self.rung < Rung.INTERVENTION)
            & (self.halt_months_left == 0)
        )
        bite = kz.cpc_share / self.model.params.kazakhstan.initial_cpc_share
        start = eligible & self.streams.chance("pipeline_halt", month, p.halt_propensity * bite)
        if start.any():
            self._start_halts(month, start)
        self.halt_cut = np.where(self.halt_months_left > 0, self.halt_severity, 0.0)
        return start

    def _start_halts(self, month: int, start: np.ndarray) -> None:
        p = self.p
        # Geometric duration with the given mean (at least one month).
        stay = 1.0 - 1.0 / p.halt_mean_months
        u = self.streams.uniform("halt_duration", month)
        with np.errstate(divide="ignore", invalid="ignore"):
            extra = np.where(stay > 0, np.floor(np.log1p(-u) / np.log(stay)), 0.0)
        duration = 1 + np.minimum(extra, 120)
        severity = np.clip(
            p.halt_severity * (0.5 + self.streams.uniform("halt_severity", month)), 0.05, 1.0
        )
        pretext = np.floor(self.streams.uniform("pretext", month) * len(Pretext)).astype(np.int8)
        self.halt_months_left = np.where(start, duration, self.halt_months_left).astype(np.int16)
        self.halt_severity = np.where(start, severity, self.halt_severity)
        self.halts += start
        self.log(Action.PIPELINE_HALT, start, Actor.KAZAKHSTAN, severity, pretext)
