"""The posterior as the default: what is uncertain, a calibration that converges and says so,
simulation-based calibration, the shipped posterior's freshness, and loud warnings.

The SBC and recovery tests are reduced versions of the full checks (docs/calibration.md): a
cheap simulator (parameters seen through Gaussian noise) goes through the same sampler code as
the model, with fixed seeds, so each test gives the same answer on every machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine import posterior_draws
from sim.model.params import PARAMS, PARAMS_BY_PATH
from sim.model.uncertainty import UNCERTAIN, check_table
from sim.model.version import model_version, prior_version
from sim.studies.calibration import priors, projection, recovery, regression
from sim.studies.calibration import targets as T

REPO = Path(__file__).resolve().parents[1]
SHIPPED = posterior_draws.POSTERIORS_DIR / posterior_draws.DEFAULT_POSTERIOR
RECALIBRATE = (
    "the shipped posterior is stale or missing: recalibrate with `make posterior` "
    "(python -m sim calibrate targets=seed_2022 ship=true, then "
    "python scripts/calibration_report.py)"
)


# --- what is uncertain ---------------------------------------------------------------------------
def test_every_uncertain_parameter_has_a_range_and_a_reason():
    check_table()
    assert len(UNCERTAIN) >= 20
    # every parameter model v3's table marks uncertain is calibrated, none left at its default
    assert {p.path for p in PARAMS if p.uncertain} <= set(UNCERTAIN)
    for path, entry in UNCERTAIN.items():
        param = PARAMS_BY_PATH[path]
        assert param.low <= entry.low < entry.high <= param.high, path
        assert len(entry.why) > 20, path


def test_the_targets_file_calibrates_every_uncertain_parameter():
    target_set = T.load("seed_2022")
    prior = priors.build(target_set.parameters)
    assert set(prior.names) == set(UNCERTAIN)
    for name, low, high, why in zip(prior.names, prior.low, prior.high, prior.why, strict=True):
        assert (low, high, why) == (UNCERTAIN[name].low, UNCERTAIN[name].high, UNCERTAIN[name].why)


def test_every_target_is_an_observation_with_a_source_up_to_october_2022():
    target_set = T.load("seed_2022")
    assert target_set.months <= 8  # month 7 = October 2022
    for target in target_set.targets:
        assert target.source and "2022" in target.source + target.period, target.name
        for key in ("last", "month"):
            assert target.args.get(key, 0) <= 7, target.name
    monthly = [t for t in target_set.targets if t.measure == "cameo_events"]
    assert len(monthly) == 16


# --- the sampler: recovery, convergence, SBC -----------------------------------------------------
@pytest.mark.parametrize("method", regression.METHODS)
def test_the_reference_table_samplers_recover_known_values(method: str):
    result = recovery.check(12, population=300, budget=20_000, method=method, dim=3)
    assert 0.75 <= result.coverage <= 1.0
    assert result.mean_width < 0.45  # much narrower than the prior: it learns


def test_regression_abc_stops_on_convergence_or_says_it_ran_out():
    prior = priors.build(recovery.parameters(3))
    simulate = recovery.noisy_simulator(prior=prior)
    observed = simulate(prior.sample(1, np.random.default_rng(5)), np.array([9]))[0]
    scale = np.full(4, recovery.NOISE)
    settings = regression.Settings(
        accept=500, batch=10_000, min_simulations=20_000, budget=400_000, min_ess=150,
        seed=1, progress=False,
    )  # fmt: skip
    result = regression.regression_abc(simulate, observed, scale, prior, settings)
    assert result.stop_reason == regression.CONVERGED and result.simulations < 400_000
    last = result.diagnostics.iloc[-1]
    assert last["change"] < settings.max_change and last["ess"] >= 150
    assert last["acceptance_rate"] < settings.max_acceptance
    short = regression.Settings(
        accept=500, batch=5_000, min_simulations=5_000, budget=10_000, seed=1, progress=False
    )
    assert regression.regression_abc(simulate, observed, scale, prior, short).stop_reason == (
        "budget"
    )


def _sbc(method: str, near: np.ndarray | None = None) -> np.ndarray:
    """Talts et al. (2018), reduced: ranks of 200 trials on a 4-parameter problem (semiauto:
    its projection fitted on the first 10,000 runs, the trials on the 30,000 after them)."""
    prior = priors.build(recovery.parameters(4))
    simulate = recovery.noisy_simulator(prior=prior)
    settings = regression.Settings(
        accept=400, batch=10_000, min_simulations=40_000, budget=40_000, seed=3,
        progress=False, method=method,
    )  # fmt: skip
    scale = np.full(5, recovery.NOISE)
    result = regression.regression_abc(simulate, np.full(5, 0.5), scale, prior, settings)
    return regression.sbc_ranks(
        result, prior, scale, 400, 200, 99, seed=4, method=method, near=near
    )


@pytest.mark.parametrize("method", [regression.SEMIAUTO, regression.REGRESSION])
def test_reduced_sbc_adjusted_ranks_are_uniform(method: str):
    ranks = _sbc(method)
    pvalues = regression.sbc_uniformity(ranks, draws=99)
    assert (pvalues > 0.001).all(), pvalues
    outer = ((ranks < 5) | (ranks >= 95)).mean(axis=0)  # expected 0.10 when calibrated
    assert ((outer > 0.03) & (outer < 0.2)).all(), outer


def test_reduced_sbc_near_an_observation_is_uniform_for_semiauto():
    """The trials nearest one observation (data like the 2022 record) rank uniformly too when
    the posterior is right: they are chosen by their data alone."""
    ranks = _sbc(regression.SEMIAUTO, near=np.array([0.2, 0.8, 0.5, 0.5, 2.0]))
    assert (regression.sbc_uniformity(ranks, draws=99) > 0.001).all()
    assert not (ranks == _sbc(regression.SEMIAUTO)).all()  # other trials than the random ones


def test_reduced_sbc_rejection_is_never_over_confident():
    """Rejection ABC keeps runs within a tolerance, so its posterior is at most as narrow as
    the true one: its ranks hump in the middle (under-confident), never pile at the ends."""
    ranks = _sbc(regression.REJECTION)
    outer = ((ranks < 10) | (ranks >= 90)).mean(axis=0)  # 0.20 when calibrated
    middle = ((ranks >= 30) & (ranks < 70)).mean(axis=0)  # 0.40 when calibrated
    assert (outer < 0.2).all() and (middle > 0.4).all(), (outer, middle)


def test_semiauto_trials_leave_out_the_runs_its_projection_was_fitted_on():
    prior = priors.build(recovery.parameters(2))
    simulate = recovery.noisy_simulator(prior=prior)
    settings = regression.Settings(
        accept=100, batch=2_000, min_simulations=6_000, budget=6_000, seed=3, progress=False,
        method=regression.SEMIAUTO,
    )  # fmt: skip
    scale = np.full(3, recovery.NOISE)
    result = regression.regression_abc(simulate, np.full(3, 0.5), scale, prior, settings)
    assert result.pilot == 2_000 and result.statistics.shape == (6_000, 2)
    unit = (result.theta - prior.low) / prior.width
    # each parameter is seen directly through noise 0.08: its projection explains most of it
    assert (result.projection.r_squared > 0.8).all()
    assert np.abs(result.statistics - unit).mean() < 0.1
    ranks = regression.sbc_ranks(result, prior, scale, 100, 50, 19, seed=1, method="semiauto")
    assert ranks.shape == (50, 2) and ranks.max() <= 19


def test_the_misfit_check_tells_an_observation_the_model_cannot_reach():
    """An observation drawn from the model lies among its runs as closely as runs like it; one
    far outside the model's reach (every target off by two noise widths from where the other
    targets put it) lies farther than all of them."""
    prior = priors.build(recovery.parameters(2))
    simulate = recovery.noisy_simulator(prior=prior)
    settings = regression.Settings(
        accept=200, batch=20_000, min_simulations=20_000, budget=20_000, seed=3, progress=False
    )
    scale = np.full(3, recovery.NOISE)
    reachable = np.array([0.4, 0.6, 1.0])  # the sum target agrees with the two others
    result = regression.regression_abc(simulate, reachable, scale, prior, settings)
    inside = regression.misfit(result, reachable, scale, k=100, count=50)
    assert not inside.beyond_lookalikes and inside.lookalikes == 50
    outside = regression.misfit(result, np.array([0.4, 0.6, 1.5]), scale, k=100, count=50)
    assert outside.beyond_lookalikes, outside


def test_the_projection_weighs_targets_by_what_they_say_about_each_parameter():
    """Fearnhead and Prangle's summaries: a parameter the targets pin down gets a summary
    that spans its range; one they say nothing about gets a near-constant one."""
    prior = priors.build(recovery.parameters(2))
    rng = np.random.default_rng(0)
    theta = prior.sample(20_000, rng)
    unit = (theta - prior.low) / prior.width
    # target 0 sees parameter 0 (squared), target 1 is noise
    summaries = np.column_stack([unit[:, 0] ** 2, rng.normal(size=len(theta))])
    summaries = np.vstack([summaries, [np.nan, 0.0]])
    theta = np.vstack([theta, theta[:1]])
    fitted = projection.fit(theta, summaries, np.zeros(2), np.ones(2), prior)
    assert fitted.r_squared[0] > 0.95 and fitted.r_squared[1] < 0.01  # sqrt, fitted by a quadratic
    stats = fitted(summaries)
    assert np.isnan(stats[-1]).all()  # a run with a missing target is infinitely far
    assert stats[:-1, 0].std() > 0.25 and stats[:-1, 1].std() < 0.02


# --- the shipped posterior -----------------------------------------------------------------------
def test_the_shipped_posterior_belongs_to_this_model():
    manifest_path = SHIPPED / "manifest.json"
    assert manifest_path.is_file(), RECALIBRATE
    manifest = json.loads(manifest_path.read_text())
    assert manifest["model_version"] == model_version(), RECALIBRATE
    assert manifest["prior_version"] == prior_version(), RECALIBRATE
    shipped_targets = (SHIPPED / "targets.yaml").read_text()
    assert shipped_targets == (T.TARGETS_DIR / "seed_2022.yaml").read_text(), RECALIBRATE
    assert set(manifest["parameters"]) == set(UNCERTAIN), RECALIBRATE


def test_the_shipped_posterior_converged_and_fits_every_target():
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    assert not manifest["quick"]
    assert manifest["converged"], f"stopped: {manifest['stop_reason']}; {RECALIBRATE}"
    assert manifest["missed_targets"] == []
    assert manifest["ess"] >= 1000
    frame = pd.read_parquet(SHIPPED / posterior_draws.POSTERIOR)
    assert (SHIPPED / posterior_draws.POSTERIOR).stat().st_size < 3_000_000
    assert len(frame) == manifest["particles"]


def test_runs_draw_from_the_shipped_posterior_by_default_and_none_gives_hand_set_values():
    assert posterior_draws.resolve(None) == str(SHIPPED)
    assert posterior_draws.resolve("none") is None
    assert posterior_draws.resolve("seed_2022") == str(SHIPPED)
    values = {"kazakhstan.multivector": 0.0}
    default = posterior_draws.resolve(None)
    params, drawn = posterior_draws.calibrated_params(default, values, 1, np.arange(40))
    assert drawn is not None and drawn["draw"].nunique() == 4
    assert params.columns["kazakhstan.multivector"] == 0.0  # what a user sets, stays set
    assert np.ndim(params.columns["russia.war_value"]) == 1
    hand_set = posterior_draws.resolve("none")
    same, none = posterior_draws.calibrated_params(hand_set, values, 1, np.arange(40))
    assert same is values and none is None


# --- a doubtful posterior says so, everywhere ----------------------------------------------------
def _doubtful(tmp_path: Path, **marks: object) -> Path:
    """A copy of the shipped posterior whose manifest carries `marks`."""
    import shutil

    directory = tmp_path / "doubtful"
    shutil.copytree(SHIPPED, directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest.update(marks)
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def test_a_doubtful_posterior_warns_on_every_use(tmp_path: Path):
    directory = _doubtful(
        tmp_path, converged=False, stop_reason="budget", missed_targets=["cpc_halts_russia"]
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sim", "run", f"calibration={directory}"]
    run = subprocess.run(
        [*command, "run.replicates=20", "run.months=12", "run.figures=false",
         f"run.output_root={out}"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "did not converge" in run.stderr and "misses target cpc_halts_russia" in run.stderr
    assert "(95% range over the posterior's parameters)" in run.stdout
    manifest = json.loads(next(out.rglob("manifest.json")).read_text())
    assert "misses target cpc_halts_russia" in " ".join(manifest["calibration"]["warnings"])


def test_ablate_and_sweep_warn_too_and_ablate_counts_sign_shares(
    tmp_path: Path, capsys: pytest.CaptureFixture
):
    from sim.commands import ablate
    from sim.commands.sweep import warn_posterior

    directory = _doubtful(tmp_path, missed_targets=["defence_effort"])
    warn_posterior(str(directory))
    assert "misses target defence_effort" in capsys.readouterr().err
    out = tmp_path / "out"
    arguments = ["run.replicates=100", "run.months=36", "run.figures=false"]
    code = ablate.main([f"calibration={directory}", *arguments, f"run.output_root={out}"])
    captured = capsys.readouterr()
    assert code == 0 and "misses target defence_effort" in captured.err
    assert "share of posterior draws in which the sign holds" in captured.out
    table = pd.read_parquet(next(out.rglob("ablation.parquet")))
    assert table["sign_share"].between(0, 1).all()


def test_the_report_refuses_a_quick_or_failing_posterior(tmp_path: Path):
    before = (REPO / "docs" / "calibration.md").read_text()
    for marks in ({"quick": True}, {"converged": False}, {"missed_targets": ["x"]}):
        directory = _doubtful(tmp_path / str(len(str(marks))), **marks)
        report = subprocess.run(
            [sys.executable, "scripts/calibration_report.py", f"--calibration={directory}"],
            capture_output=True, text=True, cwd=REPO, check=False,
        )  # fmt: skip
        assert report.returncode == 2 and "refusing" in report.stderr
    assert (REPO / "docs" / "calibration.md").read_text() == before


def test_quick_mode_says_it_is_a_smoke_test(tmp_path: Path, capsys: pytest.CaptureFixture):
    from sim.commands import calibrate as command

    arguments = ["targets=seed_2022", "quick=true", "budget=2000", "population=100"]
    code = command.main([*arguments, "figures=false", "progress=false", f"output_root={tmp_path}"])
    assert code == 0
    captured = capsys.readouterr()
    assert "SMOKE TEST" in captured.err and "SMOKE TEST" in captured.out
    manifest = json.loads(next(tmp_path.rglob("manifest.json")).read_text())
    assert manifest["quick"] is True
    warnings = posterior_draws.load(next(tmp_path.rglob("manifest.json")).parent).warnings()
    assert any("smoke-test" in w for w in warnings)


# --- how robust a claim is -----------------------------------------------------------------------
def test_sign_share_counts_the_draws_in_which_an_effect_holds():
    from sim.studies.ablation import sign_share
    from sim.studies.policy.robustness import sign_share as policy_sign_share

    # five draws of two runs: effects +1, 0, 0 (a +1 and a -1), 0, +1: the sign holds in 2
    difference = np.array([1, 1, 0, 0, 1, -1, 0, 0, 1, 1], dtype=float)
    assert sign_share(difference, np.repeat(np.arange(5), 2)) == pytest.approx(0.4)
    assert np.isnan(sign_share(difference, None))
    means = np.array([[0.5, 0.5, 0.5, 0.5], [0.4, 0.6, 0.3, 0.2]])  # status quo, one policy
    share = policy_sign_share(means)
    assert np.isnan(share[0]) and share[1] == pytest.approx(0.75)


def test_a_sweep_leaves_its_factors_and_its_scenarios_settings_to_the_design():
    from sim.engine.design import load_experiment
    from sim.engine.plan import plan

    overrides = ["scenarios=[baseline,fast_drift]"]
    planned = plan(load_experiment("escalation_threshold", overrides))
    assert "kazakhstan.multivector" in planned.fixed and "multivector" in str(UNCERTAIN)
    task = planned.task(0)
    assert task.calibration == str(SHIPPED) and "kazakhstan.multivector" in task.fixed
    assert planned.overridden == ["kazakhstan.multivector"]  # the manifest lists it
    # Naming the posterior changes nothing: the design sets its factor either way.
    named = plan(load_experiment("escalation_threshold", [*overrides, f"calibration={SHIPPED}"]))
    again = named.task(0)
    assert (again.calibration, again.fixed) == (task.calibration, task.fixed)
    assert again.columns.keys() == task.columns.keys()
    assert all(np.array_equal(again.columns[c], task.columns[c]) for c in task.columns)
    assert named.overridden == planned.overridden


def test_a_claims_spread_over_the_parameters_is_separated_from_the_dice():
    from sim.model.escalation import EnsembleResult
    from sim.studies.parameter_spread import blocks_of, parameter_sd
    from sim.studies.validation import Batch, BatchSpec, proportion_interval

    runs = 4000  # 400 draws of ten runs
    draws = np.arange(runs) // posterior_draws.RUNS_PER_DRAW
    rng = np.random.default_rng(0)

    def sd_of(hits: np.ndarray) -> float:
        summary = pd.DataFrame({"run_id": np.arange(runs), "hit": hits})
        batch = Batch(BatchSpec("b", "baseline"), EnsembleResult(summary, None, None), {})
        claim = lambda batches: proportion_interval(batches["b"].result.summary["hit"].to_numpy())  # noqa: E731
        return parameter_sd(claim, blocks_of({"b": batch}))

    parameters = rng.random(draws.max() + 1) < 0.5  # a draw's parameters decide it all
    assert sd_of(parameters[draws].astype(float)) == pytest.approx(0.5, abs=0.1)
    dice = rng.random(runs) < 0.5  # every draw alike: all dice
    assert sd_of(dice.astype(float)) < 0.1


# --- one posterior per study: a posterior shipped again in place is not mixed in -----------------
def _reshipped(directory: Path) -> None:
    """Replace the posterior's particles in place, as `make posterior` does with a new one."""
    path = directory / posterior_draws.POSTERIOR
    particles = pd.read_parquet(path)
    particles.iloc[::-1].to_parquet(path, index=False)
    posterior_draws.load_cached.cache_clear()  # as a new process would read it


def test_a_sweep_is_held_to_the_posterior_file_it_began_with(tmp_path: Path):
    from sim.config import ConfigError
    from sim.engine.design import load_experiment
    from sim.engine.plan import plan
    from sim.engine.rerun import run_inputs
    from sim.engine.runner import SweepInterrupted, run_sweep
    from sim.engine.store import read_manifest
    from sim.engine.sweep_chunk import run_sweep_chunk
    from sim.errors import CalibrationError

    directory = _doubtful(tmp_path)  # a copy of the shipped posterior, marked with nothing
    options = [f"calibration={directory}", "scenarios=[baseline]", "replicates=20", "months=12",
               "progress=false", "analysis.run=false", "executor=serial", "chunk_size=10",
               f"output_root={tmp_path / 'out'}"]  # fmt: skip
    cfg = load_experiment("scenario_comparison", options)

    def interrupt(index: int) -> None:
        if index == 1:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as stop:
        run_sweep(cfg, on_chunk=interrupt)
    sweep = stop.value.directory
    recorded = read_manifest(sweep)["calibration"]
    assert recorded["directory"] == str(directory)
    assert recorded[posterior_draws.DIGEST] == posterior_draws.load(directory).digest
    planned = plan(cfg)  # made before the posterior is replaced, as a running sweep's is
    assert planned.task(1).calibration_digest == recorded[posterior_draws.DIGEST]
    run_inputs(sweep, run_id=3)  # re-running a run draws what it drew

    _reshipped(directory)
    with pytest.raises(ConfigError, match=r"refusing to mix") as refused:
        run_sweep(load_experiment("scenario_comparison", [*options, f"resume={sweep}"]))
    assert f"resume={sweep}" in str(refused.value) and str(directory) in str(refused.value)
    with pytest.raises(CalibrationError, match="has changed since the runs drew from it"):
        run_sweep_chunk(planned.task(1))  # a worker that starts after the posterior changed
    with pytest.raises(CalibrationError, match="has changed since the runs drew from it"):
        run_inputs(sweep, run_id=3)


def test_a_resumed_study_must_draw_from_the_source_it_began_with(tmp_path: Path):
    from sim.config import ConfigError

    def recorded(facts: object) -> Path:
        study = tmp_path / str(len(list(tmp_path.iterdir())))
        study.mkdir()
        (study / "manifest.json").write_text(json.dumps({"calibration": facts}))
        return study

    first = {"directory": "a", posterior_draws.DIGEST: "1" * 64}
    again = {**first, "directory": "moved"}  # the same file elsewhere: the same source
    other = {**first, posterior_draws.DIGEST: "2" * 64}
    hand_set = posterior_draws.HAND_SET
    posterior_draws.check_same_source(recorded(first), again)
    posterior_draws.check_same_source(recorded(hand_set), hand_set)
    posterior_draws.check_same_source(recorded({"directory": "a"}), other)  # older: unrecorded
    for before, now in ((first, other), (first, hand_set), (hand_set, first)):
        with pytest.raises(ConfigError, match="refusing to mix"):
            posterior_draws.check_same_source(recorded(before), now)
