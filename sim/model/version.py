"""The model version a posterior belongs to.

A posterior holds values of named parameters whose meaning depends on the model that used
them. The version is a hash of the parameter table's paths and ranges: renaming, adding or
removing a parameter, or changing a range, changes it, and a calibration made on another
version is refused instead of being applied to parameters that no longer mean the same.
"""

from __future__ import annotations

import hashlib

from sim.model.params import PARAMS


def model_version() -> str:
    """A short hash of every parameter's path, range and kind (stable across processes)."""
    text = "\n".join(f"{p.path}|{p.low}|{p.high}|{p.integer}|{','.join(p.choices)}" for p in PARAMS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
