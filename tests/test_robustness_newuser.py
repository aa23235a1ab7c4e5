"""Problems a new user met (new-user walkthrough): terminal output wider than 100 characters,
the benchmark's memory baseline, the progress of `run`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def test_validate_prints_lines_within_100_characters() -> None:
    from sim.commands.validate import format_terminal

    table = pd.DataFrame(
        {
            "id": ["D1a", "T2"],
            "verdict": ["pass", "undecided"],
            "value": [0.1234, 12.5],
            "lower": [0.1, 10.0],
            "upper": [0.15, 15.0],
            "measure": ["P(rung >= 3 by month 36) " * 10, "months to rung 4"],
        }
    )
    lines = format_terminal(table).splitlines()
    assert max(map(len, lines)) <= 100
    assert lines[1].startswith("D1a") and "pass" in lines[1] and lines[1].endswith("...")


def test_analyze_prints_a_many_factor_table_within_100_characters(capsys) -> None:
    from sim.commands.analyze import print_tables

    factors = {f"group{i}.a_long_parameter_name_{i}": [0.5, 0.25] for i in range(30)}
    probabilities = pd.DataFrame(
        {"design_point": [0, 1], "scenario": ["war_unfavorable_russia"] * 2, **factors,
         "rung": [3, 3], "month": [120, 120], "runs": [500, 500], "probability": [0.5, 0.25],
         "lower": [0.45, 0.2], "upper": [0.55, 0.3]}
    )  # fmt: skip
    print_tables({"probabilities": probabilities}, Path("/some/sweep"))
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100
    assert "group0.a_long_parameter_name_0" in out and "group29" not in out


def test_the_benchmark_baseline_imports_the_model() -> None:
    """`import sim` loads nothing (lazy); a baseline of it made every "above base" ~160 MiB high."""
    script = (
        "import sys; sys.path.insert(0, 'benchmarks'); import bench_model as b; "
        "b.worker({'kind': 'baseline', 'label': 'import only', 'runs': 0}, 12, 0.0); "
        "print('sim.model.escalation' in sys.modules, 'numpy' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["True", "True"]


def test_run_reports_progress_per_chunk_and_the_same_results(tmp_path) -> None:
    import numpy as np

    from sim.config import compose, model_values
    from sim.engine.streaming import simulate_to_parquet
    from sim.model.escalation import simulate

    values = model_values(compose(["scenario=baseline"]))
    seeds = np.arange(20)
    once = simulate(values, seeds=seeds, months=24, run_ids=np.arange(20))
    done: list[int] = []
    streamed = simulate_to_parquet(
        values, seeds, 24, tmp_path, "baseline", trajectories=True, events=False,
        chunk_size=7, progress=done.append,
    )  # fmt: skip
    assert done == [7, 7, 6]
    pd.testing.assert_frame_equal(
        once.summary, streamed.summary[list(once.summary.columns)], check_dtype=False
    )


def test_a_design_levels_override_that_does_nothing_is_warned_about(capsys) -> None:
    from sim.commands.sweep import warn_inert_levels
    from sim.engine.design import load_experiment

    cfg = load_experiment("pledge_deterrence", ["design.levels=3"])
    warn_inert_levels(cfg, ["design.levels=3"])
    err = capsys.readouterr().err
    assert "design.levels = 3 has no effect" in err and "factors.turkey.reliability.levels" in err
    cfg = load_experiment("escalation_threshold", ["design.levels=3"])
    warn_inert_levels(cfg, [])
    assert capsys.readouterr().err == ""


def test_discover_says_when_no_step_reaches_the_density_target() -> None:
    import types

    from sim.commands.discover import _density_note

    trajectory = pd.DataFrame({"density": [0.3, 0.5, 0.698]})
    box = types.SimpleNamespace(trajectory=trajectory, chosen=2)
    assert "no step reaches the density target 80%" in _density_note(box, {})
    assert _density_note(box, {"density": 0.6}) == ""
    assert _density_note(box, {"step": 2}) == ""


def test_a_rare_outcome_is_not_printed_as_zero() -> None:
    from sim.analysis.run_report import probability_cell

    assert probability_cell(0.126, 0.12, 0.133) == "0.126 [0.120, 0.133]"
    assert probability_cell(0.0, 0.0, 3.8e-5) == "0 [0, 4e-05]"
    assert probability_cell(2e-5, 4e-6, 1.1e-4) == "2e-05 [4e-06, 1e-04]"
