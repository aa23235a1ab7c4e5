"""Facts as data: what happened, in which months, and how a run measures it.

A facts file ``configs/facts/<name>.yaml`` (or ``<folder>/facts/<name>.yaml`` of a
``--search-path`` folder, or a path to a .yaml file) lists observable facts. Each names a
*measure* of the registry in ``sim.studies.calibration.targets`` (one number per run), its
``observed`` value, its ``period`` in calendar months (``2022-07`` or ``2022-07..2022-10``; the
measure's month arguments come from it), its ``source`` and its ``kind``:

- ``binary``: a yes/no fact (observed 0 or 1); the forecast is the share of runs whose measure
  is at least 0.5 (for a count: at least one), scored by Brier and log score;
- ``count`` or ``continuous``: the forecast is the runs' values, scored by CRPS, PIT and
  interval coverage.

Facts that measure the same quantity over periods of equal length share a ``series``; the
reference forecasts of a fact (``sim.studies.references``) come from the earlier facts of its
series. A fact with a ``tolerance`` can also be a calibration target (``calibration=auto``).

An ``events`` block turns an event file (ICEWS, GDELT or CSV, read by ``sim.eventdata``) into
count facts: one per month, directed dyad and quantity (all events, a quad class, a CAMEO root
code, or the Goldstein sum, which is continuous), each series being one dyad and quantity.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.errors import CalibrationError, first_line
from sim.eventdata import readers as eventdata
from sim.studies.calibration.targets import (
    MEASURES,
    RunTables,
    check_recorded,
    measure,
    unrecorded,
)
from sim.studies.fact_files import FactsError, resolve
from sim.studies.file_fields import check_known_keys, finite_number

KINDS = ("binary", "count", "continuous")
#: Month 0 of every run.
FIRST_MONTH = pd.Period("2022-03", freq="M")
MONTH_ARGS = ("first", "last", "month")
FACT_KEYS = (
    "name",
    "measure",
    "args",
    "observed",
    "period",
    "source",
    "kind",
    "series",
    "tolerance",
    "support",
    "doc",
)
FILE_KEYS = ("description", "scenario", "months", "cutoff", "targets", "facts", "events")
EVENT_KEYS = (
    "file", "format", "dyads", "quantities", "period", "source", "tolerance", "recorded",
)  # fmt: skip
#: The event file shipped with the package, as `events.file: example` names it.
EXAMPLE = "example"


# --- months --------------------------------------------------------------------------------------
def month_index(text: Any, where: str) -> int:
    """'YYYY-MM' -> the run month (0 = March 2022); may be negative or beyond the horizon."""
    try:
        period = pd.Period(str(text).strip(), freq="M")
    except (ValueError, TypeError):
        raise FactsError(f"{where} = {text!r} is not allowed: expected a month YYYY-MM") from None
    if not _is_month_text(str(text)):
        raise FactsError(f"{where} = {text!r} is not allowed: expected a month YYYY-MM")
    return (period - FIRST_MONTH).n


def _is_month_text(text: str) -> bool:
    parts = text.strip().split("-")
    return len(parts) == 2 and len(parts[0]) == 4 and parts[0].isdigit() and parts[1].isdigit()


def month_label(month: int) -> str:
    """Run month -> 'YYYY-MM'."""
    return str(FIRST_MONTH + int(month))


def parse_period(text: Any, where: str) -> tuple[int, int]:
    """'YYYY-MM' or 'YYYY-MM..YYYY-MM' -> (first, last) run months."""
    first_text, _, last_text = str(text).partition("..")
    first = month_index(first_text, where)
    last = month_index(last_text, where) if last_text else first
    if last < first:
        raise FactsError(f"{where} = {text!r} is not allowed: the period ends before it starts")
    return first, last


# --- facts ---------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Fact:
    """One observed fact: a measure over months first..last and what was observed."""

    name: str
    measure: str
    args: Mapping[str, Any]
    observed: float
    first: int
    last: int
    source: str
    kind: str
    series: str | None = None
    tolerance: float | None = None
    support: tuple[float, float] | None = None
    doc: str = ""

    @property
    def period(self) -> str:
        first, last = month_label(self.first), month_label(self.last)
        return first if first == last else f"{first}..{last}"

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def measure_args(self) -> dict[str, Any]:
        """The measure's arguments with the months of the period filled in."""
        accepted = inspect.signature(MEASURES[self.measure]).parameters
        args = dict(self.args)
        if "first" in accepted:
            args.update(first=self.first, last=self.last)
        else:
            args["month"] = self.last
        return args

    def evaluate(self, tables: RunTables) -> np.ndarray:
        """The measure, one value per run."""
        return np.asarray(MEASURES[self.measure](tables, **self.measure_args()), dtype=float)

    def outcome(self, values: np.ndarray) -> np.ndarray:
        """A binary fact's yes/no per run (measure at least 0.5); other kinds: the values."""
        values = np.asarray(values, float)
        return (values >= 0.5).astype(float) if self.kind == "binary" else values


@dataclasses.dataclass(frozen=True)
class FactSet:
    """A facts file: what to simulate, the default cut-off, the priors' targets file, facts."""

    name: str
    path: Path
    description: str
    scenario: str
    months: int
    cutoff: int | None
    targets: str | None
    facts: tuple[Fact, ...]

    @property
    def span(self) -> tuple[int, int]:
        """The first and last month of any fact."""
        return min(f.first for f in self.facts), max(f.last for f in self.facts)

    def known(self, cutoff: int) -> list[Fact]:
        """The facts whose period ends by the cut-off: what was known then."""
        return [f for f in self.facts if f.last <= cutoff]

    def scored(self, cutoff: int) -> list[Fact]:
        """The facts whose period starts after the cut-off: what is forecast."""
        return [f for f in self.facts if f.first > cutoff]


# --- reading a facts file ---------------------------------------------------------------------
def load(name: str) -> FactSet:
    """Read and check a facts file; raise FactsError naming the bad key."""
    path = resolve(name)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise FactsError(f"{path}: not valid YAML ({first_line(error)})") from None
    if not isinstance(data, dict):
        raise FactsError(f"{path}: empty facts file (expected keys {', '.join(FILE_KEYS)})")
    check_known_keys(data, FILE_KEYS, str(path), FactsError)
    raw_facts = data.get("facts") or []
    if not isinstance(raw_facts, list):
        raise FactsError(f"{path}: facts = {raw_facts!r}: expected a list of facts")
    facts = [_fact(raw, i, path) for i, raw in enumerate(raw_facts)]
    if data.get("events") is not None:
        facts += event_facts(data["events"], path)
    if not facts:
        raise FactsError(f"{path}: no facts: expected a list `facts` or an `events` block")
    _check_names(facts, path)
    _check_series(facts, path)
    months = data.get("months", 8)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 600:
        raise FactsError(f"{path}: months = {months!r}: expected an integer in [1, 600]")
    cutoff = data.get("cutoff")
    return FactSet(
        name=path.stem,
        path=path,
        description=str(data.get("description", "")).strip(),
        scenario=str(data.get("scenario", "baseline")),
        months=months,
        cutoff=None if cutoff is None else month_index(cutoff, f"{path}: cutoff"),
        targets=None if data.get("targets") is None else str(data["targets"]),
        facts=tuple(facts),
    )


def _fact(raw: Any, index: int, path: Path) -> Fact:
    where = f"{path}: facts[{index}]"
    if not isinstance(raw, dict):
        raise FactsError(f"{where}: expected a mapping with keys {', '.join(FACT_KEYS)}")
    check_known_keys(raw, FACT_KEYS, where, FactsError)
    for key in ("name", "measure", "observed", "period", "source", "kind"):
        if raw.get(key) in (None, ""):
            raise FactsError(f"{where}: {key} is missing")
    where = f"{path}: fact {raw['name']!r}"
    name, measure_name, kind = str(raw["name"]), str(raw["measure"]), str(raw["kind"])
    if measure_name not in MEASURES:
        raise FactsError(
            f"{where}.measure = {measure_name!r} is not allowed: expected one of "
            f"{', '.join(sorted(MEASURES))}"
        )
    if kind not in KINDS:
        raise FactsError(f"{where}.kind = {kind!r} is not allowed: expected one of {KINDS}")
    args = dict(raw.get("args") or {})
    _check_args(measure_name, args, where)
    first, last = parse_period(raw["period"], f"{where}.period")
    if "first" not in inspect.signature(MEASURES[measure_name]).parameters and first != last:
        raise FactsError(
            f"{where}.period = {raw['period']!r} is not allowed: {measure_name} measures one "
            "month; give a single month YYYY-MM"
        )
    observed = finite_number(raw["observed"])
    if observed is None:
        raise FactsError(f"{where}.observed = {raw['observed']!r}: expected a number")
    if kind == "binary" and observed not in (0.0, 1.0):
        raise FactsError(f"{where}.observed = {raw['observed']!r}: a binary fact is 0 or 1")
    return Fact(
        name=name,
        measure=measure_name,
        args=args,
        observed=observed,
        first=first,
        last=last,
        source=str(raw["source"]).strip(),
        kind=kind,
        series=None if raw.get("series") is None else str(raw["series"]),
        tolerance=_tolerance(raw.get("tolerance"), where),
        support=_support(raw.get("support"), where),
        doc=str(raw.get("doc", "")).strip(),
    )


def _check_args(measure_name: str, args: dict[str, Any], where: str) -> None:
    accepted = list(inspect.signature(MEASURES[measure_name]).parameters)[1:]
    for key in args:
        if key in MONTH_ARGS:
            raise FactsError(
                f"{where}.args.{key}: the months come from the fact's period; remove {key}"
            )
        if key not in accepted:
            raise FactsError(
                f"{where}.args.{key}: {measure_name} takes no argument {key!r}; it takes "
                f"{', '.join(a for a in accepted if a not in MONTH_ARGS)}"
            )


def _tolerance(value: Any, where: str) -> float | None:
    if value is None:
        return None
    number = finite_number(value)
    if number is None or number <= 0:
        raise FactsError(f"{where}.tolerance = {value!r}: expected a positive number")
    return number


def _support(value: Any, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    numbers = [finite_number(v) for v in value] if isinstance(value, list) else []
    if len(numbers) != 2 or None in numbers or numbers[0] >= numbers[1]:
        raise FactsError(f"{where}.support = {value!r}: expected [low, high] with low < high")
    return float(numbers[0]), float(numbers[1])


def _check_names(facts: Sequence[Fact], path: Path) -> None:
    seen: set[str] = set()
    for fact in facts:
        if fact.name in seen:
            raise FactsError(f"{path}: fact names must be unique; {fact.name!r} repeats")
        seen.add(fact.name)


def _check_series(facts: Sequence[Fact], path: Path) -> None:
    """A series is one quantity: the same kind and period length throughout."""
    first_of: dict[str, Fact] = {}
    for fact in facts:
        if fact.series is None:
            continue
        other = first_of.setdefault(fact.series, fact)
        if (other.kind, other.length) != (fact.kind, fact.length):
            raise FactsError(
                f"{path}: series {fact.series!r} mixes {other.name!r} ({other.kind}, "
                f"{other.length} months) and {fact.name!r} ({fact.kind}, {fact.length} months); "
                "a series needs one kind and one period length"
            )


# --- facts from an event file --------------------------------------------------------------------
@measure
def dyad_events(
    tables: RunTables,
    dyad: str,
    quantity: str,
    first: int,
    last: int,
    recorded: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Events of a directed dyad in months first..last, counted as observed events are counted
    (``sim.eventdata.readers.monthly_aggregates``): quantity ``events``, ``quad_1``..``quad_4``,
    ``root_01``..``root_20`` or ``goldstein`` (the sum of Goldstein weights). `recorded`, as for
    ``cameo_events``: the events of an action count only as often as the file records them."""
    for column in ("run_id", "month", "actor", "target", "cameo", "goldstein"):
        tables._need(tables.events, "events", column)
    if quantity not in eventdata.MEASURES:
        raise CalibrationError(
            f"quantity = {quantity!r} is not allowed: expected one of "
            f"{', '.join(eventdata.MEASURES)}"
        )
    events = tables.events
    if recorded:
        events = events[~unrecorded(tables, first, last, recorded)]
    table = eventdata.monthly_aggregates(
        events, range(first, last + 1), [dyad], runs=range(tables.runs)
    )
    sums = table.groupby("run_id")[quantity].sum()
    return sums.reindex(range(tables.runs), fill_value=0).to_numpy(dtype=float)


def event_facts(block: Any, path: Path) -> list[Fact]:
    """Count facts (continuous for the Goldstein sum) from an event file, one per month,
    dyad and quantity."""
    where = f"{path}: events"
    if not isinstance(block, dict):
        raise FactsError(f"{where}: expected a mapping with keys {', '.join(EVENT_KEYS)}")
    check_known_keys(block, EVENT_KEYS, where, FactsError)
    for key in ("file", "dyads", "quantities", "period", "source"):
        if block.get(key) in (None, "", []):
            raise FactsError(f"{where}: {key} is missing")
    file = eventdata.EXAMPLE_EVENTS if block["file"] == EXAMPLE else Path(str(block["file"]))
    if not file.is_absolute() and block["file"] != EXAMPLE:
        file = (path.parent / file).resolve()
    fmt = block.get("format")
    if fmt is not None and fmt not in eventdata.FORMATS:
        raise FactsError(f"{where}.format = {fmt!r}: expected one of {eventdata.FORMATS}")
    try:
        events, _ = eventdata.read_events(file, fmt)
        dyads = [eventdata.parse_dyad(d) for d in _as_list(block["dyads"])]
    except (eventdata.EventFileError, ValueError, OSError) as error:
        raise FactsError(f"{where}: {first_line(error)}") from None
    quantities = [str(q) for q in _as_list(block["quantities"])]
    for quantity in quantities:
        if quantity not in eventdata.MEASURES:
            raise FactsError(
                f"{where}.quantities: {quantity!r} is not allowed: expected some of "
                f"{', '.join(eventdata.MEASURES)}"
            )
    first, last = parse_period(block["period"], f"{where}.period")
    table = eventdata.monthly_aggregates(events, range(first, last + 1), dyads)
    tolerance = _tolerance(block.get("tolerance"), where)
    recorded = block.get("recorded")
    try:
        check_recorded(where, recorded)
    except CalibrationError as error:
        raise FactsError(str(error)) from None
    extra = {"recorded": dict(recorded)} if recorded else {}
    facts = []
    for row in table.itertuples(index=False):
        for quantity in quantities:
            series = f"{row.dyad}:{quantity}"
            facts.append(
                Fact(
                    name=f"{series}:{month_label(row.month)}",
                    measure="dyad_events",
                    args={"dyad": row.dyad, "quantity": quantity, **extra},
                    observed=float(getattr(row, quantity)),
                    first=int(row.month),
                    last=int(row.month),
                    source=f"{file.name}: {str(block['source']).strip()}",
                    kind="continuous" if quantity == "goldstein" else "count",
                    series=series,
                    tolerance=tolerance,
                )
            )
    return facts


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]
