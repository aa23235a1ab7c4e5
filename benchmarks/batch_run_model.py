"""The yardstick model for the `mesa.batch_run` comparison of the benchmarks.

The escalation model itself goes to batch_run directly (`sim.model.escalation:EscalationModel`:
it has a DataCollector when built Mesa-style). `PlainModel` is the yardstick of an ordinary
per-run Mesa model: five agents with one number each, one random step a month, no numpy. Either
is named to the benchmark as module:Class.
"""

from __future__ import annotations

import mesa


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
