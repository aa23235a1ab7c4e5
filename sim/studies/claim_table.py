"""The validation table, each claim measured as soon as the batches it reads have arrived.

`validate` hands its batches to the workers and gets them back one by one. A claim reads one
or two batches (``Claim.batches``), so it can be measured, and its spread over the posterior's
parameters estimated, as soon as those are in, while the workers simulate the rest: what is
left after the last batch is only the claims that read it. A claim's measure is a pure function
of its batches' tables, so the table does not depend on the order the batches arrive in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.studies.parameter_spread import (
    BLOCKS,
    batch_blocks,
    parameter_sd,
    with_parameter_range,
)
from sim.studies.validation import CLAIMS, COLUMNS, Batch, Claim, evaluate


class ClaimTable:
    """Collects batches with `add` and measures each claim once its batches are all in.

    Args:
        claims: the claims, in the table's order.
        spread: also estimate each claim's 95% range over the posterior's parameters
            (``sim.studies.parameter_spread``: the batches split into blocks of draws).
    """

    def __init__(self, claims: Sequence[Claim] = CLAIMS, spread: bool = False) -> None:
        self.claims, self.spread = tuple(claims), spread
        self.batches: dict[str, Batch] = {}
        self.blocks: dict[str, list[Batch]] = {}
        self.rows: dict[str, dict[str, object]] = {}
        self.sds: dict[str, float] = {}

    def add(self, name: str, batch: Batch) -> None:
        """Take one batch and measure every claim it completes."""
        self.batches[name] = batch
        if self.spread:
            self.blocks[name] = batch_blocks(batch)
        for claim in self.claims:
            if claim.id not in self.rows and all(b in self.batches for b in claim.batches):
                self._measure(claim)

    def _measure(self, claim: Claim) -> None:
        # Only the batches the claim declares: a measure reading another one fails loudly.
        self.rows[claim.id] = evaluate(claim, {b: self.batches[b] for b in claim.batches})
        if self.spread:
            blocks = [{b: self.blocks[b][k] for b in claim.batches} for k in range(BLOCKS)]
            self.sds[claim.id] = parameter_sd(claim.compute, blocks)

    def table(self) -> pd.DataFrame:
        """One row per claim, in the order of the claims (with the parameters' range if
        `spread`); every claim's batches must have been added."""
        missing = [c.id for c in self.claims if c.id not in self.rows]
        if missing:
            raise ValueError(f"claims without their batches: {', '.join(missing)}")
        table = pd.DataFrame([self.rows[c.id] for c in self.claims], columns=list(COLUMNS))
        if self.spread:
            table = with_parameter_range(table, np.array([self.sds[c.id] for c in self.claims]))
        return table
