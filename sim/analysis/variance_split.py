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
from sim.analysis.run_report import report_months
from sim.engine.posterior_draws import RUNS_PER_DRAW
from sim.engine.store import write_table

PARAMS_TABLE = "params.parquet"
VARIANCE_TABLE = "variance_split.parquet"
SPLIT_RUNGS = (2, 3, 4, 5)


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
    rows = []
    for rung in rungs:
        for month in months:
            reached = reached_by(summary, rung, month).astype(float)
            parameters, dice = _anova(reached, group)
            total = parameters + dice
            rows.append(
                {
                    "rung": rung,
                    "month": month,
                    "probability": float(reached.mean()),
                    "sd_from_parameters": float(np.sqrt(parameters)),
                    "share_parameters": parameters / total if total > 0 else 0.0,
                    "share_dice": dice / total if total > 0 else 0.0,
                }
            )
    return pd.DataFrame(rows)


def _anova(values: np.ndarray, group: np.ndarray) -> tuple[float, float]:
    """Between-group (parameter) and within-group (dice) variance components."""
    count = np.bincount(group).astype(float)
    groups, n = count.size, values.size
    if groups < 2 or n <= groups:
        return 0.0, float(values.var())
    means = np.bincount(group, weights=values) / count
    within = float(((values - means[group]) ** 2).sum() / (n - groups))
    between = float((count * (means - values.mean()) ** 2).sum() / (groups - 1))
    size = (n - (count**2).sum() / n) / (groups - 1)  # effective group size (unbalanced groups)
    return max(0.0, (between - within) / size), within


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
    draws = drawn.set_index("run_id").loc[summary["run_id"], "draw"].to_numpy()
    return variance_split(summary, draws, report_months(months), SPLIT_RUNGS)
