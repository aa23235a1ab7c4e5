"""The app's simulation side, without a browser (tests/test_app_browser.py drives the page).

~5 s on 2 busy cores.
"""

from __future__ import annotations

import os

import numpy as np
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


def test_an_ensemble_of_a_thousand_runs_steps_and_feeds_the_charts():
    values, _ = app.scenario_settings("war_favorable_russia")
    ensemble = app.Ensemble(values, runs=1000, months=12)
    while ensemble.step():
        pass
    frame = ensemble.collected()
    assert len(frame) == 13 and frame["month"].tolist() == list(range(13))
    shares = frame[[f"share_at_rung_{k}" for k in range(6)]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    feed = ensemble.feed(run=0)
    assert list(feed.columns) == ["month", "date", "actor", "action", "target", "rung"]
    assert feed["month"].is_monotonic_decreasing  # newest first
    for draw in (app.rung_share_figure, app.reached_figure):
        assert draw(frame, 12).axes
