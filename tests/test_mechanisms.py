"""Each mechanism pushes in its documented direction, tested in isolation.

A test builds an EscalationModel whose runs differ in one state variable only, sets that
variable directly, and calls the one agent method that implements the mechanism; or it compares
runs that differ in one parameter. Directions are asserted strictly; where the model's equation
gives an exact size, the size is asserted too. Calibrated levels are never asserted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim import EscalationModel, ParamSet
from sim.ladder import Actor, Rung


def make_model(runs: int, params: dict[str, Any] | ParamSet | None = None) -> EscalationModel:
    """A model of `runs` runs whose runs start in the same state (seeds 0..runs-1)."""
    return EscalationModel(params, seeds=np.arange(runs), months=240, trajectories=False)


def strictly_increasing(values: np.ndarray) -> bool:
    return bool(np.all(np.diff(values) > 0))


def strictly_decreasing(values: np.ndarray) -> bool:
    return bool(np.all(np.diff(values) < 0))


# --- Russia: bargaining range (Fearon) and closing window (Powell) ---------------------------


def war_surplus_after(model: EscalationModel) -> np.ndarray:
    model.russia.decide_intervention(0, np.ones(model.params.size, dtype=bool))
    return model.russia.war_surplus


def test_third_party_backing_lowers_war_surplus():
    """More credibility-weighted backing lowers Russia's expected gain from war."""
    model = make_model(4)
    model.backing = np.array([0.0, 0.3, 0.6, 1.0])
    assert strictly_decreasing(war_surplus_after(model))


def test_credible_pledges_raise_backing_and_lower_war_surplus():
    """Open pledges of more credible partners give more backing and a smaller war surplus."""
    model = make_model(3)
    for actor in (Actor.CHINA, Actor.TURKEY, Actor.EU):
        partner = model.partners[actor]
        partner.credibility = np.array([0.1, 0.5, 0.9])
        partner.due_month = np.full(3, 100.0)  # an open pledge, not yet due
        partner.act(0)
    model.backing = model.third_party_backing()
    assert strictly_increasing(model.backing)
    assert strictly_decreasing(war_surplus_after(model))


def test_open_pledge_gives_backing_and_none_gives_none():
    """Backing needs an open pledge or delivered support: none of either gives zero backing."""
    quiet = {
        f"{g}.{k}": v
        for g in ("china", "turkey", "eu")
        for k, v in (
            ("pledge_rate", 0.0),
            ("threat_response", 0.0),
            ("scripted_pledge_month", None),
        )
    }
    model = make_model(2, quiet)
    for actor in (Actor.CHINA, Actor.TURKEY, Actor.EU):
        partner = model.partners[actor]
        partner.due_month = np.array([np.inf, 100.0])
        partner.act(0)
    backing = model.third_party_backing()
    assert backing[0] == 0.0 and backing[1] > 0.0


def test_free_military_capacity_raises_war_surplus():
    """More Russian forces free of the war in Ukraine raise the expected gain from war."""
    model = make_model(4)
    model.war.free_capacity = np.array([0.1, 0.3, 0.6, 0.9])
    assert strictly_increasing(war_surplus_after(model))


def test_kazakh_defence_lowers_war_surplus():
    """A stronger Kazakh defence lowers Russia's chance of prevailing and the war surplus."""
    model = make_model(3)
    model.kazakhstan.defence = np.array([1.0, 1.5, 3.0])
    assert strictly_decreasing(war_surplus_after(model))


TRENDS = np.array([0.0, -0.001, -0.005, -0.01])


def test_faster_leverage_decline_raises_motivation():
    """A more negative leverage trend (closing window) raises the motivation to coerce."""
    model = make_model(4)
    model.russia.leverage_trend = TRENDS.copy()
    assert strictly_increasing(model.russia.motivation_to_coerce())


def test_faster_leverage_decline_raises_war_surplus():
    """A more negative leverage trend raises the expected gain from acting now."""
    model = make_model(4)
    model.russia.leverage_trend = TRENDS.copy()
    assert strictly_increasing(war_surplus_after(model))


def test_rising_leverage_adds_no_motivation():
    """A rising leverage trend is no closing window: motivation equals that of a flat trend."""
    model = make_model(2)
    model.russia.leverage_trend = np.array([0.0, 0.01])
    motivation = model.russia.motivation_to_coerce()
    assert motivation[0] == motivation[1]


@pytest.mark.parametrize(
    ("bloc", "breach"), [("in_csto", "csto_breach"), ("in_eaeu", "eaeu_breach")]
)
def test_leaving_a_bloc_raises_motivation_by_the_breach(bloc, breach):
    """Outside the CSTO (or EAEU), motivation rises by resolve times the breach parameter."""
    model = make_model(2)
    setattr(model.kazakhstan, bloc, np.array([True, False]))
    motivation = model.russia.motivation_to_coerce()
    expected = model.russia.resolve() * getattr(model.params.russia, breach)
    assert motivation[1] > motivation[0]
    np.testing.assert_allclose(motivation[1] - motivation[0], expected[1], rtol=1e-12)


def test_leaving_a_bloc_draws_prompt_economic_coercion():
    """In the month after an exit, a sure breach response jumps Russia to economic coercion."""
    model = make_model(2, {"russia.breach_response": 1.0, "russia.climb_rate": 0.0})
    model.russia.rung = np.zeros(2, dtype=np.int8)
    model.kazakhstan.left_bloc = np.array([True, False])
    model.russia.motivation = np.zeros(2)
    model.russia.choose_rung(0)
    assert model.russia.rung.tolist() == [Rung.ECONOMIC, Rung.NORMAL]


def test_intervention_only_from_posturing():
    """With war certain to pay, Russia intervenes from rung 4 and never from lower rungs."""
    model = make_model(
        5,
        {
            "russia.war_rate": 1.0,
            "russia.war_cost": 0.0,
            "russia.base_resolve": 3.0,
            "russia.stakes": 3.0,
        },
    )
    model.russia.rung = np.arange(5, dtype=np.int8)
    model.war.free_capacity = np.ones(5)
    model.russia.leverage_trend = np.full(5, -0.05)
    go, _ = model.russia.decide_intervention(0, model.russia.rung == Rung.POSTURING)
    assert go.tolist() == [False, False, False, False, True]
    assert model.russia.intervention[4] > 0


# --- Russia: pipeline halts (Drezner) ----------------------------------------------------------


def test_halt_chance_scales_with_cpc_share():
    """At rung 2, the monthly chance of a halt is halt_propensity times the CPC bite."""
    runs = 40_000
    model = make_model(runs)
    kz, russia = model.kazakhstan, model.russia
    russia.rung = np.full(runs, Rung.ECONOMIC, dtype=np.int8)
    initial = model.params.kazakhstan.initial_cpc_share
    kz.cpc_share = np.where(np.arange(runs) < runs // 2, initial, initial / 2)
    started = russia.coerce(0)
    propensity = model.params.russia.halt_propensity
    for half, expected in (
        (started[: runs // 2], propensity),
        (started[runs // 2 :], propensity / 2),
    ):
        se = np.sqrt(expected * (1 - expected) / half.size)
        assert abs(half.mean() - expected) < 4 * se


def test_no_halts_below_economic_rung():
    """Below rung 2 Russia starts no pipeline halt, even at the highest propensity."""
    model = make_model(1000, {"russia.halt_propensity": 1.0})
    model.russia.rung = np.full(1000, Rung.RHETORIC, dtype=np.int8)
    assert not model.russia.coerce(0).any()


# --- Kazakhstan: routes and revenue (sanctions paradox) ----------------------------------------


def diversify_months(model: EscalationModel, months: range) -> list[np.ndarray]:
    """Call Kazakhstan.diversify for each month with no halt; return cpc_share after each."""
    model.russia.halt_cut = np.zeros(model.params.size)
    shares = []
    for month in months:
        model.kazakhstan.diversify(month)
        shares.append(model.kazakhstan.cpc_share.copy())
    return shares


def test_halt_raises_memory_then_capacity_after_route_lag():
    """A halt raises halt memory, orders capacity, and lowers cpc_share exactly route_lag later."""
    lag = 6
    model = make_model(2, {"kazakhstan.route_lag": lag})
    kz, p = model.kazakhstan, model.params.kazakhstan
    model.russia.halt_cut = np.array([0.5, 0.0])
    kz.diversify(0)
    assert kz.halt_memory.tolist() == [0.5, 0.0]
    before = diversify_months(model, range(1, lag))
    np.testing.assert_allclose(kz.halt_memory[0], 0.5 * p.halt_memory ** (lag - 1), rtol=1e-12)
    assert all(share[0] == share[1] for share in before)
    capacity_before = kz.trans_caspian_capacity + kz.china_capacity
    diversify_months(model, range(lag, lag + 1))
    added = kz.trans_caspian_capacity + kz.china_capacity - capacity_before
    np.testing.assert_allclose(added[0] - added[1], p.diversification_halt * 0.5, rtol=1e-9)
    assert kz.cpc_share[0] < kz.cpc_share[1]


def test_diversification_erodes_russian_leverage():
    """More export capacity avoiding Russia lowers Russia's leverage index."""
    model = make_model(3)
    kz = model.kazakhstan
    kz.trans_caspian_capacity = np.array([0.03, 0.2, 0.4])
    kz._update_route_shares()
    assert strictly_decreasing(model.russia.leverage_index())


def test_halt_cuts_revenue_in_proportion_to_halted_cpc_share():
    """Lost oil revenue equals base revenue x halted share of flow x CPC share."""
    model = make_model(5)
    kz, p = model.kazakhstan, model.params.kazakhstan
    model.russia.halt_cut = np.array([0.0, 0.1, 0.25, 0.5, 1.0])
    kz.trans_caspian_capacity = np.array([0.03, 0.03, 0.1, 0.2, 0.3])
    kz._update_route_shares()
    kz.earn_oil_revenue()
    unhalted = p.oil_revenue_base * (1.0 - p.alternative_route_cost * kz.alternative_share)
    expected = p.oil_revenue_base * model.russia.halt_cut * kz.cpc_share
    np.testing.assert_allclose(unhalted - kz.oil_revenue, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kz.revenue_lost, expected, rtol=1e-12, atol=1e-12)


def test_shares_sum_to_one_beyond_max_alternative_share():
    """Capacity ordered beyond max_alternative_share is capped, and shares still sum to 1."""
    model = make_model(3, {"kazakhstan.route_lag": 1})
    kz, cap = model.kazakhstan, model.params.kazakhstan.max_alternative_share
    kz.partner_orders = np.array([0.0, 0.3, 2.0])
    diversify_months(model, range(2))
    shares = kz.cpc_share + kz.other_russian_share + kz.trans_caspian_share + kz.china_share
    np.testing.assert_allclose(shares, 1.0, rtol=0, atol=1e-12)
    assert kz.trans_caspian_share[2] + kz.china_share[2] == pytest.approx(cap, abs=1e-12)
    assert kz.via_russia_share[2] == pytest.approx(1.0 - cap, abs=1e-12)
    assert kz.alternative_share[0] < kz.alternative_share[1] < kz.alternative_share[2]
    for share in (kz.cpc_share, kz.other_russian_share, kz.trans_caspian_share, kz.china_share):
        assert np.all((share >= 0) & (share <= 1))


# --- Kazakhstan: demand or comply (Axelrod) ----------------------------------------------------

RUNG_3 = np.full(3, Rung.THREAT, dtype=np.int8)


def test_backing_lowers_comply_probability():
    """With more third-party backing Kazakhstan has less to fear and complies less often."""
    model = make_model(3)
    model.backing = np.array([0.0, 0.5, 1.0])
    assert strictly_decreasing(model.kazakhstan.comply_probability(RUNG_3))


def test_nationalism_lowers_comply_probability():
    """Higher nationalism raises the sovereignty cost of complying and lowers compliance."""
    model = make_model(3)
    model.kazakhstan.nationalism = np.array([0.1, 0.5, 0.9])
    assert strictly_decreasing(model.kazakhstan.comply_probability(RUNG_3))


def test_higher_rung_raises_comply_probability():
    """A higher rung threatens more damage and makes compliance likelier."""
    model = make_model(5)
    rungs = np.arange(1, 6, dtype=np.int8)
    assert strictly_increasing(model.kazakhstan.comply_probability(rungs))


def test_complying_raises_alignment_and_resisting_lowers_it():
    """Compliance moves alignment up by comply_step, resistance down by resist_step."""
    runs = 4000
    model = make_model(runs)
    kz, p = model.kazakhstan, model.params.kazakhstan
    model.russia.rung = np.full(runs, Rung.THREAT, dtype=np.int8)
    model.russia.new_demand = np.arange(runs) % 4 != 0  # a quarter face no demand
    before = kz.alignment.copy()
    probability = kz.comply_probability(model.russia.rung)
    kz.answer_demand(0)
    comply, demand = kz.complied, model.russia.new_demand
    resist = demand & ~comply
    assert comply.any() and resist.any()
    np.testing.assert_allclose(
        kz.alignment[comply], (before + p.comply_step * (1 - before))[comply], rtol=1e-12
    )
    np.testing.assert_allclose(
        kz.alignment[resist], (before * (1 - p.resist_step))[resist], rtol=1e-12
    )
    assert np.array_equal(kz.alignment[~demand], before[~demand])
    share = comply[demand].mean()
    expected = probability[demand].mean()
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / demand.sum())


def test_complying_costs_leader_support():
    """A leader seen as subservient loses support in proportion to nationalism."""
    model = make_model(2)
    kz = model.kazakhstan
    model.russia.new_demand = np.ones(2, dtype=bool)
    kz.comply_probability = lambda rung: np.ones(2)  # force compliance in both runs
    kz.nationalism = np.array([0.2, 0.8])
    kz.answer_demand(0)
    expected = 1.0 - model.params.kazakhstan.subservience_penalty * kz.nationalism
    np.testing.assert_allclose(kz.leader_support, expected, rtol=1e-12)


# --- Kazakhstan: domestic channel --------------------------------------------------------------


def test_reform_raises_nationalism_over_time():
    """Higher reform raises nationalism, by a gap that widens month after month."""
    model = make_model(2, {"kazakhstan.reform_pace": 0.0})
    kz = model.kazakhstan
    kz.reform = np.array([0.2, 0.8])
    gaps = []
    for _ in range(60):
        kz.reform_and_nationalise()
        gaps.append(kz.nationalism[1] - kz.nationalism[0])
    assert gaps[0] > 0 and strictly_increasing(np.array(gaps))
    p = model.params.kazakhstan
    expected = p.reform_to_nationalism * 0.6 * (1 - (1 - p.nationalism_adjust) ** 60)
    assert gaps[-1] == pytest.approx(expected, rel=1e-9)


def test_reform_pace_raises_nationalism_and_drift_in_ensembles():
    """Same seeds, faster reform: higher mean nationalism and lower mean alignment at 10 years."""
    seeds = np.arange(200)
    slow, fast = (
        EscalationModel(
            {"kazakhstan.reform_pace": pace},
            seeds=seeds,
            months=120,
            trajectories=False,
            events=False,
        )
        .run()
        .summary
        for pace in (0.0, 0.02)
    )
    assert fast["final_nationalism"].mean() > slow["final_nationalism"].mean()
    assert fast["final_alignment"].mean() < slow["final_alignment"].mean()


def test_nationalism_speeds_drift():
    """More nationalism above its 2022 level makes alignment fall faster."""
    model = make_model(3, {"kazakhstan.alignment_volatility": 0.0})
    kz = model.kazakhstan
    kz.nationalism = np.array([0.3, 0.6, 0.9])
    kz.drift(0)
    assert strictly_decreasing(kz.alignment)


# --- Partners: credibility -------------------------------------------------------------------


def test_delivered_pledge_raises_credibility_and_broken_one_lowers_it():
    """A pledge delivered when due raises credibility; a broken one lowers it, by the gains."""
    params = ParamSet.per_run([{"china.reliability": 1.0}, {"china.reliability": 0.0}])
    model = make_model(2, params)
    china, shared = model.partners[Actor.CHINA], model.params.partners
    start = china.credibility.copy()
    china.due_month = np.array([5.0, 5.0])
    china.settle(5)
    delivered = start[0] + shared.credibility_gain * (1 - start[0])
    broken = start[1] * (1 - shared.credibility_loss)
    np.testing.assert_allclose(china.credibility, [delivered, broken], rtol=1e-12)
    assert china.credibility[0] > start[0] and china.credibility[1] < start[1]
    assert china.support.tolist() == [1.0, 0.0]
    assert not np.isfinite(china.due_month).any()


def test_pledge_not_yet_due_changes_nothing():
    """Before it falls due, a pledge neither raises nor lowers credibility."""
    model = make_model(1)
    turkey = model.partners[Actor.TURKEY]
    start = turkey.credibility.copy()
    turkey.due_month = np.array([10.0])
    turkey.settle(9)
    assert np.array_equal(turkey.credibility, start)
    assert turkey.due_month[0] == 10.0
