"""Monthly trade between every pair of the five actors, and the Trans-Caspian corridor.

Corridor cargo is demand (China-EU freight that sanctions divert from Russia, with monthly
shocks) within the capacity of the Kazakh Caspian ports in 2022 plus the expansion contracted
by then, which opens in a month drawn per run (docs/ODD.md, "Trans-Caspian corridor cargo").

Each flow is its 2021 level scaled by the factors that move it (docs/ODD.md, "Trade"):

    KZ-RU = base * (1 - e * (A0 - A)) * eaeu * (1 + gray) * (1 - r)   gray = g * (1 - S)
    KZ-j  = base * (1 + e * (A0 - A)) * (1 + u * support_j)     j = China, Turkey
    KZ-EU = as KZ-j, times (1 - oil_share * halt_cut * cpc / cpc0)
    RU-EU = base * (1 - sanctions_cut);  RU-CN, RU-TR = base * (1 + redirection)
    CN-TR, CN-EU, TR-EU = base

A = Kazakh alignment, S = sanctions enforcement, e = trade.alignment_elasticity, r = the share
of trade a Russian restriction cuts this month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.ladder import Actor

if TYPE_CHECKING:
    from sim.model.escalation import EscalationModel

PAIRS: tuple[tuple[Actor, Actor], ...] = (
    (Actor.KAZAKHSTAN, Actor.RUSSIA),
    (Actor.KAZAKHSTAN, Actor.CHINA),
    (Actor.KAZAKHSTAN, Actor.TURKEY),
    (Actor.KAZAKHSTAN, Actor.EU),
    (Actor.RUSSIA, Actor.CHINA),
    (Actor.RUSSIA, Actor.TURKEY),
    (Actor.RUSSIA, Actor.EU),
    (Actor.CHINA, Actor.TURKEY),
    (Actor.CHINA, Actor.EU),
    (Actor.TURKEY, Actor.EU),
)
PAIR_KEYS = (
    "kz_ru",
    "kz_cn",
    "kz_tr",
    "kz_eu",
    "ru_cn",
    "ru_tr",
    "ru_eu",
    "cn_tr",
    "cn_eu",
    "tr_eu",
)


class TradeNetwork:
    """Bilateral flows (bn USD/month) per run, and the corridor's cargo (Mt/year)."""

    def __init__(self, model: EscalationModel) -> None:
        self.model = model
        self.p = p = model.params.trade
        size = model.params.size
        full = lambda value: np.broadcast_to(np.asarray(value, dtype=float), (size,)).copy()  # noqa: E731
        # Flows that no agent moves: fixed from March 2022 on (sanctions in force).
        self.flows = {
            "ru_eu": full(p.ru_eu * (1.0 - p.sanctions_cut)),
            "ru_cn": full(p.ru_cn * (1.0 + p.redirection)),
            "ru_tr": full(p.ru_tr * (1.0 + p.redirection)),
            "cn_tr": full(p.cn_tr),
            "cn_eu": full(p.cn_eu),
            "tr_eu": full(p.tr_eu),
        }
        self.corridor_cargo = full(p.corridor_2021)
        self.corridor_demand = full(p.corridor_2021)
        self._draw_corridor_capacity()
        self.update(sanctions_in_force=False)  # the 2021 reference, before gray re-exports
        self.initial_russia_share = self.russia_share.copy()
        self.update()  # March 2022, sanctions in force: what Russia reads first

    def update(self, sanctions_in_force: bool = True) -> None:
        """Recompute Kazakhstan's flows from the current state of the agents."""
        p, kz = self.p, self.model.kazakhstan
        partners = self.model.partners
        distance = kz.p.initial_alignment - kz.alignment
        eaeu = (1.0 + p.eaeu_uplift * kz.in_eaeu) / (1.0 + p.eaeu_uplift)
        self.gray_share = sanctions_in_force * p.gray_reexport * (1.0 - kz.sanctions_enforcement)
        halt = self.model.russia.halt_cut * kz.cpc_share / kz.p.initial_cpc_share
        toward_russia = np.maximum(1.0 - p.alignment_elasticity * distance, 0.0)
        toward_others = np.maximum(1.0 + p.alignment_elasticity * distance, 0.0)

        def with_partner(base: float, actor: Actor) -> np.ndarray:
            return base * toward_others * (1.0 + p.partner_uplift * partners[actor].support)

        f = self.flows
        restricted = 1.0 - self.model.russia.restriction_cut
        f["kz_ru"] = p.kz_ru * toward_russia * eaeu * (1.0 + self.gray_share) * restricted
        f["kz_cn"] = with_partner(p.kz_cn, Actor.CHINA)
        f["kz_tr"] = with_partner(p.kz_tr, Actor.TURKEY)
        f["kz_eu"] = with_partner(p.kz_eu, Actor.EU) * np.maximum(1.0 - p.oil_share_eu * halt, 0.0)
        kz_total = f["kz_ru"] + f["kz_cn"] + f["kz_tr"] + f["kz_eu"]
        self.russia_share = f["kz_ru"] / np.maximum(kz_total, 1e-12)

    def move_corridor(self, month: int) -> None:
        """Demand approaches its diverted level with a monthly shock; cargo fits in capacity.

        demand <- demand + adjust * (target - demand);  cargo = min(demand * shock, capacity).
        """
        p = self.p
        self.corridor_demand = self.corridor_demand + p.corridor_adjust * (
            p.corridor_2021 * (1.0 + p.corridor_diversion) - self.corridor_demand
        )
        # A mean-one uniform shock with standard deviation `corridor_volatility`: one draw a
        # month (a normal one would cost two), and never negative in the allowed range.
        u = self.model.streams.uniform("corridor_cargo", month)
        shock = 1.0 + p.corridor_volatility * np.sqrt(3.0) * (2.0 * u - 1.0)
        self.corridor_capacity = self._corridor_base + p.corridor_expansion * (
            month >= self._corridor_opens
        )
        self.corridor_cargo = np.minimum(self.corridor_demand * shock, self.corridor_capacity)

    def _draw_corridor_capacity(self) -> None:
        """Each run's 2022 port capacity and the month its contracted expansion opens."""
        p, streams, on = self.p, self.model.streams, self.model.params.mechanisms
        low, high = p.corridor_capacity_low, p.corridor_capacity_high
        base = low + (high - low) * streams.uniform("corridor_capacity", 0)
        first = np.asarray(p.corridor_lead_low, dtype=float)
        span = np.maximum(np.asarray(p.corridor_lead_high, dtype=float) - first + 1.0, 1.0)
        opens = first + np.floor(streams.uniform("corridor_expansion", 0) * span)
        size = self.model.params.size
        limited = np.broadcast_to(np.asarray(on.capacity_limits) > 0, (size,))
        self._corridor_base = np.where(limited, base, np.inf)
        self._corridor_opens = np.broadcast_to(opens, (size,)).astype(float)
        self.corridor_capacity = self._corridor_base.copy()
