"""Scores and reference forecasts on synthetic, model-free cases with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.analysis import scores as S
from sim.studies import facts as F
from sim.studies.references import references
from sim.studies.scoring import calibration_targets, score_facts, skill_table


# --- the scores themselves -----------------------------------------------------------------------
def test_scores_have_their_textbook_values():
    assert S.brier(np.array([0.7, 0.2]), np.array([1, 0])) == pytest.approx([0.09, 0.04])
    assert S.log_score(np.array([0.7]), np.array([1]))[0] == pytest.approx(-math.log(0.7))
    # A point forecast is an ensemble of one: its CRPS is the absolute error.
    assert S.crps(np.array([[3.0]]), np.array([1.0]))[0] == pytest.approx(2.0)
    # CRPS of U(0, 1) at 0.5: integral of F^2 on [0, .5] plus (1 - F)^2 on [.5, 1] = 1/12.
    assert S.crps_uniform(np.array([0.5]), 0.0, 1.0)[0] == pytest.approx(1 / 12)
    # An ensemble certain and wrong: clipped to half a run's doubt, a finite log score.
    assert S.log_score(np.array([0.0]), np.array([1]), members=100)[0] == pytest.approx(
        -math.log(0.005)
    )
    assert S.skill(np.array([1.0]), np.array([2.0])) == 0.5
    assert math.isnan(S.skill(np.array([1.0]), np.array([0.0])))


def test_a_calibrated_forecast_has_a_flat_pit_and_no_skill_against_its_twin():
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 3, size=600)
    ensemble = centres + rng.normal(size=(400, 600))
    twin = centres + rng.normal(size=(400, 600))  # the same forecast, other draws
    observed = centres + rng.normal(size=600)
    density = S.pit_histogram(*S.pit_interval(ensemble, observed), bins=5)
    assert density == pytest.approx(np.ones(5), abs=0.25)
    model, reference = S.crps(ensemble, observed), S.crps(twin, observed)
    assert abs(S.skill(model, reference)) < 0.03
    assert S.skill(model, model) == 0.0
    inside_50, inside_90 = S.coverage(ensemble, observed)
    assert inside_50.mean() == pytest.approx(0.5, abs=0.07)
    assert inside_90.mean() == pytest.approx(0.9, abs=0.05)


def test_a_sharper_correct_forecast_beats_climatology():
    rng = np.random.default_rng(2)
    centres = rng.normal(0, 3, size=200)
    observed = centres + rng.normal(size=200)
    sharp = centres + rng.normal(size=(300, 200))
    climatology = rng.normal(0, math.sqrt(10), size=(300, 200))
    model, reference = S.crps(sharp, observed), S.crps(climatology, observed)
    skill = S.skill(model, reference)
    low, high = S.skill_interval(model, reference, seed=0)
    assert skill > 0.4
    assert 0 < low < skill < high < 1
    # binary: the right probability against the base rate
    p = rng.uniform(size=2000)
    outcome = (rng.uniform(size=2000) < p).astype(float)
    base = np.full(2000, outcome.mean())
    assert S.skill(S.brier(p, outcome), S.brier(base, outcome)) > 0.2
    assert S.skill(S.log_score(p, outcome, 1000), S.log_score(base, outcome, 1000)) > 0.1


def test_the_bootstrap_interval_is_seeded():
    rng = np.random.default_rng(3)
    model, reference = rng.uniform(size=30), rng.uniform(1, 2, size=30)
    assert S.skill_interval(model, reference, 7) == S.skill_interval(model, reference, 7)
    assert all(math.isnan(v) for v in S.skill_interval(model[:1], reference[:1], 7))


# --- reference forecasts from facts --------------------------------------------------------------
def fact(month: int, observed: float, kind: str = "count", series: str = "s") -> F.Fact:
    return F.Fact(
        name=f"{series}{month}",
        measure="event_count",
        args={"action": "pipeline_halt"},
        observed=observed,
        first=month,
        last=month,
        source="synthetic",
        kind=kind,
        series=series,
    )


def test_references_use_only_the_series_known_by_the_cut_off():
    known = [fact(0, 1, "binary"), fact(1, 0, "binary"), fact(2, 1, "binary")]
    refs = references(fact(5, 0, "binary"), known)
    assert refs["climatology"].probability == pytest.approx((2 + 0.5) / (3 + 1))
    assert refs["persistence"].probability == 1.0
    assert refs["uniform"].probability == 0.5
    counts = [fact(0, 2), fact(1, 5), fact(2, 3)]
    refs = references(fact(5, 0), counts)
    assert list(refs["climatology"].ensemble) == [2, 5, 3]
    assert list(refs["persistence"].ensemble) == [3]
    assert list(refs["uniform"].ensemble) == [2, 3, 4, 5]
    assert not any(r.available for r in references(fact(5, 0, series="other"), counts).values())


def test_scored_facts_get_every_score_and_skill():
    known = [fact(m, v) for m, v in enumerate([1, 2, 1, 3])]
    scored = [fact(4, 2), fact(5, 0)]
    predictive = np.column_stack([np.full(50, 2.0), np.full(50, 1.0)])
    table = score_facts(scored, known, predictive)
    assert list(table["model"]) == [0.0, 1.0]  # a point forecast: |x - y|
    assert list(table["persistence"]) == [1.0, 3.0]
    assert list(table["skill_persistence"]) == [1.0, pytest.approx(2 / 3)]
    skill = skill_table(table, seed=0)
    row = skill[skill["reference"] == "persistence"].iloc[0]
    assert row["skill"] == pytest.approx(1 - 0.5 / 2.0)
    assert row["facts"] == 2


# --- the facts file ------------------------------------------------------------------------------
def test_the_shipped_facts_end_by_october_2022_and_split_at_the_cut_off():
    facts = F.load("seed_2022")
    assert facts.span == (0, 7)  # March to October 2022: nothing later
    assert facts.cutoff == 3
    scored, known = facts.scored(3), facts.known(3)
    assert all(f.first > 3 for f in scored) and all(f.last <= 3 for f in known)
    assert len(scored) + len(known) == len(facts.facts)  # no fact straddles June 2022
    assert {f.kind for f in scored} == {"binary", "count", "continuous"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "facts: [{name: a, measure: nope, observed: 1, period: 2022-04, source: s, "
            "kind: count}]",
            "measure = 'nope' is not allowed",
        ),
        (
            "facts: [{name: a, measure: event_count, args: {action: x, first: 1}, observed: 1, "
            "period: 2022-04, source: s, kind: count}]",
            "the months come from the fact's period",
        ),
        (
            "facts: [{name: a, measure: event_count, args: {action: x}, observed: 1, "
            "period: 2022-4x, source: s, kind: count}]",
            "expected a month YYYY-MM",
        ),
        (
            "facts: [{name: a, measure: event_count, args: {action: x}, observed: 2, "
            "period: 2022-04, source: s, kind: binary}]",
            "a binary fact is 0 or 1",
        ),
        (
            "facts: [{name: a, measure: event_count, args: {action: x}, observed: 1, "
            "period: 2022-04, source: s, kind: rate}]",
            "kind = 'rate' is not allowed",
        ),
    ],
)
def test_a_bad_fact_is_refused_naming_the_key(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(F.FactsError, match=message):
        F.load(str(path))


def test_calibration_auto_takes_only_what_ends_by_the_cut_off():
    facts = F.load("seed_2022")
    targets = calibration_targets(facts, 3)
    names = [t.name for t in targets.targets]
    # the targets file's monthly event counts of March-June, then the facts with a tolerance;
    # every other target of seed_2022 ends after June
    monthly = [f"events_{d}_conflict_{m}" for d in ("ru_ka", "ka_ru") for m in range(4)]
    assert names == [
        *monthly,
        "cpc_halts_mar_jun",
        "in_blocs_mar_jun",
        "below_military_mar_jun",
        "refused_to_endorse_mar_jun",
        "russia_kazakhstan_events_mar_jun",
    ]
    assert targets.months == 4
    assert all(t.args.get("last", t.args.get("month")) <= 3 for t in targets.targets)
    later = calibration_targets(facts, 6)  # September: eaeu growth (Jan-Aug) and China's no-pledge
    assert {"eaeu_trade_growth", "china_no_pledge_before_september"} <= {
        t.name for t in later.targets
    }
