"""Escalation probabilities with confidence intervals, from run summaries.

Every function takes the summary table (one row per run, the columns of
``EscalationModel.summary``) and returns a tidy DataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.ladder import TOP_RUNG


def wilson_interval(
    hits: np.ndarray | int,
    n: np.ndarray | int,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (well behaved near 0 and 1)."""
    hits = np.asarray(hits, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def reached_by(summary: pd.DataFrame, rung: int, month: int) -> np.ndarray:
    """Whether each run reached `rung` or higher by the end of month index `month - 1`.

    "By month T" counts the first T simulated months (0 .. T-1).
    """
    first = summary[f"month_rung_{rung}"]
    return (first.notna() & (first < month)).to_numpy(dtype=bool)


def rung_probabilities(
    summary: pd.DataFrame,
    months: Sequence[int],
    rungs: Sequence[int] = tuple(range(1, TOP_RUNG + 1)),
    by: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """P(rung k or higher by month T) per group, with Wilson intervals.

    Returns columns: *by, rung, month, runs, hits, probability, lower, upper.
    """
    groups = summary.groupby(list(by), observed=True, sort=True) if by else [((), summary)]
    rows = []
    for key, frame in groups:
        key = key if isinstance(key, tuple) else (key,)
        for rung in rungs:
            for month in months:
                hits = int(reached_by(frame, rung, month).sum())
                rows.append((*key, rung, month, len(frame), hits))
    table = pd.DataFrame(rows, columns=[*by, "rung", "month", "runs", "hits"])
    table["probability"] = table["hits"] / table["runs"]
    table["lower"], table["upper"] = wilson_interval(table["hits"], table["runs"], level)
    return table
