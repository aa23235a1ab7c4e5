"""The outcomes a threshold is asked about, in the words `analyze` uses.

* ``rung>=K by T``: Russia reached rung K or higher within the first T months (as
  ``sim.analysis.probabilities.reached_by``: "by month T" counts months 0 .. T-1);
* ``disruptions>X by T``: more than X Russia-attributable CPC disruptions per year over the
  first T months (the policy objective ``russia_disruptions``: coercion, not storms or repairs);
* ``csto_exit by T``: Kazakhstan left the CSTO within the first T months.

Each is a yes/no per run; the study simulates exactly T months.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from sim.analysis.probabilities import reached_by
from sim.config import MAX_MONTHS, ConfigError
from sim.model.ladder import TOP_RUNG

FORMS = (
    f"'rung>=K by T' (K 1..{TOP_RUNG}, T months 1..{MAX_MONTHS}), "
    "'disruptions>X by T' (X per year) or 'csto_exit by T'"
)
_PATTERNS = {
    "rung": re.compile(r"^rung\s*>=\s*(\d+)\s+by\s+(\d+)$"),
    "disruptions": re.compile(r"^disruptions\s*>\s*(\d+(?:\.\d*)?|\.\d+)\s+by\s+(\d+)$"),
    "csto_exit": re.compile(r"^csto_exit\s+by\s+(\d+)$"),
}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """A yes/no outcome of a run: `kind` with its rung or rate, by month `months`."""

    kind: str
    months: int
    rung: int = 0
    rate: float = 0.0

    @property
    def label(self) -> str:
        if self.kind == "rung":
            return f"P(rung ≥ {self.rung} by month {self.months})"
        if self.kind == "disruptions":
            return f"P(> {self.rate:g} Russian CPC disruptions a year, months 0-{self.months - 1})"
        return f"P(Kazakhstan leaves the CSTO by month {self.months})"

    @property
    def text(self) -> str:
        """The outcome as written on the command line (normalised)."""
        if self.kind == "rung":
            return f"rung>={self.rung} by {self.months}"
        if self.kind == "disruptions":
            return f"disruptions>{self.rate:g} by {self.months}"
        return f"csto_exit by {self.months}"

    def happened(self, summary: pd.DataFrame) -> np.ndarray:
        """Per run of a summary of `months` simulated months: whether the outcome happened."""
        if self.kind == "rung":
            return reached_by(summary, self.rung, self.months)
        if self.kind == "disruptions":
            per_year = summary["pipeline_halts_russia"].to_numpy(dtype=float) / (self.months / 12)
            return per_year > self.rate
        month = summary["month_csto_exit"]
        return (month.notna() & (month < self.months)).to_numpy(dtype=bool)


def parse_outcome(text: object) -> Outcome:
    """An Outcome from its words; ConfigError naming the forms understood otherwise."""
    words = " ".join(str(text).strip().lower().split())
    for kind, pattern in _PATTERNS.items():
        match = pattern.match(words)
        if match is None:
            continue
        months = int(match.groups()[-1])
        if kind == "rung":
            outcome = Outcome(kind, months, rung=int(match.group(1)))
        elif kind == "disruptions":
            outcome = Outcome(kind, months, rate=float(match.group(1)))
        else:
            outcome = Outcome(kind, months)
        if not 1 <= outcome.months <= MAX_MONTHS or (
            kind == "rung" and not 1 <= outcome.rung <= TOP_RUNG
        ):
            break
        return outcome
    raise ConfigError(f"outcome = {text!r} is not allowed: expected {FORMS}")
