"""`run` in chunks: the streamed Parquet files equal one big batch, for any chunk size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_reproducibility import assert_tables_identical

from sim.commands import run as run_command
from sim.config import compose, model_values
from sim.engine import streaming
from sim.engine.ensemble import chunk_bounds
from sim.engine.run_table import labelled_summary
from sim.engine.store import read_table
from sim.model.escalation import simulate
from sim.model.rng import derive_seeds

RUNS, MONTHS = 23, 30
# The hand-set values: the test is about streaming, held against one batch of `simulate`.
OPTIONS = [
    f"run.replicates={RUNS}",
    f"run.months={MONTHS}",
    "run.figures=false",
    "calibration=none",
]
TABLES = ("summary", "trajectories", "events", "episodes")


def run_tables(tmp_path: Path, chunk_size: int | None, *extra: str) -> dict[str, pd.DataFrame]:
    cfg = compose([*OPTIONS, f"run.output_root={tmp_path}", *extra])
    directory = run_command.run_scenario(cfg, quiet=True, chunk_size=chunk_size)
    return {name: read_table(directory / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def one_batch() -> dict[str, pd.DataFrame]:
    """The whole ensemble as one batch in memory, as `run` computed it before streaming."""
    cfg = compose(OPTIONS)
    result = simulate(
        model_values(cfg),
        seeds=derive_seeds(cfg.run.seed, np.arange(RUNS)),
        months=MONTHS,
        run_ids=np.arange(RUNS),
    )
    return {
        # a run's summary: the model's columns with the labels a sweep's parts carry too
        "summary": labelled_summary(result.summary, "baseline", replicate=np.arange(RUNS)),
        "trajectories": result.trajectories,
        "events": result.events,
        "episodes": result.episodes,
    }


@pytest.mark.parametrize("chunk_size", [1, 7, None], ids=["chunk-1", "chunk-7", "default"])
def test_streamed_files_equal_one_batch_bit_for_bit(
    one_batch: dict[str, pd.DataFrame], tmp_path: Path, chunk_size: int | None
) -> None:
    written = run_tables(tmp_path, chunk_size)
    assert len(one_batch["events"]) > 0 and len(one_batch["episodes"]) > 0
    for name in TABLES:
        assert_tables_identical(written[name], one_batch[name])


def test_a_large_write_is_announced_before_it_happens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(streaming, "ANNOUNCE_BYTES", 1000)
    run_tables(tmp_path, 5)
    err = capsys.readouterr().err
    assert "writing about" in err and "estimated from the first 5 runs" in err


def test_chunks_hold_a_bounded_number_of_trajectory_rows() -> None:
    assert streaming.chunk_runs(120, trajectories=True) * 120 <= streaming.ROWS_PER_CHUNK
    assert streaming.chunk_runs(600, trajectories=True) >= 1
    assert streaming.chunk_runs(120, trajectories=False) == streaming.RUNS_PER_CHUNK
    assert chunk_bounds(5, workers=1, chunk_size=2) == [(0, 2), (2, 4), (4, 5)]


def test_figures_of_a_large_run_use_its_first_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.plots

    seen = {}

    def record(summary, trajectories, events, *args, **kwargs):
        seen.update(summary=summary, trajectories=trajectories, events=events)
        return []

    monkeypatch.setattr(streaming, "FIGURE_RUNS", 10)
    monkeypatch.setattr(sim.plots, "run_figures", record)
    cfg = compose([*OPTIONS[:2], f"run.output_root={tmp_path}"])
    run_command.run_scenario(cfg, quiet=True, chunk_size=4)
    assert seen["summary"]["run_id"].tolist() == list(range(10))
    assert set(seen["trajectories"]["run_id"]) == set(range(10))
    assert seen["events"]["run_id"].max() < 10
