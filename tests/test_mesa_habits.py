"""The model behaves as a Mesa user expects (issue: Mesa conventions). ~10 s on 2 busy cores."""

from __future__ import annotations

import multiprocessing

import mesa
import numpy as np
import pytest

from sim import EscalationModel
from sim.model.agents import Russia
from sim.model.ladder import Actor
from sim.model.mesa_api import seed_from_rng

MONTHS = 12


def test_agents_are_an_agentset_and_agents_do_step_cannot_corrupt_a_month():
    model = EscalationModel(seeds=[1], months=MONTHS)
    assert len(model.agents) == 5
    assert list(model.agents.select(lambda a: a is model.kazakhstan)) == [model.kazakhstan]
    assert list(model.agents_by_type[Russia]) == [model.russia]
    model.step()
    for habit in (lambda: model.agents.do("step"), lambda: model.agents.shuffle_do("step")):
        with pytest.raises(RuntimeError, match=r"model\.step\(\)"):
            habit()
    while model.running:
        model.step()
    plain = EscalationModel(seeds=[1], months=MONTHS).run().summary
    assert model.summary().equals(plain), "a refused agents.do('step') must change nothing"


def test_seed_keyword_has_mesa_meaning():
    with pytest.warns(FutureWarning, match="rng"):
        by_seed = EscalationModel(months=3, seed=8)
    assert by_seed.seeds.tolist() == [8]
    assert by_seed.run().summary.equals(EscalationModel(months=3, rng=8).run().summary)
    with pytest.raises(ValueError, match="either rng or seed"):
        EscalationModel(months=3, seed=8, rng=8)


def test_agent_reporters_give_each_agents_variables_at_r1():
    model = EscalationModel(months=MONTHS, rng=4)
    model.run_for(MONTHS)
    agents = model.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 5 * (MONTHS + 1)
    last = agents.xs(MONTHS, level="Step").set_index("actor")
    assert last.loc["RUSSIA", "rung"] == model.russia.rung[0]
    assert last.loc["KAZAKHSTAN", "alignment"] == pytest.approx(model.kazakhstan.alignment[0])
    assert last.loc["CHINA", "deliveries"] == model.partners[Actor.CHINA].deliveries[0]
    assert np.isnan(last.loc["RUSSIA", "alignment"])  # not Russia's variable
    assert model.datacollector.get_model_vars_dataframe()["seed"].eq(4).all()


@pytest.mark.parametrize(
    "rng",
    [
        np.random.default_rng(5),
        np.random.SeedSequence(5),
        np.random.PCG64(5),
        [1, 2, 3],
        np.int64(7),
    ],
    ids=["Generator", "SeedSequence", "BitGenerator", "sequence", "numpy int"],
)
def test_every_mesa_rng_form_is_accepted_and_recorded(rng):
    model = EscalationModel(months=3, rng=rng)
    model.run()
    assert model.summary()["seed"].tolist() == model.seeds.tolist()


def test_rng_forms_reproduce_and_none_draws_fresh_entropy():
    assert seed_from_rng(42) == 42
    assert seed_from_rng(np.random.SeedSequence(9)) == seed_from_rng(np.random.SeedSequence(9))
    fresh = {seed_from_rng(None) for _ in range(5)}
    assert len(fresh) == 5
    drawn = EscalationModel(months=MONTHS, rng=None, events=False)
    again = EscalationModel(seeds=drawn.seeds, months=MONTHS, events=False)
    assert drawn.run().summary.equals(again.run().summary)  # the drawn seed repeats the run
    with pytest.raises(TypeError, match="rng"):
        EscalationModel(months=3, rng="abc")
    with pytest.raises(ValueError, match="rng = -1"):
        EscalationModel(months=3, rng=-1)


def test_stepping_past_the_horizon_stops_cleanly():
    model = EscalationModel(seeds=[3, 4], months=3)
    for _ in range(6):
        model.step()
    assert model.running is False and model.month == 3
    assert len(model.results().trajectories) == 2 * 3


def test_datacollector_is_opt_in_for_ensembles_and_on_for_a_mesa_style_model():
    assert EscalationModel(seeds=[1, 2], months=3).datacollector is None
    single = EscalationModel(months=MONTHS, rng=11)
    while single.running:
        single.step()
    frame = single.datacollector.get_model_vars_dataframe()
    assert len(frame) == MONTHS + 1  # the initial state, then each month
    shares = frame[[f"share_at_rung_{k}" for k in range(6)]]
    assert set(shares.to_numpy().ravel()) <= {0.0, 1.0}  # R = 1: an ordinary run
    ensemble = EscalationModel(seeds=np.arange(200), months=MONTHS, collect=True)
    ensemble.run()
    frame = ensemble.datacollector.get_model_vars_dataframe()
    shares = frame[[f"share_at_rung_{k}" for k in range(6)]]
    assert np.allclose(shares.sum(axis=1), 1.0)
    reached = frame["share_reached_rung_1"].to_numpy()
    assert (np.diff(reached) >= 0).all()
    assert reached[-1] == pytest.approx((ensemble.recorder.max_rung >= 1).mean())


def test_keyword_parameters_are_the_model_parameters():
    by_keyword = EscalationModel(war_outcome="favorable", war_end_month=6, months=MONTHS, rng=2)
    by_path = EscalationModel(**{"war.outcome": "favorable", "war.end_month": 6}, months=MONTHS)
    by_mapping = EscalationModel(
        {"war.outcome": "favorable", "war.end_month": 6}, seeds=[2], months=MONTHS
    )
    assert by_keyword.params.columns == by_path.params.columns
    assert by_keyword.run().summary.equals(by_mapping.run().summary)
    with pytest.raises(TypeError, match="war_endmonth"):
        EscalationModel(war_endmonth=6, rng=1)


def test_mesa_batch_run_works_as_in_mesa_docs():
    start_method = multiprocessing.get_start_method(allow_none=True)
    try:
        rows = mesa.batch_run(
            EscalationModel,
            parameters={"war_outcome": ["favorable", "frozen"], "months": MONTHS},
            rng=[None] * 3,
            number_processes=1,
            display_progress=False,
        )
    finally:  # batch_run forces the "spawn" start method for the whole process
        multiprocessing.set_start_method(start_method, force=True)
    rows = [row for row in rows if row["actor"] == "RUSSIA"]  # one row per agent, as in Mesa
    assert len(rows) == 6
    assert {row["war_outcome"] for row in rows} == {"favorable", "frozen"}
    assert all(row["month"] == MONTHS for row in rows)
    alignments = [row["mean_alignment"] for row in rows]
    assert len(set(alignments)) == 6, "rng=None must give independent runs"
    for row in rows[:2]:  # each row names the seed it ran, so it can be run again
        again = EscalationModel(war_outcome=row["war_outcome"], months=MONTHS, rng=row["seed"])
        again.run_for(MONTHS)
        assert (
            again.datacollector.get_model_vars_dataframe().iloc[-1]["mean_alignment"]
            == (row["mean_alignment"])
        )
