"""Build hook: carry configs/ and experiments/ inside the package, and record the commit.

configs/ and experiments/ stay at the repository root, where users edit them; a wheel copies
them to sim/_data/ at build time, where `sim.config` finds them from any working directory.
The build also writes sim/_data/build.json with the commit it was built from, so an installed
copy can stamp its outputs without a checkout: git's answer in a checkout, else the commit
`git archive` wrote into .git_archival.txt (export-subst, see .gitattributes; the same file
setuptools-scm reads), else "unknown" (a plain copy of the files), never null.
Everything else is in pyproject.toml.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA_FOLDERS = ("configs", "experiments")


UNKNOWN_COMMIT = "unknown"


def archived_commit() -> str | None:
    """The commit `git archive` substituted into .git_archival.txt, if this tree is an archive."""
    archival = ROOT / ".git_archival.txt"
    if not archival.is_file():
        return None
    for line in archival.read_text().splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key.strip() == "node" and value and not value.startswith("$Format"):
            return value
    return None


def source_commit() -> str:
    """The checkout's commit (with -dirty for local changes), else the archive's, else unknown."""
    if not (ROOT / ".git").exists():
        return archived_commit() or UNKNOWN_COMMIT
    try:
        run = dict(cwd=ROOT, capture_output=True, text=True, timeout=5)
        commit = subprocess.run(["git", "rev-parse", "HEAD"], check=True, **run).stdout.strip()
        status = ["git", "status", "--porcelain", "--untracked-files=no"]
        dirty = subprocess.run(status, **run).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return archived_commit() or UNKNOWN_COMMIT


class BuildWithData(build_py):
    """build_py plus the data folders and build.json under sim/_data/ of the build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders directly
            return
        target = Path(self.build_lib) / "sim" / "_data"
        for name in DATA_FOLDERS:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns(".*"))
        (target / "build.json").write_text(json.dumps({"git_commit": source_commit()}) + "\n")


setup(cmdclass={"build_py": BuildWithData})
