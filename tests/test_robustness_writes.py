"""Nothing written outside the output root, and user text never resolved (review D6, D12-D15).

Scenario and experiment files made for these tests live in a copy of configs/ (or a temporary
experiments/ folder) that the modules are pointed at, so the source tree is never touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import sim.config as C
import sim.engine.design as D
import sim.search_path as search_path
from sim.commands import analyze, plot, sweep
from sim.commands import run as run_command
from sim.config import ConfigError, compose
from sim.engine.design import load_experiment
from sim.engine.runner import run_sweep

SWEEP = [
    "scenarios=[baseline]",
    "factors.kazakhstan.multivector.levels=2",
    "replicates=2",
    "months=3",
    "executor=serial",
    "progress=false",
    "analysis.run=false",
]


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of configs/ that compose, run and sweep read instead of the real one."""
    copy = Path(shutil.copytree(C.CONFIG_DIR, tmp_path / "configs"))
    monkeypatch.setattr(C, "CONFIG_DIR", copy)
    monkeypatch.setattr(D, "CONFIG_DIR", copy, raising=False)
    return copy


def add_scenario(configs: Path, stem: str, text: str) -> None:
    (configs / "scenario" / f"{stem}.yaml").write_text(text)


def files_under(root: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace") for p in root.rglob("*") if p.is_file() and p.stat().st_size
    )


# --- D12: a sweep's name and experiment= stay names -------------------------------------------
@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute_escape", "..", "a/b"])
def test_a_sweep_name_that_is_a_path_is_refused(tmp_path: Path, name: str, capsys) -> None:
    root = tmp_path / "root"
    args = ["experiment=escalation_threshold", *SWEEP, f"name={name}", f"output_root={root}"]
    assert sweep.main(args) == 2
    assert "name" in capsys.readouterr().err
    assert not any(tmp_path.rglob("sweeps"))


@pytest.mark.parametrize("experiment", ["/abs/path/exp", "../experiments/escalation_threshold"])
def test_experiment_must_be_a_name_not_a_path(experiment: str) -> None:
    with pytest.raises(ConfigError, match="not a path"):
        load_experiment(experiment, SWEEP)


def test_a_shared_experiment_file_cannot_name_its_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    (experiments / "shared.yaml").write_text("name: ../../../escaped\nreplicates: 2\nmonths: 3\n")
    monkeypatch.setattr(search_path, "EXPERIMENTS_DIR", experiments)
    with pytest.raises(ConfigError, match="name"):
        load_experiment("shared", [f"output_root={tmp_path / 'root'}"])


def test_a_sweep_is_written_inside_its_output_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    directory = run_sweep(load_experiment("escalation_threshold", [*SWEEP, f"output_root={root}"]))
    assert directory.resolve().is_relative_to((root / "sweeps").resolve())


# --- D13: run's scenario.name ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["..", ".", "../x"])
def test_run_refuses_a_scenario_name_of_dots(tmp_path: Path, name: str, capsys) -> None:
    args = ["scenario=baseline", f"scenario.name={name}", "run.replicates=2", "run.months=2"]
    assert run_command.main([*args, "run.figures=false", f"run.output_root={tmp_path}"]) == 2
    assert "scenario.name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["baseline", "a.b-c_1", "v2.0"])
def test_plain_names_are_allowed(name: str) -> None:
    from sim.config.paths import check_name

    assert check_name("name", name) == name


# --- D14: no writing through symlinks in a results directory ---------------------------------
@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = compose(["scenario=baseline", "run.replicates=20", "run.months=12", "run.figures=false"])
    cfg.run.output_root = str(tmp_path_factory.mktemp("runs"))
    return run_command.run_scenario(cfg, quiet=True)


def test_plot_refuses_a_figures_folder_that_links_elsewhere(
    small_run: Path, tmp_path: Path, capsys
) -> None:
    directory = Path(shutil.copytree(small_run, tmp_path / "run"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "rung_shares.png").write_text("precious")
    (directory / "figures").symlink_to(outside)
    assert plot.main([str(directory)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert [p.name for p in outside.iterdir()] == ["rung_shares.png"]
    assert (outside / "rung_shares.png").read_text() == "precious"


def test_plot_and_compare_refuse_a_run_whose_config_was_edited(
    small_run: Path, tmp_path: Path, capsys
) -> None:
    directory = Path(shutil.copytree(small_run, tmp_path / "run"))
    config = directory / "config.yaml"
    config.write_text(config.read_text().replace("months: 12", "months: 120"))
    assert plot.main([str(directory)]) == 2
    assert "edited" in capsys.readouterr().err
    assert not (directory / "report.html").exists()
    from sim.commands import compare

    assert compare.main([str(small_run), str(directory), f"output={tmp_path / 'c'}"]) == 2
    assert "edited" in capsys.readouterr().err


def test_analyze_and_discover_refuse_folders_that_link_elsewhere(tmp_path: Path, capsys) -> None:
    from sim.commands import discover

    directory = run_sweep(
        load_experiment("escalation_threshold", [*SWEEP, f"output_root={tmp_path}"])
    )
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "probabilities.csv").write_text("precious")
    (directory / "analysis").symlink_to(outside)
    assert analyze.main([str(directory)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    (directory / "discovery").mkdir()
    (directory / "discovery" / "rung2_month3_points").symlink_to(outside)
    assert discover.main([str(directory), "rung=2", "month=3"]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert (outside / "probabilities.csv").read_text() == "precious"
    assert len(list(outside.iterdir())) == 1


# --- D6: a scenario's name must equal its file name ---------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "# @package _global_\nscenario:\n  name: baseline\nmodel:\n  war: {outcome: favorable}\n",
        "# @package _global_\nscenario:\n  name: other_name\n",
        "",
    ],
    ids=["copy-named-baseline", "other-name", "empty-file"],
)
def test_a_scenario_named_unlike_its_file_is_refused(
    configs: Path, tmp_path: Path, text: str
) -> None:
    add_scenario(configs, "mismatch", text)
    with pytest.raises(run_command.UsageError, match="mismatch"):
        run_command.validate_overrides(["scenario=mismatch"])
    with pytest.raises(ConfigError, match="mismatch"):
        load_experiment(None, ["scenarios=[mismatch]", f"output_root={tmp_path}"])


def test_the_shipped_scenarios_are_named_like_their_files() -> None:
    from sim.config.paths import check_scenario_file

    for path in sorted((C.CONFIG_DIR / "scenario").glob("*.yaml")):
        check_scenario_file(path)


# --- D15: interpolations in user text stay literal ------------------------------------------------
SECRET = "kz-robustness-secret-value"


def test_scenario_text_is_not_resolved_into_results_or_reports(
    configs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KZ_TEST_SECRET", SECRET)
    add_scenario(
        configs,
        "leak",
        "# @package _global_\nscenario:\n  name: leak\n"
        "  description: key ${oc.env:KZ_TEST_SECRET} and ${nope.missing}\n"
        "  sources: ['${oc.env:KZ_TEST_SECRET}']\n",
    )
    cfg = compose(["scenario=leak", "run.replicates=5", "run.months=2", "run.figures=false"])
    assert cfg.scenario.description == "key ${oc.env:KZ_TEST_SECRET} and ${nope.missing}"
    cfg.run.output_root = str(tmp_path / "out")
    directory = run_command.run_scenario(cfg, quiet=True)
    assert plot.main([str(directory)]) == 0
    written = files_under(tmp_path / "out")
    assert SECRET not in written
    assert "oc.env:KZ_TEST_SECRET" in (directory / "config.yaml").read_text()


def test_experiment_text_is_not_resolved_into_the_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KZ_TEST_SECRET", SECRET)
    args = [*SWEEP, "description=${oc.env:KZ_TEST_SECRET}", f"output_root={tmp_path}"]
    directory = run_sweep(load_experiment("escalation_threshold", args))
    assert SECRET not in (directory / "config.yaml").read_text()
    assert plot.main([str(directory)]) == 0
    assert SECRET not in files_under(directory)


@pytest.mark.parametrize("text", ["${a}", "\\${a}", "x\\\\${a}", "$\\frac{1}{$", "plain \\ text"])
def test_escaped_text_reads_back_unchanged(text: str) -> None:
    from omegaconf import OmegaConf

    from sim.config.paths import escape_interpolations

    assert OmegaConf.create({"k": escape_interpolations(text)}).k == text
