"""Calibration: recovery of known parameters, the command, runs on a posterior, bad input.

The recovery test is a small simulation-based calibration check: data simulated at parameters
drawn from the prior are calibrated back with the project's ABC-SMC, and the true values must
fall inside the 90% credible intervals at about the nominal rate while the intervals are much
narrower than the prior. It uses a cheap simulator through the same sampler code path;
SIM_SBC_TRIALS sets the number of trials (default: a quick CI-sized check).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TINY_CALIBRATION

from sim.analysis import variance_split
from sim.commands import calibrate as calibrate_command
from sim.config import compose, model_values
from sim.engine import posterior_draws as posterior
from sim.engine.store import read_table
from sim.errors import CalibrationError
from sim.model.params import ParamSet
from sim.model.version import model_version
from sim.studies.calibration import abc, priors, recovery
from sim.studies.calibration import targets as T

TINY = TINY_CALIBRATION


def finished(root: Path) -> list[Path]:
    """Directories under root that look finished (a manifest, no staging prefix)."""
    return [p.parent for p in root.rglob("manifest.json") if not p.parent.name.startswith(".")]


# --- recovery of known parameters ----------------------------------------------------------------
def test_recovery_covers_true_values_at_about_the_nominal_rate():
    result = recovery.check(trials=int(os.environ.get("SIM_SBC_TRIALS", "30")))
    assert 0.75 <= result.coverage <= 1.0, (
        f"90% intervals covered the truth {result.coverage:.0%} of the time"
    )
    assert result.mean_width < 0.5, "the posterior is hardly narrower than the prior"


def test_abc_smc_tolerance_falls_and_diagnostics_are_recorded():
    prior = priors.build({"russia.initial_credibility": {}})
    simulate = recovery.noisy_simulator(0.05)

    def one(theta, seeds):
        return simulate(np.column_stack([theta, theta]), seeds)[:, :1]

    settings = abc.Settings(population=200, budget=20_000, batch=2000, seed=1, progress=False)
    result = abc.abc_smc(one, np.array([0.3]), np.array([0.05]), prior, settings)
    table = result.diagnostics
    assert list(table.columns[:3]) == ["generation", "epsilon", "proposals"]
    assert len(table) >= 3 and (np.diff(table["epsilon"]) < 0).all()
    assert {"acceptance_rate", "ess"} <= set(table.columns)
    assert result.simulations <= settings.budget
    mean = np.average(result.posterior.theta[:, 0], weights=result.posterior.weights)
    assert abs(mean - 0.3) < 0.05


def test_abc_smc_is_reproducible_from_its_seed():
    prior = priors.build({"russia.initial_credibility": {}, "russia.credibility_gain": {}})
    settings = abc.Settings(population=100, budget=5000, batch=1000, seed=3, progress=False)
    runs = [
        abc.abc_smc(
            recovery.noisy_simulator(0.1),
            np.array([0.2, 0.6, 0.8]),
            np.full(3, 0.1),
            prior,
            settings,
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].posterior.theta, runs[1].posterior.theta)


# --- targets and measures on the model ---------------------------------------------------------
def test_the_simulator_measures_the_same_targets_on_any_executor_and_chunking():
    """Each worker measures the targets on its own chunk; the array is the one measured on the
    whole batch simulated at once."""
    from sim.engine.ensemble import Ensembles
    from sim.model.escalation import simulate
    from sim.studies.calibration.calibrate import ModelSimulator, scenario_values

    target_set = T.load("seed_2022")
    prior = priors.build(target_set.parameters)
    values = scenario_values(target_set)
    theta = prior.sample(90, np.random.default_rng(4))
    seeds = np.arange(90) * 7 + 3
    columns = {**ParamSet.uniform(values).columns, **priors.as_model_values(prior.names, theta)}
    params = ParamSet(columns, 90)
    whole = simulate(params, seeds=seeds, months=target_set.months)
    tables = T.RunTables(
        whole.summary, whole.trajectories, whole.events, params, target_set.months, seeds
    )
    expected = target_set.evaluate(tables)
    for executor, workers, chunk_size in [
        ("serial", 1, None),
        ("process", 2, None),
        ("process", 2, 17),
    ]:
        with Ensembles(executor, workers, chunk_size=chunk_size) as ensembles:
            got = ModelSimulator(target_set, prior, values, ensembles)(theta, seeds)
        np.testing.assert_array_equal(got, expected)


def test_sbc_ranks_do_not_depend_on_the_threads():
    from sim.studies.calibration import regression

    prior = priors.build({"russia.initial_credibility": {}, "russia.credibility_gain": {}})
    settings = regression.Settings(
        accept=50, batch=2000, min_simulations=2000, budget=2000, seed=2, progress=False
    )
    observed, scale = np.array([0.2, 0.6, 0.8]), np.full(3, 0.1)
    result = regression.regression_abc(
        recovery.noisy_simulator(0.1), observed, scale, prior, settings
    )
    one, two = (
        regression.sbc_ranks(result, prior, scale, 50, 40, seed=3, threads=n) for n in (1, 2)
    )
    np.testing.assert_array_equal(one, two)


def test_seed_targets_measure_todays_model():
    target_set = T.load("seed_2022")
    assert len(target_set.targets) >= 8 and len(target_set.parameters) >= 8
    params = ParamSet.uniform({}, size=50)
    from sim.model.escalation import simulate

    result = simulate(params, seeds=np.arange(50), months=target_set.months)
    tables = T.RunTables(
        result.summary, result.trajectories, result.events, params, 8, np.arange(50)
    )
    values = target_set.evaluate(tables)
    assert values.shape == (50, len(target_set.targets))
    by_name = dict(zip([t.name for t in target_set.targets], values.T, strict=True))
    halts = result.events[(result.events["action"] == "pipeline_halt")]
    assert by_name["cpc_halts_russia"].sum() == len(halts)
    assert set(np.unique(by_name["stays_in_csto_and_eaeu"])) <= {0.0, 1.0}
    assert set(np.unique(by_name["china_no_pledge_before_september"])) <= {0.0, 1.0}


def test_kazakh_event_counts_thin_refusals_by_the_recorded_share():
    """The event file records each refusal of a demand with chance eventfile.refusals_recorded:
    all at 1, none at 0 (statements still count), in between a count between the two that is
    the same whether a run is measured alone or in its batch."""
    from sim.model.escalation import simulate

    runs, months = 60, 8
    seeds = np.arange(runs) + 11
    result = simulate(ParamSet.uniform({}, size=runs), seeds=seeds, months=months)
    args = dict(actor="Kazakhstan", target="Russia", roots=[12], first=0, last=months - 1)
    thinned = dict(args, recorded={"kazakh_resist": "eventfile.refusals_recorded"})

    def count(share, with_seeds=True, **kwargs):
        params = ParamSet.uniform({"eventfile.refusals_recorded": share}, size=runs)
        tables = T.RunTables(
            result.summary, None, result.events, params, months, seeds if with_seeds else None
        )
        return T.cameo_events(tables, **kwargs)

    every = count(1.0, **args)
    assert np.array_equal(count(1.0, **thinned), every)
    events = result.events
    resist = events[(events["action"] == "kazakh_resist") & (events["month"] < months)]
    refusals = np.bincount(resist["run_id"], minlength=runs)
    assert refusals.sum() > 20  # the model refuses often enough for the test to mean something
    assert np.array_equal(count(0.0, **thinned), every - refusals)
    half = count(0.5, **thinned)
    assert np.all((every - refusals <= half) & (half <= every))
    assert 0.3 < (half - every + refusals).sum() / refusals.sum() < 0.7
    assert np.array_equal(count(0.5, **thinned), half)  # keyed by seed: reproducible
    one = simulate(ParamSet.uniform({"eventfile.refusals_recorded": 0.5}, size=1),
                   seeds=seeds[7:8], months=months)  # fmt: skip
    alone = T.cameo_events(
        T.RunTables(
            one.summary,
            None,
            one.events,
            ParamSet.uniform({"eventfile.refusals_recorded": 0.5}, size=1),
            months,
            seeds[7:8],
        ),  # fmt: skip
        **thinned,
    )
    assert alone[0] == half[7]
    with pytest.raises(CalibrationError, match="seeds"):
        count(0.5, with_seeds=False, **thinned)


def test_a_recorded_share_must_name_an_action_and_a_parameter():
    for recorded, named in [
        ({"kazakh_refuse": "eventfile.refusals_recorded"}, "recorded.kazakh_refuse"),
        ({"kazakh_resist": "eventfile.share"}, "recorded.kazakh_resist = 'eventfile.share'"),
        ({"kazakh_resist": "russia.war_value"}, "recorded.kazakh_resist = 'russia.war_value'"),
        (["kazakh_resist"], "recorded = ['kazakh_resist']"),
    ]:
        args = dict(actor="Kazakhstan", target="Russia", roots=[12], first=0, last=0)
        with pytest.raises(CalibrationError, match=re.escape(named)):
            T._check_args("targets[3].args", T.cameo_events, dict(args, recorded=recorded), 8)


def test_halts_measure_prefers_the_v2_cause_column():
    summary = pd.DataFrame({"run_id": [0, 1], "pipeline_halts": [2, 0]})
    events = pd.DataFrame(
        {
            "run_id": [0, 0, 1],
            "month": [1, 2, 3],
            "action": ["pipeline_halt"] * 3,
            "cause": ["coercion", "weather", "coercion"],
        }
    )
    tables = T.RunTables(summary, None, events, ParamSet.uniform({}, size=2), 8)
    np.testing.assert_array_equal(T.russia_halts(tables, 0, 7), [1.0, 1.0])
    without = T.RunTables(summary, None, events.drop(columns="cause"), tables.params, 8)
    np.testing.assert_array_equal(T.russia_halts(without, 0, 7), [2.0, 1.0])


def test_priors_come_from_the_parameter_table():
    prior = priors.build(
        {
            "russia.initial_credibility": {},
            "trade.gray_reexport": {"low": 0.05, "high": 0.2, "why": "x"},
        }
    )
    np.testing.assert_array_equal(prior.low, [0.0, 0.05])
    np.testing.assert_array_equal(prior.high, [1.0, 0.2])
    assert "the table's range" in prior.why[0]
    with pytest.raises(T.CalibrationError, match="needs a 'why'"):
        priors.build({"trade.gray_reexport": {"high": 0.2}})
    with pytest.raises(T.CalibrationError, match="within the parameter's range"):
        priors.build({"trade.gray_reexport": {"high": 0.9, "why": "x"}})
    with pytest.raises(T.CalibrationError, match="a choice cannot be calibrated"):
        priors.build({"war.outcome": {}})
    with pytest.raises(T.CalibrationError, match="did you mean"):
        priors.build({"russia.climb_rat": {}})


# --- the command, and runs on its posterior ----------------------------------------------------
@pytest.fixture(scope="module")
def calibration_dir(tiny_calibration: Path) -> Path:
    """The command's directory: `calibrate targets=seed_2022` with TINY (tests/conftest.py)."""
    return tiny_calibration


def test_calibrate_writes_a_complete_directory(calibration_dir: Path):
    frame = read_table(calibration_dir / "posterior.parquet")
    manifest = json.loads((calibration_dir / "manifest.json").read_text())
    assert manifest["model_version"] == model_version()
    assert list(frame.columns[1:-2]) == manifest["parameters"]
    assert np.isclose(frame["weight"].sum(), 1.0) and len(frame) == 60
    stored = pd.read_parquet(calibration_dir / "posterior.parquet")  # as another tool reads it
    assert manifest["run_dir"] == f"calibrations/seed_2022/{calibration_dir.name}"
    assert stored["run_dir"].unique().tolist() == [manifest["run_dir"]]
    diagnostics = pd.read_parquet(calibration_dir / "diagnostics.parquet")
    assert {"epsilon", "acceptance_rate", "ess"} <= set(diagnostics.columns)
    # the misfit check: the observation's k-th nearest run against its look-alikes'
    fit = manifest["misfit"]
    assert fit["k"] >= 1 and fit["lookalikes"] >= 1
    assert 0 < fit["lookalike_median"] <= fit["lookalike_max"] and fit["observed"] > 0
    predictive = pd.read_parquet(calibration_dir / "predictive.parquet")
    assert "cpc_halts_russia" in predictive.columns
    figures = {p.stem for p in (calibration_dir / "figures").glob("*.png")}
    assert {"marginals", "pairs", "predictive_check", "diagnostics"} <= figures
    config = yaml.safe_load((calibration_dir / "config.yaml").read_text())
    assert config["targets"]["name"] == "seed_2022" and config["priors"]


def test_runs_draw_calibrated_parameters_reproducibly(calibration_dir: Path):
    post = posterior.load(calibration_dir)
    run_ids = np.arange(40)
    whole = posterior.draw_particles(post, 11, run_ids)
    parts = np.concatenate(
        [posterior.draw_particles(post, 11, run_ids[i : i + 7]) for i in range(0, 40, 7)]
    )
    np.testing.assert_array_equal(whole, parts)  # the same in any batch or chunk
    assert (whole.reshape(4, 10) == whole.reshape(4, 10)[:, :1]).all()  # one draw per ten runs
    values = model_values(compose(["scenario=war_favorable_russia"]))
    params, table = posterior.params_for_runs(post, values, 11, run_ids)
    expected = posterior.calibrated_columns(post, whole)  # integer parameters rounded
    for path in post.names:
        np.testing.assert_array_equal(params.columns[path], expected[path])
        np.testing.assert_array_equal(table[path], params.columns[path])
    assert params.columns["war.end_month"] == values["war.end_month"]


def test_run_on_a_posterior_records_params_and_the_variance_split(
    calibration_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
):
    from sim.commands.run import run_scenario

    cfg = compose(
        [
            f"calibration={calibration_dir}",
            "run.replicates=60",
            "run.months=24",
            "run.figures=false",
            f"run.output_root={tmp_path}",
        ]
    )
    directory = run_scenario(cfg)
    params = pd.read_parquet(directory / "params.parquet")
    assert list(params["run_id"]) == list(range(60)) and "particle" in params
    split = pd.read_parquet(directory / "variance_split.parquet")
    varied = ~split["probability"].isin([0.0, 1.0])
    shares = split["share_parameters"] + split["share_dice"]
    assert varied.any() and np.allclose(shares[varied], 1.0)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["calibration"]["model_version"] == model_version()
    assert "from the parameters vs the dice" in capsys.readouterr().out


def test_variance_split_separates_parameters_from_dice():
    draws = np.repeat(np.arange(200), 10)
    months = np.where(draws % 2 == 0, 3, -1)  # half the draws always reach rung 2, half never
    summary = pd.DataFrame(
        {
            f"month_rung_{k}": pd.array(np.where(months >= 0, months, None), dtype="Int32")
            for k in (2,)
        }
    )
    split = variance_split.variance_split(summary, draws, [12], [2])
    assert split["share_parameters"].iloc[0] > 0.95
    rng = np.random.default_rng(0)
    coin = rng.random(draws.size) < 0.5  # the same chance for every draw: all dice
    summary = pd.DataFrame({"month_rung_2": pd.array(np.where(coin, 3, None), dtype="Int32")})
    split = variance_split.variance_split(summary, draws, [12], [2])
    assert split["share_parameters"].iloc[0] < 0.05


def test_a_sweep_point_splits_its_variance_as_a_run_does():
    """A sweep's per-point split (from counts per draw) is the run's split of the same runs."""
    rng = np.random.default_rng(3)
    replicate = np.tile(np.arange(55), 2)  # 5 full draws and one of 5 runs per point
    design_point = np.repeat([4, 9], 55)
    chance = rng.random((2, 6))[np.repeat([0, 1], 55), replicate // 10]
    reached = rng.random(replicate.size) < chance
    summary = pd.DataFrame(
        {
            "design_point": design_point,
            "replicate": replicate,
            "month_rung_3": pd.array(np.where(reached, 5, None), dtype="Int32"),
        }
    )
    split = variance_split.point_variance_split(summary, [12], [3])
    assert list(split["design_point"]) == [4, 9] and (split["draws"] == 6).all()
    for row in split.itertuples():
        runs = summary[summary["design_point"] == row.design_point]
        alone = variance_split.variance_split(runs, runs["replicate"] // 10, [12], [3]).iloc[0]
        assert row.parameters_sd == pytest.approx(alone["sd_from_parameters"], rel=1e-12)
        assert row.parameters_share == pytest.approx(alone["share_parameters"], rel=1e-12)
    one_draw = variance_split.point_variance_split(summary[summary["replicate"] < 10], [12], [3])
    assert one_draw["parameters_sd"].isna().all()  # one draw cannot show the parameters' spread


# --- bad input: one line, exit code 2, nothing that looks finished ----------------------------
def _bad_targets(tmp_path: Path, change: dict) -> Path:
    data = yaml.safe_load(T.resolve("seed_2022").read_text())
    data["targets"] = data["targets"][:1]
    data["targets"][0].update(change)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["targets=no_such_targets"], "targets = 'no_such_targets' is not allowed"),
        (["targets=seed_2022", "budget=0"], "budget = '0' is not allowed"),
        (["targets=seed_2022", "population=5"], "population = '5' is not allowed"),
        (["targets=seed_2022", "colour=red"], "unknown option 'colour'"),
    ],
)
def test_bad_options_fail_in_one_line(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture
):
    assert calibrate_command.main([*arguments, f"output_root={tmp_path}", *TINY[2:]]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not finished(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"args": {"variable": "no_such_column", "month": 3}, "measure": "value_at"}, "no column"),
        ({"measure": "no_such_measure"}, "measure = 'no_such_measure' is not allowed"),
        ({"tolerance": 0}, "tolerance = 0"),
    ],
)
def test_bad_targets_fail_in_one_line(
    change: dict, message: str, tmp_path: Path, capsys: pytest.CaptureFixture
):
    path = _bad_targets(tmp_path, change)
    code = calibrate_command.main([f"targets={path}", f"output_root={tmp_path}", *TINY])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not finished(tmp_path)


def test_an_empty_targets_file_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert calibrate_command.main([f"targets={path}", f"output_root={tmp_path}"]) == 2
    assert "empty targets file" in capsys.readouterr().err


def test_a_posterior_of_another_model_version_is_refused(calibration_dir: Path, tmp_path: Path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(calibration_dir, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["model_version"] = "0000000000000000"
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(T.CalibrationError, match="made with model version 0000000000000000"):
        posterior.load(other)
    from sim.commands.run import UsageError, validate_overrides

    with pytest.raises(UsageError, match="calibrate again"):
        validate_overrides([f"calibration={other}"])


# --- sweeps and validation on a posterior -------------------------------------------------------
def test_a_sweep_on_a_posterior_shares_draws_across_design_points(
    calibration_dir: Path, tmp_path: Path
):
    from sim.engine.design import load_experiment
    from sim.engine.runner import run_sweep
    from sim.engine.sweep_directory import read_parts

    options = [
        "replicates=20",
        "months=12",
        "executor=serial",
        "progress=false",
        "analysis.run=false",
        "scenarios=[baseline,csto_exit]",  # two design points, no factor the posterior sets
        f"output_root={tmp_path}",
        f"calibration={calibration_dir}",
    ]
    directory = run_sweep(load_experiment("scenario_comparison", options))
    summary = read_parts(directory)
    by_point = summary.pivot(index="replicate", columns="design_point", values="particle")
    assert by_point.shape == (20, 2) and (by_point[0] == by_point[1]).all()
    expected = posterior.draw_particles(posterior.load(calibration_dir), 20221028, np.arange(20))
    np.testing.assert_array_equal(by_point[0].to_numpy(), expected)


def test_a_sweep_on_a_posterior_of_its_own_factors_sets_them_by_design(
    calibration_dir: Path, tmp_path: Path
):
    """The design sets a factor the posterior calibrates, and the posterior draws the other
    calibrated parameters: as with the default posterior, and as a threshold study does."""
    from sim.engine.design import load_experiment
    from sim.engine.rerun import run_inputs
    from sim.engine.runner import run_sweep

    levels = [f"factors.{path}.levels=2" for path in
              ("turkey.reliability", "turkey.security_belief", "china.reliability",
               "kazakhstan.defence_response")]  # fmt: skip
    cfg = load_experiment(
        "pledge_deterrence",
        [f"output_root={tmp_path}", f"calibration={calibration_dir}", "replicates=10",
         "months=12", "progress=false", "analysis.run=false", "executor=serial", *levels],
    )  # fmt: skip
    directory = run_sweep(cfg)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert "kazakhstan.defence_response" in manifest["posterior_overridden"]
    design = read_table(directory / "design.parquet")
    drawn_from = posterior.load(calibration_dir)
    drawn = next(n for n in drawn_from.names if n not in manifest["posterior_overridden"])
    particles = drawn_from.theta[:, drawn_from.names.index(drawn)]
    factor = "kazakhstan.defence_response"
    for run_id in (0, 10 * (len(design) - 1)):  # the first and the last design point
        params, _, _ = run_inputs(directory, run_id)
        assert params.columns[factor] == design.iloc[run_id // 10][factor]
        assert np.ravel(params.columns[drawn])[0] in particles


def test_validate_refuses_a_missing_posterior(tmp_path: Path, capsys: pytest.CaptureFixture):
    from sim.commands import validate

    code = validate.main([f"calibration={tmp_path / 'none'}", f"output_root={tmp_path}"])
    assert code == 2 and "expected a calibration directory" in capsys.readouterr().err


def test_smc_that_cannot_move_inside_the_prior_stops_with_one_line():
    # 60 parameters, every particle at a corner of the box: almost no kernel move stays
    # inside all 60 ranges, and the sampler must say so instead of looping for hours.
    from sim.errors import CalibrationError
    from sim.studies.calibration import abc as A
    from sim.studies.calibration.priors import UniformPrior

    dim = 60
    names = tuple(f"p{i}" for i in range(dim))
    prior = UniformPrior(names, np.zeros(dim), np.ones(dim), ("a test",) * dim)
    current = A.Generation(
        np.ones((50, dim)), np.full(50, 1 / 50), np.zeros(50), np.zeros((50, 1)), 0.0
    )
    with pytest.raises(CalibrationError, match="cannot move inside the prior"):
        A._propose(current, np.eye(dim) * 0.3, prior, 50, np.random.default_rng(0))


def test_a_table_whose_kept_runs_all_match_exactly_weighs_them_alike():
    # Discrete targets (counts, 0/1 facts) can give more exact matches than runs kept: the
    # kernel's bandwidth is then 0, and the weights must not be 0/0.
    from sim.studies.calibration import regression as R
    from sim.studies.calibration.priors import UniformPrior

    prior = UniformPrior(("a", "b"), np.zeros(2), np.ones(2), ("a test", "a test"))
    theta = np.random.default_rng(0).random((50, 2))
    summaries = np.zeros((50, 3), dtype=np.float32)
    observed, scale = np.zeros(3), np.ones(3)
    for method in R.METHODS:  # semiauto's statistics: one projected summary per parameter
        width = 2 if method == R.SEMIAUTO else 3
        posterior = R.adjusted_posterior(
            theta, summaries[:, :width], observed[:width], scale[:width], prior, 10, method=method
        )
        assert np.allclose(posterior.weights, 0.1) and np.isfinite(posterior.theta).all()
