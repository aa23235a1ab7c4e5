"""Reference forecasts that need no model, made only from what was known by the cut-off.

For a fact in a series, the earlier facts of the series whose period ended by the cut-off give:

- **climatology**: the base rate. A binary fact gets the share of earlier yeses, smoothed as
  (yeses + 1/2) / (facts + 1) (Krichevsky and Trofimov 1981), so that a short history never
  says 0 or 1; a count or continuous fact gets the earlier values as an ensemble.
- **persistence**: the last earlier value as a point forecast (binary: that outcome, with
  certainty; it has a Brier score but no log score, which is infinite whenever it is wrong).
- **uniform**: no information: p = 1/2 for a binary fact; for a count, every integer from the
  smallest to the largest earlier value (or the fact's ``support``) equally likely; for a
  continuous fact the uniform distribution on that range.

A fact with no series, or no earlier fact in it, has no reference forecasts (NaN). Only the
known facts enter: a fact observed after the cut-off never changes a reference forecast.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.studies.facts import Fact

REFERENCES = ("climatology", "persistence", "uniform")


@dataclasses.dataclass(frozen=True)
class Reference:
    """One reference forecast: a probability (binary) or an ensemble; a uniform range."""

    name: str
    probability: float | None = None
    ensemble: np.ndarray | None = None
    uniform: tuple[float, float] | None = None

    @property
    def available(self) -> bool:
        return self.probability is not None or self.ensemble is not None or self.uniform is not None


def history(fact: Fact, known: list[Fact]) -> list[Fact]:
    """The known facts of the fact's series, oldest first."""
    if fact.series is None:
        return []
    earlier = [f for f in known if f.series == fact.series and f.last < fact.first]
    return sorted(earlier, key=lambda f: f.first)


def references(fact: Fact, known: list[Fact]) -> dict[str, Reference]:
    """The reference forecasts of a fact from the facts known by the cut-off."""
    past = np.array([f.observed for f in history(fact, known)], dtype=float)
    if past.size == 0 and not (fact.support and fact.kind != "binary"):
        return {name: Reference(name) for name in REFERENCES}
    if fact.kind == "binary":
        if past.size == 0:
            return {"uniform": Reference("uniform", probability=0.5)} | {
                name: Reference(name) for name in REFERENCES[:2]
            }
        return {
            "climatology": Reference(
                "climatology", probability=float((past.sum() + 0.5) / (past.size + 1))
            ),
            "persistence": Reference("persistence", probability=float(past[-1])),
            "uniform": Reference("uniform", probability=0.5),
        }
    low, high = fact.support or (float(past.min()), float(past.max()))
    found = {
        "climatology": Reference("climatology", ensemble=past) if past.size else None,
        "persistence": Reference("persistence", ensemble=past[-1:]) if past.size else None,
        "uniform": _uniform(fact, low, high),
    }
    return {name: found[name] or Reference(name) for name in REFERENCES}


def _uniform(fact: Fact, low: float, high: float) -> Reference:
    if fact.kind == "count":
        return Reference("uniform", ensemble=np.arange(np.floor(low), np.ceil(high) + 1.0))
    if high > low:
        return Reference("uniform", uniform=(low, high))
    return Reference("uniform", ensemble=np.array([low]))
