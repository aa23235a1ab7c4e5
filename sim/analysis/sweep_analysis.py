"""A sweep's analysis as a whole: read its parts once, make every table, write them together.

The orchestrator above the pure functions of ``sim.analysis.probabilities`` and
``sim.analysis.sensitivity``: it reads the directory, calls them, and writes
``<sweep>/analysis/`` (each table as Parquet and CSV, and the options they were made with).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.probabilities import (
    median_times,
    rung_probabilities,
    thresholds,
    time_to_escalation,
)
from sim.analysis.sensitivity import SENSITIVITY_DESIGNS, sensitivity_tables
from sim.config.analysis_options import OPTIONS_FILE, TABLE_OPTIONS, check_options
from sim.config.paths import output_folder
from sim.engine.store import (
    check_config,
    read_table,
    recorded_run_dir,
    remove_stale_staging,
    write_table,
    write_text,
)
from sim.engine.sweep_directory import is_complete, read_parts
from sim.errors import ConfigError


class IncompleteSweep(RuntimeError):
    """The sweep directory is not complete (manifest.json has no `complete: true`)."""


def check_horizon(directory: Path, months: list[int]) -> None:
    """Refuse months asked for beyond the sweep's horizon: they were swapped for the horizon,
    giving tables at other months than asked (review 2, D10). A sweep's own stored defaults
    beyond a short horizon are left out instead (`analyze_sweep`)."""
    from omegaconf import OmegaConf  # Hydra's config library: loaded only when a sweep is read

    horizon = int(OmegaConf.load(Path(directory) / "config.yaml").months)
    if max(months) > horizon:
        raise ConfigError(
            f"months = {months} is not allowed: expected months in [1, {horizon}] (this "
            "sweep's horizon)"
        )


def analyze_sweep(
    directory: str | Path, allow_incomplete: bool = False, options: Mapping[str, Any] | None = None
) -> dict[str, pd.DataFrame]:
    """Every table of a sweep, written as Parquet and CSV under <directory>/analysis/.

    Args:
        directory: a directory written by ``sim.engine.runner.run_sweep``.
        allow_incomplete: analyse the chunks present in an incomplete sweep (with a warning)
            instead of refusing.
        options: overrides of the stored `analysis` node (months, rungs, level, ...).

    Returns:
        {"probabilities", "time_to_escalation", "median_times", "thresholds"} and, for a Sobol or
        Morris design, the tables of ``sim.analysis.sensitivity.sensitivity_tables`` ("sobol" or
        "morris", "sensitivity_noise", "sensitivity_outcomes", ...). For those designs the
        per-point curves and thresholds are left empty: thousands of points would take minutes
        and a threshold needs a grid.
    """
    from omegaconf import OmegaConf  # Hydra's config library: loaded only when a sweep is read

    directory = Path(directory)
    check_config(directory)
    out = output_folder(directory, "analysis")  # never through a symlink to elsewhere
    if not is_complete(directory):
        if not allow_incomplete:
            raise IncompleteSweep(
                f"{directory} is an incomplete sweep: finish it with "
                f"resume={directory}, or analyse what exists with "
                "allow_incomplete=true"
            )
        warnings.warn(f"{directory} is incomplete: analysing the chunks present", stacklevel=2)
    cfg = OmegaConf.load(directory / "config.yaml")
    stored = OmegaConf.to_container(cfg.analysis)
    stored.pop("run", None)  # a sweep setting, not an option of the tables
    opts = check_options({**stored, **(options or {})})
    design = read_table(directory / "design.parquet")
    factors = [c for c in design.columns if c not in ("design_point", "scenario")]
    horizon = int(cfg.months)
    months = [m for m in opts["months"] if m <= horizon] or [horizon]
    opts["months"] = months  # options.json records the months the tables hold
    rungs = list(opts["rungs"])
    columns = ["design_point", *(f"month_rung_{k}" for k in rungs)]
    summary = read_parts(directory, "summary", columns)
    probs = rung_probabilities(
        summary, months, rungs, by=["design_point"], level=opts["confidence"]
    )
    probs = design.merge(probs, on="design_point")
    if cfg.design.kind in SENSITIVITY_DESIGNS and factors:
        empty = pd.DataFrame()
        tables = {"probabilities": probs, "time_to_escalation": empty, "median_times": empty}
        tables["thresholds"] = empty
        tables.update(sensitivity_tables(directory, cfg, design, opts))
    else:
        curves = time_to_escalation(summary, horizon, rungs, level=opts["confidence"])
        tables = {
            "probabilities": probs,
            "time_to_escalation": design[["design_point", "scenario"]].merge(curves),
            "median_times": design[["design_point", "scenario"]].merge(median_times(curves)),
            "thresholds": thresholds(
                probs,
                factors,
                opts["level"],
                opts["bootstrap"],
                opts["confidence"],
                seed=int(cfg.seed),
            ),
        }
    write_analysis(out, tables, recorded_run_dir(directory, cfg.get("output_root")))
    write_options(out, opts)  # plot labels its figures with these, not config.yaml's
    return tables


def write_analysis(out: Path, tables: Mapping[str, pd.DataFrame], run_dir: str) -> None:
    """Each table as <name>.parquet and <name>.csv, all or none; `run_dir`: the sweep's.

    Every file is written into a staging folder first, and moved into `out` only when all are
    written: a full disk part way leaves the earlier tables as they were, not half replaced.
    """
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=f".tables-{os.getpid()}-", suffix=".partial", dir=out))
    try:
        for name, table in tables.items():
            write_table(table, staging / f"{name}.parquet", run_dir=run_dir)
            write_text(table.to_csv(index=False), staging / f"{name}.csv")
        for path in sorted(staging.iterdir()):
            os.replace(path, out / path.name)  # renames need no space: they cannot fill a disk
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_options(folder: Path, options: Mapping[str, Any]) -> Path:
    """Record the options the tables in `folder` were made with (analysis/options.json)."""
    used = {key: options[key] for key in TABLE_OPTIONS if key in options}
    return write_text(json.dumps(used, indent=2) + "\n", Path(folder) / OPTIONS_FILE)


def read_options(folder: Path) -> dict[str, Any]:
    """The options recorded in `folder` ({} if none were recorded or the file is unreadable)."""
    try:
        data = json.loads((Path(folder) / OPTIONS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
