"""The composed configuration: scenarios, checks, Hydra settings, and the run command's checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hydra import compose as hydra_compose
from hydra import initialize_config_dir

from sim import config as C
from sim.commands.run import UsageError, validate_overrides
from sim.model.params import ParamError

SCENARIOS = [name for name, _ in C.list_scenarios()]


def test_the_nine_scenarios_are_listed() -> None:
    assert len(SCENARIOS) >= 9 and "baseline" in SCENARIOS and "war_favorable_russia" in SCENARIOS


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_scenario_composes_and_states_its_assumptions_and_sources(name: str) -> None:
    cfg = C.compose([f"scenario={name}"])
    assert cfg.scenario.name == name
    assert len(cfg.scenario.description) > 40
    assert len(cfg.scenario.sources) >= 1
    raw = yaml.safe_load((C.CONFIG_DIR / "scenario" / f"{name}.yaml").read_text())
    for path, value in C.P.flatten(raw.get("model") or {}).items():
        assert C.model_values(cfg)[path] == value  # the scenario's overrides reach the model


def test_defaults_match_issue_3() -> None:
    cfg = C.compose([])
    assert (cfg.run.replicates, cfg.run.months, cfg.run.output_root) == (1000, 120, "results")


@pytest.mark.parametrize(
    ("override", "key", "allowed"),
    [
        ("run.replicates=0", "run.replicates", "an integer in [1, 10000000]"),
        ("run.months=-1", "run.months", "an integer in [1, 600]"),
        ("run.seed=-3", "run.seed", "an integer in [0, "),
        ("model.china.reliability=1.5", "model.china.reliability", "a number in [0, 1]"),
        ("model.war.outcome=won", "model.war.outcome", "one of ongoing"),
    ],
)
def test_check_names_the_key_the_value_and_what_is_allowed(override, key, allowed) -> None:
    with pytest.raises((C.ConfigError, ParamError)) as error:
        C.compose([override])
    message = str(error.value)
    assert message.startswith(f"{key} = ") and override.split("=")[1] in message
    assert allowed in message


def test_allowed_describes_run_and_model_keys() -> None:
    assert C.allowed("run.figures") == "true or false"
    assert C.allowed("run.output_root") == "a string"
    assert C.allowed("model.war.outcome").startswith("one of ")


def test_hydra_settings_keep_the_working_directory_clean() -> None:
    C.register_schema()
    with initialize_config_dir(config_dir=str(C.CONFIG_DIR), version_base="1.3"):
        cfg = hydra_compose("config", return_hydra_config=True)
    assert cfg.hydra.output_subdir is None
    assert cfg.hydra.run.dir == "."
    assert cfg.hydra.job.chdir is False
    assert "handlers" not in cfg.hydra.job_logging  # no log file
    assert Path(cfg.hydra.sweep.dir).parts[0] == cfg.run.output_root


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        (["scenario=baseline,atlantis"], "unknown scenario 'atlantis'"),
        (["run.months=12,24,0"], "run.months = 0"),
        (["run.replicates=range(0,3)"], "run.replicates = 0"),
        (["run.nope=1"], "unknown key 'run.nope'"),
        (["run.replicates=[1"], "cannot read override"),
    ],
)
def test_every_value_of_a_sweep_is_checked_before_hydra_starts(overrides, text) -> None:
    with pytest.raises(UsageError, match=text.replace("[", r"\[").replace("(", r"\(")):
        validate_overrides(overrides)


def test_valid_sweeps_and_hydra_settings_pass() -> None:
    validate_overrides(
        [
            "scenario=baseline,csto_exit",
            "run.replicates=20",
            "model.russia.war_value=1,2",
            "hydra.verbose=true",
        ]
    )
