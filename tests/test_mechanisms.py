"""Each mechanism pushes in its documented direction, tested in isolation.

A test builds an EscalationModel whose runs differ in one state variable or parameter only,
sets it directly, and calls the one method that implements the mechanism. Directions are
asserted strictly; where an equation gives an exact size, the size is asserted too. Calibrated
levels are never asserted here (tests/test_validate.py checks them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim import EscalationModel, ParamSet
from sim.analysis.probabilities import reached_by
from sim.model.escalation import simulate
from sim.model.ladder import Actor, Cause, Demand, Rung
from sim.model.params import MECHANISMS
from sim.model.rng import RunStreams
from sim.model.war import WarTimeline, odds_of_winning


def make_model(runs: int, params: dict[str, Any] | ParamSet | None = None) -> EscalationModel:
    """A model of `runs` runs that start in the same state (seeds 0..runs-1), stepped once."""
    model = EscalationModel(params, seeds=np.arange(runs), months=240, trajectories=False)
    model.step()
    return model


def strictly_increasing(values: np.ndarray) -> bool:
    return bool(np.all(np.diff(values) > 0))


def strictly_decreasing(values: np.ndarray) -> bool:
    return bool(np.all(np.diff(values) < 0))


def levels(value: int, runs: int) -> np.ndarray:
    return np.full(runs, value, dtype=np.int8)


def same_view(model: EscalationModel) -> EscalationModel:
    """Give every run Moscow's same (noise-free) view of Kazakhstan, then recompute the stake."""
    russia = model.russia
    russia.seen_alignment = np.full(model.params.size, 0.7)
    russia.motivation = russia.stake()
    return model


# Ceilings fixed (low = high) so runs differ only in what a test sets.
FIXED_CEILINGS = {
    "kazakhstan.caspian_ceiling_low": 0.2,
    "kazakhstan.caspian_ceiling_high": 0.2,
    "kazakhstan.china_ceiling_low": 0.05,
    "kazakhstan.china_ceiling_high": 0.05,
}


# --- Kazakhstan's answer (Axelrod, Schelling) --------------------------------------------------
def test_credibility_raises_compliance():
    """The likelier Moscow is to carry out a threat, the likelier Astana complies."""
    kz = make_model(3).kazakhstan
    p = kz.comply_probability(
        levels(2, 3), levels(Demand.BLOC_LOYALTY, 3), np.array([0.1, 0.5, 0.9])
    )
    assert strictly_increasing(p)


def test_higher_rungs_raise_compliance():
    kz = make_model(5).kazakhstan
    p = kz.comply_probability(np.arange(5, dtype=np.int8), levels(Demand.BLOC_LOYALTY, 5), 0.6)
    assert strictly_increasing(p)


def test_partner_offers_lower_compliance():
    """Credible partner offers offset the damage of refusing (the emboldenment channel)."""
    model = make_model(3)
    model.economic_offer = np.array([0.0, 0.4, 0.8])
    p = model.kazakhstan.comply_probability(levels(2, 3), levels(Demand.BLOC_LOYALTY, 3), 0.6)
    assert strictly_decreasing(p)


def test_partner_offers_switch_removes_the_offset():
    model = make_model(2, {"mechanisms.partner_offers": 0})
    model.economic_offer = np.array([0.0, 0.8])
    p = model.kazakhstan.comply_probability(levels(2, 2), levels(Demand.BLOC_LOYALTY, 2), 0.6)
    assert p[0] == p[1]


def test_nationalism_raises_the_cost_of_complying():
    kz = make_model(3).kazakhstan
    kz.nationalism = np.array([0.1, 0.5, 0.9])
    assert strictly_increasing(kz.comply_cost(levels(Demand.ENDORSE_WAR, 3)))


def test_endorsing_the_war_costs_more_than_bloc_loyalty():
    """Content matters: endorsing the war adds the West's and the public's reaction."""
    kz = make_model(1).kazakhstan
    war = kz.comply_cost(levels(Demand.ENDORSE_WAR, 1))
    loyalty = kz.comply_cost(levels(Demand.BLOC_LOYALTY, 1))
    assert war[0] == pytest.approx(loyalty[0] + kz.p.war_stance_cost)


def test_eu_pressure_raises_the_cost_of_evading_sanctions():
    kz = make_model(2).kazakhstan
    kz.sanctions_pressure = np.array([0.0, 0.3])
    assert strictly_increasing(kz.comply_cost(levels(Demand.EVADE_SANCTIONS, 2)))


def test_compliance_moves_the_demanded_position_only():
    """Complying on the war raises the war stance and leaves alignment alone."""
    model = make_model(2000)
    kz, russia = model.kazakhstan, model.russia
    russia.new_demand[:] = True
    russia.demand[:] = Demand.ENDORSE_WAR
    russia.rung[:] = Rung.POSTURING
    stance, alignment = kz.war_stance.copy(), kz.alignment.copy()
    kz.answer_demand(model.month)
    complied = kz.complied
    assert complied.any() and (~complied).any()
    assert np.all(kz.war_stance[complied] > stance[complied])
    assert np.array_equal(kz.war_stance[~complied], stance[~complied])
    assert np.array_equal(kz.alignment, alignment)


# --- Russia's stake and posture (Fearon, Powell) ------------------------------------------------
def test_larger_gap_raises_the_stake():
    model = make_model(3)
    russia = model.russia
    russia.seen_alignment = np.array([0.7, 0.5, 0.3])
    assert strictly_increasing(russia.stake())


def test_closing_window_raises_the_stake_and_its_switch_removes_it():
    for on, expect_increase in ((1, True), (0, False)):
        model = same_view(make_model(3, {"mechanisms.closing_window": on}))
        model.russia.leverage_trend = np.array([0.0, -0.002, -0.005])
        stake = model.russia.stake()
        assert strictly_increasing(stake) == expect_increase


def test_war_demand_lapses_when_the_war_ends():
    model = make_model(2)
    model.war.ongoing = np.array([True, False])
    gaps = model.russia.gap_values()
    assert gaps[Demand.ENDORSE_WAR][0] > 0 and gaps[Demand.ENDORSE_WAR][1] == 0


def test_tied_forces_make_posturing_dearer():
    model = make_model(3)
    model.war.free_capacity = np.array([0.05, 0.15, 0.9])
    costs = model.russia.posture_costs()[Rung.POSTURING]
    assert strictly_decreasing(costs[:2]) and costs[1] > costs[2]


def test_posturing_costs_the_ratio_of_forces_needed_to_forces_free():
    """cost(4) = posture_cost * max(a * K * defence / (free * G), 1), from IISS 2022 numbers."""
    model = make_model(3)
    f, russia = model.params.forces, model.russia
    model.war.free_capacity = np.full(3, 0.2)
    model.kazakhstan.defence = np.array([0.5, 1.5, 3.0])
    needed = f.defender_advantage * f.kazakhstan_active * model.kazakhstan.defence
    expected = russia.p.posture_cost * np.maximum(needed / (0.2 * f.russia_ground), 1.0)
    model.expected_response = np.zeros(3)
    assert russia.posture_costs()[Rung.POSTURING] == pytest.approx(expected)


def test_odds_of_winning_follow_the_force_ratio():
    """P(win) = F^m / (F^m + N^m): even odds at F = N, rising with free forces, falling with
    Kazakh defence."""
    model = make_model(1)
    f = model.params.forces
    even = f.defender_advantage * f.kazakhstan_active / f.russia_ground
    assert odds_of_winning(f, np.array([even]), np.array([1.0]))[0] == pytest.approx(0.5)
    rising = odds_of_winning(f, np.array([0.1, 0.3, 0.9]), np.ones(3))
    falling = odds_of_winning(f, np.full(3, 0.5), np.array([0.5, 1.0, 2.0]))
    assert strictly_increasing(rising) and strictly_decreasing(falling)


def test_war_surplus_falls_with_kazakh_defence():
    model = make_model(3)
    model.war.free_capacity = np.full(3, 0.75)
    model.kazakhstan.defence = np.array([0.5, 1.0, 2.0])
    model.russia.decide_intervention(1, np.zeros(3, dtype=bool))
    assert strictly_decreasing(model.russia.p_win)
    assert strictly_decreasing(model.russia.war_surplus)


def test_expected_partner_response_makes_threats_and_posturing_dearer():
    model = make_model(3)
    model.expected_response = np.array([0.0, 0.5, 1.0])
    costs = model.russia.posture_costs()
    assert strictly_increasing(costs[Rung.THREAT]) and strictly_increasing(costs[Rung.POSTURING])
    assert np.all(costs[Rung.ECONOMIC] == costs[Rung.ECONOMIC][0])


def test_deterrence_lowers_war_surplus():
    model = make_model(3)
    model.expected_response = np.array([0.0, 0.5, 1.0])
    model.russia.decide_intervention(1, np.zeros(3, dtype=bool))
    assert strictly_decreasing(model.russia.war_surplus)


def test_audience_cost_makes_backing_down_from_a_refused_threat_dear():
    model = same_view(make_model(2))
    russia = model.russia
    russia.rung[:] = Rung.THREAT
    russia.face_at_stake = np.array([False, True])
    down = russia.posture_values([levels(Rung.ECONOMIC, 2)])[0]
    assert down[0] - down[1] == pytest.approx(russia.p.audience_cost)


def test_without_instrument_costs_every_posture_is_free():
    model = make_model(1, {"mechanisms.instrument_costs": 0})
    costs = model.russia.posture_costs()
    assert np.all(costs == 0.0)


# --- carrying out threats (Schelling) -----------------------------------------------------------
def refusing_model(runs: int, params: dict[str, Any] | None = None) -> EscalationModel:
    model = make_model(runs, params)
    model.russia.rung[:] = Rung.ECONOMIC
    model.russia.halt_months_left[:] = 0
    model.kazakhstan.refused = np.ones(runs, dtype=bool)
    return model


def test_punishing_a_refusal_earns_credibility_and_letting_it_pass_spends_it():
    model = refusing_model(4000)
    russia = model.russia
    before = russia.credibility.copy()
    halts, restrictions = russia.halts.copy(), russia.restrictions.copy()
    russia.respond_to_refusals(model.month)
    punished = (russia.halts > halts) | (russia.restrictions > restrictions)
    assert punished.any() and (~punished).any()
    assert np.all(russia.credibility[punished] > before[punished])
    assert np.all(russia.credibility[~punished] < before[~punished])


def test_dearer_disruptions_mean_fewer_punishments():
    cheap = refusing_model(4000)
    dear = refusing_model(4000, {"russia.cpc_cost": 1.0, "russia.restriction_cost": 5.0})
    for model in (cheap, dear):
        model.russia.respond_to_refusals(model.month)
    count = [int((m.russia.halts + m.russia.restrictions).sum()) for m in (cheap, dear)]
    assert count[0] > count[1]


def test_russia_picks_the_cheaper_instrument():
    """With trade restrictions made cheap, Moscow restricts trade instead of stopping the CPC."""
    model = refusing_model(4000, {"russia.restriction_cost": 0.0, "russia.cpc_cost": 1.0})
    model.russia.respond_to_refusals(model.month)
    assert model.russia.restrictions.sum() > 0
    assert model.russia.halts.sum() == 0


def test_credibility_switch_freezes_credibility_and_removes_its_value():
    model = refusing_model(100, {"mechanisms.credibility": 0})
    before = model.russia.credibility.copy()
    assert np.all(model.russia.credibility_value() == 0.0)
    model.russia.respond_to_refusals(model.month)
    assert np.array_equal(model.russia.credibility, before)


def test_unpunished_refused_threat_puts_face_at_stake():
    model = refusing_model(2000, {"russia.cpc_cost": 1.0, "russia.restriction_cost": 5.0})
    model.russia.rung[:] = Rung.THREAT
    model.russia.respond_to_refusals(model.month)
    assert model.russia.face_at_stake.any()


# --- disruptions that are not coercion -----------------------------------------------------------
def test_other_disruptions_carry_their_cause_and_are_not_counted_as_coercion():
    params = {"disruptions.weather_rate": 0.3, "disruptions.maintenance_rate": 0.3}
    model = EscalationModel(params, seeds=np.arange(300), months=12)
    result = model.run()
    events = result.events
    other = events[events["action"] == "cpc_disruption"]
    assert len(other) > 0
    assert set(other["cause"].astype(str)) <= {c.name.lower() for c in Cause if c != Cause.COERCION}
    assert (other["actor"].astype(str) == Actor.OTHER.label).all()
    assert result.summary["pipeline_halts_other"].sum() == len(other)
    storms = other[other["cause"] == "weather"]
    assert storms["month"].mod(12).isin([0, 8, 9, 10, 11]).all()  # November to March


def test_other_disruptions_switch_removes_them():
    params = {"disruptions.weather_rate": 0.3, "mechanisms.other_disruptions": 0}
    summary = EscalationModel(params, seeds=np.arange(200), months=12).run().summary
    assert summary["pipeline_halts_other"].sum() == 0


# --- Kazakhstan: routes (Drezner), hedging (Kuik), domestic channel ---------------------
def test_halts_speed_up_orders_and_the_switch_removes_it():
    for on, faster in ((1, True), (0, False)):
        model = make_model(2, {"mechanisms.diversification": on, **FIXED_CEILINGS})
        model.kazakhstan.halt_memory = np.zeros(2)
        kz = model.kazakhstan
        model.russia.halt_cut = np.array([0.0, 0.5])
        kz.diversify(model.month)
        pending = kz._caspian_orders.pending
        assert (pending[1] > pending[0]) == faster


def test_capacity_never_exceeds_its_drawn_ceiling():
    model = EscalationModel(
        {"kazakhstan.diversification_base": 0.2}, seeds=np.arange(50), months=120
    )
    model.run()
    kz = model.kazakhstan
    assert np.all(kz.trans_caspian_capacity <= kz.caspian_ceiling + 1e-12)
    assert np.all(kz.china_capacity <= kz.china_ceiling + 1e-12)
    assert np.ptp(kz.caspian_ceiling) > 0  # uncertain across runs


def test_hedging_target_moves_both_ways():
    """Offers pull the target away from Moscow; joint projects pull it back."""
    model = make_model(3)
    kz = model.kazakhstan
    model.economic_offer = np.array([0.0, 0.5, 0.0])
    kz.project_pull = np.array([0.0, 0.0, 0.1])
    target = kz.hedging_target()
    assert target[1] < target[0] < target[2]


def test_more_multivector_weight_lowers_the_hedging_target():
    model = make_model(
        3, ParamSet.per_run([{"kazakhstan.multivector": m} for m in (0.1, 0.5, 0.9)])
    )
    model.economic_offer = np.full(3, 0.5)
    assert strictly_decreasing(model.kazakhstan.hedging_target())


def test_hedging_switch_fixes_the_target():
    model = make_model(2, {"mechanisms.hedging": 0})
    kz = model.kazakhstan
    model.economic_offer = np.array([0.0, 0.5])
    target = kz.hedging_target()
    assert target[0] == target[1] == pytest.approx(kz.p.initial_alignment)


def test_reforms_feed_nationalism_only_with_the_domestic_channel():
    for on in (1, 0):
        model = make_model(1, {"mechanisms.domestic": on, "kazakhstan.reform_pace": 0.05})
        kz = model.kazakhstan
        for _month in range(1, 60):
            kz.reform_and_nationalise()
        rose = kz.nationalism[0] > kz.p.initial_nationalism + 1e-9
        assert rose == bool(on)


def test_unrest_shifts_the_course_away_from_moscow():
    model = make_model(2000, {"kazakhstan.unrest_rate": 0.05})
    kz = model.kazakhstan
    kz.risk_unrest(model.month)
    assert kz.course_shift.min() < 0 and kz.course_shift.max() == 0


# --- partners: pledges and what Moscow learns (Huth) ----------------------------------------------
def test_delivered_arms_raise_moscows_security_belief_and_broken_pledges_lower_it():
    for reliability, direction in ((1.0, 1), (0.0, -1)):
        model = make_model(50, {"turkey.reliability": reliability, "turkey.rupture_aversion": 0})
        turkey, russia = model.partners[Actor.TURKEY], model.russia
        before = russia.security_belief[Actor.TURKEY].copy()
        turkey.due_month = np.full(50, float(model.month))
        turkey.settle(model.month)
        change = russia.security_belief[Actor.TURKEY] - before
        assert np.all(np.sign(change) == direction)


def test_rupture_aversion_withholds_deliveries_as_russia_escalates():
    model = make_model(3)
    china = model.partners[Actor.CHINA]
    model.russia.rung = np.array([0, 3, 5], dtype=np.int8)
    assert strictly_decreasing(china.delivery_probability())


def test_eu_pledges_more_when_kazakhstan_enforces_sanctions():
    model = make_model(2)
    model.kazakhstan.sanctions_enforcement = np.array([0.1, 0.9])
    assert strictly_increasing(model.partners[Actor.EU].pledge_probability())


# --- the war, and conditioning on what has happened ----------------------------------------------
def test_conditioning_on_an_ongoing_war_moves_every_end_after_the_known_month():
    params = {"war.outcome": "uncertain", "war.end_month": 36, "war.end_month_spread": 24,
              "war.ongoing_through": 40}  # fmt: skip
    war = EscalationModel(params, seeds=np.arange(4000), months=1).war
    ended = np.isfinite(war.end_month)
    assert np.all(war.end_month[ended] > 40)
    unconditioned = EscalationModel({**params, "war.ongoing_through": None},
                                    seeds=np.arange(4000), months=1).war  # fmt: skip
    # Bayes: a war known to last to month 40 is likelier to go on past the horizon.
    assert (~ended).mean() > (~np.isfinite(unconditioned.end_month)).mean()


def test_every_mechanism_has_a_switch_parameter():
    model = make_model(1)
    for name in MECHANISMS:
        assert getattr(model.params.mechanisms, name) == 1


# --- capacity bounds diversification (docs/ODD.md 7.10 and 7.25) ------------------------------
def step_through(model: EscalationModel, months: int, each=None) -> None:
    for _ in range(months):
        model.step()
        if each is not None:
            each(model)


def test_route_capacity_never_exceeds_what_existed_or_was_contracted():
    """Under constant pressure, each route stays under its own run's ceiling, month by month."""
    model = EscalationModel(
        {"kazakhstan.diversification_base": 0.2, "russia.initial_rung": 4},
        seeds=np.arange(200), months=120, trajectories=False, events=False,
    )  # fmt: skip
    kz, trade = model.kazakhstan, model.trade

    def check(m: EscalationModel) -> None:
        assert np.all(kz.trans_caspian_capacity <= kz.caspian_ceiling + 1e-12)
        assert np.all(kz.china_capacity <= kz.china_ceiling + 1e-12)
        assert np.all(trade.corridor_cargo <= trade.corridor_capacity + 1e-12)

    step_through(model, 120, check)
    high = model.params.kazakhstan
    assert np.all(kz.caspian_ceiling <= high.caspian_ceiling_high)
    # Pressure fills the ceilings: the bound binds, not the pace.
    assert np.median(kz.trans_caspian_capacity / kz.caspian_ceiling) > 0.9


def test_new_route_capacity_waits_for_its_lead_time():
    """Nothing ordered in month 0 arrives before the run's own lead time has passed."""
    model = EscalationModel(
        {"kazakhstan.diversification_base": 0.2, "kazakhstan.caspian_lead_low": 6,
         "kazakhstan.caspian_lead_high": 36},
        seeds=np.arange(300), months=40, trajectories=False, events=False,
    )  # fmt: skip
    kz = model.kazakhstan
    lead = kz.caspian_lead.copy()
    assert lead.min() >= 6 and lead.max() <= 36 and np.unique(lead).size > 10
    initial = kz.trans_caspian_capacity.copy()
    first_growth = np.full(300, -1)
    for month in range(40):
        model.step()
        grown = (kz.trans_caspian_capacity > initial + 1e-12) & (first_growth < 0)
        first_growth[grown] = month
    seen = first_growth >= 0
    assert seen.sum() > 100
    assert np.all(first_growth[seen] == lead[seen])  # ordered in month 0, delivered at lead


def test_lead_times_and_capacities_differ_between_runs_and_repeat_with_the_seed():
    a = EscalationModel(None, seeds=np.arange(50), months=12, trajectories=False)
    b = EscalationModel(None, seeds=np.arange(50), months=12, trajectories=False)
    for attribute in ("caspian_lead", "china_lead", "caspian_ceiling", "china_ceiling"):
        values = getattr(a.kazakhstan, attribute)
        assert np.unique(values).size > 5
        assert np.array_equal(values, getattr(b.kazakhstan, attribute))
    assert np.unique(a.trade.corridor_capacity).size > 5


def test_corridor_cargo_is_stochastic_but_reproducible():
    a = simulate_cargo(seeds=[1, 2, 3])
    b = simulate_cargo(seeds=[1, 2, 3])
    assert np.array_equal(a, b)
    assert not np.allclose(a[0], a[1])  # not one deterministic path
    flat = simulate_cargo(seeds=[1, 2, 3], volatility=0.0)
    assert np.allclose(flat[0], flat[1])  # the spread comes from the shocks


def simulate_cargo(seeds, volatility: float | None = None) -> np.ndarray:
    values = {} if volatility is None else {"trade.corridor_volatility": volatility}
    values["trade.corridor_capacity_low"] = values["trade.corridor_capacity_high"] = 50.0
    model = EscalationModel(values, seeds=np.asarray(seeds), months=24, trajectories=False)
    path = []
    for _ in range(24):
        model.step()
        path.append(model.trade.corridor_cargo.copy())
    return np.array(path).T


def test_contracted_corridor_expansion_opens_in_its_drawn_month():
    model = EscalationModel(None, seeds=np.arange(100), months=40, trajectories=False)
    trade = model.trade
    base, opens = trade.corridor_capacity.copy(), trade._corridor_opens
    assert opens.min() >= trade.p.corridor_lead_low and opens.max() <= trade.p.corridor_lead_high
    for month in range(40):
        model.step()
        expected = base + trade.p.corridor_expansion * (month >= opens)
        assert np.allclose(trade.corridor_capacity, expected)


def test_capacity_limits_off_lifts_the_ceilings():
    on = EscalationModel(None, seeds=np.arange(20), months=12, trajectories=False)
    off = EscalationModel({"mechanisms.capacity_limits": 0}, seeds=np.arange(20), months=12,
                          trajectories=False)  # fmt: skip
    assert np.all(on.kazakhstan.caspian_ceiling < 0.2)
    assert np.all(off.kazakhstan.caspian_ceiling == 1)
    assert np.all(np.isinf(off.trade.corridor_capacity))


# --- the war is a price, not a wall (docs/ODD.md 7.5-7.6) ---------------------------------------
def test_rungs_4_and_5_are_reachable_while_the_war_lasts():
    """At the IISS 2022 force numbers, with the war on for the whole horizon, Moscow can still
    posture, and intervenes when Kazakhstan breaks with both blocs."""
    war_on = {"war.outcome": "ongoing"}
    quiet = simulate(war_on, seeds=np.arange(600), months=120, trajectories=False,
                     events=False).summary  # fmt: skip
    assert 0.01 < reached_by(quiet, 4, 120).mean() < 0.5
    assert (quiet["war_outcome"] == "ongoing").all()
    exits = {"kazakhstan.csto_exit_month": 12, "kazakhstan.eaeu_exit_month": 12}
    breach = simulate({**war_on, **exits}, seeds=np.arange(600), months=120,
                      trajectories=False, events=False).summary  # fmt: skip
    assert reached_by(breach, 4, 120).mean() > 0.5
    assert reached_by(breach, 5, 120).mean() > 0.01


# --- the war's end from the duration literature (docs/ODD.md 7.1) ------------------------------
def war_draws(runs: int, **values: Any):
    params = ParamSet.uniform({"war.outcome": "uncertain", **values}, size=runs)
    return WarTimeline(params, RunStreams(np.arange(runs)), horizon=120)


def test_duration_prior_ends_after_the_known_month_with_the_log_logistic_median():
    """Given the war lasted through month K, S(T | T > a0) = 1/2 at the analytic median."""
    war = war_draws(20000)
    ended = np.isfinite(war.end_month)
    assert np.all(war.end_month[ended] >= 8)  # war.ongoing_through = 7 (October 2022)
    alpha, beta, a0 = 4.6, 1.4, 8.0 + 5.0 / 30.0
    median_age = alpha * (2.0 * (1.0 + (a0 / alpha) ** beta) - 1.0) ** (1.0 / beta)
    months = np.where(ended, war.end_month, 10**6)
    assert np.median(months) == pytest.approx(np.floor(median_age - 5.0 / 30.0), abs=1.0)
    # Ongoing = the end lies past the horizon: about S(120.2) / S(a0) = 3%.
    assert 0.02 < np.mean(war.outcome == 0) < 0.045


def test_the_hazard_of_ending_falls_with_duration():
    war = war_draws(40000)
    months = war.end_month[np.isfinite(war.end_month)]
    at_risk = lambda m: np.sum(months >= m)  # noqa: E731
    hazard = [np.sum(months == m) / at_risk(m) for m in (10, 20, 40)]
    assert strictly_decreasing(np.array(hazard))


def test_a_longer_war_is_less_often_favourable_to_russia():
    """Slantchev (2004): initiators do worse the longer the war; none of it with decline 0."""
    war = war_draws(40000)
    short, long = war.end_month < 16, (war.end_month >= 30) & np.isfinite(war.end_month)
    favourable = war.outcome == 1
    assert favourable[short].mean() > favourable[long].mean() + 0.05
    flat = war_draws(40000, **{"war.initiator_decline": 0.0})
    short, long = flat.end_month < 16, (flat.end_month >= 30) & np.isfinite(flat.end_month)
    assert abs((flat.outcome == 1)[short].mean() - (flat.outcome == 1)[long].mean()) < 0.03


def test_a_fixed_outcome_keeps_its_window():
    war = war_draws(50, **{"war.outcome": "favorable", "war.end_month": 24})
    assert np.all(war.end_month == 24) and np.all(war.outcome == 1)
