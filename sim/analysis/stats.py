"""The interval estimators every command shares, one implementation each, with its reference.

Where scipy has the estimator it is called: Student's t interval (``scipy.stats.ttest_1samp``)
and the bootstrap (``scipy.stats.bootstrap``). Kaplan-Meier with its log-log band is
``scipy.stats.ecdf``'s, computed here with scipy's own operations (the same bits, tested): a
sweep's parent would otherwise import scipy.stats while its workers simulate. Three are
written here because no maintained library gives them in the form the commands need:

- the Wilson interval, vectorised over thousands of (hits, runs) pairs at once (scipy's
  ``binomtest`` takes one pair per call; statsmodels is not a core dependency);
- Newcombe's square-and-add interval for a difference of proportions, unpaired and paired
  (statsmodels has the unpaired one only; nothing maintained in Python has the paired one);
- the parametric bootstrap of the factor value at which a probability curve crosses a level.

docs/statistics.md gives each formula, when each command uses it, and the coverage tests.
"""

from __future__ import annotations

from types import ModuleType
from typing import NamedTuple

import numpy as np
import pandas as pd

LEVEL = 0.95


class Interval(NamedTuple):
    """An estimate with the lower and upper bounds of its confidence interval."""

    value: float
    lower: float
    upper: float


def _scipy_stats() -> ModuleType:
    """scipy.stats, imported on first use: it takes about a second to import, and most callers
    (a run's summary, compare) need only Wilson intervals."""
    from scipy import stats

    return stats


def z_value(level: float = LEVEL) -> float:
    """The two-sided standard normal quantile of a confidence level (1.96 for 0.95).

    ``scipy.special.ndtri`` is the function ``scipy.stats.norm.ppf`` evaluates (the same bits;
    tests/test_statistics.py checks it), without importing all of scipy.stats.
    """
    from scipy.special import ndtri

    return float(ndtri(0.5 + level / 2))


# --- proportions -------------------------------------------------------------------------------
def wilson_interval(
    hits: np.ndarray | int,
    n: np.ndarray | int,
    level: float = LEVEL,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval for a binomial proportion, vectorised over arrays.

    Well behaved near 0 and 1, where the normal (Wald) interval collapses: with 0 hits the
    interval is [0, z^2 / (n + z^2)]. Equal to ``scipy.stats.binomtest(k, n).proportion_ci(
    method="wilson")`` and statsmodels' ``proportion_confint(method="wilson")`` (tested).

    Args:
        hits: number of successes (array or scalar).
        n: number of trials, broadcast against `hits`.
        level: the confidence level.

    Returns:
        The lower and upper bounds, shaped like the broadcast of `hits` and `n`.
    """
    hits = np.asarray(hits, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # The interval always contains p; clipping to it removes rounding noise at 0 and 1.
    return np.clip(centre - half, 0.0, p), np.clip(centre + half, p, 1.0)


def newcombe_difference(
    hits: np.ndarray | int,
    n: np.ndarray | int,
    ref_hits: np.ndarray | int,
    ref_n: np.ndarray | int,
    phi: np.ndarray | float = 0.0,
    level: float = LEVEL,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p - p_ref with Newcombe's square-and-add interval built from the two Wilson intervals.

    With phi = 0 this is the hybrid score interval for independent proportions (Newcombe
    1998a, method 10); with phi from ``newcombe_phi`` of the paired 2x2 table it is the
    interval for paired proportions (Newcombe 1998b, method 10). Vectorised over all arguments.

    Returns:
        The difference, its lower and its upper bound (clipped to [-1, 1]).
    """
    p, q = np.asarray(hits) / np.asarray(n), np.asarray(ref_hits) / np.asarray(ref_n)
    l1, u1 = wilson_interval(hits, n, level)
    l0, u0 = wilson_interval(ref_hits, ref_n, level)
    below = (p - l1) ** 2 - 2 * phi * (p - l1) * (u0 - q) + (u0 - q) ** 2
    above = (u1 - p) ** 2 - 2 * phi * (u1 - p) * (q - l0) + (q - l0) ** 2
    diff = p - q
    lower = np.clip(diff - np.sqrt(np.maximum(below, 0)), -1, 1)
    upper = np.clip(diff + np.sqrt(np.maximum(above, 0)), -1, 1)
    return diff, lower, upper


def paired_counts(x: np.ndarray, ref: np.ndarray) -> tuple[int, int, int, int]:
    """The paired 2x2 table (a, b, c, d): both, x only, ref only, neither.

    Raises:
        ValueError: if the two samples differ in size (they cannot be paired).
    """
    x, ref = np.asarray(x, dtype=bool), np.asarray(ref, dtype=bool)
    if x.shape != ref.shape:
        raise ValueError(f"paired samples differ in size: {x.shape} vs {ref.shape}")
    return (
        int(np.sum(x & ref)),
        int(np.sum(x & ~ref)),
        int(np.sum(~x & ref)),
        int(np.sum(~x & ~ref)),
    )


def newcombe_phi(
    a: np.ndarray | int, b: np.ndarray | int, c: np.ndarray | int, d: np.ndarray | int
) -> np.ndarray:
    """The correlation of a paired 2x2 table with Newcombe's (1998b) continuity correction.

    phi = A / sqrt((a+b)(c+d)(a+c)(b+d)) where A = ad - bc, reduced to max(A - n/2, 0) when
    A > 0 (positive correlation is shrunk; negative is kept), and 0 when a margin is empty.
    The correction is part of method 10 and keeps its coverage near nominal when the pairs
    agree strongly. Vectorised.
    """
    a, b, c, d = (np.asarray(v, dtype=float) for v in (a, b, c, d))
    n = a + b + c + d
    product = (a + b) * (c + d) * (a + c) * (b + d)
    numerator = a * d - b * c
    numerator = np.where(numerator > 0, np.maximum(numerator - n / 2, 0.0), numerator)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(product > 0, numerator / np.sqrt(product), 0.0)


def paired_proportion_difference(x: np.ndarray, ref: np.ndarray, level: float = LEVEL) -> Interval:
    """P(x) - P(ref) for paired 0/1 outcomes, with Newcombe's (1998b) method-10 interval.

    The one function ``compare`` (paired runs) and ``validate`` call, so both give identical
    intervals for the same runs. The interval narrows as the pairs agree (common random
    numbers); without correlation it is the unpaired interval.
    """
    a, b, c, d = paired_counts(x, ref)
    n = a + b + c + d
    diff, lower, upper = newcombe_difference(a + b, n, a + c, n, newcombe_phi(a, b, c, d), level)
    return Interval(float(diff), float(lower), float(upper))


# --- means -------------------------------------------------------------------------------------
def mean_interval(values: np.ndarray, level: float = LEVEL) -> Interval:
    """Mean with Student's t interval (``scipy.stats.ttest_1samp(...).confidence_interval``).

    Exact for normal values at any n and the usual CLT interval for the hundreds of runs the
    commands use. One value gives (-inf, inf); values that are all equal give [mean, mean].
    """
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if values.size < 2:
        return Interval(mean, -np.inf, np.inf)
    if np.ptp(values) == 0:  # scipy warns and returns NaN for a sample without spread
        return Interval(mean, mean, mean)
    ci = _scipy_stats().ttest_1samp(values, 0.0).confidence_interval(level)
    return Interval(mean, float(ci.low), float(ci.high))


def paired_mean_difference(x: np.ndarray, ref: np.ndarray, level: float = LEVEL) -> Interval:
    """mean(x - ref) over paired runs: the t interval of the per-run differences."""
    x, ref = np.asarray(x, dtype=float), np.asarray(ref, dtype=float)
    if x.shape != ref.shape:
        raise ValueError(f"paired samples differ in size: {x.shape} vs {ref.shape}")
    return mean_interval(x - ref, level)


def bootstrap_mean_difference(
    x: np.ndarray,
    ref: np.ndarray,
    seed: int,
    resamples: int = 2000,
    level: float = LEVEL,
) -> Interval:
    """mean(x - ref) over paired runs, with a BCa bootstrap interval (``scipy.stats.bootstrap``).

    Resampling the per-run differences is resampling the pairs: it gives the same interval as
    ``bootstrap((x, ref), ..., paired=True)`` for this statistic, at a third of the cost.
    BCa (Efron 1987) corrects the percentile interval for bias and skew, which matters for
    censored times (many differences are exactly 0). Reproducible from `seed`.
    """
    x, ref = np.asarray(x, dtype=float), np.asarray(ref, dtype=float)
    if x.shape != ref.shape:
        raise ValueError(f"paired samples differ in size: {x.shape} vs {ref.shape}")
    diff = x - ref
    mean = float(diff.mean())
    if diff.size < 2 or np.ptp(diff) == 0:  # no spread: BCa is undefined, the mean is exact
        return Interval(mean, mean, mean) if diff.size else Interval(np.nan, -np.inf, np.inf)
    result = _scipy_stats().bootstrap(
        (diff,),
        np.mean,
        n_resamples=resamples,
        confidence_level=level,
        method="BCa",
        batch=200,  # bounds memory: 200 resamples of n runs at a time
        rng=np.random.default_rng(seed),
    )
    ci = result.confidence_interval
    return Interval(mean, float(ci.low), float(ci.high))


# --- survival ----------------------------------------------------------------------------------
def kaplan_meier(time: np.ndarray, event: np.ndarray, level: float = LEVEL) -> pd.DataFrame:
    """Kaplan-Meier survival S(t) = P(T > t) with its pointwise log-log band.

    The curve and band are ``scipy.stats.ecdf`` on right-censored data and
    ``sf.confidence_interval(method="log-log")`` (Greenwood variance on log(-log S),
    Kalbfleisch and Prentice 2002), computed as scipy computes them (``product_limit``). Where
    that band is undefined (S = 0, or every run at risk had the event) it collapses onto S.

    Args:
        time: time to the event or to censoring, per run.
        event: True where the event was observed, False where censored.
        level: the confidence level of the pointwise band.

    Returns:
        One row per distinct event time: month, at_risk, events, survival, lower, upper.
        With no censoring before the last time, 1 - survival is the empirical CDF.
    """
    return pd.DataFrame(kaplan_meier_columns(time, event, level))


def kaplan_meier_columns(
    time: np.ndarray, event: np.ndarray, level: float = LEVEL
) -> dict[str, np.ndarray]:
    """`kaplan_meier`'s columns as arrays, for callers that put many curves in one table."""
    time = np.asarray(time)
    event = np.asarray(event, dtype=bool)
    distinct, at_risk, deaths = risk_table(time, event)
    hit = deaths > 0  # the event times
    survival = lower = upper = np.ones(0)
    if hit.any():
        curve, low, high = _product_limit(at_risk, deaths, bool(event.all()), time.size, level)
        survival = curve[hit]
        lower = np.nan_to_num(low[hit], nan=survival)
        upper = np.nan_to_num(high[hit], nan=survival)
    return {
        "month": distinct[hit].astype(np.int64),
        "at_risk": at_risk[hit],
        "events": deaths[hit],
        "survival": survival,
        "lower": lower,
        "upper": upper,
    }


def risk_table(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct time (event or censoring), the runs at risk just before it and the events
    at it, as integers.

    Times that are small non-negative integers (months: a sweep's curves) are counted with
    one bincount instead of sorting the runs; the counts are the same integers either way.
    """
    time, event = np.asarray(time), np.asarray(event, dtype=bool)
    months = time.dtype.kind in "iu" and np.can_cast(time.dtype, np.intp)
    if months and time.size and time.min() >= 0 and time.max() <= 4 * time.size:
        every = np.bincount(time)
        distinct = np.flatnonzero(every)
        before = np.cumsum(every) - every  # runs with a smaller time
        deaths = np.bincount(time[event], minlength=every.size)[distinct]
        return distinct.astype(time.dtype), time.size - before[distinct], deaths
    distinct = np.unique(time)
    at_risk = time.size - np.searchsorted(np.sort(time), distinct, side="left")
    deaths = np.bincount(np.searchsorted(distinct, time[event]), minlength=distinct.size)
    return distinct, at_risk, deaths


def product_limit(
    time: np.ndarray, event: np.ndarray, level: float = LEVEL
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Kaplan-Meier curve and its log-log band at every distinct time, event or censoring.

    The operations of ``scipy.stats.ecdf`` (``_ecdf_right_censored``, or ``_ecdf_uncensored``
    when no run is censored) and of its ``confidence_interval(method="log-log")``, in the
    same order, so the same bits
    (tests/test_statistics.py holds them against scipy's): importing scipy.stats costs a
    sweep's parent about a CPU second, taken from the workers while they simulate.

    Returns:
        The distinct times, S at each, and the band's lower and upper bound (clipped to
        [0, 1]; NaN where the band is undefined).
    """
    time, event = np.asarray(time), np.asarray(event, dtype=bool)
    distinct, at_risk, deaths = risk_table(time, event)
    return distinct, *_product_limit(at_risk, deaths, bool(event.all()), time.size, level)


def _product_limit(
    at_risk: np.ndarray, deaths: np.ndarray, uncensored: bool, runs: int, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S, and the band's lower and upper bound, from the risk table (see `product_limit`)."""
    if uncensored:  # scipy's uncensored branch: the empirical CDF's complement
        survival = 1 - np.cumsum(deaths) / runs
    else:
        survival = np.cumprod((at_risk - deaths) / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = 1 / np.log(survival) ** 2 * np.cumsum(deaths / (at_risk * (at_risk - deaths)))
        log_log = np.log(-np.log(survival))
    z_se = z_value(level) * np.sqrt(var)
    lower = np.clip(np.exp(-np.exp(log_log + z_se)), 0, 1)
    upper = np.clip(np.exp(-np.exp(log_log - z_se)), 0, 1)
    return survival, lower, upper


# --- thresholds --------------------------------------------------------------------------------
def crossing(x: np.ndarray, p: np.ndarray, level: float) -> np.ndarray:
    """Where each row of p (a curve over sorted x) first crosses `level`, by interpolation.

    Args:
        x: sorted factor values, shape (n,).
        p: probabilities, shape (n,) or (B, n) (e.g. B bootstrap curves).
        level: the probability to cross.

    Returns:
        The crossing value per row, NaN where the curve never reaches the level.
    """
    p = np.atleast_2d(np.asarray(p, dtype=float))
    d = p - level
    sign = np.sign(d)
    hit = np.zeros_like(d, dtype=bool)
    hit[:, 0] = d[:, 0] == 0
    hit[:, 1:] = (d[:, 1:] == 0) | ((sign[:, 1:] != sign[:, :-1]) & (sign[:, :-1] != 0))
    found = hit.any(axis=1)
    i = np.argmax(hit, axis=1)
    prev = np.maximum(i - 1, 0)
    rows = np.arange(p.shape[0])
    d0, d1 = d[rows, prev], d[rows, i]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(d1 == d0, 0.0, -d0 / (d1 - d0))
    value = np.where(i == 0, x[0], x[prev] + frac * (x[i] - x[prev]))
    return np.where(found, value, np.nan)


def crossing_interval(
    x: np.ndarray,
    runs: np.ndarray,
    p: np.ndarray,
    level: float,
    resamples: int,
    rng: np.random.Generator,
    confidence: float = LEVEL,
) -> tuple[float, float, float]:
    """Percentile interval of the crossing point by a parametric bootstrap of the curve.

    For one rung and month a run's outcome is 0/1, so resampling the runs of a point with n
    runs and observed share p gives a hit count ~ Binomial(n, p): the bootstrap draws those
    counts directly (exact and vectorised), recomputes every curve's crossing, and takes the
    percentiles of the curves that cross. ``scipy.stats.bootstrap`` would resample the same
    runs one by one, to the same effect, far more slowly.

    Args:
        x: sorted factor values, shape (n,).
        runs: runs per point, shape (n,).
        p: observed probabilities, shape (n,).
        level: the probability to cross.
        resamples: bootstrap curves.
        rng: the random generator (results are reproducible from its seed).
        confidence: the interval's level.

    Returns:
        (lower, upper, crossing share): NaN bounds if no resampled curve crosses.
    """
    resampled = rng.binomial(runs, p, size=(resamples, len(p))) / runs
    values = crossing(x, resampled, level)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return np.nan, np.nan, 0.0
    tail = (1 - confidence) / 2
    lower, upper = np.quantile(finite, [tail, 1 - tail])
    return float(lower), float(upper), finite.size / resamples


def true_run_around(inside: np.ndarray, at: int) -> tuple[int, int]:
    """First and last index of the run of True in `inside` that holds index `at` ((at, at)
    when `inside[at]` is False): the connected part of an inverted band around a crossing."""
    if not inside[at]:
        return at, at
    falses = np.flatnonzero(~inside)
    below, above = falses[falses < at], falses[falses > at]
    first = below[-1] + 1 if below.size else 0
    last = above[0] - 1 if above.size else inside.size - 1
    return int(first), int(last)


#: Points of the grid on which a band is inverted: its ends are found to 1/2000 of the range.
BAND_GRID = 2001


class BandInterval(NamedTuple):
    """Where a level lies inside a band: lower and upper (NaN: open, past that end of the
    range), and a note saying which end is open, or that the band excludes the level."""

    lower: float
    upper: float
    note: str


def band_interval(
    x: np.ndarray, low: np.ndarray, high: np.ndarray, level: float, at: float
) -> BandInterval:
    """The x at which `level` lies inside a pointwise band [low, high] over sorted x (linear
    between the points): the connected stretch around `at` (a crossing of the curve inside
    the band; NaN: every x where the band holds the level). This inverts the band, as a
    crossing's interval is read off the curve's pointwise band (the Fieller construction
    ``sim.studies.threshold`` uses); computed on a grid of BAND_GRID points and `at`.
    """
    grid = np.linspace(float(x[0]), float(x[-1]), BAND_GRID)
    if np.isfinite(at):  # the crossing itself is inside even a band of zero width
        grid = np.unique(np.r_[grid, at])
    slack = 1e-12  # interpolation's rounding at the crossing
    low_at, high_at = np.interp(grid, x, low), np.interp(grid, x, high)
    inside = (low_at <= level + slack) & (level - slack <= high_at)
    if not inside.any():
        return BandInterval(np.nan, np.nan, f"the band excludes {level:g} over the whole range")
    where = np.flatnonzero(inside)
    first, last = int(where[0]), int(where[-1])
    if np.isfinite(at):
        first, last = true_run_around(inside, int(np.searchsorted(grid, at)))
    open_low, open_high = first == 0, last == grid.size - 1
    note = " and ".join(
        words for words, is_open in (("below", open_low), ("above", open_high)) if is_open
    )
    return BandInterval(
        np.nan if open_low else float(grid[first]),
        np.nan if open_high else float(grid[last]),
        f"open {note} the factor's range" if note else "",
    )
