"""Results directories as inputs: the wrong kind of directory (D29, D32), damaged files (D26)
and a resume of the wrong directory (D31) are refused in one line naming the directory or
file, with exit code 2 and no traceback.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sim.cli import main
from sim.engine.store import read_table


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Path]:
    """A small run, a small sweep, and directories that say they are a comparison/validation."""
    root = tmp_path_factory.mktemp("inputs")
    assert main(["run", "run.replicates=20", "run.months=12", "run.figures=false",
                 f"run.output_root={root}"]) == 0  # fmt: skip
    assert main(["sweep", "experiment=escalation_threshold", "scenarios=[baseline]",
                 "replicates=4", "months=12", "workers=1", "progress=false",
                 "analysis.run=false", f"output_root={root}"]) == 0  # fmt: skip
    found = {
        "run": next((root / "runs" / "baseline").iterdir()),
        "sweep": next((root / "sweeps" / "escalation_threshold").iterdir()),
    }
    for kind in ("comparison", "validation"):
        folder = root / kind
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"kind": kind}))
        found[kind] = folder
    return found


def damaged_copy(source: Path, tmp_path: Path) -> Path:
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    return copy


def one_line(code: int, err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("command", "kind", "extra", "words"),
    [
        ("analyze", "run", [], ["scenario run", "takes a sweep"]),
        ("analyze", "run", ["allow_incomplete=true"], ["scenario run", "takes a sweep"]),
        ("discover", "run", ["rung=3", "month=12"], ["scenario run", "takes a sweep"]),
        ("analyze", "comparison", [], ["is a comparison"]),
        ("plot", "comparison", [], ["is a comparison", "takes a run or a sweep"]),
        ("plot", "validation", [], ["is a validation report"]),
    ],
)
def test_the_wrong_kind_of_directory_is_named(command, kind, extra, words, results, capsys) -> None:
    code = main([command, str(results[kind]), *extra])
    one_line(code, capsys.readouterr().err, *words)


def test_compare_names_a_comparison_directory(results, capsys) -> None:
    code = main(["compare", str(results["comparison"]), str(results["run"])])
    one_line(code, capsys.readouterr().err, "is a comparison", "takes a run")


@pytest.mark.parametrize(
    ("kind", "file", "damage", "commands", "words"),
    [
        (
            "sweep",
            "parts/summary/part-000000.parquet",
            "truncate",
            ["analyze", "plot"],
            ["damaged"],
        ),
        ("sweep", "design.parquet", "truncate", ["plot", "discover"], ["design.parquet"]),
        ("sweep", "manifest.json", "{bad", ["analyze"], ["not valid JSON"]),
        ("sweep", "config.yaml", "a: [", ["analyze", "plot"], ["not valid YAML"]),
        ("run", "manifest.json", "[1]", ["plot", "compare"], ["expected a JSON object"]),
        ("run", "summary.parquet", "truncate", ["plot", "compare"], ["summary.parquet"]),
        ("run", "events.parquet", "truncate", ["plot"], ["events.parquet"]),
    ],
)
def test_a_damaged_file_is_named(
    kind, file, damage, commands, words, results, tmp_path: Path, capsys
) -> None:
    copy = damaged_copy(results[kind], tmp_path)
    target = copy / file
    if damage == "truncate":
        with target.open("r+b") as handle:
            handle.truncate(100)
    else:
        target.write_text(damage)
    for command in commands:
        extra = {"compare": [str(results["run"])], "discover": ["rung=3", "month=12"]}
        code = main([command, str(copy), *extra.get(command, [])])
        one_line(code, capsys.readouterr().err, file.split("/")[-1], *words)


def test_a_complete_sweep_without_parts_is_refused(results, tmp_path: Path, capsys) -> None:
    copy = damaged_copy(results["sweep"], tmp_path)
    for part in (copy / "parts").glob("*/part-*.parquet"):
        part.unlink()
    one_line(main(["analyze", str(copy)]), capsys.readouterr().err, "no run summaries")


@pytest.mark.parametrize(
    ("experiment", "which", "words"),
    [
        ("escalation_threshold", "run", ["scenario run", "only a sweep can be resumed"]),
        ("sensitivity", "sweep", ["experiment 'escalation_threshold'", "not 'sensitivity'"]),
    ],
)
def test_resume_of_the_wrong_directory_is_one_line(
    experiment, which, words, results, capsys
) -> None:
    code = main(["sweep", f"experiment={experiment}", f"resume={results[which]}"])
    one_line(code, capsys.readouterr().err, *words)


def test_resume_with_other_settings_names_a_few_differences(results, capsys) -> None:
    code = main(
        ["sweep", "experiment=escalation_threshold", "scenarios=[baseline]", "replicates=5",
         "months=24", "seed=3", "chunk_size=7", f"resume={results['sweep']}"]
    )  # fmt: skip
    one_line(code, capsys.readouterr().err, "replicates: 4 in the directory, 5 now", "more")


# --- D27: options that were never checked ---------------------------------------------------
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["threshold=abc"], ["threshold = 'abc'", "(0, 1]"]),
        (["peel_alpha=0"], ["peel_alpha = 0", "(0, 0.5]"]),
        (["peel_alpha=5"], ["peel_alpha = 5"]),
        (["paste_alpha=-1"], ["paste_alpha = -1", "[0, 0.5]"]),
    ],
)
def test_discover_refuses_bad_numbers(args, words, results, capsys) -> None:
    code = main(["discover", str(results["sweep"]), "rung=3", "month=12", *args])
    one_line(code, capsys.readouterr().err, *words)


def test_plot_refuses_an_empty_format(results, capsys) -> None:
    code = main(["plot", str(results["run"]), "format="])
    one_line(code, capsys.readouterr().err, "format=''", "png, pdf, svg")


def test_a_factor_range_of_words_is_refused(tmp_path: Path, capsys) -> None:
    code = main(
        ["sweep", "experiment=escalation_threshold",
         "factors.kazakhstan.multivector.range=[low,high]", f"output_root={tmp_path}"]
    )  # fmt: skip
    one_line(code, capsys.readouterr().err, "multivector.range", "two numbers")


# --- new-user report, defect 6: re-simulating one run ----------------------------------------
@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_a_run_of_a_run_or_sweep_directory_resimulates_bit_for_bit(kind, results) -> None:
    import pandas as pd

    from sim.engine.rerun import resimulate
    from sim.engine.sweep_directory import read_parts

    directory = results[kind]
    stored = read_table(directory / "summary.parquet") if kind == "run" else read_parts(directory)
    for run_id in (0, int(stored["run_id"].max())):
        again = resimulate(directory, run_id, trajectories=False, events=False).summary
        row = stored[stored["run_id"] == run_id]
        columns = [c for c in again.columns if c in row.columns]
        pd.testing.assert_frame_equal(
            again[columns].reset_index(drop=True),
            row[columns].reset_index(drop=True),
            check_dtype=False,
        )


def test_resimulating_from_another_directory_is_refused(results) -> None:
    from sim.engine.rerun import resimulate
    from sim.errors import CommandError

    with pytest.raises(CommandError, match="not a scenario run or a sweep"):
        resimulate(results["comparison"], 0)


def test_an_unreadable_option_is_one_line(results, capsys) -> None:
    code = main(["analyze", str(results["sweep"]), "months=[12"])
    one_line(code, capsys.readouterr().err, "cannot read options", "months=[12")
