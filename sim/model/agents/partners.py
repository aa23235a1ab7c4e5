"""China, Turkey and the EU: pledges, deliveries, and what Moscow learns from them.

Each month a partner with no open pledge may pledge support to Kazakhstan, more often the
higher Russia climbs and, for the EU, the more Kazakhstan enforces Western sanctions; less often
the more it wishes to avoid a rupture with Moscow. A pledge falls due after a lag and is
delivered with the partner's reliability, less what its rupture aversion withholds at Russia's
current rung. Delivery brings investment in export routes or arms. Moscow keeps, per partner,
two beliefs: the chance the partner acts against force (security) and against economic coercion
(economic); each moves towards what it sees delivered when a pledge falls due, security only on
costly signals (arms), economic on investment (Huth 1988; Slantchev 2003; Benson 2012). The EU
also presses Kazakhstan to enforce sanctions when gray re-exports to Russia grow.
"""

from __future__ import annotations

import numpy as np

from sim.model.agents.base import EnsembleAgent
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
        decay = self.model.params.partners.support_decay
        self.support = self.support * (1.0 - decay)
        self.engaged = np.maximum(np.isfinite(self.due_month), self.support)

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
        new = free & (
            scripted | self.streams.chance(self._streams[0], month, self.pledge_probability())
        )
        self.due_month = np.where(new, month + self.p.delivery_lag, self.due_month)
        belief = self.model.russia.economic_belief[self.actor]
        self.log(Action.SECURITY_PLEDGE, new, Actor.KAZAKHSTAN, belief)

    def delivery_probability(self) -> np.ndarray:
        """Reliability, less the share rupture aversion withholds at Russia's rung."""
        p = self.p
        return p.reliability * (1.0 - p.rupture_aversion * self.threat())

    def settle(self, month: int) -> None:
        """Deliver or break the pledges that fall due this month; Moscow learns from it."""
        p = self.p
        due = self.due_month <= month
        self.delivered_now = np.zeros(self.size, dtype=bool)
        if not due.any():
            return
        delivered = due & self.streams.chance(self._streams[1], month, self.delivery_probability())
        broken = due & ~delivered
        self.delivered_now = delivered
        self.support = np.where(delivered, 1.0, self.support)
        self.deliveries = self.deliveries + delivered
        self.arms_delivered = self.arms_delivered + p.arms * delivered
        self.due_month = np.where(due, np.inf, self.due_month)
        self._learn(due, delivered)
        kz = self.model.kazakhstan
        kz.partner_orders[self.route] = kz.partner_orders[self.route] + (
            p.route_investment * delivered
        )
        kz.arms_stock = kz.arms_stock + p.arms * delivered
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

    def _learn(self, due: np.ndarray, delivered: np.ndarray) -> None:
        """Beliefs move towards the outcome: economic on investment, security on arms."""
        p, rate = self.p, self.model.params.partners.belief_update
        russia, outcome = self.model.russia, delivered.astype(float)
        for beliefs, tested in (
            (russia.economic_belief, due & (np.asarray(p.route_investment) > 0)),
            (russia.security_belief, due & (np.asarray(p.arms) > 0)),
        ):
            old = beliefs[self.actor]
            beliefs[self.actor] = np.where(tested, old + rate * (outcome - old), old)

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
