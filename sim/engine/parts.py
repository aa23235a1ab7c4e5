"""A sweep's part files: where each chunk's tables go, and how a chunk's parts are written.

Light on purpose: the pool's workers write their chunks' parts themselves, and import this
rather than the sweep directory's plan, resume and merge (and the configuration library
they need).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sim.engine.store import write_arrow, write_table

if TYPE_CHECKING:
    from sim.engine.chunks import ChunkOutput

PARTS = "parts"


def part_path(directory: Path, kind: str, index: int) -> Path:
    """parts/<kind>/part-<index>.parquet: one folder per table, so that reading a folder
    (``pd.read_parquet(sweep / "parts" / "summary")``) never mixes two tables."""
    return Path(directory) / PARTS / kind / f"part-{index:06d}.parquet"


#: The order a chunk's parts are written in: the summary last (it marks the chunk done).
WRITE_ORDER = ("trajectories", "episodes", "aggregate", "summary")


def write_parts(directory: Path, result: ChunkOutput, run_dir: str, **facts: Any) -> None:
    """Write a chunk's parts, each atomically; the summary last (it marks the chunk done).

    `run_dir` is each part's first column; `facts` (experiment, seed) go into each file's
    metadata beside units, version and commit.
    """
    for kind in WRITE_ORDER:
        table = result.parts.get(kind)
        if table is None:
            continue
        path = part_path(directory, kind, result.index)
        if isinstance(table, pa.Table):
            write_arrow(table, path, run_dir=run_dir, table=kind, chunk=result.index, **facts)
        else:
            write_table(table, path, run_dir=run_dir, table=kind, chunk=result.index, **facts)
