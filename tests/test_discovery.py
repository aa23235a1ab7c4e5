"""Scenario discovery: PRIM finds a known box, handles categories, and the command's contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import HANG_GUARD

from sim.analysis.discovery import (
    choose_step,
    describe_box,
    factor_frame,
    find_boxes,
    restriction_words,
)

ROOT = Path(__file__).resolve().parents[1]


def test_prim_finds_a_known_box_with_a_categorical_factor() -> None:
    # Escalation iff multivector > 0.4 and the war ends favourably: PRIM should say so.
    rng = np.random.default_rng(0)
    n = 4000
    design = pd.DataFrame(
        {
            "design_point": np.arange(n),
            "scenario": "baseline",
            "kazakhstan.multivector": rng.uniform(0, 1, n),
            "war.outcome": rng.choice(["ongoing", "favorable", "frozen"], n),
            "russia.base_resolve": rng.uniform(0.5, 2.0, n),
        }
    )
    y = (design["kazakhstan.multivector"] > 0.4) & (design["war.outcome"] == "favorable")
    boxes = find_boxes(factor_frame(design), y.to_numpy(), density=0.95)
    box = boxes[0]
    stats = box.trajectory.iloc[box.chosen]
    assert stats["density"] >= 0.95 and stats["coverage"] >= 0.8
    limits = box.limits.set_index("factor")
    assert limits.loc["war.outcome", "values"] == "favorable"
    assert limits.loc["kazakhstan.multivector", "low"] == pytest.approx(0.4, abs=0.07)
    assert not limits.loc["russia.base_resolve", "restricted"]
    assert "scenario" not in limits.index  # one scenario: no factor (EMA drops it)
    words = describe_box(box, 1, "escalation")
    assert "Kazakhstan multivector at least 0.3" in words and "war outcome favorable" in words


def test_choose_step_prefers_coverage_at_the_density_asked() -> None:
    trajectory = pd.DataFrame(
        {"step": [0, 1, 2, 3], "coverage": [1.0, 0.9, 0.7, 0.3], "density": [0.3, 0.6, 0.85, 1.0]}
    )
    assert choose_step(trajectory, 0.8) == 2
    assert choose_step(trajectory, 0.5) == 1
    assert choose_step(trajectory.iloc[:2], 0.99) == 1  # none reaches it: the densest


def test_restriction_words() -> None:
    row = {
        "kind": "numeric",
        "label": "Russia base resolve",
        "unit": "",
        "low": 0.5,
        "high": 1.2,
        "full_low": 0.5,
        "full_high": 2.0,
    }
    assert restriction_words(row) == "Russia base resolve at most 1.2"
    row |= {"low": 0.8}
    assert restriction_words(row) == "Russia base resolve from 0.8 to 1.2"
    cat = {"kind": "categorical", "label": "scenario", "values": "a, b"}
    assert restriction_words(cat) == "scenario one of a, b"


@pytest.fixture(scope="module")
def small_grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Drift pace x war outcome (categorical), 8 replicates, 60 months."""
    from sim.engine.design import load_experiment
    from sim.engine.runner import run_sweep

    out = tmp_path_factory.mktemp("grid")
    cfg = load_experiment(
        "escalation_threshold",
        [
            "scenarios=[baseline]",
            "factors.kazakhstan.multivector.levels=5",
            "factors.war.outcome=[ongoing,favorable,unfavorable]",
            "replicates=8",
            "months=60",
            "calibration=none",  # the hand-set values, where the grid has cases of interest
            "executor=serial",
            "progress=false",
            f"output_root={out}",
        ],
    )
    return run_sweep(cfg)


def test_discover_command_writes_tables_words_and_figures(small_grid: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "discover", str(small_grid), "rung=3", "month=60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr
    assert "coverage" in done.stdout and "density" in done.stdout
    out = small_grid / "discovery" / "rung3_month60_points"
    for name in ("trajectory.parquet", "limits.csv", "boxes.txt", "tradeoff.png"):
        assert (out / name).exists(), name
    limits = pd.read_parquet(out / "limits.parquet")
    assert set(limits["kind"]) == {"numeric", "categorical"}
    trajectory = pd.read_parquet(out / "trajectory.parquet")
    assert trajectory["chosen"].sum() == 1 and (trajectory["coverage"] <= 1).all()
    from sim.plots.sensitivity import sensitivity_figures

    assert set(sensitivity_figures(small_grid)) == {
        "discovery_rung3_month60_points_tradeoff",
        "discovery_rung3_month60_points_limits_box1",
    }


def test_discover_per_run_and_bad_options(small_grid: Path, capsys) -> None:
    from sim.commands.discover import main

    assert main([str(small_grid), "rung=4", "month=60", "unit=runs"]) == 0
    assert "runs reach rung 4" in capsys.readouterr().out
    assert main([str(small_grid), "rung=4"]) == 2
    assert "month= is required" in capsys.readouterr().err
    assert main([str(small_grid), "rung=4", "month=999"]) == 2
    assert "month = 999" in capsys.readouterr().err
    assert main([str(small_grid), "rung=4", "month=60", "tresh=1"]) == 2
    assert "unknown option 'tresh'" in capsys.readouterr().err


def test_discover_without_ema_workbench_says_how_to_install(
    small_grid: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    for name in [m for m in sys.modules if m.startswith("ema_workbench")] + ["ema_workbench"]:
        monkeypatch.setitem(sys.modules, name, None)  # import now raises ImportError
    from sim.commands.discover import main

    assert main([str(small_grid), "rung=3", "month=60"]) == 2
    assert "pip install" in capsys.readouterr().err
