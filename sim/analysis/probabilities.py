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
    kaplan_meier,
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
    # One grouped sum per (rung, month), not one Python step per group: a Sobol sweep has
    # thousands of design points.
    frames = []
    for order, (rung, month) in enumerate((k, t) for k in rungs for t in months):
        hit = pd.Series(reached_by(summary, rung, month), index=summary.index)
        if by:
            grouped = hit.groupby([summary[c] for c in by], observed=True, sort=True)
            counts = grouped.agg(["size", "sum"]).reset_index()
        else:
            counts = pd.DataFrame({"size": [hit.size], "sum": [hit.sum()]})
        frames.append(counts.assign(rung=rung, month=month, _order=order))
    table = pd.concat(frames, ignore_index=True).sort_values([*by, "_order"], kind="stable")
    table = table.rename(columns={"size": "runs", "sum": "hits"})
    table = table[[*by, "rung", "month", "runs", "hits"]].reset_index(drop=True)
    table[["runs", "hits"]] = table[["runs", "hits"]].astype(np.int64)
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
    groups = summary.groupby(list(by), observed=True, sort=True) if by else [((), summary)]
    frames = []
    for key, frame in groups:
        key = key if isinstance(key, tuple) else (key,)
        for rung in rungs:
            curve = kaplan_meier(*time_to_rung(frame, rung, horizon), level=level)
            curve.insert(0, "runs", len(frame))
            curve.insert(0, "rung", rung)
            for name, value in zip(by, key, strict=True):
                curve.insert(0, name, value)
            frames.append(curve)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(table):
        table["reached"] = 1.0 - table["survival"]
        table["reached_lower"] = 1.0 - table["upper"]
        table["reached_upper"] = 1.0 - table["lower"]
    return table


def median_times(curves: pd.DataFrame, by: Sequence[str] = ("design_point",)) -> pd.DataFrame:
    """Median time to each rung with its interval, read off the KM curves and band.

    A median that the curve never reaches within the horizon is left empty (NaN): fewer than
    half the runs reached the rung. Curves with the parameters' band of `reached`
    (``variance_split.with_curve_parameter_intervals``) give the median's parameters'
    interval too (median_parameters_lower, median_parameters_upper): where that band's upper
    and lower edge first reach one half.
    """
    band = "reached_parameters_lower" in curves
    columns = ["median_month", "median_lower", "median_upper"]
    if band:
        columns += ["median_parameters_lower", "median_parameters_upper"]
    rows = []
    for key, curve in curves.groupby([*by, "rung"], sort=True):

        def first(reached: pd.Series, curve: pd.DataFrame = curve) -> float:
            hit = curve["month"][reached]
            return float(hit.iloc[0]) if len(hit) else np.nan

        row = [
            first(curve["survival"] <= 0.5),
            first(curve["lower"] <= 0.5),
            first(curve["upper"] <= 0.5),
        ]
        if band:  # NaN throughout where the band is (fewer than two draws)
            upper_edge, lower_edge = (
                curve["reached_parameters_upper"],
                curve["reached_parameters_lower"],
            )
            known = upper_edge.notna().all()
            row += [
                first(upper_edge >= 0.5) if known else np.nan,
                first(lower_edge >= 0.5) if known else np.nan,
            ]
        rows.append((*key, *row))
    return pd.DataFrame(rows, columns=[*by, "rung", *columns])


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
