"""Russia: coerces in episodes, chooses by quantal response, and learns what pays.

Each month Russia
1. reads Kazakhstan's three positions (war stance, sanctions evasion, alignment) with noise and
   updates its estimate of its leverage trend;
2. values closing the gaps between what it demands and what it sees, plus any bloc breach and
   the closing window (the *stake*, Fearon 1995, Powell 2006);
3. when it reviews its posture, picks the rung one step down, the same or one step up by a
   quantal response over expected concession net of cost (McKelvey & Palfrey 1995); from rung
   4 it intervenes when war beats coercion (Fearon 1995); tied forces raise military costs;
4. runs its demand episodes (Schelling 1966; George 1991; Sechser 2011): opens one on a trigger
   (a Kazakh act it opposes, a partner's deal, a rise of its own stake) with a content and a
   deadline; at the deadline drops, renews or escalates a refused demand by expected value;
5. after Astana answers, learns (Beta-Bernoulli beliefs about Astana's resolve and each
   instrument's effect: Drezner 1999, Pape 1997), closes a complied episode and ends its
   pressure (the assurance), and answers a refusal with nothing, a CPC disruption under a
   pretext (attributed with a pretext-dependent chance), a trade restriction or an inducement;
   an unanswered refusal spends credibility, after a public threat it costs face;
6. sometimes offers a large joint project to pull Kazakhstan back, unprompted.
The equations are in docs/ODD.md, sections 7.5-7.9.
"""

from __future__ import annotations

import numpy as np

from sim.model.agents.base import ALL, EnsembleAgent, Runs, logistic, pick
from sim.model.agents.kazakhstan import AnswerTerms
from sim.model.episodes import Instrument, Outcome, Trigger
from sim.model.ladder import RUNG_SIGNATURE, TOP_RUNG, Action, Actor, Cause, Demand, Pretext, Rung
from sim.model.war import military_cost_factor, odds_of_winning

#: The instruments whose effect Moscow learns, in the order of its belief arrays.
INSTRUMENTS = (Instrument.HALT, Instrument.RESTRICTION, Instrument.INDUCEMENT)

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
        self.new_demand = np.zeros(self.size, dtype=bool)
        self.opened_now = np.zeros(self.size, dtype=bool)  # an episode opened this month
        self.defiance = np.zeros(self.size, dtype=bool)  # a public refusal in an open episode
        self.need_reference = np.full(self.size, np.nan)  # stake when the last episode ended
        self._runs = np.arange(self.size)
        self._costs: np.ndarray | None = None  # posture costs, fixed while Moscow decides
        self._always_quantal = bool(np.all(np.asarray(self.on.quantal_choice) > 0))
        self._deadline_months = self._months_to_review()
        self._always_episodic = bool(np.all(np.asarray(self.on.episodes) > 0))
        shares = (p.deed_value_war, p.deed_value_sanctions, p.deed_value_bloc, self.on.deeds)
        self._deed_table = (
            np.array(shares[:3], dtype=float) * (self.on.deeds > 0)
            if all(np.ndim(x) == 0 for x in shares)
            else None
        )
        # Beliefs (Beta-Bernoulli counts, fading): Astana's resolve, each instrument's effect.
        self.answers = np.zeros(self.size)
        self.yields = np.zeros(self.size)
        self.trials = np.zeros((len(INSTRUMENTS), self.size))
        self.successes = np.zeros((len(INSTRUMENTS), self.size))
        self.last_instrument = np.full(self.size, -1, dtype=np.int8)  # used since the answer
        self.credibility = self.full(p.initial_credibility)
        self.face_at_stake = np.zeros(self.size, dtype=bool)  # a refused threat, unpunished
        self.friction = np.zeros(self.size)  # shareholders' memory of disruptions
        self._war_values: tuple[np.ndarray, np.ndarray] | None = (
            np.zeros(self.size),
            np.zeros(self.size),
        )  # P(win) and war's surplus, every run: none decided yet
        self.intervention = np.zeros(self.size, dtype=np.int8)  # 0 none, 1 limited, 2 full
        self.halt_months_left = np.zeros(self.size, dtype=np.int16)
        self.halt_severity = np.zeros(self.size)
        self.halt_cut = np.zeros(self.size)  # share of CPC flow lost this month, any cause
        self.coercive_halt = np.zeros(self.size, dtype=bool)  # the running stoppage is coercion
        self.restriction_months_left = np.zeros(self.size, dtype=np.int16)
        self.restriction_cut = np.zeros(self.size)  # share of KZ-RU trade cut this month
        self.halts = np.zeros(self.size, dtype=np.int32)  # coercive CPC disruptions
        self.halts_attributed = np.zeros(self.size, dtype=np.int32)  # of those, blamed on it
        self.misread = np.zeros(self.size, dtype=np.int32)  # other stoppages read as coercion
        self.inducements = np.zeros(self.size, dtype=np.int32)
        self.other_halts = np.zeros(self.size, dtype=np.int32)  # weather, repairs, others
        self.restrictions = np.zeros(self.size, dtype=np.int32)
        self.demands = np.zeros(self.size, dtype=np.int32)
        self.refusals = np.zeros(self.size, dtype=np.int32)
        self.security_belief = {a: self.full(model.params_of(a).security_belief) for a in PEERS}
        self.economic_belief = {a: self.full(model.params_of(a).economic_belief) for a in PEERS}

    def start(self) -> None:
        """Initialise leverage from Kazakhstan's initial state."""
        self.leverage = self.leverage_index()
        self._resolve = self.resolve()

    # --- the monthly decision ----------------------------------------------------------------
    def act(self, month: int) -> None:
        """Observe, value the gaps, choose a posture and issue a demand (before Kazakhstan)."""
        self.observe(month)
        self.motivation = self.stake()
        self.model.kazakhstan.refresh_terms(month_start=True)
        self._costs = self.posture_costs()  # fixed within the month's decisions
        self.choose_rung(month)
        self.run_episodes(month)
        self.offer_project(month)
        self.model.kazakhstan.forget_terms()
        self._costs = None

    def enforce(self, month: int) -> None:
        """After Kazakhstan answers: learn, close complied episodes, answer a refusal."""
        self.tick_durations()
        self.learn_from_answers(month)
        self.model.kazakhstan.refresh_terms()
        self.respond_to_refusals(month)
        self.model.kazakhstan.forget_terms()
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
        self._resolve = self.resolve()  # fixed within the month: the war moved before Moscow
        return self._resolve * (self._gaps.sum(axis=0) + window)

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
        switch = np.asarray(self.on.instrument_costs)
        if switch.ndim == 0 and switch == 1.0:  # x * 1.0 == x: skip a pass over (6, R)
            return table
        return table * switch

    def posture_values(self, levels: list[np.ndarray], at: Runs = ALL) -> np.ndarray:
        """U(k) = P_hat(comply | k) * stake - cost(k), minus face if it backs down; (K, R).

        P_hat is Kazakhstan's own answer function: Moscow sees what Astana sees. `levels` are
        given at the runs `at`.
        """
        kz, runs = self.model.kazakhstan, at.positions(self._runs)
        costs = self.posture_costs() if self._costs is None else self._costs
        terms = kz.answer_terms(at(self._content), at)
        credibility, motivation, rung = at(self.credibility), at(self.motivation), at(self.rung)
        face = at(self.face_at_stake) & (rung >= Rung.THREAT)
        face_cost = at(self.on.audience_costs) * at(self.p.audience_cost)
        # Every level at once, as (K, R) arrays: the same arithmetic per entry, a third of the
        # numpy calls.
        level = np.stack(levels)
        comply = kz.answer_probability(level, credibility, terms, at)
        value = np.where(level > 0, comply * motivation, 0.0) - pick(costs, level, runs)
        return value - face_cost * ((level < rung) & face)

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
        review = self.streams.chance("review", month, p.review_rate) & (old < Rung.INTERVENTION)
        new_rung = old.copy()
        index = np.flatnonzero(review)
        if index.size:
            at = Runs(index)
            mine = [at(option) for option in options]
            pick = self.quantal_at(self.posture_values(mine, at), "posture", month, index)
            new_rung[index] = np.choose(pick, mine)
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

        Only runs holding rung 4 this month are eligible (a few): war is valued and drawn for
        them alone, with the numbers the whole batch would give them (`chance` is false where
        the probability is not positive). `p_win` and `war_surplus` of every run are computed
        when read (the trajectories, the event log), from the state Moscow saw now.
        Returns (intervene, full).
        """
        p, kz = self.p, self.model.kazakhstan
        # Fresh arrays or ones the month replaces rather than edits: they keep today's state.
        self._war_state = (
            self.free_forces(),
            kz.defence,
            self.seen_alignment,
            self.resolve(),
            self.model.expected_response,
            self.projected_loss(),
        )
        self._war_values = None
        go = np.zeros(self.size, dtype=bool)
        full = np.zeros(self.size, dtype=bool)
        index = np.flatnonzero(eligible)
        if index.size:
            at = Runs(index)
            p_win, surplus = self.war_value(at)
            p_war = at(p.war_rate) * logistic(surplus / at(p.war_noise))
            go[index] = self.streams.uniform("intervene", month, runs=index) < p_war
            full[index] = go[index] & (p_win > at(p.full_intervention_odds))
        self.intervention[go] = np.where(full[go], 2, 1)
        return go, full

    def war_value(self, at: Runs = ALL) -> tuple[np.ndarray, np.ndarray]:
        """P(win) and the surplus of war over the best deal, at the runs `at`, from the state of
        the last decision on intervention: value * (P(win) - best deal + urgency) - cost."""
        p, kz_p = self.p, self.model.kazakhstan.p
        free, defence, seen, resolve, response, loss = (at(x) for x in self._war_state)
        forces = at.group(self.model.params.forces)
        p_win = odds_of_winning(forces, free, defence)
        value = resolve * at(p.stakes)
        best_deal = np.minimum(
            (seen + at(kz_p.comply_step) * (1.0 - seen)) / at(p.demand_alignment), 1.0
        )
        tied = military_cost_factor(forces, free, defence)
        war_cost = at(p.war_cost) * tied + at(self.on.deterrence) * response
        urgency = at(self.on.closing_window) * at(p.war_window_weight) * loss
        return p_win, value * (p_win - best_deal + urgency) - war_cost

    def _war_of_every_run(self) -> tuple[np.ndarray, np.ndarray]:
        if self._war_values is None:
            self._war_values = self.war_value()
        return self._war_values

    @property
    def p_win(self) -> np.ndarray:
        """P(win) of an intervention in every run, as Moscow saw it at its last decision."""
        return self._war_of_every_run()[0]

    @property
    def war_surplus(self) -> np.ndarray:
        """The surplus of war over the best deal in every run, at Moscow's last decision."""
        return self._war_of_every_run()[1]

    def _log_moves(
        self, up: np.ndarray, down: np.ndarray, intervene: np.ndarray, full: np.ndarray
    ) -> None:
        if not self.model.events.enabled:  # the masks below serve only the event log
            return
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

    # --- 4. episodes: open on a trigger, review at the deadline ------------------------------
    def quantal(
        self, values: np.ndarray, stream: str, month: int, runs: np.ndarray | None = None
    ) -> np.ndarray:
        """The option each run picks from values (K, R); -inf marks an option not available.

        Quantal response (McKelvey & Palfrey 1995): P(i) = exp(precision * U_i) / sum_j
        exp(precision * U_j). With the switch off, the best reply (argmax). Option 0 must
        always be available. Only the runs in the mask `runs` choose (the rest get 0).
        """
        chosen = np.zeros(self.size, dtype=np.intp)
        index = self._runs if runs is None else np.flatnonzero(runs)
        if index.size == 0:
            return chosen
        chosen[index] = self.quantal_at(values[:, index], stream, month, index)
        return chosen

    def quantal_at(
        self, values: np.ndarray, stream: str, month: int, index: np.ndarray
    ) -> np.ndarray:
        """`quantal` for the runs `index` only, values of shape (K, len(index))."""
        u = self.streams.uniform(stream, month, runs=index)
        precision = self.p.choice_precision
        if np.ndim(precision):
            precision = precision[index]
        # The rows' maximum, pairwise in row order (what .max(axis=0) does, without its slow
        # reduction over the short axis).
        top = np.maximum(values[0], values[1]) if len(values) > 1 else values[0].copy()
        for k in range(2, len(values)):
            np.maximum(top, values[k], out=top)
        weights = values - top
        weights *= precision
        cumulative = np.exp(weights, out=weights)
        # np.cumsum(axis=0) row by row (the same additions in the same order): on K rows and
        # thousands of columns, cumsum loops over the short axis innermost and is ten times slower.
        for k in range(1, len(cumulative)):
            cumulative[k] += cumulative[k - 1]
        drawn = u * cumulative[-1]
        pick = (drawn > cumulative[0]).astype(np.intp)
        for k in range(1, len(cumulative) - 1):
            pick += drawn > cumulative[k]
        if not self._always_quantal:
            switch = np.asarray(self.on.quantal_choice)
            best = values.argmax(axis=0)
            pick = np.where((switch if switch.ndim == 0 else switch[index]) > 0, pick, best)
        return pick

    def fade_beliefs(self) -> None:
        """Older answers weigh less: Moscow's evidence decays and its prior returns."""
        keep = self.p.belief_memory
        self.answers *= keep
        self.yields *= keep
        self.trials *= keep
        self.successes *= keep

    def expected_compliance(
        self,
        level: np.ndarray,
        terms: AnswerTerms,
        at: Runs = ALL,
        model: np.ndarray | None = None,
    ) -> np.ndarray:
        """Moscow's belief that Astana complies at rung `level` (its belief about resolve).

        A Beta-Bernoulli posterior mean whose prior mean is Astana's own answer function and
        whose data are the answers Moscow has seen: (n0 * P(k) + yields) / (n0 + answers).
        `model`: P(k) at today's credibility, if the caller has it.
        """
        kz, n0 = self.model.kazakhstan, at(self.p.effect_strength)
        if model is None:
            model = kz.answer_probability(level, at(self.credibility), terms, at)
        return (n0 * model + at(self.yields)) / (n0 + at(self.answers))

    def beliefs(self, at: Runs = ALL) -> tuple[np.ndarray, np.ndarray]:
        """Each instrument's believed chance of compliance at the next answer, and that chance
        relative to the prior (its believed effect, 1 a priori), both shape (3, R).

        theta_j = (n0 * m0 + successes_j) / (n0 + trials_j), Beta-Bernoulli (Pape 1997; Drezner
        1999): an instrument that keeps failing to produce compliance loses value.
        """
        n0, m0 = at(self.p.effect_strength), at(self.p.effect_prior)
        theta = (n0 * m0 + at(self.successes)) / (n0 + at(self.trials))
        return theta, theta / m0

    def deed_value(self, content: np.ndarray, at: Runs = ALL) -> np.ndarray:
        """Share of a demand's value Moscow credits to a quiet deed, by content (0 if off)."""
        p = self.p
        if self._deed_table is not None:  # the same shares in every run
            return self._deed_table[content]
        shares = [at(p.deed_value_war), at(p.deed_value_sanctions), at(p.deed_value_bloc)]
        if all(np.ndim(x) == 0 for x in shares):
            value = np.array(shares, dtype=float)[content]
        else:
            runs = np.arange(np.size(content))
            value = np.stack([np.broadcast_to(x, runs.shape) for x in shares])[content, runs]
        return np.where(np.asarray(at(self.on.deeds)) > 0, value, 0.0)

    def content_gain(self, content: np.ndarray, at: Runs = ALL) -> np.ndarray:
        """Value to Moscow of Astana's compliance with a demand of this content (at `at`)."""
        return at(self._resolve) * pick(self._gaps, content, at.positions(self._runs))

    def run_episodes(self, month: int) -> None:
        """Close settled episodes, open new ones on triggers, review deadlines, demand."""
        book = self.model.episodes
        self.fade_beliefs()
        pressing = (self.rung >= Rung.RHETORIC) & (self.rung < Rung.INTERVENTION)
        gap_gone = pick(self._gaps, book.content, self._runs) <= 0.0
        book.close(month, book.open & (self.rung >= Rung.INTERVENTION), Outcome.INTERVENTION)
        book.close(month, book.open & gap_gone, Outcome.MOOT)
        book.close(month, book.open & (self.rung == Rung.NORMAL), Outcome.DROPPED)
        trigger, content = self.triggers()
        opened = self.open_episodes(month, trigger, content, pressing)
        kz = self.model.kazakhstan
        self.defiance = (
            book.open & ~opened & kz.public_refusal & (book.content == Demand.ENDORSE_WAR)
        )
        renewed, escalated = self.review_deadlines(month, opened)
        self.opened_now = opened
        self.new_demand = opened | renewed | escalated
        self.demand = book.content.copy()
        book.note(self.rung, self.new_demand)
        self.demands += self.new_demand
        self.log(
            Action.RUSSIA_DEMAND, self.new_demand, Actor.KAZAKHSTAN, self.motivation, self.demand
        )

    def triggers(self) -> tuple[np.ndarray, np.ndarray]:
        """The trigger (-1: none) and content of an episode Moscow could open this month.

        Kazakh acts of last month (a public refusal, a step to enforce sanctions, a bloc exit),
        partners' deliveries this month, or a rise of Moscow's own stake. Earlier kinds take
        precedence. With episodes off, Moscow's need fires every month (the v2 process).
        """
        kz, p = self.model.kazakhstan, self.p
        if np.isnan(self.need_reference).any():
            self.need_reference = np.where(
                np.isnan(self.need_reference), self.motivation, self.need_reference
            )
        episodic = np.asarray(self.on.episodes) > 0
        need = (self.motivation > (1.0 + p.need_step) * self.need_reference) | ~episodic
        deal = self.model.partners[PEERS[0]].delivered_now.copy()
        for actor in PEERS[1:]:
            deal |= self.model.partners[actor].delivered_now
        candidates = (
            (Trigger.PUBLIC_REFUSAL, kz.public_refusal & episodic, Demand.ENDORSE_WAR),
            (Trigger.SANCTIONS_STEP, kz.enforcement_stepped & episodic, Demand.EVADE_SANCTIONS),
            (Trigger.PARTNER_DEAL, deal & episodic, Demand.BLOC_LOYALTY),
            (Trigger.BLOC_MOVE, kz.left_bloc & episodic, Demand.BLOC_LOYALTY),
            (Trigger.MOSCOW_NEED, need, self._content),
        )
        open_gap = self._gaps > 0.0
        need_gap = pick(open_gap, self._content, self._runs)
        hits = [fired & (open_gap[asked] if np.ndim(asked) == 0 else need_gap)
                for _, fired, asked in candidates]  # fmt: skip
        # np.select's result (the first kind that fired wins), written last to first in place:
        # np.select broadcasts every choice to a full array first, at twice the cost.
        trigger = np.full(self.size, -1, dtype=np.int8)
        content = np.zeros(self.size, dtype=np.int8)
        for (kind, _, asked), hit in zip(candidates[::-1], hits[::-1], strict=True):
            np.copyto(trigger, int(kind), where=hit)
            np.copyto(content, asked, where=hit)
        return trigger, content

    def open_episodes(
        self, month: int, trigger: np.ndarray, content: np.ndarray, pressing: np.ndarray
    ) -> np.ndarray:
        """Open an episode where a trigger fired and a demand is worth more than silence."""
        book, p = self.model.episodes, self.p
        can = ~book.open & pressing & (trigger >= 0)
        if not can.any():
            return can
        index = np.flatnonzero(can)
        at = Runs(index)
        asked = at(content)
        terms = self.model.kazakhstan.answer_terms(asked, at)
        value = self.expected_compliance(at(self.rung), terms, at) * self.content_gain(asked, at)
        options = np.stack([np.zeros(index.size), value - at(p.demand_cost)])
        opened = np.zeros(self.size, dtype=bool)
        opened[index] = self.quantal_at(options, "open_demand", month, index) == 1
        deadline = month + self.deadline_months()
        book.start(month, opened, trigger, content, deadline, self.rung)
        self.need_reference = np.where(opened, self.motivation, self.need_reference)
        return opened

    def deadline_months(self) -> np.ndarray:
        """Months to the review of a demand: the deadline, or every month with episodes off."""
        return self._deadline_months  # both parameters are fixed for the model's life

    def _months_to_review(self) -> np.ndarray:
        return np.where(np.asarray(self.on.episodes) > 0, self.p.demand_deadline, 1)

    def review_deadlines(self, month: int, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """At the deadline of a refused demand: drop, renew or escalate, by expected value.

        U(drop) = -face;  U(renew) = P_M(rung) * gain - demand_cost;
        U(escalate) = P_M(rung + 1) * gain - demand_cost - deadline * (cost(rung+1) - cost(rung)).
        With episodes off a demand is renewed every month and never dropped.
        """
        book, p = self.model.episodes, self.p
        due = book.open & ~opened & (month >= book.deadline)
        if not due.any():
            return due, due
        index = np.flatnonzero(due)
        at, runs = Runs(index), index
        content, rung = at(book.content), at(self.rung)
        terms = self.model.kazakhstan.answer_terms(content, at)
        gain = self.content_gain(content, at)
        costs = self.posture_costs() if self._costs is None else self._costs
        up = np.minimum(rung + 1, Rung.POSTURING)
        episodic = np.broadcast_to(at(self.on.episodes), index.shape) > 0
        face = at(self.on.audience_costs) * at(p.audience_cost) * (rung >= Rung.THREAT)
        demand_cost = at(p.demand_cost)
        renew = self.expected_compliance(rung, terms, at) * gain - demand_cost
        climb = (
            self.expected_compliance(up, terms, at) * gain
            - demand_cost
            - at(p.demand_deadline) * (pick(costs, up, runs) - pick(costs, rung, runs))
        )
        options = np.stack(
            [
                np.where(episodic, -face, 0.0),
                renew,
                np.where(episodic & (rung < Rung.POSTURING), climb, -np.inf),
            ]
        )
        choice = np.zeros(self.size, dtype=np.intp)
        choice[index] = np.where(
            episodic, self.quantal_at(options, "review_demand", month, index), 1
        )
        dropped, renewed, escalated = due & (choice == 0), due & (choice == 1), due & (choice == 2)
        book.close(month, dropped, Outcome.DROPPED)
        self.need_reference = np.where(dropped, self.motivation, self.need_reference)
        if escalated.any():
            up = np.minimum(self.rung + 1, Rung.POSTURING)
            self.rung = np.where(escalated, up, self.rung).astype(np.int8)
            book.use(escalated, Instrument.ESCALATION)
            self._log_moves(escalated, np.zeros_like(escalated), *(np.zeros_like(escalated),) * 2)
        again = renewed | escalated
        book.deadline = np.where(again, month + self.deadline_months(), book.deadline).astype(
            np.int16
        )
        return renewed, escalated

    def offer_project(self, month: int) -> None:
        """Inducement: a large joint project, likelier while a loyalty gap persists."""
        wants = self._gaps[Demand.BLOC_LOYALTY] > 0.0
        rate = wants * self.p.project_rate * self.on.hedging
        offer = self.streams.chance("joint_project", month, rate)
        kz = self.model.kazakhstan
        kz.project_pull = kz.project_pull + self.p.project_pull * offer
        self.log(Action.JOINT_PROJECT, offer, Actor.KAZAKHSTAN, self.p.project_pull)

    # --- 5. after the answer: learning, closing, instruments ---------------------------------
    def tick_durations(self) -> None:
        self.halt_months_left = np.maximum(self.halt_months_left - 1, 0).astype(np.int16)
        self.restriction_months_left = np.maximum(self.restriction_months_left - 1, 0).astype(
            np.int16
        )
        self.friction = self.p.friction_memory * self.friction

    def learn_from_answers(self, month: int) -> None:
        """Update beliefs on the answer; compliance closes the episode and ends its pressure.

        Beliefs: every answer tells Moscow about Astana's resolve; the answer after an
        instrument tells it about that instrument. The assurance (Schelling 1966; Sechser
        2011): a running coercive halt and trade restriction stop when Astana complies.
        """
        kz, book = self.model.kazakhstan, self.model.episodes
        answered = self.new_demand
        complied = kz.complied
        # A quiet deed counts as compliance to the share Moscow credits it.
        credited = complied + kz.quiet * self.deed_value(self.demand)
        if np.any(self.on.learning):
            learns = np.asarray(self.on.learning) > 0
            self.answers = self.answers + (answered & learns)
            self.yields = self.yields + credited * learns
            tested = np.flatnonzero(answered & learns & (self.last_instrument >= 0))
            # Flat positions of (instrument, run): each run once, so += on them is a scatter
            # (numpy's two-array indexing on (3, R) is several times slower).
            flat = self.last_instrument[tested].astype(np.intp) * self.size + tested
            self.trials.reshape(-1)[flat] += 1.0
            self.successes.reshape(-1)[flat] += credited[tested]
        self.last_instrument = np.where(answered, -1, self.last_instrument).astype(np.int8)
        closing = complied & book.open
        if not self._always_episodic:
            closing &= np.asarray(self.on.episodes) > 0
        if closing.any():
            book.close(month, closing, Outcome.COMPLIED)
            self.need_reference = np.where(closing, self.motivation, self.need_reference)
            ends_halt = closing & self.coercive_halt
            self.halt_months_left = np.where(ends_halt, 0, self.halt_months_left).astype(np.int16)
            self.restriction_months_left = np.where(
                closing, 0, self.restriction_months_left
            ).astype(np.int16)

    def credibility_value(
        self, at: Runs = ALL, terms: AnswerTerms | None = None, now: np.ndarray | None = None
    ) -> np.ndarray:
        """Value of the credibility a punishment earns: more compliance with future demands.

        `now`: Astana's answer at today's rung and credibility, if the caller has it.
        """
        p, kz = self.p, self.model.kazakhstan
        credibility, rung = at(self.credibility), at(self.rung)
        gained = credibility + at(p.credibility_gain) * (1.0 - credibility)
        if terms is None:
            terms = kz.answer_terms(at(self.demand), at)
        if now is None:
            now = kz.answer_probability(rung, credibility, terms, at)
        then = kz.answer_probability(rung, gained, terms, at)
        demands_ahead = at(p.credibility_horizon) / at(self.deadline_months())
        return at(self.on.credibility) * (then - now) * at(self.motivation) * demands_ahead

    def attribution_chance(self, pretext: np.ndarray, at: Runs = ALL) -> np.ndarray:
        """Chance a disruption under this pretext is attributed to Moscow (1 with it off)."""
        p = self.p
        by_pretext = [
            at(x)
            for x in (
                p.attribution_storm,
                p.attribution_ordnance,
                p.attribution_court,
                p.attribution_repairs,
            )
        ]
        if all(np.ndim(x) == 0 for x in by_pretext):
            chance = np.array(by_pretext, dtype=float)[pretext]
        else:
            runs = np.arange(np.size(pretext))
            table = np.stack([np.broadcast_to(x, runs.shape) for x in by_pretext])
            chance = table[pretext, runs]
        switch = np.asarray(at(self.on.attribution))
        if switch.ndim == 0 and switch > 0:  # the usual case: np.where would only copy
            return chance
        return np.where(switch > 0, chance, 1.0)

    def disruption_cost(self, attribution: np.ndarray | float = 1.0, at: Runs = ALL) -> np.ndarray:
        """Russia's cost of a CPC disruption: fees and crude, shareholders, diversification.

        Shareholders' friction and the cost of exposure are paid only for the share attributed
        to Moscow: deniability's value (its cost is the credibility it does not earn).
        """
        p, kz = self.p, self.model.kazakhstan
        kzp = kz.p
        memory = 1.0 / (1.0 - kzp.halt_memory)
        speedup = self.on.diversification * kzp.diversification_halt * p.halt_severity * memory
        lost_leverage = self.model.params.leverage.route_weight * speedup * kz.spare_capacity()
        shareholders = at(p.shareholder_cost) * (1.0 + at(self.friction))
        return (
            at(p.cpc_cost * p.halt_severity)
            + (at(p.exposure_cost) + shareholders) * attribution
            + at(p.diversification_foresight * p.window_weight * lost_leverage)
        )

    def restriction_cost(self, at: Runs = ALL) -> np.ndarray:
        """Russia's cost of a trade restriction: its own dependence on Kazakh transit, and the
        cost of an act always attributed to it."""
        trade, p = self.model.trade, self.p
        dependence = at(trade.gray_share) / np.maximum(at(trade.p.gray_reexport), 1e-12)
        return at(p.restriction_cost) * (0.2 + dependence) + at(p.exposure_cost)

    def instrument_values(self, month: int, at: Runs = ALL) -> tuple[np.ndarray, np.ndarray]:
        """Expected net values (4, R) of nothing, a disruption, a restriction, an inducement,
        and the attribution chance of a disruption, at the runs `at`.

        Each option is valued by Moscow's belief that the next answer complies after it, times
        the content's value G, and punishments also by the credibility they earn (B, scaled by
        the instrument's believed effect and the chance of attribution a):
        U(nothing) = P_M(rung) * G;  U(halt) = theta_halt * G + e_halt * a * B - C_cpc(a);
        U(restriction) = theta_restr * G + e_restr * B - C_trade;
        U(inducement) = theta_ind * G - C_ind.
        Punishments need rung >= 2, a disruption no stoppage running.
        """
        p, on, kz = self.p, self.on, self.model.kazakhstan
        theta, effect = self.beliefs(at)
        demand, rung = at(self.demand), at(self.rung)
        # After a quiet deed only the part of the content it did not deliver is worth pressing.
        delivered = at(self.model.kazakhstan.quiet) * self.deed_value(demand, at)
        gain = self.content_gain(demand, at) * (1.0 - delivered)
        attribution = self.attribution_chance(self._pretext(month, at), at)
        terms = kz.answer_terms(demand, at)
        # Astana's answer at today's rung and credibility: both terms below need it.
        now = kz.answer_probability(rung, at(self.credibility), terms, at)
        # Punishing what was partly delivered in deed earns credibility only on the rest.
        benefit = self.credibility_value(at, terms, now) * (1.0 - delivered)
        costly = at(on.instrument_costs)
        economic = rung >= Rung.ECONOMIC
        nothing = self.expected_compliance(rung, terms, at, now) * gain
        halt = theta[0] * gain + effect[0] * attribution * benefit
        halt = halt - costly * self.disruption_cost(attribution, at)
        restrict = theta[1] * gain + effect[1] * benefit - costly * self.restriction_cost(at)
        induce = theta[2] * gain - costly * at(p.inducement_cost)
        values = np.stack(
            [
                nothing,
                np.where(economic & (at(self.halt_months_left) == 0), halt, -np.inf),
                np.where(economic, restrict, -np.inf),
                np.where(np.broadcast_to(at(on.hedging), rung.shape) > 0, induce, -np.inf),
            ]
        )
        return values, attribution

    def respond_to_refusals(self, month: int) -> None:
        """Answer a refusal: nothing, a disruption, a restriction or an inducement (quantal)."""
        p, kz, book = self.p, self.model.kazakhstan, self.model.episodes
        refused = kz.refused & (self.rung >= Rung.RHETORIC) & (self.rung < Rung.INTERVENTION)
        self.refusals += kz.refused
        index = np.flatnonzero(refused)
        if index.size == 0:
            return
        values, chance = self.instrument_values(month, Runs(index))
        choice = np.zeros(self.size, dtype=np.intp)
        choice[index] = self.quantal_at(values, "instrument", month, index)
        # Accepting a quiet deed closes the episode; it is no lapse of a threat.
        accepted = kz.quiet & refused & (choice == 0) & (np.asarray(self.on.episodes) > 0)
        book.close(month, accepted, Outcome.QUIET)
        use_cpc, use_trade, induce = choice == 1, choice == 2, choice == 3
        halting = np.flatnonzero(use_cpc)
        drawn = self.streams.uniform("attribution", month, runs=halting)
        attributed = np.zeros(self.size, dtype=bool)
        attributed[halting] = drawn < chance[np.searchsorted(index, halting)]
        if use_cpc.any():
            # The pretext of every run serves only the event log.
            pretext = self._pretext(month) if self.model.events.enabled else -1
            self._start_halts(month, use_cpc, pretext, attributed)
            book.use(use_cpc, Instrument.HALT)
        if use_trade.any():
            self._start_restrictions(use_trade)
            book.use(use_trade, Instrument.RESTRICTION)
        if induce.any():
            self._induce(induce)
            book.use(induce, Instrument.INDUCEMENT)
        self.last_instrument = np.where(choice > 0, choice - 1, self.last_instrument).astype(
            np.int8
        )
        punish = use_trade | attributed  # what Astana sees as a threat carried out
        lapsed = refused & ~kz.quiet & (choice == 0) & (self.rung >= Rung.ECONOMIC)
        learns = np.asarray(self.on.credibility) > 0
        c = self.credibility
        c = np.where(punish & learns, c + p.credibility_gain * (1.0 - c), c)
        self.credibility = np.where(lapsed & learns, c * (1.0 - p.credibility_loss), c)
        self.face_at_stake |= lapsed & (self.rung >= Rung.THREAT)

    def _induce(self, start: np.ndarray) -> None:
        """A joint project offered to buy compliance: eases the next answer, pulls alignment."""
        kz, p = self.model.kazakhstan, self.p
        kz.inducement = np.where(start, p.inducement_offset, kz.inducement)
        kz.project_pull = kz.project_pull + p.project_pull * start
        self.inducements += start
        self.log(Action.JOINT_PROJECT, start, Actor.KAZAKHSTAN, p.project_pull)

    def _start_halts(
        self, month: int, start: np.ndarray, pretext: np.ndarray | int, attributed: np.ndarray
    ) -> None:
        p, index = self.p, np.flatnonzero(start)
        # Drawn for the starting runs only: the same numbers the whole batch would give them.
        at = Runs(index)
        duration, severity = self._draw_halt(
            month, at(p.halt_mean_months), at(p.halt_severity), index
        )
        self.halt_months_left[index] = duration
        self.halt_severity[index] = severity
        self.coercive_halt[index] = True
        self.halts += start
        self.halts_attributed += attributed
        self.friction = self.friction + attributed
        self.log(Action.PIPELINE_HALT, start, Actor.KAZAKHSTAN, self.halt_severity, pretext)

    def _draw_halt(
        self, month: int, mean_months, mean_severity, runs: np.ndarray | None = None
    ) -> tuple:
        """Geometric duration with the given mean (at least a month); severity around a mean.

        With `runs` (indices), for those runs only (means given at them)."""
        stay = 1.0 - 1.0 / np.asarray(mean_months, dtype=float)
        u = self.streams.uniform("halt_duration", month, runs=runs)
        with np.errstate(divide="ignore", invalid="ignore"):
            extra = np.where(stay > 0, np.floor(np.log1p(-u) / np.log(stay)), 0.0)
        duration = 1 + np.minimum(extra, 120)
        jitter = 0.5 + self.streams.uniform("halt_severity", month, runs=runs)
        return duration, np.clip(mean_severity * jitter, 0.05, 1.0)

    def _pretext(self, month: int, at: Runs = ALL) -> np.ndarray:
        """The pretext of a disruption started now: storms in winter, else the technical ones in
        turn (after a March storm, the 2022 order: ordnance, court order, repairs)."""
        halts = at(self.halts)
        if month % 12 in STORM_MONTHS:
            return np.full(halts.shape, Pretext.STORM_DAMAGE, dtype=np.int16)
        technical = np.array(
            [Pretext.MOORING_REPAIRS, Pretext.WARTIME_ORDNANCE, Pretext.COURT_ORDER], np.int16
        )
        return technical[halts % technical.size]

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
        stopped = np.zeros(self.size, dtype=bool)
        for cause, rate in rates.items():
            lower, upper = upper, upper + rate
            hit = free & (u >= lower) & (u < upper)
            if not hit.any():
                continue
            # A few runs a month: written where they hit, in place (as a coercive halt starts).
            self.halt_months_left[hit] = 1
            self.halt_severity[hit] = np.broadcast_to(d.severity, hit.shape)[hit]
            self.coercive_halt[hit] = False
            self.other_halts += hit
            stopped = stopped | hit
            self.model.events.add(
                month, hit, Actor.OTHER, Actor.KAZAKHSTAN, Action.CPC_DISRUPTION, self.rung,
                d.severity, int(cause),
            )  # fmt: skip
        if stopped.any():
            self._misread(month, stopped)

    def _misread(self, month: int, hit: np.ndarray) -> None:
        """Astana sometimes reads a stoppage with another cause as coercion (Rid & Buchanan
        2015): its belief that Moscow carries out threats rises as if it had punished."""
        chance = np.broadcast_to(
            self.on.attribution * self.model.kazakhstan.p.misattribution, (self.size,)
        )
        index = np.flatnonzero(hit)
        drawn = self.streams.uniform("misread", month, runs=index) < chance[index]
        misread = np.zeros(self.size, dtype=bool)
        misread[index[drawn]] = True
        if not misread.any():
            return
        self.misread += misread
        if np.any(self.on.credibility):
            c, gain = self.credibility, self.p.credibility_gain
            learns = np.asarray(self.on.credibility) > 0
            self.credibility = np.where(misread & learns, c + gain * (1.0 - c), c)


#: The partners whose responses Russia anticipates (set here to avoid an import cycle).
PEERS = (Actor.CHINA, Actor.TURKEY, Actor.EU)
