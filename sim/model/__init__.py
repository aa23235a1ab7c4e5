"""The Mesa model: its agents, parameters, ladder, war, trade, recording, event log, rng, dates.

The lowest layer: it imports nothing else of `sim` but `sim.errors`. ``sim.model.simulate`` and
``sim.model.EscalationModel`` are imported lazily, so importing a parameter table or the ladder
does not load Mesa.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "EnsembleResult": "sim.model.escalation",
    "EscalationModel": "sim.model.escalation",
    "simulate": "sim.model.escalation",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
