"""The policy search's optimiser loop recovers a known Pareto front (DTLZ2), and replays.

DTLZ2 (Deb et al. 2002) with M objectives and n variables on [0, 1]: its Pareto front is the
part of the unit sphere in the positive orthant, reached when the last n - M + 1 variables are
0.5. The search loop (`sim.studies.policy.search.run_search`) is the one `sim policy` runs; only the
evaluate function differs (here DTLZ2, there the model on the scenario ensemble).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.studies.policy.search import non_dominated, reference_directions, run_search


def dtlz2(unit: np.ndarray, objectives: int) -> np.ndarray:
    g = np.sum((unit[:, objectives - 1 :] - 0.5) ** 2, axis=1)
    angle = unit[:, : objectives - 1] * np.pi / 2
    out = np.repeat((1.0 + g)[:, None], objectives, axis=1)
    for i in range(objectives):
        out[:, i] *= np.prod(np.cos(angle[:, : objectives - 1 - i]), axis=1)
        if i > 0:
            out[:, i] *= np.sin(angle[:, objectives - 1 - i])
    return out


def true_front(objectives: int, points: int = 2000) -> np.ndarray:
    """Points spread over the unit sphere's positive orthant."""
    x = np.abs(np.random.default_rng(0).normal(size=(points, objectives)))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def igd(found: np.ndarray, front: np.ndarray) -> float:
    """Mean distance from each true front point to the nearest found point (coverage)."""
    distance = np.linalg.norm(front[:, None, :] - found[None, :, :], axis=2)
    return float(distance.min(axis=1).mean())


def search(method: str, objectives: int, **settings) -> tuple[np.ndarray, np.ndarray]:
    calls: list[int] = []

    def evaluate(generation: int, unit: np.ndarray) -> np.ndarray:
        calls.append(generation)
        return dtlz2(unit, objectives)

    options = dict(population=40, generations=60, levels=3, seed=7) | settings
    result = run_search(method, 7, objectives, evaluate, **options)
    assert calls == sorted(calls) and calls[0] == 0
    assert np.array_equal(np.unique(result.generation), np.unique(calls))
    return result.objectives[result.pareto], result.unit[result.pareto]


# Tolerances: the radius |F| is 1 on the front exactly; IGD of 40 points spread over the
# 2-D (3-D) front is at best about 0.03 (0.1) from their spacing alone.
@pytest.mark.parametrize(
    ("method", "objectives", "radius", "coverage"),
    [("nsga2", 2, 0.01, 0.03), ("nsga2", 3, 0.05, 0.13), ("nsga3", 3, 0.02, 0.12)],
)
def test_genetic_search_recovers_the_dtlz2_front(method, objectives, radius, coverage):
    found, unit = search(method, objectives)
    r = np.linalg.norm(found, axis=1)
    assert len(found) >= 20
    assert np.median(np.abs(r - 1.0)) < radius / 2 and np.max(r - 1.0) < 4 * radius
    assert np.all(r > 1.0 - 1e-9)  # nothing beyond the front: it is the true optimum
    assert igd(found, true_front(objectives)) < coverage
    # The distance variables go to 0.5, where g = 0.
    assert np.median(np.abs(unit[:, objectives - 1 :] - 0.5)) < 0.05


def test_grid_search_finds_every_non_dominated_grid_point():
    found, unit = search("grid", 2, levels=5, population=100)
    # On a 5-level grid of 7 variables, the front points have x3..x7 = 0.5 exactly and
    # x1 on the five levels: five points, all on the unit circle.
    assert len(found) == 5
    np.testing.assert_allclose(np.linalg.norm(found, axis=1), 1.0)
    assert np.all(unit[:, 1:] == 0.5)


def test_a_search_replays_exactly_from_its_seed():
    a, _ = search("nsga2", 2, generations=5)
    b, _ = search("nsga2", 2, generations=5)
    c, _ = search("nsga2", 2, generations=5, seed=8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_non_dominated_on_a_small_case():
    f = np.array([[1, 2], [2, 1], [2, 2], [0.5, 3], [1, 2]])
    assert non_dominated(f).tolist() in ([0, 1, 3], [0, 1, 3, 4])


def test_reference_directions_fit_the_population():
    for objectives, population in ((2, 40), (3, 48), (8, 48), (8, 8)):
        directions = reference_directions(objectives, population)
        assert directions.shape[1] == objectives
        assert 1 <= len(directions) <= max(population, objectives)
        np.testing.assert_allclose(directions.sum(axis=1), 1.0)
