"""A run's tables depend only on its seed and its own parameters.

Same seeds and parameters give identical tables; a run simulated alone is bit-identical to the
same seed inside larger batches, at any position, with any batch size, and next to runs with
other parameter values (per-run parameter arrays, including a different route lag, which sizes
Kazakhstan's order buffer). Floats are compared bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import make_consistent

from sim import EscalationModel, ParamSet, simulate
from sim.model.params import PARAMS

MONTHS = 120
TARGET_SEED = 20221028
#: A busy run: the war ends early and well for Russia, bloc exits and a pipeline are scripted.
EVENTFUL = {
    "war.outcome": "favorable",
    "war.end_month": 6,
    "war.reconstitution_months": 6,
    "russia.initial_rung": 3,
    "russia.base_resolve": 2.0,
    "russia.war_rate": 0.5,
    "kazakhstan.csto_exit_month": 20,
    "kazakhstan.eaeu_exit_month": 40,
    "kazakhstan.tc_pipeline_month": 30,
    "kazakhstan.caspian_lead_high": 12,
    "turkey.arms": 0.2,
}


def assert_columns_identical(a: pd.Series, b: pd.Series) -> None:
    """Bitwise equality of two columns (floats compared by their bits, NaN-safe)."""
    x, y = a.to_numpy(), b.to_numpy()
    if x.dtype.kind == "f":
        assert x.dtype == y.dtype and np.array_equal(x.view(np.uint8), y.view(np.uint8)), a.name
    elif x.dtype.kind in "iub":
        assert np.array_equal(x, y), a.name
    else:
        assert_objects_identical(a, b)


def assert_objects_identical(a: pd.Series, b: pd.Series) -> None:
    """Equality of categorical, string or date columns, with any missing value as None."""

    def values(s: pd.Series) -> list:
        return [None if pd.isna(v) else v for v in s.astype(object)]

    assert values(a) == values(b), a.name


def assert_tables_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for column in a.columns:
        assert_columns_identical(a[column].reset_index(drop=True), b[column].reset_index(drop=True))


def run_tables(result, run_id: int) -> dict[str, pd.DataFrame]:
    """The summary row, trajectory rows and event rows of one run, without the run id."""
    return {
        name: table[table["run_id"] == run_id].drop(columns="run_id").reset_index(drop=True)
        for name, table in (
            ("summary", result.summary),
            ("trajectories", result.trajectories),
            ("events", result.events),
        )
    }


def assert_same_run(alone, alone_id: int, batch, batch_id: int) -> None:
    one, other = run_tables(alone, alone_id), run_tables(batch, batch_id)
    assert len(one["events"]) > 0
    for name in one:
        assert_tables_identical(one[name], other[name])


def random_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Parameter sets drawn uniformly within the ranges (initial shares kept consistent)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(count):
        row: dict[str, Any] = {}
        for p in PARAMS:
            if p.choices:
                row[p.path] = str(rng.choice(p.choices))
            elif p.nullable and rng.random() < 0.3:
                row[p.path] = None
            elif p.integer:
                row[p.path] = int(rng.integers(p.low, p.high + 1))
            else:
                row[p.path] = float(rng.uniform(p.low, p.high))
        rows.append(make_consistent(row))
    return rows


@pytest.fixture(scope="module")
def alone():
    return simulate(EVENTFUL, seeds=[TARGET_SEED], months=MONTHS)


def test_same_seeds_and_params_give_identical_tables():
    """Two simulations with the same seeds and parameters give identical tables."""
    seeds = np.arange(40, 56)
    first, second = (simulate(EVENTFUL, seeds=seeds, months=MONTHS) for _ in range(2))
    for name in ("summary", "trajectories", "events"):
        assert_tables_identical(getattr(first, name), getattr(second, name))


def test_different_seeds_give_different_runs():
    """The seed matters: two seeds give different trajectories (the check above is not vacuous)."""
    result = simulate(EVENTFUL, seeds=[1, 2], months=MONTHS)
    traj = result.trajectories
    one, two = (traj[traj["run_id"] == i]["alignment"].to_numpy() for i in (0, 1))
    assert not np.array_equal(one, two)


@pytest.mark.parametrize(
    ("size", "position"), [(2, 0), (2, 1), (7, 3), (64, 0), (64, 31), (64, 63), (500, 257)]
)
def test_run_alone_equals_run_in_batch(alone, size, position):
    """A seed gives the same tables alone as at any position of batches of any size."""
    seeds = np.arange(1000, 1000 + size)
    seeds[position] = TARGET_SEED
    batch = simulate(EVENTFUL, seeds=seeds, months=MONTHS)
    assert_same_run(alone, 0, batch, position)


@pytest.mark.parametrize(("size", "position"), [(5, 0), (5, 4), (33, 16)])
def test_run_alone_equals_run_among_other_parameters(alone, size, position):
    """Per-run parameter arrays: neighbours' parameters do not change a run's tables."""
    rows = random_rows(size, seed=size + position)
    rows[position] = EVENTFUL
    seeds = np.arange(7, 7 + size)
    seeds[position] = TARGET_SEED
    params = ParamSet.per_run(rows)
    assert isinstance(params.columns["kazakhstan.caspian_lead_high"], np.ndarray)
    batch = simulate(params, seeds=seeds, months=MONTHS)
    assert_same_run(alone, 0, batch, position)


def test_per_run_params_equal_uniform_params():
    """A batch whose per-run rows are all equal matches ParamSet.uniform with those values."""
    seeds = np.arange(300, 310)
    uniform = simulate(ParamSet.uniform(EVENTFUL, size=10), seeds=seeds, months=MONTHS)
    mixed_rows = [EVENTFUL] * 10
    per_run = simulate(ParamSet.per_run(mixed_rows), seeds=seeds, months=MONTHS)
    for name in ("summary", "trajectories", "events"):
        assert_tables_identical(getattr(uniform, name), getattr(per_run, name))


def test_chunks_equal_whole_batch():
    """Splitting a per-run batch with ParamSet.take into chunks gives the same tables."""
    rows = random_rows(12, seed=3)
    seeds = np.arange(500, 512)
    params = ParamSet.per_run(rows)
    whole = simulate(params, seeds=seeds, months=MONTHS, run_ids=np.arange(12))
    parts = [
        simulate(params.take(idx), seeds=seeds[idx], months=MONTHS, run_ids=idx)
        for idx in (np.arange(0, 5), np.arange(5, 6), np.arange(6, 12))
    ]
    for name in ("summary", "trajectories", "events"):
        joined = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        assert_tables_identical(getattr(whole, name), joined)


def test_run_ids_are_carried_through(alone):
    """Given run ids label every table, and a run keeps its tables under its own id."""
    run_ids = np.array([900, 17, 4242])
    seeds = np.array([5, TARGET_SEED, 6])
    batch = simulate(EVENTFUL, seeds=seeds, months=MONTHS, run_ids=run_ids)
    assert batch.summary["run_id"].tolist() == run_ids.tolist()
    assert batch.summary["seed"].tolist() == seeds.tolist()
    assert set(batch.trajectories["run_id"]) == set(run_ids)
    assert set(batch.events["run_id"]) <= set(run_ids)
    assert (batch.trajectories.groupby("run_id").size() == MONTHS).all()
    assert_same_run(alone, 0, batch, 17)


def test_mesa_rng_argument_equals_single_seed():
    """EscalationModel(rng=s), as mesa.batch_run builds it, is the run with seeds=[s]."""
    by_rng = EscalationModel(EVENTFUL, months=MONTHS, rng=TARGET_SEED).run()
    by_seed = EscalationModel(EVENTFUL, seeds=[TARGET_SEED], months=MONTHS).run()
    for name in ("summary", "trajectories", "events"):
        assert_tables_identical(getattr(by_rng, name), getattr(by_seed, name))
