"""The base class of the five actors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.ladder import Actor

if TYPE_CHECKING:
    from sim.model.escalation import EscalationModel


def logistic(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), written to stay finite for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def pick(table: np.ndarray, rows: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """table[rows, runs] for a (K, R) table (rows and runs broadcast together).

    One flat take: the same entries as numpy's two-array indexing, two to three times faster.
    """
    return table.take(np.asarray(rows, dtype=np.intp) * table.shape[1] + runs)


class Runs:
    """A subset of runs: reads per-run arrays (last axis) and parameters at those runs only.

    A decision that concerns a few runs (those refusing, those due for review) computes its
    values on them alone; `Runs()` (no index) reads everything as it is. `index` holds integer
    positions (np.flatnonzero of a mask), not a boolean mask.
    """

    def __init__(self, index: np.ndarray | None = None) -> None:
        self.index = index

    def __call__(self, x):
        # Scalars (most parameters) pass through: this runs thousands of times a month.
        if self.index is None or not isinstance(x, np.ndarray) or x.ndim == 0:
            return x
        # take along the last axis: the same entries as x[..., index], and on a (K, R) array
        # several times faster (numpy's indexing with an Ellipsis goes through its general path).
        return x.take(self.index, axis=-1)

    def positions(self, every_run: np.ndarray) -> np.ndarray:
        """The positions of these runs: the index itself (a gather of np.arange(R) at the index
        would only copy it), or `every_run` (np.arange(R)) for all."""
        return every_run if self.index is None else self.index

    def group(self, group):
        """A parameter group read at these runs (attribute by attribute)."""
        return group if self.index is None else _GroupAt(group, self)


class _GroupAt:
    """A parameter group whose attributes are read at a subset of runs."""

    def __init__(self, group, at: Runs) -> None:
        self._group, self._at = group, at

    def __getattr__(self, name: str):
        return self._at(getattr(self._group, name))


ALL = Runs()


class EnsembleAgent(mesa.Agent):
    """A Mesa agent whose state variables are numpy arrays with one entry per run.

    Subclasses set ``actor``; ``self.p`` is the agent's own parameter group and ``self.streams``
    the model's per-run random streams (Mesa's own `rng` is not used: see sim/model/rng.py).
    """

    actor: Actor
    model: EscalationModel

    def __init__(self, model: EscalationModel, group: str) -> None:
        super().__init__(model)
        self.p = getattr(model.params, group)
        self.streams = model.streams
        self.size = model.params.size

    def step(self) -> None:
        """Refuse Mesa's ``agents.do("step")``: a month is more than the agents' own acts.

        The model runs the war, trade, the partners, Russia's demand, Kazakhstan's answer,
        Russia's enforcement, Kazakhstan's own moves and the recorder in a fixed order
        (``EscalationModel.step``); an agent stepped alone would act out of that order and leave
        the month unchanged, so it raises before touching any state.
        """
        raise RuntimeError(
            f"{type(self).__name__}.step() is not a month of the model: its actors move in a "
            "fixed order with the war, trade and the recorder; call model.step() "
            "(or model.run_for(n)) instead of model.agents.do('step')"
        )

    def act(self, month: int) -> None:
        """The agent's monthly decisions for every run; each actor defines its own."""
        raise NotImplementedError

    def full(self, value: float | np.ndarray, dtype: type = float) -> np.ndarray:
        """A fresh (R,) state array initialised from a scalar or per-run parameter."""
        return np.array(np.broadcast_to(value, (self.size,)), dtype=dtype)

    def log(
        self,
        action,
        mask: np.ndarray,
        target: Actor,
        size: float | np.ndarray = 0.0,
        detail: int | np.ndarray = -1,
    ) -> None:
        """Log `action` by this actor for the runs in `mask`."""
        self.model.events.add(
            self.model.month, mask, self.actor, target, action, self.model.russia.rung, size, detail
        )
