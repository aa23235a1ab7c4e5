"""Escalation probabilities with confidence intervals, from run summaries.

Every function takes the summary table (one row per run, the columns of
``EscalationModel.summary``) and returns a tidy DataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.stats import (
    band_interval,
    crossing,
    crossing_interval,
    kaplan_meier_columns,
    wilson_interval,
)
from sim.model.ladder import TOP_RUNG


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
    # The groups are found once; each (rung, month) is then one bincount over them, not one
    # Python step per group (a Sobol sweep has thousands of design points) nor a groupby.
    keys, code = group_codes(summary, by)
    counted = code >= 0
    runs = np.bincount(code[counted], minlength=len(keys))
    cells = [(k, t) for k in rungs for t in months]
    hits = np.array(
        [
            np.bincount(code[counted & reached_by(summary, rung, month)], minlength=len(keys))
            for rung, month in cells
        ]
    ).reshape(len(cells), len(keys))
    groups = pd.DataFrame(keys, columns=list(by))
    if by:  # the groups' key columns keep the summary's types
        groups = groups.astype({c: summary[c].dtype for c in by})
    table = groups.loc[np.repeat(np.arange(len(keys)), len(cells))].reset_index(drop=True)
    table["rung"] = np.tile([k for k, _ in cells], len(keys))
    table["month"] = np.tile([t for _, t in cells], len(keys))
    table["runs"] = np.repeat(runs, len(cells)).astype(np.int64)
    table["hits"] = hits.T.reshape(-1).astype(np.int64)
    table["probability"] = table["hits"] / table["runs"]
    table["lower"], table["upper"] = wilson_interval(table["hits"], table["runs"], level)
    return table


# --- time to escalation: Kaplan-Meier ----------------------------------------------------------
def time_to_rung(summary: pd.DataFrame, rung: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Months until each run first reached `rung` or higher, and whether it did.

    A run that reached the rung in month index m has time m + 1 (it happened within the first
    m + 1 months, matching ``reached_by``); a run that never did is censored at the horizon.
    """
    first = summary[f"month_rung_{rung}"]
    event = first.notna().to_numpy(dtype=bool)
    time = np.where(event, first.fillna(-1).to_numpy(dtype=np.int64) + 1, horizon)
    return time, event


def time_to_escalation(
    summary: pd.DataFrame,
    horizon: int,
    rungs: Sequence[int] = (2, 3, 4, 5),
    by: Sequence[str] = ("design_point",),
    level: float = 0.95,
) -> pd.DataFrame:
    """Kaplan-Meier curves of the time to each rung, per group, in one tidy table.

    Columns: *by, rung, runs, month, at_risk, events, survival, lower, upper, and the
    cumulative probability of having reached the rung (1 - S) with its band.
    """
    times = {rung: time_to_rung(summary, rung, horizon) for rung in rungs}
    keys, lengths, curves = [], [], []
    for key, rows in group_rows(summary, by):
        for rung in rungs:
            time, event = times[rung]
            curve = kaplan_meier_columns(time[rows], event[rows], level=level)
            keys.append((*key, rung, rows.size))
            lengths.append(curve["month"].size)
            curves.append(curve)
    if not curves:
        return pd.DataFrame()
    # One table built once: a DataFrame per curve cost more than the curves themselves.
    labels = [*by, "rung", "runs"]
    table = pd.DataFrame(
        {
            name: pd.Series([key[k] for key in keys]).repeat(lengths).to_numpy()
            for k, name in enumerate(labels)
        }
    )
    for name in curves[0]:
        table[name] = np.concatenate([curve[name] for curve in curves])
    table["reached"] = 1.0 - table["survival"]
    table["reached_lower"] = 1.0 - table["upper"]
    table["reached_upper"] = 1.0 - table["lower"]
    return table


def group_codes(frame: pd.DataFrame, by: Sequence[str]) -> tuple[list[tuple], np.ndarray]:
    """Each group's key (a tuple), in the sorted order of ``groupby(by, observed=True,
    sort=True)``, and each row's group (-1 where a key is missing)."""
    if not by:
        return [()], np.zeros(len(frame), dtype=np.int64)
    grouped = frame.groupby(list(by), observed=True, sort=True)
    codes = grouped.ngroup().fillna(-1).to_numpy(dtype=np.int64)  # NaN: a missing key
    keys = [key if isinstance(key, tuple) else (key,) for key in grouped.size().index]
    return keys, codes


def group_rows(frame: pd.DataFrame, by: Sequence[str]) -> list[tuple[tuple, np.ndarray]]:
    """Each group's key and row positions (`group_codes`; rows with a missing key left out)."""
    keys, codes = group_codes(frame, by)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    return [(key, order[bounds[g] : bounds[g + 1]]) for g, key in enumerate(keys)]


def median_times(curves: pd.DataFrame, by: Sequence[str] = ("design_point",)) -> pd.DataFrame:
    """Median time to each rung with its interval, read off the KM curves and band.

    A median that the curve never reaches within the horizon is left empty (NaN): fewer than
    half the runs reached the rung. Curves with the parameters' band of `reached`
    (``variance_split.with_curve_parameter_intervals``) give the median's parameters'
    interval too (median_parameters_lower, median_parameters_upper): where that band's upper
    and lower edge first reach one half.
    """
    band = "reached_parameters_lower" in curves
    keys = [*by, "rung"]
    # Curves are sorted by month within each curve: the first month where a condition holds
    # is the first non-missing month of that condition's column, per curve.
    reached = {
        "median_month": curves["survival"] <= 0.5,
        "median_lower": curves["lower"] <= 0.5,
        "median_upper": curves["upper"] <= 0.5,
    }
    if band:  # NaN throughout where the band is (fewer than two draws)
        upper_edge = curves["reached_parameters_upper"]
        known = upper_edge.notna().groupby([curves[k] for k in keys]).transform("all")
        reached["median_parameters_lower"] = known & (upper_edge >= 0.5)
        reached["median_parameters_upper"] = known & (curves["reached_parameters_lower"] >= 0.5)
    month = curves["month"].astype(float)
    table = pd.DataFrame({name: month.where(hit) for name, hit in reached.items()})
    for k in keys:
        table[k] = curves[k]
    return table.groupby(keys, sort=True).first().reset_index()


# --- thresholds ---------------------------------------------------------------------------------
def thresholds(
    probabilities: pd.DataFrame,
    factors: Sequence[str],
    level: float = 0.5,
    bootstrap: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """The factor value at which P(rung k by T) crosses `level`, along each numeric factor.

    The other factors (and the scenario) are held at each of their levels in turn. The
    interval comes from a parametric bootstrap that is the same as resampling runs within
    design points: for one (k, T) a run's outcome is 0/1, so the resampled hit count of a
    point with n runs and h hits is Binomial(n, h / n).

    Args:
        probabilities: rung_probabilities by design point, joined with the design (one column
            per factor, and `scenario`).
        factors: the factor columns; non-numeric ones are held, never scanned.
        level: the probability to cross.
        bootstrap: resamples for the interval (0: none).
        confidence: the interval's level.
        seed: the bootstrap's random seed (results are reproducible).

    Returns:
        One row per curve: factor, the held values, rung, month, threshold, lower, upper,
        crossing share of the bootstrap, direction, and a note (e.g. "never crosses"). When
        the probabilities carry the parameters' interval (parameters_lower,
        parameters_upper: runs on a posterior), the threshold's parameters' interval too,
        under the same names, with parameters_note (``parameters_threshold``).
    """
    rng = np.random.default_rng(seed)
    held_all = ["scenario", *factors]
    rows = []
    for factor in factors:
        if not pd.api.types.is_numeric_dtype(probabilities[factor]):
            continue
        held = [c for c in held_all if c != factor and c in probabilities]
        keys = [*held, "rung", "month"]
        for key, curve in probabilities.groupby(keys, sort=True, dropna=False):
            curve = curve.sort_values(factor)
            if curve[factor].nunique() < 2:
                continue
            rows.append(
                {
                    "factor": factor,
                    **dict(zip(keys, key, strict=True)),
                    **_threshold_row(curve, factor, level, bootstrap, confidence, rng),
                }
            )
    return pd.DataFrame(rows)


def _threshold_row(
    curve: pd.DataFrame,
    factor: str,
    level: float,
    bootstrap: int,
    confidence: float,
    rng: np.random.Generator,
) -> dict:
    x = curve[factor].to_numpy(dtype=float)
    runs = curve["runs"].to_numpy()
    p = curve["probability"].to_numpy()
    value = float(crossing(x, p, level)[0])
    row = {
        "threshold": value,
        "lower": np.nan,
        "upper": np.nan,
        "crossing_share": np.nan,
        "direction": "",
        "note": "",
    }
    if np.isnan(value):
        side = "below" if p.max() < level else "above"
        row["note"] = (
            f"never crosses {level:g}: {side} it throughout (p from {p.min():.3f} to {p.max():.3f})"
        )
    else:
        row["direction"] = "rising" if p[-1] > p[0] else "falling"
    if bootstrap > 0:
        row["lower"], row["upper"], row["crossing_share"] = crossing_interval(
            x, runs, p, level, bootstrap, rng, confidence
        )
    if "parameters_lower" in curve:
        row.update(parameters_threshold(curve, x, level, value))
    return row


def parameters_threshold(curve: pd.DataFrame, x: np.ndarray, level: float, value: float) -> dict:
    """The threshold's parameters' interval: the factor values at which `level` lies inside
    the curve's parameters' band (parameters_lower to parameters_upper at each point, linear
    between points), the stretch around the crossing (``stats.band_interval``). An end the
    band leaves open within the factor's range is NaN, and parameters_note says why."""
    low = curve["parameters_lower"].to_numpy(dtype=float)
    high = curve["parameters_upper"].to_numpy(dtype=float)
    row = {"parameters_lower": np.nan, "parameters_upper": np.nan, "parameters_note": ""}
    if np.isnan(low).any() or np.isnan(high).any():
        row["parameters_note"] = "no parameters' interval: a point has fewer than 2 draws"
        return row
    band = band_interval(x, low, high, level, value)
    row["parameters_lower"], row["parameters_upper"] = band.lower, band.upper
    row["parameters_note"] = band.note
    return row
