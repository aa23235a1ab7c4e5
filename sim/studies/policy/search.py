"""Searching the lever space for the Pareto set: pymoo's NSGA-II or NSGA-III, or a grid.

The search works on the unit cube (one axis per lever, 0 = low end of its range, 1 = high end)
and asks a caller-given `evaluate(generation, unit_points) -> objectives` for each generation;
everything that depends on the model lives in that function, so the same loop runs on a test
problem with a known front (tests/test_policy_search.py, DTLZ2).

* ``nsga2`` / ``nsga3``: pymoo's genetic algorithms by ask and tell (Deb et al. 2002; Deb and
  Jain 2014). NSGA-III spreads the population along reference directions and holds up better
  beyond three objectives. Generation 0 is the initial population, then ``generations`` more.
  The Pareto set is the non-dominated part of the final population.
* ``grid``: every combination of ``levels`` values per lever, in batches of ``population``;
  the Pareto set is the non-dominated part of the whole grid. Exhaustive, and on the vectorised
  engine cheaper than a genetic search while levels ** levers stays in the hundreds.

pymoo draws from its own generator seeded by the search seed, so a search replays exactly: a
resumed search asks the same generations again and takes the objectives of those already
evaluated from disk instead of simulating them (``evaluate`` decides).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from math import comb

import numpy as np

Evaluate = Callable[[int, np.ndarray], np.ndarray]


@dataclasses.dataclass
class SearchResult:
    """Every point evaluated, by generation, and which of them form the Pareto set."""

    generation: np.ndarray  # (n,) the generation of each evaluated point
    unit: np.ndarray  # (n, levers) points of the unit cube
    objectives: np.ndarray  # (n, objectives)
    pareto: np.ndarray  # indices (into the rows above) of the Pareto set, sorted


def non_dominated(objectives: np.ndarray) -> np.ndarray:
    """Indices of the rows no other row dominates (all objectives minimised), sorted."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    if len(objectives) == 0:
        return np.zeros(0, dtype=int)
    front = NonDominatedSorting().do(objectives, only_non_dominated_front=True)
    return np.sort(np.asarray(front, dtype=int))


def run_search(
    method: str,
    levers: int,
    objectives: int,
    evaluate: Evaluate,
    population: int,
    generations: int,
    levels: int,
    seed: int,
) -> SearchResult:
    """Run the search; see the module docstring for the methods."""
    if method == "grid":
        return _grid(levers, evaluate, population, levels)
    return _genetic(method, levers, objectives, evaluate, population, generations, seed)


def _grid(levers: int, evaluate: Evaluate, batch: int, levels: int) -> SearchResult:
    points = np.array(list(itertools.product(np.linspace(0.0, 1.0, levels), repeat=levers)))
    rows, values = [], []
    for generation, start in enumerate(range(0, len(points), batch)):
        chunk = points[start : start + batch]
        values.append(np.asarray(evaluate(generation, chunk), dtype=float))
        rows.append(np.full(len(chunk), generation))
    found = np.vstack(values)
    return SearchResult(np.concatenate(rows), points, found, non_dominated(found))


def _genetic(
    method: str,
    levers: int,
    objectives: int,
    evaluate: Evaluate,
    population: int,
    generations: int,
    seed: int,
) -> SearchResult:
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem

    problem = Problem(n_var=levers, n_obj=objectives, xl=0.0, xu=1.0)
    algorithm = make_algorithm(method, objectives, population)
    algorithm.setup(problem, termination=("n_gen", generations + 1), seed=seed, verbose=False)
    rows, points, values = [], [], []
    for generation in range(generations + 1):
        asked = algorithm.ask()
        unit = asked.get("X")
        found = np.asarray(evaluate(generation, unit), dtype=float)
        Evaluator().eval(StaticProblem(problem, F=found), asked)
        algorithm.tell(infills=asked)
        rows.append(np.full(len(unit), generation))
        points.append(unit)
        values.append(found)
    unit, found = np.vstack(points), np.vstack(values)
    return SearchResult(np.concatenate(rows), unit, found, _final_front(algorithm, unit))


def make_algorithm(method: str, objectives: int, population: int):
    """pymoo's NSGA-II, or NSGA-III with about `population` reference directions."""
    if method == "nsga2":
        from pymoo.algorithms.moo.nsga2 import NSGA2

        return NSGA2(pop_size=population)
    from pymoo.algorithms.moo.nsga3 import NSGA3

    return NSGA3(ref_dirs=reference_directions(objectives, population), pop_size=population)


def reference_directions(objectives: int, population: int) -> np.ndarray:
    """Das and Dennis's simplex lattice with the most partitions that fit the population."""
    from pymoo.util.ref_dirs import get_reference_directions

    if objectives == 1:
        return np.ones((1, 1))
    partitions = 1
    while comb(partitions + 1 + objectives - 1, objectives - 1) <= population:
        partitions += 1
    return get_reference_directions("das-dennis", objectives, n_partitions=partitions)


def _final_front(algorithm, unit: np.ndarray) -> np.ndarray:
    """Rows of `unit` that are the non-dominated points of the final population."""
    final = algorithm.pop
    best = final.get("X")[non_dominated(final.get("F"))]
    rows = [int(np.flatnonzero(np.all(unit == x, axis=1))[-1]) for x in best]
    return np.unique(rows)
