"""The engine's in-memory ensembles: the same tables as one `simulate` call, in any chunking.

Validation, ablation, calibration and `run` simulate their batches through
`sim.engine.ensemble.Ensembles`; a run's numbers depend only on its seed and parameters, so the
chunk size, the executor and the number of workers must change nothing, bit for bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sim.engine.ensemble import Ensembles, Runs, chunk_bounds
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
    # batches of their own sizes, horizons and recordings (validate's batches differ so)
    others = [
        Runs(plain, SEEDS[: 50 + 10 * i], 6 + i, i % 2 == 0, False) for i in range(batches - 1)
    ]
    with Ensembles("process", 2) as ensembles:
        got = list(ensembles.simulate_each(iter([Runs(params, SEEDS, 18), *others]), batches))
    assert len(got) == batches
    for name in ("summary", "trajectories", "events"):
        pd.testing.assert_frame_equal(getattr(got[0], name), getattr(one, name), check_exact=True)
    for runs, tables in zip(others, got[1:], strict=True):
        alone = simulate(
            runs.params, seeds=runs.seeds, months=runs.months, trajectories=runs.trajectories
        )
        pd.testing.assert_frame_equal(tables.summary, alone.summary, check_exact=True)
        if runs.trajectories:
            pd.testing.assert_frame_equal(tables.trajectories, alone.trajectories, check_exact=True)
        assert tables.events is None


def test_validation_batches_are_the_same_on_two_workers_as_in_one_process() -> None:
    """Four batches on two workers go out whole (two per worker), composed as workers free up."""
    from sim.commands.validate import run_batches
    from sim.engine.posterior_draws import resolve
    from sim.studies.validation import BATCHES

    specs = [dataclasses.replace(spec, months=8) for spec in BATCHES[:4]]
    drawn = resolve(None)  # the shipped posterior: every run its own parameters
    serial, serial_configs = run_batches(specs, 120, seed=5, calibration=drawn, workers=1)
    pooled, pooled_configs = run_batches(specs, 120, seed=5, calibration=drawn, workers=2)
    assert list(pooled) == [s.name for s in specs] and pooled_configs == serial_configs
    for name, batch in serial.items():
        assert pooled[name].values == batch.values
        for table in ("summary", "trajectories", "events"):
            mine, theirs = getattr(pooled[name].result, table), getattr(batch.result, table)
            if theirs is None:
                assert mine is None
            else:
                pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
