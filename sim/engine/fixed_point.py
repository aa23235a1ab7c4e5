"""Exact sums of floating-point values: fixed point, int64 in units of 2^-24.

A float sum depends on the order of its terms; an integer sum does not. Each value is rounded
once to a multiple of 2^-24 and kept as an int64, so summing a block of runs, then merging the
blocks of all chunks, gives the same integers whatever the chunking, the executor or the order
in which chunks finish. 2^-24 (6e-8) is far below any quantity reported, and int64 holds sums
of values up to 2^39 / runs in magnitude (about 5.5e11 / runs).
"""

from __future__ import annotations

import numpy as np

FIXED_POINT = float(2**24)
#: Every integer of smaller magnitude is a float64 exactly.
EXACT_FLOAT_INTEGERS = float(2**53)
#: How the *_sum columns say their unit (``sim.engine.store``).
FIXED_POINT_SCALE = f"2^-{int(FIXED_POINT).bit_length() - 1}"


def to_fixed_point(
    values: np.ndarray, work: np.ndarray | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """`values` rounded to the nearest multiple of 2^-24, as int64 counts of 2^-24.

    `work` (float) and `out` (int64), of the values' shape, are buffers to reuse: a chunk's
    monthly aggregate converts the same shape every month, and fresh arrays of that size would
    cost more in page faults than the arithmetic.
    """
    work = np.multiply(values, FIXED_POINT, out=work)
    np.rint(work, out=work)
    if out is None:
        out = np.empty(work.shape, dtype=np.int64)
    np.copyto(out, work, casting="unsafe")
    return out


def block_starts(*labels: np.ndarray) -> np.ndarray:
    """Where each block of runs with equal labels starts (runs sorted into blocks): a new
    block wherever any of the label arrays changes."""
    changes = np.zeros(max(len(labels[0]) - 1, 0), dtype=bool)
    for column in labels:
        changes |= column[1:] != column[:-1]
    return np.flatnonzero(np.r_[True, changes])


def block_sums(fixed: np.ndarray, starts: np.ndarray, axis: int = 0) -> np.ndarray:
    """Sums of fixed-point values over each block of consecutive runs along `axis`."""
    return np.add.reduceat(fixed, starts, axis=axis)


def fixed_point_sums(
    values: np.ndarray,
    largest: float,
    starts: np.ndarray | None = None,
    work: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The sum of `to_fixed_point(values)`, or its `block_sums` over `starts`: the same int64s.

    `largest` bounds the values' magnitude (their extremes, known to the caller). Rounded to
    whole units of 2^-24, the values are whole numbers; while n of them stay below 2^53 in
    total magnitude, every partial sum is a whole number that a float64 holds exactly, so
    their float sum is the exact integer sum, in any order. That spares converting every value
    to int64, the slowest step of a monthly aggregate. Beyond the bound (or with a NaN or an
    infinity) the values are converted and summed as integers. `work` (float) and `out`
    (int64) are buffers of the values' shape to reuse.
    """
    # |rint(x * 2^24)| <= largest * 2^24 + 1/2 for each of the values.size values.
    if (largest * FIXED_POINT + 0.5) * values.size < EXACT_FLOAT_INTEGERS:
        work = np.rint(np.multiply(values, FIXED_POINT, out=work), out=work)
        sums = work.sum() if starts is None else np.add.reduceat(work, starts)
        return np.asarray(sums).astype(np.int64)
    fixed = to_fixed_point(values, work=work, out=out)
    return np.asarray(fixed.sum() if starts is None else block_sums(fixed, starts))
