"""Kazakhstan: absorbs pressure, complies or resists, diversifies, arms, reforms and drifts.

Each month Kazakhstan
1. answers any new Russian demand by complying (placating) or resisting (Axelrod 1995);
2. remembers pipeline halts and orders alternative export capacity, which comes into use after
   a lag (the sanctions paradox: halts erode the leverage that made them work, Drezner 1998);
3. loses oil revenue for the share of CPC flow halted;
4. moves defence towards a target set by the threat it perceives, plus delivered arms;
5. reforms, and nationalism follows reforms and pressure with a long lag (domestic channel);
6. drifts away from Moscow (multi-vector policy, nationalism, trade with others), with random
   shocks, and sometimes unrest that pushes it further away;
7. adjusts its selective enforcement of Western sanctions;
8. leaves the CSTO or the EAEU when the scenario says so or alignment has collapsed.
The equations are in docs/ODD.md, section "Submodels".
"""

from __future__ import annotations

import numpy as np

from sim.agents.base import EnsembleAgent
from sim.agents.russia import logistic
from sim.ladder import TOP_RUNG, Action, Actor


class Kazakhstan(EnsembleAgent):
    """Kazakhstan's state per run: alignment, export routes, revenue, defence, polity, blocs."""

    actor = Actor.KAZAKHSTAN

    def __init__(self, model) -> None:
        super().__init__(model, "kazakhstan")
        p = self.p
        self.alignment = self.full(p.initial_alignment)
        self.trans_caspian_capacity = self.full(p.initial_trans_caspian_share)
        self.china_capacity = self.full(p.initial_china_share)
        self._russian_cpc_fraction = p.initial_cpc_share / (
            1.0 - p.initial_trans_caspian_share - p.initial_china_share
        )
        self._update_route_shares()
        lag = np.broadcast_to(np.asarray(p.route_lag, dtype=int), (self.size,))
        self._orders = RouteOrders(lag)
        self.partner_orders = np.zeros(self.size)  # capacity partners order this month
        self.arms_stock = np.zeros(self.size)
        self.halt_memory = np.zeros(self.size)
        self.oil_revenue = p.oil_revenue_base * (
            1.0 - p.alternative_route_cost * self.alternative_share
        )
        self.revenue_lost = np.zeros(self.size)
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

    def act(self, month: int) -> None:
        self.answer_demand(month)
        self.diversify(month)
        self.earn_oil_revenue()
        self.arm()
        self.reform_and_nationalise()
        self.drift(month)
        self.risk_unrest(month)
        self.enforce_sanctions()
        self.decide_memberships(month)
        self.leader_support += self.p.support_recovery * (1.0 - self.leader_support)

    # --- 1. demand or comply -----------------------------------------------------------------
    def exposure(self) -> np.ndarray:
        """How much of Kazakhstan's economy Russia can hurt: oil routes and trade, halves."""
        return 0.5 * self.via_russia_share + 0.5 * self.model.trade.russia_share

    def comply_probability(self, rung: np.ndarray) -> np.ndarray:
        """Logit of (cost of resisting - cost of complying), Axelrod's demand-or-comply."""
        p = self.p
        protection = p.protection * np.minimum(self.model.backing, 1.0)
        resist_cost = p.damage_scale * (rung / TOP_RUNG) * self.exposure() * (1.0 - protection)
        sovereignty = 0.5 * (self.nationalism + self.reform)
        comply_cost = p.sovereignty_cost * sovereignty * (2.0 - self.leader_support)
        return logistic((resist_cost - comply_cost) / p.comply_noise)

    def answer_demand(self, month: int) -> None:
        p, russia = self.p, self.model.russia
        demand = russia.new_demand
        comply = demand & self.streams.chance("comply", month, self.comply_probability(russia.rung))
        resist = demand & ~comply
        self.alignment = np.where(
            comply,
            self.alignment + p.comply_step * (1.0 - self.alignment),
            self.alignment * np.where(resist, 1.0 - p.resist_step, 1.0),
        )
        self.leader_support = np.where(
            comply,
            self.leader_support - p.subservience_penalty * self.nationalism,
            self.leader_support,
        ).clip(0.0, 1.0)
        self.complied = comply
        self.log(Action.KAZAKH_COMPLY, comply, Actor.RUSSIA)
        self.log(Action.KAZAKH_RESIST, resist, Actor.RUSSIA)

    # --- 2-3. routes and revenue -------------------------------------------------------------
    def diversify(self, month: int) -> None:
        """Order capacity (base + halts + drift + partners); commission what is due."""
        p = self.p
        self.halt_memory = p.halt_memory * self.halt_memory + self.model.russia.halt_cut
        ordered = (
            p.diversification_base
            + p.diversification_halt * self.halt_memory
            + p.diversification_drift * (1.0 - self.alignment)
            + self.partner_orders
        )
        self.partner_orders = np.zeros(self.size)
        self._orders.place(month, ordered)
        built = self._orders.deliver(month)
        self.china_capacity = self.china_capacity + p.china_route_fraction * built
        self.trans_caspian_capacity = (
            self.trans_caspian_capacity + (1.0 - p.china_route_fraction) * built
        )
        opens = month == p.tc_pipeline_month  # a month parameter; never equal while null
        if np.any(opens):
            self.trans_caspian_capacity = self.trans_caspian_capacity + np.where(
                opens, p.tc_pipeline_capacity, 0.0
            )
            self.log(
                Action.ROUTE_INVESTMENT,
                np.broadcast_to(opens, (self.size,)),
                Actor.EU,
                p.tc_pipeline_capacity,
            )
        self._update_route_shares()

    def _update_route_shares(self) -> None:
        """Routes avoiding Russia carry what they can; the rest crosses Russia (mostly CPC)."""
        alternative = self.trans_caspian_capacity + self.china_capacity
        self.alternative_share = np.minimum(alternative, self.p.max_alternative_share)
        scale = self.alternative_share / np.maximum(alternative, 1e-12)
        self.trans_caspian_share = self.trans_caspian_capacity * scale
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

    # --- 4. defence --------------------------------------------------------------------------
    def arm(self) -> None:
        p, war = self.p, self.model.war
        rung_threat = self.model.russia.rung / TOP_RUNG
        self.threat = np.maximum(rung_threat, p.war_alarm * war.ongoing)
        target = p.initial_defence * (1.0 + p.defence_response * self.threat) + self.arms_stock
        self.defence = self.defence + p.defence_adjust * (target - self.defence)

    # --- 5-6. polity and drift ---------------------------------------------------------------
    def reform_and_nationalise(self) -> None:
        p = self.p
        self.reform = self.reform + p.reform_pace * (1.0 - self.reform)
        self.pressure += p.pressure_adjust * (self.model.russia.rung / TOP_RUNG - self.pressure)
        target = (
            p.initial_nationalism
            + p.reform_to_nationalism * (self.reform - p.initial_reform)
            + p.pressure_to_nationalism * self.pressure
        )
        self.nationalism = np.clip(
            self.nationalism + p.nationalism_adjust * (target - self.nationalism), 0.0, 1.0
        )

    def drift(self, month: int) -> None:
        """Monthly loss of alignment (pace + nationalism + trade with others), plus a shock."""
        p, trade = self.p, self.model.trade
        rise_nationalism = np.maximum(self.nationalism - p.initial_nationalism, 0.0)
        rise_other_trade = np.maximum(trade.initial_russia_share - trade.russia_share, 0.0)
        rate = (
            p.drift_pace + p.nationalism_drift * rise_nationalism + p.trade_drift * rise_other_trade
        )
        shock = p.alignment_volatility * self.streams.normal("alignment_shock", month)
        self.alignment = np.clip(self.alignment * (1.0 - rate) + shock, 0.0, 1.0)

    def risk_unrest(self, month: int) -> None:
        """Unrest grows likelier with nationalism and a leader seen as subservient."""
        p = self.p
        strain = np.maximum(self.nationalism - p.initial_nationalism, 0.0) + (
            1.0 - self.leader_support
        )
        chance = np.minimum(p.unrest_rate * np.exp(p.unrest_sensitivity * strain), 1.0)
        unrest = self.streams.chance("unrest", month, chance)
        self.alignment = np.where(unrest, self.alignment * (1.0 - p.unrest_shock), self.alignment)
        self.log(Action.UNREST, unrest, Actor.KAZAKHSTAN)

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
        self.sanctions_enforcement = self.sanctions_enforcement + p.sanctions_adjust * (
            target - self.sanctions_enforcement
        )

    # --- 8. blocs ----------------------------------------------------------------------------
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


class RouteOrders:
    """Export capacity on order: what is ordered in month t comes into use in t + lag.

    A ring buffer of shape (max lag + 1, R); each run may have its own lag.
    """

    def __init__(self, lag: np.ndarray) -> None:
        self._lag = lag
        self._slots = int(lag.max()) + 1
        self._buffer = np.zeros((self._slots, lag.size))
        self._runs = np.arange(lag.size)

    def place(self, month: int, amount: np.ndarray) -> None:
        self._buffer[(month + self._lag) % self._slots, self._runs] += amount

    def deliver(self, month: int) -> np.ndarray:
        slot = month % self._slots
        built = self._buffer[slot].copy()
        self._buffer[slot] = 0.0
        return built
