"""The app's simulation side, without a browser (tests/test_app_browser.py drives the page).

~5 s on 2 busy cores.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest

from sim.model.params import PARAMS_BY_PATH

if os.environ.get("CI") != "true":
    pytest.importorskip("solara", reason="the app needs the viz extra")

from sim import app  # noqa: E402


def test_every_control_names_a_parameter_with_a_range_inside_its_own():
    assert {"war.outcome", "war.end_month"} <= {c.path for c in app.CONTROLS}
    for control in app.CONTROLS:
        spec = PARAMS_BY_PATH[control.path]  # a KeyError names a renamed parameter
        if spec.choices:
            continue
        low, high = app.slider_range(control)
        assert spec.low <= low < high <= spec.high, control


def test_scenario_settings_are_what_sim_run_composes():
    values, months = app.scenario_settings("war_favorable_russia")
    assert values["war.outcome"] == "favorable" and months == 120


def test_model_params_come_from_the_parameter_table():
    params = app.model_params("war_favorable_russia")
    values, _ = app.scenario_settings("war_favorable_russia")
    for control in app.CONTROLS:
        spec = PARAMS_BY_PATH[control.path]
        entry = params[app.keyword(control.path)]
        assert entry["value"] == values[control.path]
        if spec.choices:
            assert entry["type"] == "Select" and entry["values"] == list(spec.choices)
        else:
            assert (entry["min"], entry["max"]) == app.slider_range(control)
            unit = f" ({spec.unit})" if spec.unit != "1" else ""  # "1": dimensionless
            assert entry["label"] == f"{spec.path}{unit}"
    assert params["seed"]["value"] == str(app.SEED)
    assert "baseline" in params["compare_with"]["values"]


def test_mesa_reset_rebuilds_the_model_from_the_page_parameters(monkeypatch):
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    monkeypatch.setattr(app.chosen_scenario, "value", "war_favorable_russia")  # the menu
    model = app.AppModel(runs=50)
    changed = {"war_end_month": 12, "runs": 40, "seed": "7", "compare_with": "baseline"}
    kwargs = _build_model_init_kwargs(
        model, changed, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    again = type(model)(**kwargs)  # what SolaraViz's Reset does
    assert again.seeds.size == 40 and again.seed == 7
    assert again.controls["war.end_month"] == 12
    assert again.controls["war.outcome"] == "favorable"  # the rest from the scenario
    assert again.compare_name == "baseline"
    with pytest.raises(ValueError, match="seed = 'x'"):
        app.AppModel(seed="x")


def test_an_ensemble_steps_and_feeds_charts_bands_comparison_and_events():
    model = app.AppModel(scenario_name="war_favorable_russia", runs=1000, compare_with="baseline")
    while model.month < 12:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 13 and frame["month"].tolist() == list(range(13))
    shares = frame[[f"share_at_rung_{k}" for k in range(6)]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    reached = frame["share_reached_rung_2"]
    assert (frame["share_reached_rung_2 low"] <= reached).all()
    assert (reached <= frame["share_reached_rung_2 high"]).all()
    assert (frame["share_reached_rung_2 high"] - frame["share_reached_rung_2 low"]).max() < 0.1
    table = model.comparison()
    assert table.columns[-1] == "difference" and len(table) == len(app.SHOWN_RUNGS)
    assert "Month 12 of 120" in model.status() and "seed 20221028" in model.status()
    feed = model.feed(run=0)
    assert list(feed.columns) == ["month", "date", "actor", "action", "target", "rung"]
    assert feed["month"].is_monotonic_decreasing  # newest first


def test_on_a_posterior_the_comparison_carries_the_parameters_range_too():
    from sim.engine.posterior_draws import DEFAULT_POSTERIOR, POSTERIORS_DIR

    shipped = str(POSTERIORS_DIR / DEFAULT_POSTERIOR)
    model = app.AppModel(runs=200, calibration=shipped, compare_with="baseline")
    while model.month < 12:
        model.step()
    cells = model.comparison().iloc[:, 1:3].to_numpy().ravel()
    assert all(re.fullmatch(r"[0-9.]+ \[[0-9., ]+\] \([0-9.]+-[0-9.]+\)", c) for c in cells)
    plain = app.AppModel(runs=20, calibration="none", compare_with="baseline")
    assert not plain.comparison().iloc[:, 1].str.contains(r"\(").any()
    assert plain.posterior is None and "the hand-set values" in plain.status()


def test_by_default_the_page_shows_what_sim_run_computes(tmp_path):
    """The shipped posterior, drawn per run as `sim run` draws it: the same runs, run for run,
    and a control moved away from its default keeps the value it was given."""
    from sim.commands.run import run_scenario
    from sim.config import compose

    model = app.AppModel(scenario_name="war_favorable_russia", runs=60)
    assert "posterior of seed_2022" in model.status()
    for _ in range(24):
        model.step()
    cfg = compose(
        [
            "scenario=war_favorable_russia",
            "run.replicates=60",
            "run.months=24",
            "run.figures=false",
            f"run.output_root={tmp_path}",
        ]
    )
    summary = pd.read_parquet(run_scenario(cfg, quiet=True) / "summary.parquet")
    np.testing.assert_array_equal(model.recorder.max_rung, summary["max_rung"])
    drawn = model.params.columns["kazakhstan.multivector"]
    assert np.ndim(drawn) == 1 and np.unique(drawn).size > 1  # from the posterior
    assert "kazakhstan.multivector drawn from the posterior" in model.settings()
    held = app.AppModel(runs=30, kazakhstan_multivector=0.9)
    assert np.all(held.params.columns["kazakhstan.multivector"] == 0.9)
    assert "kazakhstan.multivector = 0.9;" in held.settings()


def test_a_calibration_that_cannot_be_used_is_shown_not_hidden(tmp_path):
    model = app.AppModel(runs=10, calibration=str(tmp_path))
    assert model.posterior is None and "posterior not used" in model.status()


def test_the_status_names_the_last_month_simulated_and_no_unit_1_is_shown():
    """New-user review 2, 10: "Month 120 of 120 (Mar 2032)" where `sim run` says Feb 2032, and
    "kazakhstan.multivector = 0.25 1" (the "unit" of a dimensionless number)."""
    model = app.AppModel(runs=10, calibration="none")  # every control shows its value
    assert "Month 0 of 120 (starts Mar 2022)" in model.status()
    while model.month < 12:
        model.step()
    assert "Month 12 of 120 (through Feb 2023)" in model.status()  # a 12-month run's last month
    assert "kazakhstan.multivector = " in model.settings()
    assert not any(part.endswith(" 1") for part in model.settings().split("; "))
    labels = [p["label"] for p in app.model_params("baseline").values() if isinstance(p, dict)]
    assert labels and not any(label.endswith("(1)") for label in labels)
