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
  R = 1 it is an ordinary Mesa run and for R > 1 each row is the ensemble's month.
"""

from __future__ import annotations

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


def ensemble_collector() -> mesa.DataCollector:
    """A DataCollector of the ensemble reporters (no agent reporters: agent state is (R,))."""
    return mesa.DataCollector(model_reporters=ensemble_reporters())
