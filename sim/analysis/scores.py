"""Proper scores of probabilistic forecasts, and skill against a reference forecast.

One implementation per score, shared by `sim score` (facts after a cut-off) and `sim events
compare` (monthly event counts). A forecast is an *ensemble*: the values of a quantity in R
runs. The scores:

- CRPS (continuous ranked probability score) of the ensemble's empirical distribution,
  E|X - y| - E|X - X'| / 2 (Gneiting and Raftery 2007), in the quantity's own unit; 0 for a
  perfect point forecast, lower is better; from `scoringrules` (the "qd" estimator, exact for
  the empirical distribution). A point forecast x is an ensemble of one: its CRPS is |x - y|;
  the uniform distribution's CRPS has a closed form (also from `scoringrules`).
- PIT (probability integral transform) interval [F(y-), F(y)] of a count, and the
  non-randomised PIT histogram of Czado, Gneiting and Held (2009, Biometrics 65:1254).
- Brier score (p - y)^2 and log score -log|p + y - 1| of a probability p of a binary event
  y in {0, 1} (Brier 1950; Good 1952); from `scoringrules`. An ensemble of R runs can give
  p = 0 or 1, whose log score is infinite when wrong, so the log score takes p clipped to
  [1/(2R), 1 - 1/(2R)]: half a run's worth of doubt, the smallest the ensemble can resolve.
- Interval coverage: whether y lies inside the ensemble's central 50% and 90% intervals.
- Skill against a reference forecast, 1 - mean(score) / mean(reference score) (Murphy 1973):
  1 is perfect, 0 no better than the reference, negative worse; with a percentile bootstrap
  interval over the scored facts (scipy.stats.bootstrap, paired resampling, seeded).
"""

from __future__ import annotations

import warnings

import numpy as np
import scoringrules
from scipy import stats

BAND_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.9


def crps(ensemble: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """CRPS of each observation against the empirical distribution of its ensemble column.

    Args:
        ensemble: (members, n) values; column i is the forecast for observation i.
        observed: (n,) observed values.
    """
    return np.asarray(
        scoringrules.crps_ensemble(
            np.asarray(observed, float), np.asarray(ensemble, float), m_axis=0, estimator="qd"
        ),
        dtype=float,
    )


def crps_uniform(observed: np.ndarray, low: float, high: float) -> np.ndarray:
    """CRPS of the uniform distribution on [low, high] (closed form, from `scoringrules`)."""
    return np.asarray(
        scoringrules.crps_uniform(np.asarray(observed, float), low, high), dtype=float
    )


def pit_interval(ensemble: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[F(y-), F(y)] of each observation under its ensemble column (counts have ties)."""
    below = np.mean(ensemble < observed, axis=0)
    at_or_below = np.mean(ensemble <= observed, axis=0)
    return below, at_or_below


def pit_histogram(low: np.ndarray, high: np.ndarray, bins: int = 5) -> np.ndarray:
    """Czado et al.'s (2009) non-randomised PIT histogram, as densities (1 = uniform).

    Each observation contributes F̄(u) = 0 below `low`, 1 above `high` and (u - low)/(high -
    low) between; bin j holds the mean increase of F̄ over it.
    """
    low, high = np.asarray(low, float)[:, None], np.asarray(high, float)[:, None]
    if low.size == 0:
        return np.full(bins, np.nan)
    edges = np.linspace(0.0, 1.0, bins + 1)
    width = np.where(high > low, high - low, 1.0)
    cdf = np.clip((edges[None, :] - low) / width, 0.0, 1.0)
    cdf = np.where(high > low, cdf, (edges[None, :] >= high).astype(float))
    return np.diff(cdf, axis=1).mean(axis=0) * bins


def bands(ensemble: np.ndarray) -> np.ndarray:
    """The ensemble's quantiles `BAND_QUANTILES` per column: a (5, n) array."""
    return np.quantile(np.asarray(ensemble, float), BAND_QUANTILES, axis=0)


def coverage(ensemble: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each observation lies inside its ensemble's central 50% and 90% intervals."""
    q05, q25, _, q75, q95 = bands(ensemble)
    y = np.asarray(observed, float)
    return (q25 <= y) & (y <= q75), (q05 <= y) & (y <= q95)


def brier(probability: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Brier score of each probability forecast of a binary outcome (0 or 1)."""
    return np.asarray(
        scoringrules.brier_score(np.asarray(outcome, float), np.asarray(probability, float)),
        dtype=float,
    )


def log_score(
    probability: np.ndarray, outcome: np.ndarray, members: int | None = None
) -> np.ndarray:
    """Log score of each probability forecast; with `members` (an ensemble's size) the
    probability is first clipped to [1/(2 members), 1 - 1/(2 members)]."""
    p = np.asarray(probability, float)
    if members:
        p = np.clip(p, 0.5 / members, 1.0 - 0.5 / members)
    return np.asarray(scoringrules.log_score(np.asarray(outcome, float), p), dtype=float)


def skill(score: np.ndarray, reference: np.ndarray) -> float:
    """1 - mean(score) / mean(reference); NaN when the reference scores 0 on average."""
    denominator = float(np.mean(reference))
    if not np.isfinite(denominator) or denominator <= 0:
        return float("nan")
    return 1.0 - float(np.mean(score)) / denominator


def skill_interval(
    score: np.ndarray, reference: np.ndarray, seed: int, level: float = CONFIDENCE
) -> tuple[float, float]:
    """A percentile bootstrap interval of `skill`, resampling the scored facts in pairs.

    NaN for fewer than two facts, or when every resample gives the same skill (nothing to
    resample: then the interval is the point).
    """
    score, reference = np.asarray(score, float), np.asarray(reference, float)
    if len(score) < 2 or not np.all(np.isfinite(score)) or not np.all(np.isfinite(reference)):
        return float("nan"), float("nan")

    def statistic(s: np.ndarray, r: np.ndarray, axis: int = -1) -> np.ndarray:
        mean_r = np.mean(r, axis=axis)
        safe = np.where(mean_r > 0, mean_r, np.nan)
        return 1.0 - np.mean(s, axis=axis) / safe

    with warnings.catch_warnings():  # a degenerate resample is expected with few facts
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            (score, reference),
            statistic,
            paired=True,
            vectorized=True,
            n_resamples=BOOTSTRAP_RESAMPLES,
            confidence_level=level,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    # A resample whose reference scores 0 has no skill (NaN): the percentiles skip it.
    tail = (1.0 - level) / 2.0
    low, high = np.nanquantile(result.bootstrap_distribution, [tail, 1.0 - tail])
    return float(low), float(high)
