"""A large ensemble simulated in chunks of runs, its tables streamed to Parquet as they finish.

Every random number of a run depends only on its seed (``sim.model.rng``), so simulating runs
``0..R-1`` in chunks gives the same rows as one big batch; the tables are sorted by run, so
writing the chunks one after the other gives the same files. Memory then holds one chunk (plus
the summaries, which are small), not the whole ensemble: 10^5 runs with trajectories and
events need a few hundred MB instead of several GB.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.engine.ensemble import Ensembles
from sim.engine.run_table import labelled_summary
from sim.engine.store import flags_as_booleans, with_metadata, with_run_dir
from sim.model.params import ParamSet

#: Trajectory rows (runs x months) per chunk: about 100 MB of recorder arrays and tables.
ROWS_PER_CHUNK = 480_000
#: Runs per chunk without trajectories: large enough that stepping is not overhead-bound.
RUNS_PER_CHUNK = 10_000
#: Figures of larger runs are drawn from the first FIGURE_RUNS runs (runs are independent).
FIGURE_RUNS = 10_000
#: A write estimated above this many bytes is announced before it happens.
ANNOUNCE_BYTES = 10**9


def chunk_runs(months: int, trajectories: bool) -> int:
    """Runs per chunk: bounded by the trajectory rows a chunk holds in memory."""
    if not trajectories:
        return RUNS_PER_CHUNK
    return max(1, min(RUNS_PER_CHUNK, ROWS_PER_CHUNK // max(1, months)))


class ParquetStream:
    """One Parquet file written a row group at a time, renamed to its name when closed.

    The schema is the first table's, with the project's metadata (units, version, commit and the
    run's facts: `sim.engine.store.with_metadata`); later tables are converted to it, so a chunk
    whose
    columns happen to be empty (no events) still fits. 0/1 flags are written as booleans.
    """

    def __init__(self, path: Path, run_dir: str, **facts: Any) -> None:
        self.path = Path(path)
        self.run_dir = run_dir
        self.facts = facts
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None  # the first chunk's columns, before run_dir
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:

        frame = flags_as_booleans(frame)
        table = pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False)
        if self.writer is None:
            self.schema = table.schema
            table = with_metadata(table, run_dir=self.run_dir, **self.facts)
            self.writer = pq.ParquetWriter(self.tmp, table.schema, compression="zstd")
        else:
            table = with_run_dir(table, self.run_dir).cast(self.writer.schema)
        self.writer.write_table(table)
        self.rows += len(frame)

    def bytes_written(self) -> int:
        return self.tmp.stat().st_size if self.tmp.exists() else 0

    def close(self) -> None:
        """Finish the file and give it its name."""
        if self.writer is not None:
            self.writer.close()
            os.replace(self.tmp, self.path)

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.tmp.unlink(missing_ok=True)


@dataclass
class StreamedRun:
    """What stays in memory of a streamed ensemble: summaries and the figures' sample."""

    summary: pd.DataFrame
    trajectories: pd.DataFrame | None  # the first `figure_runs` runs only (None: no runs)
    events: pd.DataFrame | None  # the same runs' events
    files: dict[str, int]  # file name -> rows
    simulation_seconds: float
    chunk_size: int
    estimated_bytes: int = 0


@dataclass
class _Sample:
    """Trajectory and event rows of the first `limit` runs, kept for the figures."""

    limit: int
    frames: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def keep(self, name: str, frame: pd.DataFrame | None) -> None:
        if frame is None:
            return
        if not frame.empty:  # an empty one is kept: it says the table was recorded
            if frame["run_id"].iloc[0] >= self.limit:
                return
            if frame["run_id"].iloc[-1] >= self.limit:  # tables are sorted by run
                frame = frame[frame["run_id"] < self.limit]
        self.frames.setdefault(name, []).append(frame)

    def table(self, name: str) -> pd.DataFrame | None:
        """The kept rows as one table (the pieces are let go: they would double the memory)."""
        parts = self.frames.pop(name, None)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def simulate_to_parquet(
    params: Mapping[str, Any] | ParamSet,
    seeds: np.ndarray,
    months: int,
    directory: Path,
    scenario: str,
    trajectories: bool,
    events: bool,
    chunk_size: int | None = None,
    announce: Any = None,
    progress: Any = None,
    facts: Mapping[str, Any] | None = None,
    ensembles: Ensembles | None = None,
    figure_runs: int = FIGURE_RUNS,
    run_dir: str = "",
    particles: np.ndarray | None = None,
) -> StreamedRun:
    """Simulate runs 0..len(seeds)-1 chunk by chunk into summary, trajectories, events and
    episodes .parquet (episodes: one row per demand episode, written with the events).

    Args:
        params: flat model parameters, the same for every run, or a ParamSet with one
            parameter set per run (a calibrated run draws them from a posterior).
        seeds: one seed per run (run i has seeds[i]).
        months: the horizon.
        directory: where the Parquet files go (each appears when complete).
        scenario: the value of the summary's scenario column.
        trajectories, events: record and write these tables (events brings the episodes).
        chunk_size: runs per chunk (default: `chunk_runs`); the files do not depend on it.
        announce: called with (estimated bytes, runs measured) when the files are estimated,
            after the first chunk, to exceed ANNOUNCE_BYTES.
        progress: called with the number of runs of each chunk as it finishes.
        facts: key-value metadata for every file (seed, scenario, ...; `sim.engine.store`).
        ensembles: where the chunks are simulated (default: in this process, one at a time);
            they come back in run order, so the files do not depend on it either.
        figure_runs: the trajectories and events of runs 0..figure_runs-1 are kept in memory
            for the figures; 0 when none are drawn (10,000 runs' tables are about 1 GB).
        run_dir: the results directory's name, the first column of every file
            (`sim.engine.store.run_dir_name`).
        particles: the posterior particle of each run, when parameters come from a posterior.
    """
    ensembles = ensembles or Ensembles("serial")
    size = chunk_size or chunk_runs(months, trajectories)
    names = ["summary"] + ["trajectories"] * trajectories + ["events", "episodes"] * events
    streams = {
        name: ParquetStream(
            Path(directory) / f"{name}.parquet", run_dir=run_dir, table=name, **(facts or {})
        )
        for name in names
    }
    summaries: list[pd.DataFrame] = []
    sample = _Sample(figure_runs)
    seconds, estimate = 0.0, 0
    try:
        began = time.perf_counter()
        batches = ensembles.chunks(params, seeds, months, trajectories, events, chunk_size=size)
        for run_ids, result in batches:
            seconds += time.perf_counter() - began  # waiting for the chunk: simulating it
            summary = labelled_summary(
                result.summary,
                scenario,
                replicate=run_ids,
                particle=None if particles is None else particles[run_ids],
            )
            tables = {
                "summary": summary,
                "trajectories": result.trajectories,
                "events": result.events,
                "episodes": result.episodes,
            }
            for name, stream in streams.items():
                stream.write(tables[name])
            summaries.append(summary)
            sample.keep("trajectories", result.trajectories)
            sample.keep("events", result.events)
            if progress is not None:
                progress(len(run_ids))
            if run_ids[0] == 0:
                written = sum(s.bytes_written() for s in streams.values())
                estimate = written * len(seeds) // len(run_ids)
                if estimate > ANNOUNCE_BYTES and announce is not None:
                    announce(estimate, len(run_ids))
            began = time.perf_counter()
        for stream in streams.values():
            stream.close()
    except BaseException:
        for stream in streams.values():
            stream.discard()
        raise
    summary = pd.concat(summaries, ignore_index=True) if len(summaries) > 1 else summaries[0]
    return StreamedRun(
        summary=summary,
        trajectories=sample.table("trajectories"),
        events=sample.table("events"),
        files={f"{name}.parquet": stream.rows for name, stream in streams.items()},
        simulation_seconds=seconds,
        chunk_size=size,
        estimated_bytes=estimate,
    )
