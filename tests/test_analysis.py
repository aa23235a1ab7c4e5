"""Analysis on synthetic data with known answers: Wilson, Kaplan-Meier, thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.probabilities import (
    median_times,
    rung_probabilities,
    thresholds,
    time_to_escalation,
)
from sim.analysis.stats import crossing, kaplan_meier, wilson_interval
from sim.engine.aggregate import histogram_quantile


def test_wilson_known_values() -> None:
    lower, upper = wilson_interval(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert lower[0] == pytest.approx(0.0, abs=1e-12) and upper[0] == pytest.approx(0.2775, 1e-3)
    assert lower[1] == pytest.approx(0.2366, 1e-3) and upper[1] == pytest.approx(0.7634, 1e-3)
    assert upper[2] == pytest.approx(1.0)


def test_kaplan_meier_without_censoring_is_the_empirical_cdf() -> None:
    rng = np.random.default_rng(3)
    times = rng.integers(1, 50, size=400)
    curve = kaplan_meier(times, np.ones_like(times, dtype=bool))
    ecdf = np.array([(times <= t).mean() for t in curve["month"]])
    np.testing.assert_allclose(1 - curve["survival"], ecdf, atol=1e-12)
    assert (curve["lower"] <= curve["survival"] + 1e-12).all()
    assert (curve["upper"] >= curve["survival"] - 1e-12).all()


def test_kaplan_meier_with_censoring_textbook_example() -> None:
    # Times 1, 2+, 3, 3, 4+ : S(1) = 4/5, S(3) = 4/5 * (1 - 2/3) = 4/15.
    curve = kaplan_meier(np.array([1, 2, 3, 3, 4]), np.array([1, 0, 1, 1, 0], dtype=bool))
    assert curve["month"].tolist() == [1, 3]
    assert curve["at_risk"].tolist() == [5, 3]
    np.testing.assert_allclose(curve["survival"], [0.8, 4 / 15])


def test_time_to_escalation_agrees_with_rung_probabilities() -> None:
    summary = pd.DataFrame(
        {
            "design_point": [0] * 6,
            "month_rung_2": pd.array([0, 3, 3, None, 10, None], dtype="Int32"),
        }
    )
    curves = time_to_escalation(summary, horizon=12, rungs=[2])
    probs = rung_probabilities(summary, months=[4, 12], rungs=[2], by=["design_point"])
    for month, p in zip(probs["month"], probs["probability"], strict=True):
        reached = curves.loc[curves["month"] <= month, "reached"]
        assert reached.iloc[-1] == pytest.approx(p)
    medians = median_times(curves)
    assert medians["median_month"].iloc[0] == 4  # S drops to 0.5 at t = 4 (months 0..3)


def test_crossing_on_a_known_monotone_curve() -> None:
    x = np.linspace(0.0, 1.0, 11)
    assert crossing(x, x, 0.35)[0] == pytest.approx(0.35)
    assert crossing(x, 1 - x, 0.25)[0] == pytest.approx(0.75)
    assert np.isnan(crossing(x, 0.2 * x, 0.5)[0])
    both = crossing(x, np.vstack([x, 0.1 * x]), 0.5)
    assert both[0] == pytest.approx(0.5) and np.isnan(both[1])


def _probabilities(p_of_x, held: list[float]) -> pd.DataFrame:
    rows = []
    for h in held:
        for x in np.linspace(0, 1, 6):
            rows.append(
                {
                    "scenario": "s",
                    "f.x": x,
                    "f.h": h,
                    "rung": 2,
                    "month": 12,
                    "runs": 4000,
                    "probability": p_of_x(x, h),
                }
            )
    return pd.DataFrame(rows)


def test_thresholds_per_level_of_the_held_factor() -> None:
    table = _probabilities(lambda x, h: float(np.clip(x + h, 0, 1)), held=[0.0, 0.2, 0.9])
    result = thresholds(table, ["f.x", "f.h"], level=0.5, bootstrap=200, seed=1)
    along_x = result[result["factor"] == "f.x"].set_index("f.h")
    assert along_x.loc[0.0, "threshold"] == pytest.approx(0.5)
    assert along_x.loc[0.2, "threshold"] == pytest.approx(0.3)
    assert along_x.loc[0.0, "lower"] < 0.5 < along_x.loc[0.0, "upper"]
    assert along_x.loc[0.0, "direction"] == "rising"
    assert np.isnan(along_x.loc[0.9, "threshold"])
    assert "never crosses" in along_x.loc[0.9, "note"] and "above" in along_x.loc[0.9, "note"]


def test_histogram_quantile_reads_a_uniform_histogram() -> None:
    hist = np.full((1, 50), 10)
    assert histogram_quantile(hist, 0.0, 1.0, 0.5)[0] == pytest.approx(0.5)
    assert histogram_quantile(hist, 0.0, 1.0, 0.1)[0] == pytest.approx(0.1)
