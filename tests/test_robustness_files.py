"""Malformed scenario and experiment files: one bad file breaks nothing else (D22), and its
message names the file, the key and the value (D30, D33); a delete override is refused in one
line (D34).

The bad files go into a temporary copy of configs/ and experiments/, which the commands read
through ``sim.config.CONFIG_DIR`` and ``sim.search_path.EXPERIMENTS_DIR`` (patched).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim import config as C
from sim import search_path
from sim.cli import main
from sim.engine import design

HEAD = "# @package _global_\n"
BAD_SCENARIOS = {
    "broken": "# @package _global_\nscenario:\n  name: broken\n  description: [unclosed\n",
    "strscen": "# @package _global_\nscenario: just a string\n",
    "badkey": HEAD + "scenario: {name: badkey}\nmodel: {turkey: {reliabilty: 0.9}}\n",
    "wrongtype": HEAD + "scenario: {name: wrongtype}\nmodel: {turkey: {reliability: abc}}\n",
    "modellist": "# @package _global_\nscenario:\n  name: modellist\nmodel: [1, 2]\n",
    "nopkg": "scenario:\n  name: nopkg\n",
    "bad name": "# @package _global_\nscenario:\n  name: bad_name\n",
}
BAD_EXPERIMENTS = {"listy": "- a\n", "x_syntax": "name: [unclosed\n"}


@pytest.fixture
def bad_files(tmp_path: Path, monkeypatch) -> Path:
    """configs/ and experiments/ copies holding one of each kind of bad file."""
    configs, experiments = tmp_path / "configs", tmp_path / "experiments"
    shutil.copytree(C.CONFIG_DIR, configs)
    shutil.copytree(C.EXPERIMENTS_DIR, experiments)
    for name, text in BAD_SCENARIOS.items():
        (configs / "scenario" / f"{name}.yaml").write_text(text)
    for name, text in BAD_EXPERIMENTS.items():
        (experiments / f"{name}.yaml").write_text(text)
    monkeypatch.setattr(C, "CONFIG_DIR", configs)
    monkeypatch.setattr(search_path, "EXPERIMENTS_DIR", experiments)
    import sim.commands.list as listing

    monkeypatch.setattr(listing, "CONFIG_DIR", configs)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def one_line(code: int, err: str, *words: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_list_shows_every_file_and_says_which_cannot_be_used(bad_files: Path, capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    lines: dict[str, str] = {}  # name -> its description, wrapped lines joined
    for line in out.splitlines():
        if line.startswith("  ") and line[2] != " ":
            name = line.split()[0]
            lines[name] = line
        elif line.startswith("   "):
            lines[name] += " " + line.strip()
    # Long descriptions wrap at 100; only a path too long for its column stays whole (so it can
    # be copied), on a line of its own but for a few words.
    for line in out.splitlines():
        longest = max(line.split(), key=len, default="")
        assert len(line) <= 100 or ("/" in longest and len(line) - len(longest) <= 40), line
    assert "cannot be used" in lines["broken"] and "line " in lines["broken"]
    assert "cannot be used" in lines["strscen"] and "cannot be used" in lines["listy"]
    assert "cannot be used" in lines["x_syntax"] and "rename" in out
    assert "cannot be used" not in lines["baseline"]


def test_a_bad_scenario_file_does_not_break_other_scenarios(bad_files: Path, capsys) -> None:
    code = main(
        ["run", "scenario=baseline", "run.replicates=2", "run.months=2", "run.figures=false",
         f"run.output_root={bad_files / 'out'}"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert list((bad_files / "out" / "runs" / "baseline").iterdir())


def test_a_bad_experiment_file_does_not_break_other_experiments(bad_files: Path) -> None:
    cfg = design.load_experiment("escalation_threshold", ["replicates=2"])
    assert cfg.name == "escalation_threshold"


@pytest.mark.parametrize(
    ("scenario", "words"),
    [
        ("broken", ["broken.yaml", "line ", "not valid YAML"]),
        ("strscen", ["strscen.yaml", "scenario = 'just a string'", "expected a mapping"]),
        ("badkey", ["badkey.yaml", "model.turkey.reliabilty", "did you mean"]),
        ("wrongtype", ["wrongtype.yaml", "model.turkey.reliability = 'abc'", "[0, 1]"]),
        ("modellist", ["modellist.yaml", "model = [1, 2]", "expected a mapping"]),
        ("nopkg", ["nopkg.yaml", "# @package _global_"]),
        ("'bad name'", ["bad name.yaml", "rename"]),
    ],
)
def test_a_bad_scenario_is_refused_naming_file_key_and_value(
    scenario, words, bad_files: Path, capsys
) -> None:
    code = main(["run", f"scenario={scenario}", "run.replicates=2", "run.months=2"])
    one_line(code, capsys.readouterr().err, *words)
    assert not (bad_files / "results").exists()


@pytest.mark.parametrize(
    ("experiment", "words"),
    [("listy", ["listy.yaml", "got a list"]), ("x_syntax", ["x_syntax.yaml", "not valid YAML"])],
)
def test_a_bad_experiment_is_refused_naming_the_file(
    experiment, words, bad_files: Path, capsys
) -> None:
    code = main(["sweep", f"experiment={experiment}"])
    one_line(code, capsys.readouterr().err, *words)


def test_a_delete_override_is_refused_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["run", "~run.seed", "run.replicates=2", "run.months=2"])
    one_line(code, capsys.readouterr().err, "~run.seed", "run.seed=<value>")


# --- new-user report, defect 4: the README's war-end example ---------------------------------
def test_a_war_end_spread_below_month_zero_is_warned_about() -> None:
    from sim.commands.run import war_window_warning
    from sim.config import compose

    favourable = ["scenario=baseline", "model.war.outcome=favorable", "model.war.end_month=12"]
    spread = compose([*favourable, "model.war.end_month_spread=24"])
    assert "end the war at month 0" in war_window_warning(spread)
    exact = compose(["scenario=baseline", "model.war.end_month=12", "model.war.end_month_spread=0"])
    assert war_window_warning(exact) is None


def test_a_war_end_before_what_is_known_is_warned_about() -> None:
    """The war was still going on in October 2022 (war.ongoing_through = 7 by default)."""
    from sim.commands.run import war_window_warning
    from sim.config import compose

    early = ["scenario=baseline", "model.war.outcome=favorable", "model.war.end_month=3"]
    assert "ends in month 8" in war_window_warning(compose(early))
    assert war_window_warning(compose([*early, "model.war.ongoing_through=null"])) is None


def test_the_readme_war_end_example_ends_the_war_at_the_month_it_names() -> None:
    readme = (C.REPO_ROOT / "README.md").read_text()
    line = next(x for x in readme.splitlines() if "model.war.end_month=12" in x)
    assert "model.war.end_month_spread=0" in line
