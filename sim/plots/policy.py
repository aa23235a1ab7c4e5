"""Figures of a policy search: the Pareto set, risk against cost, robustness, failures.

A policy directory (``python -m sim policy``, docs/policy.md) holds every policy the search
evaluated, the non-dominated (Pareto) ones, and the re-evaluation of those and of the status
quo on a fresh ensemble of scenarios. Every objective is a cost: lower is better. The status
quo (the base scenario's own lever values, the *reference* policy) is drawn in black, dashed
or as a star, in every figure.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from sim.analysis.discovery import WEAK_QP, factor_label, factor_unit
from sim.analysis.stats import mean_interval, wilson_interval
from sim.engine.store import read_manifest, read_table
from sim.model.params import PARAMS_BY_PATH
from sim.plots.style import OKABE_ITO, UNIT_WORDS, wrap_title
from sim.studies.ablation import ROBUST_SHARE  # one wording rule for every claim
from sim.studies.policy.evaluate import SAMPLED_SCENARIO
from sim.studies.policy.objectives import OBJECTIVES

REFERENCE_WORDS = "status quo (the base scenario's levers)"
PARETO_COLOUR = OKABE_ITO[0]
CHOSEN_COLOUR = OKABE_ITO[0]  # blue: apart from the orange regret scale
FAIL_COLOUR = OKABE_ITO[3]
#: A white halo under black lines and stars: they stay visible on dark colours too.
HALO = [patheffects.withStroke(linewidth=4.5, foreground="white")]


# --- a policy directory: data ----------------------------------------------------------------
@dataclass
class PolicyResult:
    """What the policy figures need, read from a complete policy directory.

    Attributes:
        name: the experiment's name; scenario: the base scenario; runs: runs in all.
        levers: lever paths with their searched range (low, high), in config order.
        uncertainties: uncertainty paths with their range.
        objectives: objective names, the first the risk the trade-off figure plots.
        robust_objective, threshold: a policy meets the threshold in a scenario when the
            robust objective's mean over that scenario's replicates is at most `threshold`.
        settings: the config's `search` and `robustness` sections.
        evaluations, pareto, robustness, scenarios: the tables of the same names.
        failure_box: the PRIM box limits of the chosen policy's failures (None if absent),
            failure_text: the box in words (empty if absent).
        lever_effects: each lever alone at both ends and the share of scenarios (posterior
            draws) in which its effect's sign holds (None for a study without them).
    """

    name: str
    scenario: str
    runs: int
    levers: dict[str, tuple[float, float]]
    uncertainties: dict[str, tuple[float, float]]
    objectives: list[str]
    robust_objective: str
    threshold: float
    settings: dict
    evaluations: pd.DataFrame
    pareto: pd.DataFrame
    robustness: pd.DataFrame
    scenarios: pd.DataFrame
    failure_box: pd.DataFrame | None
    failure_text: str
    lever_effects: pd.DataFrame | None = None

    @property
    def label(self) -> str:
        """'<experiment>, N runs' for titles."""
        return f"{self.name}, {self.runs:,} runs"

    @property
    def reference(self) -> pd.Series | None:
        """The status quo's row of the evaluations (None if the search did not evaluate it)."""
        rows = self.evaluations[self.evaluations["reference"].astype(bool)]
        return rows.iloc[0] if len(rows) else None

    @property
    def chosen(self) -> int | None:
        """The id of the most robust policy (None if no row is marked chosen)."""
        rows = self.robustness[self.robustness["chosen"].astype(bool)]
        return int(rows["policy"].iloc[0]) if len(rows) else None


def flat_ranges(tree: dict) -> dict[str, tuple[float, float]]:
    """{china: {reliability: {range: [lo, hi]}}} as {"china.reliability": (lo, hi)}."""
    return {
        f"{group}.{name}": (float(spec["range"][0]), float(spec["range"][1]))
        for group, members in (tree or {}).items()
        for name, spec in members.items()
    }


def load_policy(directory: Path) -> PolicyResult:
    """Read a complete policy directory's settings and tables."""
    from omegaconf import OmegaConf

    directory = Path(directory)
    cfg = OmegaConf.to_container(OmegaConf.load(directory / "config.yaml"), resolve=True)
    manifest = read_manifest(directory)
    box = directory / "failure_boxes.parquet"
    effects = directory / "lever_effects.parquet"
    robust = cfg.get("robustness", {})
    return PolicyResult(
        name=str(cfg.get("name") or manifest.get("experiment") or directory.name),
        scenario=str(cfg.get("scenario", "")),
        runs=int(manifest.get("runs", 0)),
        levers=flat_ranges(cfg.get("levers", {})),
        uncertainties=flat_ranges(cfg.get("uncertainties", {})),
        objectives=[str(o) for o in cfg.get("objectives", [])],
        robust_objective=str(robust.get("objective", cfg["objectives"][0])),
        threshold=float(robust.get("threshold", np.nan)),
        settings={"search": cfg.get("search", {}), "robustness": robust},
        evaluations=read_table(directory / "evaluations.parquet"),
        pareto=read_table(directory / "pareto.parquet"),
        robustness=read_table(directory / "robustness.parquet"),
        scenarios=read_table(directory / "scenarios.parquet"),
        failure_box=read_table(box) if box.is_file() else None,
        failure_text=str(manifest.get("failure_box") or ""),
        lever_effects=read_table(effects) if effects.is_file() else None,
    )


# --- labels ----------------------------------------------------------------------------------
def unit_words(unit: str) -> str:
    """A unit as the figures write it ('1' is an index, '2021 budget' a multiple of it)."""
    return UNIT_WORDS.get(unit, unit)


def lever_label(path: str) -> str:
    """'China reliability (probability)', 'Russia base resolve (index)': a lever's (or an
    uncertainty's) name and unit."""

    spec = PARAMS_BY_PATH.get(path)
    unit = factor_unit(path) or ("1" if spec is not None and not spec.choices else "")
    return f"{factor_label(path)} ({unit_words(unit)})" if unit else factor_label(path)


def objective_label(name: str, unit: bool = True) -> str:
    """'P(rung ≥ 4) (probability)': the objective's short label and unit, from its registry."""

    objective = OBJECTIVES.get(name)
    if objective is None:
        return name
    return f"{objective.label} ({objective.unit})" if unit else objective.label


def wrapped(text: str, width: int = 16) -> str:
    """Text broken into lines of at most `width` characters (axis names side by side)."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False))


def number(x: float) -> str:
    return f"{x:.3g}"


def scenarios_words(count: int) -> str:
    return f"{count} scenario" + ("" if count == 1 else "s")


def is_probability(objective: str) -> bool:
    """Whether an objective is a share of runs (its mean has a Wilson interval)."""
    return OBJECTIVES.get(objective) is not None and OBJECTIVES[objective].unit == "probability"


def probability_errors(values: pd.Series | np.ndarray, runs: int) -> np.ndarray:
    """The 95% Wilson interval of shares of `runs` runs, as errorbar's (below, above) rows."""
    p = np.asarray(values, dtype=float)
    low, high = wilson_interval(np.round(p * runs), runs)
    return np.vstack([p - low, high - p])


def policy_name(row: pd.Series, chosen: int | None = None) -> str:
    """'policy 12', 'status quo (policy 0)', 'policy 5: chosen (most robust)'."""
    name = f"policy {int(row['policy'])}"
    if bool(row["reference"]):
        name = f"status quo ({name})"
    if chosen is not None and int(row["policy"]) == chosen:
        name += ": chosen (most robust)"
    return name


# --- 1. the Pareto set as parallel coordinates -----------------------------------------------
def axis_scales(result: PolicyResult) -> dict[str, tuple[float, float]]:
    """Each axis' (low, high): a lever's searched range, an objective's range over the Pareto
    set; both widened to take in the status quo."""
    reference = result.reference
    scales = dict(result.levers)
    for name in result.objectives:
        scales[name] = (float(result.pareto[name].min()), float(result.pareto[name].max()))
    if reference is not None:
        for column, (low, high) in scales.items():
            value = float(reference[column])
            scales[column] = (min(low, value), max(high, value))
    return scales


def scaled(values: pd.Series | np.ndarray, low: float, high: float) -> np.ndarray:
    """Values on a 0-1 axis from low to high (0.5 when the axis has a single value)."""
    values = np.asarray(values, dtype=float)
    return (values - low) / (high - low) if high > low else np.full(values.shape, 0.5)


def pareto_parallel_figure(result: PolicyResult) -> Figure:
    """The Pareto set in parallel coordinates, one horizontal axis per lever, then per objective.

    The axes are stacked top to bottom, so that 17 of them keep their names on one line at a
    report's width (side by side they needed a 20-inch figure). Each axis runs from its own
    low (left) to high (right), written at its ends; a line is a policy, coloured by the first
    objective. The status quo is the black dashed line.
    """
    columns = [*result.levers, *result.objectives]
    scales = axis_scales(result)
    levers = len(result.levers)
    gap = 0.9  # between the levers and the objectives, for the second heading
    y = np.array([i + (gap if i >= levers else 0.0) for i in range(len(columns))])
    fig = Figure(figsize=(10.0, 0.42 * len(columns) + 2.6), layout="constrained")
    ax = fig.add_subplot()
    first = result.objectives[0]
    norm = Normalize(*scales[first])
    cmap = colormaps["viridis"]
    ax.axhspan(y[levers] - 0.5, y[-1] + 0.5, color="0.94", zorder=0)
    for _, policy in result.pareto.sort_values(first, ascending=False).iterrows():
        x = [scaled([policy[c]], *scales[c])[0] for c in columns]
        ax.plot(x, y, color=cmap(norm(policy[first])), lw=1.5, alpha=0.9, zorder=2)
    reference = result.reference
    if reference is not None:
        x = [scaled([reference[c]], *scales[c])[0] for c in columns]
        ax.plot(x, y, color="black", lw=2.2, ls="--", zorder=4, path_effects=HALO)
    for row, column in zip(y, columns, strict=True):
        low, high = scales[column]
        ax.hlines(row, 0, 1, color="0.35", lw=0.8, zorder=1)
        for x, value, ha in ((0, low, "right"), (1, high, "left")):
            ax.annotate(
                number(value),
                (x, row),
                xytext=(-5 if x == 0 else 5, 0),
                textcoords="offset points",
                ha=ha,
                va="center",
                fontsize=8,
            )
    names = [lever_label(c) for c in result.levers] + [
        objective_label(o) for o in result.objectives
    ]
    ax.set_yticks(y, names, fontsize=9)
    ax.tick_params(axis="y", length=0, pad=34)  # room for the low ends' numbers
    ax.set_xticks([])
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(y[-1] + 0.7, -1.1)
    for spine in ax.spines.values():
        spine.set_visible(False)
    headings = ((0, "Levers (set by the partners and Kazakhstan)"),
                (levers, "Objectives (costs: lower is better)"))  # fmt: skip
    for start, text in headings:
        if start < len(columns):
            ax.text(
                0.5, y[start] - 0.75, text, ha="center", va="center", fontsize=9, weight="bold",
                bbox={"fc": "white", "ec": "none", "pad": 1}, zorder=5,
            )  # fmt: skip
    fig.colorbar(
        ScalarMappable(norm, cmap), ax=ax, label=wrapped(objective_label(first), 30), shrink=0.6
    )
    handles = [Line2D([], [], color=cmap(0.5), lw=1.5, label="a Pareto policy")]
    if reference is not None:
        handles.append(Line2D([], [], color="black", ls="--", lw=2.2, label=REFERENCE_WORDS))
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=9)
    fig.suptitle(
        f"The {len(result.pareto)} non-dominated policies ({result.label})\n"
        "each axis from its lowest (left) to highest value (right); levers: the searched range",
        fontsize=10,
    )
    return fig


# --- 2. risk against cost --------------------------------------------------------------------
def front_2d(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats on both x and y, ordered by x."""
    order = np.lexsort((y, x))
    best, kept = np.inf, []
    for i in order:
        if y[i] < best:
            kept.append(i)
            best = y[i]
    return np.array(kept, dtype=int)


def policy_tradeoff_figure(result: PolicyResult) -> Figure | None:
    """The first objective (the risk) against each other objective (a cost): one panel each.

    Grey: every evaluated policy; blue: the Pareto set, with the best risk reachable at each
    cost as a step line; black star: the status quo. None with a single objective.
    """
    risk, costs = result.objectives[0], result.objectives[1:]
    if not costs:
        return None
    columns = min(3, len(costs))
    rows = math.ceil(len(costs) / columns)
    fig = Figure(figsize=(4.2 * columns + 0.6, 3.5 * rows + 1.4), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False, sharey=True).ravel()
    evaluations, pareto, reference = result.evaluations, result.pareto, result.reference
    runs = int(result.settings["search"].get("runs", 0) or 0)
    for ax, cost in zip(axes, costs, strict=False):
        ax.scatter(evaluations[cost], evaluations[risk], s=10, color="0.78", lw=0, zorder=1)
        ax.scatter(pareto[cost], pareto[risk], s=26, color=PARETO_COLOUR, zorder=3)
        if runs and (is_probability(risk) or is_probability(cost)):
            ax.errorbar(
                pareto[cost],
                pareto[risk],
                yerr=probability_errors(pareto[risk], runs) if is_probability(risk) else None,
                xerr=probability_errors(pareto[cost], runs) if is_probability(cost) else None,
                fmt="none",
                ecolor=PARETO_COLOUR,
                elinewidth=0.8,
                alpha=0.55,
                zorder=2,
            )
        edge = front_2d(pareto[cost].to_numpy(float), pareto[risk].to_numpy(float))
        ax.step(
            pareto[cost].to_numpy()[edge],
            pareto[risk].to_numpy()[edge],
            where="post",
            color=PARETO_COLOUR,
            lw=1,
            alpha=0.6,
            zorder=2,
        )
        if reference is not None:
            ax.scatter(
                reference[cost],
                reference[risk],
                s=170,
                marker="*",
                color="black",
                zorder=4,
                path_effects=HALO,
            )
        ax.set_xlabel(wrapped(objective_label(cost), 40), fontsize=9)
        ax.grid(alpha=0.3)
        ax.text(  # in the corner the dominated policies fill, not over the front
            0.97,
            0.97,
            "better: ↙",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="0.25",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7"},
        )
    for ax in axes[len(costs) :]:  # x axes differ: every panel keeps its own x label
        ax.set_visible(False)
    for ax in axes[::columns]:
        ax.set_ylabel(wrapped(objective_label(risk), 30), fontsize=9)
    handles = [
        Line2D([], [], ls="", marker="o", ms=4, color="0.78", label="every policy evaluated"),
        Line2D([], [], ls="", marker="o", ms=5, color=PARETO_COLOUR, label="Pareto set"),
        Line2D(
            [],
            [],
            color=PARETO_COLOUR,
            lw=0.8,
            alpha=0.55,
            label=f"95% Wilson interval of a share ({runs:,} runs per policy)",
        ),  # fmt: skip
        Line2D([], [], color=PARETO_COLOUR, lw=1, alpha=0.6, label="lowest risk at each cost"),
    ]
    if reference is not None:
        handles.append(
            Line2D([], [], ls="", marker="*", ms=12, color="black", label=REFERENCE_WORDS)
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    fig.get_layout_engine().set(w_pad=0.12)  # tick labels of neighbouring panels stay apart
    fig.suptitle(
        f"Escalation risk against each cost: {len(evaluations)} policies evaluated "
        f"({result.label})\nlower left is better: less risk for less cost",
        fontsize=10,
    )
    return fig


# --- 3. robustness on the fresh ensemble -----------------------------------------------------
def robustness_matrix(result: PolicyResult) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The re-evaluated policies, most robust first, with the heatmap's colours and numbers.

    Returns (rows, colour, shown): colour[i, j] is policy i's mean regret on objective j
    scaled to the column's range (0 = the least regret of these policies, 1 = the most), and,
    in the last column, its threshold share on the same scale (0 = the highest share); shown
    holds the objective's mean and, last, the threshold share.
    """
    rows = result.robustness.sort_values(
        ["threshold_share", result.robust_objective], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    regrets = [rows[f"{name}_regret_mean"].to_numpy(float) for name in result.objectives]
    share = rows["threshold_share"].to_numpy(float)
    colour = [*(min_max(r) for r in regrets), min_max(-share)]
    shown = [*(rows[name].to_numpy(float) for name in result.objectives), share]
    return rows, np.column_stack(colour), np.column_stack(shown)


def min_max(cost: np.ndarray) -> np.ndarray:
    """A cost scaled from its lowest (0) to its highest value (1); 0 throughout if all equal."""
    low, high = np.nanmin(cost), np.nanmax(cost)
    return (cost - low) / (high - low) if high > low else np.zeros_like(cost)


def robustness_heatmap_figure(result: PolicyResult) -> Figure:
    """Regret of each re-evaluated policy (rows, most robust first) on each objective.

    The colour is the policy's mean regret (how much worse it does than the best re-evaluated
    policy in the same scenario, averaged over the scenarios), scaled per column; the number
    is the objective's mean over the fresh ensemble. The last column is the share of
    scenarios in which the robust objective stays at or under the threshold.
    """
    rows, colour, shown = robustness_matrix(result)
    count, columns = colour.shape
    bounds = robustness_intervals(result, rows)
    fig = Figure(figsize=(max(7.5, 1.25 * columns + 4.5), 0.6 * count + 3.4), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(colour, cmap="Oranges", vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(shown):
        low, high = bounds[i, j]
        if j == columns - 1:
            text = f"{value:.0%}\n[{low:.0%}, {high:.0%}]"
        else:
            text = f"{number(value)}\n[{number(low)}, {number(high)}]"
        ax.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            fontsize=7,
            linespacing=1.1,
            color="white" if colour[i, j] > 0.6 else "black",
        )
    ax.axvline(columns - 1.5, color="white", lw=4)  # the threshold column stands apart
    _mark_rows(ax, rows, columns, result.chosen)
    share = (
        f"share of scenarios with {objective_label(result.robust_objective, unit=False)} "
        f"≤ {result.threshold:g}"
    )
    heads = [objective_label(o) for o in result.objectives] + [share]
    ax.set_xticks(range(columns), [wrapped(h, 18) for h in heads], fontsize=8)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    names = [policy_name(r, result.chosen) for _, r in rows.iterrows()]
    ax.set_yticks(range(count), names, fontsize=8)
    for label, (_, row) in zip(ax.get_yticklabels(), rows.iterrows(), strict=True):
        if bool(row["reference"]) or int(row["policy"]) == result.chosen:
            label.set_fontweight("bold")
        if int(row["policy"]) == result.chosen:
            label.set_color(CHOSEN_COLOUR)
    ax.set_ylabel("Re-evaluated policy (most robust at the top)", fontsize=9)
    fig.colorbar(
        image,
        ax=ax,
        shrink=0.8,
        label=wrapped(
            "Mean regret, scaled per column (0 = the least of these policies, 1 = the "
            "most); last column: 0 = the highest share",
            36,
        ),
    )
    scenarios = int(result.scenarios[SAMPLED_SCENARIO].nunique())
    fig.suptitle(
        f"Robustness on {scenarios} fresh scenarios ({result.label})\nnumbers: mean of each "
        "objective over the scenarios [95% interval: t over scenarios; share: Wilson]; colour: "
        "regret against the best policy in each scenario",
        fontsize=10,
    )
    return fig


def robustness_intervals(result: PolicyResult, rows: pd.DataFrame) -> np.ndarray:
    """95% intervals of the heatmap's numbers: [policy, column, (low, high)].

    An objective's mean over the fresh scenarios gets Student's t interval over those
    scenarios (the scenarios differ far more than the replicates within one); the share of
    scenarios under the threshold gets a Wilson interval with the number of scenarios.
    """
    by_policy = dict(list(result.scenarios.groupby("policy")))
    bounds = np.full((len(rows), len(result.objectives) + 1, 2), np.nan)
    for i, policy in enumerate(rows["policy"]):
        mine = by_policy.get(policy)
        if mine is None:
            continue
        for j, name in enumerate(result.objectives):
            interval = mean_interval(mine[name].to_numpy(float))
            bounds[i, j] = interval.lower, interval.upper
            if is_probability(name):  # a share cannot leave 0-1, whatever t says
                bounds[i, j] = np.clip(bounds[i, j], 0.0, 1.0)
        share = float(rows["threshold_share"].iloc[i])
        low, high = wilson_interval(round(share * len(mine)), len(mine))
        bounds[i, -1] = float(low), float(high)
    return bounds


def _mark_rows(ax, rows: pd.DataFrame, columns: int, chosen: int | None) -> None:
    """Outline the chosen policy's row (red) and the status quo's (black, dashed)."""
    for i, row in rows.iterrows():
        if bool(row["reference"]):
            style = {"edgecolor": "black", "linestyle": "--"}
        elif int(row["policy"]) == chosen:
            style = {"edgecolor": CHOSEN_COLOUR, "linestyle": "-"}
        else:
            continue
        ax.add_patch(
            Rectangle((-0.45, i - 0.45), columns - 0.1, 0.9, fill=False, lw=2, **style, zorder=3)
        )


# --- 4. where the chosen policy fails --------------------------------------------------------
def scenario_factors(result: PolicyResult) -> list[str]:
    """What differs between scenarios: the uncertainties, then the parameters each scenario
    draws from the posterior (the columns of the scenario table that are model parameters)."""
    drawn = [c for c in result.scenarios.columns if c in PARAMS_BY_PATH]
    return [
        *(u for u in result.uncertainties if u in drawn),
        *(c for c in drawn if c not in result.uncertainties),
    ]


def failure_drivers(result: PolicyResult, frame: pd.DataFrame) -> list[str]:
    """The numeric uncertainties and posterior-drawn parameters most associated with failure,
    most associated first.

    Those the PRIM box restricts come first (by quasi-p value); the others follow by the
    absolute rank correlation of the uncertainty with the robust objective.
    """
    numeric = [
        u
        for u in scenario_factors(result)
        if pd.api.types.is_numeric_dtype(frame[u]) and frame[u].nunique() > 1
    ]
    value = frame[result.robust_objective].rank()
    strength = {u: np.nan_to_num(abs(frame[u].rank().corr(value))) for u in numeric}
    boxed: dict[str, float] = {}
    box = result.failure_box
    if box is not None and len(box):
        restricted = box[box["restricted"].astype(bool) & box["factor"].isin(numeric)]
        for r in restricted.itertuples():
            boxed[r.factor] = float(np.nanmin([r.qp_low, r.qp_high, 1.0]))
    return sorted(numeric, key=lambda u: (u not in boxed, boxed.get(u, 0.0), -strength[u]))


def scenario_failures_figure(result: PolicyResult) -> Figure | None:
    """Where the chosen policy fails: its scenarios over the two uncertainties most associated
    with failure (left, with the PRIM box when there is one), and its robust objective along
    the first of them against the threshold (right).

    None when no policy is chosen or no uncertainty varies.
    """
    chosen = result.chosen
    if chosen is None:
        return None
    frame = result.scenarios[result.scenarios["policy"] == chosen]
    drivers = failure_drivers(result, frame)
    if not drivers:
        return None
    objective, threshold = result.robust_objective, result.threshold
    values = frame[objective].to_numpy(float)
    fails = values > threshold
    x = frame[drivers[0]].to_numpy(float)
    panels = 2 if len(drivers) > 1 else 1
    fig = Figure(figsize=(5.2 * panels + 1.8 * (panels == 1) + 0.8, 5.0), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    if panels == 2:
        _outcomes(axes[0], x, frame[drivers[1]].to_numpy(float), fails)
        _draw_box(axes[0], result.failure_box, drivers[:2])
        axes[0].set_ylabel(lever_label(drivers[1]), fontsize=9)
        hidden = hidden_limits(result.failure_box, drivers[:2])
        note = f"; the box also limits {', '.join(hidden)}" if hidden else ""
        axes[0].set_title(wrap_title(f"Each dot a scenario{note}", fig), fontsize=9)
    values_ax = axes[-1]
    replicates = int(result.settings["robustness"].get("replicates", 0) or 0)
    if replicates and is_probability(objective):
        values_ax.errorbar(
            x,
            values,
            yerr=probability_errors(values, replicates),
            fmt="none",
            ecolor="0.6",
            elinewidth=0.7,
            zorder=2,
            label=f"95% Wilson interval ({replicates} runs per scenario)",
        )
    _outcomes(values_ax, x, values, fails)
    values_ax.axhline(threshold, color="0.25", ls=":", lw=1.3, label=f"threshold {threshold:g}")
    values_ax.set_ylabel(objective_label(objective), fontsize=9)
    values_ax.set_title(f"{objective_label(objective, False)} in each scenario", fontsize=9)
    for ax in axes:
        ax.set_xlabel(lever_label(drivers[0]), fontsize=9)
        ax.grid(alpha=0.3)
    handles = {}
    for ax in axes:  # one legend for both panels, below them: it hides no scenario
        handles.update(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="outside lower center",
        ncols=4,
        frameon=False,
        fontsize=8,
    )
    what = objective_label(objective, False)
    title = (
        f"Where policy {chosen}, the most robust, fails: {what} above {threshold:g} in "
        f"{int(fails.sum())} of {len(frame)} scenarios"
        if fails.any()
        else f"Policy {chosen}, the most robust, keeps {what} at or under {threshold:g} in all "
        f"{len(frame)} scenarios"
    )
    fig.suptitle(wrap_title(f"{title} ({result.label})", fig), fontsize=10)
    return fig


def _outcomes(ax, x: np.ndarray, y: np.ndarray, fails: np.ndarray) -> None:
    """Scenarios that meet the threshold (blue dots) and those that fail it (red crosses)."""
    ax.scatter(
        x[~fails],
        y[~fails],
        s=30,
        color=OKABE_ITO[0],
        alpha=0.8,
        zorder=3,
        label=f"meets the threshold ({scenarios_words(int((~fails).sum()))})",
    )
    ax.scatter(
        x[fails],
        y[fails],
        s=46,
        marker="X",
        color=FAIL_COLOUR,
        zorder=4,
        label=f"fails it ({scenarios_words(int(fails.sum()))})",
    )


def hidden_limits(box: pd.DataFrame | None, shown: list[str]) -> list[str]:
    """The uncertainties the PRIM box limits significantly but the panel does not show."""

    if box is None or not len(box):
        return []
    qp = box[["qp_low", "qp_high"]].astype(float).max(axis=1, skipna=True)
    other = box["restricted"].astype(bool) & ~box["factor"].isin(shown) & ~(qp > WEAK_QP)
    return [factor_label(f) for f in box.loc[other, "factor"]]


def _draw_box(ax, box: pd.DataFrame | None, shown: list[str]) -> None:
    """The PRIM box (dashed) when it restricts at least one of the two uncertainties shown."""
    if box is None or not len(box):
        return
    limits = box[box["factor"].isin(shown)].set_index("factor")
    if len(limits) < 2 or not limits.loc[shown, "restricted"].astype(bool).any():
        return
    (x0, x1), (y0, y1) = (limits.loc[f, ["low", "high"]].astype(float) for f in shown)
    label = "PRIM box: where the failures concentrate"
    ax.add_patch(
        Rectangle(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            fill=False,
            ls="--",
            lw=1.5,
            color="black",
            zorder=2,
            label=label,
        )
    )


# --- 5. each lever alone, over the posterior draws --------------------------------------------
def lever_effects_figure(result: PolicyResult) -> Figure | None:
    """Each lever's effect on each objective, moved alone from the low to the high end of its
    range (the others at the status quo): one panel per objective, one bar per lever with its
    95% interval over the scenarios, and the share of scenarios (posterior draws) in which
    the effect's sign holds written beside it (with the share in which it is reversed; the
    rest show no difference). Bars whose sign holds in fewer than 80% of the
    draws are pale: a claim about them is conditional.

    None for a study without lever effects.
    """
    effects = result.lever_effects
    if effects is None or not len(effects):
        return None
    levers = list(dict.fromkeys(effects["lever"]))
    objectives = list(dict.fromkeys(effects["objective"]))
    columns = min(3, len(objectives))
    rows = math.ceil(len(objectives) / columns)
    fig = Figure(
        figsize=(4.3 * columns + 2.6, 0.36 * len(levers) * rows + 1.2 * rows + 1.6),
        layout="constrained",
    )
    axes = fig.subplots(rows, columns, squeeze=False, sharey=True).ravel()
    y = np.arange(len(levers))
    for ax, name in zip(axes, objectives, strict=False):
        mine = effects[effects["objective"] == name].set_index("lever").loc[levers]
        strong = mine["sign_share"].to_numpy(float) >= ROBUST_SHARE
        value = mine["effect"].to_numpy(float)
        colour = [OKABE_ITO[0] if s else "#a6c8e0" for s in strong]
        ax.barh(y, value, color=colour, height=0.65, zorder=2)
        ax.errorbar(
            value,
            y,
            xerr=np.vstack([value - mine["effect_lower"], mine["effect_upper"] - value]),
            fmt="none",
            ecolor="0.25",
            elinewidth=0.9,
            zorder=3,
        )
        ax.axvline(0, color="0.3", lw=0.8)
        span = max(np.nanmax(np.abs(mine[["effect_lower", "effect_upper"]].to_numpy())), 1e-12)
        ax.set_xlim(-1.6 * span, 1.6 * span)
        shares = zip(value, mine["sign_share"], mine["reversed_share"], strict=True)
        for i, (v, share, against) in enumerate(shares):
            ax.text(
                -1.55 * span if v >= 0 else 1.55 * span,
                i,
                share_words(v, share, against),
                ha="left" if v >= 0 else "right",
                va="center",
                fontsize=8,
                weight="bold" if share >= ROBUST_SHARE else "normal",
                color="0.1" if share >= ROBUST_SHARE else "0.45",
            )
        ax.set_title(wrapped(objective_label(name), 38), fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(objectives) :]:
        ax.set_visible(False)
    for ax in axes[::columns]:
        ax.set_yticks(y, [wrapped(lever_label(p), 30) for p in levers], fontsize=8)
    axes[0].invert_yaxis()
    handles = [
        Rectangle((0, 0), 1, 1, color=OKABE_ITO[0], label=f"sign holds in ≥ {ROBUST_SHARE:.0%}"),
        Rectangle((0, 0), 1, 1, color="#a6c8e0", label="in fewer: conditional"),
        Line2D([], [], color="0.25", lw=0.9, label="95% interval over the scenarios"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    scenarios = int(result.scenarios[SAMPLED_SCENARIO].nunique())
    fig.suptitle(
        wrap_title(
            f"Each lever alone, from the low to the high end of its range, the others at the "
            f"status quo ({result.label}): mean effect over {scenarios} scenarios; the "
            "percentage is the share of scenarios (posterior draws) in which its sign holds "
            "(against: reversed; the rest: no difference)",
            fig,
        ),
        fontsize=10,
    )
    return fig


def share_words(effect: float, holds: float, against: float) -> str:
    """'62%', '45% (9% against)', 'none in 100%': how often an effect's sign holds."""
    if effect == 0:
        return f"none in {holds:.0%}"
    return f"{holds:.0%}" + (f" ({against:.0%} against)" if against >= 0.005 else "")


# --- every figure ----------------------------------------------------------------------------
def policy_figure_set(result: PolicyResult) -> dict[str, Figure]:
    """Every figure that suits the policy result, by file name (without suffix)."""
    figures: dict[str, Figure] = {}
    if len(result.pareto):
        figures["pareto_parallel"] = pareto_parallel_figure(result)
    tradeoff = policy_tradeoff_figure(result)
    if tradeoff is not None:
        figures["tradeoff"] = tradeoff
    if len(result.robustness):
        figures["robustness_heatmap"] = robustness_heatmap_figure(result)
    failures = scenario_failures_figure(result)
    if failures is not None:
        figures["scenario_failures"] = failures
    effects = lever_effects_figure(result)
    if effects is not None:
        figures["lever_effects"] = effects
    return figures
