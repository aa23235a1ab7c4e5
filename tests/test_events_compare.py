"""`python -m sim events compare`: bands, coverage, PIT and CRPS, the output, and the refusals."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import HANG_GUARD

from sim.cli import main as cli_main
from sim.commands import events as command
from sim.eventdata import compare as eventcompare
from sim.eventdata import readers as eventdata

EXAMPLE = eventdata.EXAMPLE_EVENTS
HEADER = "date,source,target,cameo,goldstein"


# --- statistics ------------------------------------------------------------------------------
def test_crps_matches_its_definition() -> None:
    rng = np.random.default_rng(1)
    ensemble = rng.poisson(3, size=(400, 5)).astype(float)
    observed = np.array([0.0, 2.0, 3.0, 7.0, 3.5])
    first = np.abs(ensemble - observed).mean(axis=0)
    spread = np.abs(ensemble[:, None, :] - ensemble[None, :, :]).mean(axis=(0, 1))
    assert eventcompare.crps(ensemble, observed) == pytest.approx(first - spread / 2)
    assert eventcompare.crps(np.full((10, 1), 2.0), np.array([2.0]))[0] == 0.0


def test_pit_interval_and_histogram_of_simple_cases() -> None:
    ensemble = np.array([[0.0], [0.0], [1.0], [2.0]])
    low, high = eventcompare.pit_interval(ensemble, np.array([1.0]))
    assert (low[0], high[0]) == (0.5, 0.75)
    # An observation equal to the whole ensemble spreads evenly; a point PIT fills one bin.
    assert eventcompare.pit_histogram([0.0], [1.0]) == pytest.approx([1, 1, 1, 1, 1])
    assert eventcompare.pit_histogram([0.3], [0.3]) == pytest.approx([0, 5, 0, 0, 0])
    assert eventcompare.pit_histogram([0.5], [0.75]) == pytest.approx([0, 0, 2, 3, 0])


def test_pit_histogram_is_flat_when_calibrated_and_u_shaped_when_too_narrow() -> None:
    rng = np.random.default_rng(7)
    ensemble = rng.poisson(3, size=(2000, 600)).astype(float)
    calibrated = rng.poisson(3, size=600).astype(float)
    flat = eventcompare.pit_histogram(*eventcompare.pit_interval(ensemble, calibrated))
    assert np.abs(flat - 1).max() < 0.3
    # Mean 3 still, but half the months far below it and half far above: the model is too narrow.
    wide = np.where(rng.random(600) < 0.5, rng.poisson(0.5, 600), rng.poisson(7, 600)).astype(float)
    u_shape = eventcompare.pit_histogram(*eventcompare.pit_interval(ensemble, wide))
    assert u_shape[0] > 1.3 and u_shape[-1] > 1.3 and u_shape[2] < 0.8


def aggregates(model_values: np.ndarray, observed_values: np.ndarray) -> tuple:
    """Model and observed aggregate tables of one dyad whose `events` are the values given."""
    runs, months = model_values.shape
    model = pd.DataFrame(
        {
            "run_id": np.repeat(np.arange(runs), months),
            "month": np.tile(np.arange(months), runs),
            "dyad": "Russia-Kazakhstan",
        }
    )
    observed = pd.DataFrame({"month": np.arange(months), "dyad": "Russia-Kazakhstan"})
    observed["date"] = eventdata.month_start(observed["month"])
    for table in (model, observed):
        for measure in eventdata.MEASURES:
            table[measure] = 0
    model["events"] = model_values.ravel()
    observed["events"] = observed_values
    return model, observed


def test_bands_and_coverage_count_months_inside_the_model_range() -> None:
    model_values = np.tile(np.arange(100)[:, None], (1, 4))  # 0..99 in every month
    model, observed = aggregates(model_values, np.array([50, 2, 97, 200]))
    bands = eventcompare.monthly_bands(model, observed, ["Russia-Kazakhstan"])
    events = bands[bands["measure"] == "events"]
    assert list(events["inside_90"]) == [True, False, False, False]
    assert list(events["inside_50"]) == [True, False, False, False]
    assert events["median"].iloc[0] == pytest.approx(49.5)
    assert set(bands["measure"]) == set(eventdata.BASIC_MEASURES)  # no root has events
    table = eventcompare.coverage_table(bands, model)
    row = table.set_index("measure").loc["events"]
    assert row["inside_90"] == 0.25 and row["observed_total"] == 349
    assert row["model_median_total"] == pytest.approx(4 * 49.5)
    assert row["pit_mean"] == pytest.approx(np.mean([0.505, 0.025, 0.975, 1.0]))


# --- the command -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_dir() -> Path:
    """A small baseline run of one year (months March 2022 to February 2023)."""
    root = Path(tempfile.mkdtemp(prefix="sim-events-tests-"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            "scenario=baseline",
            "run.replicates=40",
            "run.months=12",
            "run.figures=false",
            f"run.output_root={root}",
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr
    return next((root / "runs" / "baseline").iterdir())


def listing(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def test_compare_the_example_file_with_a_run(run_dir: Path, tmp_path: Path, capsys) -> None:
    output = tmp_path / "cmp"
    before = listing(run_dir)
    code = command.main(
        ["compare", str(run_dir), str(EXAMPLE), f"output={output}", "dyads=[RUS-KAZ,KAZ-RUS]"]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert listing(run_dir) == before  # written to output=, nothing beside the run
    assert {"coverage.csv", "bands.parquet", "pit.csv", "report.html", "manifest.json"} <= (
        listing(output)
    )
    assert listing(output / "figures") == {
        "events_russia_kazakhstan.png",
        "events_kazakhstan_russia.png",
        "events_pit.png",
    }
    coverage = pd.read_csv(output / "coverage.csv")
    assert set(coverage["dyad"]) == {"Russia-Kazakhstan", "Kazakhstan-Russia"}
    assert coverage["inside_90"].between(0, 1).all() and (coverage["months"] == 8).all()
    halts = coverage.set_index(["dyad", "measure"]).loc[("Russia-Kazakhstan", "root_16")]
    assert halts["observed_total"] == 4
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["kind"] == "events_comparison" and manifest["months"] == list(range(8))
    assert manifest["read"]["kept"] == 23
    assert "23 events kept" in printed and "Russia-Kazakhstan" in printed


def test_default_output_is_beside_the_run_and_is_not_overwritten(
    run_dir: Path, capsys, tmp_path: Path
) -> None:
    assert command.main(["compare", str(run_dir), str(EXAMPLE), "dyads=China-Kazakhstan"]) == 0
    written = run_dir / command.OUTPUT_NAME
    assert (written / "figures" / "events_china_kazakhstan.png").is_file()
    assert command.main(["compare", str(run_dir), str(EXAMPLE)]) == 2
    assert "already exists" in capsys.readouterr().err
    for path in written.iterdir():  # leave the shared run as it was
        if path.is_dir():
            for inner in path.iterdir():
                inner.unlink()
            path.rmdir()
        else:
            path.unlink()
    written.rmdir()


def write_csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


@pytest.mark.parametrize(
    "case, expected",
    [
        ("format", "format='acled' is not allowed"),
        ("not_icews", "is not an ICEWS event file"),
        ("no_dyad_rows", "dyads=China-Turkey has no events"),
        ("bad_dyad", "dyads='Russia-Iran' is not allowed"),
        ("late", "outside the run's months"),
        ("early", "outside the run's months"),
        ("empty", "has no event rows"),
        ("unmapped", "no events between the model's actors"),
        ("not_a_run", "is not a results directory"),
        ("subcommand", "unknown subcommand 'plot'"),
        ("option", "unknown option 'colour'"),
    ],
)
def test_bad_input_gets_one_line_exit_2_and_leaves_nothing(
    run_dir: Path, tmp_path: Path, capsys, case: str, expected: str
) -> None:
    good = str(EXAMPLE)
    files = {
        "late": write_csv(tmp_path / "late.csv", "2023-06-01,Russia,Kazakhstan,163,-8"),
        "early": write_csv(tmp_path / "early.csv", "2021-12-01,Russia,Kazakhstan,163,-8"),
        "empty": write_csv(tmp_path / "empty.csv"),
        "unmapped": write_csv(tmp_path / "u.csv", "2022-04-01,Iran,Iraq,042,1.9"),
    }
    output = tmp_path / "out"
    run = str(run_dir)
    argv = {
        "format": ["compare", run, good, "format=acled"],
        "not_icews": ["compare", run, good, "format=icews"],
        "no_dyad_rows": ["compare", run, good, "dyads=[China-Turkey]"],
        "bad_dyad": ["compare", run, good, "dyads=[Russia-Iran]"],
        "not_a_run": ["compare", str(tmp_path), good],
        "subcommand": ["plot", run, good],
        "option": ["compare", run, good, "colour=red"],
    }.get(case) or ["compare", run, str(files[case])]
    before = listing(run_dir)
    code = cli_main(["events", *argv, f"output={output}"])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not output.exists() and listing(run_dir) == before
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())
