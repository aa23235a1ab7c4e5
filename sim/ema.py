"""`sim.ema`: the EMA Workbench model (sim/studies/ema.py), under the name users look for.

Needs the `discovery` extra (EMA Workbench).
"""

from sim.studies.ema import LEVERS, OUTCOMES, UNCERTAINTIES, model, outcomes, parameter

__all__ = ["LEVERS", "OUTCOMES", "UNCERTAINTIES", "model", "outcomes", "parameter"]
