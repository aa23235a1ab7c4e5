"""End-to-end tests of `python -m sim run` and `python -m sim list`, run as subprocesses.

The subprocesses run in a temporary working directory (the package is found through
PYTHONPATH), so the tests also see whether Hydra leaves anything behind there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import HANG_GUARD
from matplotlib import image

from sim.config import compose, list_scenarios, model_values
from sim.model.escalation import simulate
from sim.model.params import PARAMS_BY_PATH
from sim.model.recording import TRAJECTORY_VARIABLES

REPO = Path(__file__).resolve().parents[1]
SCENARIO = "war_favorable_russia"
REPLICATES, MONTHS = 40, 48
FIGURES = ("rung_cumulative", "rung_shares", "fan_kazakhstan", "fan_partners", "event_timeline")


def sim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m sim <args>` in `cwd` with the repository on the path."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )


def litter(directory: Path) -> list[str]:
    """Files Hydra might leave in a working directory."""
    names = ("outputs", "multirun", ".hydra")
    return [p.name for p in directory.iterdir() if p.name in names or p.suffix == ".log"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    """One small run of the scenario; returns the process and its results directory."""
    cwd = tmp_path_factory.mktemp("cwd")
    done = sim(
        "run",
        f"scenario={SCENARIO}",
        f"run.replicates={REPLICATES}",
        f"run.months={MONTHS}",
        "run.seed=7",
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    runs = list((cwd / "results" / "runs" / SCENARIO).iterdir())
    assert len(runs) == 1, runs
    return done, runs[0]


def test_run_writes_the_directory_contract(run) -> None:
    done, directory = run
    expected = {
        "config.yaml",
        "manifest.json",
        "summary.parquet",
        "trajectories.parquet",
        "events.parquet",
        "episodes.parquet",
        "figures",
        "params.parquet",  # each run's parameters drawn from the shipped posterior
        "variance_split.parquet",  # the spread from the parameters vs the dice
    }
    assert {p.name for p in directory.iterdir()} == expected
    assert not list(directory.parent.glob(".*partial"))
    assert litter(directory.parents[3]) == []
    assert str(directory.relative_to(directory.parents[3])) in done.stdout


def test_summary_has_one_row_per_run_and_nulls_where_never_reached(run) -> None:
    _, directory = run
    schema = pq.read_schema(directory / "summary.parquet")
    types = {name: str(schema.field(name).type) for name in schema.names}
    assert types["run_id"] == "int64" and types["seed"] == "int64"
    assert types["scenario"] in ("string", "large_string")
    assert types["max_rung"] == "int8" and types["pipeline_halts"] == "int32"
    assert types["final_alignment"] == types["final_cpc_share"] == "double"
    summary = pd.read_parquet(directory / "summary.parquet")
    assert len(summary) == REPLICATES
    assert list(summary["run_id"]) == list(range(REPLICATES))
    assert (summary["scenario"] == SCENARIO).all()
    for k in range(1, 6):
        assert types[f"month_rung_{k}"] == "int32"
        never = summary[f"month_rung_{k}"].isna().to_numpy()
        np.testing.assert_array_equal(never, summary["max_rung"].to_numpy() < k)
    # The horizon is short enough that some runs never reach intervention: nulls are exercised.
    assert summary["month_rung_5"].isna().any()
    assert summary["final_cpc_share"].between(0, 1).all()


def test_trajectories_have_one_row_per_run_and_month(run) -> None:
    _, directory = run
    frame = pd.read_parquet(directory / "trajectories.parquet")
    assert len(frame) == REPLICATES * MONTHS
    expected = {"run_id", "month", "date", *(v.name for v in TRAJECTORY_VARIABLES)}
    assert expected <= set(frame.columns)
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert frame.groupby("run_id").size().eq(MONTHS).all()
    assert frame["month"].min() == 0 and frame["month"].max() == MONTHS - 1
    assert frame["date"].min() == pd.Timestamp("2022-03-01")


def test_events_carry_cameo_codes_and_goldstein_weights(run) -> None:
    _, directory = run
    events = pd.read_parquet(directory / "events.parquet")
    assert {
        "run_id",
        "month",
        "date",
        "actor",
        "target",
        "action",
        "rung",
        "cameo",
        "goldstein",
    } <= set(events.columns)
    assert len(events) > 0
    assert events["goldstein"].between(-10, 10).all()
    assert events["month"].between(0, MONTHS - 1).all()
    assert set(events["run_id"]) <= set(range(REPLICATES))
    political = events["action"] != "cpc_disruption"  # storms and repairs have no CAMEO code
    assert events.loc[political, "cameo"].str.fullmatch(r"\d{2,4}").all()
    assert events.loc[~political, "cameo"].isna().all()


def test_figures_are_non_blank_pngs(run) -> None:
    _, directory = run
    for name in FIGURES:
        pixels = image.imread(directory / "figures" / f"{name}.png")
        assert pixels.ndim == 3 and pixels.shape[0] > 200 and pixels.shape[1] > 200, name
        assert pixels[..., :3].var() > 0.001, name


def test_manifest_and_config_record_the_run(run) -> None:
    _, directory = run
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["scenario"] == SCENARIO
    assert (manifest["replicates"], manifest["months"], manifest["seed"]) == (REPLICATES, MONTHS, 7)
    assert manifest["versions"]["numpy"] and manifest["versions"]["python"]
    assert "git_commit" in manifest and manifest["command"][:4] == ["python", "-m", "sim", "run"]
    assert manifest["wall_seconds"] > 0 and manifest["runs_per_second"] > 0
    assert manifest["files"]["trajectories.parquet"] == REPLICATES * MONTHS
    config = yaml.safe_load((directory / "config.yaml").read_text())
    assert config["run"]["replicates"] == REPLICATES
    assert config["model"]["war"]["outcome"] == "favorable"


def test_printed_summary_gives_probabilities_within_the_horizon(run) -> None:
    done, _ = run
    out = done.stdout
    for text in (
        "by month 12",
        "by month 36",
        f"by month {MONTHS}",
        "5+ intervention",
        "disruptions per year",
        "Alignment with Moscow",
        "Results:",
    ):
        assert text in out, text
    assert "by month 120" not in out


def test_a_run_resimulated_alone_by_its_seed_gives_the_same_row(run) -> None:
    _, directory = run
    summary = pd.read_parquet(directory / "summary.parquet")
    drawn = pd.read_parquet(directory / "params.parquet").set_index("run_id")
    calibrated = [c for c in drawn.columns if c in PARAMS_BY_PATH]
    for index in (0, REPLICATES // 2, REPLICATES - 1):
        row = summary.iloc[[index]].drop(columns="scenario").reset_index(drop=True)
        values = model_values(compose([f"scenario={SCENARIO}"]))  # and the run's posterior draw
        values.update(drawn.loc[int(row.at[0, "run_id"]), calibrated].to_dict())
        alone = simulate(
            values,
            seeds=[int(row.at[0, "seed"])],
            months=MONTHS,
            run_ids=[int(row.at[0, "run_id"])],
        ).summary
        assert row.at[0, "particle"] == drawn.at[int(row.at[0, "run_id"]), "particle"]
        pd.testing.assert_frame_equal(  # the model's columns; the file adds who the run is
            alone,
            row[list(alone.columns)],
            check_dtype=False,
            check_categorical=False,
            check_exact=True,
        )


# Each bad input: (arguments, texts the one-line message must contain).
BAD_INPUT = [
    (["scenario=atlantis"], ["atlantis", "baseline", "war_favorable_russia"]),
    (["run.replicatez=5"], ["run.replicatez", "run.replicates"]),
    (["model.russia.war_valeu=3"], ["model.russia.war_valeu", "model.russia.war_value"]),
    (["run.replicates=many"], ["run.replicates", "many", "integer"]),
    (["model.china.reliability=1.5"], ["model.china.reliability", "1.5", "[0, 1]"]),
    (["run.replicates=0"], ["run.replicates", "0", "[1, "]),
    (["run.months=-12"], ["run.months", "-12", "[1, 600]"]),
    (["model.war.outcome=won"], ["model.war.outcome", "won", "favorable"]),
    (["--multirun", "run.months=12,0"], ["run.months", "0", "[1, 600]"]),
    (["--multirun", "model.china.reliability=interval(0,1)"], ["interval", "range("]),
    (["--multirun", "scenario=glob(atl*)"], ["glob(atl*)", "matches no scenario", "baseline"]),
    (["--multirun", "run.months=glob(1*)"], ["run.months=glob", "scenario=glob(war_*)"]),
]
# A few run as real subprocesses (exit code, stderr, no traceback); the rest in-process, to keep
# the suite fast: the checks run before Hydra starts, so in-process they take the same path.
SUBPROCESS_CASES = {0, 3, 4, 8}


def check_failure(code: int, stderr: str, expected: list[str], directory: Path) -> None:
    assert code == 2, stderr
    message = stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    for text in expected:
        assert text in message, (text, message)
    assert list(directory.iterdir()) == []  # no results/, no partial directory, no Hydra files


@pytest.mark.parametrize(
    ("args", "expected"),
    [case for i, case in enumerate(BAD_INPUT) if i in SUBPROCESS_CASES],
    ids=lambda a: " ".join(a),
)
def test_bad_input_fails_cleanly_and_writes_nothing(args, expected, tmp_path: Path) -> None:
    done = sim("run", "run.replicates=3", "run.months=6", *args, cwd=tmp_path)
    check_failure(done.returncode, done.stderr, expected, tmp_path)


@pytest.mark.parametrize(
    ("args", "expected"),
    [case for i, case in enumerate(BAD_INPUT) if i not in SUBPROCESS_CASES],
    ids=lambda a: " ".join(a),
)
def test_bad_input_in_process(args, expected, tmp_path: Path, monkeypatch, capsys) -> None:
    from sim.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["run", "run.replicates=3", "run.months=6", *args])
    check_failure(code, capsys.readouterr().err, expected, tmp_path)


def test_list_shows_every_scenario_with_its_description() -> None:
    done = sim("list", cwd=REPO)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name, description in list_scenarios():
        line = next(x for x in lines if x.strip().startswith(name + " "))
        assert description[:40] in line
    assert any(line.startswith("experiments") for line in lines)


def test_help_lists_the_commands() -> None:
    done = sim("--help", cwd=REPO)
    assert done.returncode == 0 and "run" in done.stdout and "list" in done.stdout


def test_cfg_job_prints_the_composed_config_and_runs_nothing(tmp_path: Path) -> None:
    done = sim("run", "scenario=csto_exit", "run.replicates=7", "--cfg", "job", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    assert config["run"]["replicates"] == 7
    assert config["model"]["kazakhstan"]["csto_exit_month"] == 12
    assert list(tmp_path.iterdir()) == []


def test_multirun_runs_each_job_and_keeps_its_sweep_directory_in_results(tmp_path: Path) -> None:
    done = sim(
        "run",
        "--multirun",
        "scenario=baseline,csto_exit",
        "run.replicates=4",
        "run.months=6",
        "run.figures=false",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    for scenario in ("baseline", "csto_exit"):
        (directory,) = (tmp_path / "results" / "runs" / scenario).iterdir()
        assert len(pd.read_parquet(directory / "summary.parquet")) == 4
    (index,) = (tmp_path / "results" / "multirun").glob("*/jobs.tsv")
    assert len(index.read_text().splitlines()) == 3  # header and two jobs


def test_multirun_glob_expands_over_the_scenarios(tmp_path: Path) -> None:
    done = sim(
        "run", "--multirun", "scenario=glob(war_*)", "run.replicates=2", "run.months=3",
        "run.figures=false", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    wars = sorted(name for name, _ in list_scenarios() if name.startswith("war_"))
    assert sorted(p.name for p in (tmp_path / "results" / "runs").iterdir()) == wars


@pytest.mark.parametrize(
    "command", ["sweep experiment=screening", "policy experiment=partner_commitments"]
)
def test_sweep_and_policy_accept_cfg_job(command, tmp_path: Path, monkeypatch, capsys) -> None:
    from sim.cli import main

    monkeypatch.chdir(tmp_path)
    code = main([*command.split(), "workers=1", "--cfg", "job"])
    assert code == 0, capsys.readouterr().err
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["name"] == command.split("=")[1] and config["workers"] == 1
    assert list(tmp_path.iterdir()) == []
    assert main([*command.split(), "--cfg", "hydra"]) == 2
    assert "only --cfg job" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command", ["sweep experiment=screening", "policy experiment=partner_commitments quick=true"]
)
def test_dask_without_the_cluster_extra_is_one_line(command, tmp_path, monkeypatch, capsys):
    from sim.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    code = main([*command.split(), "executor=dask", f"output_root={tmp_path / 'out'}"])
    message = capsys.readouterr().err.strip()
    assert code == 2 and len(message.splitlines()) == 1, message
    assert "distributed not installed" in message and "[cluster]" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "failure", [RuntimeError("disk full"), KeyboardInterrupt()], ids=["error", "interrupt"]
)
def test_a_run_that_fails_midway_leaves_no_directory(failure, tmp_path: Path, monkeypatch) -> None:
    import sim.plots
    from sim.commands import run as run_command

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(sim.plots, "run_figures", fail)  # fails after the tables are written
    cfg = compose(["run.replicates=3", "run.months=6", f"run.output_root={tmp_path}"])
    with pytest.raises(type(failure)):
        run_command.run_scenario(cfg, quiet=True)
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() or p.name.endswith("partial")]
    assert leftovers == []
    assert not list((tmp_path / "runs" / "baseline").iterdir())
