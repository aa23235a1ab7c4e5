"""Re-simulate one run of a results directory, alone, from its stored settings.

A run depends only on its parameter values and its seed (``sim.model.rng``), so it can be run again
and gives the same row, bit for bit. Where those come from depends on the directory:

- a scenario run (`sim run`): the config's ``model`` node; run i has seed
  ``derive_seeds(run.seed, i)``;
- a sweep (`sim sweep`): run ``run_id = design_point * replicates + replicate`` has the
  parameters of its scenario (config.yaml's ``resolved`` node) with the design point's factor
  values (design.parquet), and seed ``derive_seeds(seed, replicate)`` (common random numbers).

Example::

    from sim.engine.rerun import resimulate
    one = resimulate("results/sweeps/escalation_threshold/<timestamp>", run_id=7503)
    one.summary
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import model_values
from sim.engine import posterior_draws
from sim.engine.config_file import read_config
from sim.engine.result_dirs import directory_kind
from sim.engine.store import read_manifest, read_table
from sim.errors import CommandError
from sim.model import params as P
from sim.model.rng import derive_seeds


def run_inputs(directory: Path | str, run_id: int) -> tuple[dict[str, Any] | P.ParamSet, int, int]:
    """The parameter values (flat, ``{"group.name": value}``), seed and horizon of one run.

    Raises:
        CommandError: for a directory that is neither a run nor a sweep, or a run_id outside it.
    """
    from omegaconf import OmegaConf

    directory = Path(directory)
    kind = directory_kind(directory)
    if kind not in ("run", "sweep"):
        raise CommandError(f"{directory} is not a scenario run or a sweep: nothing to re-simulate")
    cfg = read_config(directory)
    if kind == "run":
        _check_run_id(run_id, int(cfg.run.replicates), directory)
        seed = int(derive_seeds(int(cfg.run.seed), [run_id])[0])
        values: dict[str, Any] | P.ParamSet = model_values(cfg)
        calibration = read_manifest(directory).get("calibration")
        if isinstance(calibration, dict):  # the run drew its parameters from this posterior
            posterior = posterior_draws.load_checked(
                str(calibration["directory"]), posterior_draws.recorded_digest(calibration)
            )
            values, _ = posterior_draws.params_for_runs(
                posterior, values, int(cfg.run.seed), np.array([run_id])
            )
        return values, seed, int(cfg.run.months)

    replicates = int(cfg.replicates)
    design = read_table(directory / "design.parquet")
    _check_run_id(run_id, len(design) * replicates, directory)
    point = design.iloc[run_id // replicates]
    values = P.flatten(OmegaConf.to_container(cfg.resolved[point["scenario"]]))
    for factor in design.columns.drop(["design_point", "scenario"]):
        values[factor] = _native(point[factor])
    seed = int(derive_seeds(int(cfg.seed), [run_id % replicates])[0])
    calibration, digest = _sweep_posterior(directory, cfg.get("calibration"))
    if calibration is not None:  # as the sweep's chunks did: replicate r takes draw r
        scenarios = (P.flatten(OmegaConf.to_container(cfg.resolved[s])) for s in cfg.resolved)
        fixed = posterior_draws.left_to_the_design(design.columns, scenarios)  # as plan.fixed
        params, _ = posterior_draws.override_params(
            P.ParamSet(P.encode(values), 1),
            posterior_draws.load_checked(calibration, digest).without(fixed),
            int(cfg.seed),
            np.array([run_id % replicates]),
        )
        return params, seed, int(cfg.months)
    return values, seed, int(cfg.months)


def _sweep_posterior(directory: Path, calibration: str | None) -> tuple[str | None, str | None]:
    """The posterior a sweep's chunks drew from and its file's digest, as its manifest records
    them; (None, None) for the hand-set values. For a sweep whose manifest predates the record:
    `calibration` as a sweep would resolve it now, unchecked."""
    facts = read_manifest(directory).get("calibration")
    if facts == posterior_draws.HAND_SET:
        return None, None
    resolved = posterior_draws.resolve(calibration)
    if not isinstance(facts, dict):
        return resolved, None
    # Where the sweep found it may have moved with the project; its digest may not change.
    return resolved or str(facts["directory"]), posterior_draws.recorded_digest(facts)


def resimulate(directory: Path | str, run_id: int, trajectories: bool = True, events: bool = True):
    """Simulate one run of a results directory again; returns the model's results.

    Its summary row equals the stored one (without the labels a sweep adds: design_point,
    replicate, scenario).
    """
    # Mesa: imported only where runs are simulated (in workers), never for --help
    from sim.model.escalation import simulate

    values, seed, months = run_inputs(directory, run_id)
    return simulate(
        values,
        seeds=[seed],
        months=months,
        run_ids=[run_id],
        trajectories=trajectories,
        events=events,
    )


def _check_run_id(run_id: int, runs: int, directory: Path) -> None:
    if not 0 <= run_id < runs:
        raise CommandError(f"run_id = {run_id} is not in {directory}: expected 0 to {runs - 1}")


def _native(value: Any) -> Any:
    """A design value as the parameter table takes it (NaN stands for null)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value
