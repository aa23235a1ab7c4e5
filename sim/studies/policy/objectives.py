"""The objectives a policy search can minimise, each the mean of a per-run quantity.

Every objective is a *cost*: lower is better. Each is computed per run from the summary table
(``sim.model.escalation.EscalationModel.summary``) and averaged over the runs of a policy (the
search) or
of a policy in one scenario (the robustness re-evaluation), so an objective of a set of runs is
always the plain mean of its runs' values; sums over runs merge exactly across chunks.

Rates are per year of the horizon, so that experiments with different horizons compare.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.model.ladder import TOP_RUNG

PARTNER_GROUPS = ("china", "turkey", "eu")
PARTNER_NAMES = {"china": "China", "turkey": "Turkey", "eu": "the EU"}
PARTNER_LABELS = {"china": "China", "turkey": "Turkey", "eu": "EU"}


@dataclasses.dataclass(frozen=True)
class Objective:
    """One cost to minimise: the mean over runs of `per_run(summary, years)`."""

    name: str
    label: str  # short, for axes
    unit: str
    doc: str
    columns: tuple[str, ...]  # summary columns it reads
    per_run: Callable[[pd.DataFrame, float], np.ndarray]


def _reached(rung: int) -> Callable[[pd.DataFrame, float], np.ndarray]:
    return lambda s, years: (s["max_rung"].to_numpy() >= rung).astype(float)


def _per_year(*columns: str) -> Callable[[pd.DataFrame, float], np.ndarray]:
    def rate(s: pd.DataFrame, years: float) -> np.ndarray:
        return sum(s[c].to_numpy(dtype=float) for c in columns) / years

    return rate


def _build() -> dict[str, Objective]:
    objectives = [
        Objective(
            f"p_rung{k}",
            f"P(rung ≥ {k})",
            "probability",
            f"Share of runs in which Russia reaches rung {k} or higher within the horizon.",
            ("max_rung",),
            _reached(k),
        )
        for k in range(1, TOP_RUNG + 1)
    ]
    objectives += [
        Objective(
            "russia_disruptions",
            "CPC disruptions by Russia",
            "per year",
            "Russia-attributable CPC disruptions per year (coercion; not storms or repairs).",
            ("pipeline_halts_russia",),
            _per_year("pipeline_halts_russia"),
        ),
        Objective(
            "trade_restrictions",
            "Russian trade restrictions",
            "per year",
            "Russian restrictions of Kazakh-Russian trade per year.",
            ("trade_restrictions",),
            _per_year("trade_restrictions"),
        ),
        Objective(
            "kazakhstan_cost",
            "Kazakh revenue given up",
            "bn USD per year",
            "Oil revenue Kazakhstan loses to CPC stoppages plus what it gives up by shipping on "
            "costlier routes that avoid Russia.",
            ("oil_revenue_lost", "oil_route_cost"),
            _per_year("oil_revenue_lost", "oil_route_cost"),
        ),
        Objective(
            "kazakhstan_alignment",
            "Kazakh alignment with Moscow",
            "index (0-1)",
            "Kazakhstan's alignment with Moscow at the horizon: the autonomy Astana gives up "
            "(lower: a more independent foreign policy).",
            ("final_alignment",),
            lambda s, years: s["final_alignment"].to_numpy(dtype=float),
        ),
    ]
    for group in PARTNER_GROUPS:
        name = PARTNER_NAMES[group]
        objectives += [
            Objective(
                f"support_{group}",
                f"{PARTNER_LABELS[group]} pledges kept",
                "pledges per year",
                f"Pledges {name} delivers per year: what keeping its commitments costs it.",
                (f"deliveries_{group}",),
                _per_year(f"deliveries_{group}"),
            ),
            Objective(
                f"arms_{group}",
                f"{PARTNER_LABELS[group]} arms given",
                "2021 Kazakh defence budgets per year",
                f"Arms {name} delivers per year, in units of Kazakhstan's 2021 defence budget "
                "($1.7 bn).",
                (f"arms_delivered_{group}",),
                _per_year(f"arms_delivered_{group}"),
            ),
        ]
    return {o.name: o for o in objectives}


OBJECTIVES: dict[str, Objective] = _build()


def summary_columns(names: list[str] | tuple[str, ...]) -> list[str]:
    """The summary columns the named objectives read (no duplicates, in order)."""
    return list(dict.fromkeys(c for n in names for c in OBJECTIVES[n].columns))


def per_run_values(
    summary: pd.DataFrame, names: list[str] | tuple[str, ...], years: float
) -> np.ndarray:
    """(runs, objectives): each run's contribution to each objective's mean."""
    return np.column_stack([OBJECTIVES[n].per_run(summary, years) for n in names])
