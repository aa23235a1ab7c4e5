"""The model as `mesa.batch_run` needs it, shared by the benchmarks.

batch_run reads `model.datacollector`; the ensemble model has none (it records its own
tables), so this subclass adds the smallest one: Russia's rung, collected once at the end, which
keeps batch_run's own bookkeeping from weighing on the comparison.
"""

from __future__ import annotations

import mesa

from sim.model import EscalationModel


class CollectedModel(EscalationModel):
    """EscalationModel plus a DataCollector filled at the last step."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.datacollector = mesa.DataCollector(
            model_reporters={"rung": lambda m: int(m.russia.rung[0])}
        )

    def step(self) -> None:
        super().step()
        if not self.running:
            self.datacollector.collect(self)
