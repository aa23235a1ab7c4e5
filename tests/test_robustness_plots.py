"""Documented workflows draw without a traceback: `plot` on a reduced run of every shipped
experiment and scenario, `compare` corner cases, `discover` options (review D7, D21, D23, and
the nine-scenario colours)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.commands import compare, discover, plot
from sim.commands import run as run_command
from sim.config import EXPERIMENTS_DIR, compose, list_scenarios
from sim.engine.design import _factor_specs, load_experiment
from sim.engine.runner import run_sweep

REDUCED = [
    "replicates=2",
    "months=12",
    "executor=serial",
    "progress=false",
    "analysis.bootstrap=10",
    "analysis.replicate_bootstrap=5",
    "analysis.rungs=[2]",  # one rung and one month: every kind of figure, fewer panels
    "analysis.months=[12]",
]


def reduced_overrides(name: str) -> list[str]:
    """Overrides that shrink a shipped experiment to seconds: 2 levels per range, N = 2,
    one scenario where the experiment names several (its own point is to set them side by
    side only for `all`, kept whole: the nine-scenario plot once failed)."""
    data = yaml.safe_load((EXPERIMENTS_DIR / f"{name}.yaml").read_text()) or {}
    kind = (data.get("design") or {}).get("kind", "grid")
    overrides = list(REDUCED)
    if kind in ("sobol", "morris", "lhs"):
        overrides.append("design.n=2")
    else:
        for path, spec in _factor_specs(data.get("factors") or {}).items():
            if isinstance(spec, dict) and "range" in spec:
                overrides.append(f"factors.{path}.levels=2")
    if len(data.get("scenarios") or []) > 1 and data["scenarios"] != ["all"]:
        overrides.append(f"scenarios=[{data['scenarios'][0]}]")
    return overrides


EXPERIMENTS = sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml"))
SCENARIOS = [name for name, _ in list_scenarios()]


@pytest.mark.parametrize(
    "experiment",
    [
        pytest.param(e, marks=pytest.mark.slow) if e == "pledge_deterrence" else e
        for e in EXPERIMENTS
    ],
)
def test_plot_draws_a_reduced_run_of_every_shipped_experiment(
    experiment: str, tmp_path: Path, capsys
) -> None:
    from sim.analysis.sweep_analysis import analyze_sweep

    cfg = load_experiment(experiment, [*reduced_overrides(experiment), f"output_root={tmp_path}"])
    directory = run_sweep(cfg)
    analyze_sweep(directory)
    assert plot.main([str(directory)]) == 0, capsys.readouterr().err
    assert (directory / "report.html").is_file()
    figures = {p.stem for p in (directory / "figures").glob("*.png")}
    if cfg.design.kind == "grid":  # nine scenarios drew one KM row each, in nine styles
        assert "time_to_rung" in figures
    else:
        assert {"sobol_baseline", "morris_baseline"} & figures


@pytest.fixture(scope="module")
def scenario_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A tiny run of every shipped scenario, without trajectories and events: the summary
    figures are where scenarios differ (tests/test_plot_command.py draws every run figure)."""
    root = tmp_path_factory.mktemp("scenarios")
    runs = []
    for name in SCENARIOS:
        overrides = ["run.trajectories=false", "run.events=false"]
        cfg = compose([f"scenario={name}", "run.replicates=10", "run.months=12", *overrides])
        cfg.run.output_root, cfg.run.figures = str(root), False
        runs.append(run_command.run_scenario(cfg, quiet=True))
    return runs


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=SCENARIOS)
def test_plot_draws_a_reduced_run_of_every_scenario(
    scenario_runs: list[Path], index: int, capsys
) -> None:
    directory = scenario_runs[index]
    assert plot.main([str(directory)]) == 0, capsys.readouterr().err
    assert (directory / "report.html").is_file()


@pytest.mark.slow
def test_compare_every_scenario_with_distinct_lines(
    scenario_runs: list[Path], tmp_path: Path
) -> None:
    output = tmp_path / "comparison"
    assert compare.main([*map(str, scenario_runs), f"output={output}", "rungs=[3]"]) == 0
    assert (output / "figures" / "compare_rung_cumulative.png").is_file()
    from sim.plots.style import series_style

    styles = [series_style(i) for i in range(len(scenario_runs))]
    assert len(set(styles)) == len(styles)


def test_series_styles_differ_for_32_series() -> None:
    from sim.plots.style import series_style

    assert len({series_style(i) for i in range(32)}) == 32


# --- D23: compare of a directory with itself, duplicate names, empty rungs ----------------------
def test_compare_refuses_a_directory_given_twice(scenario_runs: list[Path], capsys) -> None:
    first = str(scenario_runs[0])
    assert compare.main([first, first]) == 2
    assert "given twice" in capsys.readouterr().err


def test_compare_refuses_empty_rungs(scenario_runs: list[Path], capsys) -> None:
    assert compare.main([*map(str, scenario_runs[:2]), "rungs=[]"]) == 2
    assert "rungs" in capsys.readouterr().err


def test_copies_with_the_same_directory_name_get_distinct_labels(tmp_path: Path) -> None:
    first, copy = tmp_path / "a" / "20260101T000000Z", tmp_path / "b" / "20260101T000000Z"
    runs = [dict(scenario="a", directory=first), dict(scenario="a", directory=copy)]
    assert len(set(compare.labelled(runs))) == 2


# --- D7: PRIM options that would report nonsense --------------------------------------------
@pytest.mark.parametrize(
    "option", ["boxes=0", "boxes=-1", "mass_min=2", "mass_min=-1", "density=5", "box=1.7"]
)
def test_discover_refuses_options_that_make_no_sense(option: str, tmp_path: Path, capsys) -> None:
    assert discover.main([str(tmp_path), "rung=3", "month=12", option]) == 2
    key = option.split("=")[0]
    assert f"{key} = " in capsys.readouterr().err
