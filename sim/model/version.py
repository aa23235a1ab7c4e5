"""The model version a posterior belongs to, and the version of the model's code.

A posterior holds values of named parameters whose meaning depends on the model that used
them. The version is a hash of the parameter table's paths and ranges: renaming, adding or
removing a parameter, or changing a range, changes it, and a calibration made on another
version is refused instead of being applied to parameters that no longer mean the same.

The code version is a hash of the model's source (every module of ``sim/model/``). Manifests
record it, and a resumed sweep, policy or threshold study is held to it: chunks run by other
mechanisms would not belong to the same results.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from sim.model.params import PARAMS
from sim.model.uncertainty import UNCERTAIN


def model_version() -> str:
    """A short hash of every parameter's path, range and kind (stable across processes)."""
    text = "\n".join(f"{p.path}|{p.low}|{p.high}|{p.integer}|{','.join(p.choices)}" for p in PARAMS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def prior_version() -> str:
    """A short hash of the uncertainty table (``sim.model.uncertainty``): which parameters a
    calibration with ``parameters: uncertain`` infers, on which prior ranges."""
    text = "\n".join(f"{path}|{u.low}|{u.high}" for path, u in sorted(UNCERTAIN.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def code_version() -> str:
    """A short hash of every module of the model's package (paths and bytes), the same in a
    checkout and in an installed wheel of the same source."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
