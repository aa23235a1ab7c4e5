"""Escalation probabilities with confidence intervals, from run summaries.

Every function takes the summary table (one row per run, the columns of
``EscalationModel.summary``) and returns a tidy DataFrame.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from statistics import NormalDist  # the standard library's: importing SciPy costs ~0.5 s
from typing import Any

import numpy as np
import pandas as pd

from sim.ladder import TOP_RUNG


def wilson_interval(
    hits: np.ndarray | int,
    n: np.ndarray | int,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (well behaved near 0 and 1)."""
    hits = np.asarray(hits, dtype=float)
    n = np.asarray(n, dtype=float)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # The interval always contains p; clipping to it removes rounding noise at 0 and 1.
    return np.clip(centre - half, 0.0, p), np.clip(centre + half, p, 1.0)


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


def kaplan_meier(time: np.ndarray, event: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier survival S(t) = P(T > t) with a log-log (Kalbfleisch-Prentice) band.

    Args:
        time: time to the event or to censoring, per run.
        event: True where the event was observed, False where censored.
        level: the confidence level of the pointwise band (Greenwood variance).

    Returns:
        One row per distinct event time: month, at_risk, events, survival, lower, upper.
        With no censoring before the last time, 1 - survival is the empirical CDF.
    """
    time = np.asarray(time)
    event = np.asarray(event, dtype=bool)
    times = np.unique(time[event])
    at_risk = len(time) - np.searchsorted(np.sort(time), times, side="left")
    events = np.bincount(np.searchsorted(times, time[event]), minlength=times.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - events / at_risk)
        greenwood = np.cumsum(events / (at_risk * (at_risk - events)))
        z = NormalDist().inv_cdf(0.5 + level / 2)
        spread = z * np.sqrt(greenwood) / np.abs(np.log(survival))
        lower = survival ** np.exp(spread)
        upper = survival ** np.exp(-spread)
    # S = 0 (every run at risk had the event) or S = 1: the band collapses onto S.
    degenerate = ~np.isfinite(spread) | (survival <= 0)
    lower = np.where(degenerate, survival, lower)
    upper = np.where(degenerate, survival, upper)
    return pd.DataFrame(
        {
            "month": times.astype(np.int64),
            "at_risk": at_risk,
            "events": events,
            "survival": survival,
            "lower": lower,
            "upper": upper,
        }
    )


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
    half the runs reached the rung.
    """
    rows = []
    for key, curve in curves.groupby([*by, "rung"], sort=True):

        def first_at_or_below(column: str, curve: pd.DataFrame = curve) -> float:
            hit = curve["month"][curve[column] <= 0.5]
            return float(hit.iloc[0]) if len(hit) else np.nan

        rows.append(
            (
                *key,
                first_at_or_below("survival"),
                first_at_or_below("lower"),
                first_at_or_below("upper"),
            )
        )
    return pd.DataFrame(rows, columns=[*by, "rung", "median_month", "median_lower", "median_upper"])


# --- thresholds ---------------------------------------------------------------------------------
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
        crossing share of the bootstrap, direction, and a note (e.g. "never crosses").
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
        resampled = rng.binomial(runs, p, size=(bootstrap, len(p))) / runs
        values = crossing(x, resampled, level)
        finite = values[np.isfinite(values)]
        row["crossing_share"] = finite.size / bootstrap
        if finite.size:
            tail = (1 - confidence) / 2
            row["lower"], row["upper"] = np.quantile(finite, [tail, 1 - tail])
    return row


# --- a whole sweep directory -------------------------------------------------------------------
class IncompleteSweep(RuntimeError):
    """The sweep directory is not complete (manifest.json has no `complete: true`)."""


def analyze_sweep(
    directory: str | Path, allow_incomplete: bool = False, options: Mapping[str, Any] | None = None
) -> dict[str, pd.DataFrame]:
    """Every table of a sweep, written as Parquet and CSV under <directory>/analysis/.

    Args:
        directory: a directory written by ``sim.runner.run_sweep``.
        allow_incomplete: analyse the chunks present in an incomplete sweep (with a warning)
            instead of refusing.
        options: overrides of the stored `analysis` node (months, rungs, level, ...).

    Returns:
        {"probabilities", "time_to_escalation", "median_times", "thresholds"} and, for a Sobol or
        Morris design, the tables of ``sim.sensitivity.sensitivity_tables`` ("sobol" or
        "morris", "sensitivity_noise", "sensitivity_outcomes", ...). For those designs the
        per-point curves and thresholds are left empty: thousands of points would take minutes
        and a threshold needs a grid.
    """
    from omegaconf import OmegaConf

    from sim.runner import is_complete, read_parts

    directory = Path(directory)
    if not is_complete(directory):
        if not allow_incomplete:
            raise IncompleteSweep(
                f"{directory} is an incomplete sweep: finish it with "
                f"resume={directory}, or analyse what exists with "
                "allow_incomplete=true"
            )
        warnings.warn(f"{directory} is incomplete: analysing the chunks present", stacklevel=2)
    cfg = OmegaConf.load(directory / "config.yaml")
    opts = {**OmegaConf.to_container(cfg.analysis), **(options or {})}
    design = pd.read_parquet(directory / "design.parquet")
    factors = [c for c in design.columns if c not in ("design_point", "scenario")]
    horizon = int(cfg.months)
    months = [m for m in opts["months"] if m <= horizon] or [horizon]
    rungs = list(opts["rungs"])
    columns = ["design_point", *(f"month_rung_{k}" for k in rungs)]
    summary = read_parts(directory, "summary", columns)
    probs = rung_probabilities(
        summary, months, rungs, by=["design_point"], level=opts["confidence"]
    )
    probs = design.merge(probs, on="design_point")
    from sim.sensitivity import SENSITIVITY_DESIGNS, sensitivity_tables

    if cfg.design.kind in SENSITIVITY_DESIGNS and factors:
        empty = pd.DataFrame()
        tables = {"probabilities": probs, "time_to_escalation": empty, "median_times": empty}
        tables["thresholds"] = empty
        tables.update(sensitivity_tables(directory, cfg, design, opts))
    else:
        curves = time_to_escalation(summary, horizon, rungs, level=opts["confidence"])
        tables = {
            "probabilities": probs,
            "time_to_escalation": design[["design_point", "scenario"]].merge(curves),
            "median_times": design[["design_point", "scenario"]].merge(median_times(curves)),
            "thresholds": thresholds(
                probs,
                factors,
                opts["level"],
                opts["bootstrap"],
                opts["confidence"],
                seed=int(cfg.seed),
            ),
        }
    write_analysis(directory / "analysis", tables)
    return tables


def write_analysis(out: Path, tables: Mapping[str, pd.DataFrame]) -> None:
    """Each table as <name>.parquet and <name>.csv, each written atomically."""
    from sim.store import write_table, write_text

    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        write_table(table, out / f"{name}.parquet")
        write_text(table.to_csv(index=False), out / f"{name}.csv")
