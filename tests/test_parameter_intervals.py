"""The parameters' interval beside the dice's where it was missing: a sweep's time-to-rung
curves, median times and thresholds, `sim score`'s P(yes), and `sim policy`'s probability
objectives; every one from the one variance split (``sim.analysis.variance_split``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.probabilities import median_times, thresholds, time_to_escalation
from sim.analysis.stats import band_interval, wilson_interval
from sim.analysis.variance_split import (
    curve_parameters_sd,
    point_variance_split,
    variance_components,
    with_curve_parameter_intervals,
)
from sim.model.version import model_version


def posterior_dir(root: Path) -> Path:
    """A hand-made posterior of this model whose three draws escalate very differently (a
    weak, a middling and a strong resolve, with costly to cheap posturing), so the spread
    between draws is large: the tests do not depend on the shipped posterior's state."""
    directory = root / "posterior"
    directory.mkdir()
    values = {
        "russia.base_resolve": [0.4, 1.0, 2.5],
        "russia.posture_cost": [1.5, 0.3, 0.05],
        "weight": [1 / 3, 1 / 3, 1 / 3],
    }
    names = [n for n in values if n != "weight"]
    manifest = {
        "kind": "calibration",
        "model_version": model_version(),
        "parameters": names,
        "targets": "seed_2022",
    }
    (directory / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame(values).to_parquet(directory / "posterior.parquet")
    return directory


def synthetic_summary(points: int = 3, replicates: int = 40, seed: int = 5) -> pd.DataFrame:
    """Run summaries whose posterior draws (replicates r // 10) differ in how early the runs
    reach rung 3 (some never do)."""
    rng = np.random.default_rng(seed)
    rows = []
    for point in range(points):
        for replicate in range(replicates):
            draw = replicate // 10
            first = rng.geometric(0.02 + 0.03 * draw + 0.01 * point) - 1
            rows.append((point, replicate, float(first) if first < 60 else np.nan))
    return pd.DataFrame(rows, columns=["design_point", "replicate", "month_rung_3"])


# --- sweeps: curves, medians, thresholds ---------------------------------------------------------
def test_the_curves_band_is_the_variance_split_of_p_by_each_month():
    """At every month the curve's parameters' sd is the one the probabilities get: one
    variance split, computed for all months in one pass."""
    summary = synthetic_summary()
    months = np.array([1, 5, 12, 30, 60])
    fast = curve_parameters_sd(summary, 3, months)
    direct = point_variance_split(summary, list(months), [3])
    merged = fast.merge(direct, on=["design_point", "rung", "month"])
    assert len(merged) == 15 and (merged["draws"] == 4).all()
    np.testing.assert_allclose(merged["parameters_sd_x"], merged["parameters_sd_y"])
    assert (merged["parameters_sd_x"] > 0).any()


def test_the_curves_band_is_the_same_whatever_points_are_split_together(monkeypatch):
    """curve_parameters_sd splits a block of design points at a time (cache-sized): one point
    per block and all points in one give the same values to the last bit."""
    from sim.analysis import variance_split

    summary = synthetic_summary(points=5, replicates=60)
    months = np.arange(1, 61)
    tables = []
    for cells in (1, 2 * 60 * 6, 10**12):  # one point, two points, all at once
        monkeypatch.setattr(variance_split, "BLOCK_CELLS", cells)
        tables.append(curve_parameters_sd(summary, 3, months))
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0], check_exact=True)
    assert tables[0]["parameters_sd"].notna().all() and len(tables[0]) == 5 * 60


def _split_as_written_first(sums, runs, squares=None):
    """variance_components as first written (a fresh array per step, runs per row): the
    reference its buffered, broadcasting form must equal bit for bit."""
    sums, runs = np.atleast_2d(sums).astype(float), np.atleast_2d(runs).astype(float)
    squares = sums if squares is None else np.atleast_2d(squares).astype(float)
    n, groups = runs.sum(axis=1), (runs > 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(runs > 0, sums / runs, 0.0)
        mean = sums.sum(axis=1) / n
        within = (squares - sums * means).sum(axis=1) / (n - groups)
        between = (runs * (means - mean[:, None]) ** 2).sum(axis=1) / (groups - 1)
        size = (n - (runs**2).sum(axis=1) / n) / (groups - 1)
        parameters = np.maximum(0.0, (between - within) / size)
        overall = squares.sum(axis=1) / n - mean**2
    identified = (groups >= 2) & (n > groups)
    return np.where(identified, parameters, np.nan), np.where(identified, within, overall)


def test_runs_shared_by_the_months_give_the_split_of_runs_per_row_bit_for_bit():
    """curve_parameters_sd gives every month of a point the point's runs per draw, broadcast
    rather than repeated: the same values to the last bit as one row each, including draws
    without runs, a point with one draw (unidentified) and outcomes that are not 0/1."""
    rng = np.random.default_rng(3)
    runs = rng.integers(0, 12, (4, 50)).astype(float)
    runs[1, 1:] = 0  # one draw: NaN
    hits = np.minimum(rng.integers(0, 12, (4, 7, 50)), runs[:, None, :])
    rows = np.repeat(runs, 7, axis=0)
    for squares in (None, hits * 1.7):
        got = variance_components(hits, runs[:, None, :], squares)
        flat = None if squares is None else squares.reshape(-1, 50)
        expected = _split_as_written_first(hits.reshape(-1, 50), rows, flat)
        for mine, theirs in zip(got, expected, strict=True):
            assert np.array_equal(mine.reshape(-1), theirs, equal_nan=True)
        assert np.isnan(got[0][1]).all() and not np.isnan(got[0][0]).any()
    noisy = rng.normal(size=(3, 20))
    assert all(
        np.array_equal(a, b, equal_nan=True)
        for a, b in zip(
            variance_components(noisy, np.full(noisy.shape, 5.0), noisy**2 + 1),
            _split_as_written_first(noisy, np.full(noisy.shape, 5.0), noisy**2 + 1),
            strict=True,
        )
    )


def test_curves_and_medians_carry_the_parameters_band_beside_the_dices():
    summary = synthetic_summary()
    curves = with_curve_parameter_intervals(time_to_escalation(summary, 60, rungs=[3]), summary)
    low, high = curves["reached_parameters_lower"], curves["reached_parameters_upper"]
    assert (low <= curves["reached"] + 1e-12).all() and (curves["reached"] <= high + 1e-12).all()
    assert (high - low).max() > 0.1  # the draws differ: the band is wide somewhere
    medians = median_times(curves)
    assert {"median_parameters_lower", "median_parameters_upper"} <= set(medians.columns)
    # The band's upper edge reaches one half no later than the curve does.
    found = medians.dropna(subset=["median_month"])
    assert (found["median_parameters_lower"] <= found["median_month"]).all()
    # Runs on the hand-set values: no band, and the medians keep their old columns.
    assert list(median_times(time_to_escalation(summary, 60, rungs=[3])).columns)[-1] == (
        "median_upper"
    )


def test_a_band_is_inverted_around_the_crossing_and_open_ends_say_so():
    x = np.array([0.0, 1.0, 2.0])
    p = np.array([0.2, 0.5, 0.8])  # crosses 0.5 at x = 1
    band = band_interval(x, p - 0.1, p + 0.1, 0.5, 1.0)
    assert band.lower == pytest.approx(2 / 3, abs=1e-3) and band.upper == pytest.approx(
        4 / 3, abs=1e-3
    )
    assert band.note == ""
    wide = band_interval(x, p - 0.4, p + 0.4, 0.5, 1.0)
    assert math.isnan(wide.lower) and math.isnan(wide.upper)
    assert wide.note == "open below and above the factor's range"
    flat = band_interval(x, p, p, 0.5, 1.0)  # a band of zero width: the crossing itself
    assert (flat.lower, flat.upper) == (1.0, 1.0)
    never = band_interval(x, p + 0.35, p + 0.4, 0.5, np.nan)
    assert math.isnan(never.lower) and "excludes 0.5" in never.note


def test_thresholds_read_their_parameters_interval_off_the_probabilities_band():
    probabilities = pd.DataFrame(
        {
            "scenario": "baseline",
            "f": [0.0, 1.0, 2.0],
            "rung": 3,
            "month": 12,
            "runs": 40,
            "probability": [0.2, 0.5, 0.8],
            "parameters_lower": [0.1, 0.4, 0.7],
            "parameters_upper": [0.3, 0.6, 0.9],
        }
    )
    row = thresholds(probabilities, ["f"], level=0.5, bootstrap=0).iloc[0]
    assert row["threshold"] == 1.0
    assert row["parameters_lower"] == pytest.approx(2 / 3, abs=1e-3)
    assert row["parameters_upper"] == pytest.approx(4 / 3, abs=1e-3)
    one_draw = probabilities.assign(parameters_lower=np.nan, parameters_upper=np.nan)
    row = thresholds(one_draw, ["f"], level=0.5, bootstrap=0).iloc[0]
    assert math.isnan(row["parameters_lower"]) and "fewer than 2 draws" in row["parameters_note"]
    hand_set = probabilities.drop(columns=["parameters_lower", "parameters_upper"])
    assert "parameters_lower" not in thresholds(hand_set, ["f"], level=0.5, bootstrap=0)


def test_a_sweep_on_a_posterior_writes_both_intervals_in_every_table(
    tmp_path: Path, capsys: pytest.CaptureFixture
):
    from sim.analysis.sweep_analysis import analyze_sweep
    from sim.commands.analyze import print_tables
    from sim.engine.design import load_experiment
    from sim.engine.runner import run_sweep

    options = [
        "scenarios=[baseline]",
        "factors.kazakhstan.multivector.levels=2",
        "replicates=30",
        "months=60",
        "progress=false",
        "analysis.run=false",
        "executor=serial",
        f"output_root={tmp_path}",
        f"calibration={posterior_dir(tmp_path)}",
    ]
    directory = run_sweep(load_experiment("escalation_threshold", options))
    tables = analyze_sweep(directory, options={"bootstrap": 20, "level": 0.2})
    curves, probabilities = tables["time_to_escalation"], tables["probabilities"]
    assert {"reached_parameters_lower", "reached_parameters_upper"} <= set(curves.columns)
    # Where a curve's month is one the probabilities hold, both give the same interval.
    same = curves.merge(probabilities, on=["design_point", "rung", "month"])
    assert len(same)
    np.testing.assert_allclose(same["reached_parameters_upper"], same["parameters_upper"])
    np.testing.assert_allclose(same["reached_parameters_lower"], same["parameters_lower"])
    assert "median_parameters_upper" in tables["median_times"]
    assert {"parameters_lower", "parameters_upper", "parameters_note"} <= set(
        tables["thresholds"].columns
    )
    for name in ("time_to_escalation", "median_times", "thresholds"):  # the CSVs too
        csv = pd.read_csv(tables.folder / f"{name}.csv")
        assert any(c.startswith(("reached_parameters", "median_parameters", "parameters_"))
                   for c in csv.columns), name  # fmt: skip
    print_tables(tables, directory)
    out = capsys.readouterr().out
    assert "reached_parameters_lower" in out  # the note says what the curves' columns are


# --- sim score ----------------------------------------------------------------------------------
def binary_fact(month: int, observed: float):
    from tests.test_score import fact

    return fact(month, observed, kind="binary", series="b")


def test_a_binary_facts_probability_carries_both_intervals():
    from sim.studies.scoring import score_facts

    runs = 60
    yes = np.r_[np.ones(10), np.zeros(10), np.ones(5), np.zeros(15), np.ones(20)]
    predictive = yes[:, None]
    draws = np.arange(runs) // 10  # draws 0, 4 and 5 all yes, 1 and 3 all no, 2 half
    known = [binary_fact(0, 1), binary_fact(1, 0)]
    table = score_facts([binary_fact(4, 1)], known, predictive, draws)
    row = table.iloc[0]
    lower, upper = wilson_interval(np.array([yes.sum()]), np.array([runs]))
    assert (row["probability_lower"], row["probability_upper"]) == pytest.approx(
        (lower[0], upper[0])
    )
    assert row["parameters_lower"] < row["probability_lower"]  # the draws differ widely
    assert row["parameters_upper"] > row["probability_upper"]
    hand_set = score_facts([binary_fact(4, 1)], known, predictive).iloc[0]
    assert np.isfinite(hand_set["probability_lower"])
    assert math.isnan(hand_set["parameters_lower"]) and math.isnan(hand_set["parameters_upper"])


def test_score_prints_and_reports_both_intervals_on_a_posterior(tmp_path: Path, capsys):
    from sim import cli

    root = tmp_path / "out"
    code = cli.main(
        [
            "score",
            "facts=seed_2022",
            "quick=true",
            "run.replicates=30",
            f"calibration={posterior_dir(tmp_path)}",
            f"run.output_root={root}",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "the parameters' 95%" in out
    (directory,) = (root / "scores" / "seed_2022").iterdir()
    scores = pd.read_parquet(directory / "scores.parquet")
    binary = scores[scores["kind"] == "binary"]
    assert binary["parameters_lower"].notna().all()
    assert scores.loc[scores["kind"] != "binary", "parameters_lower"].isna().all()
    report = (directory / "report.html").read_text()
    assert "<th>parameters_lower</th>" in report and "the parameters&#x27; 95%" in report


# --- sim policy ---------------------------------------------------------------------------------
def test_a_policys_probability_objectives_carry_both_intervals():
    from sim.studies.policy.robustness import probability_intervals

    replicates = 10
    hits = np.array([[0, 10, 2, 9], [1, 1, 2, 1]], dtype=float)  # (policies, scenarios)
    means = np.stack([hits / replicates, hits], axis=-1)  # a probability, then a rate
    columns = probability_intervals(means, ["p_rung4", "russia_disruptions"], replicates, True)
    assert list(columns) == ["p_rung4"]  # a rate has no Wilson or variance split here
    mine = columns["p_rung4"]
    lower, upper = wilson_interval(hits.sum(axis=1), np.full(2, 40))
    np.testing.assert_allclose(mine["p_rung4_lower"], lower)
    np.testing.assert_allclose(mine["p_rung4_upper"], upper)
    spread, _ = variance_components(hits, np.full(hits.shape, replicates))
    p = hits.sum(axis=1) / 40
    np.testing.assert_allclose(
        mine["p_rung4_parameters_upper"], np.clip(p + 1.959964 * np.sqrt(spread), 0, 1), atol=1e-6
    )
    assert mine["p_rung4_parameters_upper"][0] - mine["p_rung4_parameters_lower"][0] > 0.5
    # Scenarios that share their parameters, or one run each: no parameters' interval.
    same = probability_intervals(means, ["p_rung4"], replicates, False)["p_rung4"]
    assert np.isnan(same["p_rung4_parameters_lower"]).all()
    single = probability_intervals(means[:, :1], ["p_rung4"], 1, True)["p_rung4"]
    assert np.isnan(single["p_rung4_parameters_lower"]).all()


def test_a_policy_study_writes_both_intervals_and_its_report_says_which(tmp_path: Path):
    from sim.commands.plot import main as plot
    from sim.engine.store import read_table
    from sim.studies.policy import spec
    from sim.studies.policy.study import run_study

    overrides = [
        "search.population=9",
        "search.generations=1",
        "search.runs=20",
        "robustness.scenarios=4",
        "robustness.replicates=10",
        "robustness.max_policies=2",
        "robustness.lever_effects=false",
        "months=24",
        "executor=serial",
        "progress=false",
        f"output_root={tmp_path}",
        f"calibration={posterior_dir(tmp_path)}",
    ]
    directory = run_study(spec.load("partner_commitments", overrides))
    robust = read_table(directory / "robustness.parquet")
    ends = ["lower", "upper", "parameters_lower", "parameters_upper"]
    assert robust[[f"p_rung4_{end}" for end in ends]].notna().all().all()
    assert (robust["p_rung4_parameters_lower"] <= robust["p_rung4"]).all()
    search = read_table(directory / "evaluations.parquet")
    assert search[["p_rung4_lower", "p_rung4_upper"]].notna().all().all()
    assert search["p_rung4_parameters_lower"].isna().all()  # one run per scenario
    assert plot([str(directory)]) == 0
    report = (directory / "report.html").read_text()
    assert "o_parameters_lower" in report and "<th>p_rung4_parameters_lower</th>" in report
