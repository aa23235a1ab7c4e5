"""`sim policy`: a study's tables, exact sums, bit-identical chunking, resume, bad input."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.commands.policy import main as policy_main
from sim.engine.store import read_table
from sim.model.escalation import EscalationModel
from sim.model.params import ParamSet
from sim.model.rng import derive_seeds
from sim.studies.policy import spec
from sim.studies.policy.evaluate import Evaluation, run_evaluation, sample_ensemble
from sim.studies.policy.objectives import OBJECTIVES
from sim.studies.policy.search import non_dominated
from sim.studies.policy.study import Study, StudyInterrupted, run_study

TABLES = ("evaluations", "pareto", "robustness", "scenarios", "lever_effects")
SMALL = [
    "search.population=9",
    "search.generations=1",
    "search.runs=20",
    "robustness.scenarios=6",
    "robustness.replicates=4",
    "robustness.max_policies=3",
    "months=24",
    "executor=serial",
    "progress=false",
]


def small(tmp_path: Path, *extra: str):
    return spec.load("partner_commitments", [*SMALL, f"output_root={tmp_path}", *extra])


def tables(directory: Path) -> dict[str, pd.DataFrame]:
    return {name: read_table(directory / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def study_run(tmp_path_factory) -> tuple[Path, str]:
    """The small study as the command runs it (study and report): its directory and output."""
    root = tmp_path_factory.mktemp("policy")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = policy_main(["experiment=partner_commitments", *SMALL, f"output_root={root}"])
    assert code == 0, out.getvalue()
    (directory,) = (root / "policies" / "partner_commitments").iterdir()
    return directory, out.getvalue()


@pytest.fixture(scope="module")
def study_dir(study_run) -> Path:
    return study_run[0]


def test_a_study_writes_every_table_and_says_complete(study_dir):
    manifest = json.loads((study_dir / "manifest.json").read_text())
    assert manifest["kind"] == "policy" and manifest["complete"] is True
    t = tables(study_dir)
    cfg = spec.load("partner_commitments", SMALL)
    levers = [v.path for v in spec.levers_of(cfg)]
    assert set(levers + list(cfg.objectives)) <= set(t["evaluations"].columns)
    # Status quo first, with the base scenario's own lever values.
    first = t["evaluations"].iloc[0]
    base = spec.base_values(cfg)
    assert first["reference"] and first["generation"] == -1
    assert all(first[p] == base[p] for p in levers)
    assert t["evaluations"]["policy"].is_unique


def test_the_search_objectives_are_means_over_the_whole_search_ensemble(study_dir):
    """The status quo's row: each objective is its mean over every run of the ensemble."""
    cfg = spec.load("partner_commitments", SMALL)
    study = Study.plan(cfg)
    ensemble = study.search_ensemble()
    columns = dict(study.base) | dict(ensemble.values)
    model = EscalationModel(
        ParamSet(columns, ensemble.size),
        seeds=derive_seeds(ensemble.seed, np.arange(ensemble.size)),
        months=int(cfg.months),
        trajectories=False,
        events=False,
    )
    summary = model.run().summary
    first = tables(study_dir)["evaluations"].iloc[0]
    for name in study.objectives:
        direct = OBJECTIVES[name].per_run(summary, cfg.months / 12).mean()
        assert first[name] == pytest.approx(direct, abs=1e-6), name
    # A degenerate ensemble (every run alike) would hide a wrong mean: the disruption rate
    # varies between runs even over 24 months, where rung 4 is rare under model v3.
    assert summary["pipeline_halts_russia"].std() > 0 and first["russia_disruptions"] > 0


def test_the_pareto_set_is_non_dominated_within_the_final_population(study_dir):
    t = tables(study_dir)
    objectives = list(spec.load("partner_commitments", SMALL).objectives)
    pareto = t["pareto"][objectives].to_numpy()
    assert len(non_dominated(pareto)) == len(pareto)
    assert set(t["pareto"]["policy"]) <= set(t["evaluations"]["policy"])


def test_robustness_measures_hold_their_definitions(study_dir):
    t = tables(study_dir)
    robust, scenarios = t["robustness"], t["scenarios"]
    objectives = list(spec.load("partner_commitments", SMALL).objectives)
    assert robust["reference"].sum() == 1 and robust["chosen"].sum() == 1
    assert robust["threshold_share"].between(0, 1).all()
    for name in objectives:
        cells = scenarios.pivot(index="sampled_scenario", columns="policy", values=name)
        regret = cells.sub(cells.min(axis=1), axis=0)
        by_policy = robust.set_index("policy")
        order = by_policy.index
        np.testing.assert_allclose(by_policy[f"{name}_regret_mean"], regret.mean().loc[order])
        np.testing.assert_allclose(by_policy[f"{name}_regret_max"], regret.max().loc[order])
        np.testing.assert_allclose(by_policy[name], cells.mean().loc[order])
    p4 = scenarios.pivot(index="sampled_scenario", columns="policy", values="p_rung4")
    threshold = spec.load("partner_commitments", SMALL).robustness.threshold
    share = (p4 <= threshold).mean().loc[robust["policy"]]
    np.testing.assert_allclose(robust.set_index("policy")["threshold_share"], share)
    assert robust.loc[robust["chosen"], "threshold_share"].item() == robust["threshold_share"].max()


def test_each_scenario_is_one_posterior_draw_and_the_manifest_says_which(study_dir):
    """The scenario table carries each scenario's posterior draw (a particle of the shipped
    posterior, the same for every policy), so sign shares count posterior draws."""
    from sim.engine import posterior_draws

    manifest = json.loads((study_dir / "manifest.json").read_text())
    study = Study.plan(spec.load("partner_commitments", SMALL))
    posterior = study.posterior()
    assert posterior is not None  # the shipped posterior is the default
    assert manifest["calibration"]["directory"] == str(posterior.directory)
    scenarios = tables(study_dir)["scenarios"]
    drawn = list(posterior.names)
    assert set(drawn) <= set(scenarios.columns)
    assert not set(drawn) & {*study.lever_paths, *(v.path for v in study.uncertainties)}
    particles = pd.DataFrame(posterior.theta, columns=drawn)
    for _, row in scenarios[scenarios["policy"] == 0][drawn].iterrows():
        assert (np.isclose(particles, row.to_numpy()).all(axis=1)).any()
    per_policy = scenarios.groupby("policy")[drawn].apply(lambda f: f.to_numpy().tobytes())
    assert per_policy.nunique() == 1  # every policy meets the same draws
    assert posterior_draws.resolve(None) == manifest["calibration"]["directory"]


def test_lever_effects_are_each_lever_alone_against_the_model_run_directly(study_dir, tmp_path):
    """lever_effects.parquet: each lever at its two ends with the others at the status quo,
    on the robustness ensemble; the means equal the model run directly, and the shares count
    the scenarios whose effect has (or reverses) the mean effect's sign."""
    cfg = spec.load("partner_commitments", SMALL)
    study = Study.plan(cfg)
    effects = tables(study_dir)["lever_effects"]
    assert len(effects) == len(study.levers) * len(study.objectives)
    ensemble = study.robustness_ensemble()
    size, replicates = ensemble.size, ensemble.replicates
    scenario = np.repeat(np.arange(ensemble.scenarios), replicates)
    lever = study.levers[2]  # turkey.reliability
    per_end = []
    for end in (lever.low, lever.high):
        columns = dict(study.base) | dict(
            zip(study.lever_paths, study.status_quo()[0], strict=True)
        )
        columns |= {path: values[scenario] for path, values in ensemble.values.items()}
        columns[lever.path] = end
        model = EscalationModel(
            ParamSet(columns, size),
            seeds=derive_seeds(ensemble.seed, np.arange(size)),
            months=int(cfg.months),
            trajectories=False,
            events=False,
        )
        summary = model.run().summary
        per_end.append(
            {
                name: OBJECTIVES[name]
                .per_run(summary, cfg.months / 12)
                .reshape(-1, replicates)
                .mean(axis=1)
                for name in study.objectives
            }
        )
    mine = effects[effects["lever"] == lever.path].set_index("objective")
    assert (mine["low"] == lever.low).all() and (mine["high"] == lever.high).all()
    for name in study.objectives:
        low, high = per_end[0][name], per_end[1][name]
        effect = high - low
        assert mine.loc[name, "value_low"] == pytest.approx(low.mean(), abs=1e-6)
        assert mine.loc[name, "value_high"] == pytest.approx(high.mean(), abs=1e-6)
        assert mine.loc[name, "effect"] == pytest.approx(effect.mean(), abs=1e-6)
        sign = np.sign(np.round(effect.mean(), 9))
        holds = np.mean(np.sign(np.round(effect, 9)) == sign)
        assert mine.loc[name, "sign_share"] == pytest.approx(holds), name
    assert effects["sign_share"].between(0, 1).all()
    assert (effects["sign_share"] + effects["reversed_share"] <= 1 + 1e-12).all()
    assert (effects["robust"] == (effects["sign_share"] >= 0.8)).all()


def test_direction_shares_count_holding_reversed_and_tied_draws():
    from sim.studies.policy.robustness import direction_shares, lever_effects

    effect = np.array([[1.0, 1.0, 0.0, -1.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    holds, against = direction_shares(effect)
    assert holds.tolist() == [0.6, 1.0] and against.tolist() == [0.2, 0.0]
    # one lever, two objectives; lever low (row 0) and high (row 1) in five scenarios
    low = np.zeros((5, 2))
    high = np.column_stack([[-0.1, -0.2, -0.1, -0.3, 0.0], [0.5, 0.4, 0.6, 0.7, 0.5]])
    table = lever_effects(np.stack([low, high]), [("turkey.reliability", 0.3, 1.0)], ["a", "b"])
    a, b = table.iloc[0], table.iloc[1]
    assert a["effect"] == pytest.approx(-0.14) and a["sign_share"] == pytest.approx(0.8)
    assert a["reversed_share"] == 0.0 and a["robust"]
    assert a["effect_lower"] < a["effect"] < a["effect_upper"]
    assert b["sign_share"] == 1.0 and b["value_high"] == pytest.approx(0.54)


def test_with_the_hand_set_values_there_are_no_draws_and_the_manifest_says_so(tmp_path):
    directory = run_study(small(tmp_path, "calibration=none", "robustness.lever_effects=false"))
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["calibration"].startswith("none")
    assert manifest["runs_lever_effects"] == 0
    assert not (directory / "lever_effects.parquet").exists()
    scenarios = pd.read_parquet(directory / "scenarios.parquet")
    cfg = small(tmp_path)
    assert [c for c in scenarios.columns if "." in c] == [
        v.path for v in spec.uncertainties_of(cfg)
    ]


def test_an_evaluation_equals_the_model_run_directly(tmp_path):
    """The sums over chunks are the plain means of the runs, run by run."""
    cfg = small(tmp_path)
    study = Study.plan(cfg)
    ensemble = sample_ensemble(study.uncertainties, 5, 3, seed=11)
    policies = np.vstack([study.status_quo(), study.status_quo() * 0.9])
    evaluation = study.evaluation(policies, ensemble)
    from sim.engine.executors import SerialExecutor

    means = run_evaluation(evaluation, SerialExecutor(), tmp_path / "parts", "parts")
    for p, levers in enumerate(policies):
        scenario = np.repeat(np.arange(5), 3)
        columns = dict(study.base) | dict(zip(study.lever_paths, levers, strict=True))
        columns |= {path: values[scenario] for path, values in ensemble.values.items()}
        model = EscalationModel(
            ParamSet(columns, 15),
            seeds=derive_seeds(11, np.arange(15)),
            months=int(cfg.months),
            trajectories=False,
            events=False,
        )
        summary = model.run().summary
        for k, name in enumerate(study.objectives):
            per_run = OBJECTIVES[name].per_run(summary, cfg.months / 12)
            direct = per_run.reshape(5, 3).mean(axis=1)
            np.testing.assert_allclose(means[p, :, k], direct, atol=1e-6)


def test_results_do_not_depend_on_chunk_size_or_executor(study_dir, tmp_path):
    # 61 runs a chunk: several chunks a stage, each cut inside a policy's runs (20 in the
    # search) and inside a scenario's replicates (4), with few enough chunks to stay quick
    # (each chunk steps through every month once, whatever its runs).
    other = run_study(small(tmp_path, "chunk_size=61", "executor=process", "workers=2"))
    for name, table in tables(study_dir).items():
        pd.testing.assert_frame_equal(table, tables(other)[name], check_exact=True, obj=name)


def test_an_interrupted_study_resumes_to_the_same_result(study_dir, tmp_path):
    seen = []

    def stop_after_a_few(runs: int) -> None:
        seen.append(runs)
        if len(seen) == 3:
            raise KeyboardInterrupt

    cfg = small(tmp_path, "chunk_size=43")  # stopped inside generation 0 (2 of its 5 chunks)
    with pytest.raises(StudyInterrupted) as stop:
        run_study(cfg, on_chunk=stop_after_a_few)
    directory = stop.value.directory
    assert json.loads((directory / "manifest.json").read_text())["complete"] is False
    assert not (directory / "pareto.parquet").exists()
    resumed = run_study(small(tmp_path, "chunk_size=43", f"resume={directory}", "workers=1"))
    assert resumed == directory
    for name, table in tables(study_dir).items():
        pd.testing.assert_frame_equal(table, tables(directory)[name], check_exact=True, obj=name)


def test_resume_refuses_a_different_config(study_dir, tmp_path, capsys):
    code = policy_main(
        ["experiment=partner_commitments", *SMALL, "months=36", f"resume={study_dir}"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "months" in err[0] and "different config" in err[0]


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("levers.china.loyalty.range=[0,1]", "levers.china.loyalty"),
        ("objectives=[p_rung4,happiness]", "'happiness'"),
        ("levers={}", "levers = {} is not allowed"),
        ("levers.turkey.arms.range=[0.2,0.2]", "levers.turkey.arms.range = [0.2, 0.2]"),
        ("robustness.threshold=1.5", "robustness.threshold = 1.5"),
        ("robustness.objective=p_rung3", "robustness.objective = 'p_rung3'"),
        ("levers.turkey.arms.range=[0,0.9]", "levers.turkey.arms.range = 0.9"),
        ("levers.turkey.arms.values=[0,0.1]", "levers.turkey.arms"),
        ("uncertainties.turkey.arms.range=[0,0.1]", "uncertainties.turkey.arms"),
        ("search.method=annealing", "search.method = 'annealing'"),
        ("search.population=1", "search.population = 1"),
        ("search.population=5", "at least one policy per objective"),
        ("uncertainties.kazakhstan.caspian_ceiling_low.range=[0,0.1]", "caspian_ceiling_low = 0.0"),
    ],
)
def test_bad_input_gets_one_line_and_leaves_nothing(tmp_path, capsys, override, words):
    code = policy_main(["experiment=partner_commitments", f"output_root={tmp_path}", override])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and words in err[0]
    assert "not allowed" in err[0] or "unknown" in err[0]
    assert not any(tmp_path.iterdir())


def test_an_unknown_experiment_names_the_known_ones(capsys):
    assert policy_main(["experiment=nope"]) == 2
    err = capsys.readouterr().err
    assert "partner_commitments" in err and len(err.strip().splitlines()) == 1


def test_quick_mode_shrinks_the_study_but_keeps_explicit_values():
    cfg = spec.load("partner_commitments", ["quick=true", "search.runs=50"])
    assert cfg.search.population == 9  # 8, raised to one per objective for NSGA-III
    assert cfg.robustness.scenarios == 12
    assert cfg.search.runs == 50


def test_an_evaluation_covers_every_cell(tmp_path):
    cfg = small(tmp_path)
    study = Study.plan(cfg)
    ensemble = sample_ensemble(study.uncertainties, 4, 3, seed=1)
    evaluation = Evaluation(
        np.repeat(study.status_quo(), 3, axis=0),
        study.lever_paths,
        ensemble,
        study.base,
        study.objectives,
        6,
        5,
    )
    covered = np.zeros((3, 4), dtype=int)
    for index in range(evaluation.chunks):
        flat = evaluation.job(index).chunk.ids
        np.add.at(covered, (flat // 12, (flat % 12) // 3), 1)
    assert np.all(covered == 3)


def test_a_values_list_of_choices_is_an_uncertainty(tmp_path):
    """war.outcome drawn from a list: each value equally often, named in the scenario table."""
    cfg = small(
        tmp_path,
        "uncertainties.war.outcome.values=[favorable,unfavorable,frozen]",
        "robustness.scenarios=9",
    )
    study = Study.plan(cfg)
    frame = study.robustness_ensemble().frame(study.uncertainties)
    assert sorted(frame["war.outcome"].value_counts().tolist()) == [3, 3, 3]
    directory = run_study(cfg)
    scenarios = pd.read_parquet(directory / "scenarios.parquet")
    assert set(scenarios["war.outcome"]) == {"favorable", "unfavorable", "frozen"}


def test_the_command_runs_a_study_and_draws_its_report(study_run):
    directory, out = study_run
    assert f"policy study written to {directory}" in out
    assert (directory / "report.html").is_file()
    assert {p.stem for p in (directory / "figures").glob("*.png")} >= {
        "pareto_parallel",
        "tradeoff",
        "robustness_heatmap",
    }


def test_list_shows_the_policy_experiments(capsys):
    from sim.commands.list import main as list_main

    assert list_main([]) == 0
    out = capsys.readouterr().out
    section = out.split("policy experiments (python -m sim policy experiment=<name>):")[1]
    assert "partner_commitments" in section.split("\n\n")[0]


def test_ctrl_c_prints_the_command_that_finishes_the_study(tmp_path, capsys, monkeypatch):
    import sim.studies.policy.study as study_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(study_module, "run_evaluation", interrupted)
    code = policy_main(["experiment=partner_commitments", *SMALL, f"output_root={tmp_path}"])
    err = capsys.readouterr().err
    (directory,) = (tmp_path / "policies" / "partner_commitments").iterdir()
    assert code == 130
    assert f"resume={directory}" in err and "python -m sim policy experiment=" in err
    assert json.loads((directory / "manifest.json").read_text())["complete"] is False


def test_a_full_disk_keeps_the_chunks_and_says_how_to_finish(tmp_path, capsys, monkeypatch):
    import errno

    import sim.studies.policy.study as study_module

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(study_module, "run_evaluation", disk_full)
    code = policy_main(["experiment=partner_commitments", *SMALL, f"output_root={tmp_path}"])
    err = capsys.readouterr().err.strip().splitlines()
    (directory,) = (tmp_path / "policies" / "partner_commitments").iterdir()
    assert code == 1 and len(err) == 1
    assert "space" in err[0] and f"resume={directory}" in err[0]


def test_a_grid_study_evaluates_every_combination_and_keeps_its_front(tmp_path):
    cfg = small(tmp_path, "search.method=grid", "search.levels=2", "search.population=100")
    directory = run_study(cfg)
    evaluations = pd.read_parquet(directory / "evaluations.parquet")
    levers = [v.path for v in spec.levers_of(cfg)]
    searched = evaluations[~evaluations["reference"]]
    assert len(searched) == 2 ** len(levers)  # every corner of the lever box once
    assert not searched.duplicated(levers).any()
    assert searched["generation"].max() == 2  # 256 policies in batches of 100
    objectives = searched[list(cfg.objectives)].to_numpy()
    front = set(searched["policy"].to_numpy()[non_dominated(objectives)])
    assert front == set(searched.loc[searched["pareto"], "policy"])
