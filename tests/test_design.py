"""Experiment definitions and designs: parsing, refusals before any run, design shapes."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import ConfigError
from sim.engine.design import build_design, load_experiment, parse_factors, problem
from sim.model.params import ParamError

SHIPPED = ("escalation_threshold", "pledge_deterrence", "scenario_comparison")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_experiments_load(name: str) -> None:
    cfg = load_experiment(name)
    design = build_design(cfg)
    assert design["design_point"].tolist() == list(range(len(design)))
    assert set(design["scenario"]) <= set(cfg.scenarios)


def test_scenario_comparison_has_every_scenario_with_5000_replicates() -> None:
    cfg = load_experiment("scenario_comparison")
    assert len(cfg.scenarios) == 9 and cfg.replicates == 5000
    assert len(build_design(cfg)) == 9


def test_grid_crosses_factors_and_scenarios() -> None:
    cfg = load_experiment("escalation_threshold", ["factors.kazakhstan.multivector.levels=3"])
    design = build_design(cfg)
    assert len(design) == 4 * 3
    assert design["kazakhstan.multivector"].tolist()[:3] == [0.0, 0.5, 1.0]


def test_overrides_follow_the_dotlist_style() -> None:
    cfg = load_experiment("pledge_deterrence", ["replicates=7", "design.levels=2", "workers=2"])
    assert cfg.replicates == 7 and cfg.workers == 2


def test_lhs_and_sobol_sizes() -> None:
    ranges = [
        "factors={russia: {base_resolve: {range: [0.5, 2.0]}}, "
        "kazakhstan: {multivector: {range: [0.0, 0.5]}}}"
    ]
    lhs = load_experiment(None, [*ranges, "design.kind=lhs", "design.n=10"])
    assert len(build_design(lhs)) == 10
    sob = load_experiment(None, [*ranges, "design.kind=sobol", "design.n=8"])
    assert len(build_design(sob)) == 8 * (2 * 2 + 2)  # SALib: N(2D+2)
    values = build_design(sob)["russia.base_resolve"]
    assert values.between(0.5, 2.0).all()


def test_integer_factor_is_rounded() -> None:
    cfg = load_experiment(
        None, ["factors={war: {end_month: {range: [6, 60]}}}", "design.kind=lhs", "design.n=5"]
    )
    values = build_design(cfg)["war.end_month"]
    assert all(float(v).is_integer() for v in values)


def test_problem_is_a_salib_dict() -> None:
    factors = parse_factors({"russia": {"base_resolve": {"range": [0.5, 2.0]}}})
    assert problem(factors) == {
        "num_vars": 1,
        "names": ["russia.base_resolve"],
        "bounds": [[0.5, 2.0]],
    }


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (["factors={russia: {no_such_thing: [1, 2]}}"], "russia.no_such_thing"),
        (["factors={kazakhstan: {multivector: {range: [0.5, 0.5]}}}"], "is empty"),
        (["factors={kazakhstan: {multivector: {values: []}}}"], "values is empty"),
        (["factors={kazakhstan: {multivector: {range: [0.0, 1.5]}}}"], "outside the allowed"),
        (["factors={war: {outcome: [ongoing, favorable]}}", "design.kind=sobol"], "war.outcome"),
        (["factors={war: {outcome: {range: [0, 1]}}}"], "categorical"),
        (["factors={war: {outcome: [ongoing, victory]}}"], "war.outcome"),
        (["design.kind=factorial"], "design.kind"),
        (["scenarios=[atlantis]"], "atlantis"),
        (["model={russia: {stakes: 99}}"], "russia.stakes"),
        (["replicates=0"], "replicates"),
    ],
)
def test_refusals_name_the_problem(overrides: list[str], named: str) -> None:
    with pytest.raises((ConfigError, ParamError), match=named.replace(".", r"\.")):
        load_experiment(None, overrides)


def test_unknown_experiment_is_refused() -> None:
    with pytest.raises(ConfigError, match="nonexistent"):
        load_experiment("nonexistent")


def test_unknown_top_level_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="replicate"):
        load_experiment("escalation_threshold", ["replicate=5"])


def test_values_factor_may_hold_null_months() -> None:
    cfg = load_experiment(None, ["factors={kazakhstan: {csto_exit_month: [null, 12]}}"])
    design = build_design(cfg)
    assert len(design) == 2 and np.isnan(design["kazakhstan.csto_exit_month"].iloc[0])
