"""The engine's in-memory ensembles: the same tables as one `simulate` call, in any chunking.

Validation, ablation, calibration and `run` simulate their batches through
`sim.engine.ensemble.Ensembles`; a run's numbers depend only on its seed and parameters, so the
chunk size, the executor and the number of workers must change nothing, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.engine.ensemble import Ensembles, chunk_bounds
from sim.model.escalation import simulate
from sim.model.params import ParamSet
from sim.model.rng import derive_seeds
from sim.studies.ablation import ablate

SEEDS = derive_seeds(11, np.arange(300))


@pytest.fixture(scope="module")
def whole():
    """One batch, per-run parameters (a column that differs between runs)."""
    params = ParamSet.per_run(
        {"kazakhstan.multivector": 0.1 + 0.5 * (i % 3) / 2} for i in range(300)
    )
    return params, simulate(params, seeds=SEEDS, months=18)


@pytest.mark.parametrize(
    ("executor", "workers", "chunk_size"),
    [("serial", 1, 37), ("process", 2, 64), ("process", 2, 300), ("process", 2, None)],
)
def test_chunks_on_any_executor_give_the_tables_of_one_batch(
    whole, executor: str, workers: int, chunk_size: int | None
) -> None:
    params, one = whole
    with Ensembles(executor, workers, chunk_size=chunk_size) as ensembles:
        got = ensembles.simulate(params, SEEDS, 18)
    for name in ("summary", "trajectories", "events"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(one, name), check_exact=True)


def test_chunks_come_back_in_run_order_and_cover_every_run() -> None:
    with Ensembles("process", 2, chunk_size=40) as ensembles:
        ids = [run_ids for run_ids, _ in ensembles.chunks({}, SEEDS[:130], 3, False, False)]
    assert np.array_equal(np.concatenate(ids), np.arange(130))
    assert chunk_bounds(130, workers=2, chunk_size=40) == [(0, 40), (40, 80), (80, 120), (120, 130)]
    assert chunk_bounds(100, workers=2, chunk_size=None) == [(0, 100)]  # too few to share out


def test_an_ablation_is_the_same_on_two_workers_as_in_one_process() -> None:
    seeds = derive_seeds(3, np.arange(600))
    args = ({}, seeds, 24, ("instrument_costs", "credibility"))
    serial = ablate(*args)
    with Ensembles("process", 2) as ensembles:
        pooled = ablate(*args, ensembles=ensembles)
    pd.testing.assert_frame_equal(serial, pooled, check_exact=True)


@pytest.mark.parametrize("batches", [2, 5])  # fewer than two per worker: cut; more: whole
def test_each_batch_is_the_batch_simulated_alone_however_they_are_shared_out(
    whole, batches: int
) -> None:
    params, one = whole
    plain = {"kazakhstan.multivector": 0.4}
    jobs = [(params, SEEDS)] + [(plain, SEEDS[: 50 + 10 * i]) for i in range(batches - 1)]
    with Ensembles("process", 2) as ensembles:
        got = list(ensembles.simulate_each(jobs, 18))
    assert len(got) == batches
    for name in ("summary", "trajectories", "events"):
        pd.testing.assert_frame_equal(getattr(got[0], name), getattr(one, name), check_exact=True)
    for (values, seeds), tables in zip(jobs[1:], got[1:], strict=True):
        alone = simulate(values, seeds=seeds, months=18)
        pd.testing.assert_frame_equal(tables.summary, alone.summary, check_exact=True)
