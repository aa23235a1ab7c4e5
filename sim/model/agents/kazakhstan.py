"""Kazakhstan: a strategic hedger that answers demands, diversifies, arms, reforms and drifts.

Each month Kazakhstan
1. answers a new Russian demand by complying, accommodating quietly in deed while refusing in
   word, or refusing, weighing the expected cost of refusing (Moscow's credibility times the
   damage of its posture, less what credible partner offers offset, times its belief that
   compliance ends the pressure) against the cost of complying with that demand's content
   (Axelrod 1995; Schelling 1966; Kuik 2008), and learns whether Moscow keeps its assurance;
2. remembers disruptions and orders alternative export capacity up to each route's ceiling
   (the capacity existing or contracted in 2022), which comes into use after a lead time drawn
   per run (the sanctions paradox: Drezner 1998, 1999);
3. loses oil revenue for the share of CPC flow stopped;
4. moves defence towards a target set by the threat it perceives, plus delivered arms;
5. reforms, and nationalism follows reforms and pressure with a long lag (domestic channel);
6. moves its alignment towards a hedging target that Russian trade and joint projects raise and
   partners' offers, nationalism and coercion lower: it can move back towards Moscow
   (Kuik 2008; Cooley 2012); its war stance relaxes to its domestic level;
7. sometimes sees unrest, which shifts its course away from Moscow;
8. adjusts its selective enforcement of Western sanctions, and sometimes refuses in public to
   back the war (both are acts Moscow may answer with a demand);
9. leaves the CSTO or the EAEU when the scenario says so or alignment has collapsed.
The equations are in docs/ODD.md, section "Submodels".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.agents.base import ALL, EnsembleAgent, Runs, logistic, pick
from sim.model.episodes import Trigger
from sim.model.ladder import TOP_RUNG, Action, Actor, Demand, Rung

#: Months of the public refusals of 2022 the source analysis records (month 0 = March 2022):
#: the anti-war rally and the ban on war symbols (March), the cancelled Victory Day parades
#: (May), the refusal to recognise the statelets at the St Petersburg forum (June), the refusal
#: to recognise the annexations (September).
STATEMENTS_2022 = (0, 2, 3, 6)


class Kazakhstan(EnsembleAgent):
    """Kazakhstan's state per run: positions, export routes, revenue, defence, polity, blocs."""

    actor = Actor.KAZAKHSTAN

    def __init__(self, model) -> None:
        super().__init__(model, "kazakhstan")
        p = self.p
        self.on = model.params.mechanisms
        self.alignment = self.full(p.initial_alignment)
        self.war_stance = self.full(p.initial_war_stance)
        self.project_pull = np.zeros(self.size)  # pull of Russian joint projects, decaying
        self.course_shift = np.zeros(self.size)  # lasting shift of course after unrest
        self.caspian_ceiling = self._ceiling("caspian", "caspian_ceiling")
        self.china_ceiling = self._ceiling("china", "china_ceiling")
        self.trans_caspian_capacity = self.full(p.initial_trans_caspian_share)
        self.china_capacity = self.full(p.initial_china_share)
        self._russian_cpc_fraction = p.initial_cpc_share / (
            1.0 - p.initial_trans_caspian_share - p.initial_china_share
        )
        self._update_route_shares()
        self.caspian_lead = self._lead_time("caspian")
        self.china_lead = self._lead_time("china")
        self._caspian_orders = RouteOrders(self.caspian_lead)
        self._china_orders = RouteOrders(self.china_lead)
        self.partner_orders = {"caspian": np.zeros(self.size), "china": np.zeros(self.size)}
        self.arms_stock = np.zeros(self.size)
        self.halt_memory = np.zeros(self.size)
        self.oil_revenue = p.oil_revenue_base * (
            1.0 - p.alternative_route_cost * self.alternative_share
        )
        self.revenue_lost = np.zeros(self.size)  # to CPC stoppages
        self.route_cost = np.zeros(self.size)  # given up by shipping on costlier routes
        self.defence = self.full(p.initial_defence)
        self.threat = np.zeros(self.size)
        self.reform = self.full(p.initial_reform)
        self.nationalism = self.full(p.initial_nationalism)
        self.pressure = np.zeros(self.size)  # slow memory of Russian pressure (rung / 5)
        self.sanctions_enforcement = self.full(p.initial_sanctions_enforcement)
        self.sanctions_pressure = np.zeros(self.size)  # set by the EU each month
        self.leader_support = np.ones(self.size)
        self.in_csto = np.ones(self.size, dtype=bool)
        self.in_eaeu = np.ones(self.size, dtype=bool)
        self.left_bloc = np.zeros(self.size, dtype=bool)
        self.complied = np.zeros(self.size, dtype=bool)
        self.quiet = np.zeros(self.size, dtype=bool)  # accommodated in deed, refused in word
        self.quiet_deeds = np.zeros(self.size, dtype=np.int32)
        self.statements = np.zeros(self.size, dtype=np.int32)  # public refusals
        self._runs = np.arange(self.size)
        self._deeds_everywhere = bool(np.all(self.on.deeds))
        self._terms: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._month_parts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.refused = np.zeros(self.size, dtype=bool)
        # Acts Moscow opposes, read by it the next month. The refusal to recognise the
        # statelets and to join the war (February 2022) is the first.
        self.public_refusal = np.ones(self.size, dtype=bool)
        self.enforcement_stepped = np.zeros(self.size, dtype=bool)
        self.inducement = np.zeros(self.size)  # eases the next answer (a joint project)
        # Astana's belief that compliance ends the pressure (Beta counts of kept and broken
        # assurances) and the compliance under watch: its content and the end of its window.
        self.assurance_kept = np.zeros(self.size)
        self.assurance_broken = np.zeros(self.size)
        self.watch_content = np.full(self.size, -1, dtype=np.int8)
        self.watch_until = np.zeros(self.size, dtype=np.int32)

    def _ceiling(self, stream: str, name: str) -> np.ndarray:
        """Each run's capacity ceiling, uniform between the low and high parameter.

        With capacity_limits off, a route may grow to carry all exports.
        """
        low, high = getattr(self.p, f"{name}_low"), getattr(self.p, f"{name}_high")
        drawn = low + (high - low) * self.streams.uniform(f"ceiling_{stream}", 0)
        return np.where(np.asarray(self.on.capacity_limits) > 0, drawn, 1.0)

    def _lead_time(self, route: str) -> np.ndarray:
        """Each run's lead time (whole months) from ordering capacity on a route to its use."""
        low = np.asarray(getattr(self.p, f"{route}_lead_low"), dtype=float)
        high = np.asarray(getattr(self.p, f"{route}_lead_high"), dtype=float)
        span = np.maximum(high - low + 1.0, 1.0)
        lead = low + np.floor(self.streams.uniform(f"lead_{route}", 0) * span)
        return np.broadcast_to(lead, (self.size,)).astype(int)

    def answer(self, month: int) -> None:
        """Phase before Russia enforces: judge the last assurance, answer a new demand."""
        self.judge_assurance(month)
        self.answer_demand(month)

    def act(self, month: int) -> None:
        """Phase after Russia enforces: routes, revenue, defence, polity, alignment, blocs."""
        self._month_parts = None  # routes move now: the month's terms no longer hold
        self.diversify(month)
        self.earn_oil_revenue()
        self.arm()
        self.reform_and_nationalise()
        self.risk_unrest(month)
        self.hedge(month)
        self.enforce_sanctions()
        self.speak(month)
        self.decide_memberships(month)
        self.leader_support += self.p.support_recovery * (1.0 - self.leader_support)

    # --- 1. demand or comply -----------------------------------------------------------------
    def exposure(self) -> np.ndarray:
        """How much of Kazakhstan's economy Russia can hurt: oil routes and trade, halves."""
        return 0.5 * self.via_russia_share + 0.5 * self.model.trade.russia_share

    def offsets(self, offer: np.ndarray) -> np.ndarray:
        """Share of the damage of refusing that credible partner offers offset."""
        return self.on.partner_offers * self.p.protection * np.minimum(offer, 1.0)

    def comply_costs(self) -> np.ndarray:
        """Cost of complying with a demand of each content, shape (3, R) in `Demand` order."""
        p = self.p
        sovereignty = (
            p.sovereignty_cost
            * 0.5
            * (self.nationalism + self.reform)
            * (2.0 - self.leader_support)
        )
        sanctions = p.secondary_sanctions_cost * (0.5 + (self.sanctions_pressure > 0))
        war = sovereignty + p.war_stance_cost
        costs = np.empty((len(Demand), self.size))
        costs[Demand.ENDORSE_WAR], costs[Demand.EVADE_SANCTIONS] = war, sanctions
        costs[Demand.BLOC_LOYALTY] = sovereignty
        return costs

    def comply_cost(self, content: np.ndarray) -> np.ndarray:
        """Cost of complying with a demand of this content (`Demand`)."""
        content = np.broadcast_to(np.asarray(content, dtype=np.intp), (self.size,))
        return pick(self.comply_costs(), content, self._runs)

    def assurance(self) -> np.ndarray:
        """Astana's belief that complying ends the pressure: a Beta-Bernoulli posterior mean."""
        p = self.p
        n0 = p.assurance_strength
        return (n0 * p.assurance_prior + self.assurance_kept) / (
            n0 + self.assurance_kept + self.assurance_broken
        )

    def judge_assurance(self, month: int) -> None:
        """A new demand on the content Astana complied with, opened within the window with no
        new Kazakh act to provoke it (on Moscow's own need), breaks the assurance; the window
        passing without one keeps it (Schelling 1966; Sechser 2011)."""
        watching = self.watch_content >= 0
        if not watching.any():
            return
        russia, book = self.model.russia, self.model.episodes
        unprovoked = russia.opened_now & (book.trigger == Trigger.MOSCOW_NEED)
        broken = watching & unprovoked & (russia.demand == self.watch_content)
        kept = watching & ~broken & (month >= self.watch_until)
        learns = np.asarray(self.on.learning) > 0
        self.assurance_broken = self.assurance_broken + (broken & learns)
        self.assurance_kept = self.assurance_kept + (kept & learns)
        self.watch_content = np.where(broken | kept, -1, self.watch_content).astype(np.int8)

    def refresh_terms(self, month_start: bool = False) -> None:
        """Fix the terms of this phase of the month (Russia's decisions read them many times).

        `month_start` (Moscow's first decision) also fixes the parts that hold until Astana's
        own moves (`_month_terms`); the answer and Moscow's enforcement reuse them.
        """
        if month_start or self._month_parts is None:
            self._month_parts = self._month_terms()
        self._terms = self._phase_terms()

    def forget_terms(self) -> None:
        self._terms = None

    def _month_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Damage per rung before assurance, and the shares the economic and security offers
        leave: exposure moves only with routes and trade (Astana's own moves and next month's
        trade), the offers are weighed before Moscow acts."""
        scaled = self.p.damage_scale / TOP_RUNG * self.exposure()
        # Economic offers offset the economic part of the damage, security offers the military.
        economic = self.offsets(self.model.economic_offer)
        security = self.offsets(self.model.security_offer)
        return scaled, 1.0 - economic, 1.0 - security

    def _phase_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Damage per rung (economic, security offers netted out) and the cost of each content."""
        scaled, keep_economic, keep_security = self._month_parts or self._month_terms()
        scale = scaled * self.assurance()
        return scale * keep_economic, scale * keep_security, self.comply_costs()

    def answer_terms(self, content: np.ndarray, at: Runs = ALL) -> AnswerTerms:
        """What Astana weighs when it answers a demand of this content, at today's state.

        Complying spares the damage only if Moscow keeps its assurance: the damage of refusing
        is weighed by Astana's belief in it; an inducement eases the cost of complying.
        `content` is given at the runs `at`.
        """
        economic, security, costs = self._terms or self._phase_terms()
        runs = at.positions(self._runs)
        if np.ndim(content) == 0:
            content = np.full(runs.size, content, dtype=np.intp)
        cost = pick(costs, content, runs) - at(self.inducement)
        quiet = at(self.p.quiet_cost_share) * costs[Demand.EVADE_SANCTIONS].take(runs)
        deed = self.model.russia.deed_value(content, at)
        return AnswerTerms(at(economic), at(security), cost, deed, quiet)

    def answer_shares(
        self, level: np.ndarray, credibility: np.ndarray, terms: AnswerTerms, at: Runs = ALL
    ) -> tuple[np.ndarray, np.ndarray]:
        """P(comply) and P(quiet deed): a logit over refusing, complying and a quiet deed.

        Threat T = credibility * damage_scale / 5 * exposure * (min(rung, 3) * (1 - economic
        offset) + max(rung - 3, 0) * (1 - security offset)): the damage of rungs 1-3 is
        economic and political, that of rungs 4-5 military, and each partner offer offsets its
        own part at every rung. U(refuse) = 0, U(comply) = T - cost, U(quiet) = v * T -
        quiet_cost (Moscow credits a deed a share v), each over comply_noise. Russia evaluates
        its options with this same function: it sees what Kazakhstan sees.
        """
        # Moscow calls this a dozen times a month on thousands of runs: the arithmetic below is
        # the formula's, in its order, written in place to spare the temporaries.
        threat = np.minimum(level, Rung.THREAT) * terms.economic
        threat += np.maximum(level - Rung.THREAT, 0) * terms.security
        threat *= credibility
        noise = at(self.p.comply_noise)
        # |utility| stays far below exp's overflow (damage and costs are bounded, noise >= 0.05).
        complies = threat - terms.cost
        complies /= noise
        np.exp(complies, out=complies)
        deeds = terms.deed_value * threat
        deeds -= terms.quiet_cost
        deeds /= noise
        np.exp(deeds, out=deeds)
        if not self._deeds_everywhere:
            deeds = np.where(np.asarray(at(self.on.deeds)) > 0, deeds, 0.0)
        total = 1.0 + complies
        total += deeds
        complies /= total
        deeds /= total
        return complies, deeds

    def answer_probability(
        self, level: np.ndarray, credibility: np.ndarray, terms: AnswerTerms, at: Runs = ALL
    ) -> np.ndarray:
        """The compliance Moscow expects: P(comply) + v * P(quiet deed) (it values deeds by
        the demand's content)."""
        complies, deeds = self.answer_shares(level, credibility, terms, at)
        return complies + terms.deed_value * deeds

    def comply_probability(
        self, level: np.ndarray, content: np.ndarray, credibility: np.ndarray
    ) -> np.ndarray:
        """P(comply) with a demand of this content backed by rung `level`."""
        return self.answer_probability(level, credibility, self.answer_terms(content))

    def answer_demand(self, month: int) -> None:
        p, russia = self.p, self.model.russia
        demand, content = russia.new_demand, russia.demand
        # Only the runs with a new demand answer: their shares and draws alone (the numbers the
        # whole batch would give them).
        index = np.flatnonzero(demand)
        at = Runs(index)
        complies, deeds = self.answer_shares(
            at(russia.rung), at(russia.credibility), self.answer_terms(at(content), at), at
        )
        u = self.streams.uniform("comply", month, runs=index)
        comply = np.zeros(self.size, dtype=bool)
        quiet = np.zeros(self.size, dtype=bool)
        comply[index] = u < complies
        quiet[index] = ~comply[index] & (u < complies + deeds)
        self.quiet = quiet
        self.quiet_deeds += quiet
        self.refused = (demand & ~comply) | russia.defiance  # in word: quiet deeds included
        self.inducement = np.where(demand, 0.0, self.inducement)  # spent on this answer
        self.watch_content = np.where(comply, content, self.watch_content).astype(np.int8)
        self.watch_until = np.where(comply, month + p.assurance_window, self.watch_until)
        step = p.comply_step * comply
        self.war_stance = np.where(
            content == Demand.ENDORSE_WAR, self.war_stance + step * (1.0 - self.war_stance),
            self.war_stance,
        )  # fmt: skip
        # A compliance on sanctions, or a quiet deed on any content, leaves more unenforced.
        deed = np.where(content == Demand.EVADE_SANCTIONS, step, 0.0) + p.comply_step * quiet
        self.sanctions_enforcement = self.sanctions_enforcement * (1.0 - deed)
        self.alignment = np.where(
            content == Demand.BLOC_LOYALTY, self.alignment + step * (1.0 - self.alignment),
            self.alignment,
        )  # fmt: skip
        self.leader_support = np.where(
            comply,
            self.leader_support - p.subservience_penalty * self.nationalism,
            self.leader_support,
        ).clip(0.0, 1.0)
        self.complied = comply
        self.log(Action.KAZAKH_COMPLY, comply, Actor.RUSSIA, 0.0, content)
        self.log(Action.KAZAKH_RESIST, self.refused, Actor.RUSSIA, 0.0, content)
        self.log(Action.KAZAKH_QUIET_DEED, quiet, Actor.RUSSIA, p.comply_step, content)

    # --- 2-3. routes and revenue -------------------------------------------------------------
    def spare_capacity(self) -> np.ndarray:
        """Capacity still to be built under both ceilings (share of exports)."""
        return self._spare("caspian") + self._spare("china")

    def _spare(self, route: str) -> np.ndarray:
        if route == "caspian":
            built, ceiling, orders = (
                self.trans_caspian_capacity,
                self.caspian_ceiling,
                self._caspian_orders,
            )
        else:
            built, ceiling, orders = self.china_capacity, self.china_ceiling, self._china_orders
        return np.maximum(ceiling - built - orders.pending, 0.0)

    def diversify(self, month: int) -> None:
        """Order a share of each route's spare capacity (base + halts + partners); build."""
        p = self.p
        self.halt_memory = p.halt_memory * self.halt_memory + self.model.russia.halt_cut
        pace = p.diversification_base + self.on.diversification * (
            p.diversification_halt * self.halt_memory
        )
        for route, orders in (("caspian", self._caspian_orders), ("china", self._china_orders)):
            share = np.minimum(pace + self.partner_orders[route], 1.0)
            orders.place(month, share * self._spare(route))
            self.partner_orders[route] = np.zeros(self.size)
        self.trans_caspian_capacity = self.trans_caspian_capacity + self._caspian_orders.deliver(
            month
        )
        self.china_capacity = self.china_capacity + self._china_orders.deliver(month)
        opens = month == p.tc_pipeline_month  # a month parameter; never equal while null
        if np.any(opens):
            added = np.where(opens, p.tc_pipeline_capacity, 0.0)
            self.trans_caspian_capacity = self.trans_caspian_capacity + added
            self.caspian_ceiling = self.caspian_ceiling + added
            self.log(
                Action.ROUTE_INVESTMENT,
                np.broadcast_to(opens, (self.size,)),
                Actor.EU,
                p.tc_pipeline_capacity,
            )
        self._update_route_shares()

    def _update_route_shares(self) -> None:
        """Routes avoiding Russia carry their capacity; the rest crosses Russia (mostly CPC)."""
        self.alternative_share = np.minimum(self.trans_caspian_capacity + self.china_capacity, 1.0)
        self.trans_caspian_share = np.minimum(self.trans_caspian_capacity, self.alternative_share)
        self.china_share = self.alternative_share - self.trans_caspian_share
        self.via_russia_share = 1.0 - self.alternative_share
        self.cpc_share = self.via_russia_share * self._russian_cpc_fraction
        self.other_russian_share = self.via_russia_share - self.cpc_share

    def earn_oil_revenue(self) -> None:
        p = self.p
        lost_share = self.model.russia.halt_cut * self.cpc_share
        self.oil_revenue = p.oil_revenue_base * (
            1.0 - lost_share - p.alternative_route_cost * self.alternative_share
        )
        self.revenue_lost = self.revenue_lost + p.oil_revenue_base * lost_share
        self.route_cost = self.route_cost + (
            p.oil_revenue_base * p.alternative_route_cost * self.alternative_share
        )

    # --- 4. defence --------------------------------------------------------------------------
    def arm(self) -> None:
        p, war = self.p, self.model.war
        rung_threat = self.model.russia.rung / TOP_RUNG
        self.threat = np.maximum(rung_threat, p.war_alarm * war.ongoing)
        target = p.initial_defence * (1.0 + p.defence_response * self.threat) + self.arms_stock
        self.defence = self.defence + p.defence_adjust * (target - self.defence)

    # --- 5. polity ---------------------------------------------------------------------------
    def reform_and_nationalise(self) -> None:
        p, on = self.p, self.on.domestic
        self.reform = self.reform + p.reform_pace * (1.0 - self.reform)
        self.pressure += p.pressure_adjust * (self.model.russia.rung / TOP_RUNG - self.pressure)
        target = p.initial_nationalism + on * (
            p.reform_to_nationalism * (self.reform - p.initial_reform)
            + p.pressure_to_nationalism * self.pressure
        )
        self.nationalism = np.clip(
            self.nationalism + p.nationalism_adjust * (target - self.nationalism), 0.0, 1.0
        )

    # --- 6. hedging --------------------------------------------------------------------------
    def hedging_target(self) -> np.ndarray:
        """A* = A0 + trade pull + projects - offers - nationalism - coercion + course shift."""
        p, model = self.p, self.model
        trade = model.trade
        offers = self.on.partner_offers * (
            model.economic_offer + np.minimum(model.security_offer, 1.0)
        )
        moved = (
            p.trade_pull * (trade.russia_share - trade.initial_russia_share)
            + self.project_pull
            - p.multivector * offers
            - p.nationalism_push * (self.nationalism - p.initial_nationalism)
            - p.coercion_push * self.pressure
        )
        return np.clip(p.initial_alignment + self.on.hedging * moved + self.course_shift, 0.0, 1.0)

    def hedge(self, month: int) -> None:
        """Alignment moves towards the hedging target, with shocks; the war stance relaxes."""
        p = self.p
        self.project_pull = self.model.russia.p.project_memory * self.project_pull
        shock = p.alignment_volatility * self.streams.normal("alignment_shock", month)
        step = p.alignment_adjust * (self.hedging_target() - self.alignment)
        self.alignment = np.clip(self.alignment + step + shock, 0.0, 1.0)
        self.war_stance = self.war_stance + p.stance_adjust * (
            p.initial_war_stance - self.war_stance
        )

    def risk_unrest(self, month: int) -> None:
        """Unrest grows likelier with nationalism and a leader seen as subservient."""
        p = self.p
        strain = np.maximum(self.nationalism - p.initial_nationalism, 0.0) + (
            1.0 - self.leader_support
        )
        chance = self.on.unrest * np.minimum(
            p.unrest_rate * np.exp(p.unrest_sensitivity * strain), 1.0
        )
        unrest = self.streams.chance("unrest", month, chance)
        self.course_shift = self.course_shift - p.unrest_shock * unrest
        self.log(Action.UNREST, unrest, Actor.KAZAKHSTAN)

    def speak(self, month: int) -> None:
        """A public refusal to back the war (a statement, a UN vote), likelier the further the
        stance is from endorsement; Moscow reads it next month (a trigger)."""
        p, war = self.p, self.model.war
        distance = (1.0 - self.war_stance) / np.maximum(1.0 - p.initial_war_stance, 1e-6)
        chance = war.ongoing * np.minimum(p.statement_rate * distance, 1.0)
        scripted = (month in STATEMENTS_2022) & (np.asarray(p.scripted_statements) > 0)
        scripted = scripted & war.ongoing
        self.public_refusal = scripted | self.streams.chance("statement", month, chance)
        self.statements += self.public_refusal
        self.log(Action.KAZAKH_STATEMENT, self.public_refusal, Actor.RUSSIA)

    # --- 8. sanctions ------------------------------------------------------------------------
    def enforce_sanctions(self) -> None:
        """Enforcement moves towards a target raised by EU pressure, lowered by alignment."""
        p = self.p
        target = np.clip(
            p.initial_sanctions_enforcement
            + self.sanctions_pressure
            - p.enforcement_alignment * (self.alignment - p.initial_alignment),
            0.0,
            1.0,
        )
        step = p.sanctions_adjust * (target - self.sanctions_enforcement)
        self.sanctions_enforcement = self.sanctions_enforcement + step
        self.enforcement_stepped = step > p.enforcement_step

    # --- 9. blocs ----------------------------------------------------------------------------
    def decide_memberships(self, month: int) -> None:
        p = self.p
        thinkable = p.exit_hazard * logistic((p.exit_alignment - self.alignment) / p.exit_width)
        leave_csto = self.in_csto & (
            (month == p.csto_exit_month) | self.streams.chance("leave_csto", month, thinkable)
        )
        leave_eaeu = self.in_eaeu & (
            (month == p.eaeu_exit_month) | self.streams.chance("leave_eaeu", month, thinkable)
        )
        self.in_csto = self.in_csto & ~leave_csto
        self.in_eaeu = self.in_eaeu & ~leave_eaeu
        self.left_bloc = leave_csto | leave_eaeu
        self.log(Action.LEAVE_CSTO, leave_csto, Actor.RUSSIA)
        self.log(Action.LEAVE_EAEU, leave_eaeu, Actor.RUSSIA)


@dataclass(frozen=True)
class AnswerTerms:
    """The terms of Kazakhstan's answer, fixed within a month (docs/ODD.md 7.11).

    economic, security: the damage of refusing per rung (credibility 1), with the partners'
    economic or security offers netted out; cost: the cost of complying with the content;
    deed_value, quiet_cost: what a quiet deed is worth to Moscow and costs Astana.
    """

    economic: np.ndarray
    security: np.ndarray
    cost: np.ndarray
    deed_value: np.ndarray  # share of the content Moscow credits to a quiet deed (0: none)
    quiet_cost: np.ndarray  # Astana's cost of accommodating quietly in deed


class RouteOrders:
    """Export capacity on order: what is ordered in month t comes into use in t + lag.

    A ring buffer of shape (max lag + 1, R) indexed by the month an order is placed; each run
    may have its own lag. An order placed in month t is read back once, in month t + lag, before
    its slot is written again (lag < slots), so placing is a row write and delivering a gather
    rather than a scatter-add. ``place`` and ``deliver`` are called every month, in that order.
    ``pending`` is the capacity ordered and not yet delivered.
    """

    def __init__(self, lag: np.ndarray) -> None:
        lag = np.asarray(lag, dtype=np.intp)
        self._slots = int(lag.max()) + 1
        self._buffer = np.zeros((self._slots, lag.size))
        # Flat position of run r's order from `lag` months ago, less the slot of this month.
        self._back = np.arange(lag.size) - lag * lag.size
        self.pending = np.zeros(lag.size)

    def place(self, month: int, amount: np.ndarray) -> None:
        self._buffer[month % self._slots] = amount
        self.pending = self.pending + amount

    def deliver(self, month: int) -> np.ndarray:
        # (back + slot * R) modulo the buffer's size: with 0 <= lag < slots the sum lies within
        # one size of [0, size), so adding the size where it is negative is the modulo, without
        # an integer division.
        flat = self._back + (month % self._slots) * self._buffer.shape[1]
        flat[flat < 0] += self._buffer.size
        built = self._buffer.reshape(-1)[flat]
        self.pending = self.pending - built
        return built
