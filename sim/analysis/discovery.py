"""Scenario discovery: which box of factor values holds the cases where escalation is likely.

PRIM (Friedman and Fisher 1999; Bryant and Lempert 2010) peels a box around the cases of
interest: at each step it removes a thin slice of one factor's range (or one category) so that
the share of cases of interest inside the box (*density*) rises, while the share of all cases
of interest that the box keeps (*coverage*) falls. The sequence of boxes is the *peeling
trajectory*; one of its boxes is reported in plain words.

The algorithm is EMA Workbench's (``ema_workbench.analysis.prim``, the optional extra
``discovery``), run on this project's own tables:

* ``unit="points"`` (default): one case per design point; a case is of interest when
  P(rung >= k by month T) over its replicates is at least ``threshold``.
* ``unit="runs"``: one case per run; a case is of interest when the run reached rung k by
  month T. The war outcome each run drew (when the scenario leaves it uncertain) is then a
  factor too, so a box can say "war outcome favorable".

Categorical factors (the scenario, the war outcome, any factor given as a list of strings)
are peeled category by category. EMA's PRIM drops a column named ``scenario``, so the
scenario enters as ``base_scenario``.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.probabilities import reached_by
from sim.analysis.sweep_analysis import IncompleteSweep
from sim.engine.store import read_table
from sim.engine.sweep_directory import is_complete, read_parts
from sim.model import params as P

INSTALL_HINT = (
    "scenario discovery needs EMA Workbench: pip install 'kz-escalation-sim[discovery]' "
    "(from the project root: pip install -e '.[discovery]'; or pip install ema-workbench)"
)
SCENARIO = "base_scenario"
WAR_DRAW = "war_outcome"
GROUP_NAMES = {
    "war": "war",
    "russia": "Russia",
    "kazakhstan": "Kazakhstan",
    "china": "China",
    "turkey": "Turkey",
    "eu": "EU",
    "partners": "partners'",
    "trade": "trade",
    "leverage": "leverage",
}
WEAK_QP = 0.05  # a restriction whose quasi-p value exceeds this is not significant


class MissingDependency(ImportError):
    """EMA Workbench is not installed."""


def load_prim() -> Any:
    """EMA Workbench's prim module (quietly: it warns about optional extras on import)."""

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError as error:
        raise MissingDependency(INSTALL_HINT) from error
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


# --- cases --------------------------------------------------------------------------------------
def factor_frame(design: pd.DataFrame) -> pd.DataFrame:
    """The design's factors as PRIM reads them: numbers stay numbers, the rest categories."""
    x = design.drop(columns=["design_point"]).rename(columns={"scenario": SCENARIO})
    for column in x.columns:
        if not pd.api.types.is_numeric_dtype(x[column]) or pd.api.types.is_bool_dtype(x[column]):
            x[column] = x[column].astype(str).astype("category")
    return x.reset_index(drop=True)


def point_cases(
    design: pd.DataFrame, summary: pd.DataFrame, rung: int, month: int, threshold: float
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One case per design point: (factors, of interest, P(rung >= k by T))."""
    hit = pd.Series(reached_by(summary, rung, month), index=summary.index, dtype=float)
    p = hit.groupby(summary["design_point"]).mean()
    design = design[design["design_point"].isin(p.index)].reset_index(drop=True)
    p = p.reindex(design["design_point"]).to_numpy()
    return factor_frame(design), p >= threshold, p


def run_cases(
    design: pd.DataFrame, summary: pd.DataFrame, rung: int, month: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """One case per run: (factors with the drawn war outcome when it varies, reached)."""
    rows = design.set_index("design_point").loc[summary["design_point"]].reset_index()
    x = factor_frame(rows)
    if WAR_DRAW in summary and summary[WAR_DRAW].nunique() > 1 and "war.outcome" not in x:
        x[WAR_DRAW] = summary[WAR_DRAW].astype(str).astype("category").to_numpy()
    return x, reached_by(summary, rung, month)


# --- PRIM ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class Box:
    """One PRIM box: its peeling trajectory, the chosen step and that step's limits."""

    trajectory: pd.DataFrame  # step, coverage, density, mass, res_dim, n, k
    chosen: int
    limits: pd.DataFrame  # one row per factor (see box_limits)


def find_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    boxes: int = 1,
    mass_min: float = 0.05,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    density: float = 0.8,
    step: int | None = None,
) -> list[Box]:
    """Run EMA Workbench's PRIM and pick one step of each box's trajectory.

    Args:
        x: the factors, one row per case (numeric or categorical columns).
        y: whether each case is of interest.
        boxes: how many boxes to find (each next box on the cases the earlier ones left).
        mass_min: the smallest share of cases a box may hold (stops the peeling).
        peel_alpha, paste_alpha: the share peeled (pasted) per step.
        density: the chosen step is the one with the largest coverage among those with at
            least this density (else the densest).
        step: choose this step of the trajectory instead (first box only).
    """
    prim = load_prim()
    algorithm = prim.Prim(
        x,
        np.asarray(y, dtype=int),
        peel_alpha=peel_alpha,
        paste_alpha=paste_alpha,
        mass_min=mass_min,
    )
    found = []
    for index in range(boxes):
        if not np.asarray(y, dtype=bool).any():
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = algorithm.find_box()
        if box is None:
            break
        trajectory = _trajectory(box.peeling_trajectory)
        chosen = choose_step(trajectory, density) if step is None or index else step
        if not 0 <= chosen < len(trajectory):
            raise ValueError(f"box={step}: the trajectory has steps 0..{len(trajectory) - 1}")
        found.append(Box(trajectory, chosen, box_limits(box, chosen, algorithm.box_init)))
    return found


def _trajectory(peeling: pd.DataFrame) -> pd.DataFrame:
    table = peeling.rename(columns={"id": "step"})
    columns = ["step", "coverage", "density", "mass", "res_dim", "n", "k"]
    return table[columns].astype({"step": int, "res_dim": int, "n": int, "k": int})


def choose_step(trajectory: pd.DataFrame, density: float) -> int:
    """The step with the largest coverage among those at least `density` dense (else the
    densest step; ties go to the earlier, less restricted box)."""
    dense = trajectory[trajectory["density"] >= density]
    if len(dense):
        return int(dense["step"].iloc[int(np.argmax(dense["coverage"].to_numpy()))])
    return int(trajectory["step"].iloc[int(np.argmax(trajectory["density"].to_numpy()))])


def box_limits(box: Any, step: int, init: pd.DataFrame) -> pd.DataFrame:
    """Every factor's full range and its range in the box at `step`, with quasi-p values."""
    limits = box.box_lims[step]
    # The quasi-p values of each restricted factor (-1: that side is not restricted). Read
    # from `p_values`: EMA's inspect(style="data") fails on categorical restrictions with
    # pandas 2 (it writes a set into a float frame).
    qp = {
        name: np.where(np.asarray(v, dtype=float) < 0, np.nan, np.asarray(v, dtype=float))
        for name, v in box.p_values[step].items()
    }
    rows = []
    for name in init.columns:
        low, high = limits[name].iloc[0], limits[name].iloc[1]
        full_low, full_high = init[name].iloc[0], init[name].iloc[1]
        categorical = isinstance(full_low, set)
        q = qp.get(name, np.array([np.nan, np.nan], dtype=float))
        rows.append(
            {
                "factor": name,
                "kind": "categorical" if categorical else "numeric",
                "low": np.nan if categorical else float(low),
                "high": np.nan if categorical else float(high),
                "values": ", ".join(sorted(map(str, low))) if categorical else "",
                "full_low": np.nan if categorical else float(full_low),
                "full_high": np.nan if categorical else float(full_high),
                "full_values": ", ".join(sorted(map(str, full_low))) if categorical else "",
                "restricted": name in qp,
                "qp_low": float(q[0]),
                "qp_high": float(q[1]),
                "label": factor_label(name),
                "unit": factor_unit(name),
            }
        )
    return pd.DataFrame(rows)


# --- words --------------------------------------------------------------------------------------
def factor_label(name: str) -> str:
    """'Kazakhstan drift pace', 'war outcome', 'scenario', 'war outcome (drawn per run)'."""
    if name == SCENARIO:
        return "scenario"
    if name == WAR_DRAW:
        return "war outcome (drawn per run)"
    if name in P.PARAMS_BY_PATH:
        spec = P.PARAMS_BY_PATH[name]
        return f"{GROUP_NAMES.get(spec.group, spec.group)} {spec.name.replace('_', ' ')}"
    return name.replace("_", " ")


def factor_unit(name: str) -> str:
    spec = P.PARAMS_BY_PATH.get(name)
    return "" if spec is None or spec.unit == "1" or spec.choices else spec.unit


def _number(x: float) -> str:
    return f"{x:.3g}"


def restriction_words(row: Mapping[str, Any]) -> str:
    """One restriction in words: 'Kazakhstan drift pace at least 0.006 (1/month)'."""
    if row["kind"] == "categorical":
        values = row["values"].split(", ")
        which = values[0] if len(values) == 1 else "one of " + ", ".join(values)
        return f"{row['label']} {which}"
    low_cut = row["low"] > row["full_low"]
    high_cut = row["high"] < row["full_high"]
    if low_cut and high_cut:
        text = f"from {_number(row['low'])} to {_number(row['high'])}"
    elif low_cut:
        text = f"at least {_number(row['low'])}"
    else:
        text = f"at most {_number(row['high'])}"
    unit = f" ({row['unit']})" if row["unit"] else ""
    return f"{row['label']} {text}{unit}"


def describe_box(box: Box, number: int, target: str) -> str:
    """The chosen box in plain words, its statistics, and what each factor means."""
    stats = box.trajectory.iloc[box.chosen]
    limits = box.limits[box.limits["restricted"]]
    qp = limits[["qp_low", "qp_high"]].max(axis=1, skipna=True)
    strong, weak = limits[~(qp > WEAK_QP)], limits[qp > WEAK_QP]
    lines = [f"Box {number} (step {box.chosen} of {len(box.trajectory) - 1}): {target} when"]
    if strong.empty and weak.empty:
        lines.append("  (no factor restricted: the cases of interest are spread everywhere)")
    lines.append("  " + "\n  and ".join(restriction_words(r) for _, r in strong.iterrows()))
    lines.append(
        f"  coverage {stats['coverage']:.0%} (share of all cases of interest inside the box), "
        f"density {stats['density']:.0%} (share of cases inside that are of interest), "
        f"mass {stats['mass']:.0%} ({int(stats['n'])} cases)"
    )
    if len(weak):
        lines.append(
            "  also slightly restricted, not significant (quasi-p > 0.05): "
            + "; ".join(restriction_words(r) for _, r in weak.iterrows())
        )
    for _, r in limits.iterrows():
        spec = P.PARAMS_BY_PATH.get(r["factor"])
        if spec is not None:
            lines.append(f"    {r['factor']}: {spec.doc}")
    return "\n".join(line for line in lines if line.strip())


# --- a sweep directory -----------------------------------------------------------------------
def discover(
    directory: str | Path,
    rung: int,
    month: int,
    unit: str = "points",
    threshold: float = 0.5,
    allow_incomplete: bool = False,
    **prim_options: Any,
) -> tuple[list[Box], dict[str, Any]]:
    """PRIM on a sweep: the boxes, and the settings and counts that produced them.

    Args:
        directory: a sweep directory.
        rung, month: the escalation of interest: rung k or higher within the first T months.
        unit: "points" (cases are design points, of interest when P >= threshold) or "runs".
        threshold: the probability that makes a design point a case of interest.
        allow_incomplete: use the chunks present in an incomplete sweep.
        prim_options: passed to ``find_boxes`` (boxes, mass_min, peel_alpha, paste_alpha,
            density, step).

    Raises:
        MissingDependency: EMA Workbench is not installed.
        ValueError: a bad option (the message names it).
    """
    from omegaconf import OmegaConf

    directory = Path(directory)
    load_prim()  # fail early, before reading anything
    if not is_complete(directory) and not allow_incomplete:
        raise IncompleteSweep(
            f"{directory} is an incomplete sweep: finish it, or pass allow_incomplete=true"
        )
    cfg = OmegaConf.load(directory / "config.yaml")
    _check(rung, month, unit, threshold, int(cfg.months))
    design = read_table(directory / "design.parquet")
    columns = ["design_point", f"month_rung_{rung}"] + ([WAR_DRAW] if unit == "runs" else [])
    summary = read_parts(directory, "summary", columns)
    if unit == "points":
        x, y, _ = point_cases(design, summary, rung, month, threshold)
    else:
        x, y = run_cases(design, summary, rung, month)
    settings = {
        "rung": rung,
        "month": month,
        "unit": unit,
        "threshold": threshold if unit == "points" else None,
        "cases": int(len(y)),
        "cases_of_interest": int(np.sum(y)),
        **prim_options,
    }
    return find_boxes(x, y, **prim_options), settings


def _check(rung: int, month: int, unit: str, threshold: float, horizon: int) -> None:
    if rung not in range(1, 6):
        raise ValueError(f"rung = {rung} is not allowed: expected 1..5")
    if not 1 <= month <= horizon:
        raise ValueError(f"month = {month} is not allowed: expected 1..{horizon} (the horizon)")
    if unit not in ("points", "runs"):
        raise ValueError(f"unit = {unit!r} is not allowed: expected points or runs")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold = {threshold} is not allowed: expected a number in (0, 1]")


def target_words(settings: Mapping[str, Any]) -> str:
    what = f"rung {settings['rung']} or higher by month {settings['month']}"
    if settings["unit"] == "points":
        return f"P({what}) >= {settings['threshold']:g}"
    return f"runs reach {what}"


def discovery_tables(boxes: Sequence[Box]) -> dict[str, pd.DataFrame]:
    """The trajectories and the chosen boxes' limits, each with a ``box`` column."""
    trajectory = (
        pd.concat(
            [
                b.trajectory.assign(box=i + 1, chosen=b.trajectory["step"] == b.chosen)
                for i, b in enumerate(boxes)
            ],
            ignore_index=True,
        )
        if boxes
        else pd.DataFrame()
    )
    limits = (
        pd.concat(
            [b.limits.assign(box=i + 1, step=b.chosen) for i, b in enumerate(boxes)],
            ignore_index=True,
        )
        if boxes
        else pd.DataFrame()
    )
    return {"trajectory": trajectory, "limits": limits}


def output_directory(directory: Path, settings: Mapping[str, Any]) -> Path:
    """<dir>/discovery/rung4_month120_points (one folder per question)."""
    name = f"rung{settings['rung']}_month{settings['month']}_{settings['unit']}"
    return Path(directory) / "discovery" / name
