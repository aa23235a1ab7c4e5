"""A small simulation-based calibration check of the sampler: does it recover known values?

Each trial draws "true" parameters from the prior, simulates data at them, and calibrates back
with ``sim.studies.calibration.abc.abc_smc``. Over many trials the true value should fall inside the
90% credible interval about 90% of the time (ABC's tolerance errs towards wider intervals), and
the intervals should be much narrower than the prior, or the check would be passed by a
sampler that learns nothing. The simulator is cheap (parameters seen through Gaussian noise)
so that the check runs in CI; it goes through the same sampler code path as the model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.studies.calibration import abc, priors

NOISE = 0.08
PARAMETERS = {"russia.initial_credibility": {}, "russia.credibility_gain": {}}


def noisy_simulator(sigma: float = NOISE) -> abc.Simulator:
    """Two parameters and their sum, each seen through Gaussian noise driven by the seeds."""

    def simulate(theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(int(seeds[0]))
        noise = rng.normal(0.0, sigma, size=(len(theta), 3))
        return np.column_stack([theta[:, 0], theta[:, 1], theta.sum(axis=1)]) + noise

    return simulate


@dataclasses.dataclass(frozen=True)
class Coverage:
    trials: int
    coverage: float  # share of (trial, parameter) whose 90% interval holds the true value
    mean_width: float  # mean interval width as a share of the prior's width


def check(trials: int, population: int = 300, budget: int = 15_000, seed: int = 2022) -> Coverage:
    """Run `trials` recoveries and return the coverage of the 90% intervals."""
    prior = priors.build(PARAMETERS)
    simulate = noisy_simulator()
    rng = np.random.default_rng(seed)
    covered, widths = [], []
    for trial in range(trials):
        truth = prior.sample(1, rng)
        observed = simulate(truth, np.array([seed * 1000 + trial]))[0]
        settings = abc.Settings(
            population=population, budget=budget, batch=3000, seed=trial, progress=False
        )
        post = abc.abc_smc(simulate, observed, np.full(3, NOISE), prior, settings).posterior
        for j in range(prior.dim):
            q = [abc.weighted_quantile(post.theta[:, j], post.weights, p) for p in (0.05, 0.95)]
            covered.append(q[0] <= truth[0, j] <= q[1])
            widths.append((q[1] - q[0]) / prior.width[j])
    return Coverage(trials, float(np.mean(covered)), float(np.mean(widths)))
