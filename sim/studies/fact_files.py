"""Where facts files are: ``configs/facts/`` and each ``--search-path`` folder's ``facts/``.

Kept apart from ``sim.studies.facts`` (which reads them with pandas and the event readers) so
that `sim score --help` lists the facts files without importing either.
"""

from __future__ import annotations

from pathlib import Path

from sim.config import CONFIG_DIR, user_folders
from sim.errors import CalibrationError

FACTS_DIR = CONFIG_DIR / "facts"


class FactsError(CalibrationError):
    """A facts file or a scoring option that cannot be used (one line, exit code 2)."""


def folders() -> list[Path]:
    """Where facts files are looked for: configs/facts/, then each user folder's facts/."""
    return [FACTS_DIR, *(folder / "facts" for folder in user_folders())]


def available() -> list[str]:
    return sorted({p.stem for folder in folders() for p in folder.glob("*.yaml")})


def resolve(name: str) -> Path:
    """The facts file for a name (a user folder's file of the same name wins), or a path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    for folder in reversed(folders()):
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    raise FactsError(
        f"facts = {name!r} is not allowed: expected one of {', '.join(available())} "
        f"(configs/facts/ or a --search-path folder's facts/) or a path to a .yaml file"
    )
