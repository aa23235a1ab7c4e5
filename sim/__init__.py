"""Agent-based simulation of Russian coercion of Kazakhstan, with China, Turkey and the EU.

The public names below are imported lazily, so `python -m sim --help`, `list` and input errors
answer without loading Mesa.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["PARAMS", "EnsembleResult", "EscalationModel", "ParamSet", "simulate"]

_HOMES = {
    "EnsembleResult": "sim.model.escalation",
    "EscalationModel": "sim.model.escalation",
    "simulate": "sim.model.escalation",
    "PARAMS": "sim.model.params",
    "ParamSet": "sim.model.params",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
