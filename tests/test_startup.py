"""Start-up: scenarios compose without Hydra to the same config; the sweep parent stays light."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HANG_GUARD
from omegaconf import OmegaConf

from sim.config import (
    REPO_ROOT,
    compose,
    compose_scenario,
    list_scenarios,
    model_values,
    scenario_model_values,
)

SCENARIOS = [name for name, _ in list_scenarios()]


#: Fixed values as an experiment's `model:` node gives them, each needing the schema's
#: conversion: numbers as text, an integer for a float, null where allowed, a choice.
FIXED = {
    "war.end_month": "40",
    "war.outcome": "favorable",
    "russia.war_value": 2,
    "kazakhstan.multivector": "0.25",
    "war.ongoing_through": None,
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_compose_scenario_equals_hydra_compose(name: str) -> None:
    """Composing without Hydra, and the shortcut a sweep takes to the flat values, give every
    scenario's config as Hydra composes it: the same keys in the same order, the same values
    of the same types."""
    for fixed in (FIXED, {}):
        overrides = [f"model.{k}={'null' if v is None else v}" for k, v in fixed.items()]
        hydra = compose([f"scenario={name}", *overrides])
        assert OmegaConf.to_container(compose_scenario(name, fixed)) == OmegaConf.to_container(
            hydra
        )
        fast, composed = scenario_model_values(name, fixed), model_values(hydra)
        assert list(fast.items()) == list(composed.items())
        assert [type(v) for v in fast.values()] == [type(v) for v in composed.values()]


def test_scenario_model_values_refuse_as_composing_does(tmp_path, monkeypatch) -> None:
    """Values the shortcut does not convert itself go through composing, errors and all."""
    from sim.config import SEARCH_PATH_ENV

    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "odd.yaml").write_text(
        "# @package _global_\nscenario:\n  name: odd\nmodel:\n  war:\n    end_month: 2.5\n"
    )
    monkeypatch.setenv(SEARCH_PATH_ENV, str(tmp_path))
    cases = [
        ("odd", {}),  # a float for an integer, in the file
        ("baseline", {"war.end_month": True}),  # a flag for an integer
        ("baseline", {"war.outcome": "sideways"}),  # not one of the choices
        ("baseline", {"war.p_favorable": "${oc.env:HOME}"}),  # an interpolation
    ]
    for name, fixed in cases:
        with pytest.raises(Exception) as composing:
            model_values(compose_scenario(name, fixed))
        with pytest.raises(type(composing.value)) as shortcut:
            scenario_model_values(name, fixed)
        assert str(shortcut.value) == str(composing.value)


def test_the_sweep_parent_imports_neither_mesa_nor_hydra_nor_scipy(tmp_path) -> None:
    """The parent of a process-pool sweep plans, writes and merges; workers run the model.
    Analysing a grid sweep then (`sim sweep`, analysis included) never imports scipy.stats
    (about a CPU second, which its background import took from the workers): its Kaplan-Meier
    curves are computed as scipy.stats.ecdf computes them (tests/test_statistics.py)."""
    code = f"""
import sys
from sim.commands.sweep import main
from sim.engine.design import load_experiment
from sim.engine.runner import run_sweep
settings = ["months=24", "workers=2", "progress=false", "output_root={tmp_path}"]
run_sweep(load_experiment("scenario_comparison", ["replicates=2", "analysis.run=false", *settings]))
print(sorted(m for m in ("mesa", "hydra", "scipy") if m in sys.modules))
assert main(["experiment=scenario_comparison", "replicates=30", *settings]) == 0
print("scipy.stats" in sys.modules, "scipy.special" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.strip().splitlines()
    assert printed[0] == "[]"
    assert printed[-1] == "False True"
    assert len(list(tmp_path.glob("sweeps/*/*/analysis/*/time_to_escalation.parquet"))) == 1


def test_a_pool_worker_imports_no_configuration_library() -> None:
    """What a sweep's forkserver imports before its first chunk can start (the model, pandas,
    the chunk code) leaves out OmegaConf and Hydra: 0.1 CPU s more on that critical path."""
    from sim.engine.chunks import WORKER_MODULES
    from sim.engine.workers import SWEEP_WORKER_MODULES

    modules = sorted({*WORKER_MODULES, *SWEEP_WORKER_MODULES})
    code = f"""
import importlib, sys
for name in {modules!r}:
    importlib.import_module(name)
config = ("omegaconf", "hydra", "sim.config", "sim.engine.plan")
print(sorted(m for m in config if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=HANG_GUARD,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


_PROBE = """
import os


class _OnTeardown:  # freed when the interpreter tears the module down, not by os._exit
    def __init__(self) -> None:  # what __del__ needs, held: module globals go first
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        self.fd, self.write = os.open(os.environ["TEARDOWN_MARKER"], flags), os.write

    def __del__(self) -> None:
        self.write(self.fd, b"torn down")


_probe = _OnTeardown()
"""

_POOL = """
import sys
from sim.engine import executors
if sys.argv[1] == "without":
    executors.SERVER_EXIT = "os"  # the control: a forkserver that tears down as usual
with executors.ProcessExecutor(2, preload=["teardown_probe"]) as pool:
    assert sorted(pool.map_unordered(abs, [-1, -2])) == [1, 2]
"""


@pytest.mark.parametrize("server_exit", ["with", "without"])
def test_the_forkserver_ends_without_tearing_down_its_modules(
    tmp_path: Path, server_exit: str
) -> None:
    """A pool's forkserver holds the command's output open until it has ended; it ends at once
    with the command instead of freeing every preloaded module first (the control, without
    sim.engine.server_exit, shows the probe sees a teardown)."""
    (tmp_path / "teardown_probe.py").write_text(_PROBE)
    marker = tmp_path / "teardown.txt"
    done = subprocess.run(  # returns once every holder of the pipes, the server too, has ended
        [sys.executable, "-c", _POOL, server_exit],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "TEARDOWN_MARKER": str(marker), "PYTHONPATH": str(tmp_path)},
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == ("torn down" if server_exit == "without" else "")


def test_server_exit_does_nothing_outside_a_forkserver() -> None:
    from sim.engine import server_exit

    assert server_exit.ENDS_WITHOUT_TEARDOWN is False


def test_config_yaml_is_omegaconfs_text() -> None:
    """config.yaml is dumped without building a DictConfig, by libyaml's emitter where it
    writes the same as PyYAML's; the text must not change."""
    from sim.config.paths import escape_interpolations
    from sim.engine.config_file import _plain_text, config_yaml
    from sim.engine.design import load_experiment
    from sim.engine.plan import plan, resolved_data
    from sim.engine.study_directory import stored_config
    from sim.studies.policy.spec import load as load_policy

    tricky = {
        "text": ["${oc.env:HOME}", "a \\${b}", "null", "1e3", "true", "0x10", "Āstana", ""],
        "numbers": {"int": 7, "float": 0.1, "tiny": 1e-300, "none": None, "flag": False},
        "empty": {},
        "styles": [" lead", "trail ", "a: b", "#c", "- d", "'q'", '"d"', "~", "2022-10-28"],
        "long": " ".join(["Kazakhstan's “multi-vector” policy — a 40-word line:"] * 12),
    }
    # Text libyaml would write otherwise: PyYAML's emitter writes these.
    escaped = {
        "lines": "first line\nsecond line, long enough to be folded " * 4,
        "characters": ["tab\there", "\x85 \u2028 \ufeff", "emoji \U0001f642", "nul \x00"],
    }
    sweep = plan(load_experiment("scenario_comparison", ["replicates=1", "months=1"]))
    run = escape_interpolations(
        OmegaConf.to_container(compose(["scenario=baseline"]), resolve=True)
    )
    policy = escape_interpolations(
        OmegaConf.to_container(stored_config(load_policy("partner_commitments")), resolve=True)
    )
    plain = [escape_interpolations(tricky), resolved_data(sweep), run, policy]
    assert all(_plain_text(data) for data in plain)  # these take libyaml's emitter
    assert not _plain_text(escaped["lines"])
    assert not any(_plain_text(text) for text in escaped["characters"])
    for data in [*plain, escaped, {**tricky, **escaped}]:
        assert config_yaml(data) == OmegaConf.to_yaml(OmegaConf.create(data))


def test_run_help_is_hydras_help_without_hydra() -> None:
    """`run --help` alone is answered without Hydra; with an override Hydra answers it."""
    fast, hydra = (
        subprocess.run(
            [sys.executable, "-m", "sim", "run", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
        for args in (["--help"], ["--help", "scenario=baseline"])
    )
    assert fast.returncode == hydra.returncode == 0, fast.stderr + hydra.stderr
    assert "Scenarios (python -m sim list describes each)" in fast.stdout
    assert fast.stdout == hydra.stdout


HEAVY = ("mesa", "pandas", "pyarrow", "hydra", "scipy", "matplotlib")


def _imported_after(code: str) -> list[str]:
    """The HEAVY packages a fresh interpreter has imported after running `code`."""
    check = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", check],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def test_help_of_every_command_imports_nothing_heavy() -> None:
    """--help answers at once: none of Mesa, pandas, pyarrow, Hydra, scipy or matplotlib."""
    code = """
import contextlib, io
from sim.cli import COMMANDS, main
for command in COMMANDS:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main([command, "--help"])
"""
    assert _imported_after(code) == []


def test_commands_that_read_results_do_not_import_mesa() -> None:
    """Analysing, drawing and comparing results never steps the model, so never imports Mesa."""
    code = """
import sim.commands.analyze, sim.commands.plot, sim.commands.compare, sim.commands.events
import sim.commands.discover, sim.commands.list, sim.commands.sweep
import sim.analysis.probabilities, sim.analysis.run_report, sim.analysis.html_report
import sim.plots, sim.eventdata.compare, sim.engine.runner
"""
    assert "mesa" not in _imported_after(code)


def test_a_sweep_starts_its_pool_before_importing_anything_heavy() -> None:
    """`python -m sim sweep` starts the pool's forkserver (which imports the model) before the
    command imports numpy or OmegaConf; nothing starts where no pool would run or the
    experiment cannot be read."""
    code = """
from multiprocessing import forkserver
from sim.commands.sweep_pool import start_pool_early
for argv in (["experiment=scenario_comparison", "workers=1"],
             ["experiment=scenario_comparison", "executor=serial", "workers=2"],
             ["experiment=no_such_experiment", "workers=2"],
             ["experiment=scenario_comparison", "workers=2", "--cfg", "job"]):
    start_pool_early(argv)
    assert forkserver._forkserver._forkserver_pid is None, argv
start_pool_early(["experiment=scenario_comparison", "workers=2"])
assert forkserver._forkserver._forkserver_pid is not None
import sys
assert "numpy" not in sys.modules and "omegaconf" not in sys.modules
"""
    assert _imported_after(code) == []


def test_python_m_sim_ends_without_teardown_but_with_its_output_and_exit_code() -> None:
    """`python -m sim` ends the process after the exit handlers (sim/__main__.py): the text
    buffered for a pipe still arrives whole, and the exit code is the command's."""

    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}

    def ran(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
            env=buffered,  # stdout to a pipe then holds its text until flushed
        )

    listing = ran("-m", "sim", "list")
    in_process = ran("-c", "import sys; from sim.cli import main; sys.exit(main(['list']))")
    assert listing.returncode == in_process.returncode == 0
    assert listing.stdout == in_process.stdout and len(listing.stdout.splitlines()) > 20
    unknown = ran("-m", "sim", "sweep", "experiment=no_such_experiment")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert len(unknown.stderr.splitlines()) == 1 and "no_such_experiment" in unknown.stderr
    assert ran("-m", "sim").returncode == 2
