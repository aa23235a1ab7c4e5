"""Rejection ABC on a growing reference table, regression-adjusted or not, stopped on
convergence.

Beaumont, Zhang and Balding (2002): simulate a reference table of prior draws and their
summaries; keep the ``accept`` runs nearest the observation (distance in units of each
target's tolerance); weight them with the Epanechnikov kernel; regress the parameters on the
summaries' distance to the observation (weighted least squares, local-linear), and move each
kept parameter vector along the fitted slope to where its summaries would equal the
observation. Parameters are adjusted on the logit scale of their prior box, so every adjusted
value stays inside the prior.

With ``adjust=False`` the kept runs' own parameters, kernel-weighted, are the posterior (plain
rejection ABC): wider, but stable where the regression would extrapolate far from the kept
runs. Which one the model uses, and why, and why not ABC-SMC: docs/calibration.md, "Choice of
method" (the recovery comparison of ``sim.studies.calibration.recovery``).

The table grows in batches of ``batch`` runs. After each batch the posterior is computed
again, and the calibration stops as *converged* when, from one batch to the next,

* the tolerance (distance of the last run kept) fell by less than ``tolerance_fall``
  (relative): more simulations no longer bring the accepted runs closer;
* the acceptance rate (accept / table size) is below ``max_acceptance``: the kept runs are a
  small, local share of the table;
* the posterior moved by less than ``max_change``: no parameter's weighted mean or sd changed
  by more than that share of its prior sd (a tenth: the regression's own noise at 30 targets
  and a few thousand runs kept is a few hundredths per parameter, and the largest of 80 such
  changes is what is compared);
* and the effective sample size is at least ``min_ess``.

Otherwise it stops at ``budget`` runs, and says so (``stop_reason = "budget"``): such a
posterior is marked unconverged in its manifest and every use of it warns.

The reference table is reused for simulation-based calibration (Talts et al. 2018) at no
extra simulation cost: ``sbc_ranks`` takes runs of the table as pseudo-observations.
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.model.rng import derive_seeds
from sim.studies.calibration import abc
from sim.studies.calibration.priors import UniformPrior

_EDGE = 1e-6  # keeps the logit finite at the prior's bounds
#: SBC takes its pseudo-observations and tables from the first million runs of the table: it
#: checks the procedure at that table size, in a minute instead of five.
SBC_TABLE = 1_000_000
#: The reference table is stored in single precision: 5 million runs of 40 parameters and 30
#: targets take 1.4 GB instead of 2.8; the posterior is computed in double precision.


@dataclasses.dataclass(frozen=True)
class Settings:
    """How much to simulate, how many runs to keep, and when the posterior has converged."""

    accept: int = 3000
    batch: int = 100_000
    min_simulations: int = 300_000
    budget: int = 4_000_000
    tolerance_fall: float = 0.02
    max_acceptance: float = 0.01
    max_change: float = 0.1
    min_ess: float = 1000.0
    seed: int = 20221028
    progress: bool = True
    adjust: bool = True  # False: kernel-weighted rejection ABC on the same table


@dataclasses.dataclass
class Result:
    """The posterior (as an abc.Generation), the per-batch diagnostics and the table."""

    posterior: abc.Generation
    diagnostics: pd.DataFrame
    stop_reason: str
    simulations: int
    theta: np.ndarray  # the reference table: prior draws ...
    summaries: np.ndarray  # ... and their summaries

    @property
    def converged(self) -> bool:
        return self.stop_reason == CONVERGED

    @property
    def generations(self) -> list[abc.Generation]:
        return [self.posterior]


CONVERGED = "converged"


def _logit(theta: np.ndarray, prior: UniformPrior) -> np.ndarray:
    u = np.clip((theta - prior.low) / prior.width, _EDGE, 1 - _EDGE)
    return np.log(u / (1 - u))


def _expit(z: np.ndarray, prior: UniformPrior) -> np.ndarray:
    return prior.low + prior.width / (1 + np.exp(-z))


def adjusted_posterior(
    theta: np.ndarray,
    summaries: np.ndarray,
    observed: np.ndarray,
    scale: np.ndarray,
    prior: UniformPrior,
    accept: int,
    exclude: int | None = None,
    adjust: bool = True,
) -> abc.Generation:
    """The regression-adjusted posterior of one observation from a reference table (without
    row `exclude`, the observation itself in a simulation-based calibration)."""
    distance = abc.distances(summaries, observed.astype(np.float32), scale.astype(np.float32))
    if exclude is not None:
        distance[exclude] = np.inf
    keep = np.argpartition(distance, min(accept, len(distance) - 1))[:accept]
    keep = keep[np.isfinite(distance[keep])]
    d = distance[keep].astype(float)
    theta, summaries = theta[keep].astype(float), summaries[keep].astype(float)
    epsilon = float(d.max())
    # Epanechnikov, the farthest getting ~0; a bandwidth of 0 (every kept run meets every
    # target exactly, as counts and 0/1 facts can) weighs the kept runs alike.
    weights = 1.0 - (d / (epsilon * (1 + 1e-9))) ** 2 if epsilon > 0 else np.ones_like(d)
    weights = weights / weights.sum()
    if not adjust:  # kernel-weighted rejection ABC: the kept runs' own parameters
        return abc.Generation(theta, weights, d, summaries, epsilon)
    x = (summaries - observed) / scale
    z = _logit(theta, prior)
    design = np.column_stack([np.ones(len(x)), x])
    root = np.sqrt(weights)[:, None]
    # a little ridge: a target all kept runs meet (a 0/1 fact) is a constant column
    gram = (design * root).T @ (design * root) + 1e-8 * np.eye(design.shape[1])
    beta = np.linalg.solve(gram, (design * root).T @ (z * root))
    adjusted = _expit(z - x @ beta[1:], prior)
    return abc.Generation(adjusted, weights, d, summaries, epsilon)


def _moments(gen: abc.Generation, prior: UniformPrior) -> tuple[np.ndarray, np.ndarray]:
    mean = gen.weights @ gen.theta
    sd = np.sqrt(gen.weights @ (gen.theta - mean) ** 2)
    prior_sd = prior.width / np.sqrt(12.0)
    return mean / prior_sd, sd / prior_sd


def regression_abc(
    simulate: abc.Simulator,
    observed: np.ndarray,
    scale: np.ndarray,
    prior: UniformPrior,
    settings: Settings,
) -> Result:
    """Grow the reference table until the posterior has converged or the budget is spent."""
    rng = np.random.default_rng(settings.seed)
    thetas, summaries, rows = [], [], []
    count, previous, reason = 0, None, "budget"
    with tqdm(
        total=settings.budget,
        desc="reference table",
        unit="run",
        disable=not settings.progress,
        leave=True,
    ) as bar:
        while count < settings.budget:
            began = time.perf_counter()
            size = min(settings.batch, settings.budget - count)
            theta = prior.sample(size, rng)
            # The whole batch in one call: the simulator shares it out over its workers in
            # chunks whose tables stay in the workers, and no worker waits for the others
            # between chunks.
            seeds = derive_seeds(settings.seed, np.arange(count, count + size))
            thetas.append(theta.astype(np.float32))
            summaries.append(np.asarray(simulate(theta, seeds), dtype=np.float32))
            count += size
            bar.update(size)
            if count < min(settings.min_simulations, settings.budget) and count < settings.budget:
                continue
            table_theta, table_s = np.concatenate(thetas), np.concatenate(summaries)
            gen = adjusted_posterior(
                table_theta,
                table_s,
                observed,
                scale,
                prior,
                settings.accept,
                adjust=settings.adjust,
            )
            row = _row(gen, previous, prior, count, settings, began)
            rows.append(row)
            bar.set_postfix(eps=f"{gen.epsilon:.3g}", change=f"{row['change']:.3f}")
            previous = gen
            if row["converged"]:
                reason = CONVERGED
                break
    return Result(
        previous,
        pd.DataFrame(rows),
        reason,
        count,
        np.concatenate(thetas),
        np.concatenate(summaries),
    )


def _row(
    gen: abc.Generation,
    previous: abc.Generation | None,
    prior: UniformPrior,
    count: int,
    settings: Settings,
    began: float,
) -> dict:
    """The diagnostics of one check, and whether every convergence criterion holds."""
    ess = abc.effective_sample_size(gen.weights)
    acceptance = len(gen.weights) / count
    if previous is None:  # nothing to compare with yet: no criterion can hold
        fall, change = float("nan"), float("nan")
    else:
        fall = (previous.epsilon - gen.epsilon) / previous.epsilon
        (m0, s0), (m1, s1) = _moments(previous, prior), _moments(gen, prior)
        change = float(max(np.abs(m1 - m0).max(), np.abs(s1 - s0).max()))
    return {
        "simulations": count,
        "epsilon": gen.epsilon,
        "tolerance_fall": fall,
        "acceptance_rate": acceptance,
        "change": change,
        "ess": ess,
        "median_distance": float(np.median(gen.distances)),
        "seconds": time.perf_counter() - began,
        "converged": bool(
            fall < settings.tolerance_fall
            and acceptance < settings.max_acceptance
            and change < settings.max_change
            and ess >= settings.min_ess
        ),
    }


# --- simulation-based calibration (Talts et al. 2018) -----------------------------------------
def sbc_ranks(
    result: Result,
    prior: UniformPrior,
    scale: np.ndarray,
    accept: int,
    trials: int,
    draws: int = 99,
    seed: int = 0,
    adjust: bool = True,
    threads: int = 1,
) -> np.ndarray:
    """Ranks (trials, parameters) of true values among `draws` posterior draws, each trial
    taking one run of the reference table as the observation and the rest as the table.

    If the posterior is calibrated, each parameter's ranks are uniform on 0..draws: too many
    at the ends means over-confident (too narrow), a hump in the middle under-confident.

    The trials' posteriors are computed on `threads` threads (numpy's distances and
    partitions release the interpreter lock); the draws from them are made in trial order,
    so the ranks do not depend on `threads`.
    """
    rng = np.random.default_rng(seed)
    n = min(len(result.theta), SBC_TABLE)
    theta, summaries = result.theta[:n], result.summaries[:n]
    # A reference table smaller than the trials (a tiny budget) gives each of its runs a trial.
    picks = rng.choice(n, size=min(trials, n), replace=False)

    def posterior_without(i: int) -> abc.Generation:
        observed = summaries[i].astype(float)
        return adjusted_posterior(
            theta, summaries, observed, scale, prior, accept, exclude=i, adjust=adjust
        )

    ranks = np.empty((trials, prior.dim), dtype=int)
    with ThreadPoolExecutor(threads) as pool:
        for t, (i, gen) in enumerate(zip(picks, pool.map(posterior_without, picks), strict=True)):
            sample = gen.theta[rng.choice(len(gen.weights), size=draws, p=gen.weights)]
            below = (sample < theta[i]).sum(axis=0)
            ties = (sample == theta[i]).sum(axis=0)  # integer parameters: break ties at random
            ranks[t] = below + rng.integers(0, ties + 1)
    return ranks


def sbc_uniformity(ranks: np.ndarray, draws: int = 99, bins: int = 10) -> np.ndarray:
    """Per parameter, the chi-square p-value of its rank histogram against uniform."""
    from scipy import stats  # scipy: only for the SBC check

    counts = np.stack([np.histogram(r, bins=bins, range=(0, draws + 1))[0] for r in ranks.T])
    return stats.chisquare(counts, axis=1).pvalue
