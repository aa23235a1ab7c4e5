"""Agent-based simulation of Russian coercion of Kazakhstan, with China, Turkey and the EU."""

from sim.model import EnsembleResult, EscalationModel, simulate
from sim.params import PARAMS, ParamSet

__all__ = ["PARAMS", "EnsembleResult", "EscalationModel", "ParamSet", "simulate"]
__version__ = "0.1.0"
