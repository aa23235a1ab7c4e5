"""No silent wrong results: what `run` refuses a sweep refuses, and no subset, edit or option
slips into the analysis unnoticed (robustness review D1-D4, D6, D8-D11)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.sweep_analysis import analyze_sweep, newest_analysis
from sim.commands import analyze, discover, plot, sweep
from sim.config import ConfigError
from sim.engine.design import load_experiment
from sim.engine.runner import run_sweep

TINY = [
    "scenarios=[baseline]",
    "factors.kazakhstan.multivector.levels=2",
    "replicates=4",
    "months=12",
    "chunk_size=4",
    "executor=serial",
    "progress=false",
]  # 2 design points x 4 runs, one chunk per point


def tiny_sweep(root: Path, *extra: str) -> Path:
    cfg = load_experiment("escalation_threshold", [*TINY, f"output_root={root}", *extra])
    return run_sweep(cfg)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete, analysed tiny sweep; tests copy it before changing anything."""
    directory = tiny_sweep(tmp_path_factory.mktemp("sweep"))
    analyze_sweep(directory)
    return directory


def copy_of(directory: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(directory, tmp_path / "copy"))


# --- D1: every design point passes the checks `run` applies ---------------------------------
def test_a_sweep_refuses_points_whose_export_shares_sum_above_one(tmp_path: Path, capsys) -> None:
    overrides = [
        *TINY,
        "factors.kazakhstan.initial_cpc_share={range: [0.5, 0.95], levels: 3}",
        "factors.kazakhstan.initial_trans_caspian_share={values: [0.02, 0.04]}",
        f"output_root={tmp_path}",
    ]
    assert sweep.main(["experiment=escalation_threshold", *overrides]) == 2
    message = capsys.readouterr().err
    assert "design point" in message and "initial_cpc_share" in message
    assert "sum above 1" in message and "Traceback" not in message
    assert not (tmp_path / "sweeps").exists()  # refused before anything was written


def test_points_inside_the_allowed_shares_still_run(tmp_path: Path) -> None:
    cfg = load_experiment(
        "escalation_threshold",
        [*TINY, "factors.kazakhstan.initial_cpc_share={range: [0.5, 0.7], levels: 2}"],
    )
    from sim.engine.plan import plan

    assert len(plan(cfg).design) == 4


# --- D2: a complete sweep with a missing part is refused, not analysed on a subset ------------
def test_a_missing_summary_part_is_named_by_analyze_plot_and_discover(
    analysed: Path, tmp_path: Path, capsys
) -> None:
    directory = copy_of(analysed, tmp_path)
    (directory / "parts" / "summary" / "part-000001.parquet").unlink()
    assert analyze.main([str(directory)]) == 2
    assert "part-000001.parquet" in capsys.readouterr().err
    assert plot.main([str(directory)]) == 2
    assert "part-000001.parquet" in capsys.readouterr().err
    pytest.importorskip("ema_workbench")
    assert discover.main([str(directory), "rung=2", "month=12"]) == 2
    assert "resume=" in capsys.readouterr().err


def test_resume_rebuilds_a_missing_part(analysed: Path, tmp_path: Path) -> None:
    directory = copy_of(analysed, tmp_path)
    (directory / "parts" / "summary" / "part-000001.parquet").unlink()
    cfg = load_experiment("escalation_threshold", [*TINY, f"resume={directory}"])
    run_sweep(cfg)
    assert len(analyze_sweep(directory)["probabilities"]["runs"].unique()) == 1


def test_parts_beyond_the_plan_are_not_read(analysed: Path, tmp_path: Path) -> None:
    directory = copy_of(analysed, tmp_path)
    extra = directory / "parts" / "summary" / "part-000009.parquet"
    shutil.copy(directory / "parts" / "summary" / "part-000000.parquet", extra)
    runs = analyze_sweep(directory)["probabilities"]["runs"]
    assert set(runs) == {4}


# --- D4: an edited config.yaml is detected ----------------------------------------------------
def test_an_edited_sweep_config_is_refused_by_resume_analyze_and_plot(
    analysed: Path, tmp_path: Path, capsys
) -> None:
    directory = copy_of(analysed, tmp_path)
    config = directory / "config.yaml"
    config.write_text(config.read_text().replace("months: 12", "months: 120"))
    assert analyze.main([str(directory)]) == 2
    assert "edited" in capsys.readouterr().err
    assert plot.main([str(directory)]) == 2
    assert "edited" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="edited"):
        run_sweep(load_experiment("escalation_threshold", [*TINY, f"resume={directory}"]))


def test_the_manifest_records_the_config_digest(analysed: Path) -> None:
    import hashlib

    manifest = json.loads((analysed / "manifest.json").read_text())
    digest = hashlib.sha256((analysed / "config.yaml").read_bytes()).hexdigest()
    assert manifest["config_sha256"] == digest


# --- D3 and D9: analysis options are checked, recorded and used --------------------------------
@pytest.mark.parametrize(
    "option",
    [
        "levle=0.3",
        "months=[-5]",
        "months=[0]",
        "level=2",
        "level=nan",
        "confidence=0",
        "confidence=1.5",
        "bootstrap=-3",
        "rungs=[]",
        "rungs=[7]",
        "foo",
        "months=[12",
        "months=[abc]",
    ],
)
def test_bad_analysis_options_are_refused_and_leave_the_tables(
    analysed: Path, tmp_path: Path, option: str, capsys
) -> None:
    directory = copy_of(analysed, tmp_path)
    before = {p: p.read_bytes() for p in (directory / "analysis").rglob("*") if p.is_file()}
    assert analyze.main([str(directory), option]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m sim ") and "error: " in err and "Traceback" not in err
    after = {p: p.read_bytes() for p in (directory / "analysis").rglob("*") if p.is_file()}
    assert after == before


def test_plot_labels_figures_with_the_level_the_tables_were_made_with(
    analysed: Path, tmp_path: Path
) -> None:
    from sim.plots import load_sweep

    directory = copy_of(analysed, tmp_path)
    assert analyze.main([str(directory), "level=0.25", "months=[6]"]) == 0
    recorded = json.loads((newest_analysis(directory) / "options.json").read_text())
    assert recorded["level"] == 0.25 and recorded["months"] == [6]
    assert load_sweep(directory).level == 0.25


def test_a_sweep_refuses_bad_analysis_settings_before_running(tmp_path: Path, capsys) -> None:
    args = ["experiment=escalation_threshold", *TINY, f"output_root={tmp_path}"]
    assert sweep.main([*args, "analysis.months=[-1]"]) == 2
    assert "analysis.months" in capsys.readouterr().err
    assert not (tmp_path / "sweeps").exists()


def test_resume_uses_the_analysis_settings_given_now(analysed: Path, tmp_path: Path) -> None:
    directory = copy_of(analysed, tmp_path)
    args = ["experiment=escalation_threshold", *TINY, f"resume={directory}"]
    assert sweep.main([*args, "analysis.level=0.25", "analysis.months=[6]"]) == 0
    probabilities = pd.read_parquet(newest_analysis(directory) / "probabilities.parquet")
    assert set(probabilities["month"]) == {6}
    assert json.loads((newest_analysis(directory) / "options.json").read_text())["level"] == 0.25


# --- D8: Sobol with too few base samples says so -------------------------------------------------
def test_a_tiny_sobol_sweep_warns_that_its_indices_are_noise(tmp_path: Path, capsys) -> None:
    args = [
        "experiment=sensitivity",
        "design.n=1",
        "replicates=1",
        "months=6",
        "executor=serial",
        "progress=false",
        f"output_root={tmp_path}",
    ]
    assert sweep.main(args) == 0
    assert "warning: design.n = 1 Sobol base samples" in capsys.readouterr().out


# --- D10: seeds are bounded as in `run` -----------------------------------------------------------
@pytest.mark.parametrize("seed", ["seed=18446744073709551621", "design.seed=-1"])
def test_seeds_outside_what_run_allows_are_refused(seed: str) -> None:
    with pytest.raises(ConfigError, match="seed"):
        load_experiment("escalation_threshold", [*TINY, "design.kind=lhs", seed])


# --- D11: factor specs that would silently change the design --------------------------------------
@pytest.mark.parametrize(
    "factors",
    [
        "factors={kazakhstan: {multivector: {}}}",
        "factors={war: {end_month: {range: [0, 1], levels: 11}}}",
        "factors={kazakhstan: {multivector: [0.3, 0.3]}}",
    ],
    ids=["empty-spec", "integer-range-repeats", "duplicate-values"],
)
def test_factor_specs_that_drop_or_repeat_points_are_refused(factors: str) -> None:
    with pytest.raises(ConfigError, match="factors"):
        load_experiment(None, ["scenarios=[baseline]", factors])
