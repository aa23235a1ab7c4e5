"""Counter-based random streams: one independent stream per (run, named stream, month, draw).

A run is identified by its seed. Every random number a run uses is a pure function of
``(seed, stream name, month, draw index)``, computed with the splitmix64 finaliser, so a run's
trajectory is bit-identical whether it is simulated alone, inside any batch, in any chunking or
on any worker. A single ``numpy.random.Generator`` per batch could not give that: the numbers a
run receives would depend on how many runs precede it.

Streams are named ("pipeline_halt", "pretext", ...), so adding a draw to one mechanism never
shifts the numbers another mechanism sees.
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MONTH_MULT = 0xD1B54A32D192ED03
_DRAW_MULT = 0xABC98388FB8FAC03
_TWO_POW_53 = 1.0 / (1 << 53)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic is intended).

    The first line makes a new array; the rest works in place on it, which saves a third of the
    temporaries (this runs twice for every random number of every run).
    """
    z = z ^ (z >> np.uint64(30))
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
_MULTS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_MANTISSA_SHIFT = np.uint64(11)


def _mix_in_place(z: np.ndarray, scratch: np.ndarray) -> None:
    """`_mix` that overwrites `z`, with `scratch` (same shape) for the shifted copies.

    The same operations in the same order as `_mix`, so the same bits; no temporaries, which
    matters for the draws of every run (a month takes about thirty of them). NumPy's integer
    array arithmetic wraps without a warning, so no error state is needed.
    """
    np.right_shift(z, _SHIFTS[0], out=scratch)
    z ^= scratch
    z *= _MULTS[0]
    np.right_shift(z, _SHIFTS[1], out=scratch)
    z ^= scratch
    z *= _MULTS[1]
    np.right_shift(z, _SHIFTS[2], out=scratch)
    z ^= scratch


def _mix_int(z: int) -> int:
    """The same finaliser on a Python int, for the scalar part of a counter."""
    z &= _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def stream_id(name: str) -> int:
    """A stable 64-bit id for a stream name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def derive_seeds(master_seed: int, run_ids: np.ndarray) -> np.ndarray:
    """Seeds for runs ``run_ids`` of a batch started from ``master_seed``.

    The seed of run ``i`` depends only on ``(master_seed, i)``, so a batch can be split into
    chunks that each derive their own runs' seeds.
    """
    run_ids = np.asarray(run_ids, dtype=np.uint64)
    base = np.uint64(_mix_int(int(master_seed) * _GOLDEN + 1))
    with np.errstate(over="ignore"):
        seeds = _mix(run_ids * np.uint64(_GOLDEN) + base)
    # Keep seeds within int64 so they round-trip through Parquet and pandas unchanged.
    return (seeds >> np.uint64(1)).astype(np.int64)


class RunStreams:
    """Uniform random numbers for R runs at once, keyed by each run's seed.

    Args:
        seeds: one non-negative integer seed per run, shape (R,).
    """

    def __init__(self, seeds: np.ndarray) -> None:
        seeds = np.asarray(seeds)
        if seeds.ndim != 1 or (seeds.size and seeds.min() < 0):
            raise ValueError("seeds must be a 1-D array of non-negative integers")
        with np.errstate(over="ignore"):
            self._keys = _mix(seeds.astype(np.uint64) + np.uint64(_GOLDEN))
        self._ids: dict[str, int] = {}

    @property
    def size(self) -> int:
        return self._keys.size

    def uniform(
        self, stream: str, month: int, draw: int = 0, runs: np.ndarray | None = None
    ) -> np.ndarray:
        """Uniform numbers in [0, 1), one per run, for this stream, month and draw index.

        With `runs` (indices), only those runs' numbers, in that order: the same numbers the
        whole batch would give them (a decision that concerns a few runs draws only theirs).
        """
        sid = self._ids.get(stream)
        if sid is None:
            sid = self._ids[stream] = stream_id(stream)
        counter = _mix_int(sid + month * _MONTH_MULT + draw * _DRAW_MULT)
        keys = self._keys if runs is None else self._keys[runs]
        # _mix(_mix(keys ^ counter) + counter), then the top 53 bits, in one buffer.
        counter = np.uint64(counter)
        bits = keys ^ counter
        scratch = np.empty_like(bits)
        _mix_in_place(bits, scratch)
        bits += counter
        _mix_in_place(bits, scratch)
        bits >>= _MANTISSA_SHIFT
        # The 53 bits convert to float64 exactly, so casting inside the product changes nothing.
        return np.multiply(bits, _TWO_POW_53, dtype=np.float64)

    def normal(self, stream: str, month: int) -> np.ndarray:
        """Standard normal numbers (Box-Muller on two draws of the same stream)."""
        u1 = self.uniform(stream, month, 0)
        u2 = self.uniform(stream, month, 1)
        # sqrt(-2 log(1 - u1)) * cos(2 pi u2), in place on the two fresh arrays (same steps).
        np.negative(u1, out=u1)
        np.log1p(u1, out=u1)
        u1 *= -2.0
        np.sqrt(u1, out=u1)
        u2 *= 2.0 * np.pi
        np.cos(u2, out=u2)
        u1 *= u2
        return u1

    def chance(self, stream: str, month: int, probability: np.ndarray | float) -> np.ndarray:
        """Boolean per run: True with the given probability (a logit or threshold decision).

        When no run has a positive probability the draw is skipped: every number is a pure
        function of (seed, stream, month, draw), so skipping it shifts no other draw.
        """
        positive = np.asarray(probability) > 0
        if not positive.any():
            return np.zeros(self.size, dtype=bool)
        if positive.ndim == 1 and 2 * np.count_nonzero(positive) < positive.size:
            # Few runs can say yes (a statement only while the war lasts): draw for them alone,
            # the numbers the whole batch would give them; u >= 0 is never below p <= 0.
            index = np.flatnonzero(positive)
            hit = np.zeros(self.size, dtype=bool)
            hit[index] = self.uniform(stream, month, runs=index) < np.asarray(probability)[index]
            return hit
        return self.uniform(stream, month) < probability
