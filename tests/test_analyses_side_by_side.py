"""`analyze` with new options writes a new analysis beside the old one (new-user review 2, 8).

Each analysis lives in analysis/<key>/, the key a short hash of its options (recorded in its
options.json): new options never overwrite earlier tables, the same options rewrite their own
folder, and `plot` draws the newest, says which in one line, and can be pointed at another.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sim.analysis import sweep_analysis as A
from sim.cli import main


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    from sim.engine.design import load_experiment
    from sim.engine.runner import run_sweep

    root = tmp_path_factory.mktemp("sweep")
    # Small: which analysis is kept, taken and drawn does not depend on the design's size.
    args = ["replicates=20", "months=12", "chunk_size=40", "workers=1", "executor=serial",
            "factors.kazakhstan.multivector.levels=3", "scenarios=[baseline,war_favorable_russia]",
            f"output_root={root}", "progress=false"]  # fmt: skip
    return run_sweep(load_experiment("escalation_threshold", args))


@pytest.fixture
def copy(sweep: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(sweep, tmp_path / "sweep"))


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_new_options_write_a_new_analysis_beside_the_old(copy, capsys):
    assert main(["analyze", str(copy)]) == 0
    (first,) = A.analyses(copy)
    before = _files(first)
    assert main(["analyze", str(copy), "level=0.25", "months=[6]"]) == 0
    second = A.newest_analysis(copy)
    assert second != first and second.parent == first.parent == copy / "analysis"
    assert _files(first) == before  # the level-0.5 tables are all still there, unchanged
    assert json.loads((second / "options.json").read_text())["level"] == 0.25
    assert json.loads((first / "options.json").read_text())["level"] == 0.5
    out = capsys.readouterr().out
    assert f"analysis written: analysis/{second.name} (" in out and "level 0.25" in out
    assert f"analysis/{second.name}/probabilities.csv" in out


def test_the_same_options_again_rewrite_their_own_analysis(copy, capsys):
    assert main(["analyze", str(copy), "level=0.25"]) == 0
    assert main(["analyze", str(copy), "level=2.5e-1"]) == 0  # the same option, spelled otherwise
    assert len(A.analyses(copy)) == 1
    assert main(["analyze", str(copy)]) == 0
    assert main(["analyze", str(copy), "level=0.25"]) == 0  # back to the first: the newest again
    assert len(A.analyses(copy)) == 2
    assert A.read_options(A.newest_analysis(copy))["level"] == 0.25


def test_plot_draws_the_newest_analysis_says_which_and_takes_another(copy, capsys):
    assert main(["analyze", str(copy)]) == 0
    old = A.newest_analysis(copy)
    assert main(["analyze", str(copy), "level=0.25"]) == 0
    new = A.newest_analysis(copy)
    capsys.readouterr()
    assert main(["plot", str(copy)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("analysis")]
    assert len(lines) == 1 and f"analysis/{new.name} (" in lines[0] and "level 0.25" in lines[0]
    report = (copy / "report.html").read_text()
    assert f"analysis/{new.name} (" in report and "level 0.25" in report
    assert main(["plot", str(copy), f"analysis={old.name}"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("analysis")]
    assert f"analysis/{old.name} (" in line and "level 0.5" in line
    assert "level 0.5" in (copy / "report.html").read_text()


def test_plot_refuses_an_analysis_the_sweep_does_not_have(copy, capsys):
    assert main(["analyze", str(copy)]) == 0
    capsys.readouterr()
    assert main(["plot", str(copy), "analysis=12e45678"]) == 2  # a key is text, not a number
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "analysis = '12e45678' is not allowed" in line and "analysis/" in line
    assert not (copy / "report.html").exists() and not (copy / "figures").exists()


def test_an_analysis_of_an_incomplete_sweep_is_never_taken_as_the_newest(copy):
    assert main(["analyze", str(copy)]) == 0
    whole = A.newest_analysis(copy)
    partial = copy / "analysis" / "0partial"
    shutil.copytree(whole, partial)
    A.write_options(partial, A.read_options(whole) | {"level": 0.3}, partial=True)
    assert A.analyses(copy)[-1] == partial and A.newest_analysis(copy) == whole
    with pytest.raises(A.ConfigError, match="incomplete"):
        A.chosen_analysis(copy, "0partial")


def test_a_sweep_analysed_before_analyses_had_keys_is_still_read(copy):
    from sim.plots import load_sweep

    assert main(["analyze", str(copy), "level=0.25"]) == 0
    keyed = A.newest_analysis(copy)
    for path in keyed.iterdir():  # the layout of a sweep analysed by an earlier version
        shutil.move(path, copy / "analysis" / path.name)
    keyed.rmdir()
    assert A.newest_analysis(copy) == copy / "analysis"
    loaded = load_sweep(copy)
    assert loaded.analysis == copy / "analysis" and loaded.level == 0.25 and not loaded.computed
