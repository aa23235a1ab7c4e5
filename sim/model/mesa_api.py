"""What a Mesa user expects of the model: every `rng` form, keyword parameters, a DataCollector.

Kept apart from sim/model/escalation.py so the model's own code stays about the simulation:

* ``seed_from_rng`` turns any of Mesa's `rng` forms (None, an int, a sequence of ints, a
  SeedSequence, a Generator or BitGenerator) into the one integer seed a run is drawn from.
  None draws fresh entropy, as in Mesa; the seed drawn is kept (``model.seeds``, the summary's
  ``seed`` column), so such a run can still be repeated.
* ``keyword_params`` reads flat keyword parameters, as `mesa.batch_run` passes them: a
  parameter's path (``**{"war.end_month": 24}``) or the same with ``_`` for the dot
  (``war_end_month=24``, usable as a Python keyword).
* ``ensemble_collector`` is a `mesa.DataCollector` whose reporters summarise all R runs, so for
  R = 1 it is an ordinary Mesa run and for R > 1 each row is the ensemble's month. At R = 1 it
  also reports the run's ``seed`` (so a `mesa.batch_run` row with ``rng=None`` can be repeated)
  and every agent's state variables (``get_agent_vars_dataframe()``, one column per variable,
  empty where an agent has no such variable; so `mesa.batch_run` gives one row per agent, as
  for any Mesa model with agent reporters).
* ``mesa_seed`` gives Mesa's deprecated ``seed=`` keyword Mesa's own meaning: the same as
  ``rng=`` with an int, with Mesa's FutureWarning, and an error if both are given.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.model.ladder import TOP_RUNG
from sim.model.params import PARAMS_BY_PATH

if TYPE_CHECKING:
    from sim.model.escalation import EscalationModel

MAX_SEED = 2**63 - 1  # the largest seed `run.seed` accepts (sim.config.RUN_LIMITS)


def seed_from_rng(rng: Any) -> int:
    """The run's seed for a Mesa `rng` argument: an int is the seed, anything else draws one."""
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        if not 0 <= int(rng) <= MAX_SEED:
            raise ValueError(f"rng = {rng} is not allowed: expected an integer in [0, {MAX_SEED}]")
        return int(rng)
    try:
        generator = np.random.default_rng(rng)
    except TypeError as error:
        raise TypeError(
            f"rng = {rng!r} is not allowed: expected None, an int, a sequence of ints, "
            "a numpy SeedSequence, Generator or BitGenerator"
        ) from error
    return int(generator.integers(0, MAX_SEED, endpoint=True))


def mesa_seed(seed: Any, rng: Any) -> Any:
    """The `rng` to use when Mesa's deprecated ``seed=`` may be given: Mesa's own rule."""
    if seed is None:
        return rng
    if rng is not None:
        raise ValueError("you have to pass either rng or seed, not both")
    warnings.warn(
        "The use of the `seed` keyword argument is deprecated, use `rng` instead. "
        "No functional changes.",
        FutureWarning,
        stacklevel=3,
    )
    return seed


def _keyword_names() -> dict[str, str]:
    """{keyword: parameter path}: the path itself, and the path with '_' for '.' if unique."""
    names = {path: path for path in PARAMS_BY_PATH}
    aliases: dict[str, list[str]] = {}
    for path in PARAMS_BY_PATH:
        aliases.setdefault(path.replace(".", "_"), []).append(path)
    names.update({alias: paths[0] for alias, paths in aliases.items() if len(paths) == 1})
    return names


def keyword_params(keywords: Mapping[str, Any]) -> dict[str, Any]:
    """Flat keyword parameters as {path: value}; an unknown keyword raises TypeError."""
    names = _keyword_names()
    unknown = [k for k in keywords if k not in names]
    if unknown:
        raise TypeError(
            f"EscalationModel() got unexpected keyword argument {unknown[0]!r}: expected a "
            "parameter path such as 'war.end_month' or war_end_month (see sim.model.params.PARAMS)"
        )
    return {names[k]: value for k, value in keywords.items()}


def ensemble_reporters() -> dict[str, Callable[[EscalationModel], float]]:
    """Model reporters over all runs: the month, rungs now and so far, alignment."""
    reporters: dict[str, Callable[[EscalationModel], float]] = {
        "month": lambda m: m.month,
        "mean_rung": lambda m: float(np.mean(m.russia.rung)),
    }
    for k in range(TOP_RUNG + 1):
        reporters[f"share_at_rung_{k}"] = lambda m, k=k: float(np.mean(m.russia.rung == k))
    for k in range(1, TOP_RUNG + 1):
        reporters[f"share_reached_rung_{k}"] = lambda m, k=k: float(
            np.mean(m.recorder.max_rung >= k)
        )
    reporters["mean_alignment"] = lambda m: float(np.mean(m.kazakhstan.alignment))
    return reporters


def _state_names(agent: mesa.Agent, size: int) -> list[str]:
    """The agent's state variables: its public attributes that hold one value per run."""
    return [
        name
        for name, value in vars(agent).items()
        if not name.startswith("_") and isinstance(value, np.ndarray) and value.shape == (size,)
    ]


def _agent_value(name: str) -> Callable[[mesa.Agent], Any]:
    """A reporter of one state variable as a plain scalar (None if the agent has none)."""

    def read(agent: mesa.Agent) -> Any:
        value = getattr(agent, name, None)
        return value.item() if isinstance(value, np.ndarray) and value.size == 1 else None

    return read


def ensemble_collector(model: EscalationModel) -> mesa.DataCollector:
    """A DataCollector of the ensemble reporters; at R = 1 also the seed and agent reporters.

    For R > 1 an agent's state is an array over runs, not one agent's value, so agent
    reporters are left out (the trajectories table holds them per run).
    """
    reporters = ensemble_reporters()
    if model.seeds.size != 1:
        return mesa.DataCollector(model_reporters=reporters)
    reporters["seed"] = lambda m: int(m.seeds[0])
    every_name = sorted({name for agent in model.agents for name in _state_names(agent, 1)})
    return mesa.DataCollector(
        model_reporters=reporters,
        agent_reporters={
            "actor": lambda a: a.actor.name,
            **{n: _agent_value(n) for n in every_name},
        },
    )
