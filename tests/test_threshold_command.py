"""`python -m sim threshold` on the model: bad input, executors, resume, files, plot, compare.

Small studies: 2-year outcomes, 200-run batches, a budget of 800 runs (four batches).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.commands import threshold as command
from sim.engine.result_dirs import directory_kind
from sim.engine.store import read_manifest, read_table
from sim.studies.threshold import spec
from sim.studies.threshold.outcomes import parse_outcome
from sim.studies.threshold.study import StudyInterrupted, run_study

SMALL = [
    "scenario=baseline",
    "factor=kazakhstan.multivector",
    "outcome=rung>=2 by 24",
    "level=0.3",
    "budget=800",
    "batch=200",
    "progress=false",
]


def settings(tmp_path: Path, *more: str):
    return spec.load([*SMALL, f"output_root={tmp_path}", *more])


def tables(directory: Path) -> dict[str, pd.DataFrame]:
    return {
        name: read_table(directory / f"{name}.parquet")
        for name in ("threshold", "evaluations", "curve")
    }


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("serial")
    return run_study(settings(root, "executor=serial"))


@pytest.mark.parametrize(
    ("argument", "words"),
    [
        ("factor=turkey.relaibility", "turkey.reliability"),
        ("level=1.5", "level = 1.5"),
        ("level=0", "level = 0"),
        ("range=[0.5,1.5]", "range = [0.5, 1.5]"),
        ("outcome=rung>=9 by 12", "outcome = 'rung>=9 by 12'"),
        ("outcome=war by 12", "outcome = 'war by 12'"),
        ("factor=russia.posture", None),  # a choice, or unknown: refused either way
        ("scenario=nowhere", "scenario = 'nowhere'"),
    ],
)
def test_bad_input_gets_one_line_exit_2_and_nothing_written(tmp_path, capsys, argument, words):
    key = argument.split("=", 1)[0]
    given = [a for a in SMALL if not a.startswith(key + "=")]
    code = command.main([*given, argument, f"output_root={tmp_path}", "plot=false"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("python -m sim threshold: error")
    if words:
        assert words in err
    assert not any(tmp_path.iterdir())


def test_outcomes_share_analyze_words():
    assert parse_outcome("rung>=4 by 120").rung == 4
    assert parse_outcome(" Disruptions > 1.5  by 60").rate == 1.5
    assert parse_outcome("csto_exit by 36").months == 36


def test_a_study_writes_its_files_and_the_answer(serial):
    manifest = read_manifest(serial)
    assert manifest["kind"] == "threshold" and manifest["complete"] is True
    assert directory_kind(serial) == "threshold"
    found = tables(serial)
    row = found["threshold"].iloc[0]
    assert row["runs"] == found["evaluations"]["runs"].sum() <= 800
    assert set(found["evaluations"].columns) >= {"batch", "kazakhstan.multivector", "runs"}
    assert (serial / "config.yaml").is_file() and manifest["answer"]
    if row["status"] == "crossed":
        assert row["lower"] <= row["crossing"] <= row["upper"]


def test_bit_identical_in_a_process_pool(serial, tmp_path):
    pooled = run_study(settings(tmp_path, "executor=process", "workers=2", "chunk_size=50"))
    for name, table in tables(serial).items():
        pd.testing.assert_frame_equal(table, tables(pooled)[name], check_exact=True, obj=name)


def test_resumes_after_an_interruption(serial, tmp_path):
    def stop(index: int) -> None:
        if index == 1:
            raise KeyboardInterrupt

    with pytest.raises(StudyInterrupted) as stopped:
        run_study(settings(tmp_path, "executor=serial"), on_batch=stop)
    directory = stopped.value.directory
    assert read_manifest(directory)["complete"] is False
    assert len(list((directory / "parts" / "batches").glob("part-*.parquet"))) == 2
    finished = run_study(settings(tmp_path, "executor=serial", f"resume={directory}"))
    assert finished == directory
    for name, table in tables(serial).items():
        pd.testing.assert_frame_equal(table, tables(finished)[name], check_exact=True, obj=name)


def test_resume_refuses_another_question(serial, tmp_path):
    code = command.main([*SMALL[:-1], "level=0.4", f"resume={serial}", "plot=false"])
    assert code == 2


def test_resume_refuses_batches_run_by_other_model_code(serial, tmp_path, capsys):
    import json
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(serial, copy)
    manifest = read_manifest(copy)
    (copy / "manifest.json").write_text(json.dumps({**manifest, "model_code": "0" * 16}))
    code = command.main([*SMALL, f"resume={copy}", "plot=false"])
    error = capsys.readouterr().err.strip()
    assert code == 2 and len(error.splitlines()) == 1 and "other model code" in error, error


def test_plot_and_compare_read_threshold_directories(serial, tmp_path, capsys):
    from sim.commands import compare, plot

    assert plot.main([str(serial)]) == 0
    assert (serial / "figures" / "threshold_curve.png").is_file()
    assert (serial / "report.html").is_file()
    other = run_study(settings(tmp_path, "executor=serial", "level=0.4"))
    output = tmp_path / "comparison"
    assert compare.main([str(serial), str(other), f"output={output}"]) == 0
    table = pd.read_parquet(output / "comparison.parquet")
    assert list(table["level"]) == [0.3, 0.4]
    assert (output / "report.html").is_file()


def test_on_a_posterior_the_interval_carries_the_parameters(tiny_calibration, tmp_path):
    """A tiny calibration (tests/conftest.py, shared with test_calibration.py): the study runs
    on it, records the parameters' spread, and its interval holds the dice-only one; a
    calibrated factor is set by the design (its posterior overridden, said in the manifest and
    report) while the other calibrated parameters are still drawn; a missing posterior is
    refused in one line."""
    import numpy as np

    from sim.commands import plot
    from sim.engine import posterior_draws
    from sim.studies.threshold import method
    from sim.studies.threshold.study import Study, batch_runs

    calibration = tiny_calibration
    factor = "kazakhstan.multivector"
    names = posterior_draws.load(calibration).names
    assert factor in names
    given = ["executor=serial", f"calibration={calibration}"]
    cfg = settings(tmp_path, *given)
    directory = run_study(cfg)
    row = pd.read_parquet(directory / "threshold.parquet").iloc[0]
    assert bool(row["posterior"]) and row["sd_parameters"] >= 0
    if row["status"] == "crossed":
        assert row["lower"] <= row["dice_lower"] <= row["dice_upper"] <= row["upper"]
    manifest = read_manifest(directory)
    assert manifest["posterior_overridden"] == [factor]
    assert factor in manifest["posterior_left_alone"]
    assert plot.main([str(directory)]) == 0
    assert "overridden" in (directory / "report.html").read_text()

    study = Study.plan(cfg)
    batch = method.Batch(0, np.array([[0.25], [0.75]]), 40, 0)
    params, _ = batch_runs(study, batch)
    np.testing.assert_array_equal(
        params.columns[factor], np.repeat(study.values(batch.points)[:, 0], 40)
    )
    others = [n for n in names if n != factor]  # still drawn: they vary between draws
    assert any(len(np.unique(params.columns[n][:40])) > 1 for n in others)
    bad = command.main([*SMALL, f"calibration={tmp_path / 'none'}", f"output_root={tmp_path}"])
    assert bad == 2


def test_two_factors_give_a_crossing_curve_and_its_figure(tmp_path):
    from sim.commands import plot

    given = [a for a in SMALL if not a.startswith(("factor=", "budget=", "batch="))]
    cfg = spec.load(
        [
            *given,
            "factor=[kazakhstan.multivector,turkey.reliability]",
            "range=[[0,0.6],[0.2,1.0]]",
            "budget=1620",
            "batch=360",
            "executor=serial",
            f"output_root={tmp_path}",
        ]
    )
    directory = run_study(cfg)
    table = pd.read_parquet(directory / "threshold.parquet")
    assert {"kazakhstan.multivector", "factor", "crossing", "lower", "upper"} <= set(table.columns)
    assert (table["factor"] == "turkey.reliability").all()
    crossed = table.dropna(subset=["crossing"])
    assert (
        (crossed["lower"] <= crossed["crossing"]) & (crossed["crossing"] <= crossed["upper"])
    ).all()
    evaluations = pd.read_parquet(directory / "evaluations.parquet")
    assert evaluations["runs"].sum() == table["runs"].iloc[0] <= 1620
    assert plot.main([str(directory)]) == 0
    assert (directory / "figures" / "threshold_line.png").is_file()


def test_compare_overlays_two_factor_lines_and_tabulates_their_difference(serial, tmp_path, capsys):
    from sim.commands import compare

    given = [a for a in SMALL if not a.startswith(("factor=", "budget=", "batch=", "outcome="))]
    two = [
        *given,
        "factor=[kazakhstan.multivector,turkey.reliability]",
        "outcome=rung>=3 by 24",  # from about 0.15 to 0.25 over this range
        "range=[[0,0.6],[0.2,1.0]]",
        "budget=1620",
        "batch=360",
        "executor=serial",
        f"output_root={tmp_path}",
    ]
    first = run_study(spec.load([*two, "level=0.21"]))
    second = run_study(spec.load([*two, "level=0.23"]))
    output = tmp_path / "lines"
    assert compare.main([str(first), str(second), f"output={output}"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_parquet(output / "comparison.parquet")
    assert (output / "figures" / "compare_threshold_lines.png").is_file()
    assert (output / "report.html").is_file()
    assert len(table) > 10 and "minus" in printed
    assert (table["lower"] <= table["difference"]).all()
    assert (table["difference"] <= table["upper"]).all()
    difference = table["crossing_other"] - table["crossing_reference"]
    assert (table["difference"] == difference).all() and (table["reference"] != "").all()
    # a one-factor study against a two-factor one: one line, exit code 2
    assert compare.main([str(first), str(serial), f"output={tmp_path / 'mixed'}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "same two factors" in err[0]
    assert not (tmp_path / "mixed").exists()
