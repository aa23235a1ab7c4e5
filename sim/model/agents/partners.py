"""China, Turkey and the EU: pledges, deliveries, and what Moscow learns from them.

Each month a partner with no open pledge may pledge support to Kazakhstan, more often the
higher Russia climbs and, for the EU, the more Kazakhstan enforces Western sanctions; less often
the more it wishes to avoid a rupture with Moscow. A pledge falls due after a lag and is
delivered with the partner's reliability, less what its rupture aversion withholds at Russia's
current rung. Delivery brings investment in export routes or arms. Moscow keeps, per partner,
two beliefs: the chance the partner acts against force (security) and against economic coercion
(economic). An open pledge is cheap talk; each delivery moves the beliefs in proportion to its
cost and each broken pledge lowers them (Fearon 1997; Huth 1988; Slantchev 2003). China's cost
to Moscow grows with Russia's dependence on China and China's own stake (Crawford 2011). The EU
also presses Kazakhstan to enforce sanctions when gray re-exports to Russia grow.
"""

from __future__ import annotations

import numpy as np

from sim.model.agents.base import ALL, EnsembleAgent, Runs
from sim.model.ladder import TOP_RUNG, Action, Actor


class Partner(EnsembleAgent):
    """A third party: pledge state and delivered support per run."""

    group: str
    route: str = "caspian"  # the export route its investment builds

    def __init__(self, model) -> None:
        super().__init__(model, self.group)
        self.due_month = np.full(self.size, np.inf)  # month the open pledge falls due
        self.support = np.zeros(self.size)  # delivered support, decaying unless renewed
        self.engaged = np.zeros(self.size)  # open pledge (1) or delivered support (0-1)
        self.deliveries = np.zeros(self.size, dtype=np.int32)  # pledges kept (its cost)
        self.arms_delivered = np.zeros(self.size)  # arms given, in 2021 Kazakh budgets
        self.delivered_now = np.zeros(self.size, dtype=bool)  # a deal this month (a trigger)
        self._streams = (f"pledge_{self.group}", f"deliver_{self.group}")

    def act(self, month: int) -> None:
        self.pledge(month)
        self.settle(month)
        shared = self.model.params.partners
        self.support = self.support * (1.0 - shared.support_decay)
        # An open pledge is cheap talk (Fearon 1997): it engages only as much as pledge_weight.
        costly = np.asarray(self.model.params.mechanisms.costly_signals) > 0
        pledge = np.where(costly, shared.pledge_weight, 1.0)
        self.engaged = np.maximum(pledge * np.isfinite(self.due_month), self.support)

    def threat(self) -> np.ndarray:
        return self.model.russia.rung / TOP_RUNG

    def pledge_probability(self) -> np.ndarray:
        """Base rate plus a response to Russian escalation, held back by rupture aversion."""
        p, threat = self.p, self.threat()
        return np.clip(
            p.pledge_rate + p.threat_response * threat * (1.0 - p.rupture_aversion * threat),
            0.0,
            1.0,
        )

    def pledge(self, month: int) -> None:
        free = ~np.isfinite(self.due_month)
        scripted = month == self.p.scripted_pledge_month
        # Only partners with no open pledge may pledge: they alone draw (the numbers the whole
        # batch would give them; false wherever the probability is not positive, as `chance`).
        index = np.flatnonzero(free)
        chance = np.broadcast_to(self.pledge_probability(), free.shape)[index]
        drawn = np.zeros(self.size, dtype=bool)
        drawn[index] = self.streams.uniform(self._streams[0], month, runs=index) < chance
        new = free & (scripted | drawn)
        self.due_month = np.where(new, month + self.p.delivery_lag, self.due_month)
        belief = self.model.russia.economic_belief[self.actor]
        self.log(Action.SECURITY_PLEDGE, new, Actor.KAZAKHSTAN, belief)

    def delivery_probability(self, at: Runs = ALL) -> np.ndarray:
        """Reliability, less the share rupture aversion withholds at Russia's rung."""
        p = self.p
        return at(p.reliability) * (1.0 - at(p.rupture_aversion) * at(self.threat()))

    def settle(self, month: int) -> None:
        """Deliver or break the pledges that fall due this month; Moscow learns from it.

        Only the pledges due (a few runs a month) draw and change state: the numbers the whole
        batch would give them, as `chance` would (false wherever the probability is not
        positive); elsewhere every update below would add zero.
        """
        p = self.p
        due = self.due_month <= month
        self.delivered_now = np.zeros(self.size, dtype=bool)
        if not due.any():
            return
        index = np.flatnonzero(due)
        at = Runs(index)
        chance = np.broadcast_to(self.delivery_probability(at), index.shape)
        kept = self.streams.uniform(self._streams[1], month, runs=index) < chance
        delivered = np.zeros(self.size, dtype=bool)
        delivered[index] = kept
        broken = due & ~delivered
        self.delivered_now = delivered
        self.support[index[kept]] = 1.0
        self.deliveries[index] += kept
        arms = at(p.arms) * kept
        self.arms_delivered[index] = self.arms_delivered[index] + arms
        self.due_month[index] = np.inf
        self._learn(at, kept)
        kz = self.model.kazakhstan
        orders = kz.partner_orders[self.route]
        orders[index] = orders[index] + at(p.route_investment) * kept
        kz.arms_stock[index] = kz.arms_stock[index] + arms
        belief = self.model.russia.economic_belief[self.actor]
        self.log(Action.PLEDGE_DELIVERED, delivered, Actor.KAZAKHSTAN, belief)
        self.log(Action.PLEDGE_BROKEN, broken, Actor.KAZAKHSTAN, belief)
        if np.any(p.arms):
            self.log(Action.ARMS_DELIVERY, delivered & (p.arms > 0), Actor.KAZAKHSTAN, p.arms)
        if np.any(p.route_investment):
            self.log(
                Action.TRANSIT_INVESTMENT,
                delivered & (p.route_investment > 0),
                Actor.KAZAKHSTAN,
                p.route_investment,
            )

    def signal_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """How costly a delivery is as a signal, economic and security, each in [0, 1]."""
        p, shared = self.p, self.model.params.partners
        economic = np.minimum(np.asarray(p.route_investment) / shared.investment_scale, 1.0)
        security = np.minimum(np.asarray(p.arms) / shared.arms_scale, 1.0)
        return economic, security

    def _learn(self, at: Runs, delivered: np.ndarray) -> None:
        """Moscow's beliefs learn from costly acts (Fearon 1997; Slantchev 2003).

        A delivery moves each belief towards 1 by belief_update times the signal's cost weight;
        a broken pledge moves both towards 0 by belief_update. With costly_signals off (v2): a
        belief moves towards the outcome only for partners that invest (economic) or arm
        (security). Only the runs `at` (pledges due) learn; `delivered` is given at them.
        """
        p, rate = self.p, at(self.model.params.partners.belief_update)
        russia = self.model.russia
        costly = np.asarray(at(self.model.params.mechanisms.costly_signals)) > 0
        weights = self.signal_weights()
        broken = ~delivered
        for beliefs, weight, capability in (
            (russia.economic_belief, weights[0], p.route_investment),
            (russia.security_belief, weights[1], p.arms),
        ):
            old = at(beliefs[self.actor])
            v3 = old + rate * (delivered * at(weight) * (1.0 - old) - broken * old)
            if not costly.all():
                tested = np.asarray(at(capability)) > 0
                v2 = np.where(tested, old + rate * (delivered.astype(float) - old), old)
                v3 = np.where(costly, v3, v2)
            beliefs[self.actor][at.index] = v3

    def offers(self) -> tuple[np.ndarray, np.ndarray]:
        """(economic, security) offers as Moscow and Astana weigh them: engagement x belief x
        capability."""
        p, russia = self.p, self.model.russia
        economic = self.engaged * russia.economic_belief[self.actor] * p.economic_capability
        security = self.engaged * russia.security_belief[self.actor] * p.security_capability
        return economic, security


class China(Partner):
    """China: BRI transit investment; pledges tempered by its wish to avoid a rupture."""

    actor = Actor.CHINA
    group = "china"
    route = "china"

    def __init__(self, model) -> None:
        super().__init__(model)
        trade = model.params.trade
        # Russia's dependence on China: China's share of Russia's trade with the three
        # partners since the sanctions, over that share in 2021 (Crawford 2011, wedge).
        redirected = 1.0 + trade.redirection
        west = trade.ru_eu * (1.0 - trade.sanctions_cut)
        before = trade.ru_cn / np.maximum(trade.ru_cn + trade.ru_tr + trade.ru_eu, 1e-12)
        after = (
            trade.ru_cn
            * redirected
            / np.maximum((trade.ru_cn + trade.ru_tr) * redirected + west, 1e-12)
        )
        self.dependence = after / np.maximum(before, 1e-12)

    def rupture_cost(self) -> np.ndarray:
        """The cost Moscow expects from China's acting, endogenous (Crawford 2011): it grows
        with Russia's dependence on China and with China's own delivered stake in Kazakhstan."""
        p = self.p
        stake = self.deliveries * np.asarray(p.route_investment)
        endogenous = p.security_capability * self.dependence * (1.0 + p.stake_weight * stake)
        costly = np.asarray(self.model.params.mechanisms.costly_signals) > 0
        return np.where(costly, endogenous, p.security_capability)

    def offers(self) -> tuple[np.ndarray, np.ndarray]:
        p, russia = self.p, self.model.russia
        economic = self.engaged * russia.economic_belief[self.actor] * p.economic_capability
        security = self.engaged * russia.security_belief[self.actor] * self.rupture_cost()
        return economic, security


class Turkey(Partner):
    """Turkey: defence cooperation (drones, production), Turkic solidarity, the corridor."""

    actor = Actor.TURKEY
    group = "turkey"


class EU(Partner):
    """The EU: corridor investment, rewards for sanctions enforcement, and pressure on it."""

    actor = Actor.EU
    group = "eu"

    THREAT_INTERVAL = 12  # months between two logged threats while the EU keeps pressing

    def __init__(self, model) -> None:
        super().__init__(model)
        self.last_threat = np.full(self.size, -np.inf)

    def act(self, month: int) -> None:
        super().act(month)
        self.press_on_sanctions(month)

    def pledge_probability(self) -> np.ndarray:
        """As other partners, plus its sanctions agenda: it rewards enforcement."""
        agenda = self.p.sanctions_agenda * self.model.kazakhstan.sanctions_enforcement
        return np.clip(super().pledge_probability() + agenda, 0.0, 1.0)

    def press_on_sanctions(self, month: int) -> None:
        """Press while gray re-exports exceed the EU's tolerance; threaten at most yearly."""
        pressing = self.model.trade.gray_share > self.p.secondary_threshold
        threaten = pressing & (month - self.last_threat >= self.THREAT_INTERVAL)
        self.last_threat = np.where(threaten, month, self.last_threat)
        self.log(
            Action.SECONDARY_SANCTIONS_THREAT,
            threaten,
            Actor.KAZAKHSTAN,
            self.model.trade.gray_share,
        )
        self.model.kazakhstan.sanctions_pressure = self.p.sanctions_pressure * pressing
