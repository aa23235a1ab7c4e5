"""What a run records: monthly trajectories (optional) and a one-row summary per run.

The trajectory variables are listed once, with their units, in ``TRAJECTORY_VARIABLES``; the
recorder fills a preallocated float32 array (R, months) per variable, so recording costs one
copy per variable per month and each run's series is contiguous, which makes the long table
(one row per run and month) a reshape rather than a copy. Summaries are tracked incrementally
and cost almost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.ladder import TOP_RUNG, Actor
from sim.model.trade import PAIR_KEYS

if TYPE_CHECKING:
    from sim.model.escalation import EscalationModel


@dataclass(frozen=True)
class Variable:
    name: str
    unit: str
    doc: str
    read: Callable[[EscalationModel], np.ndarray]


def _belief(actor: Actor, kind: str) -> Callable[[EscalationModel], np.ndarray]:
    return lambda m: getattr(m.russia, f"{kind}_belief")[actor]


def _flow(key: str) -> Callable[[EscalationModel], np.ndarray]:
    return lambda m: m.trade.flows[key]


TRAJECTORY_VARIABLES: tuple[Variable, ...] = (
    Variable(
        "rung", "rung", "Russia's rung on the escalation ladder (0-5)", lambda m: m.russia.rung
    ),
    Variable(
        "alignment", "1", "Kazakhstan's alignment with Moscow", lambda m: m.kazakhstan.alignment
    ),
    Variable(
        "war_stance",
        "1",
        "Kazakhstan's stance on the war (0 opposes, 0.5 silent, 1 endorses)",
        lambda m: m.kazakhstan.war_stance,
    ),
    Variable(
        "cpc_share", "share", "CPC share of Kazakh oil exports", lambda m: m.kazakhstan.cpc_share
    ),
    Variable(
        "other_russian_share",
        "share",
        "Share of oil exports by other routes via Russia",
        lambda m: m.kazakhstan.other_russian_share,
    ),
    Variable(
        "trans_caspian_share",
        "share",
        "Trans-Caspian share of oil exports",
        lambda m: m.kazakhstan.trans_caspian_share,
    ),
    Variable(
        "china_route_share",
        "share",
        "Share of oil exports by pipeline to China",
        lambda m: m.kazakhstan.china_share,
    ),
    Variable(
        "halt",
        "share of flow",
        "Share of CPC flow stopped this month (any cause)",
        lambda m: m.russia.halt_cut,
    ),
    Variable(
        "trade_restriction",
        "share of trade",
        "Share of Kazakh-Russian trade cut by a Russian restriction this month",
        lambda m: m.russia.restriction_cut,
    ),
    Variable(
        "oil_revenue",
        "bn USD/month",
        "Kazakh oil export revenue",
        lambda m: m.kazakhstan.oil_revenue,
    ),
    Variable("defence", "2021 budget", "Kazakh defence effort", lambda m: m.kazakhstan.defence),
    Variable("reform", "1", "Reform level", lambda m: m.kazakhstan.reform),
    Variable("nationalism", "1", "Public nationalism", lambda m: m.kazakhstan.nationalism),
    Variable(
        "leader_support",
        "1",
        "Support for the Kazakh leadership",
        lambda m: m.kazakhstan.leader_support,
    ),
    Variable(
        "sanctions_enforcement",
        "1",
        "Share of Western sanctions Kazakhstan enforces",
        lambda m: m.kazakhstan.sanctions_enforcement,
    ),
    Variable(
        "gray_reexports",
        "share of trade",
        "Gray re-exports as a share of Kazakh-Russian trade",
        lambda m: m.trade.gray_share,
    ),
    Variable(
        "corridor_cargo",
        "Mt/year",
        "Trans-Caspian corridor cargo (annual rate)",
        lambda m: m.trade.corridor_cargo,
    ),
    Variable("in_csto", "0/1", "Kazakhstan is a CSTO member", lambda m: m.kazakhstan.in_csto),
    Variable("in_eaeu", "0/1", "Kazakhstan is an EAEU member", lambda m: m.kazakhstan.in_eaeu),
    Variable("leverage", "1", "Russia's leverage index", lambda m: m.russia.leverage),
    Variable(
        "motivation",
        "value",
        "Russia's stake: the value of closing every gap (and the window)",
        lambda m: m.russia.motivation,
    ),
    Variable(
        "credibility",
        "probability",
        "Kazakhstan's belief that Moscow carries out its threats",
        lambda m: m.russia.credibility,
    ),
    Variable(
        "war_surplus",
        "value",
        "Russia's expected gain from war over the best deal",
        lambda m: m.russia.war_surplus,
    ),
    Variable(
        "free_capacity",
        "share of forces",
        "Russian forces free of the war in Ukraine",
        lambda m: m.war.free_capacity,
    ),
    Variable(
        "backing",
        "value",
        "Cost Moscow expects partners to impose if it uses force",
        lambda m: m.expected_response,
    ),
    Variable(
        "economic_offer",
        "share of damage",
        "Share of the damage of economic coercion partners are expected to offset",
        lambda m: m.economic_offer,
    ),
    *(
        Variable(
            f"credibility_{a.name.lower()}",
            "probability",
            f"Moscow's belief that {a.label} acts if Russia uses force",
            _belief(a, "security"),
        )
        for a in (Actor.CHINA, Actor.TURKEY, Actor.EU)
    ),
    *(
        Variable(
            f"economic_belief_{a.name.lower()}",
            "probability",
            f"Moscow's belief that {a.label} offsets economic coercion",
            _belief(a, "economic"),
        )
        for a in (Actor.CHINA, Actor.TURKEY, Actor.EU)
    ),
    *(
        Variable(
            f"trade_{key}",
            "bn USD/month",
            f"Trade flow {key.replace('_', '-').upper()}",
            _flow(key),
        )
        for key in PAIR_KEYS
    ),
)


class Recorder:
    """Monthly trajectories (if enabled) and the per-run summary tracker."""

    def __init__(self, model: EscalationModel, months: int, trajectories: bool) -> None:
        self.model = model
        size = model.params.size
        self.trajectories = (
            {v.name: np.empty((size, months), dtype=np.float32) for v in TRAJECTORY_VARIABLES}
            if trajectories
            else None
        )
        self.max_rung = np.zeros(size, dtype=np.int8)
        self.first_month = np.full((TOP_RUNG + 1, size), -1, dtype=np.int32)
        self.csto_exit_month = np.full(size, -1, dtype=np.int32)
        self.eaeu_exit_month = np.full(size, -1, dtype=np.int32)

    def record(self, month: int) -> None:
        m = self.model
        rung = m.russia.rung
        self.max_rung = np.maximum(self.max_rung, rung)
        for k in range(1, TOP_RUNG + 1):
            reached = (self.first_month[k] < 0) & (rung >= k)
            self.first_month[k][reached] = month
        kz = m.kazakhstan
        self.csto_exit_month[(self.csto_exit_month < 0) & ~kz.in_csto] = month
        self.eaeu_exit_month[(self.eaeu_exit_month < 0) & ~kz.in_eaeu] = month
        if self.trajectories is not None:
            for v in TRAJECTORY_VARIABLES:
                self.trajectories[v.name][:, month] = v.read(m)
