"""The sweep runner: identity across executors, workers and chunk sizes; resume; refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import HANG_GUARD

from sim.analysis.sweep_analysis import analyze_sweep, intervals_note
from sim.config import REPO_ROOT, ConfigError
from sim.engine.design import load_experiment
from sim.engine.rerun import resimulate
from sim.engine.runner import SweepInterrupted, run_sweep
from sim.engine.store import read_table
from sim.engine.sweep_directory import AGGREGATE, is_complete, part_path, read_parts

SMALL = [
    "factors.kazakhstan.multivector.levels=3",
    "replicates=10",
    "months=30",
    "progress=false",
    "analysis.run=false",
]  # 4 scenarios x 3 levels x 10 = 120 runs


def sweep(tmp_path: Path, *extra: str, **kwargs) -> Path:
    cfg = load_experiment("escalation_threshold", [*SMALL, f"output_root={tmp_path}", *extra])
    return run_sweep(cfg, **kwargs)


def tables(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = read_parts(directory).sort_values("run_id", ignore_index=True)
    return summary, read_table(directory / AGGREGATE)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One chunk, in this process: the result every other way of running must equal."""
    return sweep(tmp_path_factory.mktemp("ref"), "executor=serial", "chunk_size=1000")


@pytest.mark.parametrize(
    "options",
    [
        ["executor=serial", "chunk_size=7"],
        ["executor=process", "workers=2", "chunk_size=25"],
        ["executor=dask", "scheduler=threads", "workers=2", "chunk_size=40"],
    ],
    ids=["serial-7", "process-2x25", "dask-threads-40"],
)
def test_results_identical_whatever_the_executor_and_chunking(
    reference: Path, tmp_path: Path, options: list[str]
) -> None:
    expected_summary, expected_aggregate = tables(reference)
    summary, aggregate = tables(sweep(tmp_path, *options))
    pd.testing.assert_frame_equal(summary, expected_summary)
    pd.testing.assert_frame_equal(aggregate, expected_aggregate)


def test_a_run_equals_the_same_run_alone(reference: Path) -> None:
    """Alone: its design point's values, its replicate's seed and (as every run now) its
    replicate's posterior draw, simulated again from the directory (sim.engine.rerun)."""
    summary, _ = tables(reference)
    row = summary.iloc[57]
    alone = resimulate(reference, int(row["run_id"]), trajectories=False, events=False).summary
    assert alone["max_rung"].iloc[0] == row["max_rung"]
    assert alone["final_alignment"].iloc[0] == row["final_alignment"]
    assert alone["seed"].iloc[0] == row["seed"]


def test_common_random_numbers_across_design_points(reference: Path) -> None:
    summary, _ = tables(reference)
    seeds = summary.pivot(index="replicate", columns="design_point", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()
    assert seeds.iloc[:, 0].is_unique


def test_directory_layout_and_manifest(reference: Path) -> None:
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["runs"] == 120
    design = read_table(reference / "design.parquet")
    assert list(design.columns) == ["design_point", "scenario", "kazakhstan.multivector"]
    summary, aggregate = tables(reference)
    assert {"design_point", "scenario", "replicate", "month_rung_2"} <= set(summary.columns)
    counts = aggregate[[f"rung_{k}" for k in range(6)]].sum(axis=1)
    assert (counts == aggregate["runs"]).all() and (aggregate["runs"] == 10).all()
    assert len(aggregate) == 12 * 30
    assert aggregate["alignment_mean"].between(0, 1).all()


def interrupted(tmp_path: Path, after: int) -> Path:
    """A serial sweep of 30-run chunks, interrupted once chunk `after` is written."""

    def interrupt(index: int) -> None:
        if index == after:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as stop:
        sweep(tmp_path, "executor=serial", "chunk_size=30", on_chunk=interrupt)
    return stop.value.directory


def test_resume_after_an_interruption_equals_an_uninterrupted_run(
    reference: Path, tmp_path: Path
) -> None:
    directory = interrupted(tmp_path, after=2)
    assert not is_complete(directory)
    part_path(directory, "summary", 0).unlink()  # a lost part is redone too
    done = []
    finished = sweep(
        tmp_path, "executor=serial", "chunk_size=30", f"resume={directory}", on_chunk=done.append
    )
    assert finished == directory and is_complete(directory)
    assert sorted(done) == [0, 3]
    for got, expected in zip(tables(directory), tables(reference), strict=True):
        pd.testing.assert_frame_equal(got, expected)


def test_resume_refuses_chunks_run_by_other_model_code(tmp_path: Path) -> None:
    from sim.engine.store import MODEL_CODE, read_manifest
    from sim.model.version import code_version

    directory = interrupted(tmp_path, after=1)
    manifest = read_manifest(directory)
    assert manifest[MODEL_CODE] == code_version()
    # As if the chunks so far had run before a `git pull` that changed a mechanism:
    (directory / "manifest.json").write_text(json.dumps({**manifest, MODEL_CODE: "0" * 16}))
    with pytest.raises(ConfigError, match="other model code") as refused:
        sweep(tmp_path, "executor=serial", "chunk_size=30", f"resume={directory}")
    assert "0" * 16 in str(refused.value)
    assert (manifest["git_commit"] or "unknown") in str(refused.value)
    assert not is_complete(directory)
    del manifest[MODEL_CODE]  # a directory from before the manifest recorded it: not checked
    (directory / "manifest.json").write_text(json.dumps(manifest))
    sweep(tmp_path, "executor=serial", "chunk_size=30", f"resume={directory}")
    assert is_complete(directory)


def test_resume_refuses_a_different_config(reference: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="replicates: 10 in the directory, 11 now"):
        sweep(tmp_path, "replicates=11", f"resume={reference}")
    # Execution-only settings may change.
    sweep(tmp_path, "executor=serial", "workers=1", "chunk_size=1000", f"resume={reference}")


def test_trajectories_parts_when_asked(tmp_path: Path) -> None:
    directory = sweep(tmp_path, "executor=serial", "trajectories=true", "replicates=2", "months=5")
    frame = read_parts(directory, "trajectories")
    assert len(frame) == 12 * 2 * 5 and "design_point" in frame.columns
    episodes = read_parts(directory, "episodes")  # the demand episodes come with them
    assert len(episodes) > 0 and "design_point" in episodes.columns
    assert (episodes["design_point"] == episodes["run_id"] // 2).all()


ON_POSTERIOR = [
    "scenarios=[baseline]",
    "factors.kazakhstan.multivector.levels=2",
    "replicates=30",
    "months=120",
]  # 2 points x 30 runs: three posterior draws of 10 runs at each point


def test_probabilities_carry_the_parameters_interval_whatever_the_chunking(
    tmp_path: Path,
) -> None:
    """On the posterior, each point's probabilities carry the parameters' interval beside the
    dice's, from the runs' summaries alone: the same for any executor and chunk size."""
    one = sweep(tmp_path / "one", *ON_POSTERIOR, "executor=serial", "chunk_size=1000")
    # 23 runs a chunk: cut inside a point's 30 runs and inside a draw's 10, in few chunks (a
    # chunk's cost is mostly its 120 months, whatever its runs).
    other = sweep(
        tmp_path / "other", *ON_POSTERIOR, "executor=process", "workers=2", "chunk_size=23"
    )
    options = {"bootstrap": 0}
    probabilities = analyze_sweep(one, options=options)["probabilities"]
    pd.testing.assert_frame_equal(
        analyze_sweep(other, options=options)["probabilities"], probabilities
    )
    both = ["lower", "upper", "parameters_lower", "parameters_upper"]
    assert probabilities[both].notna().all().all() and (probabilities["draws"] == 3).all()
    p = probabilities["probability"]
    assert (probabilities["parameters_lower"] <= p).all() and (
        p <= probabilities["parameters_upper"]
    ).all()
    assert (probabilities["parameters_upper"] > probabilities["parameters_lower"]).any()


def test_hand_set_values_say_once_that_there_is_no_parameters_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from sim.commands.analyze import print_tables

    directory = sweep(tmp_path, *ON_POSTERIOR, "executor=serial", "calibration=none")
    tables = analyze_sweep(directory, options={"bootstrap": 0})
    assert not any(c.startswith("parameters_") for c in tables["probabilities"].columns)
    print_tables(tables, directory)
    out = capsys.readouterr().out
    assert out.count("there is no parameters' interval") == 1 and "nan" not in out


def test_a_sweep_with_one_posterior_draw_says_so(reference: Path) -> None:
    probabilities = analyze_sweep(reference, options={"bootstrap": 0})["probabilities"]
    assert probabilities["parameters_lower"].isna().all()  # 10 replicates: draw 0 only
    assert "conditional on that one parameter set" in intervals_note(probabilities)


def test_each_chunk_carries_the_rows_of_its_design_points(monkeypatch) -> None:
    from sim.engine import plan as plan_module
    from sim.engine.plan import factor_column, plan

    planned = plan(load_experiment("escalation_threshold", [*SMALL, "chunk_size=25"]))
    calibration = planned.task(0).calibration
    # The shipped posterior going stale mid-sweep changes nothing: every chunk draws alike.
    monkeypatch.setattr(plan_module, "resolve", lambda _: None)
    for index in range(planned.chunks):  # 25-run chunks straddle 10-replicate points
        task = planned.task(index)
        first = task.start // task.replicates
        points = slice(first, (task.stop - 1) // task.replicates + 1)
        assert task.first_point == first and task.calibration == calibration
        assert task.scenarios == tuple(planned.design["scenario"].iloc[points])
        assert list(task.columns) == list(planned.values.columns)
        for name, values in task.columns.items():
            assert values.tolist() == planned.values[name].iloc[points].tolist(), name
        factor = task.factors[factor_column("kazakhstan.multivector")]
        assert factor.tolist() == planned.design["kazakhstan.multivector"].iloc[points].tolist()


def test_refusal_happens_before_any_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        sweep(tmp_path, "factors.kazakhstan.multivector.range=[0.02,0.01]")
    assert not (tmp_path / "sweeps").exists()


def test_cli_sweep_analyze_and_list(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            "experiment=escalation_threshold",
            "factors.kazakhstan.multivector.levels=2",
            "scenarios=[baseline]",
            "replicates=5",
            "months=13",
            "workers=1",
            "progress=false",
            f"output_root={tmp_path}",
            "analysis.bootstrap=20",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert run.returncode == 0, run.stderr
    assert "== probabilities" in run.stdout and "== thresholds" in run.stdout
    directory = next((tmp_path / "sweeps" / "escalation_threshold").iterdir())
    from sim.analysis.sweep_analysis import newest_analysis

    assert (newest_analysis(directory) / "time_to_escalation.csv").exists()
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            "experiment=escalation_threshold",
            "factors.russia.nope=[1,2]",
            f"output_root={tmp_path}",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert bad.returncode == 2 and "russia.nope" in bad.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "sim", "list"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert "pledge_deterrence" in listed.stdout and "scenario_comparison" in listed.stdout
