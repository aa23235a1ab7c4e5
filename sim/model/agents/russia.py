"""Russia: chooses its instruments by their expected net value, and backs its demands.

Each month Russia
1. reads Kazakhstan's three positions (war stance, sanctions evasion, alignment) with noise and
   updates its estimate of its leverage trend;
2. values closing the gaps between what it demands and what it sees, plus any bloc breach and
   the closing window (the *stake*, Fearon 1995, Powell 2006);
3. when it reviews its posture, picks the rung one step down, the same or one step up whose
   expected concession (its estimate of Kazakhstan's answer times the stake) net of the
   instrument's own cost is highest, with logistic noise; from rung 4 it intervenes when war
   beats coercion (Fearon 1995); forces tied down in Ukraine raise military costs;
4. issues a demand with content (the largest valued gap) when it climbs, when the content
   changes or when the last demand is old;
5. after Kazakhstan refuses, carries out the threat (a CPC disruption under a pretext or a trade
   restriction, whichever costs Russia less) when the credibility it earns is worth the cost;
   an unpunished refusal spends credibility, and after a public threat it costs face
   (Schelling 1966, Fearon 1994);
6. sometimes offers a large joint project to pull Kazakhstan back (inducement).
The equations are in docs/ODD.md, section "Submodels".
"""

from __future__ import annotations

import numpy as np

from sim.model.agents.base import EnsembleAgent
from sim.model.ladder import RUNG_SIGNATURE, TOP_RUNG, Action, Actor, Cause, Demand, Pretext, Rung
from sim.model.war import military_cost_factor, odds_of_winning


def logistic(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), written to stay finite for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# Months of the year with winter storms at the CPC terminal (month 0 = March): Nov-Mar.
STORM_MONTHS = (0, 8, 9, 10, 11)


class Russia(EnsembleAgent):
    """Russia's posture, beliefs, credibility and coercive acts, per run."""

    actor = Actor.RUSSIA

    def __init__(self, model) -> None:
        super().__init__(model, "russia")
        p, kz0 = self.p, model.params.kazakhstan
        self.on = model.params.mechanisms
        self.rung = self.full(p.initial_rung, np.int8)
        self.seen_alignment = self.full(kz0.initial_alignment)
        self.seen_stance = self.full(kz0.initial_war_stance)
        self.seen_evasion = self.full(1.0 - kz0.initial_sanctions_enforcement)
        self.leverage = np.zeros(self.size)  # set by `start`, once Kazakhstan exists
        self.leverage_trend = np.zeros(self.size)  # EWMA of the monthly change of leverage
        self.motivation = np.zeros(self.size)  # the stake: value of closing every gap
        self.demand = np.full(self.size, Demand.BLOC_LOYALTY, dtype=np.int8)
        self.demand_age = np.full(self.size, 10**6, dtype=np.int32)  # months since a demand
        self.new_demand = np.zeros(self.size, dtype=bool)
        self.credibility = self.full(p.initial_credibility)
        self.face_at_stake = np.zeros(self.size, dtype=bool)  # a refused threat, unpunished
        self.friction = np.zeros(self.size)  # shareholders' memory of disruptions
        self.war_surplus = np.zeros(self.size)
        self.p_win = np.zeros(self.size)
        self.intervention = np.zeros(self.size, dtype=np.int8)  # 0 none, 1 limited, 2 full
        self.halt_months_left = np.zeros(self.size, dtype=np.int16)
        self.halt_severity = np.zeros(self.size)
        self.halt_cut = np.zeros(self.size)  # share of CPC flow lost this month, any cause
        self.restriction_months_left = np.zeros(self.size, dtype=np.int16)
        self.restriction_cut = np.zeros(self.size)  # share of KZ-RU trade cut this month
        self.halts = np.zeros(self.size, dtype=np.int32)  # coercive CPC disruptions
        self.other_halts = np.zeros(self.size, dtype=np.int32)  # weather, repairs, others
        self.restrictions = np.zeros(self.size, dtype=np.int32)
        self.demands = np.zeros(self.size, dtype=np.int32)
        self.refusals = np.zeros(self.size, dtype=np.int32)
        self.security_belief = {a: self.full(model.params_of(a).security_belief) for a in PEERS}
        self.economic_belief = {a: self.full(model.params_of(a).economic_belief) for a in PEERS}

    def start(self) -> None:
        """Initialise leverage from Kazakhstan's initial state."""
        self.leverage = self.leverage_index()

    # --- the monthly decision ----------------------------------------------------------------
    def act(self, month: int) -> None:
        """Observe, value the gaps, choose a posture and issue a demand (before Kazakhstan)."""
        self.observe(month)
        self.motivation = self.stake()
        old = self.rung.copy()
        self.choose_rung(month)
        self.issue_demand(old)
        self.offer_project(month)

    def enforce(self, month: int) -> None:
        """After Kazakhstan answers: punish or let a refusal pass; other disruptions."""
        self.tick_durations()
        self.respond_to_refusals(month)
        self.other_disruptions(month)
        self.halt_cut = np.where(self.halt_months_left > 0, self.halt_severity, 0.0)
        self.restriction_cut = np.where(
            self.restriction_months_left > 0, self.p.restriction_severity, 0.0
        )

    # --- 1. observation ----------------------------------------------------------------------
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
        kz, noise = self.model.kazakhstan, self.p.observation_noise

        def seen(value: np.ndarray, stream: str) -> np.ndarray:
            return np.clip(value + noise * self.streams.normal(stream, month), 0.0, 1.0)

        self.seen_alignment = seen(kz.alignment, "perceive_alignment")
        # Statements on the war and enforcement of sanctions are public: read as they are.
        self.seen_stance = kz.war_stance
        self.seen_evasion = 1.0 - kz.sanctions_enforcement
        leverage = self.leverage_index()
        change = leverage - self.leverage
        self.leverage_trend += self.p.trend_memory * (change - self.leverage_trend)
        self.leverage = leverage

    # --- 2. the stake ------------------------------------------------------------------------
    def resolve(self) -> np.ndarray:
        return np.maximum(self.p.base_resolve + self.model.war.resolve_shift, 0.05)

    def projected_loss(self) -> np.ndarray:
        """Leverage Russia expects to lose within its horizon at the current trend (Powell)."""
        return np.maximum(-self.leverage_trend, 0.0) * self.p.window_horizon

    def gap_values(self) -> np.ndarray:
        """Value of closing each demand's gap, shape (3, R), in the order of `Demand`."""
        p, kz = self.p, self.model.kazakhstan
        war = self.model.war.ongoing * np.maximum(p.war_demand - self.seen_stance, 0.0)
        evasion = np.maximum(p.sanctions_demand - self.seen_evasion, 0.0)
        loyalty = np.maximum(p.demand_alignment - self.seen_alignment, 0.0)
        breach = p.csto_breach * ~kz.in_csto + p.eaeu_breach * ~kz.in_eaeu
        return np.stack(
            [p.war_value * war, p.sanctions_value * evasion, p.bloc_value * loyalty + breach]
        )

    def stake(self) -> np.ndarray:
        """S = resolve * (sum of gap values + window_weight * projected loss)."""
        window = self.on.closing_window * self.p.window_weight * self.projected_loss()
        self._gaps = self.gap_values()
        self._content = self.demand_content()
        return self.resolve() * (self._gaps.sum(axis=0) + window)

    # --- 3. posture --------------------------------------------------------------------------
    def tied_factor(self) -> np.ndarray:
        """How much dearer military options are with too few forces free: >= 1 (sim.model.war)."""
        forces = self.model.params.forces
        return military_cost_factor(forces, self.free_forces(), self.model.kazakhstan.defence)

    def free_forces(self) -> np.ndarray:
        """Free share of forces; with tied_forces off, Russia counts all of them as free."""
        return np.where(np.asarray(self.on.tied_forces) > 0, self.model.war.free_capacity, 1.0)

    def posture_costs(self) -> np.ndarray:
        """Monthly cost to Russia of holding each rung, shape (6, R); rung 5 only by war.

        Threats and posturing also price the partners' expected response (deterrence).
        """
        p, expected = self.p, self.on.deterrence * self.model.expected_response
        rows = (
            0.0,
            p.rhetoric_cost,
            p.economic_cost,
            p.threat_cost + 0.25 * expected,
            p.posture_cost * self.tied_factor() + 0.5 * expected,
            0.0,
        )
        table = np.stack([np.broadcast_to(np.asarray(r, dtype=float), (self.size,)) for r in rows])
        return table * np.asarray(self.on.instrument_costs)

    def posture_values(self, levels: list[np.ndarray]) -> np.ndarray:
        """U(k) = P_hat(comply | k) * stake - cost(k), minus face if it backs down; (K, R).

        P_hat is Kazakhstan's own answer function: Moscow sees what Astana sees.
        """
        kz, runs = self.model.kazakhstan, np.arange(self.size)
        costs = self.posture_costs()
        terms = kz.answer_terms(self._content)
        values = []
        for level in levels:
            comply = kz.answer_probability(level, self.credibility, terms)
            value = np.where(level > 0, comply * self.motivation, 0.0) - costs[level, runs]
            backs_down = (level < self.rung) & self.face_at_stake & (self.rung >= Rung.THREAT)
            values.append(value - self.on.audience_costs * self.p.audience_cost * backs_down)
        return np.stack(values)

    def demand_content(self) -> np.ndarray:
        """The demand Russia presses: the gap it values most (ties go to the earlier)."""
        war, evasion, loyalty = self._gaps
        return np.where(
            (war >= evasion) & (war >= loyalty),
            Demand.ENDORSE_WAR,
            np.where(evasion >= loyalty, Demand.EVADE_SANCTIONS, Demand.BLOC_LOYALTY),
        ).astype(np.int8)

    def choose_rung(self, month: int) -> None:
        """Review the posture (chance review_rate): step down, hold or climb by value."""
        p, old = self.p, self.rung
        options = [
            np.maximum(old - 1, 0),
            np.minimum(old, Rung.POSTURING),
            np.minimum(old + 1, Rung.POSTURING),
        ]
        values = self.posture_values(options)
        weights = np.exp((values - values.max(axis=0)) / p.decision_noise)
        cumulative = np.cumsum(weights, axis=0) / weights.sum(axis=0)
        u = self.streams.uniform("posture", month)
        pick = (u > cumulative[0]).astype(int) + (u > cumulative[1])
        chosen = np.choose(pick, options)
        review = self.streams.chance("review", month, p.review_rate) & (old < Rung.INTERVENTION)
        new_rung = np.where(review, chosen, old).astype(np.int8)
        holding_posture = (old == Rung.POSTURING) & (new_rung == Rung.POSTURING)
        intervene, full = self.decide_intervention(month, holding_posture)
        new_rung[intervene] = Rung.INTERVENTION
        down = new_rung < old
        self.face_at_stake &= ~down  # backing down settles the account, at its cost
        self.rung = new_rung  # set first, so the events below carry the rung they announce
        self._log_moves(new_rung > old, down, intervene, full)

    def decide_intervention(
        self,
        month: int,
        eligible: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Intervene when war beats the best deal (Fearon) and the window closes (Powell).

        Only runs holding rung 4 this month are eligible. Returns (intervene, full).
        """
        p, kz = self.p, self.model.kazakhstan
        p_win = odds_of_winning(self.model.params.forces, self.free_forces(), kz.defence)
        value = self.resolve() * p.stakes
        best_deal = np.minimum(
            (self.seen_alignment + kz.p.comply_step * (1.0 - self.seen_alignment))
            / self.p.demand_alignment,
            1.0,
        )
        war_cost = p.war_cost * self.tied_factor() + self.on.deterrence * (
            self.model.expected_response
        )
        urgency = self.on.closing_window * p.war_window_weight * self.projected_loss()
        self.war_surplus = value * (p_win - best_deal + urgency) - war_cost
        p_war = eligible * p.war_rate * logistic(self.war_surplus / p.war_noise)
        go = self.streams.chance("intervene", month, p_war)
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

    # --- 4. demands --------------------------------------------------------------------------
    def issue_demand(self, old_rung: np.ndarray) -> None:
        """Demand when climbing, when the content changes, or when the last one is old."""
        content = self._content
        self.demand_age += 1
        pressing = (
            (self.rung >= Rung.RHETORIC)
            & (self.rung < Rung.INTERVENTION)
            & (self._gaps.max(axis=0) > 0.0)
        )
        due = (
            (self.rung > old_rung)
            | (content != self.demand)
            | (self.demand_age >= self.p.demand_period)
        )
        self.new_demand = pressing & due
        self.demand = np.where(self.new_demand, content, self.demand).astype(np.int8)
        self.demand_age = np.where(self.new_demand, 0, self.demand_age)
        self.demands += self.new_demand
        self.log(Action.RUSSIA_DEMAND, self.new_demand, Actor.KAZAKHSTAN, self.motivation, content)

    def offer_project(self, month: int) -> None:
        """Inducement: a large joint project, likelier while a loyalty gap persists."""
        wants = self._gaps[Demand.BLOC_LOYALTY] > 0.0
        rate = wants * self.p.project_rate * self.on.hedging
        offer = self.streams.chance("joint_project", month, rate)
        kz = self.model.kazakhstan
        kz.project_pull = kz.project_pull + self.p.project_pull * offer
        self.log(Action.JOINT_PROJECT, offer, Actor.KAZAKHSTAN, self.p.project_pull)

    # --- 5. carrying out threats -------------------------------------------------------------
    def tick_durations(self) -> None:
        self.halt_months_left = np.maximum(self.halt_months_left - 1, 0).astype(np.int16)
        self.restriction_months_left = np.maximum(self.restriction_months_left - 1, 0).astype(
            np.int16
        )
        self.friction = self.p.friction_memory * self.friction

    def credibility_value(self) -> np.ndarray:
        """Value of the credibility a punishment earns: more compliance with future demands."""
        p, kz = self.p, self.model.kazakhstan
        gained = self.credibility + p.credibility_gain * (1.0 - self.credibility)
        terms = kz.answer_terms(self.demand)
        now = kz.answer_probability(self.rung, self.credibility, terms)
        then = kz.answer_probability(self.rung, gained, terms)
        demands_ahead = p.credibility_horizon / p.demand_period
        return self.on.credibility * (then - now) * self.motivation * demands_ahead

    def disruption_cost(self) -> np.ndarray:
        """Russia's cost of a CPC disruption: fees and crude, shareholders, diversification."""
        p, kz = self.p, self.model.kazakhstan
        kzp = kz.p
        memory = 1.0 / (1.0 - kzp.halt_memory)
        speedup = self.on.diversification * kzp.diversification_halt * p.halt_severity * memory
        lost_leverage = self.model.params.leverage.route_weight * speedup * kz.spare_capacity()
        return (
            p.cpc_cost * p.halt_severity
            + p.shareholder_cost * (1.0 + self.friction)
            + p.diversification_foresight * p.window_weight * lost_leverage
        )

    def restriction_cost(self) -> np.ndarray:
        """Russia's cost of a trade restriction: its own dependence on Kazakh transit."""
        trade = self.model.trade
        dependence = trade.gray_share / np.maximum(trade.p.gray_reexport, 1e-12)
        return self.p.restriction_cost * (0.2 + dependence)

    def respond_to_refusals(self, month: int) -> None:
        """Punish a refusal when credibility is worth the cheaper instrument's cost."""
        p, kz = self.p, self.model.kazakhstan
        refused = kz.refused & (self.rung >= Rung.ECONOMIC) & (self.rung < Rung.INTERVENTION)
        self.refusals += kz.refused
        if not refused.any():
            return
        cpc, restrict = self.disruption_cost(), self.restriction_cost()
        cost = np.minimum(cpc, restrict) * self.on.instrument_costs
        net = self.credibility_value() - cost
        punish = refused & self.streams.chance("punish", month, logistic(net / p.decision_noise))
        use_cpc = punish & (cpc <= restrict) & (self.halt_months_left == 0)
        use_trade = punish & ~use_cpc
        if use_cpc.any():
            self._start_halts(month, use_cpc)
        if use_trade.any():
            self._start_restrictions(use_trade)
        lapsed = refused & ~punish
        learns = np.asarray(self.on.credibility) > 0
        c = self.credibility
        c = np.where(punish & learns, c + p.credibility_gain * (1.0 - c), c)
        self.credibility = np.where(lapsed & learns, c * (1.0 - p.credibility_loss), c)
        self.face_at_stake |= lapsed & (self.rung >= Rung.THREAT)

    def _start_halts(self, month: int, start: np.ndarray) -> None:
        p = self.p
        duration, severity = self._draw_halt(month, p.halt_mean_months, p.halt_severity)
        self.halt_months_left = np.where(start, duration, self.halt_months_left).astype(np.int16)
        self.halt_severity = np.where(start, severity, self.halt_severity)
        self.halts += start
        self.friction = self.friction + start
        pretext = self._pretext(month)
        self.log(Action.PIPELINE_HALT, start, Actor.KAZAKHSTAN, severity, pretext)

    def _draw_halt(self, month: int, mean_months: float, mean_severity) -> tuple:
        """Geometric duration with the given mean (at least a month); severity around a mean."""
        stay = 1.0 - 1.0 / np.asarray(mean_months, dtype=float)
        u = self.streams.uniform("halt_duration", month)
        with np.errstate(divide="ignore", invalid="ignore"):
            extra = np.where(stay > 0, np.floor(np.log1p(-u) / np.log(stay)), 0.0)
        duration = 1 + np.minimum(extra, 120)
        jitter = 0.5 + self.streams.uniform("halt_severity", month)
        return duration, np.clip(mean_severity * jitter, 0.05, 1.0)

    def _pretext(self, month: int) -> np.ndarray:
        """The most deniable pretext: storms in winter, else repairs, ordnance, courts in turn."""
        if month % 12 in STORM_MONTHS:
            return np.full(self.size, Pretext.STORM_DAMAGE, dtype=np.int16)
        # `halts` already counts this one; the 2022 order was ordnance, court, repairs.
        technical = np.array(
            [Pretext.COURT_ORDER, Pretext.MOORING_REPAIRS, Pretext.WARTIME_ORDNANCE], np.int16
        )
        return technical[self.halts % technical.size]

    def _start_restrictions(self, start: np.ndarray) -> None:
        months = self.p.restriction_months
        self.restriction_months_left = np.where(start, months, self.restriction_months_left).astype(
            np.int16
        )
        self.restrictions += start
        self.log(Action.TRADE_RESTRICTION, start, Actor.KAZAKHSTAN, self.p.restriction_severity)

    # --- disruptions that are not coercion ---------------------------------------------------
    def other_disruptions(self, month: int) -> None:
        """Storms (Nov-Mar), repairs and third parties (while the war lasts) stop the CPC too."""
        d, on = self.model.params.disruptions, self.on.other_disruptions
        storm_season = month % 12 in STORM_MONTHS
        rates = {
            Cause.WEATHER: on * d.weather_rate * storm_season,
            Cause.MAINTENANCE: on * d.maintenance_rate,
            Cause.THIRD_PARTY: on * d.third_party_rate * self.model.war.ongoing,
        }
        # One draw decides among the causes, so at most one stoppage starts a month.
        u = self.streams.uniform("other_disruption", month)
        free, upper = self.halt_months_left == 0, 0.0
        for cause, rate in rates.items():
            lower, upper = upper, upper + rate
            hit = free & (u >= lower) & (u < upper)
            if not hit.any():
                continue
            self.halt_months_left = np.where(hit, 1, self.halt_months_left).astype(np.int16)
            self.halt_severity = np.where(hit, d.severity, self.halt_severity)
            self.other_halts += hit
            self.model.events.add(
                month, hit, Actor.OTHER, Actor.KAZAKHSTAN, Action.CPC_DISRUPTION, self.rung,
                d.severity, int(cause),
            )  # fmt: skip


#: The partners whose responses Russia anticipates (set here to avoid an import cycle).
PEERS = (Actor.CHINA, Actor.TURKEY, Actor.EU)
