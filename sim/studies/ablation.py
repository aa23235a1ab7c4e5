"""Mechanism ablation: switch each mechanism off in turn and measure what it carries.

Every mechanism of the model has a switch, ``model.mechanisms.<name>`` (1 on, 0 off; the list
and what each removes is ``sim.model.params.MECHANISMS``). An ablation runs the scenario once with
every switch on and once per mechanism with that one off, all with the same run seeds (common
random numbers), so each difference is paired run by run and its interval is narrow.

Outcomes: P(rung >= 3, >= 4 and 5 by months 36 and 120), with Wilson intervals and Newcombe's
paired interval for the difference, and the mean number of Russia-attributable CPC disruptions
per year, with normal intervals on the per-run values and on the paired differences. A
mechanism "moves" an outcome when the 95% interval of its difference excludes zero. With
parameters drawn from a posterior, ``sign_share`` is the share of posterior draws in which the
difference has its overall sign (each draw's runs paired on and off by their seeds): under
``ROBUST_SHARE`` a claim about that effect is worded as conditional, or dropped. The count
of stoppages of any cause is there for the one mechanism whose job is attribution: stoppages
that are not coercion change that count and should leave Moscow's choices nearly alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.probabilities import reached_by
from sim.analysis.variance_split import parameter_interval
from sim.engine.ensemble import Ensembles, Runs
from sim.model.params import MECHANISMS, ParamSet
from sim.studies.validation import (
    Estimate,
    mean_interval,
    paired_mean_difference,
    paired_proportion_difference,
    proportion_interval,
)

COLUMNS = (
    "mechanism", "outcome", "value", "lower", "upper", "parameters_lower", "parameters_upper",
    "baseline_value", "difference", "difference_lower", "difference_upper",
    "difference_parameters_lower", "difference_parameters_upper", "sign_share",
)  # fmt: skip
#: A claim whose sign holds in fewer posterior draws than this is worded as conditional or
#: dropped (docs/calibration.md, "How robust a claim is").
ROBUST_SHARE = 0.8


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run summary: a per-run array and whether it is a proportion."""

    name: str
    label: str
    proportion: bool
    months_needed: int
    per_run: Callable[[pd.DataFrame, int], np.ndarray]


def _reach(rung: int, month: int) -> Callable[[pd.DataFrame, int], np.ndarray]:
    return lambda summary, months: reached_by(summary, rung, month)


def _per_year(column: str) -> Callable[[pd.DataFrame, int], np.ndarray]:
    return lambda summary, months: summary[column].to_numpy(dtype=float) * 12.0 / months


OUTCOMES: tuple[Outcome, ...] = (
    *(
        Outcome(
            f"p{rung}_{month}",
            f"P(rung {'5' if rung == 5 else f'>= {rung}'} by month {month})",
            True,
            month,
            _reach(rung, month),
        )
        for rung in (3, 4, 5)
        for month in (36, 120)
    ),
    Outcome("halts_russia_per_year", "Russia-attributable CPC disruptions per year", False, 1,
            _per_year("pipeline_halts_russia")),
    Outcome("halts_all_per_year", "CPC stoppages of any cause per year", False, 1,
            _per_year("pipeline_halts")),
)  # fmt: skip


def outcomes_for(months: int) -> tuple[Outcome, ...]:
    """The outcomes a run of this many months can measure."""
    return tuple(o for o in OUTCOMES if o.months_needed <= months)


def switched_off(values: Mapping[str, Any] | ParamSet, mechanism: str) -> dict[str, Any] | ParamSet:
    """The flat model values (or per-run parameters) with one mechanism switched off."""
    if mechanism not in MECHANISMS:
        raise KeyError(f"unknown mechanism {mechanism!r}; known: {', '.join(MECHANISMS)}")
    if isinstance(values, ParamSet):
        return ParamSet({**values.columns, f"mechanisms.{mechanism}": 0.0}, values.size)
    return {**values, f"mechanisms.{mechanism}": 0}


def sign_share(difference: np.ndarray, draws: np.ndarray | None) -> float:
    """The share of posterior draws in which the per-draw effect (mean paired difference over
    the draw's runs, same seeds on and off) has the sign of the overall effect; a draw with no
    difference does not count as holding. nan without draws (hand-set values)."""
    if draws is None:
        return float("nan")
    _, group = np.unique(draws, return_inverse=True)
    per_draw = np.bincount(group, weights=difference) / np.bincount(group)
    return float(np.mean(np.sign(per_draw) == np.sign(difference.mean())))


def _estimate_pair(
    outcome: Outcome, off: np.ndarray, on: np.ndarray
) -> tuple[Estimate, Estimate, Estimate]:
    if outcome.proportion:
        return (
            proportion_interval(off),
            proportion_interval(on),
            paired_proportion_difference(off, on),
        )
    return mean_interval(off), mean_interval(on), paired_mean_difference(off, on)


def compare(
    mechanism: str,
    off: pd.DataFrame,
    on: pd.DataFrame,
    months: int,
    draws: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Rows of the ablation table for one mechanism: each outcome off against all on."""
    if not np.array_equal(off["seed"].to_numpy(), on["seed"].to_numpy()):
        raise ValueError("ablation batches must share their seeds, run by run")
    rows = []
    for outcome in outcomes_for(months):
        x, y = outcome.per_run(off, months), outcome.per_run(on, months)
        value, baseline, difference = _estimate_pair(outcome, x, y)
        change = np.asarray(x, float) - np.asarray(y, float)
        value_range, change_range = _parameter_intervals(outcome, x, change, draws)
        rows.append(
            {
                "mechanism": mechanism,
                "outcome": outcome.name,
                "value": value.value,
                "lower": value.lower,
                "upper": value.upper,
                "parameters_lower": value_range[0],
                "parameters_upper": value_range[1],
                "baseline_value": baseline.value,
                "difference": difference.value,
                "difference_lower": difference.lower,
                "difference_upper": difference.upper,
                "difference_parameters_lower": change_range[0],
                "difference_parameters_upper": change_range[1],
                "sign_share": sign_share(change, draws),
            }
        )
    return rows


def _parameter_intervals(
    outcome: Outcome, off: np.ndarray, change: np.ndarray, draws: np.ndarray | None
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The parameters' 95% intervals of the value switched off and of the paired difference
    (``sim.analysis.variance_split.parameter_interval``); NaN on the hand-set values."""
    if draws is None:
        return (np.nan, np.nan), (np.nan, np.nan)
    inf = np.inf
    value_bounds = (0.0, 1.0) if outcome.proportion else (0.0, inf)
    change_bounds = (-1.0, 1.0) if outcome.proportion else (-inf, inf)
    return (
        parameter_interval(np.asarray(off, float), draws, bounds=value_bounds),
        parameter_interval(change, draws, bounds=change_bounds),
    )


def ablate(
    values: Mapping[str, Any] | ParamSet,
    seeds: np.ndarray,
    months: int,
    mechanisms: tuple[str, ...] = tuple(MECHANISMS),
    progress: Callable[[str], None] | None = None,
    ensembles: Ensembles | None = None,
    draws: np.ndarray | None = None,
) -> pd.DataFrame:
    """The ablation table of a scenario's model values, or of per-run parameters drawn from a
    posterior with each run's `draws` (see the module docstring).

    `ensembles` simulates the batches (default: in this process); the table does not depend on it.
    """
    ensembles = ensembles or Ensembles("serial")
    # Every batch at once: the workers take whole batches (Ensembles.simulate_each).
    batches = [values, *(switched_off(values, m) for m in mechanisms)]
    results = ensembles.simulate_each(
        Runs(params, seeds, months, trajectories=False, events=False) for params in batches
    )
    on = next(results).summary
    rows: list[dict[str, Any]] = []
    for mechanism, off in zip(mechanisms, results, strict=True):
        if progress:
            progress(mechanism)
        rows += compare(mechanism, off.summary, on, months, draws)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["mechanism"] = pd.Categorical(table["mechanism"], categories=list(mechanisms))
    table["outcome"] = pd.Categorical(table["outcome"], categories=[o.name for o in OUTCOMES])
    return table


def moves(table: pd.DataFrame) -> pd.Series:
    """Per mechanism: does switching it off move at least one outcome (interval excludes 0)?"""
    excludes_zero = (table["difference_lower"] > 0) | (table["difference_upper"] < 0)
    return excludes_zero.groupby(table["mechanism"], observed=True).any()


def markdown_table(table: pd.DataFrame) -> str:
    """The differences as a Markdown table: a row per mechanism, a column per outcome.

    Each cell is "difference [lower, upper]", in bold where that interval (the dice's)
    excludes zero, then, for runs on a posterior, "(lower to upper)": the parameters' interval.
    """
    labels = {o.name: o.label for o in OUTCOMES}
    outcomes = [o for o in table["outcome"].cat.categories if (table["outcome"] == o).any()]
    first = table[table["mechanism"] == table["mechanism"].iloc[0]].set_index("outcome")
    header = ["mechanism off", *(labels[o] for o in outcomes)]
    baseline = ["*all on*", *(f"{first.loc[o, 'baseline_value']:.3f}" for o in outcomes)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.append("| " + " | ".join(baseline) + " |")
    for mechanism, rows in table.groupby("mechanism", observed=True, sort=False):
        rows = rows.set_index("outcome")
        cells = []
        for o in outcomes:
            r = rows.loc[o]
            text = (
                f"{_signed(r.difference)} [{_signed(r.difference_lower)}, "
                f"{_signed(r.difference_upper)}]"
            )
            excludes = r.difference_lower > 0 or r.difference_upper < 0
            text = f"**{text}**" if excludes else text
            if np.isfinite(r.difference_parameters_lower):
                text += (
                    f" ({_signed(r.difference_parameters_lower)} to "
                    f"{_signed(r.difference_parameters_upper)})"
                )
            cells.append(text)
        lines.append(f"| `{mechanism}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _signed(x: float) -> str:
    """+0.123 / -0.123, with no "-0.000" for a value that rounds to zero."""
    return f"{round(float(x), 3) + 0.0:+.3f}"
