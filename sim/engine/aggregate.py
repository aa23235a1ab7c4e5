"""The monthly aggregate of a sweep: exact, order-free sums, counts and histograms per design point.

For each design point and month: the runs at each rung, and for each key variable a fixed-point
sum, the exact minimum and maximum and (with at least ``QUANTILE_MIN_REPLICATES`` replicates) a
fixed-bin histogram with two extra bins for runs below and above its range. Integers and exact
extremes merge exactly, so the merged table does not depend on the chunking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.engine.fixed_point import FIXED_POINT, fixed_point_sums
from sim.model.recording import TRAJECTORY_VARIABLES

if TYPE_CHECKING:
    from sim.engine.chunks import Chunk
    from sim.model.escalation import EnsembleResult, EscalationModel


BINS = 50


QUANTILE_MIN_REPLICATES = 10  # fewer runs per design point: no histograms, no quantiles


# Key variables of the monthly aggregate, with the fixed range of their histogram bins. Runs
# outside the range are counted in two extra bins (below, above): a quantile that falls among
# them is reported as NaN, never clipped to the range (means use exact sums, not bins).
AGGREGATE_VARIABLES: dict[str, tuple[float, float]] = {
    "alignment": (0.0, 1.0),
    "cpc_share": (0.0, 1.0),
    "trans_caspian_share": (0.0, 1.0),
    "defence": (0.0, 6.0),
    "nationalism": (0.0, 1.0),
    "leverage": (0.0, 1.0),
    "backing": (0.0, 1.0),
    "motivation": (0.0, 40.0),
    "war_surplus": (-3.0, 3.0),
    "oil_revenue": (0.0, 20.0),
}


RUNG_COLUMNS = [f"rung_{k}" for k in range(6)]


class MonthlyAggregate:
    """Per (design point, month): runs per rung, fixed-point sums, histograms, min and max.

    A reduction of the chunk engine (``sim.engine.chunks.MonthlyReduction``): it reads the
    model after every month (`each_month`), its part is the chunk's table (`reduce`), and the
    parts merge exactly (`merge`).

    Histograms (for quantiles) and extremes are kept only when a design point has at least
    ``QUANTILE_MIN_REPLICATES`` runs: below that a quantile says little, and for designs with
    thousands of points and one or two replicates (Sobol, Morris) the histograms would be
    almost all zeros and cost gigabytes. Means and rung shares are always exact.

    The variables are reduced one at a time, straight from the model's arrays, into buffers of
    one value per run: a chunk's (variables, runs) block would be megabytes, which the model's
    own step pushes out of the cache every month, while one variable's buffers stay in it.
    """

    name = "aggregate"

    def __init__(
        self,
        local: np.ndarray,
        points: int,
        months: int,
        histograms: bool,
        first_point: int = 0,
    ) -> None:
        self.local, self.points, self.months = local, points, months
        self.first_point = first_point
        self.runs = np.bincount(local, minlength=points)
        self.present = self.runs > 0
        # Runs of a chunk are sorted by design point: each point is one contiguous block.
        self.starts = np.searchsorted(local, np.arange(points))[self.present]
        # A chunk inside one design point (the common case: replicates >= chunk size) needs no
        # blocks: plain sums and extremes give the same integers and values as per block.
        self.only_point = int(local[0]) if self.starts.size == 1 else None
        variables = len(AGGREGATE_VARIABLES)
        low, high = np.array(list(AGGREGATE_VARIABLES.values())).T
        # bin + 1 = x * slope + intercept, truncated. The slope is smaller by a few parts in
        # 10^16 so that the top of the range (a share of exactly 1) falls in the last bin.
        self.slope = BINS / (high - low) * (1 - 4 * np.finfo(float).eps)
        self.intercept = 1 - low * self.slope
        self.rungs = np.zeros((points, months, 6), dtype=np.int64)
        self.sums = np.zeros((variables, points, months), dtype=np.int64)
        # With the histograms only: the extremes say where the runs outside the bins lie.
        # Bin 0 counts runs below the range, bin BINS + 1 runs above it.
        self.hist = self.min = self.max = None
        if histograms:
            self.hist = np.zeros((variables, points, months, BINS + 2), dtype=np.int32)
            self.min = np.full((variables, points, months), np.inf)
            self.max = np.full((variables, points, months), -np.inf)
        # First bin of each run's design point, for one bincount over all points.
        self.offsets = local * (BINS + 2)
        # Every step writes into buffers allocated once: fresh arrays would cost a page fault
        # per 4 kB every month, more than the arithmetic itself.
        self.x = np.empty(local.size)
        self.work = np.empty(local.size)
        self.index = np.empty(local.size, dtype=np.int64)

    def each_month(self, model: EscalationModel, month: int) -> None:
        self._count_rungs(np.asarray(model.russia.rung, dtype=np.int64), month)
        for row, name in enumerate(AGGREGATE_VARIABLES):
            x = self._values(_read(model, name))
            lowest, highest = self._extremes(row, x, month)
            self._sum(row, x, month, np.maximum(-lowest, highest))  # NaN stays NaN
            if self.hist is not None:
                self._histogram(row, x, month, lowest, highest)

    def _count_rungs(self, rung: np.ndarray, month: int) -> None:
        if self.only_point is not None:
            self.rungs[self.only_point, month] = np.bincount(rung, minlength=6)
            return
        self.rungs[:, month] = np.bincount(
            self.local * 6 + rung, minlength=self.points * 6
        ).reshape(self.points, 6)

    def _values(self, state: np.ndarray | float) -> np.ndarray:
        """A variable's value in every run as float64: the model's own array where it is one,
        else a copy (a scalar state broadcast to every run, a narrower type widened)."""
        if (
            isinstance(state, np.ndarray)
            and state.dtype == np.float64
            and state.shape == self.x.shape
        ):
            return state
        self.x[...] = state
        return self.x

    def _sum(self, row: int, x: np.ndarray, month: int, largest: float) -> None:
        """Each design point's fixed-point sum; `largest` bounds the magnitude of x."""
        starts = None if self.only_point is not None else self.starts
        sums = fixed_point_sums(x, largest, starts, work=self.work, out=self.index)
        if self.only_point is not None:
            self.sums[row, self.only_point, month] = sums
        else:
            self.sums[row, self.present, month] = sums

    def _extremes(self, row: int, x: np.ndarray, month: int) -> tuple[float, float]:
        """The chunk's extremes; each design point's recorded with the histograms."""
        if self.hist is None:  # needed only to bound the sums
            return x.min(), x.max()
        if self.only_point is not None:
            lowest, highest = x.min(), x.max()
            self.min[row, self.only_point, month] = lowest
            self.max[row, self.only_point, month] = highest
            return lowest, highest
        lowest, highest = np.minimum.reduceat(x, self.starts), np.maximum.reduceat(x, self.starts)
        self.min[row, self.present, month] = lowest
        self.max[row, self.present, month] = highest
        return lowest.min(), highest.max()

    def _histogram(
        self, row: int, x: np.ndarray, month: int, lowest: float, highest: float
    ) -> None:
        # Bin 0 below the range, 1..BINS inside, BINS + 1 above: truncating after the clip
        # (clipped as floats, so an infinite value lands in an outer bin too).
        work, index = self.work, self.index
        slope, intercept = self.slope[row], self.intercept[row]
        np.add(np.multiply(x, slope, out=work), intercept, out=work)
        # The map is monotone in x (as rounded), so the extremes' images bound every run's:
        # inside [0, BINS + 1] the clip would change nothing (NaN fails the test: clipped).
        if not (lowest * slope + intercept >= 0 and highest * slope + intercept <= BINS + 1):
            np.clip(work, 0, BINS + 1, out=work)
        np.copyto(index, work, casting="unsafe")
        if self.only_point is not None:
            self.hist[row, self.only_point, month] = np.bincount(index, minlength=BINS + 2)
            return
        index += self.offsets
        counts = np.bincount(index, minlength=self.points * (BINS + 2))
        self.hist[row, :, month] = counts.reshape(self.points, BINS + 2)

    def reduce(self, result: EnsembleResult, chunk: Chunk) -> pa.Table:
        return self.table(self.first_point)

    def merge(self, parts: Iterable[pa.Table]) -> Iterator[pd.DataFrame]:
        return iter_merged_aggregate(parts)

    def table(self, first_point: int) -> pa.Table:
        """Long table: one row per (design point, month) that has runs in this chunk."""
        point, month = np.nonzero(
            np.broadcast_to(self.runs[:, None] > 0, (self.points, self.months))
        )
        columns: dict[str, Any] = {
            "design_point": point + first_point,
            "month": month.astype(np.int16),  # int16 as in trajectories and events
            "runs": self.runs[point].astype(np.int64),
        }
        for k, column in enumerate(RUNG_COLUMNS):
            columns[column] = self.rungs[point, month, k]
        for row, name in enumerate(AGGREGATE_VARIABLES):
            columns[f"{name}_sum"] = self.sums[row, point, month]
        if self.hist is not None:
            for row, name in enumerate(AGGREGATE_VARIABLES):
                columns[f"{name}_min"] = self.min[row, point, month]
                columns[f"{name}_max"] = self.max[row, point, month]
                columns[f"{name}_hist"] = _list_column(self.hist[row, point, month])
        return pa.table(columns)


def _list_column(matrix: np.ndarray) -> pa.FixedSizeListArray:
    """A 2-D integer array as an Arrow fixed-size-list column, without Python objects."""
    flat = pa.array(np.ascontiguousarray(matrix, dtype=np.int32).reshape(-1))
    return pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1])


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    """The inverse of _list_column: an Arrow fixed-size-list column as a 2-D int32 array."""
    flat = pa.concat_arrays([chunk.flatten() for chunk in column.chunks])
    return flat.to_numpy(zero_copy_only=False).astype(np.int32).reshape(len(column), -1)


_READERS: dict[str, Callable[[EscalationModel], np.ndarray]] = {}


def _read(model: EscalationModel, name: str) -> np.ndarray:
    if not _READERS:
        _READERS.update({v.name: v.read for v in TRAJECTORY_VARIABLES})
    return _READERS[name](model)


def _block(table: pa.Table) -> dict[str, np.ndarray]:
    """A chunk's aggregate as numpy arrays (histograms as 2-D arrays)."""
    return {
        name: _matrix(table[name]) if name.endswith("_hist") else table[name].to_numpy().copy()
        for name in table.column_names
    }


def _add_carry(carry: dict[str, np.ndarray], block: dict[str, np.ndarray]) -> None:
    """Merge the rows of the design point split across the chunk boundary into `block`.

    Both are sorted by (design point, month); `carry` holds one point's months, which are the
    first rows of `block` when the next chunk continues that point. Counts and sums add;
    extremes take the smaller or larger.
    """
    rows = np.flatnonzero(block["design_point"] == carry["design_point"][0])
    if not np.array_equal(block["month"][rows], carry["month"]):
        raise RuntimeError("aggregate parts do not line up; rerun the sweep without resume")
    for name, values in carry.items():
        if name in ("design_point", "month"):
            continue
        if name.endswith("_min"):
            block[name][rows] = np.minimum(block[name][rows], values)
        elif name.endswith("_max"):
            block[name][rows] = np.maximum(block[name][rows], values)
        else:
            block[name][rows] += values


def iter_merged_aggregate(parts: Iterable[pa.Table], rows: int = 1) -> Iterator[pd.DataFrame]:
    """The chunk aggregates (in chunk order) merged and described (`describe_aggregate`), in
    frames of whole design points of at least `rows` rows (the last may have fewer); flat
    memory when `parts` reads each part as it is needed.

    Every column of the description is computed row by row, so a frame of many points is the
    frames of each point joined; describing many at once spares a step per point.
    """
    batch: list[dict[str, np.ndarray]] = []
    size = 0
    for block in _merged_points(parts):
        batch.append(block)
        size += len(block["design_point"])
        if size >= rows:
            yield describe_aggregate(_joined(batch))
            batch, size = [], 0
    if batch:
        yield describe_aggregate(_joined(batch))


def _joined(blocks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if len(blocks) == 1:
        return blocks[0]
    return {name: np.concatenate([b[name] for b in blocks]) for name in blocks[0]}


def _merged_points(parts: Iterable[pa.Table]) -> Iterator[dict[str, np.ndarray]]:
    """The merged counts, sums and extremes of consecutive design points, as numpy blocks.

    Chunks hold consecutive runs, so a design point is split only across neighbouring chunks:
    its rows are carried to the next part and merged there. Integer addition, min and max are
    exact, so the result does not depend on the chunking.
    """
    carry: dict[str, np.ndarray] | None = None
    for part in parts:
        block = _block(part.drop_columns([c for c in ("run_dir",) if c in part.column_names]))
        if carry is not None:
            if block["design_point"][0] == carry["design_point"][0]:
                _add_carry(carry, block)
            else:
                yield carry
        last = block["design_point"] == block["design_point"][-1]
        carry = {name: values[last] for name, values in block.items()}
        if (~last).any():
            yield {name: values[~last] for name, values in block.items()}
    if carry is not None:
        yield carry


def describe_aggregate(block: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Readable columns from the merged counts: share at each rung, means and quantiles.

    The histograms themselves stay in the part files (exact, mergeable); the merged table keeps
    the integer counts and sums, the extremes, and what is read from them. A quantile is NaN
    where it falls among the runs outside the histogram's range (see ``{name}_outside``, the
    share of runs there, and ``{name}_min``/``{name}_max``).
    """
    table = {k: v for k, v in block.items() if not k.endswith("_hist")}
    runs = block["runs"].astype(float)
    for k in range(6):
        table[f"share_rung_{k}"] = block[f"rung_{k}"] / runs
    for name, (low, high) in AGGREGATE_VARIABLES.items():
        table[f"{name}_mean"] = block[f"{name}_sum"] / FIXED_POINT / runs
        hist = block.get(f"{name}_hist")
        if hist is not None:
            table[f"{name}_outside"] = (hist[:, 0] + hist[:, -1]) / runs
            for q in (0.1, 0.5, 0.9):
                table[f"{name}_q{int(q * 100):02d}"] = bounded_quantile(hist, low, high, q)
    return pd.DataFrame(table)


def bounded_quantile(hist: np.ndarray, low: float, high: float, q: float) -> np.ndarray:
    """Quantile q of each row of [below, bins..., above] counts; NaN where it lies outside.

    The quantile is known only to lie below `low` (or above `high`) when its rank falls among
    the runs counted there, so it is reported as missing rather than clipped to the range.
    """
    hist = np.atleast_2d(hist)
    below, inner, above = hist[:, 0], hist[:, 1:-1], hist[:, -1]
    total = hist.sum(axis=1)
    target = q * total
    value = _rank_quantile(inner, low, high, target - below)
    outside = ((below > 0) & (target <= below)) | ((above > 0) & (target > total - above))
    return np.where(outside, np.nan, value)


def histogram_quantile(hist: np.ndarray, low: float, high: float, q: float) -> np.ndarray:
    """Quantile q of each row of fixed-bin counts, interpolated linearly within the bin."""
    hist = np.atleast_2d(hist)
    return _rank_quantile(hist, low, high, q * hist.sum(axis=1))


def _rank_quantile(hist: np.ndarray, low: float, high: float, target: np.ndarray) -> np.ndarray:
    """The value of rank `target` (a count from the bottom) in each row of bin counts."""
    cumulative = np.cumsum(hist, axis=1)
    index = np.minimum((cumulative < target[:, None]).sum(axis=1), hist.shape[1] - 1)
    rows = np.arange(hist.shape[0])
    before = np.where(index > 0, cumulative[rows, np.maximum(index - 1, 0)], 0)
    inside = hist[rows, index]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(inside > 0, (target - before) / inside, 0.5)
    width = (high - low) / hist.shape[1]
    return low + (index + np.clip(fraction, 0.0, 1.0)) * width
