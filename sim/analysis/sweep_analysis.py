"""A sweep's analysis as a whole: read its parts once, make every table, write them together.

The orchestrator above the pure functions of ``sim.analysis.probabilities`` and
``sim.analysis.sensitivity``: it reads the directory, calls them, and writes
``<sweep>/analysis/<key>/`` (each table as Parquet and CSV, and options.json, the options they
were made with). The key is a short hash of those options: an analysis with new options goes
beside the earlier ones instead of over them, and the same options again rewrite their own
folder instead of piling up copies. ``newest_analysis`` finds the one written last, which `plot`
draws unless told otherwise. Sweeps analysed before analyses were kept apart have their tables
directly in ``analysis/``; they are read as one more analysis.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from sim.analysis.probabilities import (
    median_times,
    rung_probabilities,
    thresholds,
    time_to_escalation,
)
from sim.analysis.sensitivity import SENSITIVITY_DESIGNS, sensitivity_tables
from sim.analysis.variance_split import (
    with_curve_parameter_intervals,
    with_parameter_intervals,
)
from sim.config.analysis_options import OPTIONS_FILE, TABLE_OPTIONS, check_options
from sim.config.paths import output_folder
from sim.engine.config_file import read_config
from sim.engine.posterior_draws import RUNS_PER_DRAW
from sim.engine.store import (
    check_config,
    read_table,
    recorded_run_dir,
    remove_stale_staging,
    write_table,
    write_text,
)
from sim.engine.sweep_directory import is_complete, planned_parts, read_parts
from sim.errors import ConfigError

#: Where a sweep's analyses go, each in a folder of its own.
ANALYSIS_FOLDER = "analysis"
#: Recorded in options.json when the tables were made from an incomplete sweep's chunks.
PARTIAL = "partial"


class AnalysisTables(dict):
    """A sweep analysis's tables by name, and `folder`, the analysis folder they were written to."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
        super().__init__(tables)
        self.folder = folder


class IncompleteSweep(RuntimeError):
    """The sweep directory is not complete (manifest.json has no `complete: true`)."""


def check_horizon(directory: Path, months: list[int]) -> None:
    """Refuse months asked for beyond the sweep's horizon: they were swapped for the horizon,
    giving tables at other months than asked (review 2, D10). A sweep's own stored defaults
    beyond a short horizon are left out instead (`analyze_sweep`)."""

    horizon = int(read_config(Path(directory), leave_out=("resolved",)).months)
    if max(months) > horizon:
        raise ConfigError(
            f"months = {months} is not allowed: expected months in [1, {horizon}] (this "
            "sweep's horizon)"
        )


def analyze_sweep(
    directory: str | Path, allow_incomplete: bool = False, options: Mapping[str, Any] | None = None
) -> AnalysisTables:
    """Every table of a sweep, written as Parquet and CSV under <directory>/analysis/<key>/.

    Args:
        directory: a directory written by ``sim.engine.runner.run_sweep``.
        allow_incomplete: analyse the chunks present in an incomplete sweep (with a warning)
            instead of refusing.
        options: overrides of the stored `analysis` node (months, rungs, level, ...).

    Returns:
        The tables, with `.folder` the analysis folder they went to (named by the key of the
        options: see `analysis_key`):
        {"probabilities", "time_to_escalation", "median_times", "thresholds"} and, for a Sobol or
        Morris design, the tables of ``sim.analysis.sensitivity.sensitivity_tables`` ("sobol" or
        "morris", "sensitivity_noise", "sensitivity_outcomes", ...). For those designs the
        per-point curves and thresholds are left empty: thousands of points would take minutes
        and a threshold needs a grid.
    """
    from omegaconf import OmegaConf  # Hydra's config library: loaded only when a sweep is read

    directory = Path(directory)
    check_config(directory)
    analysis_root = output_folder(directory, ANALYSIS_FOLDER)  # never through a symlink elsewhere
    complete = is_complete(directory)
    if not complete:
        if not allow_incomplete:
            raise IncompleteSweep(
                f"{directory} is an incomplete sweep: finish it with "
                f"resume={directory}, or analyse what exists with "
                "allow_incomplete=true"
            )
        warnings.warn(f"{directory} is incomplete: analysing the chunks present", stacklevel=2)
    cfg = read_config(directory, leave_out=("resolved",))  # the scenarios' values: not needed
    stored = OmegaConf.to_container(cfg.analysis)
    stored.pop("run", None)  # a sweep setting, not an option of the tables
    opts = check_options({**stored, **(options or {})})
    design = read_table(directory / "design.parquet")
    factors = [c for c in design.columns if c not in ("design_point", "scenario")]
    horizon = int(cfg.months)
    months = [m for m in opts["months"] if m <= horizon] or [horizon]
    opts["months"] = months  # options.json records the months the tables hold
    rungs = list(opts["rungs"])
    probs, summary = point_probabilities(directory, design, months, rungs, opts["confidence"])
    if cfg.design.kind in SENSITIVITY_DESIGNS and factors:
        empty = pd.DataFrame()
        tables = {"probabilities": probs, "time_to_escalation": empty, "median_times": empty}
        tables["thresholds"] = empty
        tables.update(sensitivity_tables(directory, cfg, design, opts))
    else:
        curves = point_curves(summary, probs, horizon, rungs, opts["confidence"])
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
    out = output_folder(analysis_root, analysis_key(opts))
    write_analysis(out, tables, recorded_run_dir(directory, cfg.get("output_root")))
    write_options(out, opts, partial=not complete)  # plot labels its figures with these
    return AnalysisTables(tables, out)


def analysis_key(options: Mapping[str, Any]) -> str:
    """The name of the folder of an analysis with these options: 8 hex digits of a hash of the
    options recorded in its options.json (checked and normalised, so `level=0.25` and
    `level=2.5e-1` are one analysis)."""
    used = {key: options[key] for key in TABLE_OPTIONS if key in options}
    text = json.dumps(used, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def drew_from_posterior(directory: Path) -> bool:
    """Whether the sweep's runs drew their parameters from a posterior: its run summaries
    then record each run's particle (``sim.engine.chunks``). Read from the data, not the
    config: a default posterior that has gone stale since would say otherwise."""
    parts = planned_parts(Path(directory), "summary")
    if not parts or "particle" not in pq.read_schema(parts[0]).names:
        return False
    # Every summary has the column (null on the hand-set values: sim.engine.run_table).
    particle = pq.read_table(parts[0], columns=["particle"]).column(0)
    return particle.null_count < len(particle)


#: Said once, where a sweep's probabilities carry the dice's interval only.
HAND_SET_NOTE = (
    "parameters: the hand-set values, calibration=none: each probability carries the dice's "
    "Wilson interval only (lower, upper), and the time-to-rung curves, median times and "
    "thresholds the dice's only too; there is no parameters' interval"
)
#: Added where a sweep has a single posterior draw in all (replicate r has draw r // 10).
ONE_DRAW_NOTE = (
    f"; with {RUNS_PER_DRAW} replicates or fewer the whole sweep has one posterior draw, shared "
    "by every point: its probabilities are conditional on that one parameter set"
)
#: Said once, where they carry both.
PARAMETERS_NOTE = (
    "two intervals: lower, upper = the dice's (Wilson, over the point's runs); "
    "parameters_lower, parameters_upper = the parameters' (the spread of P over the "
    f"posterior's draws of {RUNS_PER_DRAW} runs each, p +- z sd; blank where a point has fewer "
    "than 2 draws). Likewise in time_to_escalation (reached_lower, reached_upper: the dice's; "
    "reached_parameters_lower, reached_parameters_upper: the parameters'), median_times "
    "(median_lower, median_upper; median_parameters_lower, median_parameters_upper) and "
    "thresholds (lower, upper: the bootstrap's; parameters_lower, parameters_upper: where the "
    "parameters' band holds the level, blank where it is open, as parameters_note says)"
)


def intervals_note(probabilities: pd.DataFrame) -> str:
    """What a sweep's probabilities' intervals are, said once: the dice's and the parameters'
    (runs on a posterior), or the dice's alone (runs on the hand-set values)."""
    if "parameters_lower" not in probabilities:
        return HAND_SET_NOTE
    if len(probabilities) and probabilities["draws"].max() < 2:
        return PARAMETERS_NOTE + ONE_DRAW_NOTE
    return PARAMETERS_NOTE


def point_probabilities(
    directory: Path, design: pd.DataFrame, months: list[int], rungs: list[int], level: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """P(rung >= k by T) per design point, joined with the design, and the run summaries.

    Each probability carries the dice's Wilson interval (lower, upper) and, when the runs drew
    their parameters from a posterior, the parameters' interval beside it (parameters_lower,
    parameters_upper: ``sim.analysis.variance_split.with_parameter_intervals``).
    """
    posterior = drew_from_posterior(directory)
    by_draw = ["replicate"] if posterior else []
    columns = ["design_point", *by_draw, *(f"month_rung_{k}" for k in rungs)]
    summary = read_parts(directory, "summary", columns)
    probs = rung_probabilities(summary, months, rungs, by=["design_point"], level=level)
    if posterior:
        probs = with_parameter_intervals(probs, summary, level)
    return design.merge(probs, on="design_point"), summary


def point_curves(
    summary: pd.DataFrame, probabilities: pd.DataFrame, horizon: int, rungs: list[int], level: float
) -> pd.DataFrame:
    """Kaplan-Meier curves of the time to each rung per design point, with the dice's band and,
    when the probabilities carry the parameters' interval (runs on a posterior), the
    parameters' band beside it (``variance_split.with_curve_parameter_intervals``)."""
    curves = time_to_escalation(summary, horizon, rungs, level=level)
    if "parameters_lower" in probabilities:
        curves = with_curve_parameter_intervals(curves, summary, level)
    return curves


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


def write_options(folder: Path, options: Mapping[str, Any], partial: bool = False) -> Path:
    """Record the options the tables in `folder` were made with (options.json), and whether
    they were made from an incomplete sweep's chunks."""
    used: dict[str, Any] = {key: options[key] for key in TABLE_OPTIONS if key in options}
    if partial:
        used[PARTIAL] = True
    return write_text(json.dumps(used, indent=2) + "\n", Path(folder) / OPTIONS_FILE)


def read_options(folder: Path | None) -> dict[str, Any]:
    """The table options recorded in `folder` ({} if none were recorded, or the file is
    unreadable, or there is no folder)."""
    data = _read_json(Path(folder) / OPTIONS_FILE) if folder is not None else {}
    return {key: data[key] for key in TABLE_OPTIONS if key in data}


def is_partial(folder: Path) -> bool:
    """Whether the analysis in `folder` was made from an incomplete sweep's chunks."""
    return _read_json(Path(folder) / OPTIONS_FILE).get(PARTIAL) is True


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --- finding an analysis -------------------------------------------------------------------------
def analyses(directory: str | Path) -> list[Path]:
    """Every analysis of a sweep, oldest first: each analysis/<key>/ with an options.json, and
    analysis/ itself when it holds tables (a sweep analysed before analyses were kept apart)."""
    root = Path(directory) / ANALYSIS_FOLDER
    found = [p.parent for p in root.glob(f"*/{OPTIONS_FILE}") if not p.parent.name.startswith(".")]
    if (root / "probabilities.parquet").is_file():
        found.append(root)
    return sorted(found, key=_written)


def _written(folder: Path) -> tuple[int, str]:
    """When an analysis was last written: options.json is written after its tables."""
    marker = folder / OPTIONS_FILE
    marker = marker if marker.is_file() else folder / "probabilities.parquet"
    return marker.stat().st_mtime_ns, folder.name


def newest_analysis(directory: str | Path) -> Path | None:
    """The analysis written last, leaving out those made from an incomplete sweep (they lack
    chunks the sweep has now); None when there is none."""
    whole = [folder for folder in analyses(directory) if not is_partial(folder)]
    return whole[-1] if whole else None


def analysis_name(directory: str | Path, folder: Path) -> str:
    """An analysis folder as the sweep names it: analysis/<key> (analysis for the old layout)."""
    return folder.relative_to(Path(directory)).as_posix()


def chosen_analysis(directory: str | Path, name: str) -> Path:
    """The analysis `name` names: its key (3f2a1c9b) or analysis/<key>.

    Raises:
        ConfigError: naming the value and the analyses the sweep has.
    """
    found = {analysis_name(directory, folder): folder for folder in analyses(directory)}
    wanted = str(name).strip().strip("/")
    folder = found.get(wanted) or found.get(f"{ANALYSIS_FOLDER}/{wanted}")
    if folder is None:
        names = ", ".join(found) or "none: run `python -m sim analyze` first"
        raise ConfigError(f"analysis = {name!r} is not allowed: expected one of {names}")
    if is_partial(folder):
        raise ConfigError(
            f"analysis = {name!r} is not allowed: it was made from an incomplete sweep's chunks; "
            f"run `python -m sim analyze {directory}` again"
        )
    return folder


def describe_analysis(directory: str | Path, folder: Path) -> str:
    """'analysis/3f2a1c9b (level 0.25, months [12, 60], ...)', for a line saying what was read."""
    words = ", ".join(f"{key} {value}" for key, value in read_options(folder).items())
    return f"{analysis_name(directory, folder)} ({words or 'options not recorded'})"
