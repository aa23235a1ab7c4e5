"""Recovery checks of the samplers: do they find known values, with honest intervals?

Each trial draws "true" parameters from the prior, simulates data at them, and calibrates back.
Over many trials the true value should fall inside the 90% credible interval about 90% of the
time, and the intervals should be much narrower than the prior, or the check would be passed
by a sampler that learns nothing. The simulator is cheap (each parameter, scaled to its prior,
and the sum of all, seen through Gaussian noise) so that the check runs in CI; it goes through
the same sampler code as the model.

``compare`` runs ABC-SMC and the three reference-table methods (semi-automatic, regression-
adjusted and plain rejection ABC) side by side on the
same trials, at two and at ten parameters, with the same simulation budget per trial: the
table docs/calibration.md uses to say which was chosen, and why.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from sim.model.uncertainty import UNCERTAIN
from sim.studies.calibration import abc, priors, regression

NOISE = 0.08
PARAMETERS = {"russia.initial_credibility": {}, "russia.credibility_gain": {}}


def noisy_simulator(
    sigma: float = NOISE, prior: priors.UniformPrior | None = None
) -> abc.Simulator:
    """Each parameter (on its prior's unit scale) and their sum, seen through Gaussian noise
    driven by the seeds."""

    def simulate(theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        unit = theta if prior is None else (theta - prior.low) / prior.width
        rng = np.random.default_rng(int(seeds[0]))
        noise = rng.normal(0.0, sigma, size=(len(theta), unit.shape[1] + 1))
        return np.column_stack([unit, unit.sum(axis=1)]) + noise

    return simulate


def parameters(dim: int) -> dict[str, dict]:
    """The two-parameter check's parameters, or the first `dim` of the uncertainty table."""
    if dim == 2:
        return PARAMETERS
    return {path: {} for path in list(UNCERTAIN)[:dim]}


@dataclasses.dataclass(frozen=True)
class Coverage:
    trials: int
    coverage: float  # share of (trial, parameter) whose 90% interval holds the true value
    mean_width: float  # mean interval width as a share of the prior's width
    simulations: int = 0  # per trial
    seconds: float = 0.0  # per trial


def check(
    trials: int,
    population: int = 300,
    budget: int = 15_000,
    seed: int = 2022,
    method: str = "smc",
    dim: int = 2,
) -> Coverage:
    """Run `trials` recoveries with `method` (smc, or one of regression.METHODS); the 90%
    intervals' coverage."""
    prior = priors.build(parameters(dim))
    simulate = noisy_simulator(prior=prior)
    scale = np.full(dim + 1, NOISE)
    rng = np.random.default_rng(seed)
    covered, widths, sims, began = [], [], 0, time.perf_counter()
    for trial in range(trials):
        truth = prior.sample(1, rng)
        observed = simulate(truth, np.array([seed * 1000 + trial]))[0]
        if method == "smc":
            settings = abc.Settings(
                population=population, budget=budget, batch=3000, seed=trial, progress=False
            )
            result = abc.abc_smc(simulate, observed, scale, prior, settings)
        else:
            settings = regression.Settings(
                accept=population,
                batch=budget // 4,
                min_simulations=budget // 2,
                budget=budget,
                min_ess=population / 3,
                seed=trial,
                progress=False,
                method=method,
            )
            result = regression.regression_abc(simulate, observed, scale, prior, settings)
        post, sims = result.posterior, sims + result.simulations
        for j in range(prior.dim):
            q = [abc.weighted_quantile(post.theta[:, j], post.weights, p) for p in (0.05, 0.95)]
            covered.append(q[0] <= truth[0, j] <= q[1])
            widths.append((q[1] - q[0]) / prior.width[j])
    seconds = time.perf_counter() - began
    return Coverage(
        trials, float(np.mean(covered)), float(np.mean(widths)), sims // trials, seconds / trials
    )


def compare(trials: int = 40, budget: int = 20_000) -> pd.DataFrame:
    """ABC-SMC against the reference-table methods on the same recovery trials, at 2 and 10
    parameters."""
    rows = []
    for dim in (2, 10):
        for method in ("smc", *regression.METHODS):
            result = check(trials, population=300, budget=budget, method=method, dim=dim)
            rows.append({"method": method, "parameters": dim, **dataclasses.asdict(result)})
    return pd.DataFrame(rows)
