"""A wheel works anywhere: built, installed in a fresh venv, run from an empty directory.

The venv reuses this environment's packages (a .pth line pointing at our site-packages) and the
wheel is installed with --no-deps, so nothing is downloaded. The checkout is never on the path:
PYTHONPATH is cleared and the commands run from an empty directory. ~40 s on 2 busy cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import HANG_GUARD

from sim.config import REPO_ROOT

SOURCES = ("sim", "configs", "experiments", "pyproject.toml", "setup.py", "MANIFEST.in")
SOURCES += ("README.md", "LICENSE", "CITATION.cff")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


def test_the_version_is_written_once():
    """pyproject.toml reads sim.__version__; CITATION.cff (which cannot) must agree with it."""
    import tomllib

    import yaml

    from sim import __version__

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    citation = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text())
    assert str(citation["version"]) == __version__


def _head() -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
    )
    return done.stdout.strip() if done.returncode == 0 else None


def test_a_wheel_built_from_git_archive_records_its_commit(tmp_path):
    """The release path: `git archive` (no .git), then a wheel; build.json names the commit."""
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools (test extra)")
    head = _head()
    if head is None:
        pytest.skip("not a git checkout: nothing to archive")
    archive = tmp_path / "source.tar"
    subprocess.run(["git", "archive", "-o", str(archive), "HEAD"], cwd=REPO_ROOT, check=True)
    source = tmp_path / "source"
    source.mkdir()
    shutil.unpack_archive(archive, source, filter="data")
    assert not (source / ".git").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(tmp_path / "dist"), str(source)],
        tmp_path,
        env,
    )
    (wheel,) = (tmp_path / "dist").glob("kz_escalation_sim-*.whl")
    with zipfile.ZipFile(wheel) as contents:
        build = json.loads(contents.read("sim/_data/build.json"))
        metadata = contents.read(next(n for n in contents.namelist() if n.endswith("METADATA")))
    assert build["git_commit"] == head
    from sim import __version__

    assert f"Version: {__version__}".encode() in metadata  # the one version, sim.__version__
    assert b"Classifier: Programming Language :: Python :: 3.12" in metadata
    assert b"Provides-Extra: dev" in metadata


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(bin directory of a fresh venv holding only the wheel, environment to run it in)."""
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools (test extra)")
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy, so the build leaves nothing in the checkout
    for name in SOURCES:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(origin, source / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    wheels = root / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(wheels), str(source)],
        root,
        env,
    )
    (wheel,) = wheels.glob("kz_escalation_sim-*.whl")
    target = root / "venv"
    venv.create(target, with_pip=False)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(target), "platbase": str(target)}))
    # This environment's packages, appended after the venv's own (so the wheel's `sim` wins);
    # a bare path in a .pth does not run this environment's editable-install hook.
    (site / "reuse-test-env.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = target / "bin" / "python"
    _run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        root,
        env,
    )
    return target / "bin", env


def test_wheel_carries_the_configs_and_runs_from_an_empty_directory(installed, tmp_path):
    bin_dir, env = installed
    where = _run([str(bin_dir / "python"), "-c", "import sim; print(sim.__file__)"], tmp_path, env)
    assert not where.stdout.strip().startswith(str(REPO_ROOT / "sim"))

    listing = _run([str(bin_dir / "sim"), "list"], tmp_path, env).stdout
    assert "baseline" in listing and "war_favorable_russia" in listing
    assert "screening" in listing and "(none)" not in listing
    assert "partner_commitments" in listing  # experiments/policies/ travels in the wheel too

    _run(
        [str(bin_dir / "sim"), "run", "scenario=war_favorable_russia", "run.replicates=8"]
        + ["run.months=18", "run.figures=false"],
        tmp_path,
        env,
    )
    (run_dir,) = (tmp_path / "results" / "runs" / "war_favorable_russia").iterdir()
    summary = pq.read_table(run_dir / "summary.parquet")
    assert summary.num_rows == 8
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["versions"]["kz-escalation-sim"]
    assert manifest["git_commit"] is not None  # a plain copy of the files says "unknown"

    _run(
        [str(bin_dir / "sim"), "sweep", "experiment=escalation_threshold", "replicates=2"]
        + ["months=6", "workers=1", "scenarios=[baseline]", "analysis.run=false"],
        tmp_path,
        env,
    )
    assert list((tmp_path / "results" / "sweeps" / "escalation_threshold").iterdir())
    leftovers = {p.name for p in tmp_path.iterdir()}
    assert leftovers == {"results"}, f"the commands wrote outside results/: {leftovers}"


def test_user_folder_adds_a_scenario_to_the_installed_package(installed, tmp_path):
    bin_dir, env = installed
    mine = tmp_path / "mine"
    (mine / "scenario").mkdir(parents=True)
    (mine / "scenario" / "quiet_war.yaml").write_text(
        "# @package _global_\nscenario:\n  name: quiet_war\n  description: A frozen war\n"
        "model:\n  war:\n    outcome: frozen\n"
    )
    listing = _run([str(bin_dir / "sim"), "--search-path", str(mine), "list"], tmp_path, env)
    assert f"A frozen war (from {mine})" in " ".join(listing.stdout.split())  # wrapped
    _run(
        [str(bin_dir / "sim"), "run", f"--search-path={mine}", "scenario=quiet_war"]
        + ["run.replicates=4", "run.months=6", "run.figures=false"],
        tmp_path,
        env,
    )
    assert (tmp_path / "results" / "runs" / "quiet_war").is_dir()
