"""Statistical and structural tests of the counter-based random streams (sim/model/rng.py).

The numbers are deterministic functions of the seeds, so every statistical test below is
deterministic too: a threshold either holds for these seeds or it does not, and it never flakes.
Tolerances are derived from the sample size (about four standard errors) or from a
significance level of 1e-3.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.model.rng import RunStreams, derive_seeds, stream_id

N = 100_000
ALPHA = 1e-3
SEEDS = np.arange(N)


def corr_tolerance(n: int) -> float:
    """Four standard errors of a sample correlation of n independent pairs."""
    return 4.0 / np.sqrt(n)


@pytest.fixture(scope="module")
def streams() -> RunStreams:
    return RunStreams(SEEDS)


@pytest.mark.parametrize(
    ("stream", "month", "draw"), [("climb", 0, 0), ("pretext", 37, 1), ("comply", 119, 0)]
)
def test_uniform_passes_kolmogorov_smirnov(streams, stream, month, draw):
    """Across runs, one (stream, month, draw) is U(0, 1) by a KS test on 1e5 numbers."""
    u = streams.uniform(stream, month, draw)
    assert u.shape == (N,)
    assert stats.kstest(u, "uniform").pvalue > ALPHA


def test_uniform_stays_in_half_open_unit_interval(streams):
    """Every number lies in [0, 1) and carries 53 random bits (no coarse grid)."""
    u = np.concatenate([streams.uniform("s", m) for m in range(5)])
    assert u.min() >= 0.0
    assert u.max() < 1.0
    assert np.unique(u).size == u.size


def test_uniform_passes_chi_square_on_bins(streams):
    """Counts in 100 equal bins match the uniform expectation (chi-square test)."""
    counts, _ = np.histogram(streams.uniform("pipeline_halt", 5), bins=100, range=(0.0, 1.0))
    assert stats.chisquare(counts).pvalue > ALPHA


def test_one_run_is_uniform_over_months():
    """For a single run, successive months of one stream are U(0, 1) and not autocorrelated."""
    rs = RunStreams(np.array([12345]))
    u = np.array([rs.uniform("climb", m)[0] for m in range(20_000)])
    assert stats.kstest(u, "uniform").pvalue > ALPHA
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < corr_tolerance(u.size)


def assert_independent(a: np.ndarray, b: np.ndarray) -> None:
    """Near-zero correlation, and a 10 x 10 contingency table consistent with independence."""
    assert abs(np.corrcoef(a, b)[0, 1]) < corr_tolerance(a.size)
    table, _, _ = np.histogram2d(a, b, bins=10, range=[[0, 1], [0, 1]])
    assert stats.chisquare(table.ravel()).pvalue > ALPHA


@pytest.mark.parametrize(
    ("first", "second"), [("pledge_china", "pledge_turkey"), ("climb", "step_down"), ("a", "b")]
)
def test_named_streams_are_independent(streams, first, second):
    """Two streams in the same month and draw give independent numbers."""
    assert_independent(streams.uniform(first, 4), streams.uniform(second, 4))


def test_months_are_independent(streams):
    """The same stream in consecutive months gives independent numbers."""
    assert_independent(streams.uniform("climb", 10), streams.uniform("climb", 11))


def test_draw_indices_are_independent(streams):
    """Draws 0 and 1 of one stream and month give independent numbers."""
    assert_independent(streams.uniform("halt", 3, 0), streams.uniform("halt", 3, 1))


def test_month_and_draw_do_not_alias(streams):
    """(month 1, draw 0) and (month 0, draw 1) are different, independent counters."""
    assert_independent(streams.uniform("halt", 1, 0), streams.uniform("halt", 0, 1))


def test_adjacent_seeds_are_independent(streams):
    """Runs with consecutive seeds 0, 1, 2, ... get independent numbers."""
    u = streams.uniform("climb", 0)
    assert_independent(u[:-1], u[1:])


def test_derived_adjacent_runs_are_independent():
    """Runs with consecutive run ids of one master seed get independent numbers."""
    u = RunStreams(derive_seeds(7, np.arange(N))).uniform("comply", 2)
    assert_independent(u[:-1], u[1:])


def test_streams_are_deterministic():
    """Two RunStreams built from the same seeds give bit-identical numbers."""
    a, b = RunStreams(SEEDS[:1000]), RunStreams(SEEDS[:1000])
    for month in (0, 1, 59):
        assert np.array_equal(a.uniform("x", month, 2), b.uniform("x", month, 2))
        assert np.array_equal(a.normal("y", month), b.normal("y", month))


def test_a_runs_numbers_do_not_depend_on_the_batch():
    """A seed's numbers are the same alone, first, last or in the middle of any batch."""
    seeds = np.array([3, 99, 12, 7, 2**62 + 5])
    batch = RunStreams(seeds)
    for i, seed in enumerate(seeds):
        alone = RunStreams(np.array([seed]))
        assert np.array_equal(alone.uniform("climb", 8), batch.uniform("climb", 8)[i : i + 1])
        assert np.array_equal(alone.normal("n", 8), batch.normal("n", 8)[i : i + 1])


def test_normal_has_mean_zero_and_unit_sd(streams):
    """normal() has mean 0 and sd 1 within four standard errors, and passes a KS test."""
    z = streams.normal("perceive_alignment", 6)
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < 4.0 / np.sqrt(N)
    assert abs(z.std() - 1.0) < 4.0 / np.sqrt(2 * N)
    assert stats.kstest(z, "norm").pvalue > ALPHA


@pytest.mark.parametrize("probability", [0.001, 0.05, 0.3, 0.5, 0.9])
def test_chance_frequency_matches_probability(streams, probability):
    """chance(p) is True in a share p of runs, within four binomial standard errors."""
    hits = streams.chance("pipeline_halt", 9, probability)
    assert hits.dtype == bool
    tolerance = 4.0 * np.sqrt(probability * (1 - probability) / N)
    assert abs(hits.mean() - probability) < tolerance


def test_chance_accepts_per_run_probabilities(streams):
    """With a probability per run, each group of runs hits at its own rate; 0 and 1 are sure."""
    probability = np.repeat([0.0, 0.2, 0.7, 1.0], N // 4)
    hits = streams.chance("comply", 1, probability).reshape(4, -1)
    assert not hits[0].any()
    assert hits[3].all()
    n = N // 4
    for row, p in zip(hits[1:3], (0.2, 0.7), strict=True):
        assert abs(row.mean() - p) < 4.0 * np.sqrt(p * (1 - p) / n)


def test_derive_seeds_are_distinct_and_valid():
    """derive_seeds gives distinct, non-negative int64 seeds for 1e5 runs."""
    seeds = derive_seeds(2022, np.arange(N))
    assert seeds.dtype == np.int64
    assert seeds.min() >= 0
    assert np.unique(seeds).size == N


def test_derive_seeds_depend_only_on_master_and_run_id():
    """A run's seed is the same whichever chunk derives it, and changes with the master seed."""
    full = derive_seeds(11, np.arange(1000))
    assert np.array_equal(derive_seeds(11, np.array([500])), full[500:501])
    assert np.array_equal(derive_seeds(11, np.arange(250, 750)), full[250:750])
    assert np.array_equal(derive_seeds(11, np.arange(1000)[::-1]), full[::-1])
    other = derive_seeds(12, np.arange(1000))
    assert not np.any(other == full)
    assert np.intersect1d(other, full).size == 0


def test_stream_ids_are_distinct_and_stable():
    """Stream ids are 64-bit, distinct for distinct names, and equal for equal names."""
    names = ["climb", "step_down", "pledge_china", "pledge_turkey", "pledge_eu", "comply"]
    ids = [stream_id(n) for n in names]
    assert len(set(ids)) == len(ids)
    assert all(0 <= i < 2**64 for i in ids)
    assert stream_id("climb") == ids[0]


def test_run_streams_reject_bad_seeds():
    """Negative seeds and 2-D seed arrays are refused."""
    with pytest.raises(ValueError):
        RunStreams(np.array([1, -1]))
    with pytest.raises(ValueError):
        RunStreams(np.zeros((2, 2), dtype=int))
