"""One sentence under each figure of a report: what it shows and how to read it.

The figure's own title names the scenario or experiment and the number of runs; the caption
says what the marks mean, so that a figure can be read (and printed) without its file name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: (pattern of a figure's file name, caption); the first pattern that matches wins.
CAPTIONS: tuple[tuple[str, str], ...] = (
    (
        r"rung_cumulative",
        "Probability that Russia has reached rung k or higher by each month; "
        "bands are 95% Wilson intervals (Monte Carlo error only).",
    ),
    (r"rung_shares", "Share of runs at each rung of the escalation ladder, month by month."),
    (
        r"halts_per_year",
        "CPC pipeline stoppages per simulated year across runs: "
        "Russia-attributable disruptions (left) and stoppages with other causes (right); the "
        "dashed line is the median.",
    ),
    (r"fan_", "Median (line), middle 50% and 90% of runs (bands) of each variable."),
    (
        r"event_timeline",
        "Events of a typical, a severe and a calm run: each run's rung above, "
        "one row per actor and action below, coloured by Goldstein weight.",
    ),
    (
        r"heatmap_rung\d",
        "Probability of reaching the rung by the horizon over the first two "
        "factors; the white line marks the analysis level.",
    ),
    (
        r"heatmap_months",
        "Probability of reaching rung k by month T along the factor; the white "
        "line marks the analysis level.",
    ),
    (
        r"probability_",
        "Probability of reaching rung k by month T along the factor, other "
        "factors at their middle level; bands are 95% Wilson intervals.",
    ),
    (
        r"thresholds_",
        "Factor value at which the probability crosses the analysis level, with "
        "its bootstrap interval; crosses mark curves that never cross.",
    ),
    (r"time_to_rung", "Kaplan-Meier estimates of the time to each rung."),
    (r"sobol_", "First-order (S1) and total (ST) Sobol indices with 95% bootstrap intervals."),
    (
        r"morris_",
        "Morris screening: mean absolute elementary effect (mu*) against its spread "
        "(sigma); dashed lines mark sigma/mu* = 0.1, 0.5 and 1.",
    ),
    (
        r"discovery_.*_tradeoff",
        "PRIM peeling trajectory: coverage against density of each "
        "candidate box; the circled box is the one chosen.",
    ),
    (
        r"discovery_.*_limits",
        "Limits of the chosen PRIM box within each restricted factor's range in the sweep.",
    ),
    (
        r"pareto_parallel",
        "The non-dominated policies in parallel coordinates, one axis per "
        "lever and objective; the dashed line is the status quo.",
    ),
    (
        r"tradeoff",
        "Escalation risk against each cost for every policy evaluated; bars are 95% "
        "Wilson intervals of the Pareto set's shares.",
    ),
    (
        r"robustness_heatmap",
        "Mean of each objective over the fresh scenarios with its 95% "
        "interval; colour is the regret against the best policy in each scenario.",
    ),
    (
        r"lever_effects",
        "Each lever alone from the low to the high end of its range: mean effect with its 95% "
        "interval, and the share of posterior draws in which its sign holds.",
    ),
    (
        r"scenario_failures",
        "Where the most robust policy fails: its scenarios over the "
        "uncertainties most associated with failure.",
    ),
)


def caption(name: str) -> str | None:
    """The caption of a figure, by its file name (None when none is written for it)."""
    for pattern, text in CAPTIONS:
        if re.search(pattern, name):
            return text
    return None


def captions(names: Iterable[str]) -> dict[str, str]:
    """{figure name: caption} for the figures that have one."""
    return {name: text for name in names if (text := caption(name))}
