"""Start-up: scenarios compose without Hydra to the same config; the sweep parent stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from sim.config import REPO_ROOT, compose, compose_scenario, list_scenarios

SCENARIOS = [name for name, _ in list_scenarios()]


@pytest.mark.parametrize("name", SCENARIOS)
def test_compose_scenario_equals_hydra_compose(name: str) -> None:
    fixed = {"war.end_month": 30, "war.outcome": "favorable"}
    hydra = compose([f"scenario={name}", "model.war.end_month=30", "model.war.outcome=favorable"])
    assert OmegaConf.to_container(compose_scenario(name, fixed)) == OmegaConf.to_container(hydra)
    assert OmegaConf.to_container(compose_scenario(name)) == OmegaConf.to_container(
        compose([f"scenario={name}"])
    )


def test_the_sweep_parent_imports_neither_mesa_nor_hydra_nor_scipy(tmp_path) -> None:
    """The parent of a process-pool sweep plans, writes and merges; workers run the model."""
    code = f"""
import sys
from sim.design import load_experiment
from sim.runner import run_sweep
cfg = load_experiment("scenario_comparison", ["replicates=2", "months=2", "workers=2",
    "progress=false", "analysis.run=false", "output_root={tmp_path}"])
run_sweep(cfg)
print(sorted(m for m in ("mesa", "hydra", "scipy") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
