"""Coercive episodes: a demand that opens on a trigger, runs to a deadline and ends.

An episode (Schelling 1966; George 1991; Sechser 2011) is one Russian demand from the act that
provoked it to the way it ended. It has a trigger (what Kazakhstan or the world did), a content
(`Demand`), a deadline (when Moscow reviews a refusal) and an assurance: compliance closes it and
ends the pressure that came with it. Moscow holds at most one episode open per run.

`EpisodeBook` keeps the open episode of every run as arrays and the closed ones as rows, appended
as whole arrays per month (no Python loop over runs); `episodes_frame` turns them into the
`episodes` table, one row per episode, sorted by run and opening month, so a batch split into
chunks of runs writes the same table.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

import numpy as np
import pandas as pd

from sim.model.ladder import Demand


class Trigger(IntEnum):
    """What opened an episode: a Kazakh act Moscow opposes, or a change in what it needs."""

    PUBLIC_REFUSAL = 0  # a statement or UN vote refusing to back the war
    SANCTIONS_STEP = 1  # a step to enforce Western sanctions
    PARTNER_DEAL = 2  # a partner delivers on a pledge (investment, arms)
    BLOC_MOVE = 3  # leaving the CSTO or the EAEU
    MOSCOW_NEED = 4  # Moscow's stake rose (war's end, closing window)


class Outcome(IntEnum):
    """How an episode ended."""

    COMPLIED = 0  # Kazakhstan complied in word and deed
    QUIET = 1  # Kazakhstan complied in deed only and Moscow accepted it
    DROPPED = 2  # Moscow let a refused demand go
    MOOT = 3  # the gap closed by other means (e.g. the war ended)
    INTERVENTION = 4  # Moscow went to war
    OPEN = 5  # still open at the horizon


class Instrument(IntFlag):
    """Instruments used within an episode (bit flags)."""

    HALT = 1  # a CPC disruption
    RESTRICTION = 2  # a trade restriction
    INDUCEMENT = 4  # a joint project offered to buy compliance
    ESCALATION = 8  # a climb of the ladder at a deadline (ultimatum)


INSTRUMENT_COLUMNS = {
    "used_halt": Instrument.HALT,
    "used_restriction": Instrument.RESTRICTION,
    "used_inducement": Instrument.INDUCEMENT,
    "escalated": Instrument.ESCALATION,
}
EPISODE_COLUMNS = (
    "run", "trigger", "content", "opened", "closed", "outcome", "instruments", "demands",
    "peak_rung",
)  # fmt: skip
_DTYPES = (np.int32, np.int8, np.int8, np.int16, np.int16, np.int8, np.int8, np.int16, np.int8)


class EpisodeBook:
    """The open episode of every run and the rows of the closed ones."""

    def __init__(self, size: int, enabled: bool = True) -> None:
        self.enabled = enabled
        self.open = np.zeros(size, dtype=bool)
        self.trigger = np.zeros(size, dtype=np.int8)
        self.content = np.zeros(size, dtype=np.int8)
        self.opened = np.zeros(size, dtype=np.int16)
        self.deadline = np.zeros(size, dtype=np.int16)
        self.instruments = np.zeros(size, dtype=np.int8)
        self.demands = np.zeros(size, dtype=np.int16)
        self.peak_rung = np.zeros(size, dtype=np.int8)
        self.count = np.zeros(size, dtype=np.int32)  # episodes opened, per run
        self.outcomes = np.zeros((len(Outcome), size), dtype=np.int32)  # closed, by outcome
        self._rows: list[tuple[np.ndarray, ...]] = []

    def start(
        self,
        month: int,
        mask: np.ndarray,
        trigger: np.ndarray,
        content: np.ndarray,
        deadline: np.ndarray,
        rung: np.ndarray,
    ) -> None:
        """Open an episode in the runs of `mask` (none may be open there)."""
        runs = np.flatnonzero(mask)
        if runs.size == 0:
            return
        self.open[runs] = True
        self.trigger[runs] = trigger[runs]
        self.content[runs] = content[runs]
        self.opened[runs] = month
        self.deadline[runs] = np.broadcast_to(deadline, mask.shape)[runs]
        self.instruments[runs] = 0
        self.demands[runs] = 0
        self.peak_rung[runs] = rung[runs]
        self.count[runs] += 1

    def use(self, mask: np.ndarray, instrument: Instrument) -> None:
        """Mark an instrument as used in the open episodes of `mask`."""
        np.bitwise_or(self.instruments, int(instrument), out=self.instruments, where=mask)

    def note(self, rung: np.ndarray, demanded: np.ndarray) -> None:
        """Count a demand issued and keep the highest rung reached in each open episode."""
        self.demands += demanded & self.open
        np.maximum(self.peak_rung, rung, out=self.peak_rung, where=self.open)

    def close(self, month: int, mask: np.ndarray, outcome: Outcome) -> None:
        """Close the open episodes of `mask` with this outcome and keep their rows."""
        mask = mask & self.open
        if not mask.any():
            return
        self.outcomes[outcome] += mask
        if self.enabled:
            self._rows.append(self._rows_of(mask, month, outcome))
        self.open &= ~mask

    def _rows_of(self, mask: np.ndarray, month: int, outcome: Outcome) -> tuple[np.ndarray, ...]:
        runs = np.flatnonzero(mask)
        n = runs.size
        return (
            runs.astype(np.int32),
            self.trigger[runs],
            self.content[runs],
            self.opened[runs],
            np.full(n, month, dtype=np.int16),
            np.full(n, outcome, dtype=np.int8),
            self.instruments[runs],
            self.demands[runs],
            self.peak_rung[runs],
        )

    def columns(self) -> dict[str, np.ndarray]:
        """Closed episodes and those still open (closed = -1), sorted by run, then opening."""
        parts = list(self._rows)
        if self.open.any():
            parts.append(self._rows_of(self.open, -1, Outcome.OPEN))
        if not parts:
            return {k: np.zeros(0, dtype=t) for k, t in zip(EPISODE_COLUMNS, _DTYPES, strict=True)}
        stacked = [np.concatenate(p) for p in zip(*parts, strict=True)]
        order = np.lexsort((stacked[3], stacked[0]))  # one episode open at a time: no ties
        return {k: v[order] for k, v in zip(EPISODE_COLUMNS, stacked, strict=True)}


_TRIGGERS = [t.name.lower() for t in Trigger]
_OUTCOMES = [o.name.lower() for o in Outcome]
_CONTENTS = [d.name.lower() for d in Demand]


def episodes_frame(columns: dict[str, np.ndarray], run_ids: np.ndarray) -> pd.DataFrame:
    """The episode table: one row per episode, with its instruments as boolean columns."""
    closed = columns["closed"]
    instruments = columns["instruments"]
    table = {
        "run_id": np.asarray(run_ids)[columns["run"]],
        "trigger": pd.Categorical.from_codes(columns["trigger"], categories=_TRIGGERS),
        "content": pd.Categorical.from_codes(columns["content"], categories=_CONTENTS),
        "opened_month": columns["opened"],
        "closed_month": pd.arrays.IntegerArray(closed.astype(np.int16), mask=closed < 0),
        "outcome": pd.Categorical.from_codes(columns["outcome"], categories=_OUTCOMES),
        **{name: (instruments & int(flag)) > 0 for name, flag in INSTRUMENT_COLUMNS.items()},
        "demands": columns["demands"],
        "peak_rung": columns["peak_rung"],
    }
    return pd.DataFrame(table, copy=False)
