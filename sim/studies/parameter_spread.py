"""How much of a claim's spread comes from the posterior's parameters, for any claim.

Runs drawn from a posterior come in draws of ``RUNS_PER_DRAW`` runs sharing one parameter set
(``sim.engine.posterior_draws``). A claim's value is (close to) a mean over runs, so split the
draws into ``BLOCKS`` blocks (draw d goes to block d mod BLOCKS) and evaluate the claim on
each block. With m draws per block and n runs per draw, and the claim's own standard error
se_b on each block (its dice interval, which treats the block's runs as independent):

    A = m Var_b(value_b)       estimates  s_p^2 + s_d^2 / n
    B = m n mean_b(se_b^2)     estimates  s_p^2 + s_d^2

so s_p^2 = (n A - B) / (n - 1), where s_p is the sd of the claim's value over the parameters
and s_d the dice's sd of one run. This is the law-of-total-variance split that
``sim.analysis.variance_split`` does for probabilities, for a claim of any form; with 20
blocks it is itself uncertain by about a third.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace

import numpy as np
import pandas as pd

from sim.engine.posterior_draws import RUNS_PER_DRAW
from sim.studies.validation import Batch, Estimate

BLOCKS = 20
Z95 = 1.959964


def batch_blocks(batch: Batch, blocks: int = BLOCKS) -> list[Batch]:
    """The batch split into `blocks` blocks of draws (draw d in block d mod blocks), each with
    its runs renumbered 0..k-1 in every table (each has run_id; run ids are 0..R-1).

    One stable sort of each table's rows by block, then a slice per block: the rows keep their
    order, as a boolean mask per block would keep it, without testing every row once per block.
    """
    runs = len(batch.result.summary)
    block_of_run = (np.arange(runs) // RUNS_PER_DRAW) % blocks
    rank = np.empty(runs, dtype=np.int64)  # a run's id within its block
    for b in range(blocks):
        members = np.flatnonzero(block_of_run == b)
        rank[members] = np.arange(members.size)

    def split(frame: pd.DataFrame | None) -> list[pd.DataFrame | None]:
        if frame is None:
            return [None] * blocks
        run_ids = frame["run_id"].to_numpy()
        rows_block = block_of_run[run_ids]
        order = np.argsort(rows_block, kind="stable")
        edges = np.searchsorted(rows_block[order], np.arange(blocks + 1))
        in_blocks = frame.take(order)  # one gather; each block is then a run of rows
        in_blocks["run_id"] = rank[run_ids[order]]
        return [
            in_blocks.iloc[edges[b] : edges[b + 1]].reset_index(drop=True) for b in range(blocks)
        ]

    # dataclasses.replace keeps the tables' class: no need to import the model (Mesa) here.
    tables = {f.name: split(getattr(batch.result, f.name)) for f in fields(batch.result)}
    return [
        replace(batch, result=replace(batch.result, **{n: t[b] for n, t in tables.items()}))
        for b in range(blocks)
    ]


def blocks_of(batches: Mapping[str, Batch], blocks: int = BLOCKS) -> list[dict[str, Batch]]:
    """The batches split into blocks of draws (made once, shared by every claim)."""
    split = {name: batch_blocks(batch, blocks) for name, batch in batches.items()}
    return [{name: parts[b] for name, parts in split.items()} for b in range(blocks)]


def parameter_sd(
    compute: Callable[[Mapping[str, Batch]], Estimate], blocks: list[dict[str, Batch]]
) -> float:
    """The sd of a claim's value over the posterior's parameters (0 if the dice explain all;
    nan if the claim cannot be measured on enough blocks)."""
    values, errors = [], []
    for block in blocks:
        estimate = compute(block)
        if np.isfinite(estimate.value) and np.isfinite(estimate.upper - estimate.lower):
            values.append(estimate.value)
            errors.append((estimate.upper - estimate.lower) / (2 * Z95))
    if len(values) < 3:
        return float("nan")
    runs = len(next(iter(blocks[0].values())).result.summary)
    m, n = runs / RUNS_PER_DRAW, RUNS_PER_DRAW
    between = m * np.var(values, ddof=1)
    total = m * n * np.mean(np.square(errors))
    return float(np.sqrt(max(0.0, (n * between - total) / (n - 1))))


def with_parameter_range(table: pd.DataFrame, sds: np.ndarray) -> pd.DataFrame:
    """The validation table with each claim's 95% range over the parameters, from the sd of
    each row's claim (value +- 1.96 sd; columns param_lower, param_upper)."""
    table = table.copy()
    table["param_lower"] = table["value"].to_numpy(dtype=float) - Z95 * sds
    table["param_upper"] = table["value"].to_numpy(dtype=float) + Z95 * sds
    return table
