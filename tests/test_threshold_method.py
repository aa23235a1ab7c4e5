"""The threshold method on synthetic response curves with known crossings (no model runs).

The reduced coverage test: 200 searches of a logistic curve with common random numbers (every
replicate a latent uniform, its outcome at u is U_r < p(u), so a batch's points are as
correlated as they can be). The full check (500 trials on five curves) and the comparison
with a uniform grid are in benchmarks/bench_threshold.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from sim.studies.threshold import method as M


def oracle(p, seed: int, dimensions: int = 1):
    """Outcomes of a batch from the curve p(u) on common random numbers."""
    uniforms = np.random.default_rng(seed).random(200_000)

    def evaluate(batch: M.Batch) -> np.ndarray:
        replicate = np.arange(batch.runs) + batch.first_replicate
        return uniforms[replicate][None, :] < p(batch.points)[:, None]

    return evaluate


def rising(points: np.ndarray) -> np.ndarray:  # P = 0.1 at u = 0.4
    return expit(logit(0.1) + 20 * (points[:, 0] - 0.4))


def test_interval_covers_the_crossing_as_often_as_it_says():
    settings = M.Settings(1, 0.1, budget=8000, batch=400, tolerance=0.06)
    trials = 200
    covered = 0
    for seed in range(trials):
        _, answer, converged = M.run_design(settings, oracle(rising, seed))
        assert answer.status == "crossed" and converged
        covered += answer.lower <= 0.4 <= answer.upper
    # 3 standard errors of a coverage estimate from 200 trials: 0.046
    assert abs(covered / trials - 0.95) <= 0.046, covered / trials


def test_batches_go_near_the_crossing_alternate_pairs_and_centres_and_share_replicates():
    settings = M.Settings(1, 0.1, budget=4000, batch=400, tolerance=0.02)
    history, answer, _ = M.run_design(settings, oracle(rising, 1))
    late = history.batch >= 3
    assert np.all(np.abs(history.u[late, 0] - 0.4) < 0.15)
    for b in range(history.batches):  # each batch's points reuse the same replicates...
        sets = [
            set(history.replicate[(history.batch == b) & (history.u[:, 0] == u)])
            for u in np.unique(history.u[history.batch == b, 0])
        ]
        assert all(s == sets[0] for s in sets)
    firsts = [history.replicate[history.batch == b].min() for b in range(history.batches)]
    assert firsts == sorted(set(firsts))  # ...and each batch takes fresh ones
    # after the grid: a pair across the crossing, then the crossing alone, in turn
    kinds = [np.unique(history.u[history.batch == b, 0]).size for b in range(1, history.batches)]
    assert kinds == [2 - (b % 2 == 0) for b in range(1, history.batches)]
    assert (history.batch == 0).sum() == 5 * 40  # the grid has half a batch's runs


def test_a_level_never_reached_is_reported_with_the_closest_probability():
    def flat(points):  # from 0.3 to 0.2: never down to 0.1
        return 0.3 - 0.1 * points[:, 0]

    settings = M.Settings(1, 0.1, budget=8000, batch=400)
    history, answer, converged = M.run_design(settings, oracle(flat, 3))
    assert answer.status == "not crossed" and converged
    assert answer.closest == 1.0
    assert answer.probability_lower > 0.1
    assert answer.probability_lower <= 0.2 <= answer.probability_upper


def test_the_budget_stops_a_search_that_cannot_converge():
    settings = M.Settings(1, 0.1, budget=1200, batch=400, tolerance=0.001)
    history, answer, converged = M.run_design(settings, oracle(rising, 4))
    assert history.runs <= 1200 and not converged
    assert answer.status == "crossed" and answer.lower <= 0.4 <= answer.upper


def test_two_factors_find_the_level_line():
    def plane(points):  # P = 0.2 on the line u1 + u2 = 1
        return expit(logit(0.2) + 6 * (points[:, 0] + points[:, 1] - 1))

    settings = M.Settings(2, 0.2, budget=20_000, batch=400, tolerance=0.1)
    history, curve, _ = M.run_design(settings, oracle(plane, 5, 2))
    assert curve.status == "crossed"
    rows = np.isfinite(curve.crossing)
    truth = 1 - curve.u1[rows]
    inside = (curve.lower[rows] <= truth) & (truth <= curve.upper[rows])
    assert inside.mean() > 0.9
    assert np.median(np.abs(curve.crossing[rows] - truth)) < 0.05


def test_posterior_draws_widen_the_interval():
    """Ten runs per draw share a parameter: a draw shifts the whole curve."""
    shifts = np.random.default_rng(7).normal(0, 0.6, 20_000)

    def evaluate(batch: M.Batch) -> np.ndarray:
        replicate = np.arange(batch.runs) + batch.first_replicate
        u = np.random.default_rng(batch.index).random((len(batch.points), batch.runs))
        eta = logit(0.1) + 20 * (batch.points[:, :1] - 0.4) + shifts[replicate // 10][None, :]
        return u < expit(eta)

    settings = M.Settings(1, 0.1, budget=6000, batch=400, tolerance=0.03)
    _, answer, _ = M.run_design(settings, evaluate, draws=lambda r: r // 10)
    assert answer.tau2 > 0
    assert answer.lower < answer.dice_lower and answer.upper > answer.dice_upper


@pytest.mark.parametrize("level", [0.05, 0.5, 0.9])
def test_the_design_is_a_pure_function_of_the_runs(level):
    settings = M.Settings(1, level, budget=3000, batch=300)
    first = M.run_design(settings, oracle(rising, 9))
    again = M.run_design(settings, oracle(rising, 9))
    assert np.array_equal(first[0].u, again[0].u) and first[1] == again[1]


def test_two_lines_differ_by_their_crossings_with_both_intervals():
    import pandas as pd

    from sim.studies.threshold.lines import differences

    x = np.linspace(0, 1, 101)
    half_ref, half_other = 0.03, 0.04
    reference = pd.DataFrame(
        {"a": x, "crossing": 0.5, "lower": 0.5 - half_ref, "upper": 0.5 + half_ref}
    )
    line = 0.5 + 0.1 * x
    other = pd.DataFrame(
        {"a": x, "crossing": line, "lower": line - half_other, "upper": line + half_other}
    )
    other.loc[x > 0.8, ["crossing", "lower", "upper"]] = np.nan  # leaves the range there
    table = differences(reference, other, "a", 0.95)
    assert table["a"].max() <= 0.8 + 1e-12 and len(table) == 81
    np.testing.assert_allclose(table["difference"], 0.1 * table["a"], atol=1e-12)
    np.testing.assert_allclose(
        table["upper"] - table["difference"], np.hypot(half_ref, half_other), atol=1e-12
    )
    gap = other.copy()
    gap.loc[(x > 0.3) & (x < 0.5), ["crossing", "lower", "upper"]] = np.nan
    inside_gap = differences(reference, gap, "a", 0.95)["a"]
    assert not ((inside_gap > 0.3) & (inside_gap < 0.5)).any()  # no bridging a missing stretch


def test_runs_beyond_the_level_against_the_fit_do_not_make_it_never_crossed():
    # A fit above the level everywhere, but 80 runs at the closest end with no success: the
    # runs contradict the fit, so the level may well be crossed (the search must go on).
    settings = M.Settings(1, 0.05)
    model = M.Fit(np.array([logit(0.15), -0.5]), np.eye(2) * 1e-4)
    history = M.History(np.ones((80, 1)), np.zeros(80, bool), np.arange(80), np.zeros(80, int))
    answer = M.crossing_1d(model, settings, history, history.replicate)
    assert answer.closest == 1.0 and answer.probability_upper < 0.05
    assert answer.status == "undetermined"
    # The same runs all succeeding sit on the fit's side: never crossed.
    history.y[:] = True
    assert M.crossing_1d(model, settings, history, history.replicate).status == "not crossed"
