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
from sim.model.episodes import Outcome, Trigger
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
    model.kazakhstan.quiet = np.zeros(runs, dtype=bool)  # refused in word and in deed
    return model


def test_punishing_a_refusal_earns_credibility_and_letting_it_pass_spends_it():
    dear = {"russia.cpc_cost": 1.0, "russia.restriction_cost": 5.0, "russia.inducement_cost": 1.0,
            "russia.credibility_horizon": 0.0}  # fmt: skip
    for params in ({}, dear):
        model = refusing_model(4000, {"mechanisms.attribution": 0, **params})
        russia = model.russia
        before = russia.credibility.copy()
        halts, restrictions = russia.halts.copy(), russia.restrictions.copy()
        russia.respond_to_refusals(model.month)
        punished = (russia.halts > halts) | (russia.restrictions > restrictions)
        lapsed = ~punished & (russia.inducements == 0)
        assert np.all(russia.credibility[punished] > before[punished])
        assert np.all(russia.credibility[lapsed] < before[lapsed])
        assert punished.mean() > 0.5 if not params else lapsed.mean() > 0.5


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


def test_an_open_pledge_is_cheap_talk_and_does_not_deter():
    for on, deters in ((1, False), (0, True)):
        model = make_model(20, {"mechanisms.costly_signals": on})
        china = model.partners[Actor.CHINA]
        china.support[:] = 0.0
        china.due_month = np.full(20, model.month + 5.0)  # pledged, not yet delivered
        china.act(model.month)
        economic, security = china.offers()
        assert bool(np.all(security > 0)) == deters and bool(np.all(economic > 0)) == deters


def test_beliefs_move_in_proportion_to_the_cost_of_the_signal():
    """Arms of half the full-signal size move Moscow's security belief half as far."""
    moves = []
    for arms in (0.05, 0.1):
        model = make_model(10, {"turkey.arms": arms, "turkey.reliability": 1.0,
                                "turkey.rupture_aversion": 0.0})  # fmt: skip
        turkey, russia = model.partners[Actor.TURKEY], model.russia
        before = russia.security_belief[Actor.TURKEY].copy()
        turkey.due_month = np.full(10, float(model.month))
        turkey.settle(model.month)
        moves.append((russia.security_belief[Actor.TURKEY] - before) / (1.0 - before))
    assert moves[0] == pytest.approx(0.5 * moves[1])


def test_a_broken_pledge_lowers_beliefs_even_without_arms_or_investment():
    model = make_model(10, {"eu.reliability": 0.0, "eu.route_investment": 0.0})
    eu, russia = model.partners[Actor.EU], model.russia
    before = russia.economic_belief[Actor.EU].copy()
    eu.due_month = np.full(10, float(model.month))
    eu.settle(model.month)
    assert np.all(russia.economic_belief[Actor.EU] < before)


def test_chinas_cost_to_moscow_grows_with_its_stake_and_russias_dependence():
    model = make_model(3)
    china = model.partners[Actor.CHINA]
    assert np.all(china.dependence > 1.0)  # sanctions turned Russia's trade towards China
    china.deliveries = np.array([0, 2, 4])
    assert strictly_increasing(china.rupture_cost())
    fixed = make_model(3, {"mechanisms.costly_signals": 0}).partners[Actor.CHINA]
    fixed.deliveries = np.array([0, 2, 4])
    assert np.all(fixed.rupture_cost() == fixed.p.security_capability)


def test_both_offers_count_where_their_part_of_the_damage_lies():
    """No partition of offers by rung: at rung 4 an economic offer still offsets the economic
    part of the damage; at rung 2 a security offer offsets nothing (no military damage)."""
    model = make_model(2)
    kz = model.kazakhstan
    content = levels(Demand.BLOC_LOYALTY, 2)
    model.economic_offer = np.array([0.0, 0.8])
    assert strictly_decreasing(kz.comply_probability(levels(4, 2), content, 0.6))
    model.economic_offer = np.zeros(2)
    model.security_offer = np.array([0.0, 0.8])
    at_two = kz.comply_probability(levels(2, 2), content, 0.6)
    assert at_two[0] == at_two[1]
    assert strictly_decreasing(kz.comply_probability(levels(5, 2), content, 0.6))


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


# --- v3: episodes, soft choices, learning, attribution -----------------------------------------
def episode_model(runs: int, params: dict[str, Any] | None = None) -> EscalationModel:
    """A model with an episode on the war open in every run, at rung 2, demand just refused."""
    model = make_model(runs, params)
    russia, book = model.russia, model.episodes
    book.close(model.month, book.open, Outcome.DROPPED)
    russia.rung[:] = Rung.ECONOMIC
    every = np.ones(runs, dtype=bool)
    content = np.full(runs, Demand.ENDORSE_WAR, dtype=np.int8)
    book.start(model.month, every, np.zeros(runs), content, np.full(runs, model.month), russia.rung)
    russia.demand = content.copy()
    return model


def test_compliance_closes_the_episode_and_ends_its_pressure():
    model = episode_model(50)
    russia, kz, book = model.russia, model.kazakhstan, model.episodes
    russia.halt_months_left[:] = 2
    russia.coercive_halt[:] = True
    russia.restriction_months_left[:] = 2
    russia.new_demand[:] = True
    kz.complied = np.arange(50) % 2 == 0
    russia.learn_from_answers(model.month)
    assert not book.open[kz.complied].any() and book.open[~kz.complied].all()
    assert np.all(russia.halt_months_left[kz.complied] == 0)
    assert np.all(russia.restriction_months_left[kz.complied] == 0)
    assert np.all(russia.halt_months_left[~kz.complied] == 2)


def test_without_episodes_compliance_ends_nothing():
    model = episode_model(20, {"mechanisms.episodes": 0})
    russia, kz = model.russia, model.kazakhstan
    russia.halt_months_left[:] = 2
    russia.coercive_halt[:] = True
    russia.new_demand[:] = True
    kz.complied = np.ones(20, dtype=bool)
    russia.learn_from_answers(model.month)
    assert model.episodes.open.all() and np.all(russia.halt_months_left == 2)


def test_an_episode_opens_on_a_trigger_with_its_content():
    model = make_model(2000)
    russia, kz, book = model.russia, model.kazakhstan, model.episodes
    book.close(model.month, book.open, Outcome.DROPPED)
    same_view(model)
    russia.rung[:] = Rung.ECONOMIC
    russia.need_reference[:] = 1e9  # no rise of Moscow's own need
    kz.enforcement_stepped[:] = False
    kz.left_bloc[:] = False
    for partner in model.partners.values():
        partner.delivered_now[:] = False
    kz.public_refusal = np.arange(2000) < 1000
    trigger, content = russia.triggers()
    assert np.all(trigger[:1000] == Trigger.PUBLIC_REFUSAL) and np.all(trigger[1000:] == -1)
    assert np.all(content[:1000] == Demand.ENDORSE_WAR)
    opened = russia.open_episodes(model.month, trigger, content, np.ones(2000, dtype=bool))
    assert opened[:1000].any() and not opened[1000:].any()
    assert np.all(book.trigger[opened] == Trigger.PUBLIC_REFUSAL)


def test_a_refused_demand_moscow_expects_nothing_from_is_dropped():
    """At the deadline Moscow drops a demand it believes Astana will never meet, and renews
    one it believes Astana will meet."""
    hopeless, hopeful = episode_model(2000), episode_model(2000)
    hopeless.russia.answers[:], hopeless.russia.yields[:] = 1000.0, 0.0
    hopeful.russia.answers[:], hopeful.russia.yields[:] = 1000.0, 1000.0
    month = hopeless.month + 1
    dropped = []
    for model in (hopeless, hopeful):
        model.russia.motivation = model.russia.stake()
        model.russia.review_deadlines(month, np.zeros(2000, dtype=bool))
        dropped.append((~model.episodes.open).mean())
    assert dropped[0] > 0.5 and dropped[1] < 0.1


def test_quantal_response_spreads_choices_and_the_best_reply_does_not():
    values = np.stack([np.zeros(4000), np.full(4000, 0.02)])
    soft = make_model(4000).russia.quantal(values, "instrument", 3)
    best = make_model(4000, {"mechanisms.quantal_choice": 0}).russia
    hard = best.quantal(values, "instrument", 3)
    share = soft.mean()  # exp(33 * 0.02) / (1 + exp(33 * 0.02)) = 0.66
    assert abs(share - 1.0 / (1.0 + np.exp(-33 * 0.02))) < 0.03
    assert np.all(hard == 1)


def test_a_small_change_in_cost_shifts_instruments_smoothly():
    """McKelvey & Palfrey: a small cost change moves shares a little, not wholesale."""
    shares = []
    for cost in (0.03, 0.04):
        model = refusing_model(4000, {"russia.shareholder_cost": cost})
        model.russia.respond_to_refusals(model.month)
        shares.append(model.russia.halts.mean())
    assert 0 < shares[1] < shares[0] and shares[0] - shares[1] < 0.2


def test_an_instrument_that_keeps_failing_loses_value():
    fresh, failed = refusing_model(3000), refusing_model(3000)
    failed.russia.trials[0] = 30.0  # thirty disruptions, none followed by compliance
    theta, effect = failed.russia.beliefs()
    assert theta[0].max() < 0.05 and effect[0].max() < 0.2 and np.all(effect[1] == 1.0)
    for model in (fresh, failed):
        model.russia.respond_to_refusals(model.month)
    assert failed.russia.halts.sum() < 0.5 * fresh.russia.halts.sum()


def test_learning_counts_answers_and_its_switch_keeps_the_priors():
    for on in (1, 0):
        model = episode_model(100, {"mechanisms.learning": on})
        russia = model.russia
        russia.new_demand[:] = True
        russia.last_instrument[:] = 0
        model.kazakhstan.complied = np.zeros(100, dtype=bool)
        model.kazakhstan.quiet = np.zeros(100, dtype=bool)
        answers, yields = russia.answers.copy(), russia.yields.copy()
        russia.trials[:] = 0.0
        russia.learn_from_answers(model.month)
        assert np.all(russia.trials[0] == on) and np.all(russia.answers - answers == on)
        assert np.all(russia.successes == 0) and np.array_equal(russia.yields, yields)


def test_astana_learns_that_an_unprovoked_new_demand_breaks_the_assurance():
    model = make_model(10)
    kz, russia = model.kazakhstan, model.russia
    before = kz.assurance().copy()
    kz.watch_content[:] = Demand.ENDORSE_WAR
    kz.watch_until[:] = model.month + 6
    russia.opened_now = np.arange(10) < 5
    russia.demand = np.full(10, Demand.ENDORSE_WAR, dtype=np.int8)
    model.episodes.trigger[:] = Trigger.MOSCOW_NEED  # unprovoked: no new Kazakh act
    kz.judge_assurance(model.month)
    assert np.all(kz.assurance()[:5] < before[:5]) and np.all(kz.assurance()[5:] == before[5:])
    kz.judge_assurance(model.month + 6)  # the window passes without a new demand
    assert np.all(kz.assurance()[5:] > before[5:])


def test_credibility_earned_scales_with_attribution():
    gains = []
    for chance in (0.0, 1.0):
        params = {f"russia.attribution_{p}": chance for p in ("storm", "ordnance", "court")}
        model = refusing_model(4000, {**params, "russia.attribution_repairs": chance})
        model.russia.restriction_cost = lambda at=None: 10.0  # leave only halts
        before, halts = model.russia.credibility.copy(), model.russia.halts.copy()
        model.russia.respond_to_refusals(model.month)
        halted = model.russia.halts > halts
        assert halted.any()
        gains.append((model.russia.credibility - before)[halted].mean())
    assert gains[0] == 0.0 and gains[1] > 0.0


def test_deniability_lowers_the_cost_of_a_disruption():
    russia = make_model(5).russia
    assert np.all(russia.disruption_cost(0.3) < russia.disruption_cost(1.0))


def test_astana_sometimes_reads_other_stoppages_as_coercion():
    params = {"disruptions.weather_rate": 0.5, "disruptions.maintenance_rate": 0.3}
    misread = [
        simulate_summary({**params, "kazakhstan.misattribution": m})["stoppages_misread"].sum()
        for m in (0.0, 0.5)
    ]
    off = simulate_summary({**params, "kazakhstan.misattribution": 0.5,
                            "mechanisms.attribution": 0})  # fmt: skip
    assert misread[0] == 0 and misread[1] > 0 and off["stoppages_misread"].sum() == 0


def simulate_summary(params: dict[str, Any]):
    return EscalationModel(params, seeds=np.arange(300), months=12, events=False).run().summary


def test_astana_can_accommodate_quietly_and_moscow_credits_deeds_by_content():
    model = make_model(3)
    kz, russia = model.kazakhstan, model.russia
    terms = kz.answer_terms(levels(Demand.EVADE_SANCTIONS, 3))
    complies, deeds = kz.answer_shares(levels(2, 3), np.full(3, 0.8), terms)
    assert np.all(deeds > 0) and np.all(complies + deeds < 1)
    values = russia.deed_value(np.array([Demand.ENDORSE_WAR, Demand.EVADE_SANCTIONS,
                                         Demand.BLOC_LOYALTY]))  # fmt: skip
    assert values.tolist() == [0.5, 1.0, 0.3]
    off = make_model(3, {"mechanisms.deeds": 0}).kazakhstan
    _, none = off.answer_shares(levels(2, 3), np.full(3, 0.8), off.answer_terms(levels(1, 3)))
    assert np.all(none == 0)


def test_a_quiet_deed_loosens_enforcement_and_is_logged_apart_from_words():
    params = {"kazakhstan.quiet_cost_share": 0.0, "mechanisms.episodes": 0}
    result = EscalationModel(params, seeds=np.arange(200), months=12).run()
    events, summary = result.events, result.summary
    deeds = events[events["action"] == "kazakh_quiet_deed"]
    assert len(deeds) == summary["quiet_deeds"].sum() > 0
    refusals = events[events["action"] == "kazakh_resist"]
    assert len(refusals) >= len(deeds)  # a quiet deed is a refusal in word
    model = episode_model(10)
    kz, before = model.kazakhstan, model.kazakhstan.sanctions_enforcement.copy()
    model.russia.new_demand[:] = True
    kz.answer_shares = lambda *args: (np.zeros(10), np.ones(10))  # every answer a quiet deed
    kz.answer_demand(model.month)
    assert np.all(kz.quiet) and np.all(kz.refused)
    assert np.all(kz.sanctions_enforcement < before)


def test_accepting_a_quiet_deed_closes_the_episode_without_a_lapse():
    model = episode_model(2000, {"russia.cpc_cost": 1.0, "russia.restriction_cost": 5.0,
                                 "russia.inducement_cost": 1.0})  # fmt: skip
    russia, kz, book = model.russia, model.kazakhstan, model.episodes
    russia.demand[:] = Demand.EVADE_SANCTIONS  # a deed delivers all of it
    book.content[:] = Demand.EVADE_SANCTIONS
    kz.refused[:] = True
    kz.quiet[:] = True
    before, quiet_before = russia.credibility.copy(), book.outcomes[Outcome.QUIET].copy()
    russia.respond_to_refusals(model.month)
    accepted = ~book.open
    assert accepted.mean() > 0.9
    assert np.all(russia.credibility[accepted] == before[accepted])
    assert np.array_equal(book.outcomes[Outcome.QUIET] - quiet_before, accepted)


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
