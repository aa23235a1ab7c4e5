"""ABC on a growing reference table, stopped on convergence.

Simulate a reference table of prior draws and their targets; keep the ``accept`` runs nearest
the observation; weight them with the Epanechnikov kernel; and, for the adjusted methods,
regress the parameters on the kept runs' distance to the observation (weighted least squares,
local-linear) and move each kept parameter along the fitted slope to where its summary would
equal the observation (Beaumont, Zhang and Balding 2002). Parameters are adjusted on the logit
scale of their prior box, so every adjusted value stays inside the prior.

Three methods share the table and its stopping rule (``Settings.method``):

* ``semiauto`` (the default): the semi-automatic summaries of Fearnhead and Prangle (2012),
  one per parameter, its regression on the targets fitted on the table's first batch (the
  pilot; ``sim.studies.calibration.projection``). The kept runs are the nearest in those
  summaries, and each parameter is then adjusted along its own summary alone (local-linear,
  one slope per parameter). Calibrated on the model's own data (simulation-based
  calibration); it would extrapolate if the observation lay beyond the kept runs, which the
  misfit check (``misfit``) measures in every calibration.
* ``rejection``: the kept runs' own parameters, kernel-weighted, with the distance on the
  targets in units of their tolerances (plain rejection ABC). Too wide where a few smooth
  targets pin a parameter down among many noisy ones (under-confident), but it makes no
  extrapolation: when the model cannot come as near the observation as it comes to its own
  simulated data, it still concentrates on the parameters that come nearest (Frazier, Robert
  and Rousseau 2020).
* ``regression``: the targets' distance, and Beaumont's adjustment on every target at once.

Which one the model uses, and why, and why not ABC-SMC: docs/calibration.md, "Choice of
method" (the recovery comparison of ``sim.studies.calibration.recovery`` and the simulation-
based calibration of each method on the model's reference table).

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
from sim.studies.calibration.projection import Projection
from sim.studies.calibration.projection import fit as fit_projection

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
    method: str = "semiauto"  # or "rejection", "regression": see the module's docstring


REJECTION, SEMIAUTO, REGRESSION = "rejection", "semiauto", "regression"
METHODS = (REJECTION, SEMIAUTO, REGRESSION)


@dataclasses.dataclass
class Result:
    """The posterior (as an abc.Generation), the per-batch diagnostics and the table."""

    posterior: abc.Generation
    diagnostics: pd.DataFrame
    stop_reason: str
    simulations: int
    theta: np.ndarray  # the reference table: prior draws ...
    summaries: np.ndarray  # ... and their targets
    statistics: np.ndarray  # what the distance is measured on: the targets or their projection
    projection: Projection | None = None  # semiauto: fitted on the first ...
    pilot: int = 0  # ... `pilot` runs of the table

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
    statistics: np.ndarray,
    observed: np.ndarray,
    scale: np.ndarray,
    prior: UniformPrior,
    accept: int,
    exclude: int | None = None,
    method: str = REJECTION,
) -> abc.Generation:
    """The posterior of one observation from a reference table (without row `exclude`, the
    observation itself in a simulation-based calibration). `statistics` are the table's
    targets (rejection, regression) or their projection (semiauto), `observed` the
    observation's, `scale` the distance's units."""
    distance = abc.distances(statistics, observed.astype(np.float32), scale.astype(np.float32))
    if exclude is not None:
        distance[exclude] = np.inf
    keep = np.argpartition(distance, min(accept, len(distance) - 1))[:accept]
    keep = keep[np.isfinite(distance[keep])]
    d = distance[keep].astype(float)
    theta, kept = theta[keep].astype(float), statistics[keep].astype(float)
    epsilon = float(d.max())
    # Epanechnikov, the farthest getting ~0; a bandwidth of 0 (every kept run meets every
    # target exactly, as counts and 0/1 facts can) weighs the kept runs alike.
    weights = 1.0 - (d / (epsilon * (1 + 1e-9))) ** 2 if epsilon > 0 else np.ones_like(d)
    weights = weights / weights.sum()
    x = (kept - observed) / scale
    if method == SEMIAUTO:
        theta = _expit(_along_own_summary(_logit(theta, prior), x, weights), prior)
    elif method == REGRESSION:
        theta = _expit(_along_every_target(_logit(theta, prior), x, weights), prior)
    return abc.Generation(theta, weights, d, kept, epsilon)


def _along_own_summary(z: np.ndarray, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Move each parameter (column of z) along its own projected summary (the same column of
    x) to where that summary equals the observation's: one weighted slope per parameter."""
    xc, zc = x - weights @ x, z - weights @ z
    spread = weights @ (xc * xc)
    slope = np.divide(weights @ (xc * zc), spread, out=np.zeros_like(spread), where=spread > 0)
    return z - x * slope


def _along_every_target(z: np.ndarray, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Beaumont, Zhang and Balding (2002): regress every parameter on every target's distance
    from the observation (weighted least squares) and move it along the fitted slopes."""
    design = np.column_stack([np.ones(len(x)), x])
    root = np.sqrt(weights)[:, None]
    # a little ridge: a target all kept runs meet (a 0/1 fact) is a constant column
    gram = (design * root).T @ (design * root) + 1e-8 * np.eye(design.shape[1])
    beta = np.linalg.solve(gram, (design * root).T @ (z * root))
    return z - x @ beta[1:]


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
    table = _Table(observed, scale, prior, settings.method)
    rows, count, previous, reason = [], 0, None, "budget"
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
            table.add(theta, simulate(theta, seeds))
            count += size
            bar.update(size)
            if count < min(settings.min_simulations, settings.budget) and count < settings.budget:
                continue
            gen = table.posterior(settings.accept)
            row = _row(gen, previous, prior, count, settings, began)
            rows.append(row)
            bar.set_postfix(eps=f"{gen.epsilon:.3g}", change=f"{row['change']:.3f}")
            previous = gen
            if row["converged"]:
                reason = CONVERGED
                break
    return table.result(previous, pd.DataFrame(rows), reason, count)


class _Table:
    """The growing reference table: prior draws, their targets and, for semiauto, the
    targets' projection (fitted on the first batch added, the pilot)."""

    def __init__(self, observed: np.ndarray, scale: np.ndarray, prior: UniformPrior, method: str):
        self.observed, self.scale, self.prior, self.method = observed, scale, prior, method
        self.thetas: list[np.ndarray] = []
        self.summaries: list[np.ndarray] = []
        self.statistics: list[np.ndarray] = []
        self.projection: Projection | None = None

    def add(self, theta: np.ndarray, summaries: np.ndarray) -> None:
        summaries = np.asarray(summaries, dtype=np.float32)
        if self.method == SEMIAUTO and self.projection is None:
            self.projection = fit_projection(
                theta, summaries, self.observed, self.scale, self.prior
            )
        self.thetas.append(theta.astype(np.float32))
        self.summaries.append(summaries)
        if self.projection is not None:
            self.statistics.append(self.projection(summaries))

    def observed_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """The observation's statistics and the distance's units."""
        if self.projection is None:
            return self.observed, self.scale
        return self.projection(self.observed[None, :])[0].astype(float), np.ones(self.prior.dim)

    def posterior(self, accept: int) -> abc.Generation:
        statistics = np.concatenate(self.statistics or self.summaries)
        observed, scale = self.observed_statistics()
        theta = np.concatenate(self.thetas)
        return adjusted_posterior(
            theta, statistics, observed, scale, self.prior, accept, method=self.method
        )

    def result(self, posterior: abc.Generation, diagnostics: pd.DataFrame, reason: str, count: int):
        summaries = np.concatenate(self.summaries)
        statistics = np.concatenate(self.statistics) if self.statistics else summaries
        pilot = len(self.thetas[0]) if self.projection is not None else 0
        return Result(
            posterior,
            diagnostics,
            reason,
            count,
            np.concatenate(self.thetas),
            summaries,
            statistics,
            self.projection,
            pilot,
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
    method: str = REJECTION,
    threads: int = 1,
    near: np.ndarray | None = None,
) -> np.ndarray:
    """Ranks (trials, parameters) of true values among `draws` posterior draws, each trial
    taking one run of the reference table as the observation and the rest as the table.

    The trials are random runs of the table (Talts et al.: calibration averaged over the
    prior predictive), or, with `near` (targets), the runs whose targets lie nearest it in
    units of `scale`: calibration for data like those observed. Choosing the trials by their
    data alone keeps the ranks uniform under a correct posterior.

    If the posterior is calibrated, each parameter's ranks are uniform on 0..draws: too many
    at the ends means over-confident (too narrow), a hump in the middle under-confident.

    The trials use the SBC_TABLE runs after the pilot (semiauto: the runs its projection was
    fitted on stay out, so no observation helped choose its own summaries; a table no larger
    than the pilot is used whole). `scale` is the targets' tolerances; semiauto measures the
    distance on the projection, in prior units, instead.

    The trials' posteriors are computed on `threads` threads (numpy's distances and
    partitions release the interpreter lock); the draws from them are made in trial order,
    so the ranks do not depend on `threads`.
    """
    rng = np.random.default_rng(seed)
    rows = sbc_rows(result)
    theta, statistics = result.theta[rows], result.statistics[rows]
    count = min(trials, len(theta))  # a tiny table gives each of its runs a trial
    if near is None:
        picks = rng.choice(len(theta), size=count, replace=False)
    else:
        picks = np.sort(lookalike_rows(result.summaries[rows], near, scale, count))
    if result.projection is not None:
        scale = np.ones(prior.dim)

    def posterior_without(i: int) -> abc.Generation:
        observed = statistics[i].astype(float)
        return adjusted_posterior(
            theta, statistics, observed, scale, prior, accept, exclude=i, method=method
        )

    ranks = np.empty((len(picks), prior.dim), dtype=int)
    with ThreadPoolExecutor(threads) as pool:
        for t, (i, gen) in enumerate(zip(picks, pool.map(posterior_without, picks), strict=True)):
            sample = gen.theta[rng.choice(len(gen.weights), size=draws, p=gen.weights)]
            below = (sample < theta[i]).sum(axis=0)
            ties = (sample == theta[i]).sum(axis=0)  # integer parameters: break ties at random
            ranks[t] = below + rng.integers(0, ties + 1)
    return ranks


# --- does the model reach the observation? -----------------------------------------------
#: Runs of the table most like the observation that the misfit check compares it with.
LOOKALIKES = 150


@dataclasses.dataclass(frozen=True)
class Misfit:
    """How far the observation lies from the model's simulated data, against how far the runs
    most like it lie from the rest. A model that could have produced the observation puts it
    among its data as closely as its own runs; if it lies farther than all of them, the model
    misfits it, and an adjusted posterior extrapolates there (Frazier, Robert and Rousseau
    2020). Distances in tolerance units, to the k-th nearest run of the SBC rows."""

    observed: float
    lookalike_median: float
    lookalike_max: float
    k: int
    lookalikes: int

    @property
    def beyond_lookalikes(self) -> bool:
        return self.observed > self.lookalike_max


def sbc_rows(result: Result) -> slice:
    """The rows SBC and the misfit check use: the SBC_TABLE runs after the pilot (the runs
    the projection was fitted on stay out), or the whole table when it is no larger than the
    pilot (a smoke test)."""
    start = result.pilot if len(result.theta) > result.pilot else 0
    return slice(start, start + SBC_TABLE)


def lookalike_rows(
    summaries: np.ndarray, observed: np.ndarray, scale: np.ndarray, count: int = LOOKALIKES
) -> np.ndarray:
    """Rows of a table of targets that lie nearest the observation, nearest first."""
    d = abc.distances(summaries, observed, scale)
    near = np.argpartition(d, count - 1)[:count]
    return near[np.argsort(d[near])]


def misfit(
    result: Result, observed: np.ndarray, scale: np.ndarray, k: int, count: int = LOOKALIKES
) -> Misfit:
    """The misfit check on the SBC rows (`sbc_rows`)."""
    summaries = result.summaries[sbc_rows(result)]
    k = min(k, len(summaries) - 2)

    def kth(target: np.ndarray, exclude: int | None = None) -> float:
        d = abc.distances(summaries, target, scale)
        if exclude is not None:
            d[exclude] = np.inf
        return float(np.partition(d, k - 1)[k - 1])

    alike = lookalike_rows(summaries, observed, scale, min(count, len(summaries)))
    distances = [kth(summaries[r].astype(float), exclude=r) for r in alike]
    return Misfit(kth(observed), float(np.median(distances)), max(distances), k, len(alike))


def sbc_uniformity(ranks: np.ndarray, draws: int = 99, bins: int = 10) -> np.ndarray:
    """Per parameter, the chi-square p-value of its rank histogram against uniform."""
    from scipy import stats  # scipy: only for the SBC check

    counts = np.stack([np.histogram(r, bins=bins, range=(0, draws + 1))[0] for r in ranks.T])
    return stats.chisquare(counts, axis=1).pvalue
