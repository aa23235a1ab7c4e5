"""The shared estimators (sim.analysis.stats): known values, statsmodels cross-checks and coverage.

Coverage tests draw data with a known truth and count how often the 95% interval covers it.
Where the sampling distribution can be enumerated (Wilson, unpaired Newcombe) the coverage is
computed exactly; elsewhere it is simulated with a fixed seed, so every test is deterministic.
The tolerances are stated next to each test and in docs/statistics.md. About 10 s of CPU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from sim.analysis import stats
from sim.analysis.probabilities import reached_by
from sim.commands.compare import PAIRED, comparison_table
from sim.studies import validation as V

Z = stats.z_value()
EPS = 1e-12  # rounding slack when checking that an interval covers the truth


def _covers(lower: np.ndarray, upper: np.ndarray, truth: float | np.ndarray) -> np.ndarray:
    return (lower <= truth + EPS) & (truth <= upper + EPS)


# --- compare and validate: one interval ---------------------------------------------------------
def _summary(seeds: np.ndarray, first: np.ndarray) -> pd.DataFrame:
    month = pd.array(np.where(np.isnan(first), pd.NA, first), dtype="Int64")
    return pd.DataFrame({"run_id": np.arange(seeds.size), "seed": seeds, "month_rung_4": month})


def test_compare_and_validate_give_identical_paired_intervals() -> None:
    # Two scenarios on common random numbers: run i shares its draw u_i, so outcomes agree.
    rng = np.random.default_rng(5)
    runs, seeds = 2000, np.arange(2000) + 100
    u = rng.random(runs)
    ref = np.where(u < 0.20, np.floor(u * 500), np.nan)
    scenario = np.where(u < 0.25, np.floor(u * 400), np.nan)
    summaries = {"baseline": _summary(seeds, ref), "scenario": _summary(seeds, scenario)}
    table = comparison_table(summaries, rungs=[4], months=[60, 120])
    for month in (60, 120):
        row = table[(table["scenario"] == "scenario") & (table["month"] == month)].iloc[0]
        assert row["method"] == PAIRED
        est = V.paired_proportion_difference(
            reached_by(summaries["scenario"], 4, month), reached_by(summaries["baseline"], 4, month)
        )
        # Identical, not close: both commands call sim.analysis.stats.paired_proportion_difference.
        assert (row["difference"], row["diff_lower"], row["diff_upper"]) == (
            est.value,
            est.lower,
            est.upper,
        )


# --- known values and cross-checks ---------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 5, 20, 137, 1000, 10_000])
def test_wilson_equals_scipy_and_statsmodels(n: int) -> None:
    hits = np.unique(np.linspace(0, n, 12).round().astype(int))
    lower, upper = stats.wilson_interval(hits, n)
    sm_lower, sm_upper = proportion_confint(hits, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lower, sm_lower, atol=1e-12)
    np.testing.assert_allclose(upper, sm_upper, atol=1e-12)
    for k, lo, hi in zip(hits, lower, upper, strict=True):
        ci = scipy_stats.binomtest(int(k), n).proportion_ci(method="wilson")
        assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_z_value_is_scipys_normal_quantile_bit_for_bit() -> None:
    """z_value avoids importing scipy.stats; every interval must stay the same to the bit."""
    for level in [*np.linspace(0.001, 0.999, 999), 0.5, 0.8, 0.9, 0.95, 0.99, 0.999]:
        assert stats.z_value(level) == float(scipy_stats.norm.ppf(0.5 + level / 2)), level


def test_wilson_at_zero_and_all_events() -> None:
    lower, upper = stats.wilson_interval(np.array([0, 50]), np.array([50, 50]))
    assert lower[0] == 0.0 and upper[0] == pytest.approx(Z**2 / (50 + Z**2))
    assert upper[1] == 1.0 and lower[1] == pytest.approx(50 / (50 + Z**2))


@pytest.mark.parametrize(("n1", "n2"), [(5, 7), (20, 20), (70, 80), (1000, 900)])
def test_unpaired_newcombe_equals_statsmodels(n1: int, n2: int) -> None:
    for h1 in np.unique(np.linspace(0, n1, 6).round().astype(int)):
        for h2 in np.unique(np.linspace(0, n2, 6).round().astype(int)):
            _, lower, upper = stats.newcombe_difference(h1, n1, h2, n2)
            expected = confint_proportions_2indep(h1, n1, h2, n2, method="newcomb", compare="diff")
            assert (float(lower), float(upper)) == pytest.approx(expected, abs=1e-12)


def test_newcombe_phi_applies_the_continuity_correction() -> None:
    # (a, b, c, d) = (12, 9, 2, 21): ad - bc = 234 > n/2 = 22, so phi uses 234 - 22 = 212.
    margins = np.sqrt(21.0 * 23 * 14 * 30)
    assert stats.newcombe_phi(12, 9, 2, 21) == pytest.approx(212 / margins)
    # 0 < ad - bc <= n/2: the correlation is too weak to count and phi is 0.
    assert stats.newcombe_phi(1, 10, 10, 101) == 0.0  # ad - bc = 1
    # A negative correlation is kept uncorrected; an empty margin gives 0.
    assert stats.newcombe_phi(2, 20, 20, 2) == pytest.approx((4 - 400) / np.sqrt(22.0**4))
    assert stats.newcombe_phi(0, 0, 5, 5) == 0.0


def test_paired_difference_edge_cases() -> None:
    none = np.zeros(30, dtype=bool)
    diff, lower, upper = stats.paired_proportion_difference(none, none)
    assert diff == 0.0 and lower < 0 < upper  # no events in either: wide, centred on 0
    every = np.ones(3, dtype=bool)
    diff, lower, upper = stats.paired_proportion_difference(every, ~every)
    assert diff == 1.0 and 0 < lower < 1 and upper == 1.0  # a tiny group: all against none
    with pytest.raises(ValueError, match="differ in size"):
        stats.paired_proportion_difference(none, every)


def test_t_interval_equals_statsmodels() -> None:
    values = np.random.default_rng(2).exponential(3.0, 25)
    mean, lower, upper = stats.mean_interval(values)
    assert (lower, upper) == pytest.approx(DescrStatsW(values).tconfint_mean(0.05), abs=1e-12)
    assert mean == pytest.approx(values.mean())


def test_mean_interval_edge_cases() -> None:
    assert stats.mean_interval(np.array([4.0])) == (4.0, -np.inf, np.inf)
    assert stats.mean_interval(np.full(10, 2.5)) == (2.5, 2.5, 2.5)


def test_bootstrap_of_differences_equals_scipys_paired_bootstrap() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.exponential(2.0, 300), rng.exponential(1.5, 300)
    _, lower, upper = stats.bootstrap_mean_difference(x, y, seed=9, resamples=999)
    paired = scipy_stats.bootstrap(
        (x, y),
        lambda a, b, axis: np.mean(a - b, axis=axis),
        paired=True,
        n_resamples=999,
        rng=np.random.default_rng(9),
    ).confidence_interval
    assert (lower, upper) == pytest.approx((paired.low, paired.high), abs=1e-12)
    assert stats.bootstrap_mean_difference(x, x, seed=1) == (0.0, 0.0, 0.0)


def test_kaplan_meier_equals_statsmodels() -> None:
    rng = np.random.default_rng(6)
    event_time, censor = rng.geometric(0.03, 400), rng.integers(1, 90, 400)
    time, event = np.minimum(event_time, censor), event_time <= censor
    curve = stats.kaplan_meier(time, event)
    ref = SurvfuncRight(time, event.astype(int))
    np.testing.assert_array_equal(curve["month"], ref.surv_times)
    np.testing.assert_array_equal(curve["at_risk"], ref.n_risk)
    np.testing.assert_array_equal(curve["events"], ref.n_events)
    np.testing.assert_allclose(curve["survival"], ref.surv_prob, rtol=1e-12)
    # The log-log band from statsmodels' Greenwood standard error (Kalbfleisch-Prentice).
    s, se = ref.surv_prob, ref.surv_prob_se
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = Z * se / (s * np.abs(np.log(s)))
    defined = np.isfinite(spread) & (s > 0)
    np.testing.assert_allclose(curve["lower"][defined], (s ** np.exp(spread))[defined], rtol=1e-9)
    np.testing.assert_allclose(curve["upper"][defined], (s ** np.exp(-spread))[defined], rtol=1e-9)


def _scipy_kaplan_meier(time: np.ndarray, event: np.ndarray, level: float) -> np.ndarray:
    """scipy.stats.ecdf's curve and log-log band at the event times, as the analysis read
    them before it computed them itself (survival, lower, upper; NaN bounds onto S)."""
    import warnings

    times = np.unique(time[event])
    curve = scipy_stats.ecdf(scipy_stats.CensoredData.right_censored(time, ~event)).sf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        band = curve.confidence_interval(level, method="log-log")
    survival = curve.evaluate(times)
    lower = np.nan_to_num(band.low.evaluate(times), nan=survival)
    upper = np.nan_to_num(band.high.evaluate(times), nan=survival)
    return np.stack([survival, lower, upper])


def _survival_samples() -> list[tuple[np.ndarray, np.ndarray]]:
    """Censoring at the horizon only (a sweep's), anywhere, ties of events with censorings,
    a curve that reaches 0, one run, and every run censored but one."""
    rng = np.random.default_rng(11)
    samples = []
    for n, p in [(1, 0.5), (7, 0.3), (400, 0.03), (5000, 0.01), (20000, 0.002)]:
        first = rng.geometric(p, n)
        samples.append((np.minimum(first, 120), first <= 120))  # a sweep's curve
        censor = rng.integers(1, 90, n)
        samples.append((np.minimum(first, censor), first <= censor))
    samples.append((np.array([2, 2, 2, 5, 5, 9]), np.array([1, 1, 0, 1, 0, 1], dtype=bool)))
    samples.append((np.array([4, 4, 4]), np.ones(3, dtype=bool)))
    samples.append((np.arange(1, 51), np.arange(1, 51) == 50))
    return samples


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_kaplan_meier_is_scipys_ecdf_bit_for_bit(level: float) -> None:
    """The curve and band are scipy.stats.ecdf's, the same bits (NaN where scipy's is)."""
    samples = _survival_samples()
    # Months are counted with a bincount, other times by sorting: both give scipy's bits.
    for time, event in samples + [(time + 0.5, event) for time, event in samples]:
        curve = stats.kaplan_meier(time, event, level=level)
        ours = curve[["survival", "lower", "upper"]].to_numpy().T
        np.testing.assert_array_equal(ours, _scipy_kaplan_meier(time, event, level))
        distinct, survival, lower, upper = stats.product_limit(time, event, level)
        sf = scipy_stats.ecdf(scipy_stats.CensoredData.right_censored(time, ~event)).sf
        np.testing.assert_array_equal(distinct, sf.quantiles)
        np.testing.assert_array_equal(survival, sf.probabilities)


def test_the_risk_table_counts_months_as_it_counts_any_time() -> None:
    for time, event in _survival_samples():
        by_month = stats.risk_table(time, event)
        by_sorting = stats.risk_table(time.astype(float), event)
        for counted, sorted_ in zip(by_month, by_sorting, strict=True):
            np.testing.assert_array_equal(counted, sorted_)
        assert [a.dtype for a in by_month[1:]] == [b.dtype for b in by_sorting[1:]]


def test_kaplan_meier_edge_cases() -> None:
    assert stats.kaplan_meier(np.array([60, 60]), np.array([False, False])).empty
    curve = stats.kaplan_meier(np.array([3, 3, 3]), np.ones(3, dtype=bool))  # all at once
    assert curve[["survival", "lower", "upper"]].iloc[0].tolist() == [0.0, 0.0, 0.0]


# --- coverage ------------------------------------------------------------------------------------
def _wilson_coverage(n: int, p: np.ndarray) -> np.ndarray:
    """Exact coverage at each p: the binomial probability of the counts whose interval covers p."""
    hits = np.arange(n + 1)
    lower, upper = stats.wilson_interval(hits, n)
    pmf = scipy_stats.binom.pmf(hits[None, :], n, p[:, None])
    return (pmf * _covers(lower[None, :], upper[None, :], p[:, None])).sum(axis=1)


@pytest.mark.parametrize(
    ("n", "worst_inside"),
    # Wilson oscillates with p; its known dips (Brown, Cai and DasGupta 2001) are deepest at
    # small n. worst_inside bounds the coverage for p in [0.05, 0.95].
    [(5, 0.89), (20, 0.92), (100, 0.925), (1000, 0.94), (10_000, 0.945)],
)
def test_wilson_coverage(n: int, worst_inside: float) -> None:
    p = np.linspace(0.0, 1.0, 201)
    coverage = _wilson_coverage(n, p)
    inside = (p >= 0.05) & (p <= 0.95)
    assert abs(coverage[inside].mean() - 0.95) < 0.01  # nominal on average
    assert coverage[inside].min() >= worst_inside
    assert coverage[0] == pytest.approx(1.0) and coverage[-1] == pytest.approx(1.0)
    assert coverage.min() >= 0.83  # rare events in tiny groups: the dip near 0 and 1


@pytest.mark.parametrize(("n", "worst"), [(5, 0.91), (20, 0.92), (200, 0.94)])
def test_unpaired_newcombe_coverage(n: int, worst: float) -> None:
    hits = np.arange(n + 1)
    _, lower, upper = stats.newcombe_difference(hits[:, None], n, hits[None, :], n)
    coverage = []
    for p1 in np.linspace(0.0, 1.0, 11):
        for p2 in np.linspace(0.0, 1.0, 11):
            weight = np.outer(
                scipy_stats.binom.pmf(hits, n, p1), scipy_stats.binom.pmf(hits, n, p2)
            )
            coverage.append((weight * _covers(lower, upper, p1 - p2)).sum())
    coverage = np.array(coverage)
    assert abs(coverage.mean() - 0.95) < 0.015
    assert coverage.min() >= worst


# Cell probabilities (both, scenario only, reference only, neither) of paired 0/1 outcomes.
PAIRED_CASES = {
    "common random numbers": (0.20, 0.03, 0.01, 0.76),
    "rare events": (0.01, 0.005, 0.001, 0.984),
    "no difference": (0.30, 0.02, 0.02, 0.66),
    "weak correlation": (0.40, 0.10, 0.05, 0.45),
    "negative correlation": (0.05, 0.30, 0.30, 0.35),
    "no events": (0.0, 0.0, 0.0, 1.0),
    "all events": (1.0, 0.0, 0.0, 0.0),
}


@pytest.mark.parametrize("n", [20, 200, 1000, 10_000])
@pytest.mark.parametrize("case", list(PAIRED_CASES))
def test_paired_newcombe_coverage(case: str, n: int) -> None:
    # Method 10 is conservative when few runs differ (n * (b + c) small) and near nominal
    # otherwise; it should never fall clearly below 95%. 20,000 tables: SE of coverage 0.0015.
    cells = np.array(PAIRED_CASES[case])
    truth = cells[1] - cells[2]
    rng = np.random.default_rng(n)
    a, b, c, d = rng.multinomial(n, cells, size=20_000).T
    _, lower, upper = stats.newcombe_difference(a + b, n, a + c, n, stats.newcombe_phi(a, b, c, d))
    coverage = _covers(lower, upper, truth).mean()
    assert coverage >= 0.935
    if n * min(cells[1] + cells[2], 1 - cells[1] - cells[2]) >= 50:  # enough discordant runs
        assert coverage <= 0.965


@pytest.mark.parametrize(
    ("name", "n", "low"),
    # Exact for normal values at any n; for skewed values the CLT needs a few dozen runs.
    [("normal", 5, 0.93), ("exponential", 30, 0.91), ("rare 0/1", 1000, 0.93)],
)
def test_t_interval_coverage(name: str, n: int, low: float) -> None:
    rng = np.random.default_rng(11)
    draw, truth = {
        "normal": (lambda: rng.normal(1.0, 2.0, n), 1.0),
        "exponential": (lambda: rng.exponential(1.0, n), 1.0),
        "rare 0/1": (lambda: (rng.random(n) < 0.05).astype(float), 0.05),
    }[name]
    hits = sum(bool(_covers(*stats.mean_interval(draw())[1:], truth)) for _ in range(1000))
    assert low <= hits / 1000 <= 0.97  # 1,000 samples: SE of coverage 0.007


def test_paired_bootstrap_coverage() -> None:
    # Paired restricted times: most pairs equal (difference 0), the rest a skewed shift; the
    # true mean difference is 0.3 * (10 - 3) = 2.1. 300 samples: SE of coverage 0.013.
    rng = np.random.default_rng(12)
    hits = 0
    for i in range(300):
        ref = rng.integers(0, 120, 300).astype(float)
        shift = np.where(rng.random(300) < 0.7, 0.0, rng.exponential(10.0, 300) - 3.0)
        _, lower, upper = stats.bootstrap_mean_difference(ref + shift, ref, seed=i, resamples=999)
        hits += bool(_covers(lower, upper, 2.1))
    assert 0.91 <= hits / 300 <= 0.985


@pytest.mark.parametrize("n", [30, 300])
def test_kaplan_meier_band_coverage(n: int) -> None:
    # Monthly hazard 0.02, so S(t) = 0.98 ** t; runs drop out uniformly and stop at month 60.
    rng = np.random.default_rng(13)
    months = np.array([6, 24, 48])
    truth = 0.98**months
    hits = np.zeros(months.size)
    for _ in range(300):
        event_time, censor = rng.geometric(0.02, n), np.minimum(rng.integers(1, 200, n), 60)
        curve = stats.kaplan_meier(np.minimum(event_time, censor), event_time <= censor)
        row = np.searchsorted(curve["month"].to_numpy(), months, side="right") - 1
        at = np.maximum(row, 0)
        lower = np.where(row >= 0, curve["lower"].to_numpy()[at], 1.0)
        upper = np.where(row >= 0, curve["upper"].to_numpy()[at], 1.0)
        hits += _covers(lower, upper, truth)
    # 300 samples: SE 0.013. Early months with few events in 30 runs are the hardest.
    assert ((hits / 300 >= 0.90) & (hits / 300 <= 0.99)).all()


@pytest.mark.parametrize(("runs", "low"), [(10, 0.83), (50, 0.90), (200, 0.92)])
def test_threshold_interval_coverage(runs: int, low: float) -> None:
    # A linear curve over six points crosses 0.5 at x = 0.5. The percentile bootstrap
    # under-covers with few runs per point (the crossing is a ratio of noisy differences).
    rng = np.random.default_rng(14)
    x = np.linspace(0.0, 1.0, 6)
    p = 0.5 + 0.4 * (x - 0.5)
    hits = 0
    for _ in range(400):
        observed = rng.binomial(runs, p) / runs
        lower, upper, _ = stats.crossing_interval(x, np.full(6, runs), observed, 0.5, 200, rng)
        hits += bool(_covers(lower, upper, 0.5))
    assert low <= hits / 400 <= 0.99  # 400 samples: SE 0.011
