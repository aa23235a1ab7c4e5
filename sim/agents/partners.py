"""China, Turkey and the EU: security pledges, deliveries, and the credibility they earn.

Each month a partner with no open pledge may pledge support to Kazakhstan, more often the
higher Russia climbs, less often the more it wishes to avoid a rupture with Moscow. A pledge
falls due after a lag and is delivered with the partner's reliability: delivery raises
credibility and brings investment in export routes or arms; a broken pledge lowers it.
Credibility-weighted backing (open pledges and delivered support) raises Russia's expected cost
of force (Fearon 1995). The EU also presses Kazakhstan to enforce Western sanctions when gray
re-exports to Russia grow.
"""

from __future__ import annotations

import numpy as np

from sim.agents.base import EnsembleAgent
from sim.ladder import TOP_RUNG, Action, Actor


class Partner(EnsembleAgent):
    """A third party: pledge state, credibility and delivered support per run."""

    group: str

    def __init__(self, model) -> None:
        super().__init__(model, self.group)
        self.credibility = self.full(self.p.initial_credibility)
        self.due_month = np.full(self.size, np.inf)  # month the open pledge falls due
        self.support = np.zeros(self.size)  # delivered support, decaying unless renewed
        self.backing = np.zeros(self.size)
        self._streams = (f"pledge_{self.group}", f"deliver_{self.group}")

    def act(self, month: int) -> None:
        self.pledge(month)
        self.settle(month)
        decay = self.model.params.partners.support_decay
        self.support = self.support * (1.0 - decay)
        self.backing = self.credibility * np.maximum(np.isfinite(self.due_month), self.support)

    def pledge_probability(self) -> np.ndarray:
        """Base rate plus a response to Russian escalation, held back by rupture aversion."""
        p = self.p
        threat = self.model.russia.rung / TOP_RUNG
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
        self.log(Action.SECURITY_PLEDGE, new, Actor.KAZAKHSTAN, self.credibility)

    def settle(self, month: int) -> None:
        """Deliver or break the pledges that fall due this month, and learn from it."""
        p, shared = self.p, self.model.params.partners
        due = self.due_month <= month
        if not due.any():
            return
        delivered = due & self.streams.chance(self._streams[1], month, p.reliability)
        broken = due & ~delivered
        self.credibility = np.where(
            delivered,
            self.credibility + shared.credibility_gain * (1.0 - self.credibility),
            np.where(broken, self.credibility * (1.0 - shared.credibility_loss), self.credibility),
        )
        self.support = np.where(delivered, 1.0, self.support)
        self.due_month = np.where(due, np.inf, self.due_month)
        kz = self.model.kazakhstan
        kz.partner_orders = kz.partner_orders + p.route_investment * delivered
        kz.arms_stock = kz.arms_stock + p.arms * delivered
        self.log(Action.PLEDGE_DELIVERED, delivered, Actor.KAZAKHSTAN, self.credibility)
        self.log(Action.PLEDGE_BROKEN, broken, Actor.KAZAKHSTAN, self.credibility)
        if np.any(p.arms):
            self.log(Action.ARMS_DELIVERY, delivered & (p.arms > 0), Actor.KAZAKHSTAN, p.arms)
        if np.any(p.route_investment):
            self.log(
                Action.TRANSIT_INVESTMENT,
                delivered & (p.route_investment > 0),
                Actor.KAZAKHSTAN,
                p.route_investment,
            )


class China(Partner):
    """China: BRI transit investment; pledges tempered by its wish to avoid a rupture."""

    actor = Actor.CHINA
    group = "china"


class Turkey(Partner):
    """Turkey: defence cooperation (drones, production), Turkic solidarity, the corridor."""

    actor = Actor.TURKEY
    group = "turkey"


class EU(Partner):
    """The EU: corridor investment, and pressure on Kazakhstan to enforce sanctions."""

    actor = Actor.EU
    group = "eu"

    THREAT_INTERVAL = 12  # months between two logged threats while the EU keeps pressing

    def __init__(self, model) -> None:
        super().__init__(model)
        self.last_threat = np.full(self.size, -np.inf)

    def act(self, month: int) -> None:
        super().act(month)
        self.press_on_sanctions(month)

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
