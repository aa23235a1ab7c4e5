"""Calibration targets as data: what was observed, how a run measures it, and how sure we are.

A targets file ``configs/targets/<name>.yaml`` names the scenario and horizon to simulate, the
calibrated parameters with their priors (``sim.studies.calibration.priors``), and a list of targets.
Each target names a *measure*: a function registered here that turns the tables of a batch of
runs (summary, trajectories, events, and the runs' parameters) into one number per run. The
measures read columns by name and say which column is missing when one is, so a targets file
written for another model version fails with one clear line.

Where Model v2 records a better column (summary ``pipeline_halts_russia``, events ``cause``),
a measure uses it when it is there and falls back on today's columns otherwise.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from sim.config import CONFIG_DIR
from sim.errors import CalibrationError, first_line
from sim.model.ladder import Action, Actor, Demand
from sim.model.params import PARAMS_BY_PATH, ParamSet
from sim.model.rng import RunStreams
from sim.model.uncertainty import UNCERTAIN
from sim.studies.file_fields import check_known_keys, finite_number

if TYPE_CHECKING:  # only annotations: `calibrate --help` and its usage errors need no pandas
    import pandas as pd

    from sim.engine.chunks import Chunk, EnsembleTables
    from sim.model.escalation import EnsembleResult

TARGETS_DIR = CONFIG_DIR / "targets"
#: `parameters: uncertain` calibrates every parameter of sim.model.uncertainty.UNCERTAIN.
UNCERTAIN_KEYWORD = "uncertain"


# --- the tables a measure reads ------------------------------------------------------------------
@dataclasses.dataclass
class RunTables:
    """The tables of one batch of runs, with run ids 0..R-1 (the row order of the summary)."""

    summary: pd.DataFrame
    trajectories: pd.DataFrame | None
    events: pd.DataFrame | None
    params: ParamSet
    months: int
    seeds: np.ndarray | None = None  # the runs' seeds: what a measure's own draws are keyed by

    @property
    def runs(self) -> int:
        return len(self.summary)

    def series(self, variable: str) -> np.ndarray:
        """A trajectory variable as an (R, months) array (the model writes runs in order)."""
        frame = self._need(self.trajectories, "trajectories", variable)
        return frame[variable].to_numpy(dtype=float).reshape(self.runs, -1)

    def column(self, variable: str) -> np.ndarray:
        """A summary column, one value per run."""
        return self._need(self.summary, "summary", variable)[variable].to_numpy(dtype=float)

    def event_counts(self, mask: np.ndarray) -> np.ndarray:
        """Per run, how many of the events selected by `mask` it has."""
        runs = self.events["run_id"].to_numpy()[mask]
        return np.bincount(runs, minlength=self.runs).astype(float)

    def events_where(self, first: int, last: int, **equal: str) -> np.ndarray:
        """A mask of the events in months first..last whose columns equal the given values."""
        frame = self.events
        for column in ("month", *equal):
            self._need(frame, "events", column)
        month = frame["month"].to_numpy()
        mask = (month >= first) & (month <= last)
        for column, value in equal.items():
            mask &= _equal(frame[column], value)
        return mask

    def param(self, path: str) -> np.ndarray:
        """A parameter's value per run (the model's encoded float)."""
        if path not in self.params.columns:
            raise CalibrationError(f"no model parameter {path!r} (a measure's base_param)")
        return np.broadcast_to(np.asarray(self.params.columns[path], dtype=float), (self.runs,))

    @staticmethod
    def _need(frame: pd.DataFrame | None, table: str, column: str) -> pd.DataFrame:
        if frame is None:
            raise CalibrationError(f"the {table} table was not recorded (needed for {column!r})")
        if column not in frame.columns:
            close = difflib.get_close_matches(column, list(map(str, frame.columns)), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise CalibrationError(f"the {table} table has no column {column!r}{hint}")
        return frame


def measured_tables(result: EnsembleResult | EnsembleTables, chunk: Chunk) -> RunTables:
    """A chunk's tables as the measures read them (with its parameters and months); its runs
    are numbered from 0, so the measures see a batch of runs, not their place in a study."""
    return RunTables(
        result.summary, result.trajectories, result.events, chunk.params, chunk.months, chunk.seeds
    )


def _equal(column: pd.Series, value: str) -> np.ndarray:
    """column == value, on a categorical's codes where it is one (much faster on many events)."""
    if isinstance(column.dtype, __import__("pandas").CategoricalDtype):
        categories = list(column.cat.categories)
        if value not in categories:
            return np.zeros(len(column), dtype=bool)
        return column.cat.codes.to_numpy() == categories.index(value)
    return (column == value).to_numpy()


# --- the registry of measures --------------------------------------------------------------------
Measure = Callable[..., np.ndarray]
MEASURES: dict[str, Measure] = {}


def measure(function: Measure) -> Measure:
    """Register a measure under its function name (a targets file names it so)."""
    MEASURES[function.__name__] = function
    return function


def _window(series: np.ndarray, first: int, last: int) -> np.ndarray:
    if not 0 <= first <= last < series.shape[1]:
        raise CalibrationError(
            f"months {first}..{last} are not within the simulated months 0..{series.shape[1] - 1}"
        )
    return series[:, first : last + 1]


@measure
def russia_halts(tables: RunTables, first: int, last: int) -> np.ndarray:
    """Russia-attributable CPC disruptions started in months first..last.

    Uses the events' ``cause`` ("coercion") where the model records it (v2); otherwise every
    pipeline halt counts, as today's model starts halts only by Russian decision.
    """
    if tables.events is not None and "cause" in tables.events.columns:
        mask = tables.events_where(first, last, action="pipeline_halt", cause="coercion")
        return tables.event_counts(mask)
    if tables.events is None and first == 0 and last == tables.months - 1:
        name = "pipeline_halts_russia" if "pipeline_halts_russia" in tables.summary else None
        return tables.column(name or "pipeline_halts")
    return tables.event_counts(tables.events_where(first, last, action="pipeline_halt"))


@measure
def value_at(tables: RunTables, variable: str, month: int) -> np.ndarray:
    """A trajectory variable in one month."""
    return _window(tables.series(variable), month, month)[:, 0]


@measure
def mean_over(tables: RunTables, variable: str, first: int, last: int) -> np.ndarray:
    """The mean of a trajectory variable over months first..last."""
    return _window(tables.series(variable), first, last).mean(axis=1)


@measure
def max_over(tables: RunTables, variable: str, first: int, last: int) -> np.ndarray:
    """The largest value of a trajectory variable over months first..last (e.g. the rung)."""
    return _window(tables.series(variable), first, last).max(axis=1)


@measure
def always_above(
    tables: RunTables, variables: list[str], first: int, last: int, threshold: float = 0.5
) -> np.ndarray:
    """1 if every listed variable stays above `threshold` in every month first..last, else 0."""
    inside = [(_window(tables.series(v), first, last) > threshold).all(axis=1) for v in variables]
    return np.logical_and.reduce(inside).astype(float)


@measure
def always_below(
    tables: RunTables, variable: str, first: int, last: int, threshold: float
) -> np.ndarray:
    """1 if a trajectory variable stays below `threshold` in every month first..last, else 0."""
    return (_window(tables.series(variable), first, last) < threshold).all(axis=1).astype(float)


@measure
def growth_over(
    tables: RunTables,
    variable: str,
    first: int,
    last: int,
    base_param: str,
    months_before: int = 0,
) -> np.ndarray:
    """Growth of a monthly flow over a period against the same months at the `base_param` level.

    ``months_before`` months before month 0 (e.g. January-February 2022) are taken at the base
    level, as the model starts in March 2022.
    """
    base = tables.param(base_param)
    window = _window(tables.series(variable), first, last)
    months = months_before + window.shape[1]
    return (months_before * base + window.sum(axis=1)) / (months * base) - 1.0


@measure
def calendar_total(
    tables: RunTables,
    variable: str,
    first: int,
    last: int,
    base_param: str,
    months_before: int = 0,
    months_after: int = 0,
) -> np.ndarray:
    """The yearly total of a variable recorded as an annual rate (e.g. corridor cargo, Mt/year).

    Months first..last come from the run; ``months_before`` months at the `base_param` rate
    (before the model starts) and ``months_after`` months at the rate of month `last` (after
    the last observation) complete the year.
    """
    window = _window(tables.series(variable), first, last)
    before = months_before * tables.param(base_param)
    after = months_after * window[:, -1]
    return (before + window.sum(axis=1) + after) / 12.0


@measure
def any_event(
    tables: RunTables, action: str, first: int, last: int, actor: str | None = None
) -> np.ndarray:
    """1 if the run has at least one event `action` (by `actor`, if given) in months first..last."""
    equal = {"action": action} | ({"actor": actor} if actor else {})
    return (tables.event_counts(tables.events_where(first, last, **equal)) > 0).astype(float)


@measure
def event_count(
    tables: RunTables, action: str, first: int, last: int, actor: str | None = None
) -> np.ndarray:
    """How many events `action` (by `actor`, if given) the run has in months first..last."""
    equal = {"action": action} | ({"actor": actor} if actor else {})
    return tables.event_counts(tables.events_where(first, last, **equal))


@measure
def cameo_events(
    tables: RunTables,
    actor: str,
    target: str,
    roots: list[str],
    first: int,
    last: int,
    recorded: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Events from `actor` to `target` in months first..last whose CAMEO root code (the
    first two digits) is one of `roots`: the counts event datasets report, per run.

    `recorded` maps an action to the parameter that gives the share of its events an event
    file records (``eventfile.refusals_recorded``): each such event counts with that chance,
    drawn per event from the run's seed, so a run's count is the same in any batch."""
    frame = tables.events
    mask = tables.events_where(first, last, actor=actor, target=target)
    cameo = frame["cameo"].cat  # per category, not per event: there are few codes, many events
    wanted = np.array([str(c)[:2] in {str(r).zfill(2) for r in roots} for c in cameo.categories])
    codes = cameo.codes.to_numpy()
    mask &= (codes >= 0) & wanted[np.maximum(codes, 0)]
    return tables.event_counts(mask & ~unrecorded(tables, first, last, recorded))


RECORDED_STREAM = "event_file_record"


def unrecorded(
    tables: RunTables, first: int, last: int, recorded: Mapping[str, str] | None
) -> np.ndarray:
    """A mask of the events in months first..last that an event file misses: `recorded` maps
    an action to the parameter giving the share of its events the file records (no mapping:
    the file records every event)."""
    missed = np.zeros(len(tables.events), dtype=bool)
    for action, share in (recorded or {}).items():
        missed |= _missed(tables, tables.events_where(first, last, action=action), share)
    return missed


def _missed(tables: RunTables, selected: np.ndarray, share: str) -> np.ndarray:
    """Which of the `selected` events the event file misses: event k of its run and month is
    recorded when the run's uniform number (stream RECORDED_STREAM, that month, draw k) falls
    below the run's value of parameter `share`."""
    if tables.seeds is None:
        raise CalibrationError("the runs' seeds are needed to thin events by a recorded share")
    index = np.flatnonzero(selected)
    run = tables.events["run_id"].to_numpy()[index]
    month = tables.events["month"].to_numpy()[index].astype(np.int64)
    order = np.lexsort((month, run))  # stable: a run's events keep the model's order
    index, run, month = index[order], run[order], month[order]
    starts = np.flatnonzero(np.r_[True, (run[1:] != run[:-1]) | (month[1:] != month[:-1])])
    draw = np.arange(len(index)) - np.repeat(starts, np.diff(np.r_[starts, len(index)]))
    chance = tables.param(share)
    streams = RunStreams(tables.seeds)
    missed = np.zeros(len(selected), dtype=bool)
    for m, k in sorted(set(zip(month.tolist(), draw.tolist(), strict=True))):
        at = np.flatnonzero((month == m) & (draw == k))
        u = streams.uniform(RECORDED_STREAM, m, k, runs=run[at])
        missed[index[at]] = u >= chance[run[at]]
    return missed


@measure
def refusal_share(tables: RunTables, demand: str, first: int, last: int) -> np.ndarray:
    """Share of Kazakhstan's answers to demands of this content that are refusals (v2).

    A run that answered no such demand in months first..last counts 0: it showed no refusal.
    """
    refused = tables.event_counts(
        tables.events_where(first, last, action="kazakh_resist", demand=demand)
    )
    complied = tables.event_counts(
        tables.events_where(first, last, action="kazakh_comply", demand=demand)
    )
    answers = refused + complied
    return np.divide(refused, answers, out=np.zeros_like(refused), where=answers > 0)


@measure
def first_event_month(
    tables: RunTables, action: str, actor: str, first: int, last: int
) -> np.ndarray:
    """The first month in first..last with event `action` by `actor`; last + 1 if none."""
    mask = tables.events_where(first, last, action=action, actor=actor)
    months = np.full(tables.runs, float(last + 1))
    runs, month = tables.events["run_id"].to_numpy()[mask], tables.events["month"].to_numpy()[mask]
    np.minimum.at(months, runs, month.astype(float))
    return months


# --- the targets file ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Target:
    """One observed fact: its measure on a run, the observed value and how far off is too far."""

    name: str
    measure: str
    args: Mapping[str, Any]
    observed: float
    tolerance: float
    period: str
    source: str
    doc: str = ""

    def evaluate(self, tables: RunTables, measures: Mapping[str, Measure] = MEASURES) -> np.ndarray:
        """The measure, one value per run."""
        return np.asarray(measures[self.measure](tables, **self.args), dtype=float)


@dataclasses.dataclass(frozen=True)
class TargetSet:
    """A targets file: what to simulate, which parameters to calibrate, and the targets."""

    name: str
    path: Path
    description: str
    scenario: str
    months: int
    parameters: Mapping[str, Mapping[str, Any]]
    targets: tuple[Target, ...]

    @property
    def observed(self) -> np.ndarray:
        return np.array([t.observed for t in self.targets])

    @property
    def tolerance(self) -> np.ndarray:
        return np.array([t.tolerance for t in self.targets])

    def measures(self) -> dict[str, Measure]:
        """The targets' measure functions by name.

        A worker that unpickles the functions themselves imports the modules that define them
        (``sim.studies.facts`` adds measures to the registry), where a name alone would find
        only the measures of this module.
        """
        return {t.measure: MEASURES[t.measure] for t in self.targets}

    def evaluate(self, tables: RunTables, measures: Mapping[str, Measure] = MEASURES) -> np.ndarray:
        """Every target measured on every run: an (R, targets) array."""
        columns = []
        for target in self.targets:
            try:
                columns.append(target.evaluate(tables, measures))
            except CalibrationError as error:
                raise CalibrationError(f"{self.name}: target {target.name!r}: {error}") from None
        return np.column_stack(columns)


TARGET_KEYS = ("name", "measure", "args", "observed", "tolerance", "period", "source", "doc")
FILE_KEYS = ("description", "scenario", "months", "parameters", "targets")


def available() -> list[str]:
    return sorted(p.stem for p in TARGETS_DIR.glob("*.yaml"))


def resolve(name: str) -> Path:
    """The targets file for a name in configs/targets/, or a path to a YAML file."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    candidate = TARGETS_DIR / f"{name}.yaml"
    if candidate.is_file():
        return candidate
    raise CalibrationError(
        f"targets = {name!r} is not allowed: expected one of {', '.join(available())} "
        f"(configs/targets/) or a path to a .yaml file"
    )


def load(name: str) -> TargetSet:
    """Read and check a targets file; raise CalibrationError naming the bad key."""
    path = resolve(name)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise CalibrationError(f"{path}: not valid YAML ({first_line(error)})") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: empty targets file (expected keys {', '.join(FILE_KEYS)})")
    check_known_keys(data, FILE_KEYS, str(path))
    raw_targets = data.get("targets") or []
    if not isinstance(raw_targets, list) or not raw_targets:
        raise CalibrationError(f"{path}: targets is empty: expected a list of at least one target")
    months = data.get("months", 8)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 600:
        raise CalibrationError(f"{path}: months = {months!r}: expected an integer in [1, 600]")
    targets = tuple(_target(raw, i, path, months) for i, raw in enumerate(raw_targets))
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise CalibrationError(f"{path}: target names must be unique, got {names}")
    parameters = data.get("parameters") or {}
    if parameters == UNCERTAIN_KEYWORD:  # the table's uncertain parameters, ranges and reasons
        parameters = {
            path: {"low": u.low, "high": u.high, "why": u.why} for path, u in UNCERTAIN.items()
        }
    elif not isinstance(parameters, dict) or not parameters:
        raise CalibrationError(
            f"{path}: parameters is empty: expected '{UNCERTAIN_KEYWORD}' (every parameter the "
            "table marks uncertain) or a mapping of parameter paths to priors"
        )
    return TargetSet(
        name=path.stem,
        path=path,
        description=str(data.get("description", "")).strip(),
        scenario=str(data.get("scenario", "baseline")),
        months=months,
        parameters={str(k): dict(v or {}) for k, v in parameters.items()},
        targets=targets,
    )


def _target(raw: Any, index: int, path: Path, months: int) -> Target:
    where = f"{path}: targets[{index}]"
    if not isinstance(raw, dict):
        raise CalibrationError(f"{where}: expected a mapping with keys {', '.join(TARGET_KEYS)}")
    check_known_keys(raw, TARGET_KEYS, where)
    for key in ("name", "measure", "observed", "tolerance", "period", "source"):
        if raw.get(key) in (None, ""):
            raise CalibrationError(f"{where}: {key} is missing")
    name = str(raw["name"])
    measure_name = str(raw["measure"])
    if measure_name not in MEASURES:
        raise CalibrationError(
            f"{where}.measure = {measure_name!r} is not allowed: expected one of "
            f"{', '.join(sorted(MEASURES))}"
        )
    args = dict(raw.get("args") or {})
    accepted = list(inspect.signature(MEASURES[measure_name]).parameters)[1:]
    for key in args:
        if key not in accepted:
            raise CalibrationError(
                f"{where}.args.{key}: {measure_name} takes no argument {key!r}; "
                f"it takes {', '.join(accepted)}"
            )
    _check_args(f"{where}.args", MEASURES[measure_name], args, months)
    observed, tolerance = finite_number(raw["observed"]), finite_number(raw["tolerance"])
    if observed is None:
        raise CalibrationError(f"{where}.observed = {raw['observed']!r}: expected a number")
    if tolerance is None or tolerance <= 0:
        raise CalibrationError(
            f"{where}.tolerance = {raw['tolerance']!r}: expected a positive number"
        )
    return Target(
        name=name,
        measure=measure_name,
        args=args,
        observed=observed,
        tolerance=tolerance,
        period=str(raw["period"]),
        source=str(raw["source"]),
        doc=str(raw.get("doc", "")).strip(),
    )


#: The names an event measure may select on, as the events table spells them. An event
#: measure given a name the model never writes would silently count nothing (review 2, D4).
EVENT_NAMES: dict[str, list[str]] = {
    "actor": [a.label for a in Actor],  # as sim.model.event_log writes them
    "action": [a.name.lower() for a in Action],
    "demand": [d.name.lower() for d in Demand],
}


def _check_args(where: str, function: Measure, args: Mapping[str, Any], months: int) -> None:
    """Every required argument given; months inside 0..months-1, first <= last; event names
    known. Raise CalibrationError naming the argument, its value and what is allowed."""
    signature = inspect.signature(function).parameters
    for name, parameter in list(signature.items())[1:]:
        if parameter.default is inspect.Parameter.empty and name not in args:
            raise CalibrationError(f"{where}.{name} is missing")
    for name in ("first", "last", "month"):
        value = args.get(name)
        if name in args and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < months
        ):
            raise CalibrationError(
                f"{where}.{name} = {value!r} is not allowed: expected a month in "
                f"[0, {months - 1}] (the targets file simulates months: {months})"
            )
    if "first" in args and "last" in args and args["first"] > args["last"]:
        raise CalibrationError(
            f"{where}.last = {args['last']!r} is not allowed: expected at least "
            f"first = {args['first']!r}"
        )
    for name, names in EVENT_NAMES.items():
        if args.get(name) is not None and args[name] not in names:
            raise CalibrationError(
                f"{where}.{name} = {args[name]!r} is not allowed: expected one of "
                f"{', '.join(names)}"
            )
    check_recorded(where, args.get("recorded"))


def check_recorded(where: str, recorded: Any) -> None:
    """`recorded` maps event actions to the parameters that give the share recorded."""
    if recorded is None:
        return
    if not isinstance(recorded, Mapping):
        raise CalibrationError(
            f"{where}.recorded = {recorded!r} is not allowed: expected a mapping of an action "
            "to the parameter that gives the share of its events recorded"
        )
    for action, share in recorded.items():
        if action not in EVENT_NAMES["action"]:
            raise CalibrationError(
                f"{where}.recorded.{action} is not allowed: expected one of "
                f"{', '.join(EVENT_NAMES['action'])}"
            )
        param = PARAMS_BY_PATH.get(share)
        if param is None or param.choices or not (param.low >= 0 and param.high <= 1):
            raise CalibrationError(
                f"{where}.recorded.{action} = {share!r} is not allowed: expected a model "
                "parameter path (a share in [0, 1]), e.g. eventfile.refusals_recorded"
            )
