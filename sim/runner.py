"""Sweeps: a design -> chunks of runs -> an executor -> Parquet parts -> merged tables.

The runs of a sweep are numbered ``run_id = design_point * replicates + replicate`` and cut into
chunks of ``chunk_size`` consecutive runs; each chunk is one ensemble (one EscalationModel
stepping all its runs at once, with one parameter value per run).

Common random numbers: the seed of a run is ``derive_seeds(seed, replicate)``; it depends on the
experiment seed and the replicate index but not on the design point, so replicate r of every
design point sees the same random streams, and differences between design points are not
blurred by sampling noise. Because every run's random numbers depend only on its seed
(``sim.rng``), a run's result is bit-identical whatever the chunk size, executor or workers.

Besides the run summaries, each chunk writes an *aggregate* per design point and month: the
number of runs at each rung, and for each key variable a fixed-point sum and (with at least
``QUANTILE_MIN_REPLICATES`` replicates) the exact minimum and maximum and a fixed-bin histogram
with two more bins that count the runs below and above its range. Counts and sums are integers and
min/max are exact, so merging chunks is exact and the merged table does not depend on the
chunking; the merge reads one part at a time, so its memory does not grow with the design.

Workers write their chunk's part files themselves (when they share the sweep's file system), so
the parent neither receives the tables nor spends a core's time compressing them. The parent
never imports the model (Mesa): process workers import it once, in the forkserver.

The sweep directory exists while the sweep is incomplete (so it can be resumed);
``manifest.json`` has ``"complete": false`` until the last step writes it as true.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from omegaconf import DictConfig, OmegaConf

from sim import params as P
from sim.config import ConfigError
from sim.design import EXECUTION_KEYS, build_design, point_values, scenario_values
from sim.errors import explain
from sim.executors import local_workers, make_executor, start_workers_early
from sim.rng import derive_seeds
from sim.safety import check_inside, check_name, escape_interpolations, output_folder
from sim.store import (
    CONFIG,
    check_config,
    config_yaml,
    read_manifest,
    timestamp,
    with_metadata,
    write_arrow,
    write_atomic,
    write_manifest,
    write_table,
    write_text,
)

if TYPE_CHECKING:
    from sim.model import EscalationModel

PARTS = "parts"
DESIGN = "design.parquet"
AGGREGATE = "aggregate.parquet"
BINS = 50
QUANTILE_MIN_REPLICATES = 10  # fewer runs per design point: no histograms, no quantiles
FIXED_POINT = float(2**24)  # sums are kept as int64 in units of 2^-24: exact, order-free
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
# Imported once by the process pool's forkserver, so that each worker starts with the model
# loaded instead of importing Mesa itself.
WORKER_MODULES = ("sim.runner", "sim.model", "sim.recording")


# --- one chunk -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ChunkTask:
    """Runs ``start .. stop-1`` of a sweep, with the encoded parameters of their points.

    ``columns`` holds one value per design point covered (first_point, first_point + 1, ...).
    ``directory``: where the worker writes the chunk's parts itself; None returns the tables to
    the parent instead (workers that do not share the sweep's file system).
    """

    index: int
    start: int
    stop: int
    replicates: int
    seed: int
    months: int
    first_point: int
    columns: dict[str, np.ndarray]
    scenarios: tuple[str, ...]
    trajectories: bool
    calibration: str | None = None  # a posterior directory: calibrated parameters drawn from it
    directory: str | None = None
    experiment: str = ""  # for the parts' metadata


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; carries the directory to resume."""

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory))
        self.directory = directory


class SweepFailed(RuntimeError):
    """A sweep stopped by a failure it can be resumed from (disk full, a worker killed)."""

    def __init__(self, directory: Path, error: BaseException) -> None:
        super().__init__(explain(error)[0])
        self.directory = directory
        self.error = error


@dataclasses.dataclass
class ChunkResult:
    """A finished chunk; its tables are None once the worker has written them."""

    index: int
    runs: int
    summary: pd.DataFrame | None
    aggregate: pa.Table | None
    trajectories: pd.DataFrame | None
    seconds: float


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate one chunk; write its parts (task.directory) or return its tables."""
    from sim.model import EscalationModel

    began = time.perf_counter()
    run_ids = np.arange(task.start, task.stop, dtype=np.int64)
    points = run_ids // task.replicates
    replicate = run_ids % task.replicates
    local = points - task.first_point
    params = _chunk_params(task.columns, local)
    particle = None
    if task.calibration:  # replicate r of every design point gets the same posterior draw
        from sim.calibration import posterior

        params, particle = posterior.override_params(
            params, posterior.load_cached(task.calibration), task.seed, replicate
        )
    model = EscalationModel(
        params,
        seeds=derive_seeds(task.seed, replicate),
        months=task.months,
        run_ids=run_ids,
        trajectories=task.trajectories,
        events=False,
    )
    histograms = task.replicates >= QUANTILE_MIN_REPLICATES
    monthly = MonthlyAggregate(local, len(task.scenarios), task.months, histograms)
    for month in range(task.months):
        model.step()
        monthly.add(model, month)
    result = model.results()
    labels = dict(
        design_point=points,
        replicate=replicate.astype(np.int32),
        scenario=np.asarray(task.scenarios, dtype=object)[local],
    )
    if particle is not None:
        labels["particle"] = particle
    summary = result.summary.assign(**labels)
    trajectories = None
    if result.trajectories is not None:
        trajectories = result.trajectories
        trajectories.insert(1, "design_point", np.repeat(points, task.months))
    chunk = ChunkResult(
        task.index, len(run_ids), summary, monthly.table(task.first_point), trajectories, 0.0
    )
    if task.directory is not None:
        write_parts(Path(task.directory), chunk, experiment=task.experiment, seed=task.seed)
        chunk.summary = chunk.aggregate = chunk.trajectories = None
    chunk.seconds = time.perf_counter() - began
    return chunk


def _chunk_params(columns: Mapping[str, np.ndarray], local: np.ndarray) -> P.ParamSet:
    """One value per run; a parameter stays a scalar where every point of the chunk agrees."""
    per_run: dict[str, float | np.ndarray] = {}
    for path, values in columns.items():
        used = values[local[0] : local[-1] + 1]
        per_run[path] = float(used[0]) if np.all(used == used[0]) else values[local]
    return P.ParamSet(per_run, local.size)


class MonthlyAggregate:
    """Per (design point, month): runs per rung, fixed-point sums, histograms, min and max.

    Histograms (for quantiles) and extremes are kept only when a design point has at least
    ``QUANTILE_MIN_REPLICATES`` runs: below that a quantile says little, and for designs with
    thousands of points and one or two replicates (Sobol, Morris) the histograms would be
    almost all zeros and cost gigabytes. Means and rung shares are always exact.

    All variables are handled together as one (variables, runs) array, so a month costs a
    handful of numpy calls whatever the number of variables.
    """

    def __init__(self, local: np.ndarray, points: int, months: int, histograms: bool) -> None:
        self.local, self.points, self.months = local, points, months
        self.runs = np.bincount(local, minlength=points)
        self.present = self.runs > 0
        # Runs of a chunk are sorted by design point: each point is one contiguous block.
        self.starts = np.searchsorted(local, np.arange(points))[self.present]
        variables = len(AGGREGATE_VARIABLES)
        low, high = np.array(list(AGGREGATE_VARIABLES.values())).T
        # bin + 1 = x * slope + intercept, truncated. The slope is smaller by a few parts in
        # 10^16 so that the top of the range (a share of exactly 1) falls in the last bin.
        self.slope = (BINS / (high - low) * (1 - 4 * np.finfo(float).eps))[:, None]
        self.intercept = 1 - low[:, None] * self.slope
        self.rungs = np.zeros((points, months, 6), dtype=np.int64)
        self.sums = np.zeros((variables, points, months), dtype=np.int64)
        # With the histograms only: the extremes say where the runs outside the bins lie.
        # Bin 0 counts runs below the range, bin BINS + 1 runs above it.
        self.hist = self.min = self.max = None
        if histograms:
            self.hist = np.zeros((variables, points, months, BINS + 2), dtype=np.int32)
            self.min = np.full((variables, points, months), np.inf)
            self.max = np.full((variables, points, months), -np.inf)
        # Index of (variable, design point) for each value, for one bincount over all variables.
        self.offsets = (np.arange(variables)[:, None] * points + local[None, :]) * (BINS + 2)
        self.x = np.empty((variables, local.size))
        self.work = np.empty_like(self.x)
        self.index = np.empty(self.x.shape, dtype=np.int64)

    def add(self, model: EscalationModel, month: int) -> None:
        rung = np.asarray(model.russia.rung, dtype=np.int64)
        self.rungs[:, month] = np.bincount(
            self.local * 6 + rung, minlength=self.points * 6
        ).reshape(self.points, 6)
        # Every step writes into buffers allocated once: fresh arrays of this size would cost a
        # page fault per 4 kB every month, more than the arithmetic itself.
        x, work, index = self.x, self.work, self.index
        for row, name in enumerate(AGGREGATE_VARIABLES):
            x[row] = _read(model, name)  # broadcasts a scalar state to every run
        np.rint(np.multiply(x, FIXED_POINT, out=work), out=work)
        np.copyto(index, work, casting="unsafe")
        present = self.present
        self.sums[:, present, month] = np.add.reduceat(index, self.starts, axis=1)
        if self.hist is None:
            return
        self.min[:, present, month] = np.minimum.reduceat(x, self.starts, axis=1)
        self.max[:, present, month] = np.maximum.reduceat(x, self.starts, axis=1)
        # Bin 0 below the range, 1..BINS inside, BINS + 1 above; truncating after the clip.
        np.add(np.multiply(x, self.slope, out=work), self.intercept, out=work)
        np.copyto(index, np.clip(work, 0, BINS + 1, out=work), casting="unsafe")
        index += self.offsets
        counts = np.bincount(index.reshape(-1), minlength=self.hist.size // self.months)
        self.hist[:, :, month] = counts.reshape(-1, self.points, BINS + 2)

    def table(self, first_point: int) -> pa.Table:
        """Long table: one row per (design point, month) that has runs in this chunk."""
        point, month = np.nonzero(
            np.broadcast_to(self.runs[:, None] > 0, (self.points, self.months))
        )
        columns: dict[str, Any] = {
            "design_point": point + first_point,
            "month": month.astype(np.int32),
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
        from sim.recording import TRAJECTORY_VARIABLES

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


def iter_merged_aggregate(parts: list[Path]) -> Iterator[pd.DataFrame]:
    """The chunk aggregates merged, one design-point range at a time (flat memory).

    Chunks hold consecutive runs, so a design point is split only across neighbouring chunks:
    its rows are carried to the next part and merged there. Integer addition, min and max are
    exact, so the result does not depend on the chunking.
    """
    carry: dict[str, np.ndarray] | None = None
    for path in parts:
        block = _block(pq.read_table(path))
        if carry is not None:
            if block["design_point"][0] == carry["design_point"][0]:
                _add_carry(carry, block)
            else:
                yield describe_aggregate(carry)
        last = block["design_point"] == block["design_point"][-1]
        carry = {name: values[last] for name, values in block.items()}
        if (~last).any():
            yield describe_aggregate({name: values[~last] for name, values in block.items()})
    if carry is not None:
        yield describe_aggregate(carry)


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


# --- the plan of a sweep -----------------------------------------------------------------------
@dataclasses.dataclass
class Plan:
    """Everything a sweep needs before it runs: the design and each point's parameters."""

    cfg: DictConfig
    design: pd.DataFrame
    values: pd.DataFrame  # encoded parameters, one row per design point
    resolved: dict[str, dict[str, Any]]  # each scenario's parameter values

    @property
    def runs(self) -> int:
        return len(self.design) * self.cfg.replicates

    @property
    def chunks(self) -> int:
        return -(-self.runs // self.cfg.chunk_size)

    def chunk_bounds(self, index: int) -> tuple[int, int]:
        start = index * self.cfg.chunk_size
        return start, min(start + self.cfg.chunk_size, self.runs)

    def task(self, index: int, directory: Path | None = None) -> ChunkTask:
        """Chunk `index`; with a directory, the worker writes its parts there."""
        start, stop = self.chunk_bounds(index)
        reps = self.cfg.replicates
        first, last = start // reps, (stop - 1) // reps
        block = self.values.iloc[first : last + 1]
        return ChunkTask(
            index=index,
            start=start,
            stop=stop,
            replicates=reps,
            seed=int(self.cfg.seed),
            months=int(self.cfg.months),
            first_point=first,
            columns={c: block[c].to_numpy() for c in block.columns},
            scenarios=tuple(self.design["scenario"].iloc[first : last + 1]),
            trajectories=bool(self.cfg.trajectories),
            calibration=self.cfg.get("calibration"),
            directory=None if directory is None else str(directory),
            experiment=str(self.cfg.name),
        )


def plan(cfg: DictConfig) -> Plan:
    """Build the design and every point's parameters; refuses bad values before any run."""
    design = build_design(cfg)
    if cfg.get("calibration"):
        from sim.calibration.posterior import check_for_sweep

        check_for_sweep(cfg.calibration, design.columns)
    resolved = scenario_values(cfg)
    return Plan(cfg, design, point_values(design, resolved), resolved)


def resolved_data(plan_: Plan) -> dict[str, Any]:
    """The experiment plus each scenario's full parameter values (what config.yaml holds), as
    plain data whose text reads back literally (``${`` escaped)."""
    data = escape_interpolations(OmegaConf.to_container(plan_.cfg, resolve=True))
    data["resolved"] = {name: _nest(values) for name, values in plan_.resolved.items()}
    return data


def resolved_config(plan_: Plan) -> DictConfig:
    """`resolved_data` as a config, to hold against a stored config.yaml."""
    return OmegaConf.create(resolved_data(plan_))


def _nest(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    nested: dict[str, dict[str, Any]] = {}
    for path, value in flat.items():
        group, name = path.split(".", 1)
        nested.setdefault(group, {})[name] = value
    return nested


def config_differences(stored: DictConfig, new: DictConfig) -> list[str]:
    """Every key whose value differs, ignoring execution-only keys (workers, executor...)."""
    a, b = (_flat_identity(c) for c in (stored, new))
    return [
        f"{k}: {a.get(k, '<missing>')!r} in the directory, {b.get(k, '<missing>')!r} now"
        for k in sorted(set(a) | set(b))
        if a.get(k, "<missing>") != b.get(k, "<missing>")
    ]


def _flat_identity(cfg: DictConfig) -> dict[str, Any]:
    data = OmegaConf.to_container(cfg, resolve=True)
    for key in EXECUTION_KEYS:
        data.pop(key, None)
    return P.flatten(data)


# --- running ---------------------------------------------------------------------------------
def part_path(directory: Path, kind: str, index: int) -> Path:
    """parts/<kind>/part-<index>.parquet: one folder per table, so that reading a folder
    (``pd.read_parquet(sweep / "parts" / "summary")``) never mixes two tables."""
    return Path(directory) / PARTS / kind / f"part-{index:06d}.parquet"


def part_kinds(cfg: DictConfig) -> tuple[str, ...]:
    """Summary last: a chunk counts as done only when every one of its parts exists."""
    return (("trajectories",) if cfg.trajectories else ()) + ("aggregate", "summary")


def done_chunks(directory: Path, plan_: Plan) -> set[int]:
    kinds = part_kinds(plan_.cfg)
    return {
        i for i in range(plan_.chunks) if all(part_path(directory, k, i).exists() for k in kinds)
    }


def new_directory(cfg: DictConfig) -> Path:
    """<output_root>/sweeps/<name>/<timestamp>; refuses a name that would lead elsewhere."""
    root = Path(cfg.output_root)
    root = root if root.is_absolute() else Path.cwd() / root
    name = check_name("name", cfg.name) if cfg.name else ""
    return check_inside(root, root / "sweeps" / name / timestamp(), key="name")


def prepare_directory(plan_: Plan, resume: str | Path | None) -> tuple[Path, set[int]]:
    """A new sweep directory, or the one to resume after checking it holds the same config."""
    if resume is None:
        directory = new_directory(plan_.cfg)
        for kind in part_kinds(plan_.cfg):
            (directory / PARTS / kind).mkdir(parents=True)
        write_text(config_yaml(resolved_data(plan_)), directory / CONFIG)
        write_table(
            plan_.design, directory / DESIGN, table="design", experiment=str(plan_.cfg.name)
        )
        return directory, set()
    directory = Path(resume)
    if not (directory / "config.yaml").exists():
        raise ConfigError(f"resume={directory}: not a sweep directory (no config.yaml)")
    check_config(directory)  # an edited config.yaml would let a resume mix two plans
    output_folder(directory, PARTS)
    stored = OmegaConf.load(directory / "config.yaml")
    check_resumable(directory, stored, plan_.cfg)
    differences = config_differences(stored, resolved_config(plan_))
    if differences:
        shown = "; ".join(differences[:3])
        more = f" (and {len(differences) - 3} more)" if len(differences) > 3 else ""
        raise ConfigError(
            f"resume={directory} holds a different config; refusing to mix: {shown}{more}"
        )
    for kind in part_kinds(plan_.cfg):
        (directory / PARTS / kind).mkdir(parents=True, exist_ok=True)
    return directory, done_chunks(directory, plan_)


def check_resumable(directory: Path, stored: DictConfig, cfg: DictConfig) -> None:
    """resume= must name a sweep of this experiment, not a run or another experiment's sweep."""
    from sim.inputs import KIND_WORDS, directory_kind

    kind = directory_kind(directory)
    if kind != "sweep" or "name" not in stored:
        what = KIND_WORDS.get(kind, "not a results directory")
        raise ConfigError(f"resume={directory} is {what}: only a sweep can be resumed")
    if stored.name != cfg.name:
        raise ConfigError(
            f"resume={directory} is a sweep of experiment {stored.name!r}, not {cfg.name!r}; "
            f"resume it with experiment={stored.name}"
        )


def run_sweep(
    cfg: DictConfig, resume: str | Path | None = None, on_chunk: Callable[[int], None] | None = None
) -> Path:
    """Run (or finish) an experiment and return its directory.

    Args:
        cfg: an experiment from ``sim.design.load_experiment``.
        resume: a directory of an interrupted sweep of the same config (default: cfg.resume).
        on_chunk: called in this process with each chunk's index after its parts are written
            (a test hook: raising there simulates an interruption).
    """
    resume = cfg.resume if resume is None else resume
    # Workers import the model (about a second) while this process plans.
    start_workers_early(cfg.executor, cfg.workers, WORKER_MODULES)
    plan_ = plan(cfg)  # every refusal happens here, before the directory exists
    directory, done = prepare_directory(plan_, resume)
    todo = [i for i in range(plan_.chunks) if i not in done]
    _write_manifest(directory, plan_, complete=False, done=len(done))
    began = time.perf_counter()
    seconds = 0.0
    try:
        with (
            _progress(plan_, done, cfg.progress) as bar,
            make_executor(cfg.executor, cfg.workers, cfg.scheduler, preload=WORKER_MODULES) as (
                executor
            ),
        ):
            writes_in_worker = workers_share_files(cfg)
            facts = dict(experiment=str(cfg.name), seed=int(cfg.seed))
            tasks = (plan_.task(i, directory if writes_in_worker else None) for i in todo)
            for result in executor.map_unordered(run_chunk, tasks):
                if result.summary is not None:
                    write_parts(directory, result, **facts)
                seconds += result.seconds
                bar.update(result.runs)
                if on_chunk is not None:
                    on_chunk(result.index)
        finish(directory, plan_)
    except KeyboardInterrupt:
        # Chunks written so far stay; the manifest still says complete: false.
        raise SweepInterrupted(directory) from None
    except Exception as error:
        if explain(error)[0] is None:
            raise
        # A full disk, a killed worker: the chunks written so far stay, and can be resumed.
        raise SweepFailed(directory, error) from error
    _write_manifest(
        directory,
        plan_,
        complete=True,
        done=plan_.chunks,
        wall_seconds=round(time.perf_counter() - began, 3),
        chunk_seconds=round(seconds, 3),
    )
    return directory


def workers_share_files(cfg: DictConfig) -> bool:
    """Whether workers see the sweep directory: local ones do, a remote Dask cluster may not."""
    return cfg.executor != "dask" or cfg.scheduler in (None, "threads")


def write_parts(directory: Path, result: ChunkResult, **facts: Any) -> None:
    """Write a chunk's parts, each atomically; the summary last (it marks the chunk done).

    `facts` (experiment, seed) go into each file's metadata beside units, version and commit.
    """
    tables = [("trajectories", result.trajectories)] if result.trajectories is not None else []
    tables += [("aggregate", result.aggregate), ("summary", result.summary)]
    for kind, table in tables:
        path = part_path(directory, kind, result.index)
        if isinstance(table, pa.Table):
            write_arrow(table, path, table=kind, chunk=result.index, **facts)
        else:
            write_table(table, path, table=kind, chunk=result.index, **facts)


def finish(directory: Path, plan_: Plan) -> None:
    """Merge the chunk aggregates into aggregate.parquet, one design-point range at a time."""
    parts = [part_path(directory, "aggregate", i) for i in range(plan_.chunks)]

    def write(tmp: Path) -> None:
        writer = None
        try:
            for frame in iter_merged_aggregate(parts):
                table = with_metadata(
                    pa.Table.from_pandas(frame, preserve_index=False),
                    table="aggregate",
                    experiment=str(plan_.cfg.name),
                    seed=int(plan_.cfg.seed),
                )
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    write_atomic(Path(directory) / AGGREGATE, write)


def _write_manifest(directory: Path, plan_: Plan, complete: bool, done: int, **timing: Any) -> None:
    cfg = plan_.cfg
    write_manifest(
        directory,
        kind="sweep",
        experiment=cfg.name,
        runs=plan_.runs,
        design_points=len(plan_.design),
        replicates=cfg.replicates,
        months=cfg.months,
        chunks=plan_.chunks,
        chunk_size=cfg.chunk_size,
        chunks_done=done,
        seeds={
            "experiment_seed": cfg.seed,
            "run_seed": "sim.rng.derive_seeds(seed, replicate)",
            "common_random_numbers": True,
        },
        executor={
            "kind": cfg.executor,
            "workers": local_workers(cfg.workers),
            "scheduler": cfg.scheduler,
        },
        **timing,
        complete=complete,
    )


def is_complete(directory: Path) -> bool:
    try:
        return bool(read_manifest(directory).get("complete"))
    except FileNotFoundError:
        return False


class _progress:
    """A tqdm bar of runs (to stderr), started at the runs already done when resuming."""

    def __init__(self, plan_: Plan, done: set[int], enabled: bool) -> None:
        from tqdm import tqdm

        initial = sum(np.subtract(*plan_.chunk_bounds(i)[::-1]) for i in done)
        self.bar = tqdm(
            total=plan_.runs,
            initial=int(initial),
            unit="run",
            unit_scale=True,
            file=sys.stderr,
            disable=not enabled,
            smoothing=0.1,
            desc=plan_.cfg.name or "sweep",
        )

    def __enter__(self) -> Any:
        return self.bar

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


class DamagedSweep(ConfigError):
    """A sweep whose manifest says complete lacks part files its plan needs (exit code 2)."""


def planned_parts(directory: Path, kind: str = "summary") -> list[Path]:
    """The part files of one kind that the sweep's plan (manifest.json `chunks`) holds.

    Files beyond the plan are never read. In a complete sweep every planned part must exist:
    analysing a subset would silently give other numbers.

    Raises:
        DamagedSweep: naming the first missing part of a complete sweep.
    """
    directory = Path(directory)
    try:
        manifest = read_manifest(directory)
        chunks = int(manifest["chunks"])
    except (OSError, ValueError, KeyError, TypeError):  # no usable manifest: what is there
        return sorted((directory / PARTS / kind).glob("part-*.parquet"))
    paths = [part_path(directory, kind, i) for i in range(chunks)]
    present = [p for p in paths if p.is_file()]
    if manifest.get("complete") is True and len(present) < len(paths):
        missing = [p for p in paths if not p.is_file()]
        raise DamagedSweep(
            f"{directory} is damaged: {len(missing)} of {len(paths)} {kind} parts are missing "
            f"(first {missing[0].relative_to(directory)}), though manifest.json says complete; "
            f"rerun them with: python -m sim sweep experiment={manifest.get('experiment')} "
            f"<the same settings> resume={directory}"
        )
    return present


def read_parts(
    directory: Path, kind: str = "summary", columns: list[str] | None = None
) -> pd.DataFrame:
    """The part files of one kind that the sweep's plan holds, in run order (see planned_parts)."""
    paths = planned_parts(directory, kind)
    if not paths:
        return pd.DataFrame(columns=columns)
    return pd.concat([pd.read_parquet(p, columns=columns) for p in paths], ignore_index=True)
