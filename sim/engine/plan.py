"""The plan of a sweep: its design, chunks and the identity that a resumed sweep must match."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.config.paths import escape_interpolations
from sim.engine.design import EXECUTION_KEYS, build_design, point_values, scenario_values
from sim.engine.posterior_draws import (
    check_usable,
    left_to_the_design,
    overridden_by_design,
    recorded_digest,
    resolve,
    source_facts,
)
from sim.engine.sweep_chunk import ChunkTask
from sim.model import params as P


@dataclasses.dataclass
class Plan:
    """Everything a sweep needs before it runs: the design and each point's parameters."""

    cfg: DictConfig
    design: pd.DataFrame
    values: pd.DataFrame  # encoded parameters, one row per design point
    resolved: dict[str, dict[str, Any]]  # each scenario's parameter values

    @property
    def runs(self) -> int:
        return len(self.design) * self.cfg.replicates

    @property
    def chunks(self) -> int:
        return -(-self.runs // self.cfg.chunk_size)

    @functools.cached_property
    def fixed(self) -> tuple[str, ...]:
        """Parameters the posterior leaves alone: the design's factors, and those a scenario
        sets away from the table's default (``posterior_draws.left_to_the_design``)."""
        return tuple(left_to_the_design(self.design.columns, self.resolved.values()))

    @functools.cached_property
    def calibration(self) -> str | None:
        """The posterior every chunk draws from (None: hand-set values), decided once, so
        that all chunks of a sweep agree even if the shipped posterior changes meanwhile."""
        return resolve(self.cfg.get("calibration"))

    @functools.cached_property
    def overridden(self) -> list[str]:
        """The design's factors that the posterior calibrates (``overridden_by_design``)."""
        return overridden_by_design(self.calibration, self.design.columns)

    @functools.cached_property
    def calibration_facts(self) -> dict[str, Any] | str:
        """What the manifest records about the parameters' source, its file's digest included:
        every chunk, a resume and a re-run are held to it."""
        return source_facts(self.calibration)

    @functools.cached_property
    def _by_point(self) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
        """`values`, the scenarios and the factors (by summary column) as arrays of one value
        per design point, which each chunk slices: indexing the frames took 8 ms a chunk."""
        factors = [c for c in self.design.columns if c not in ("design_point", "scenario")]
        return (
            {c: self.values[c].to_numpy() for c in self.values.columns},
            self.design["scenario"].to_numpy(),
            {factor_column(c): self.design[c].to_numpy() for c in factors},
        )

    def chunk_bounds(self, index: int) -> tuple[int, int]:
        start = index * self.cfg.chunk_size
        return start, min(start + self.cfg.chunk_size, self.runs)

    def task(self, index: int, directory: Path | None = None, run_dir: str = "") -> ChunkTask:
        """Chunk `index`; with a directory, the worker writes its parts there."""
        start, stop = self.chunk_bounds(index)
        reps = self.cfg.replicates
        first, last = start // reps, (stop - 1) // reps
        points = slice(first, last + 1)
        columns, scenarios, factors = self._by_point
        return ChunkTask(
            index=index,
            start=start,
            stop=stop,
            replicates=reps,
            seed=int(self.cfg.seed),
            months=int(self.cfg.months),
            first_point=first,
            columns={c: values[points] for c, values in columns.items()},
            scenarios=tuple(scenarios[points]),
            trajectories=bool(self.cfg.trajectories),
            calibration=self.calibration,
            calibration_digest=recorded_digest(self.calibration_facts),
            fixed=self.fixed,
            directory=None if directory is None else str(directory),
            experiment=str(self.cfg.name),
            run_dir=run_dir,
            factors={c: values[points] for c, values in factors.items()},
        )


def plan(cfg: DictConfig) -> Plan:
    """Build the design and every point's parameters; refuses bad values before any run."""
    design = build_design(cfg)
    named = resolve(cfg.get("calibration")) if cfg.get("calibration") is not None else None
    if named is not None:
        check_usable(named)  # the default, when unusable, says so and runs hand-set values
    resolved = scenario_values(cfg)
    return Plan(cfg, design, point_values(design, resolved), resolved)


def resolved_data(plan_: Plan) -> dict[str, Any]:
    """The experiment plus each scenario's full parameter values (what config.yaml holds), as
    plain data whose text reads back literally (``${`` escaped)."""
    data = escape_interpolations(OmegaConf.to_container(plan_.cfg, resolve=True))
    data["resolved"] = {name: _nest(values) for name, values in plan_.resolved.items()}
    return data


def resolved_config(plan_: Plan) -> DictConfig:
    """`resolved_data` as a config, to hold against a stored config.yaml."""
    return OmegaConf.create(resolved_data(plan_))


def _nest(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    nested: dict[str, dict[str, Any]] = {}
    for path, value in flat.items():
        group, name = path.split(".", 1)
        nested.setdefault(group, {})[name] = value
    return nested


def config_differences(stored: DictConfig, new: DictConfig) -> list[str]:
    """Every key whose value differs, ignoring execution-only keys (workers, executor...)."""
    a, b = (_flat_identity(c) for c in (stored, new))
    return [
        f"{k}: {a.get(k, '<missing>')!r} in the directory, {b.get(k, '<missing>')!r} now"
        for k in sorted(set(a) | set(b))
        if a.get(k, "<missing>") != b.get(k, "<missing>")
    ]


def _flat_identity(cfg: DictConfig) -> dict[str, Any]:
    data = OmegaConf.to_container(cfg, resolve=True)
    for key in EXECUTION_KEYS:
        data.pop(key, None)
    return P.flatten(data)


FACTOR_PREFIX = "factor_"


def factor_column(path: str) -> str:
    """A design factor's column in the summary parts: ``factor_`` and its path with ``_`` for
    ``.`` (``kazakhstan.multivector`` -> ``factor_kazakhstan_multivector``), a plain name in
    SQL; the prefix keeps it apart from the summary's own columns (``war_end_month``)."""
    return FACTOR_PREFIX + path.replace(".", "_")
