"""The sweep's monthly aggregate: exact extremes, quantiles never clipped to the bins' range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine import aggregate, runner
from sim.engine.aggregate import BINS, bounded_quantile
from sim.engine.design import load_experiment
from sim.engine.runner import run_sweep
from sim.engine.store import read_table
from sim.engine.sweep_directory import AGGREGATE, read_parts

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
