"""A sweep's directory on disk: which chunks are done, resume, and the final merge (the part
files themselves: ``sim.engine.parts``).

The directory exists while the sweep is incomplete (so it can be resumed); ``manifest.json`` has
``"complete": false`` until the last step writes it as true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from omegaconf import DictConfig, OmegaConf

from sim.config import ConfigError
from sim.config.paths import output_folder
from sim.engine.aggregate import iter_merged_aggregate
from sim.engine.checksums import check_data_files
from sim.engine.config_file import config_yaml
from sim.engine.executors import local_workers
from sim.engine.parts import PARTS, WRITE_ORDER, part_path
from sim.engine.plan import Plan, config_differences, resolved_config, resolved_data
from sim.engine.posterior_draws import check_same_source
from sim.engine.result_dirs import KIND_WORDS, directory_kind
from sim.engine.store import (
    CONFIG,
    FIXED_POINT_SCALE,
    RUN_DIR,
    check_config,
    check_same_model,
    read_manifest,
    read_table,
    recorded_run_dir,
    with_metadata,
    write_atomic,
    write_manifest,
    write_table,
    write_text,
)
from sim.engine.study_directory import study_path

DESIGN = "design.parquet"


AGGREGATE = "aggregate.parquet"


def part_kinds(cfg: DictConfig) -> tuple[str, ...]:
    """The sweep's kinds of part, in the order they are written (the summary last): a chunk
    counts as done only when every one of its parts exists."""
    per_run = ("trajectories", "episodes")
    return tuple(k for k in WRITE_ORDER if cfg.trajectories or k not in per_run)


def done_chunks(directory: Path, plan_: Plan) -> set[int]:
    kinds = part_kinds(plan_.cfg)
    return {
        i for i in range(plan_.chunks) if all(part_path(directory, k, i).exists() for k in kinds)
    }


def new_directory(cfg: DictConfig) -> Path:
    """<output_root>/sweeps/<name>/<timestamp>; refuses a name that would lead elsewhere."""
    return study_path(cfg, "sweeps", "name")


def sweep_run_dir(directory: Path, cfg: DictConfig) -> str:
    """The sweep's `run_dir` (every file's first column): the one its manifest recorded, so a
    resumed sweep keeps its own, else the directory's path under the output root."""
    return recorded_run_dir(directory, cfg.output_root)


def prepare_directory(plan_: Plan, resume: str | Path | None) -> tuple[Path, set[int]]:
    """A new sweep directory, or the one to resume after checking it holds the same config."""
    if resume is None:
        directory = new_directory(plan_.cfg)
        for kind in part_kinds(plan_.cfg):
            (directory / PARTS / kind).mkdir(parents=True)
        write_text(config_yaml(resolved_data(plan_)), directory / CONFIG)
        write_table(
            plan_.design,
            directory / DESIGN,
            run_dir=sweep_run_dir(directory, plan_.cfg),
            table="design",
            experiment=str(plan_.cfg.name),
        )
        return directory, set()
    directory = Path(resume)
    if not (directory / "config.yaml").exists():
        raise ConfigError(f"resume={directory}: not a sweep directory (no config.yaml)")
    check_config(directory)  # an edited config.yaml would let a resume mix two plans
    check_same_model(directory)  # and so would other mechanisms
    check_data_files(directory)  # the manifest is rewritten below: check its checksums first
    output_folder(directory, PARTS)
    stored = OmegaConf.load(directory / "config.yaml")
    check_resumable(directory, stored, plan_.cfg)
    differences = config_differences(stored, resolved_config(plan_))
    if differences:
        shown = "; ".join(differences[:3])
        more = f" (and {len(differences) - 3} more)" if len(differences) > 3 else ""
        raise ConfigError(
            f"resume={directory} holds a different config; refusing to mix: {shown}{more}"
        )
    check_same_source(directory, plan_.calibration_facts)
    for kind in part_kinds(plan_.cfg):
        (directory / PARTS / kind).mkdir(parents=True, exist_ok=True)
    return directory, done_chunks(directory, plan_)


def check_resumable(directory: Path, stored: DictConfig, cfg: DictConfig) -> None:
    """resume= must name a sweep of this experiment, not a run or another experiment's sweep."""

    kind = directory_kind(directory)
    if kind != "sweep" or "name" not in stored:
        what = KIND_WORDS.get(kind, "not a results directory")
        raise ConfigError(f"resume={directory} is {what}: only a sweep can be resumed")
    if stored.name != cfg.name:
        raise ConfigError(
            f"resume={directory} is a sweep of experiment {stored.name!r}, not {cfg.name!r}; "
            f"resume it with experiment={stored.name}"
        )


def workers_share_files(cfg: DictConfig) -> bool:
    """Whether workers see the sweep directory: local ones do, a remote Dask cluster may not."""
    return cfg.executor != "dask" or cfg.scheduler in (None, "threads")


#: Rows of aggregate.parquet described, converted and written at once. Per design point, a
#: small grid's nine points cost nine descriptions, conversions and writes (0.2 s of the
#: sweep's last, serial step); a Sobol design's 10^5 points still go in batches of a few MB.
ROWS_PER_WRITE = 20_000


def finish(directory: Path, plan_: Plan, run_dir: str) -> None:
    """Merge the chunk aggregates into aggregate.parquet, a batch of design points at a time."""
    parts = [part_path(directory, "aggregate", i) for i in range(plan_.chunks)]

    def write(tmp: Path) -> None:
        writer = None
        merged = iter_merged_aggregate((pq.read_table(path) for path in parts), ROWS_PER_WRITE)
        try:
            for frame in merged:
                table = with_metadata(
                    pa.Table.from_pandas(frame, preserve_index=False),
                    run_dir=run_dir,
                    table="aggregate",
                    fixed_point_scale=FIXED_POINT_SCALE,  # of the *_sum columns
                    experiment=str(plan_.cfg.name),
                    seed=int(plan_.cfg.seed),
                )
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    write_atomic(Path(directory) / AGGREGATE, write)


def write_sweep_manifest(
    directory: Path, plan_: Plan, complete: bool, done: int, **timing: Any
) -> None:
    cfg = plan_.cfg
    write_manifest(
        directory,
        kind="sweep",
        run_dir=sweep_run_dir(directory, cfg),
        experiment=cfg.name,
        runs=plan_.runs,
        design_points=len(plan_.design),
        replicates=cfg.replicates,
        months=cfg.months,
        chunks=plan_.chunks,
        chunk_size=cfg.chunk_size,
        chunks_done=done,
        calibration=plan_.calibration_facts,
        posterior_overridden=plan_.overridden,
        seeds={
            "experiment_seed": cfg.seed,
            "run_seed": "sim.model.rng.derive_seeds(seed, replicate)",
            "common_random_numbers": True,
        },
        executor={
            "kind": cfg.executor,
            "workers": local_workers(cfg.workers),
            "scheduler": cfg.scheduler,
        },
        **timing,
        complete=complete,
    )


def is_complete(directory: Path) -> bool:
    try:
        return bool(read_manifest(directory).get("complete"))
    except FileNotFoundError:
        return False


class DamagedSweep(ConfigError):
    """A sweep whose manifest says complete lacks part files its plan needs (exit code 2)."""


def planned_parts(directory: Path, kind: str = "summary") -> list[Path]:
    """The part files of one kind that the sweep's plan (manifest.json `chunks`) holds.

    Files beyond the plan are never read. In a complete sweep every planned part must exist:
    analysing a subset would silently give other numbers.

    Raises:
        DamagedSweep: naming the first missing part of a complete sweep.
    """
    directory = Path(directory)
    try:
        manifest = read_manifest(directory)
        chunks = int(manifest["chunks"])
    except (OSError, ValueError, KeyError, TypeError):  # no usable manifest: what is there
        return sorted((directory / PARTS / kind).glob("part-*.parquet"))
    paths = [part_path(directory, kind, i) for i in range(chunks)]
    present = [p for p in paths if p.is_file()]
    if manifest.get("complete") is True and len(present) < len(paths):
        missing = [p for p in paths if not p.is_file()]
        raise DamagedSweep(
            f"{directory} is damaged: {len(missing)} of {len(paths)} {kind} parts are missing "
            f"(first {missing[0].relative_to(directory)}), though manifest.json says complete; "
            f"rerun them with: python -m sim sweep experiment={manifest.get('experiment')} "
            f"<the same settings> resume={directory}"
        )
    return present


def read_parts(
    directory: Path, kind: str = "summary", columns: list[str] | None = None
) -> pd.DataFrame:
    """The part files of one kind that the sweep's plan holds, in run order (see planned_parts)."""
    paths = planned_parts(directory, kind)
    if not paths:
        return pd.DataFrame(columns=columns)
    try:  # the parts as one dataset, converted once: half the time of a frame per part
        frame = pd.read_parquet([str(p) for p in paths], columns=columns)
    except (pa.ArrowException, OSError):
        # Parts whose types differ, or a damaged one: a frame per part says which, as before.
        return pd.concat([read_table(p, columns) for p in paths], ignore_index=True)
    return frame.drop(columns=RUN_DIR) if RUN_DIR in frame.columns else frame
