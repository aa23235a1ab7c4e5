"""Two 2-factor threshold studies' level lines, compared along the range they share.

A 2-factor study's threshold.parquet gives, at each value x of the first factor (101 values
across its range), the second factor's crossing c(x) and its interval [lower(x), upper(x)]
(NaN where the line leaves the range). Two studies of the same two factors are compared at the
first study's values of x where both lines exist: the other study's crossing and interval are
interpolated linearly there (its own grid is as fine, so this moves them by a hair).

The difference d(x) = c_k(x) - c_1(x) gets the interval of two independent estimates, each
side from the two half-widths on that side: d - sqrt(h1_up^2 + hk_low^2) ... d +
sqrt(h1_low^2 + hk_up^2). Studies run with the same seed share their replicates (common
random numbers), which makes their crossings positively correlated and this interval
conservative (wider than it needs to be); it is never too narrow on that account.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def line_of(table: pd.DataFrame, first: str) -> pd.DataFrame:
    """The rows of a 2-factor threshold table where the level line exists, sorted by x."""
    rows = table.dropna(subset=["crossing", "lower", "upper"])
    return rows[[first, "crossing", "lower", "upper"]].sort_values(first, kind="stable")


def differences(
    reference: pd.DataFrame, other: pd.DataFrame, first: str, confidence: float
) -> pd.DataFrame:
    """d(x) = other's crossing - reference's, with its interval, where both lines exist."""
    a, b = line_of(reference, first), line_of(other, first)
    if a.empty or b.empty:
        return pd.DataFrame(
            columns=[first, "crossing_reference", "crossing_other", "difference", "lower", "upper"]
        )
    x = a[first].to_numpy()
    shared = _inside(x, b[first].to_numpy(), np.diff(np.sort(other[first].to_numpy())).max())
    x = x[shared]
    at = {c: np.interp(x, b[first], b[c]) for c in ("crossing", "lower", "upper")}
    mine = a[shared]
    d = at["crossing"] - mine["crossing"].to_numpy()
    ref_low = mine["crossing"].to_numpy() - mine["lower"].to_numpy()
    ref_up = mine["upper"].to_numpy() - mine["crossing"].to_numpy()
    other_low, other_up = at["crossing"] - at["lower"], at["upper"] - at["crossing"]
    return pd.DataFrame(
        {
            first: x,
            "crossing_reference": mine["crossing"].to_numpy(),
            "crossing_other": at["crossing"],
            "difference": d,
            "lower": d - np.hypot(ref_up, other_low),
            "upper": d + np.hypot(ref_low, other_up),
            "confidence": confidence,
        }
    )


def _inside(x: np.ndarray, known: np.ndarray, step: float) -> np.ndarray:
    """x within the other line, between two of its grid rows that are neighbours (no
    interpolation across a stretch where that line leaves the range)."""
    right = np.clip(np.searchsorted(known, x), 1, len(known) - 1)
    if len(known) == 1:
        return np.isclose(x, known[0])
    gap = known[right] - known[right - 1]
    return (x >= known[0]) & (x <= known[-1]) & (gap <= 1.5 * step)
