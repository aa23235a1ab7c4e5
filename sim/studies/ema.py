"""The model as an EMA Workbench `Model`: EMA's experiments, scenario discovery and robust search.

``model(scenario="baseline", replicates=200)`` returns an ``ema_workbench.Model`` whose
uncertainties and levers are parameters of the parameter table (``sim.model.params``): each
becomes a RealParameter, IntegerParameter or CategoricalParameter over its own range (or a
narrower one you give). One EMA experiment is one ensemble of `replicates` runs, stepped at
once, on the same seeds in every experiment (common random numbers); its outcomes are shares
and means over those runs. Then EMA's own tools work as documented (docs/sensitivity.md):
``perform_experiments``, ``feature_scoring``, ``cart``, ``dimensional_stacking`` and
``robust_optimize``.

Names: a parameter's path with ``_`` for ``.`` (``war.end_month`` -> ``war_end_month``), so
columns are plain identifiers in pandas, SQL and CART's rules. The Hydra scenario is fixed per
model (EMA's own experiments table has a ``scenario`` column: its scenario number).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import compose_scenario, model_values
from sim.model.escalation import simulate
from sim.model.ladder import TOP_RUNG
from sim.model.params import PARAMS_BY_PATH
from sim.model.rng import derive_seeds

with warnings.catch_warnings():  # EMA warns on import about optional extras it may not need
    warnings.simplefilter("ignore")
    import ema_workbench as ema
logging.getLogger("EMA").setLevel(logging.WARNING)

SEED = 20221028
#: What nobody here controls: the uncertainties the partner_commitments policy study sampled
#: before it drew the calibrated ones from the posterior (docs/policy.md).
UNCERTAINTIES: tuple[str, ...] = (
    "russia.base_resolve",
    "russia.war_value",
    "russia.bloc_value",
    "war.p_favorable",
    "war.end_month",
    "partners.belief_update",
)
#: What the partners and Astana decide: the levers of the same study.
LEVERS: tuple[str, ...] = (
    "china.reliability",
    "turkey.reliability",
    "eu.reliability",
    "kazakhstan.multivector",
)
#: The outcomes of one experiment, each over its `replicates` runs.
OUTCOMES: dict[str, str] = {
    **{f"p_rung{k}": f"share of runs reaching rung {k} within the horizon" for k in range(1, 6)},
    "final_alignment": "mean alignment with Moscow at the horizon (0-1)",
    "russia_disruptions": "mean CPC disruptions by Russia per year",
}

Ranges = Sequence[str] | Mapping[str, tuple[float, float] | None]


def keyword(path: str) -> str:
    """The EMA name of a parameter path: ``war.end_month`` -> ``war_end_month``."""
    return path.replace(".", "_")


def parameter(path: str, bounds: tuple[float, float] | None = None) -> ema.Parameter:
    """An EMA parameter over the table's range of `path` (or the narrower `bounds`)."""
    spec = PARAMS_BY_PATH[path]  # a KeyError names the unknown path
    name = keyword(path)
    if spec.choices:
        return ema.CategoricalParameter(name, list(spec.choices))
    low, high = bounds if bounds is not None else (spec.low, spec.high)
    if not spec.low <= low < high <= spec.high:
        raise ValueError(
            f"{path} = [{low}, {high}] is not allowed: expected a range inside "
            f"[{spec.low}, {spec.high}] ({spec.unit})"
        )
    if spec.integer:
        return ema.IntegerParameter(name, int(low), int(high))
    return ema.RealParameter(name, float(low), float(high))


def parameters(ranges: Ranges) -> list[ema.Parameter]:
    items = ranges.items() if isinstance(ranges, Mapping) else ((p, None) for p in ranges)
    return [parameter(path, bounds) for path, bounds in items]


@dataclass(frozen=True)
class Ensemble:
    """The function EMA calls per experiment (a class, so process pools can pickle it)."""

    values: Mapping[str, Any]  # the scenario's flat model values
    paths: Mapping[str, str]  # EMA name -> parameter path
    replicates: int
    months: int
    seed: int

    def __call__(self, **experiment: Any) -> dict[str, float]:
        chosen = {self.paths[name]: value for name, value in experiment.items()}
        for path, value in chosen.items():  # EMA gives integers as floats in some samplers
            if PARAMS_BY_PATH[path].integer:
                chosen[path] = int(round(value))
        seeds = derive_seeds(self.seed, np.arange(self.replicates))
        summary = simulate(
            {**self.values, **chosen}, seeds=seeds, months=self.months,
            trajectories=False, events=False,
        ).summary  # fmt: skip
        return outcomes(summary, self.months)


def outcomes(summary: pd.DataFrame, months: int) -> dict[str, float]:
    """OUTCOMES of one ensemble's summary table."""
    reached = summary["max_rung"].to_numpy()
    found = {f"p_rung{k}": float(np.mean(reached >= k)) for k in range(1, TOP_RUNG + 1)}
    found["final_alignment"] = float(summary["final_alignment"].mean())
    found["russia_disruptions"] = float(summary["pipeline_halts_russia"].mean() * 12 / months)
    return found


def model(
    scenario: str = "baseline",
    replicates: int = 200,
    uncertainties: Ranges = UNCERTAINTIES,
    levers: Ranges = LEVERS,
    months: int | None = None,
    seed: int = SEED,
) -> ema.Model:
    """An EMA Model of one scenario: one experiment is an ensemble of `replicates` runs.

    Args:
        scenario: the scenario whose values the experiments start from (configs/scenario/).
        replicates: runs per experiment, on the same seeds in every experiment.
        uncertainties, levers: parameter paths, or {path: (low, high)} to narrow a range
            (None keeps the table's); a path may not be both.
        months: the horizon (default: the scenario's `run.months`).
        seed: the master seed of the runs' seeds.
    """
    if replicates < 1:
        raise ValueError(f"replicates = {replicates} is not allowed: expected an integer >= 1")
    both = set(uncertainties) & set(levers)
    if both:
        raise ValueError(f"{sorted(both)[0]} is both an uncertainty and a lever: choose one")
    cfg = compose_scenario(scenario)
    horizon = int(cfg.run.months) if months is None else int(months)
    paths = {keyword(p): p for p in [*uncertainties, *levers]}
    function = Ensemble(model_values(cfg), paths, int(replicates), horizon, int(seed))
    ema_model = ema.Model(f"kz_{scenario}", function=function)
    ema_model.uncertainties = parameters(uncertainties)
    ema_model.levers = parameters(levers)
    ema_model.outcomes = [ema.ScalarOutcome(name) for name in OUTCOMES]
    return ema_model
