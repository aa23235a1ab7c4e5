"""Checks of the fields of the studies' YAML files, shared by their readers.

The calibration targets (``sim.studies.calibration.targets``) and the facts files
(``sim.studies.facts``) read hand-written YAML the same way: a number must be a finite int or
float (not a bool, not text), and a mapping may hold only the keys its reader knows. Each
reader raises its own error class, so a message keeps naming the file it came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim.errors import CalibrationError


def finite_number(value: Any) -> float | None:
    """`value` as a float if it is a finite int or float (YAML's `true` is not a number),
    else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def check_known_keys(
    data: Mapping[str, Any],
    keys: tuple[str, ...],
    where: str,
    error: type[Exception] = CalibrationError,
) -> None:
    """Refuse the first key of `data` not in `keys`, naming `where` and the keys allowed.

    Raises:
        error: "<where>: unknown key 'x'; expected a, b, c".
    """
    for key in data:
        if key not in keys:
            raise error(f"{where}: unknown key {key!r}; expected {', '.join(keys)}")
