"""The columns a table of runs starts with, the same in a run's summary and a sweep's parts.

A run's ``summary.parquet`` and a sweep's ``parts/summary/part-*.parquet`` hold one row per run
with the same leading columns, in the same order and of the same types, followed by the same
outcome columns; only a sweep's factor values (``factor_<path>``) follow after them. So run
summaries and sweep parts stack into one table by position (SQL ``UNION ALL``, polars
``concat``) once the factor columns are left out (docs/outputs.md). ``run_dir``, the first
column of every file, is added when the file is written (``sim.engine.store.with_run_dir``).

A run of ``sim run`` is no design point: its ``design_point`` is null and its replicate is its
run id; ``particle`` (the posterior particle a run drew) is null for runs on the hand-set values.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: After run_dir: who the run is. The model's summary gives run_id and seed; the rest are labels.
LEADING = ("run_id", "design_point", "replicate", "seed", "scenario", "particle")


def labelled_summary(
    summary: pd.DataFrame,
    scenario: str | np.ndarray,
    replicate: np.ndarray,
    design_point: np.ndarray | None = None,
    particle: np.ndarray | None = None,
    factors: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The model's run summaries with the leading labels in place and factor values last.

    Args:
        summary: ``EscalationModel.results().summary`` (run_id, seed, then the outcomes).
        scenario: the scenario's name, or one per run.
        replicate: each run's replicate index.
        design_point: each run's design point (None: not a sweep, null).
        particle: each run's posterior particle (None: no posterior, null).
        factors: a sweep's factor values per run, by column name (``plan.factor_column``).
    """
    runs = len(summary)
    labels = {
        "design_point": _nullable(design_point, runs),
        "replicate": np.asarray(replicate, dtype=np.int32),
        "scenario": pd.array(np.broadcast_to(np.asarray(scenario, dtype=object), runs), "str"),
        "particle": _nullable(particle, runs),
    }
    outcomes = summary.drop(columns=["run_id", "seed"])
    leading = pd.DataFrame(
        {"run_id": summary["run_id"].to_numpy(), **labels, "seed": summary["seed"].to_numpy()},
        index=summary.index,
    )[list(LEADING)]
    extra = pd.DataFrame(dict(factors or {}), index=summary.index)
    return pd.concat([leading, outcomes, extra], axis=1)


def _nullable(values: np.ndarray | None, runs: int) -> pd.api.extensions.ExtensionArray:
    """int64 with nulls (pandas Int64): the same Arrow type whether or not values are given."""
    if values is None:
        return pd.array([pd.NA] * runs, dtype="Int64")
    return pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
