"""Sensitivity analysis: known indices (Ishigami, linear Morris), replicate noise, a sweep."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import HANG_GUARD
from SALib.test_functions import Ishigami

from sim.analysis.sensitivity import replicate_noise, replicate_rows, sensitivity_indices
from sim.engine.design import load_experiment, morris_sample, sobol_sample

ROOT = Path(__file__).resolve().parents[1]
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
# Analytic indices for a = 7, b = 0.1 (Ishigami and Homma 1990; Saltelli et al. 2008).
S1_TRUE = np.array([0.3139, 0.4424, 0.0])
ST_TRUE = np.array([0.5576, 0.4424, 0.2437])


def test_sobol_recovers_the_ishigami_indices() -> None:
    # The sweep's own path: sobol_sample (the design) -> sensitivity_indices (the analysis).
    x = sobol_sample(ISHIGAMI, 2048, seed=7, second_order=True)
    y = Ishigami.evaluate(x)
    tables = sensitivity_indices("sobol", ISHIGAMI, x, {"y": y}, resamples=200, seed=1)
    first = tables["sobol"].set_index("factor").loc[ISHIGAMI["names"]]
    # Tolerances for N = 2048: SALib's own intervals are about +-0.03 here.
    np.testing.assert_allclose(first["S1"], S1_TRUE, atol=0.05)
    np.testing.assert_allclose(first["ST"], ST_TRUE, atol=0.05)
    assert (first["S1_conf"] > 0).all() and (first["S1_conf"] < 0.1).all()
    pairs = tables["sobol_second_order"].set_index(["factor", "other"])["S2"]
    # The only interaction is x1 * x3: S13 = ST1 - S1_1 = 0.244.
    assert pairs[("x1", "x3")] == pytest.approx(0.244, abs=0.08)
    assert abs(pairs[("x1", "x2")]) < 0.08 and abs(pairs[("x2", "x3")]) < 0.08


def test_replicate_noise_is_reported_and_bounded() -> None:
    # Ishigami plus run noise of known variance: noise share = (s^2 / R) / Var(mean).
    x = sobol_sample(ISHIGAMI, 512, seed=7, second_order=False)
    rng = np.random.default_rng(0)
    reps, sd = 20, 2.0
    runs = Ishigami.evaluate(x)[:, None] + rng.normal(0, sd, size=(len(x), reps))
    tables = sensitivity_indices(
        "sobol", ISHIGAMI, x, {"y": runs}, second_order=False, replicate_bootstrap=30, seed=2
    )
    noise = tables["sensitivity_noise"].iloc[0]
    expected = (sd**2 / reps) / runs.mean(axis=1).var(ddof=1)
    assert noise["noise_share"] == pytest.approx(expected, rel=0.1)
    assert noise["replicates"] == reps
    first = tables["sobol"].set_index("factor")
    # Replicate noise spreads the indices, but less than the sampling interval does.
    assert (first["ST_rep_sd"] > 0).all()
    assert (first["ST_rep_sd"] < first["ST_conf"]).all()
    np.testing.assert_allclose(first["S1"], S1_TRUE, atol=0.1)


def test_replicate_noise_of_a_deterministic_outcome_is_zero() -> None:
    stats = replicate_noise(np.repeat(np.arange(10.0)[:, None], 5, axis=1))
    assert stats["noise_share"] == 0 and stats["within_share"] == 0


def test_morris_ranks_a_function_with_known_effects() -> None:
    # y = 10 x1 + 3 x2 + x3 + 0 x4 + 4 x1 x5 on [0, 1]^5: elementary effects are the slopes,
    # so mu* = 10 (+2 from the interaction), 3, 1, 0, 2 and only x1, x5 have sigma > 0.
    problem = {"num_vars": 5, "names": [f"x{i}" for i in range(1, 6)], "bounds": [[0, 1]] * 5}
    x = morris_sample(problem, 60, seed=3, levels=4)
    y = 10 * x[:, 0] + 3 * x[:, 1] + x[:, 2] + 4 * x[:, 0] * x[:, 4]
    table = sensitivity_indices("morris", problem, x, {"y": y}, levels=4)["morris"]
    table = table.set_index("factor")
    assert list(table.sort_values("mu_star", ascending=False).index) == [
        "x1",
        "x2",
        "x5",
        "x3",
        "x4",
    ]
    assert table.loc["x2", "mu_star"] == pytest.approx(3.0)
    assert table.loc["x3", "mu_star"] == pytest.approx(1.0)
    assert table.loc["x4", "mu_star"] == pytest.approx(0.0)
    assert table.loc["x1", "mu_star"] == pytest.approx(12.0, abs=0.6)
    assert table.loc["x2", "sigma"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["x5", "sigma"] > 0.5 and table.loc["x1", "sigma"] > 0.5


def test_replicate_rows_refuses_a_missing_replicate() -> None:
    summary = pd.DataFrame({"design_point": [0, 0, 1, 1], "replicate": [1, 0, 0, 1]})
    np.testing.assert_array_equal(replicate_rows(summary, [0, 1], 2), [[1, 0], [2, 3]])
    with pytest.raises(ValueError, match="incomplete"):
        replicate_rows(summary.iloc[:3], [0, 1], 2)


def test_morris_design_kind_and_refusals() -> None:
    ranges = [
        "factors={russia: {base_resolve: {range: [0.6, 1.6]}}, "
        "kazakhstan: {multivector: {range: [0, 0.5]}}}"
    ]
    from sim.config import ConfigError
    from sim.engine.design import build_design

    cfg = load_experiment(None, [*ranges, "design.kind=morris", "design.n=5", "design.levels=4"])
    assert len(build_design(cfg)) == 5 * 3
    with pytest.raises(ConfigError, match="design.levels"):
        load_experiment(None, [*ranges, "design.kind=morris", "design.levels=1"])
    with pytest.raises(ConfigError, match="war.outcome"):
        load_experiment(
            None, ["factors={war: {outcome: [ongoing, favorable]}}", "design.kind=morris"]
        )


def test_shipped_experiments_cover_every_actor() -> None:
    for name, least in (("sensitivity", 10), ("screening", 20)):
        cfg = load_experiment(name)
        groups = {path.split(".")[0] for path in _paths(cfg.factors)}
        assert {"russia", "kazakhstan", "china", "turkey", "eu", "war"} <= groups
        assert len(_paths(cfg.factors)) >= least


def _paths(node) -> list[str]:
    return [f"{g}.{n}" for g, names in node.items() for n in names]


@pytest.fixture(scope="module")
def small_sobol(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped Sobol experiment, shrunk: N = 4, 3 replicates, 24 months, via the CLI."""
    out = tmp_path_factory.mktemp("sobol")
    command = [sys.executable, "-m", "sim", "sweep", "experiment=sensitivity", "design.n=4"]
    command += ["replicates=3", "months=24", "executor=serial", "progress=false"]
    command += [f"output_root={out}", "analysis.months=[12,24]", "analysis.replicate_bootstrap=5"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr
    assert "== sobol" in done.stdout and "replicate noise" in done.stdout
    return next((out / "sweeps" / "sensitivity").iterdir())


def test_sweep_writes_indices_with_intervals_and_noise(small_sobol: Path) -> None:
    from sim.analysis.sweep_analysis import newest_analysis

    analysis = newest_analysis(small_sobol)
    sobol = pd.read_parquet(analysis / "sobol.parquet")
    assert {"S1", "S1_conf", "ST", "ST_conf", "S1_rep_sd", "ST_rep_sd"} <= set(sobol.columns)
    assert set(sobol["outcome"]) >= {"final_alignment", "months_to_rung3", "p_rung3_by24"}
    assert sobol["factor"].nunique() == 10
    noise = pd.read_parquet(analysis / "sensitivity_noise.parquet")
    assert (noise["replicates"] == 3).all() and (noise["samples"] == 4 * 22).all()
    outcomes = pd.read_parquet(analysis / "sensitivity_outcomes.parquet")
    assert len(outcomes) == 4 * 22 and "final_alignment" in outcomes
    assert (analysis / "sobol_second_order.csv").exists()


def test_analyze_and_figures_of_a_sobol_sweep(small_sobol: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "analyze", str(small_sobol), "replicate_bootstrap=3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr
    assert "mean final alignment" in done.stdout and "ST (+-conf)" in done.stdout
    from sim.plots.sensitivity import sensitivity_figures

    figures = sensitivity_figures(small_sobol)
    assert list(figures) == ["sobol_baseline"]
    assert sensitivity_figures(small_sobol / "nowhere") == {}
