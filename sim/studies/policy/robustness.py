"""How robust the Pareto policies are on a fresh, larger ensemble of scenarios.

For policies p, scenarios s and objectives o, ``M[p, s, o]`` is the objective's mean over the
scenario's replicates. Three measures, in the many-objective robust decision making tradition
(Kasprzyk et al. 2013; McPhail et al. 2018):

* regret: ``M[p, s, o] - min over policies of M[., s, o]``, what choosing p costs in scenario s
  against the best of the policies compared there (Savage 1951); its mean and maximum over the
  scenarios;
* satisficing: the share of scenarios in which the robustness objective stays at or under the
  user's threshold (Starr 1963);
* failure scenarios: where the most robust policy fails, as PRIM boxes over the uncertainties
  (Bryant and Lempert 2010; ``sim.analysis.discovery``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.discovery import describe_box, factor_frame, find_boxes
from sim.analysis.run_report import parameter_range
from sim.analysis.stats import mean_interval, wilson_interval
from sim.analysis.variance_split import variance_components
from sim.studies.ablation import ROBUST_SHARE  # one wording rule for every claim
from sim.studies.policy.evaluate import SAMPLED_SCENARIO
from sim.studies.policy.objectives import OBJECTIVES


def thin(objectives: np.ndarray, first: int, count: int) -> np.ndarray:
    """`count` rows spread over the front: farthest-point order from row `first`.

    Each objective is scaled to [0, 1] over the rows, then rows are added one at a time, each
    the farthest (Euclidean) from those already taken; ties go to the lower index. Returns the
    chosen row indices, sorted.
    """
    n = len(objectives)
    if n <= count:
        return np.arange(n)
    low, high = objectives.min(axis=0), objectives.max(axis=0)
    scaled = (objectives - low) / np.where(high > low, high - low, 1.0)
    chosen = [first]
    distance = np.linalg.norm(scaled - scaled[first], axis=1)
    while len(chosen) < count:
        nxt = int(np.argmax(distance))
        chosen.append(nxt)
        distance = np.minimum(distance, np.linalg.norm(scaled - scaled[nxt], axis=1))
    return np.sort(chosen)


def regret(means: np.ndarray) -> np.ndarray:
    """(policies, scenarios, objectives): each policy's regret in each scenario."""
    return means - means.min(axis=0, keepdims=True)


def sign_share(values: np.ndarray) -> np.ndarray:
    """(policies, scenarios) -> per policy, the share of scenarios in which its effect against
    policy 0 (the status quo) has the sign of its mean effect; nan for the status quo.

    With the calibrated parameters drawn once per scenario (``Study.with_posterior``) this is
    the share of posterior draws in which the claim "policy p raises (lowers) the objective"
    holds; a tie (no difference in a scenario) does not count as holding.
    """
    share = direction_shares(values - values[:1])[0]
    share[0] = np.nan
    return share


def direction_shares(effect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, scenarios) of per-scenario effects -> per row, the share of scenarios whose
    effect has the sign of the row's mean effect (the claim holds) and the share whose effect
    has the opposite sign (it is reversed); the rest show no difference at all.

    A row whose mean effect is exactly zero claims "no effect": it holds where a scenario
    shows none, and nothing reverses it.
    """
    direction = np.sign(effect.mean(axis=1, keepdims=True))
    signs = np.sign(effect)
    holds = (signs == direction).mean(axis=1)
    reversed_ = ((signs == -direction) & (direction != 0)).mean(axis=1)
    return holds, reversed_


def lever_effects(
    means: np.ndarray,
    levers: Sequence[tuple[str, float, float]],
    objectives: Sequence[str],
) -> pd.DataFrame:
    """Each lever's effect on each objective, moved alone from the low to the high end of its
    range with the other levers at the status quo, per scenario (one posterior draw each).

    Args:
        means: (2 * levers, scenarios, objectives) cell means; rows 2k and 2k + 1 are lever k
            at its low and at its high end.
        levers: (path, low, high) of each lever, in the rows' order.
        objectives: the objectives' names, in the last axis' order.

    Returns one row per (lever, objective): the objective's mean at each end, the mean effect
    (high minus low) with a 95% t interval over the scenarios, `sign_share` (the share of
    scenarios in which the effect has the mean's sign: the share of posterior draws in which a
    claim "raising the lever raises (lowers) the objective" holds), `reversed_share` (the
    opposite sign) and `robust` (sign_share >= ROBUST_SHARE).
    """
    rows = []
    for k, (path, low, high) in enumerate(levers):
        effect = (means[2 * k + 1] - means[2 * k]).T  # (objectives, scenarios)
        holds, reversed_ = direction_shares(effect)
        for j, name in enumerate(objectives):
            interval = mean_interval(effect[j])
            rows.append(
                {
                    "lever": path,
                    "objective": name,
                    "low": low,
                    "high": high,
                    "value_low": float(means[2 * k, :, j].mean()),
                    "value_high": float(means[2 * k + 1, :, j].mean()),
                    "effect": float(effect[j].mean()),
                    "effect_lower": float(interval.lower),
                    "effect_upper": float(interval.upper),
                    "sign_share": float(holds[j]),
                    "reversed_share": float(reversed_[j]),
                    "robust": bool(holds[j] >= ROBUST_SHARE),
                }
            )
    return pd.DataFrame(rows)


#: A probability objective o's interval columns, o_<end>: the dice's, then the parameters'.
INTERVAL_ENDS = ("lower", "upper", "parameters_lower", "parameters_upper")


def probability_intervals(
    means: np.ndarray, objectives: Sequence[str], replicates: int, parameters: bool
) -> dict[str, dict[str, np.ndarray]]:
    """Each probability objective's two 95% intervals per policy (by objective, its columns),
    from (policies, scenarios, objectives) cell means of `replicates` runs each:

    * `o_lower`, `o_upper`: the dice's (Wilson, over the policy's runs);
    * `o_parameters_lower`, `o_parameters_upper`: the parameters' (the mean +- z sd, sd the
      spread of P between scenarios, each one parameter set its replicates share:
      ``sim.analysis.variance_split.variance_components``, the split `sim run` prints). NaN
      where the split is not identified (one run per scenario), or without `parameters`
      (every scenario has the same parameters: they differ by their seeds only).
    """
    columns: dict[str, dict[str, np.ndarray]] = {}
    for k, name in enumerate(objectives):
        if OBJECTIVES[name].unit != "probability":
            continue
        hits = np.round(means[:, :, k] * replicates)  # a run's value is 0 or 1
        runs = np.full(hits.shape, replicates)
        lower, upper = wilson_interval(hits.sum(axis=1), runs.sum(axis=1))
        spread, _ = variance_components(hits, runs)
        if not parameters:
            spread = np.full(len(hits), np.nan)
        low, high = parameter_range(means[:, :, k].mean(axis=1), np.sqrt(spread))
        ends = zip(INTERVAL_ENDS, (lower, upper, low, high), strict=True)
        columns[name] = {f"{name}_{end}": values for end, values in ends}
    return columns


def robustness_table(
    means: np.ndarray,
    objectives: Sequence[str],
    robust: str,
    threshold: float,
    replicates: int = 1,
    parameters: bool = True,
) -> pd.DataFrame:
    """One row per policy: each objective's mean (a probability's with its two intervals:
    `probability_intervals`), mean and maximum regret, and the share of scenarios where the
    robustness objective is at most the threshold; `chosen` marks the policy with the largest
    share (ties: the least mean regret on that objective)."""
    r = regret(means)
    intervals = probability_intervals(means, objectives, replicates, parameters)
    table: dict[str, Any] = {}
    for k, name in enumerate(objectives):
        table[name] = means[:, :, k].mean(axis=1)
        table |= intervals.get(name, {})
        table[f"{name}_regret_mean"] = r[:, :, k].mean(axis=1)
        table[f"{name}_regret_max"] = r[:, :, k].max(axis=1)
        table[f"{name}_sign_share"] = sign_share(means[:, :, k])
    k = list(objectives).index(robust)
    table["threshold_share"] = (means[:, :, k] <= threshold).mean(axis=1)
    frame = pd.DataFrame(table)
    order = np.lexsort((frame[f"{robust}_regret_mean"], -frame["threshold_share"]))
    frame["chosen"] = False
    frame.loc[order[0], "chosen"] = True
    return frame


def scenario_table(
    means: np.ndarray, policies: Sequence[int], scenarios: pd.DataFrame, objectives: Sequence[str]
) -> pd.DataFrame:
    """Long table: one row per (policy, scenario) with the uncertainties and objective means."""
    count = len(scenarios)
    frame = pd.concat([scenarios] * len(policies), ignore_index=True)
    frame.insert(0, "policy", np.repeat(np.asarray(policies), count))
    for k, name in enumerate(objectives):
        frame[name] = means[:, :, k].reshape(-1)
    return frame


def failure_boxes(
    scenarios: pd.DataFrame, failed: np.ndarray, what: str
) -> tuple[list[Any], str | None]:
    """PRIM boxes of the scenarios where a policy fails, and the first box in words.

    Returns no boxes (and the reason, in words) when there is nothing to explain: no
    uncertainty, no failure, or failure everywhere.
    """

    x = factor_frame(scenarios.rename(columns={SAMPLED_SCENARIO: "design_point"}))
    if x.shape[1] == 0:
        return [], "no uncertainties: nothing to explain failure by"
    if not failed.any():
        return [], f"the policy never fails: {what} in no scenario"
    if failed.all():
        return [], f"the policy fails everywhere: {what} in every scenario"
    boxes = find_boxes(x, failed)
    if not boxes:
        return [], "PRIM found no box"
    return boxes, describe_box(boxes[0], 1, what)
