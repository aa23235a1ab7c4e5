"""How much of an answer's spread comes from the parameters, and how much from the dice.

Runs drawn from a posterior (``sim.engine.posterior_draws``) come in draws of
``RUNS_PER_DRAW`` runs sharing one parameter set, so the law of total variance splits the
variance of an outcome into a between-draws part (the parameters) and a within-draws part.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.probabilities import reached_by
from sim.analysis.run_report import parameter_range, report_months
from sim.engine.posterior_draws import RUNS_PER_DRAW
from sim.engine.store import write_table

PARAMS_TABLE = "params.parquet"
VARIANCE_TABLE = "variance_split.parquet"
SPLIT_RUNGS = (2, 3, 4, 5)
#: Cells (months x draws) of the design points `curve_parameters_sd` splits at once. Each row's
#: split is the same whatever rows share the call; a block of this size stays in the cache,
#: where all points at once (20,000 replicates, 120 months: 17 MB an array) went to memory.
BLOCK_CELLS = 2**18


def variance_split(
    summary: pd.DataFrame, draws: np.ndarray, months: Sequence[int], rungs: Sequence[int]
) -> pd.DataFrame:
    """Split Var(1{rung >= k by month T}) into parameter and dice parts (law of total variance).

    With the runs grouped by draw (one parameter set each), the one-way random-effects
    (ANOVA) estimator gives the between-draw variance of P(rung >= k by T | parameters), the
    parameters' part, and the mean within-draw variance, the dice's part.
    """

    draws = np.asarray(draws)
    _, group = np.unique(draws, return_inverse=True)
    runs = np.bincount(group).astype(float)[None, :]
    rows = []
    for rung in rungs:
        for month in months:
            reached = reached_by(summary, rung, month)
            hits = np.bincount(group, weights=reached, minlength=runs.size)[None, :]
            parameters, dice = variance_components(hits, runs)
            rows.append(_split_row(rung, month, reached.mean(), parameters[0], dice[0]))
    return pd.DataFrame(rows)


def _split_row(rung: int, month: int, p: float, parameters: float, dice: float) -> dict:
    total = parameters + dice  # NaN when the parameters' part is unidentified: shares too
    return {
        "rung": rung,
        "month": month,
        "probability": float(p),
        "sd_from_parameters": float(np.sqrt(parameters)),
        "share_parameters": parameters / total if total > 0 else total * 0.0,
        "share_dice": dice / total if total > 0 else total * 0.0,
    }


def variance_components(
    sums: np.ndarray, runs: np.ndarray, squares: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Between-draw (parameters) and within-draw (dice) variance of an outcome, per row.

    `sums` is a (rows, draws) array (or (..., draws): one result per row of the last axis):
    each row one quantity (a design point's P(rung >= k by T), a mean), each column one
    posterior draw (a draw with no runs is left out), holding the sum of the outcome over the
    draw's runs; `runs` their numbers, of the shape of `sums` or broadcast to it along the
    leading axes (rows that share their runs per draw: what depends on the runs alone is then
    computed once, to the same values); `squares` the sum of its squares (default: `sums`, as
    for a 0/1 outcome, whose counts are then all the split needs). The one-way random-effects
    (ANOVA) estimator, with the effective group size of unbalanced groups; the parameters'
    part is NaN where fewer than two draws leave it unidentified.
    """
    sums = np.atleast_2d(sums).astype(float, copy=False)
    runs = np.atleast_2d(runs).astype(float, copy=False)
    squares = sums if squares is None else np.atleast_2d(squares).astype(float, copy=False)
    n = runs.sum(axis=-1)
    drawn = runs > 0
    groups = drawn.sum(axis=-1)
    # Two buffers of the shape of `sums` for the elementwise steps: an outcome by month has
    # millions of cells, and a fresh array per step would cost more than its arithmetic.
    means, work = np.zeros(sums.shape), np.empty(sums.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(sums, runs, out=means, where=drawn)  # 0 where a draw has no runs
        mean = sums.sum(axis=-1) / n
        np.subtract(squares, np.multiply(sums, means, out=work), out=work)
        within = work.sum(axis=-1) / (n - groups)
        np.square(np.subtract(means, mean[..., None], out=work), out=work)
        between = np.multiply(runs, work, out=work).sum(axis=-1) / (groups - 1)
        size = (n - (runs**2).sum(axis=-1) / n) / (groups - 1)  # effective group size
        parameters = np.maximum(0.0, (between - within) / size)
        overall = squares.sum(axis=-1) / n - mean**2
    identified = (groups >= 2) & (n > groups)
    dice = np.where(identified, within, overall)
    return np.where(identified, parameters, np.nan), dice


def parameter_interval(
    values: np.ndarray,
    draws: np.ndarray,
    level: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> tuple[float, float]:
    """The parameters' interval of the mean of per-run `values` (0/1, or any number with
    wider `bounds`), over the posterior's draws (`draws`: each run's draw): mean +- z sd of
    the draws' means (``run_report.parameter_range``)."""
    values = np.asarray(values, dtype=float)
    _, group = np.unique(np.asarray(draws), return_inverse=True)
    sums = np.bincount(group, weights=values)
    squares = np.bincount(group, weights=values**2)
    parameters, _ = variance_components(sums, np.bincount(group), squares)
    lower, upper = parameter_range(values.mean(), np.sqrt(parameters[0]), level, bounds)
    return float(lower), float(upper)


def point_variance_split(
    summary: pd.DataFrame,
    months: Sequence[int],
    rungs: Sequence[int],
    runs_per_draw: int = RUNS_PER_DRAW,
) -> pd.DataFrame:
    """The variance split of P(rung >= k by T) at every design point of a sweep.

    A sweep on a posterior gives replicate r of every design point posterior draw
    r // runs_per_draw (``sim.engine.chunks``), so each point's runs fall into draws as a run's
    do. `summary`: one row per run with design_point, replicate and month_rung_k. Columns:
    design_point, rung, month, draws, parameters_sd, parameters_share.
    """
    points, cell, runs = draw_cells(summary, runs_per_draw)
    size = runs.size
    frames = []
    for rung in rungs:
        for month in months:
            reached = reached_by(summary, rung, month)
            hits = np.bincount(cell, weights=reached, minlength=size).reshape(runs.shape)
            parameters, dice = variance_components(hits, runs)
            total = parameters + dice
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(total > 0, parameters / total, total * 0.0)
            frames.append(
                pd.DataFrame(
                    {
                        "design_point": points,
                        "rung": rung,
                        "month": month,
                        "draws": (runs > 0).sum(axis=1),
                        "parameters_sd": np.sqrt(parameters),
                        "parameters_share": share,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def draw_cells(
    summary: pd.DataFrame, runs_per_draw: int = RUNS_PER_DRAW
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sweep's runs in (design point, posterior draw) cells: the points, each run's cell
    (point index * draws + draw) and the runs per cell, a (points, draws) array. Replicate r
    has draw r // runs_per_draw (``sim.engine.chunks``)."""
    points, point = np.unique(summary["design_point"].to_numpy(), return_inverse=True)
    draw = summary["replicate"].to_numpy(dtype=np.int64) // runs_per_draw
    width = int(draw.max()) + 1 if draw.size else 1
    cell = point * width + draw
    runs = np.bincount(cell, minlength=points.size * width).reshape(points.size, width)
    return points, cell, runs


def curve_parameters_sd(
    summary: pd.DataFrame,
    rung: int,
    months: np.ndarray,
    runs_per_draw: int = RUNS_PER_DRAW,
    cells: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The sd over the posterior's draws of P(rung >= k by month T) at every design point and
    every month of `months` (sorted), from one pass over the runs: a run reaches the rung by
    month T when its time to the rung (first month index + 1) is at most T, so each cell's
    hits by every month are a cumulative sum. `cells`: the summary's `draw_cells`, when
    already known. Columns: design_point, rung, month, parameters_sd (NaN where a point has
    fewer than two draws)."""
    points, cell, runs = draw_cells(summary, runs_per_draw) if cells is None else cells
    months = np.asarray(months, dtype=np.int64)
    first = summary[f"month_rung_{rung}"].to_numpy(dtype=float, na_value=np.nan)
    reached = np.isfinite(first)
    # the first month of `months` by which each run that reached the rung had reached it
    at = np.searchsorted(months, first[reached] + 1, side="left")
    width = months.size + 1  # the last column: reached after the last of `months`
    counts = np.bincount(cell[reached] * width + at, minlength=runs.size * width)
    counts = counts.reshape(*runs.shape, width)  # (points, draws, months + 1)
    sd = np.empty((points.size, months.size))
    step = max(1, BLOCK_CELLS // max(months.size * runs.shape[1], 1))
    for start in range(0, points.size, step):
        block = slice(start, start + step)
        hits = counts[block, :, :-1].cumsum(axis=2).transpose(0, 2, 1)  # (points, months, draws)
        # every month of a point has the point's runs per draw
        parameters, _ = variance_components(
            np.ascontiguousarray(hits, dtype=float), runs[block, None, :]
        )
        sd[block] = np.sqrt(parameters)
    return pd.DataFrame(
        {
            "design_point": np.repeat(points, months.size),
            "rung": rung,
            "month": np.tile(months, points.size),
            "parameters_sd": sd.reshape(-1),
        }
    )


def with_curve_parameter_intervals(
    curves: pd.DataFrame, summary: pd.DataFrame, level: float = 0.95
) -> pd.DataFrame:
    """Kaplan-Meier curves by design point (``probabilities.time_to_escalation``) with the
    parameters' band of `reached` beside the dice's (reached_lower, reached_upper):
    reached_parameters_lower and reached_parameters_upper, reached +- z sd over the
    posterior's draws (NaN where a point has fewer than two draws). The runs are censored at
    the horizon only, so `reached` at month T is P(rung >= k by T), whose variance split
    `curve_parameters_sd` computes."""
    if curves.empty:
        return curves
    cells = draw_cells(summary)
    parts = [
        curve_parameters_sd(summary, int(rung), np.unique(part["month"]), cells=cells)
        for rung, part in curves.groupby("rung", sort=True)
    ]
    sd = curves.merge(
        pd.concat(parts, ignore_index=True), on=["design_point", "rung", "month"], how="left"
    )["parameters_sd"].to_numpy()
    lower, upper = parameter_range(curves["reached"].to_numpy(), sd, level)
    table = curves.copy()
    at = table.columns.get_loc("reached_upper") + 1
    table.insert(at, "reached_parameters_lower", lower)
    table.insert(at + 1, "reached_parameters_upper", upper)
    return table


def with_parameter_intervals(
    probabilities: pd.DataFrame, summary: pd.DataFrame, level: float = 0.95
) -> pd.DataFrame:
    """`rung_probabilities` by design point with the parameters' interval added beside the
    dice's (lower, upper): parameters_lower and parameters_upper, p +- z sd over the
    posterior's draws (``run_report.parameter_range``), with parameters_sd, parameters_share
    and the number of draws. NaN where a point has fewer than two draws."""
    months = sorted(probabilities["month"].unique())
    rungs = sorted(probabilities["rung"].unique())
    split = point_variance_split(summary, months, rungs)
    table = probabilities.merge(split, on=["design_point", "rung", "month"], how="left")
    lower, upper = parameter_range(table["probability"], table["parameters_sd"], level)
    at = table.columns.get_loc("upper") + 1
    table.insert(at, "parameters_lower", lower)
    table.insert(at + 1, "parameters_upper", upper)
    return table


def format_variance_split(table: pd.DataFrame) -> list[str]:
    """Printed lines: per rung and month, P, and the shares of its spread."""
    lines = [
        f"  spread of P(rung >= k by month T) from the parameters vs the dice "
        f"({RUNS_PER_DRAW} runs per posterior draw):",
        f"  {'rung, month':<14}{'P':>8}{'sd of P over parameters':>26}"
        f"{'parameters':>12}{'dice':>8}",
    ]
    for row in table.itertuples():
        lines.append(
            f"  {f'{row.rung}+ by {row.month}':<14}{row.probability:>8.3f}"
            f"{row.sd_from_parameters:>26.3f}{row.share_parameters:>12.0%}{row.share_dice:>8.0%}"
        )
    return lines


def write_run_tables(
    directory: Path, summary: pd.DataFrame, drawn: pd.DataFrame, months: int, run_dir: str
) -> dict[str, int]:
    """params.parquet and variance_split.parquet of a run on a posterior."""
    split = run_variance_split(summary, drawn, months)
    write_table(drawn, Path(directory) / PARAMS_TABLE, run_dir=run_dir)
    write_table(split, Path(directory) / VARIANCE_TABLE, run_dir=run_dir)
    return {PARAMS_TABLE: len(drawn), VARIANCE_TABLE: len(split)}


def run_variance_split(summary: pd.DataFrame, drawn: pd.DataFrame, months: int) -> pd.DataFrame:
    return variance_split(summary, run_draws(summary, drawn), report_months(months), SPLIT_RUNGS)


def run_draws(summary: pd.DataFrame, drawn: pd.DataFrame) -> np.ndarray:
    """The posterior draw of each run of `summary`, from its run's params.parquet (`drawn`)."""
    return drawn.set_index("run_id").loc[summary["run_id"], "draw"].to_numpy()


def with_run_parameter_intervals(
    table: pd.DataFrame, summary: pd.DataFrame, draws: np.ndarray, level: float = 0.95
) -> pd.DataFrame:
    """Rows of one run's P(rung >= k by T) (columns rung, month, probability) with the
    parameters' interval (parameters_lower, parameters_upper) from its variance split."""
    split = variance_split(
        summary, draws, sorted(table["month"].unique()), sorted(table["rung"].unique())
    )
    sd = table.merge(
        split[["rung", "month", "sd_from_parameters"]], on=["rung", "month"], how="left"
    )
    lower, upper = parameter_range(
        table["probability"].to_numpy(), sd["sd_from_parameters"].to_numpy(), level
    )
    return table.assign(parameters_lower=lower, parameters_upper=upper)
