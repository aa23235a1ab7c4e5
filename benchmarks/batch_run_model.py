"""Models as `mesa.batch_run` needs them, shared by the benchmarks.

batch_run reads `model.datacollector`; the ensemble model has none (it records its own
tables), so `CollectedModel` adds the smallest one: Russia's rung, collected once at the end,
which keeps batch_run's own bookkeeping from weighing on the comparison. Trajectories and the
event log are off, as in a sweep.

`PlainModel` is the yardstick of an ordinary per-run Mesa model: five agents with one number
each, one random step a month, no numpy. Either is named to the benchmark as module:Class, so
a model that batch_run can take directly can replace the adapter without code changes.
"""

from __future__ import annotations

import mesa

from sim.model import EscalationModel


class CollectedModel(EscalationModel):
    """EscalationModel plus a DataCollector filled at the last step."""

    def __init__(self, trajectories: bool = False, events: bool = False, **kwargs) -> None:
        super().__init__(trajectories=trajectories, events=events, **kwargs)
        self.datacollector = mesa.DataCollector(
            model_reporters={"rung": lambda m: int(m.russia.rung[0])}
        )

    def step(self) -> None:
        super().step()
        if not self.running:
            self.datacollector.collect(self)


class PlainActor(mesa.Agent):
    """An actor with a single level that drifts and reacts to the others' mean."""

    def __init__(self, model: PlainModel) -> None:
        super().__init__(model)
        self.level = self.random.random()

    def step(self) -> None:
        mean = sum(a.level for a in self.model.agents) / len(self.model.agents)
        self.level += 0.1 * (mean - self.level) + self.random.gauss(0.0, 0.05)


class PlainModel(mesa.Model):
    """Five actors stepped in random order, one step a month; the top level collected at the end."""

    def __init__(self, months: int = 120, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.months = months
        for _ in range(5):
            PlainActor(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={"top": lambda m: max(a.level for a in m.agents)}
        )

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.running = self.steps < self.months
        if not self.running:
            self.datacollector.collect(self)
