"""The layers of sim/ (docs/architecture.md): each imports only the layers below it, no cycles.

The contracts are in pyproject.toml ([tool.importlinter]); import-linter reads every import of the
package, including those inside functions, so a function-local import cannot hide a violation.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from sim.config import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# Heavy third-party modules that start-up must not pay for: the only ones a function may import.
HEAVY = {
    "mesa",
    "pandas",
    "pyarrow",
    "scipy",
    "hydra",
    "omegaconf",
    "matplotlib",
    "numpy",
    "SALib",
    "scoringrules",
    "tqdm",
    "psutil",
    "pymoo",
    "dask",
    "distributed",
    "dask_jobqueue",
    "ema_workbench",
    "solara",
    "yaml",
    "statsmodels",
    "sim",
}


def test_every_layer_imports_only_the_layers_below_it_and_nothing_cycles() -> None:
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 kept, 0 broken" in done.stdout


def test_a_deliberate_upward_import_is_caught(tmp_path: Path) -> None:
    """The contract is live: a model module that imports the engine breaks it."""
    config = (REPO_ROOT / "pyproject.toml").read_text()
    section = config[config.index("[tool.importlinter]") :]
    contracts = tmp_path / "contracts.toml"
    contracts.write_text(section)
    probe = REPO_ROOT / "sim" / "model" / "_layer_probe.py"
    probe.write_text("from sim.engine import store  # noqa: F401\n")
    try:
        done = subprocess.run(
            [str(LINT_IMPORTS), str(contracts), "--no-cache"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        probe.unlink()
    assert done.returncode != 0
    assert "sim.model is not allowed to import sim.engine" in done.stdout


def _function_local_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append(
                        (inner.lineno, getattr(inner, "module", None) or inner.names[0].name)
                    )
    return found


def test_function_local_imports_are_of_heavy_modules_and_say_why() -> None:
    """A function-local import hides a dependency from the top of the file. The ones left load
    a heavy module that start-up must not pay for; outside the commands (which defer all their
    work, see sim/commands/__init__.py), one of the project's own says why on its line or the
    line above."""
    wrong = []
    for path in sorted((REPO_ROOT / "sim").rglob("*.py")):
        lines = path.read_text().splitlines()
        deferring = path.parent.name == "commands" or path.name == "cli.py"
        for lineno, module in _function_local_imports(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(REPO_ROOT)}:{lineno} {module}"
            if top not in HEAVY:
                wrong.append(f"{where} (not heavy: import it at the top)")
            elif top == "sim" and not deferring:
                said = "#" in lines[lineno - 1] or lines[lineno - 2].strip().startswith("#")
                if not said:
                    wrong.append(f"{where} (says not why)")
    assert not wrong, "function-local imports:\n" + "\n".join(wrong)
