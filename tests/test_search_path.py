"""--search-path: a user's own scenarios and experiments beside the built-in ones. ~5 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import config as C
from sim.cli import main
from sim.engine.design import experiment_path

SCENARIO = """# @package _global_
scenario:
  name: {name}
  description: {description}
model:
  war:
    outcome: frozen
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(C.SEARCH_PATH_ENV, "")  # restored after the test
    (tmp_path / "scenario").mkdir()
    (tmp_path / "experiments").mkdir()
    (tmp_path / "scenario" / "mine.yaml").write_text(
        SCENARIO.format(name="mine", description="Mine")
    )
    (tmp_path / "scenario" / "baseline.yaml").write_text(
        SCENARIO.format(name="baseline", description="A second baseline")
    )
    (tmp_path / "experiments" / "my_grid.yaml").write_text(
        "description: My grid\nfactors:\n  war:\n    end_month: [12, 24]\n"
    )
    return tmp_path


def test_listing_shows_origins_and_hidden_duplicates(folder, capsys):
    assert main(["list", "--search-path", str(folder)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # entries wrap at 100 columns
    assert f"Mine (from {folder})" in out and f"My grid (from {folder})" in out
    assert "A second baseline" in out and "hidden by a file of the same name" in out


def test_user_scenario_composes_and_user_experiment_loads(folder):
    C.add_user_folder(folder)
    cfg = C.compose(["scenario=mine"])
    assert cfg.scenario.name == "mine" and cfg.model.war.outcome == "frozen"
    assert C.compose(["scenario=baseline"]).scenario.description != "A second baseline"
    assert experiment_path("my_grid") == folder / "experiments" / "my_grid.yaml"


def test_a_missing_folder_is_one_line_and_exit_code_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(C.SEARCH_PATH_ENV, "")  # restored after the test
    assert main(["--search-path", str(tmp_path / "nope"), "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--search-path" in err and "directory" in err
