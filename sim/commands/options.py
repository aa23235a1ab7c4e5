"""The key=value options of the commands that do not go through Hydra (validate, calibrate).

Read and checked alike: every refusal is one line naming the key, the value and what is
allowed, raised as the command's own error type (printed with exit code 2).
"""

from __future__ import annotations

from collections.abc import Sequence

TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def key_values(argv: Sequence[str], keys: Sequence[str], error: type[Exception]) -> dict[str, str]:
    """{key: value} of `key=value` arguments; an argument of another form or key is refused."""
    raw: dict[str, str] = {}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or not value:
            raise error(f"expected key=value, got {arg!r}")
        if key not in keys:
            raise error(f"unknown option {key!r}; options: {', '.join(keys)}")
        raw[key] = value
    return raw


def as_bool(key: str, value: str, error: type[Exception]) -> bool:
    """true/1/yes or false/0/no, in any case."""
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise error(f"{key} = {value!r} is not allowed: expected true or false")


def as_int(key: str, value: str, low: int, high: int, error: type[Exception]) -> int:
    """An integer in [low, high]."""
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise error(f"{key} = {value!r} is not allowed: expected an integer in [{low}, {high}]")
    return number
