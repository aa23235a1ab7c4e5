"""`python -m sim score`: the shipped example quickly, its directory read by plot and compare,
and bad input refused in one line with exit code 2 and nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim import cli
from sim.engine.store import read_table

RUNS = "run.replicates=30"


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """The shipped example, quick: facts of the 2022 record, cut-off June 2022."""
    root = tmp_path_factory.mktemp("scores")
    code = cli.main(["score", "facts=seed_2022", "quick=true", RUNS, f"run.output_root={root}"])
    assert code == 0
    (directory,) = (root / "scores" / "seed_2022").iterdir()
    return directory


def test_the_shipped_example_writes_a_complete_directory(scored: Path):
    manifest = json.loads((scored / "manifest.json").read_text())
    assert manifest["kind"] == "score" and manifest["cutoff"] == "2022-06"
    for name in manifest["files"]:
        assert (scored / name).is_file(), name
    scores = pd.read_parquet(scored / "scores.parquet")
    assert (scores["first_month"] > 3).all()  # only facts after June 2022 are scored
    assert set(scores["score"]) == {"brier", "log", "crps"}
    predictive = pd.read_parquet(scored / "predictive.parquet")
    assert len(predictive) == 30 and set(scores["fact"]) <= set(predictive.columns)
    skill = pd.read_parquet(scored / "skill.parquet")
    assert set(skill["reference"]) == {"climatology", "persistence", "uniform"}
    figures = {p.stem for p in (scored / "figures").glob("*.png")}
    assert {"score_skill", "score_reliability", "score_pit", "score_predictive"} <= figures
    assert "Forecast skill" in (scored / "report.html").read_text()


def test_plot_and_compare_read_a_scores_directory(scored: Path, tmp_path: Path, capsys):
    assert cli.main(["plot", str(scored)]) == 0
    assert "score_reliability.png" in capsys.readouterr().out
    other = tmp_path / "other"
    code = cli.main(
        [
            "score",
            "facts=seed_2022",
            "quick=true",
            RUNS,
            "cutoff=2022-08",
            f"run.output_root={other}",
            "figures=false",
        ]  # fmt: skip
    )
    assert code == 0
    (second,) = (other / "scores" / "seed_2022").iterdir()
    output = tmp_path / "both"
    assert cli.main(["compare", str(scored), str(second), f"output={output}"]) == 0
    table = pd.read_parquet(output / "comparison.parquet")
    assert set(table["cutoff"]) == {"2022-06", "2022-08"}
    assert (output / "figures" / "compare_skill.png").is_file()


def user_facts(folder: Path, fact: str, months: int = 8) -> None:
    (folder / "facts").mkdir(parents=True, exist_ok=True)
    (folder / "facts" / "mine.yaml").write_text(
        f"months: {months}\ncutoff: 2022-04\nfacts:\n"
        "  - {name: halt_early, series: h, measure: russia_halts, kind: count, "
        "period: 2022-03, observed: 1, source: test}\n"
        f"  - {fact}\n"
    )


@pytest.mark.parametrize(
    ("fact", "arguments", "message"),
    [
        (
            "{name: x, series: v, measure: value_at, args: {variable: no_such_column}, "
            "kind: continuous, period: 2022-06, observed: 1, source: test}",
            [],
            "has no column 'no_such_column'",
        ),
        (
            "{name: x, series: h, measure: russia_halts, kind: count, period: 2022-08, "
            "observed: 1, source: test}",
            ["run.months=4"],
            "outside the simulated months",
        ),
        (
            "{name: x, series: h, measure: russia_halts, kind: count, period: 2022-06, "
            "observed: 1, source: test}",
            ["cutoff=2022-06"],
            "cutoff = 2022-06 is not allowed",
        ),
        (
            "{name: x, series: h, measure: russia_halts, kind: count, period: 2022-06, "
            "observed: 1, source: test}",
            ["cutoff=2021-12"],
            "cutoff = 2021-12 is not allowed",
        ),
        (
            "{name: x, series: h, measure: russia_halts, kind: count, period: 2022-06, "
            "observed: 1, source: test}",
            ["calibration=auto"],
            "names no targets file",
        ),
        (
            "{name: x, series: h, measure: russia_halts, kind: count, period: 2022-06, "
            "observed: 1, source: test}",
            ["executor=gpu"],
            "executor = 'gpu' is not allowed",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, capsys, fact: str, arguments: list[str], message: str
):
    user_facts(tmp_path / "user", fact)
    root = tmp_path / "out"
    code = cli.main(
        [
            "--search-path",
            str(tmp_path / "user"),
            "score",
            "facts=mine",
            RUNS,
            f"run.output_root={root}",
            *arguments,
        ]  # fmt: skip
    )
    error = capsys.readouterr().err.strip()
    assert code == 2
    assert len(error.splitlines()) == 1 and message in error, error
    assert not (root / "scores").exists()


def test_a_user_facts_file_is_found_through_the_search_path(tmp_path: Path, capsys):
    user_facts(
        tmp_path / "user",
        "{name: halt_late, series: h, measure: russia_halts, kind: count, period: 2022-06, "
        "observed: 0, source: test}",
    )
    root = tmp_path / "out"
    code = cli.main(
        [
            "--search-path",
            str(tmp_path / "user"),
            "score",
            "facts=mine",
            RUNS,
            f"run.output_root={root}",
            "figures=false",
        ]  # fmt: skip
    )
    assert code == 0, capsys.readouterr().err
    (directory,) = (root / "scores" / "mine").iterdir()
    scores = pd.read_parquet(directory / "scores.parquet")
    assert list(scores["fact"]) == ["halt_late"]
    assert scores["persistence_forecast"].item() == 1.0  # March's count, the one known fact


def test_the_recorded_posterior_gives_the_same_forecasts_again(tmp_path: Path):
    """calibration=auto writes its posterior with the scores; scoring with it gives the same
    forecasts, run for run."""
    common = ["score", "facts=seed_2022", RUNS, "figures=false"]
    tiny = ["calibration=auto", "budget=120", "population=20", "generations=2"]
    assert cli.main([*common, *tiny, f"run.output_root={tmp_path / 'a'}"]) == 0
    (auto,) = (tmp_path / "a" / "scores" / "seed_2022").iterdir()
    # a calibration that was not asked to be quick is not marked as a smoke test
    assert json.loads((auto / "calibration" / "manifest.json").read_text())["quick"] is False
    again = [f"calibration={auto / 'calibration'}", f"run.output_root={tmp_path / 'b'}"]
    assert cli.main([*common, *again]) == 0
    (reused,) = (tmp_path / "b" / "scores" / "seed_2022").iterdir()
    first = read_table(auto / "predictive.parquet")
    second = read_table(reused / "predictive.parquet")
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    manifest = json.loads((reused / "manifest.json").read_text())
    assert manifest["calibration"]["directory"] == str(auto / "calibration")


def test_plot_refuses_a_scores_directory_missing_a_table(scored: Path, tmp_path: Path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(scored, copy)
    (copy / "skill.parquet").unlink()
    assert cli.main(["plot", str(copy)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "skill.parquet" in error, error
