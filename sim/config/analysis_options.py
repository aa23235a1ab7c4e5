"""The options of a sweep's analysis: checked before use, and recorded next to the tables.

`python -m sim analyze <dir> level=0.25 months=[60]` and a sweep's `analysis.*` settings set
the same options. Each is checked here (one message naming the key, the value and what is
allowed), and `analyze` writes the options it used to ``analysis/<key>/options.json``, so `plot`
labels its figures with the level the tables were made with, not the one in config.yaml.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim.config import MAX_MONTHS, ConfigError
from sim.model.ladder import TOP_RUNG

OPTIONS_FILE = "options.json"
#: Options of the analysis tables (a sweep's `analysis` node also has `run`).
TABLE_OPTIONS = ("months", "rungs", "level", "confidence", "bootstrap", "replicate_bootstrap")
MAX_BOOTSTRAP = 100_000


def check_options(options: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The analysis options, checked and normalised (a single month or rung becomes a list).

    Args:
        options: any of TABLE_OPTIONS; unknown keys are refused.
        prefix: "analysis." for a sweep's settings (which also allow `run`), "" for `analyze`.

    Raises:
        ConfigError: naming the first bad key, its value and what is allowed.
    """
    allowed = (*TABLE_OPTIONS, "run") if prefix == "analysis." else TABLE_OPTIONS
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown option {prefix}{unknown[0]!r}: expected one of "
            f"{', '.join(prefix + k for k in allowed)}"
        )
    checked = dict(options)
    if "months" in options:
        checked["months"] = _int_list(prefix + "months", options["months"], 1, MAX_MONTHS)
    if "rungs" in options:
        checked["rungs"] = _int_list(prefix + "rungs", options["rungs"], 1, TOP_RUNG)
    for key in ("level", "confidence"):
        if key in options:
            checked[key] = _probability(prefix + key, options[key])
    for key in ("bootstrap", "replicate_bootstrap"):
        if key in options:
            checked[key] = _integer(prefix + key, options[key], 0, MAX_BOOTSTRAP)
    return checked


def _fail(key: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"{key} = {value!r} is not allowed: expected {allowed}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(key: str, value: Any, low: int, high: int) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise _fail(key, value, f"an integer in [{low}, {high}]")
    return int(value)


def _int_list(key: str, value: Any, low: int, high: int) -> list[int]:
    values = [value] if _is_int(value) else value
    allowed = f"a non-empty list of distinct integers in [{low}, {high}], e.g. [{low}, {high}]"
    if not isinstance(values, list | tuple) or not values:
        raise _fail(key, value, allowed)
    if not all(_is_int(v) and low <= v <= high for v in values) or len(set(values)) < len(values):
        raise _fail(key, value, allowed)
    return [int(v) for v in values]


def _probability(key: str, value: Any) -> float:
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number) or not 0 < number < 1:
        raise _fail(key, value, "a number strictly between 0 and 1")
    return float(number)


#: Below this many Sobol base samples the index estimates are mostly sampling error.
MIN_SOBOL_N = 32


def design_warning(cfg: Any) -> str | None:
    """A warning when a Sobol sweep has too few base samples for its indices to mean much.

    With N = 1 the first-order indices can sum to -35; nothing else in the output says so.
    """
    design = cfg.get("design") if hasattr(cfg, "get") else None
    if design is None or design.get("kind") != "sobol" or int(design.get("n", 0)) >= MIN_SOBOL_N:
        return None
    return (
        f"warning: design.n = {design.get('n')} Sobol base samples: the indices above are "
        f"mostly sampling error (their confidence intervals show how much); use design.n >= "
        f"{MIN_SOBOL_N}, better 512 or more, before reading them"
    )
