"""The short printed summary of one scenario run, built from its summary table.

Kept free of matplotlib so that it is cheap to import; `sim.plots` draws the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.probabilities import rung_probabilities
from sim.model.dates import month_dates
from sim.model.ladder import TOP_RUNG

#: Short names of the rungs, for tables and legends.
RUNG_LABELS: dict[int, str] = {
    0: "normal relations",
    1: "rhetoric",
    2: "economic coercion",
    3: "explicit threats",
    4: "military posturing",
    5: "intervention",
}

#: The months at which the summary reports escalation probabilities (those within the horizon).
REPORT_MONTHS: tuple[int, ...] = (12, 36, 120)


def report_months(horizon: int) -> list[int]:
    """REPORT_MONTHS within the horizon, plus the horizon itself if it is not one of them."""
    months = [m for m in REPORT_MONTHS if m <= horizon]
    return months if horizon in months else [*months, horizon]


def escalation_table(
    summary: pd.DataFrame, months: Sequence[int], rungs: Sequence[int] = range(2, TOP_RUNG + 1)
) -> pd.DataFrame:
    """P(rung k or higher by month T) with 95% Wilson intervals, one row per rung and month."""
    return rung_probabilities(summary, months=list(months), rungs=list(rungs))


def probability_cell(p: float, lower: float, upper: float) -> str:
    """'0.126 [0.120, 0.133]'; below 0.0005, where that would read 0.000 [0.000, 0.000], the
    numbers in powers of ten, so that a rare outcome is not shown as impossible."""
    if upper >= 0.0005:
        return f"{p:.3f} [{lower:.3f}, {upper:.3f}]"
    if p == 0:
        return f"0 [0, {upper:.0e}]"
    return f"{p:.0e} [{lower:.0e}, {upper:.0e}]"


def parameter_range(
    p: Any, sd: Any, level: float = 0.95, bounds: tuple[float, float] = (0.0, 1.0)
) -> tuple[Any, Any]:
    """The `level` range of a probability over the posterior's parameters: p +- z sd, within
    `bounds` (sd: the between-draw sd of the variance split, ``sim.analysis.variance_split``);
    scalars or arrays, NaN where sd is."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    spread = z * np.asarray(sd)
    return np.clip(p - spread, *bounds), np.clip(p + spread, *bounds)


def format_escalation(table: pd.DataFrame, split: pd.DataFrame | None = None) -> list[str]:
    """The escalation table as text: one line per rung, one column per month; with a variance
    `split` (runs drawn from a posterior) each cell also gives the parameters' 95% range."""
    months = sorted(table["month"].unique())
    width = 22 if split is None else 36
    sd = (
        {}
        if split is None
        else {(r.rung, r.month): r.sd_from_parameters for r in split.itertuples()}
    )
    header = f"  {'rung reached':<22}" + "".join(f"{'by month ' + str(m):>{width}}" for m in months)
    lines = [header]
    for rung, rows in table.groupby("rung", sort=True):
        cells = [
            probability_cell(r.probability, r.lower, r.upper)
            + (
                _parameters_cell(r.probability, sd[(rung, r.month)])
                if (rung, r.month) in sd
                else ""
            )
            for r in rows.sort_values("month").itertuples()
        ]
        name = f"{rung}+ {RUNG_LABELS[int(rung)]}"
        lines.append(f"  {name:<22}" + "".join(f"{c:>{width}}" for c in cells))
    return lines


def _parameters_cell(p: float, sd: float) -> str:
    """' (0.21-0.48)': the parameters' range; fewer than two draws cannot give one."""
    if np.isnan(sd):
        return " (< 2 draws)"
    return " ({:.2f}-{:.2f})".format(*parameter_range(p, sd))


def halts_per_year(
    summary: pd.DataFrame, months: int, column: str = "pipeline_halts"
) -> np.ndarray:
    """CPC stoppages per simulated year, one value per run (column: all, or one cause)."""
    return summary[column].to_numpy(dtype=float) * 12.0 / months


def format_by_war_outcome(summary: pd.DataFrame, months: int) -> list[str]:
    """P(rung >= 4 and 5 by the horizon) split by how the war ended in each run."""
    if "war_outcome" not in summary or summary["war_outcome"].nunique() < 2:
        return []
    lines = [f"By how the war ends (runs; P(rung >= 4) and P(rung 5) by month {months}):"]
    for outcome, rows in summary.groupby("war_outcome", observed=True, sort=False):
        p4 = escalation_table(rows, [months], rungs=[4, 5])["probability"].to_numpy()
        lines.append(f"  {str(outcome):<12} {len(rows):>7,}   {p4[0]:.3f}   {p4[1]:.3f}")
    return lines


def format_summary(
    summary: pd.DataFrame,
    scenario: str,
    months: int,
    seed: int,
    seconds: float,
    directory: Path | None,
    split: pd.DataFrame | None = None,
) -> str:
    """The text printed after a run: escalation probabilities, halts, alignment, location
    (with a variance `split`, each probability also carries the parameters' range)."""
    runs = len(summary)
    dates = month_dates(months)
    span = f"{dates[0]:%b %Y} - {dates[-1]:%b %Y}"
    lines = [
        f"{scenario}: {runs:,} runs x {months} months ({span}), seed {seed}, "
        f"{seconds:.1f} s ({runs / max(seconds, 1e-9):,.0f} runs/s)",
        "",
        "P(Russia reaches rung k or higher by month T) [95% Wilson interval: the dice]"
        + ("" if split is None else " (95% range over the posterior's parameters)")
        + "; by month 12 = by the end of Feb 2023",
        *format_escalation(escalation_table(summary, report_months(months)), split),
        "",
    ]
    russian = "pipeline_halts_russia" if "pipeline_halts_russia" in summary else "pipeline_halts"
    halts = halts_per_year(summary, months, russian)
    q05, q50, q95 = np.quantile(halts, [0.05, 0.5, 0.95])
    lines.append(
        f"Russia-attributable CPC disruptions per year: mean {halts.mean():.2f}, median "
        f"{q50:.2f}, 90% of runs in [{q05:.2f}, {q95:.2f}]"
    )
    if "pipeline_halts_other" in summary:
        other = halts_per_year(summary, months, "pipeline_halts_other").mean()
        lines.append(
            f"Stoppages with other causes (storms, repairs, third parties): {other:.2f}/year"
        )
    quantiles = np.quantile(summary["final_alignment"], [0.05, 0.25, 0.5, 0.75, 0.95])
    cells = ", ".join(f"{p}% {q:.3f}" for p, q in zip((5, 25, 50, 75, 95), quantiles, strict=True))
    lines.append(f"Alignment with Moscow at the end ({dates[-1]:%b %Y}; 0-1): {cells}")
    by_war = format_by_war_outcome(summary, months)
    if by_war:
        lines += ["", *by_war]
    if directory is not None:
        lines += ["", f"Results: {directory}"]
    return "\n".join(lines)
