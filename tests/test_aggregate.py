"""The sweep's monthly aggregate: exact extremes, quantiles never clipped to the bins' range."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.engine import aggregate, fixed_point, runner, sweep_directory
from sim.engine.aggregate import BINS, bounded_quantile
from sim.engine.config_file import read_config
from sim.engine.design import load_experiment
from sim.engine.runner import run_sweep
from sim.engine.store import read_table
from sim.engine.sweep_directory import AGGREGATE, planned_parts, read_parts

RANGES = dict(aggregate.AGGREGATE_VARIABLES)  # as shipped (the narrow sweep patches the module)
NARROW = {"alignment": (0.70, 0.74), "motivation": (0.8, 1.2)}  # many runs fall outside


@pytest.fixture(scope="module")
def narrow_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep with trajectories whose histograms cover too little of two variables."""
    patch = pytest.MonkeyPatch()
    patch.setattr(aggregate, "AGGREGATE_VARIABLES", {**aggregate.AGGREGATE_VARIABLES, **NARROW})
    try:
        cfg = load_experiment(
            "escalation_threshold",
            [
                "scenarios=[baseline]",
                "factors.kazakhstan.multivector.levels=2",
                "replicates=20",
                "months=24",
                "trajectories=true",
                "executor=serial",
                "chunk_size=15",
                "progress=false",
                "analysis.run=false",
                f"output_root={tmp_path_factory.mktemp('narrow')}",
            ],
        )
        yield run_sweep(cfg)
    finally:
        patch.undo()


def test_quantiles_are_within_a_bin_or_missing_never_clipped(narrow_sweep: Path) -> None:
    aggregate = read_table(narrow_sweep / AGGREGATE)
    exact = read_parts(narrow_sweep, "trajectories").groupby(["design_point", "month"])
    checked = {"inside": 0, "outside": 0}
    for name, (low, high) in NARROW.items():
        values = exact[name]
        # The value at rank ceil(qN) is the one whose bin the histogram reads.
        for q in (0.1, 0.5, 0.9):
            truth = values.apply(
                lambda v, q=q: np.quantile(v.to_numpy(np.float64), q, method="inverted_cdf")
            )
            got = aggregate.set_index(["design_point", "month"])[f"{name}_q{int(q * 100):02d}"]
            outside = (truth < low) | (truth > high)
            assert got[outside.to_numpy()].isna().all()
            inside = got[~outside.to_numpy()]
            tolerance = (high - low) / BINS + 1e-5  # trajectories are float32
            assert inside.empty or (inside - truth[~outside]).abs().max() <= tolerance
            checked["inside"] += len(inside)
            checked["outside"] += int(outside.sum())
        assert np.allclose(aggregate[f"{name}_min"], values.min().to_numpy(), rtol=1e-6)
        assert np.allclose(aggregate[f"{name}_max"], values.max().to_numpy(), rtol=1e-6)
        share = values.apply(lambda v, low=low, high=high: ((v < low) | (v > high)).mean())
        assert np.allclose(aggregate[f"{name}_outside"], share.to_numpy(), atol=1e-9)
    assert checked["inside"] > 0 and checked["outside"] > 0


def test_bounded_quantile_reads_the_inner_bins_and_refuses_the_tails() -> None:
    hist = np.zeros((3, BINS + 2), dtype=np.int64)
    hist[0, 1:-1] = 1  # uniform over [0, 1]
    hist[1, 0], hist[1, 1:-1] = 40, 1  # 40 runs below the range, 50 inside
    hist[2, -1], hist[2, 1] = 5, 95  # 5 runs above the range
    q10 = bounded_quantile(hist, 0.0, 1.0, 0.1)
    assert q10[0] == pytest.approx(0.1) and np.isnan(q10[1]) and q10[2] < 0.02
    q90 = bounded_quantile(hist, 0.0, 1.0, 0.9)
    assert q90[0] == pytest.approx(0.9) and q90[1] == pytest.approx(0.82) and q90[2] < 0.02
    assert np.isnan(bounded_quantile(hist, 0.0, 1.0, 0.99)[2])


def test_the_parent_writes_the_same_parts_when_workers_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remote Dask cluster may not see the sweep directory: its chunks come back as tables."""
    options = [
        "scenarios=[baseline]",
        "factors.kazakhstan.multivector.levels=2",
        "replicates=12",
        "months=6",
        "executor=serial",
        "chunk_size=10",
        "progress=false",
        "analysis.run=false",
    ]

    def tables(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
        directory = run_sweep(
            load_experiment("escalation_threshold", [*options, f"output_root={root}"])
        )
        return read_parts(directory), read_table(directory / AGGREGATE)

    by_workers = tables(tmp_path / "a")
    monkeypatch.setattr(runner, "workers_share_files", lambda cfg: False)
    by_parent = tables(tmp_path / "b")
    for got, expected in zip(by_parent, by_workers, strict=True):
        pd.testing.assert_frame_equal(got, expected)


def test_the_merged_aggregate_is_the_same_table_whatever_rows_go_per_write(
    narrow_sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finish() converts and writes the merged design points in batches; one point per write
    (the smallest batch) and one write for all give the same rows, types and metadata."""
    directory = tmp_path / "sweep"
    shutil.copytree(narrow_sweep, directory)
    parts = len(planned_parts(directory))
    plan_ = SimpleNamespace(cfg=read_config(directory), chunks=parts)
    tables = {}
    for rows in (1, 10**9):
        monkeypatch.setattr(sweep_directory, "ROWS_PER_WRITE", rows)
        sweep_directory.finish(directory, plan_, "a-run-dir")
        tables[rows] = pq.read_table(directory / AGGREGATE)
    one_each, all_at_once = tables.values()
    assert pq.ParquetFile(directory / AGGREGATE).metadata.num_row_groups == 1
    assert all_at_once.num_rows > 1 and all_at_once.equals(one_each)
    assert all_at_once.schema.equals(one_each.schema, check_metadata=True)


def _model(values: dict[str, np.ndarray | float], rung: np.ndarray) -> SimpleNamespace:
    """What the aggregate reads of a model, with the given values of its variables."""
    kazakhstan_keys = ("alignment", "cpc_share", "trans_caspian_share", "defence")
    kazakhstan = SimpleNamespace(
        **{k: values[k] for k in (*kazakhstan_keys, "nationalism", "oil_revenue")}
    )
    russia = SimpleNamespace(
        rung=rung, **{k: values[k] for k in ("leverage", "motivation", "war_surplus")}
    )
    return SimpleNamespace(
        kazakhstan=kazakhstan, russia=russia, expected_response=values["backing"]
    )


def _edge_values(runs: int, seed: int) -> dict[str, np.ndarray | float]:
    """Values exactly on each histogram's ends and inside its range, and (odd seeds: none)
    below and above it."""
    rng = np.random.default_rng(seed)
    values: dict[str, np.ndarray | float] = {}
    for name, (low, high) in RANGES.items():
        x = low + (high - low) * rng.uniform(*((0, 1) if seed % 2 else (-0.3, 1.3)), runs)
        x[:2] = low, high
        if seed % 2 == 0:
            x[2:4] = high + 1e-9, low - 1e-9
        values[name] = x
    values["backing"] = 0.25  # a scalar state, broadcast to every run
    values["oil_revenue"] = values["oil_revenue"].astype(np.float32)  # widened to float64
    return values


def _aggregate(
    local: np.ndarray, points: int, months: list[dict], rungs: list[np.ndarray]
) -> dict[str, np.ndarray]:
    reduction = aggregate.MonthlyAggregate(local, points, len(months), histograms=True)
    for month, (values, rung) in enumerate(zip(months, rungs, strict=True)):
        reduction.each_month(_model(values, rung), month)
    return {k: getattr(reduction, k) for k in ("rungs", "sums", "hist", "min", "max")}


def _point(table: dict[str, np.ndarray], point: int) -> dict[str, np.ndarray]:
    """One design point's counts, sums and extremes (rungs are indexed by point first)."""
    return {k: v[point] if k == "rungs" else v[:, point] for k, v in table.items()}


def test_a_chunk_inside_one_design_point_aggregates_as_the_general_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The one-point path (plain sums and extremes) gives the integers and values the per-block
    path gives the same runs beside another design point, and the expected ones."""
    monkeypatch.setattr(aggregate, "AGGREGATE_VARIABLES", RANGES)
    months, sizes = 3, (37, 42)
    values = [[_edge_values(n, 10 * p + m) for m in range(months)] for p, n in enumerate(sizes)]
    rungs = [[np.arange(n) % (6 - p) for _ in range(months)] for p, n in enumerate(sizes)]
    local = np.repeat([0, 1], sizes)
    together = _aggregate(
        local,
        2,
        [
            {k: np.r_[np.broadcast_to(a[k], sizes[0]), np.broadcast_to(b[k], sizes[1])] for k in a}
            for a, b in zip(*values, strict=True)
        ],
        [np.r_[a, b] for a, b in zip(*rungs, strict=True)],
    )
    for point, n in enumerate(sizes):
        alone = _aggregate(np.full(n, point), 2, values[point], rungs[point])
        for name, expected in _point(together, point).items():
            assert np.array_equal(_point(alone, point)[name], expected), name

    first = _point(together, 0)
    for month in (0, 1):  # runs outside the range; all inside it (the clip is skipped)
        alignment = values[0][month]["alignment"]
        assert first["sums"][0, month] == np.rint(alignment * 2**24).astype(np.int64).sum()
        assert (first["min"][0, month], first["max"][0, month]) == (
            alignment.min(),
            alignment.max(),
        )
        bins = np.digitize(alignment, np.linspace(0, 1, BINS + 1)[1:-1]) + 1
        bins[alignment == 1.0] = BINS  # the top of the range is in the last bin
        bins[alignment < 0], bins[alignment > 1] = 0, BINS + 1
        assert np.array_equal(first["hist"][0, month], np.bincount(bins, minlength=BINS + 2))
    assert first["hist"][:, 1, [0, -1]].sum() == 0 < first["hist"][:, 0, [0, -1]].sum()
    backing = list(RANGES).index("backing")
    assert first["sums"][backing, 0] == sizes[0] * round(0.25 * 2**24)
    assert np.array_equal(first["rungs"][0], np.bincount(rungs[0][0], minlength=6))


def test_fixed_point_sums_are_the_integer_sums_on_either_side_of_the_float_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Below 2^53 in total the float path sums exactly (it must not convert: checked); beyond
    it, and with NaN or infinity, the integer path gives what it always gave."""
    rng = np.random.default_rng(5)
    converted = []
    integer_path = fixed_point.to_fixed_point
    monkeypatch.setattr(
        fixed_point, "to_fixed_point", lambda *a, **k: converted.append(1) or integer_path(*a, **k)
    )
    n = 64
    edge = (fixed_point.EXACT_FLOAT_INTEGERS / n - 0.5) / fixed_point.FIXED_POINT
    starts = np.array([0, 5, 6, 40])
    for largest, float_path in [(1.0, True), (edge * (1 - 1e-12), True), (edge * 1.01, False)]:
        x = largest * rng.uniform(-1, 1, n)
        x[:2] = largest, -largest
        x[7:9] = largest * (1 - 2**-40), -largest * (1 - 2**-40)  # halves of 2^-24 to round
        expected = integer_path(x)
        converted.clear()
        assert fixed_point.fixed_point_sums(x, largest) == expected.sum()
        got = fixed_point.fixed_point_sums(x, largest, starts)
        assert np.array_equal(got, fixed_point.block_sums(expected, starts))
        assert got.dtype == np.int64 and (not converted) == float_path
    for odd in (np.nan, np.inf):
        x = np.r_[rng.uniform(-1, 1, 10), odd]
        largest = np.maximum(-x.min(), x.max())
        with np.errstate(invalid="ignore"):
            assert fixed_point.fixed_point_sums(x, largest) == integer_path(x).sum()
