"""The second adversarial review's defects (shared/reviews/robustness-cases-2.md, D1-D16).

Each test reproduces one defect: a file or an option that could write outside the output root,
leak a secret, or give a silently wrong result must be refused with one line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import config as C
from sim.cli import main

HYDRA_CALLBACK = """# @package _global_
scenario:
  name: cbopen
hydra:
  callbacks:
    pwn:
      _target_: builtins.open
      file: {victim}
      mode: w
model: {{}}
"""

RUN_BLOCK = """# @package _global_
scenario:
  name: moved
run:
  output_root: {elsewhere}
  replicates: 7
model: {{}}
"""


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(C.SEARCH_PATH_ENV, "")  # restored after the test
    folder = tmp_path / "my"
    (folder / "scenario").mkdir(parents=True)
    return folder


def test_d1_scenario_file_hydra_block_is_refused(user_folder, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("important data")
    text = HYDRA_CALLBACK.format(victim=victim)
    (user_folder / "scenario" / "cbopen.yaml").write_text(text)
    root = tmp_path / "out"
    code = main(
        ["--search-path", str(user_folder), "run", "scenario=cbopen", "run.replicates=5",
         "run.months=3", f"run.output_root={root}"]
    )  # fmt: skip
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and "'hydra'" in line and "scenario" in line and "model" in line
    assert victim.read_text() == "important data" and not root.exists()


def test_d2_scenario_file_run_block_is_refused(user_folder, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    (user_folder / "scenario" / "moved.yaml").write_text(RUN_BLOCK.format(elsewhere=elsewhere))
    root = tmp_path / "out"
    code = main(
        ["--search-path", str(user_folder), "run", "scenario=moved", "run.replicates=5",
         "run.months=3", f"run.output_root={root}", "run.figures=false"]
    )  # fmt: skip
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and "'run'" in line
    assert not elsewhere.exists() and not root.exists()


def test_d1_d2_sim_list_flags_such_files(user_folder, tmp_path, capsys):
    scenario = user_folder / "scenario"
    (scenario / "cbopen.yaml").write_text(HYDRA_CALLBACK.format(victim=tmp_path / "v.txt"))
    (scenario / "moved.yaml").write_text(RUN_BLOCK.format(elsewhere=tmp_path / "e"))
    assert main(["--search-path", str(user_folder), "list"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("(cannot be used:") == 2 and "'hydra'" in out and "'run'" in out


def test_d1_d2_composing_a_scenario_for_a_sweep_refuses_other_keys(user_folder, tmp_path):
    (user_folder / "scenario" / "moved.yaml").write_text(RUN_BLOCK.format(elsewhere=tmp_path))
    C.add_user_folder(user_folder)
    with pytest.raises(C.ConfigError, match="'run'"):
        C.compose_scenario("moved")


@pytest.mark.parametrize("name", ["{scratch}/abs_escape", "../../escaped_abl"])
def test_d3_ablate_refuses_a_scenario_name_that_leaves_the_root(name, tmp_path, capsys):
    scratch, root = tmp_path / "scratch", tmp_path / "a" / "b" / "abl"
    code = main(
        ["ablate", "scenario=baseline", f"scenario.name={name.format(scratch=scratch)}",
         f"run.output_root={root}", "run.replicates=5", "run.months=3", "run.figures=false"]
    )  # fmt: skip
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and "scenario.name" in line
    assert not scratch.exists() and not (tmp_path / "a").exists()


RUN_SMALL = ["run.replicates=5", "run.months=3", "run.figures=false"]


def test_d7_an_environment_value_never_reaches_the_manifest(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KZ_CASES2_SECRET", "topsecret-123")
    root = tmp_path / "out"
    args = ["scenario.description=${oc.env:KZ_CASES2_SECRET}", f"run.output_root={root}"]
    assert main(["run", "scenario=baseline", *RUN_SMALL, *args]) == 0
    (manifest,) = root.glob("runs/baseline/*/manifest.json")
    text = manifest.read_text()
    assert "topsecret-123" not in text and "${oc.env:KZ_CASES2_SECRET}" in text


def test_d8_a_multirun_index_cannot_be_written_outside_the_root(tmp_path, capsys, monkeypatch):
    fake_home = tmp_path / "fakehome"
    monkeypatch.setenv("HOME", str(fake_home))
    monkeypatch.chdir(tmp_path)
    code = main(
        ["run", "--multirun", "run.output_root=${oc.env:HOME}", "run.replicates=5,6",
         "run.months=3", "run.figures=false"]
    )  # fmt: skip
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and "run.output_root" in line and "${" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", ["hydra.sweep.dir", "hydra.run.dir"])
def test_d8_hydra_output_settings_are_refused(key, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root, scratch = tmp_path / "out", tmp_path / "scratch"
    code = main(
        ["run", "--multirun", f"{key}={scratch}", f"run.output_root={root}",
         "run.replicates=5,6", "run.months=3", "run.figures=false"]
    )  # fmt: skip
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and key in line
    assert not scratch.exists() and not root.exists()


EVENT_TARGET = """scenario: baseline
months: 8
parameters:
  russia.war_value: {{}}
targets:
  - name: probe
    measure: {measure}
    args: {args}
    observed: 2
    tolerance: 1
    period: 2022
    source: test
"""


@pytest.mark.parametrize(
    ("measure", "args", "key"),
    [
        ("russia_halts", "{first: 50, last: 90}", "first"),
        ("russia_halts", "{first: -5, last: 3}", "first"),
        ("russia_halts", "{first: 7, last: 0}", "last"),
        ("event_count", "{action: security_pledge, actor: Mars, first: 0, last: 5}", "actor"),
        ("event_count", "{action: security_pledge, actor: china, first: 0, last: 5}", "actor"),
        ("event_count", "{action: teleport, first: 0, last: 5}", "action"),
        ("refusal_share", "{demand: nope, first: 0, last: 7}", "demand"),
        ("refusal_share", "{demand: endorse_war, first: 0}", "last"),
    ],
)
def test_d4_event_count_targets_are_checked(measure, args, key, tmp_path, capsys):
    path = tmp_path / "probe.yaml"
    path.write_text(EVENT_TARGET.format(measure=measure, args=args))
    root = tmp_path / "out"
    code = main(["calibrate", f"targets={path}", f"output_root={root}", "quick=true"])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and f"args.{key}" in line and not root.exists()


# --- D5: a posterior is validated on load -----------------------------------------------------
def _posterior(tmp_path: Path, **columns) -> Path:
    """A hand-made calibration directory of this model (valid unless `columns` spoil it)."""
    import json

    import pandas as pd

    from sim.model.version import model_version

    directory = tmp_path / "calibration"
    directory.mkdir()
    values = {"russia.war_value": [1.0, 2.0, 3.0], "weight": [0.2, 0.3, 0.5]} | columns
    names = [n for n in values if n != "weight"]
    manifest = {"kind": "calibration", "model_version": model_version(), "parameters": names,
                "targets": "seed_2022"}  # fmt: skip
    (directory / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame(values).to_parquet(directory / "posterior.parquet")
    return directory


def test_d5_a_valid_posterior_loads(tmp_path):
    from sim.engine.posterior_draws import load

    assert load(_posterior(tmp_path)).weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("columns", "words"),
    [
        ({"russia.war_value": [1.0, 99.0, 2.0]}, ["russia.war_value", "99", "[0, 5]"]),
        ({"russia.war_value": [float("nan")] * 3}, ["russia.war_value", "nan"]),
        ({"weight": [0.0, 0.0, 0.0]}, ["weight", "positive"]),
        ({"weight": [0.5, float("nan"), 0.5]}, ["weight", "nan"]),
        ({"weight": [0.5, -0.1, 0.5]}, ["weight", "-0.1"]),
        ({"mars.gravity": [1.0, 1.0, 1.0]}, ["mars.gravity", "parameter table"]),
    ],
)
def test_d5_a_spoiled_posterior_is_refused_by_run(columns, words, tmp_path, capsys):
    directory, root = _posterior(tmp_path, **columns), tmp_path / "out"
    code = main(["run", f"calibration={directory}", f"run.output_root={root}", *RUN_SMALL])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and all(word in line for word in words), line
    assert not root.exists()


def test_d5_a_corrupt_posterior_file_is_refused(tmp_path, capsys):
    directory, root = _posterior(tmp_path), tmp_path / "out"
    (directory / "posterior.parquet").write_bytes(b"PAR1 not really parquet")
    code = main(["run", f"calibration={directory}", f"run.output_root={root}", *RUN_SMALL])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and "posterior.parquet" in line and not root.exists()


@pytest.mark.parametrize(
    ("key", "value"), [("seed", "-1"), ("seed", str(2**64 - 1)), ("months", "601")]
)
def test_d6_policy_seed_and_months_are_range_checked(key, value, tmp_path, capsys):
    root = tmp_path / "out"
    code = main(
        ["policy", "experiment=partner_commitments", "quick=true", f"{key}={value}",
         f"output_root={root}", "plot=false"]
    )  # fmt: skip
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and f"{key} = {value}" in line and "[" in line and not root.exists()


# --- D9: data files are cross-checked against the manifest ----------------------------------
@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory) -> Path:
    from sim.engine.design import load_experiment
    from sim.engine.runner import run_sweep

    root = tmp_path_factory.mktemp("sweep")
    args = ["replicates=20", "months=12", "chunk_size=40", "workers=1", "executor=serial",
            f"output_root={root}", "progress=false"]  # fmt: skip
    return run_sweep(load_experiment("escalation_threshold", args))


def test_d9_a_part_copied_over_another_is_refused(small_sweep, tmp_path, capsys):
    import shutil

    sweep = tmp_path / "copy"
    shutil.copytree(small_sweep, sweep)
    assert main(["analyze", str(sweep)]) == 0  # the untouched copy is fine
    capsys.readouterr()
    parts = sweep / "parts" / "summary"
    shutil.copyfile(parts / "part-000004.parquet", parts / "part-000005.parquet")
    analysis = sorted((sweep / "analysis").rglob("*"))
    assert main(["analyze", str(sweep)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "part-000005.parquet" in line and "checksum" in line
    assert sorted((sweep / "analysis").rglob("*")) == analysis


def test_d9_a_summary_copied_into_another_run_is_refused(tmp_path, capsys):
    import shutil

    root = tmp_path / "out"
    for scenario in ("frozen_conflict", "war_favorable_russia"):
        args = ["run", f"scenario={scenario}", f"run.output_root={root}", *RUN_SMALL]
        assert main(args) == 0
    (frozen,) = (root / "runs" / "frozen_conflict").iterdir()
    (favorable,) = (root / "runs" / "war_favorable_russia").iterdir()
    shutil.copyfile(frozen / "summary.parquet", favorable / "summary.parquet")
    capsys.readouterr()
    code = main(["compare", str(frozen), str(favorable), f"output={tmp_path / 'cmp'}"])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and "summary.parquet" in line and not (tmp_path / "cmp").exists()


def test_d9_a_resume_refuses_a_replaced_part(small_sweep, tmp_path, capsys):
    import shutil

    sweep = tmp_path / "copy"
    shutil.copytree(small_sweep, sweep)
    parts = sweep / "parts" / "aggregate"
    shutil.copyfile(parts / "part-000001.parquet", parts / "part-000002.parquet")
    from sim.engine.checksums import check_data_files
    from sim.errors import CommandError

    with pytest.raises(CommandError, match="part-000002"):
        check_data_files(sweep)


# --- D10, D12, D15: analysis options and exit codes ------------------------------------------
def _copy(sweep: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(sweep, tmp_path / "copy"))


def test_d10_analyze_refuses_months_beyond_the_horizon(small_sweep, tmp_path, capsys):
    sweep = _copy(small_sweep, tmp_path)
    assert main(["analyze", str(sweep), "months=[24]"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "months" in line and "24" in line and "[1, 12]" in line
    assert not list((sweep / "analysis").glob("*/options.json"))


def test_d10_analyze_records_the_months_it_used(small_sweep, tmp_path, capsys):
    import json

    sweep = _copy(small_sweep, tmp_path)
    from sim.analysis.sweep_analysis import newest_analysis

    assert main(["analyze", str(sweep), "months=[6,12]"]) == 0
    assert json.loads((newest_analysis(sweep) / "options.json").read_text())["months"] == [6, 12]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("runs")
    for scenario in ("baseline", "csto_exit"):
        assert main(["run", f"scenario={scenario}", f"run.output_root={root}", *RUN_SMALL]) == 0
    return sorted(root.glob("runs/*/*"))


@pytest.mark.parametrize(
    ("option", "words"),
    [("months=[0]", ["months", "0"]), ("months=[1000]", ["months", "1000", "[1, 3]"]),
     ("rungs=[3,3]", ["rungs", "distinct"]), ("months=[2,2]", ["months", "distinct"])],
)  # fmt: skip
def test_d10_compare_refuses_months_outside_the_horizon(two_runs, option, words, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", *map(str, two_runs), option, f"output={out}"])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and all(w in line for w in words), line
    assert not out.exists()


@pytest.mark.parametrize("command", ["analyze", "discover"])
def test_d15_allow_incomplete_takes_true_or_false_only(command, small_sweep, tmp_path, capsys):
    sweep = _copy(small_sweep, tmp_path)
    extra = ["rung=2", "month=12"] if command == "discover" else []
    assert main([command, str(sweep), "allow_incomplete=maybe", *extra]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "allow_incomplete" in line and "maybe" in line and "true or false" in line


def test_d12_an_incomplete_sweep_or_a_missing_manifest_is_exit_code_2(
    small_sweep, tmp_path, capsys
):
    import json

    sweep = _copy(small_sweep, tmp_path)
    manifest = json.loads((sweep / "manifest.json").read_text())
    (sweep / "manifest.json").write_text(json.dumps(manifest | {"complete": False}))
    assert main(["analyze", str(sweep)]) == 2
    assert "resume=" in _one_line(capsys.readouterr().err)
    (sweep / "manifest.json").unlink()
    assert main(["analyze", str(sweep)]) == 2
    assert "manifest.json" in _one_line(capsys.readouterr().err)


# --- D14: a calibration or an ablation directory is the wrong kind -------------------------------
@pytest.mark.parametrize("kind", ["calibration", "ablation"])
@pytest.mark.parametrize("command", ["plot", "analyze", "compare", "discover"])
def test_d14_other_kinds_of_directory_are_named(kind, command, tmp_path, capsys):
    import json

    directory = tmp_path / kind
    directory.mkdir()
    (directory / "manifest.json").write_text(json.dumps({"kind": kind}))
    extra = {"compare": [str(directory)], "discover": ["rung=2", "month=12"]}.get(command, [])
    code = main([command, str(directory), *extra])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and f"sim {kind[:5]}" in line and "incomplete" not in line, line


# --- D11: one line, not a traceback -------------------------------------------------------------
def test_d11_compare_and_events_refuse_an_empty_output(two_runs, tmp_path, capsys):
    from sim.eventdata.readers import EXAMPLE_EVENTS

    assert main(["compare", *map(str, two_runs), "output="]) == 2
    assert "output" in _one_line(capsys.readouterr().err)
    assert main(["events", "compare", str(two_runs[0]), str(EXAMPLE_EVENTS), "output="]) == 2
    assert "output" in _one_line(capsys.readouterr().err)
    assert main(["events", "compare", str(two_runs[0]), str(EXAMPLE_EVENTS), "dyads=[]"]) == 2
    assert "dyads" in _one_line(capsys.readouterr().err)


def test_new_user_events_example_prints_the_shipped_file(capsys):
    assert main(["events", "example"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.is_file() and path.name == "events_ru_kz_2022.csv"
    assert main(["events", "compare", "--help"]) == 0
    assert "events example" in capsys.readouterr().out


# --- new user: run.label names a run's directory ----------------------------------------------
def test_run_label_names_the_directory(tmp_path, capsys):
    root = tmp_path / "out"
    assert main(["run", "run.label=war_value_2", f"run.output_root={root}", *RUN_SMALL]) == 0
    (directory,) = (root / "runs" / "baseline").iterdir()
    assert directory.name.endswith("_war_value_2")
    assert (
        main(["run", "run.label=../escape", f"run.output_root={tmp_path / 'no'}", *RUN_SMALL]) == 2
    )
    line = _one_line(capsys.readouterr().err)
    assert "run.label" in line and "'../escape'" in line and not (tmp_path / "no").exists()


# --- README: assumptions counted from the table, one version label ----------------------------
REPO = Path(__file__).resolve().parents[1]


def test_readme_counts_the_assumptions_of_the_parameter_table():
    from sim.model.params import PARAMS

    def kind(param) -> str:
        return param.source.split()[0].split(":")[0]

    assumed = sum(kind(p) == "assumption" for p in PARAMS)
    calibrated = sum(kind(p) == "calibration" for p in PARAMS)
    text = " ".join((REPO / "README.md").read_text().split())
    assert f"Of the {len(PARAMS)} parameters" in text
    assert f"{assumed} have the source `assumption`" in text
    assert f"{calibrated} are set by calibration" in text
    # the dice's interval is not the whole uncertainty: the README says which is which
    assert "95% Wilson interval of the dice" in text
    assert "95% range over the posterior's parameters" in text


def test_one_version_label():
    import tomllib

    import yaml

    import sim

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sim.__version__"}
    assert str(yaml.safe_load((REPO / "CITATION.cff").read_text())["version"]) == sim.__version__
    assert f"`sim.__version__` ({sim.__version__})" in (REPO / "README.md").read_text()


def test_the_source_analysis_is_referenced_in_full():
    for doc in ("README.md", "docs/ODD.md"):
        text = " ".join((REPO / doc).read_text().split())
        assert "The Risks of Kazakhstan's Slow Drift From Russia" in text
        assert "Oct 28, 2022, 21:21 GMT" in text and "names no author, publisher or URL" in text


# --- new user 5: --search-path with a Hydra flag after the overrides --------------------------
@pytest.mark.parametrize("flags", [["--cfg", "job"], ["--multirun"]])
def test_search_path_works_with_a_flag_after_the_overrides(flags, user_folder, tmp_path, capsys):
    (user_folder / "scenario" / "late.yaml").write_text(
        "# @package _global_\nscenario:\n  name: late\n  description: Late\nmodel:\n"
        "  war:\n    end_month: 40\n"
    )
    root = tmp_path / "out"
    args = ["scenario=late", f"run.output_root={root}", *RUN_SMALL, *flags]
    assert main(["--search-path", str(user_folder), "run", *args]) == 0, capsys.readouterr().err
    if flags == ["--cfg", "job"]:
        assert "end_month: 40" in capsys.readouterr().out
    else:
        assert len(list(root.glob("runs/late/*/manifest.json"))) == 1


def test_d11_run_into_a_symlinked_scenario_folder_is_one_line(tmp_path, capsys):
    root, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (root / "runs").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "runs" / "baseline").symlink_to(elsewhere)
    assert main(["run", f"run.output_root={root}", *RUN_SMALL]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "outside the output root" in line and list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("root", ["x" * 300, ""])
def test_d11_d16_an_unusable_output_root_is_one_line(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", f"run.output_root={root}", *RUN_SMALL]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "run.output_root" in line and list(tmp_path.iterdir()) == []


# --- new user 3 and 12: documentation that drifted from the code --------------------------------
def test_readme_names_every_summary_column(two_runs):
    import re

    import pandas as pd

    columns = pd.read_parquet(two_runs[0] / "summary.parquet").columns
    text = (REPO / "README.md").read_text()
    paragraph = text[text.index("**summary.parquet**") :].split("\n\n")[0]
    named = set(re.findall(r"`([a-z_0-9]+)`", paragraph))
    named |= (
        {f"month_rung_{k}" for k in range(1, 6)}
        if "month_rung_1` .. `month_rung_5" in paragraph
        else set()
    )
    assert [c for c in columns if c not in named] == []


def test_benchmark_readme_names_adapters_that_exist():
    import importlib
    import re

    text = (REPO / "benchmarks" / "README.md").read_text()
    for module, name in set(re.findall(r"`([a-z_.]+):([A-Za-z]+)`", text)) - {("module", "Class")}:
        found = importlib.util.find_spec(module) or (REPO / "benchmarks" / f"{module}.py").exists()
        assert found, module
        if (REPO / "benchmarks" / f"{module}.py").exists():
            assert f"class {name}" in (REPO / "benchmarks" / f"{module}.py").read_text(), name
        else:
            assert hasattr(importlib.import_module(module), name), name


def test_the_comparison_caption_matches_the_model(tmp_path):
    import re

    import pandas as pd

    from sim.analysis.probabilities import rung_probabilities

    root = tmp_path / "out"
    shares = {}
    for scenario in ("baseline", "war_favorable_russia"):
        args = [f"scenario={scenario}", "run.replicates=200", f"run.output_root={root}"]
        assert main(["run", *args, "run.figures=false", "run.trajectories=false"]) == 0
        (summary,) = root.glob(f"runs/{scenario}/*/summary.parquet")
        table = rung_probabilities(pd.read_parquet(summary), [120], [4, 5], by=[], level=0.95)
        shares[scenario] = table.set_index("rung")["probability"]
    difference = shares["war_favorable_russia"] - shares["baseline"]
    caption = " ".join((REPO / "docs" / "plots.md").read_text().split())
    posturing = re.search(r"P\(military posturing by 2032\) by about ([0-9]+\.[0-9]+)", caption)
    intervention = re.search(r"P\(intervention by 2032\) by about ([0-9]+\.[0-9]+)", caption)
    assert float(posturing.group(1)) == pytest.approx(difference[4], abs=0.006)
    assert float(intervention.group(1)) == pytest.approx(difference[5], abs=0.006)


def test_the_sweeps_doc_examples_run_as_their_comments_say(capsys):
    """docs/sweeps.md's first example block: no warning, and the point counts it states."""
    import re
    import shlex

    from sim.commands.sweep import warn_inert_levels
    from sim.engine.design import load_experiment
    from sim.engine.plan import plan

    text = (REPO / "docs" / "sweeps.md").read_text()
    block = text.split("```")[1]
    lines = [line for line in block.splitlines() if "sim sweep experiment=" in line]
    assert lines
    for line in lines:
        command, _, comment = line.partition("#")
        overrides = shlex.split(command)[4:]
        cfg = load_experiment(overrides[0].split("=", 1)[1], overrides[1:])
        warn_inert_levels(cfg, overrides[1:])
        assert "warning" not in capsys.readouterr().err, line
        stated = re.search(r"([0-9,]+) points", comment)
        if stated:
            assert len(plan(cfg).design) == int(stated.group(1).replace(",", "")), line


# --- D13: work estimated to take too long needs force=true ----------------------------------------
def test_d13_a_sweep_estimated_beyond_the_time_limit_needs_force(tmp_path, capsys, monkeypatch):
    from sim.engine import resources

    monkeypatch.setattr(resources, "MAX_WALL_SECONDS", 1.0)  # a small sweep then counts as long
    root = tmp_path / "out"
    args = ["sweep", "experiment=escalation_threshold", "replicates=200", f"output_root={root}"]
    assert main([*args, "workers=1"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "force=true" in line and "would take about" in line and not root.exists()
    from sim.engine.design import load_experiment

    cfg = load_experiment("escalation_threshold", ["replicates=200", "workers=1", "force=true"])
    resources.check_sweep_settings(cfg)  # confirmed: allowed


def test_d13_policy_refuses_a_huge_ensemble_before_making_its_directory(tmp_path, capsys):
    root = tmp_path / "out"
    code = main(
        ["policy", "experiment=partner_commitments", "quick=true", "search.runs=100000000",
         f"output_root={root}", "plot=false"]
    )  # fmt: skip
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and "search.runs" in line and not root.exists()


# --- D16: the minor ones -------------------------------------------------------------------------
def test_d16_sweep_type_errors_name_the_key_and_scenarios_all_works(tmp_path, capsys):
    root = tmp_path / "out"
    assert (
        main(["sweep", "experiment=escalation_threshold", "replicates=abc", f"output_root={root}"])
        == 2
    )
    line = _one_line(capsys.readouterr().err)
    assert "replicates = 'abc'" in line and not root.exists()
    from sim.engine.design import load_experiment

    assert len(load_experiment("escalation_threshold", ["scenarios=all"]).scenarios) > 1


def test_d16_an_empty_experiment_file_is_refused(user_folder, tmp_path, capsys):
    (user_folder / "experiments").mkdir()
    (user_folder / "experiments" / "empty.yaml").write_text("")
    root = tmp_path / "out"
    args = ["--search-path", str(user_folder), "sweep", "experiment=empty", f"output_root={root}"]
    assert main(args) == 2
    assert "empty" in _one_line(capsys.readouterr().err) and not root.exists()


def test_d16_a_targets_file_named_dotdot_is_refused(tmp_path, capsys):
    path = tmp_path / "..yaml"
    path.write_text(EVENT_TARGET.format(measure="russia_halts", args="{first: 0, last: 7}"))
    root = tmp_path / "out"
    assert main(["calibrate", f"targets={path}", f"output_root={root}", "quick=true"]) == 2
    assert "targets" in _one_line(capsys.readouterr().err) and not root.exists()


def test_d16_an_output_root_on_a_virtual_filesystem_is_one_line(tmp_path, capsys):
    import os

    if not hasattr(os, "statvfs") or os.statvfs("/proc").f_blocks != 0:
        pytest.skip("no /proc filesystem without storage on this system")
    args = ["run", "scenario=baseline", "run.output_root=/proc/foo", *RUN_SMALL]
    assert main(args) == 2
    line = _one_line(capsys.readouterr().err)  # was "needs ... 0 MB of disk, but only 0 MB"
    assert "run.output_root = '/proc/foo'" in line and "virtual filesystem" in line
    assert "0 MB" not in line


@pytest.mark.parametrize(
    "command",
    [
        ["policy", "experiment=partner_commitments", "quick=true"],
        ["threshold", "scenario=baseline", "factor=turkey.reliability"],
    ],
)
def test_d16_the_printed_resume_command_keeps_plot_false(command, tmp_path, capsys, monkeypatch):
    from sim.engine.study_directory import StudyInterrupted
    from sim.studies.policy import study as policy_study
    from sim.studies.threshold import study as threshold_study

    def interrupted(cfg):
        raise StudyInterrupted(tmp_path / "study")

    monkeypatch.setattr(policy_study, "run_study", interrupted)
    monkeypatch.setattr(threshold_study, "run_study", interrupted)
    assert main([*command, f"output_root={tmp_path / 'out'}", "plot=false"]) == 130
    resume = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"resume={tmp_path / 'study'}" in resume and "plot=false" in resume.split()


@pytest.mark.parametrize(
    "args",
    [
        ["sweep", "experiment=escalation_threshold", "name={name}", "output_root={root}"],
        ["policy", "experiment=partner_commitments", "quick=true", "name={name}",
         "output_root={root}"],
        ["run", "scenario=baseline", "run.label={name}", "run.output_root={root}"],
        ["ablate", "scenario=baseline", "scenario.name={name}", "run.output_root={root}"],
    ],
)  # fmt: skip
def test_d16_a_too_long_name_fails_before_anything_is_written(args, tmp_path, capsys):
    root, name = tmp_path / "out", "x" * 300
    code = main([a.format(name=name, root=root) for a in args])
    line = _one_line(capsys.readouterr().err)
    key = next(a.split("=")[0] for a in args if "{name}" in a)
    assert code == 2 and f"{key} = 'xxx" in line and "(300 characters)" in line
    assert "at most 100 characters" in line and not root.exists()


# --- one home for the checks of the studies' YAML fields ----------------------------------------
def test_the_targets_and_facts_readers_share_their_field_checks(tmp_path):
    from sim.studies import facts, file_fields
    from sim.studies.calibration import targets
    from sim.studies.fact_files import FactsError

    for module in (facts, targets):
        assert not any(hasattr(module, n) for n in ("_number", "_no_unknown", "_first_line"))
        assert module.finite_number is file_fields.finite_number
        assert module.check_known_keys is file_fields.check_known_keys
    assert [file_fields.finite_number(v) for v in (2, 0.5, True, "1", float("nan"))] == [
        2.0, 0.5, None, None, None
    ]  # fmt: skip
    path = tmp_path / "facts.yaml"
    path.write_text((C.CONFIG_DIR / "facts" / "seed_2022.yaml").read_text() + "extra: 1\n")
    with pytest.raises(FactsError, match="unknown key 'extra'"):  # each reader's own error
        facts.load(str(path))


# --- D12, still reproducing after the first fixes: the app's server exited with code 3 ----------
def test_d12_the_app_refuses_an_address_it_cannot_serve_on_with_exit_code_2(capsys, monkeypatch):
    import importlib.util
    import os
    import socket

    if importlib.util.find_spec("solara") is None:
        pytest.skip("the viz extra is not installed: the app refuses before any address check")

    def server_started(*args):
        raise AssertionError("the server was started")

    monkeypatch.setattr(os, "execv", server_started)
    assert main(["app", "--host", "999.999.1.1"]) == 2
    assert "--host = '999.999.1.1' is not allowed" in _one_line(capsys.readouterr().err)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"127.0.0.1:{port}" in line and "--port" in line


# --- case 14, still reproducing: a read-only results directory advised an option analyze lacks --
def test_14_a_read_only_results_directory_gets_advice_analyze_can_follow(
    small_sweep, tmp_path, capsys, monkeypatch
):
    import errno

    from sim.analysis import sweep_analysis

    sweep = _copy(small_sweep, tmp_path)

    def read_only(out, tables, run_dir):
        raise OSError(errno.EROFS, "Read-only file system", str(out))

    monkeypatch.setattr(sweep_analysis, "write_analysis", read_only)
    assert main(["analyze", str(sweep)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "read-only" in line and "a copy of the results directory" in line
