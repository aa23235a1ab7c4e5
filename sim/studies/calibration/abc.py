"""ABC-SMC with a batched simulator: each call simulates thousands of parameter vectors at once.

The sampler is population Monte Carlo ABC (Beaumont et al. 2009) with adaptive tolerances
(Del Moral et al. 2012; as in pyabc's quantile epsilon):

* generation 0 simulates ``initial_factor * population`` prior draws and keeps the closest
  ``population`` (rejection ABC; the tolerance is the distance of the last one kept);
* each later generation sets its tolerance to the weighted ``quantile`` of the current
  particles' distances, proposes from the weighted particles moved by a Gaussian kernel with
  twice their weighted covariance (Beaumont et al. 2009), keeps proposals within the tolerance
  until it has ``population`` of them, and weights each by prior / proposal density.

It stops at ``max_generations``, when the tolerance no longer falls, when the acceptance rate
drops below ``min_acceptance``, or when the next generation would exceed the ``budget`` of
simulations; the posterior is the last complete generation. The distance between a run and the
data is the Euclidean norm of (simulated - observed) / tolerance over the targets.

The project writes the loop itself because neither maintained library could step the model's
ensemble axis on Python 3.13 here (docs/calibration.md, "Why a hand-written sampler").
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.errors import CalibrationError
from sim.model.rng import derive_seeds
from sim.studies.calibration.priors import UniformPrior

#: simulate(theta (n, d), seeds (n,)) -> summaries (n, targets)
Simulator = Callable[[np.ndarray, np.ndarray], np.ndarray]


#: A kernel move lands inside every prior range with a probability that falls geometrically
#: with the dimension; after this many batches' worth of tries, ABC-SMC gives up with one line
#: instead of looping for hours (at 65 parameters almost no move stays inside).
MAX_PROPOSAL_ROUNDS = 200


@dataclasses.dataclass(frozen=True)
class Settings:
    """How much to simulate and when to stop."""

    population: int = 2000
    budget: int = 1_000_000  # simulated runs in all generations
    batch: int = 10_000  # proposals per simulator call
    quantile: float = 0.5
    initial_factor: int = 5
    max_generations: int = 20
    min_acceptance: float = 0.02
    seed: int = 20221028
    progress: bool = True


@dataclasses.dataclass
class Generation:
    """One population: particles, normalised weights, and their distances and summaries."""

    theta: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    summaries: np.ndarray
    epsilon: float


@dataclasses.dataclass
class Result:
    generations: list[Generation]
    diagnostics: pd.DataFrame
    stop_reason: str
    simulations: int

    @property
    def posterior(self) -> Generation:
        return self.generations[-1]


def distances(summaries: np.ndarray, observed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Euclidean distance in units of each target's tolerance; a nan summary is infinitely far."""
    d = np.sqrt((((summaries - observed) / scale) ** 2).sum(axis=1))
    return np.where(np.isfinite(d), d, np.inf)


def effective_sample_size(weights: np.ndarray) -> float:
    return float(weights.sum() ** 2 / (weights**2).sum())


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])


class _Simulations:
    """Calls the simulator with reproducible seeds and counts the simulations."""

    def __init__(self, simulate: Simulator, observed: np.ndarray, scale: np.ndarray, seed: int):
        self.simulate, self.observed, self.scale = simulate, observed, scale
        self.seed, self.count = seed, 0

    def __call__(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        seeds = derive_seeds(self.seed, np.arange(self.count, self.count + len(theta)))
        self.count += len(theta)
        summaries = np.asarray(self.simulate(theta, seeds), dtype=float)
        return summaries, distances(summaries, self.observed, self.scale)


def abc_smc(
    simulate: Simulator,
    observed: np.ndarray,
    scale: np.ndarray,
    prior: UniformPrior,
    settings: Settings,
) -> Result:
    """Run ABC-SMC and return every generation and the per-generation diagnostics."""
    rng = np.random.default_rng(settings.seed)
    sims = _Simulations(simulate, observed, scale, settings.seed)
    rows: list[dict] = []
    first = _initial(sims, prior, settings, rng, rows)
    generations, reason = [first], "max_generations"
    for t in range(1, settings.max_generations):
        current = generations[-1]
        epsilon = weighted_quantile(current.distances, current.weights, settings.quantile)
        if epsilon >= current.epsilon:
            reason = "tolerance no longer falls"
            break
        if rows[-1]["acceptance_rate"] < settings.min_acceptance:
            reason = "acceptance rate below min_acceptance"
            break
        if sims.count + _expected_cost(settings, rows) > settings.budget:
            reason = "budget"
            break
        nxt = _generation(t, sims, current, epsilon, prior, settings, rng, rows)
        if nxt is None:
            reason = "budget"
            break
        generations.append(nxt)
    return Result(generations, pd.DataFrame(rows), reason, sims.count)


def _initial(
    sims: _Simulations,
    prior: UniformPrior,
    settings: Settings,
    rng: np.random.Generator,
    rows: list[dict],
) -> Generation:
    began = time.perf_counter()
    n = min(settings.initial_factor * settings.population, settings.budget)
    theta = prior.sample(n, rng)
    summaries, dist = [], []
    with _bar(settings, n, "generation 0 (prior)") as bar:
        for start in range(0, n, settings.batch):
            s, d = sims(theta[start : start + settings.batch])
            summaries.append(s)
            dist.append(d)
            bar.update(len(d))
    summaries_all, dist_all = np.concatenate(summaries), np.concatenate(dist)
    keep = np.argsort(dist_all, kind="stable")[: settings.population]
    weights = np.full(keep.size, 1.0 / keep.size)
    epsilon = float(dist_all[keep[-1]])
    gen = Generation(theta[keep], weights, dist_all[keep], summaries_all[keep], epsilon)
    rows.append(_row(0, gen, proposals=n, simulated=n, began=began, accepted=len(keep)))
    return gen


def _generation(
    t: int,
    sims: _Simulations,
    current: Generation,
    epsilon: float,
    prior: UniformPrior,
    settings: Settings,
    rng: np.random.Generator,
    rows: list[dict],
) -> Generation | None:
    """One generation at tolerance `epsilon`, or None when the budget runs out first."""
    began = time.perf_counter()
    cov = 2.0 * np.atleast_2d(np.cov(current.theta, rowvar=False, aweights=current.weights))
    cov += np.eye(prior.dim) * 1e-12 * prior.width**2  # keeps a collapsed dimension invertible
    chol = np.linalg.cholesky(cov)
    kept_theta, kept_s, kept_d = [], [], []
    found = proposals = simulated = 0
    with _bar(settings, settings.population, f"generation {t} (eps {epsilon:.3g})") as bar:
        while found < settings.population:
            room = settings.budget - sims.count
            if room <= 0:
                return None
            size = min(settings.batch, room, _batch_needed(settings, found, simulated, rows))
            theta, tried = _propose(current, chol, prior, size, rng)
            proposals += tried
            s, d = sims(theta)
            simulated += len(theta)
            accept = d <= epsilon
            kept_theta.append(theta[accept])
            kept_s.append(s[accept])
            kept_d.append(d[accept])
            found += int(accept.sum())
            bar.update(min(int(accept.sum()), settings.population - bar.n))
    theta = np.concatenate(kept_theta)[: settings.population]
    weights = _weights(theta, current, chol)
    gen = Generation(
        theta,
        weights,
        np.concatenate(kept_d)[: settings.population],
        np.concatenate(kept_s)[: settings.population],
        epsilon,
    )
    rows.append(_row(t, gen, proposals=proposals, simulated=simulated, began=began, accepted=found))
    return gen


def _expected_cost(settings: Settings, rows: list[dict]) -> float:
    """Simulations the next generation will likely need: acceptance falls as the tolerance
    does, by about the factor it fell last time, so a generation the budget cannot finish is
    not started (its runs would be wasted)."""
    rate = rows[-1]["acceptance_rate"]
    if len(rows) >= 3:  # generation 0's rate is set by construction, not comparable
        rate *= min(1.0, rate / max(rows[-2]["acceptance_rate"], 1e-12))
    return settings.population / max(rate, 1e-9)


MIN_BATCH = 1000  # below this a simulator call costs more in fixed overhead than in runs


def _batch_needed(settings: Settings, found: int, simulated: int, rows: list[dict]) -> int:
    """Proposals likely to complete the population, from the acceptance rate seen so far
    (this generation's once it has run some, else the last generation's), with 20% spare."""
    rate = found / simulated if found else rows[-1]["acceptance_rate"]
    return max(MIN_BATCH, int(1.2 * (settings.population - found) / max(rate, 1e-6)))


def _propose(
    current: Generation,
    chol: np.ndarray,
    prior: UniformPrior,
    size: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """`size` perturbed particles inside the prior's support, and how many were drawn for them.

    Draws continue until a whole batch lies inside the support, so that the simulator always
    gets full batches: with many parameters most kernel moves near the prior's edges fall
    outside it, and simulating the few left over would pay the model's fixed cost per call.
    """
    kept, found, tried = [], 0, 0
    while found < size:
        if tried >= MAX_PROPOSAL_ROUNDS * size:
            raise CalibrationError(
                f"ABC-SMC cannot move inside the prior: {found:,} of {tried:,} perturbed "
                f"particles fell inside its {prior.dim} ranges; use method=rejection"
            )
        parents = rng.choice(len(current.weights), size=size, p=current.weights)
        theta = current.theta[parents] + rng.standard_normal((size, prior.dim)) @ chol.T
        theta = theta[prior.contains(theta)]
        kept.append(theta)
        found += len(theta)
        tried += size
    return np.concatenate(kept)[:size], tried


def _weights(theta: np.ndarray, previous: Generation, chol: np.ndarray) -> np.ndarray:
    """Importance weights: uniform prior / mixture density of the proposal (in chunks)."""
    density = np.empty(len(theta))
    for start in range(0, len(theta), 256):
        diff = theta[start : start + 256, None, :] - previous.theta[None, :, :]
        z = np.linalg.solve(chol, diff.reshape(-1, theta.shape[1]).T).T
        kernel = np.exp(-0.5 * (z**2).sum(axis=1)).reshape(diff.shape[:2])
        density[start : start + 256] = kernel @ previous.weights
    weights = 1.0 / np.maximum(density, 1e-300)
    return weights / weights.sum()


def _row(
    t: int, gen: Generation, proposals: int, simulated: int, began: float, accepted: int
) -> dict:
    """The diagnostics of a generation; `accepted` counts every run within the tolerance,
    including those beyond the population that the last batch brought."""
    return {
        "generation": t,
        "epsilon": gen.epsilon,
        "proposals": proposals,
        "simulations": simulated,
        "accepted": accepted,
        "acceptance_rate": accepted / max(simulated, 1),
        "ess": effective_sample_size(gen.weights),
        "median_distance": float(np.median(gen.distances)),
        "seconds": time.perf_counter() - began,
    }


def _bar(settings: Settings, total: int, description: str) -> tqdm:
    return tqdm(
        total=total, desc=description, unit="particle", disable=not settings.progress, leave=True
    )
