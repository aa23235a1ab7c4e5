"""Observed event data: read ICEWS, GDELT and plain CSV event files, and aggregate events by month.

Researchers in this field hold events coded in CAMEO (Conflict and Mediation Event Observations)
with a Goldstein (1992) weight each. This module reads the three common layouts into one table
with the columns the model's own event log has, so that observed and simulated events can be
counted the same way:

- ICEWS coded event files (Integrated Crisis Early Warning System, published on Harvard
  Dataverse): tab-separated with a header row (`Event ID`, `Event Date`, `Source Name`, ...,
  `CAMEO Code`, `Intensity`, `Target Name`, ...);
- GDELT 1.0 and 2.0 event files (the GDELT Project): tab-separated without a header, 57, 58 or
  61 columns as the codebooks list them (`GLOBALEVENTID`, `SQLDATE`, ..., `SOURCEURL`);
- a plain CSV of our own: `date,source,target,cameo,goldstein[,description,source_url]`.

Actors are mapped to the model's five (Russia, Kazakhstan, China, Turkey, EU; an EU member state
counts as the EU); events with any other actor or target are dropped and counted, as are lines
with the wrong number of fields and rows whose date, CAMEO code or Goldstein weight cannot be
read. Nothing here downloads anything.

Aggregates (per month and directed dyad: all events, events by CAMEO root code and by quad class,
the sum of Goldstein weights) are computed by one function for both kinds of table, and
`MEASUREMENTS` names the functions a calibration can call on an events table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

#: The model's actors, in its own order and spelling (sim.model.ladder.Actor labels).
ACTORS: tuple[str, ...] = ("Russia", "Kazakhstan", "China", "Turkey", "EU")
#: The 2022 example shipped with the package (sim/data/, installed with the wheel).
EXAMPLE_EVENTS = Path(__file__).resolve().parents[1] / "data" / "events_ru_kz_2022.csv"

FORMATS: tuple[str, ...] = ("icews", "gdelt", "csv")
#: Month 0 of every run is March 2022 (the month after Russia's invasion of Ukraine).
FIRST_MONTH = pd.Period("2022-03", freq="M")
#: GDELT's quad classes, by CAMEO root code: 01-05, 06-08, 09-13, 14-20.
QUAD_CLASSES: dict[int, str] = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}
ROOT_CODES: tuple[str, ...] = tuple(f"{r:02d}" for r in range(1, 21))
QUAD_OF_ROOT: dict[str, int] = {
    r: 1 if r <= "05" else 2 if r <= "08" else 3 if r <= "13" else 4 for r in ROOT_CODES
}
#: The columns every events table read here has (the model's log has them too, with run_id).
COLUMNS: tuple[str, ...] = ("date", "month", "actor", "target", "cameo", "goldstein")

_EU_MEMBERS = {
    "AUT": "Austria",
    "BEL": "Belgium",
    "BGR": "Bulgaria",
    "HRV": "Croatia",
    "CYP": "Cyprus",
    "CZE": "Czech Republic",
    "DNK": "Denmark",
    "EST": "Estonia",
    "FIN": "Finland",
    "FRA": "France",
    "DEU": "Germany",
    "GRC": "Greece",
    "HUN": "Hungary",
    "IRL": "Ireland",
    "ITA": "Italy",
    "LVA": "Latvia",
    "LTU": "Lithuania",
    "LUX": "Luxembourg",
    "MLT": "Malta",
    "NLD": "Netherlands",
    "POL": "Poland",
    "PRT": "Portugal",
    "ROU": "Romania",
    "SVK": "Slovakia",
    "SVN": "Slovenia",
    "ESP": "Spain",
    "SWE": "Sweden",
}
#: Upper-case names and codes (CAMEO/ISO 3166 alpha-3, ICEWS country names) -> model actor.
ACTOR_ALIASES: dict[str, str] = {
    **{name.upper(): name for name in ACTORS},
    "RUS": "Russia",
    "RUSSIAN FEDERATION": "Russia",
    "KAZ": "Kazakhstan",
    "CHN": "China",
    "TUR": "Turkey",
    "TÜRKIYE": "Turkey",
    "TURKIYE": "Turkey",
    "EUROPEAN UNION": "EU",
    "EEC": "EU",  # CAMEO's code for the European Union (a GDELT known-group code)
    "CZECHIA": "EU",
    **{code: "EU" for code in _EU_MEMBERS},
    **{name.upper(): "EU" for name in _EU_MEMBERS.values()},
}

ICEWS_COLUMNS: tuple[str, ...] = (
    "Event ID",
    "Event Date",
    "Source Name",
    "Source Sectors",
    "Source Country",
    "Event Text",
    "CAMEO Code",
    "Intensity",
    "Target Name",
    "Target Sectors",
    "Target Country",
    "Story ID",
    "Sentence Number",
    "Publisher",
    "City",
    "District",
    "Province",
    "Country",
    "Latitude",
    "Longitude",
)
_ICEWS_NEEDED = ("Event Date", "Source Name", "Source Country", "CAMEO Code", "Intensity")
_ICEWS_NEEDED += ("Target Name", "Target Country")


def _gdelt_actor(n: int) -> list[str]:
    return [
        f"Actor{n}{part}"
        for part in (
            "Code",
            "Name",
            "CountryCode",
            "KnownGroupCode",
            "EthnicCode",
            "Religion1Code",
            "Religion2Code",
            "Type1Code",
            "Type2Code",
            "Type3Code",
        )
    ]


def _gdelt_geo(prefix: str, adm2: bool) -> list[str]:
    parts = ["Type", "FullName", "CountryCode", "ADM1Code", *(["ADM2Code"] if adm2 else [])]
    return [f"{prefix}_{p}" for p in (*parts, "Lat", "Long", "FeatureID")]


def _gdelt_columns(version: int, source_url: bool = True) -> tuple[str, ...]:
    """The columns of a GDELT event file, in the order of the version's codebook."""
    adm2 = version == 2
    columns = [
        "GLOBALEVENTID",
        "SQLDATE",
        "MonthYear",
        "Year",
        "FractionDate",
        *_gdelt_actor(1),
        *_gdelt_actor(2),
        "IsRootEvent",
        "EventCode",
        "EventBaseCode",
        "EventRootCode",
        "QuadClass",
        "GoldsteinScale",
        "NumMentions",
        "NumSources",
        "NumArticles",
        "AvgTone",
        *_gdelt_geo("Actor1Geo", adm2),
        *_gdelt_geo("Actor2Geo", adm2),
        *_gdelt_geo("ActionGeo", adm2),
        "DATEADDED",
    ]
    return tuple(columns + (["SOURCEURL"] if source_url else []))


#: GDELT layouts by number of fields: 1.0 historical backfiles (to March 2013) have no
#: SOURCEURL; 1.0 daily files have 58 columns; 2.0 adds an ADM2 code to each of the three places.
GDELT_COLUMNS: dict[int, tuple[str, ...]] = {
    57: _gdelt_columns(1, source_url=False),
    58: _gdelt_columns(1),
    61: _gdelt_columns(2),
}
_GDELT_NEEDED = ("SQLDATE", "EventCode", "GoldsteinScale")
_GDELT_NEEDED += tuple(f"Actor{n}{p}" for n in (1, 2) for p in ("CountryCode", "KnownGroupCode"))
_GDELT_NEEDED += ("Actor1Name", "Actor2Name")

CSV_REQUIRED: tuple[str, ...] = ("date", "source", "target", "cameo", "goldstein")
CSV_OPTIONAL: tuple[str, ...] = ("description", "source_url")


class EventFileError(ValueError):
    """An events file cannot be read as the format asked; the message says why in one line."""


@dataclass
class ReadReport:
    """What happened to the lines of an events file."""

    path: str
    format: str
    rows: int = 0  # data lines with the right number of fields
    malformed: int = 0  # lines with the wrong number of fields, skipped
    invalid: int = 0  # rows whose date, CAMEO code or Goldstein weight cannot be read
    unmapped: int = 0  # rows whose actor or target is not one of the model's five
    kept: int = 0
    unmapped_names: dict[str, int] = field(default_factory=dict)  # the most frequent ones

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line: how many events were kept and why the others were dropped."""
        return (
            f"{self.path} ({self.format}): {self.kept:,} events kept of {self.rows:,} rows; "
            f"dropped {self.unmapped:,} with an actor outside {', '.join(ACTORS)}, "
            f"{self.invalid:,} with an unreadable date, CAMEO code or Goldstein weight, "
            f"{self.malformed:,} malformed lines"
        )


# --- codes and actors ------------------------------------------------------------------------
_CAMEO_PATTERN = re.compile(r"^\d{2,4}$")


def cameo_root(codes: pd.Series) -> pd.Series:
    """The two-digit CAMEO root code ('01'..'20') of each code; missing where malformed.

    Codes are text with their leading zeros ('042', not 42): a code that lost them is refused,
    since '10' (root 10, demand) and '010' (make a statement) would be confused.
    """
    text = codes.astype("string").str.strip()
    root = text.str.slice(0, 2)
    valid = text.str.fullmatch(_CAMEO_PATTERN.pattern).fillna(False) & root.isin(ROOT_CODES)
    return root.where(valid)


def map_actor(*candidates: pd.Series) -> pd.Series:
    """The model actor of each row: the first candidate column (e.g. country, then name) that
    names one of the five; missing where none does."""
    mapped = pd.Series(pd.NA, index=candidates[0].index, dtype="string")
    for values in candidates:
        found = values.astype("string").str.strip().str.upper().map(ACTOR_ALIASES)
        mapped = mapped.fillna(found.astype("string"))
    return mapped


def month_index(dates: pd.Series) -> pd.Series:
    """Months since March 2022 (the run's month number) of each date."""
    periods = dates.dt.to_period("M")
    return (periods.dt.year - FIRST_MONTH.year) * 12 + (periods.dt.month - FIRST_MONTH.month)


def month_start(months: Iterable[int]) -> pd.DatetimeIndex:
    """The first day of each run month."""
    return pd.DatetimeIndex([(FIRST_MONTH + int(m)).to_timestamp() for m in months])


# --- reading ---------------------------------------------------------------------------------
def head_lines(path: Path, size: int = 1 << 20) -> list[str]:
    """The lines in the first `size` bytes of a (possibly .gz or .bz2 compressed) text file,
    without byte-order mark or line ends; the last one may be cut short."""
    try:
        with pa.input_stream(str(path)) as stream:
            head = stream.read(size)
    except (OSError, pa.ArrowException) as error:
        raise EventFileError(f"{path} cannot be read: {error}") from None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    return [line.rstrip("\r") for line in text.split("\n")]


def first_line(path: Path) -> str:
    """The first line of a text file."""
    return head_lines(path, 1 << 16)[0]


def _leading_comments(path: Path) -> int:
    """How many lines at the top of a CSV are '#' comments or blank."""
    count = 0
    for line in head_lines(path):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        count += 1
    return count


def _header_after(path: Path, skip: int) -> str:
    lines = head_lines(path)
    return lines[skip] if skip < len(lines) else ""


def detect_format(path: Path) -> str:
    """'icews', 'gdelt' or 'csv', from the file's first line; EventFileError if none fits."""
    line = first_line(path)
    if not line.strip():
        raise EventFileError(f"{path} is empty: no header or event lines")
    if line.split("\t")[0].strip() == "Event ID":
        return "icews"
    if len(line.split("\t")) in GDELT_COLUMNS:
        return "gdelt"
    if line.lstrip().startswith("#"):  # a CSV's leading comments
        line = _header_after(path, _leading_comments(path))
    if set(CSV_REQUIRED) <= {c.strip().lower() for c in line.split(",")}:
        return "csv"
    raise EventFileError(
        f"{path} is not an events file this reads: its first line is neither an ICEWS header, "
        f"a GDELT row (57, 58 or 61 tab-separated fields) nor a CSV header with "
        f"{', '.join(CSV_REQUIRED)}"
    )


def _read_table(
    path: Path,
    delimiter: str,
    names: Sequence[str] | None,
    columns: Sequence[str],
    skip_rows: int = 0,
    quoted: bool = False,
) -> tuple[pd.DataFrame, int]:
    """Read `columns` as text; lines with the wrong number of fields are skipped and counted."""
    skipped = 0

    def skip(_row: pacsv.InvalidRow) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    try:
        table = pacsv.read_csv(
            str(path),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip_rows),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"' if quoted else False,
                invalid_row_handler=skip,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns},
                include_columns=list(columns),
                include_missing_columns=True,
                strings_can_be_null=False,
            ),
        )
    except (OSError, pa.ArrowException) as error:
        message = str(error).strip().splitlines()[0]
        if "invalid UTF8" in message:
            message = "it is not UTF-8 text; save it as UTF-8 first"
        raise EventFileError(f"{path} cannot be read: {message}") from None
    return table.to_pandas(), skipped


def _tidy(
    raw: pd.DataFrame,
    dates: pd.Series,
    actor: pd.Series,
    target: pd.Series,
    cameo: pd.Series,
    goldstein: pd.Series,
    report: ReadReport,
    extra: dict[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """One events table from parsed columns; count and drop the rows that cannot be used."""
    cameo = cameo.astype("string").str.strip()
    weight = pd.to_numeric(goldstein, errors="coerce")
    valid = dates.notna() & cameo_root(cameo).notna() & weight.between(-10, 10)
    mapped = actor.notna() & target.notna()
    names = raw.loc[valid & ~mapped, "_names"] if "_names" in raw else pd.Series(dtype=str)
    report.rows = len(raw)
    report.invalid = int((~valid).sum())
    report.unmapped = int((valid & ~mapped).sum())
    report.unmapped_names = {str(k): int(v) for k, v in names.value_counts().head(10).items()}
    keep = valid & mapped
    report.kept = int(keep.sum())
    frame = pd.DataFrame(
        {
            "date": dates[keep].astype("datetime64[us]"),
            "month": month_index(dates[keep]).astype("int32"),
            "actor": pd.Categorical(actor[keep], categories=ACTORS),
            "target": pd.Categorical(target[keep], categories=ACTORS),
            "cameo": cameo[keep],
            "goldstein": weight[keep].astype("float32"),
            **{k: v[keep].astype("string") for k, v in (extra or {}).items()},
        }
    )
    return frame.sort_values("date", kind="stable").reset_index(drop=True)


def _unmapped_label(*columns: pd.Series) -> pd.Series:
    """'source -> target' names of each row, to report which actors were dropped."""
    source = columns[0].astype("string").fillna("")
    target = columns[1].astype("string").fillna("")
    return source + " -> " + target


def read_icews(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """An ICEWS coded event file (tab-separated, with the Dataverse header row).

    The actor is the source's country, or its name where the country is empty (the European
    Union has no country); the Goldstein weight is the `Intensity` column.
    """
    path = Path(path)
    header = [c.strip() for c in first_line(path).split("\t")]
    missing = [c for c in _ICEWS_NEEDED if c not in header]
    if missing:
        raise EventFileError(
            f"{path} is not an ICEWS event file: its header has no column {missing[0]!r} "
            f"(expected tab-separated columns {', '.join(ICEWS_COLUMNS[:8])}, ...)"
        )
    raw, malformed = _read_table(path, "\t", header, _ICEWS_NEEDED, skip_rows=1)
    report = ReadReport(str(path), "icews", malformed=malformed)
    raw["_names"] = _unmapped_label(raw["Source Name"], raw["Target Name"])
    dates = pd.to_datetime(raw["Event Date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    frame = _tidy(
        raw,
        dates,
        map_actor(raw["Source Country"], raw["Source Name"]),
        map_actor(raw["Target Country"], raw["Target Name"]),
        raw["CAMEO Code"],
        raw["Intensity"],
        report,
    )
    return frame, report


def read_gdelt(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """A GDELT 1.0 or 2.0 event file (tab-separated, no header; 57, 58 or 61 columns).

    The actor is Actor1's country code, else its known-group code ('EEC' is the European
    Union), else its name; the same for Actor2, the target. The CAMEO code is `EventCode`.
    """
    path = Path(path)
    line = first_line(path)
    fields = line.split("\t")
    if len(fields) not in GDELT_COLUMNS or not re.fullmatch(r"\d{8}", fields[1].strip()):
        raise EventFileError(
            f"{path} is not a GDELT event file: its first line has {len(fields)} tab-separated "
            "fields (expected 57, 58 or 61, the second a date YYYYMMDD)"
        )
    names = GDELT_COLUMNS[len(fields)]
    raw, malformed = _read_table(path, "\t", names, _GDELT_NEEDED)
    report = ReadReport(str(path), "gdelt", malformed=malformed)
    raw["_names"] = _unmapped_label(raw["Actor1Name"], raw["Actor2Name"])
    dates = pd.to_datetime(raw["SQLDATE"].str.strip(), format="%Y%m%d", errors="coerce")
    frame = _tidy(
        raw,
        dates,
        map_actor(raw["Actor1CountryCode"], raw["Actor1KnownGroupCode"], raw["Actor1Name"]),
        map_actor(raw["Actor2CountryCode"], raw["Actor2KnownGroupCode"], raw["Actor2Name"]),
        raw["EventCode"],
        raw["GoldsteinScale"],
        report,
    )
    return frame, report


def read_csv_events(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """A CSV in our own schema: date,source,target,cameo,goldstein[,description,source_url].

    Lines starting with '#' before the header are comments (e.g. where the events come from).
    `date` is YYYY-MM-DD, or YYYY-MM when only the month is known; `source` and `target` are
    actor names or codes (Russia, RUS, Russian Federation, Germany, European Union, ...);
    `cameo` is the CAMEO code as text with its leading zeros; `goldstein` its weight (-10..10).
    """
    path = Path(path)
    lines = _leading_comments(path)
    header = [c.strip().lower() for c in _header_after(path, lines).split(",")]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise EventFileError(
            f"{path} is not an events CSV: its header has no column {missing[0]!r} "
            f"(expected {','.join(CSV_REQUIRED)}[,{','.join(CSV_OPTIONAL)}])"
        )
    wanted = [c for c in (*CSV_REQUIRED, *CSV_OPTIONAL) if c in header]
    raw, malformed = _read_table(path, ",", header, wanted, skip_rows=lines + 1, quoted=True)
    report = ReadReport(str(path), "csv", malformed=malformed)
    raw["_names"] = _unmapped_label(raw["source"], raw["target"])
    text = raw["date"].str.strip()
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").fillna(
        pd.to_datetime(text, format="%Y-%m", errors="coerce")
    )
    extra = {c: raw[c] for c in CSV_OPTIONAL if c in raw}
    frame = _tidy(
        raw,
        dates,
        map_actor(raw["source"]),
        map_actor(raw["target"]),
        raw["cameo"],
        raw["goldstein"],
        report,
        extra,
    )
    return frame, report


def empty_events() -> pd.DataFrame:
    """An events table with no rows (for a file with no event lines)."""
    return pd.DataFrame(
        {
            "date": pd.Series(dtype="datetime64[us]"),
            "month": pd.Series(dtype="int32"),
            "actor": pd.Categorical([], categories=ACTORS),
            "target": pd.Categorical([], categories=ACTORS),
            "cameo": pd.Series(dtype="string"),
            "goldstein": pd.Series(dtype="float32"),
        }
    )


READERS: dict[str, Callable[[Path], tuple[pd.DataFrame, ReadReport]]] = {
    "icews": read_icews,
    "gdelt": read_gdelt,
    "csv": read_csv_events,
}


def read_events(path: Path, fmt: str | None = None) -> tuple[pd.DataFrame, ReadReport]:
    """Read an events file in `fmt` (detected from its first line if None).

    Returns:
        The events (columns date, month, actor, target, cameo, goldstein, and for the CSV
        schema description and source_url when given) and a report of the dropped rows. An
        empty file (or one of blank lines) gives no events in any format.

    Raises:
        EventFileError: unknown format, missing or unreadable file, or not that format.
    """
    path = Path(path)
    if fmt is not None and fmt not in READERS:
        raise EventFileError(f"format={fmt!r} is not allowed: expected one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise EventFileError(f"{path} is not a file")
    if fmt is None:
        fmt = detect_format(path)
    if not any(line.strip() for line in head_lines(path, 1 << 12)):  # an empty file: no rows
        return empty_events(), ReadReport(str(path), fmt)
    return READERS[fmt](path)


# --- monthly aggregates ----------------------------------------------------------------------
#: The measures compared by default: all events, events per quad class, the Goldstein sum.
BASIC_MEASURES: tuple[str, ...] = ("events", "quad_1", "quad_2", "quad_3", "quad_4", "goldstein")
ROOT_MEASURES: tuple[str, ...] = tuple(f"root_{r}" for r in ROOT_CODES)
MEASURES: tuple[str, ...] = BASIC_MEASURES + ROOT_MEASURES


def dyad_label(actor: str, target: str) -> str:
    """'Russia-Kazakhstan': events by the first actor directed at the second."""
    return f"{actor}-{target}"


def parse_dyad(text: str) -> str:
    """A dyad label with the model's spelling, from 'russia-kazakhstan' or 'RUS-KAZ'.

    Raises:
        ValueError: the text is not two known actors joined by '-'.
    """
    parts = str(text).split("-")
    actors = [ACTOR_ALIASES.get(p.strip().upper()) for p in parts]
    if len(parts) != 2 or None in actors:
        raise ValueError(
            f"dyads={text!r} is not allowed: expected <actor>-<target> with actors "
            f"{', '.join(ACTORS)} (e.g. Russia-Kazakhstan)"
        )
    return dyad_label(*actors)


def dyads_of(events: pd.DataFrame) -> list[str]:
    """The directed dyads that have events, in the model's actor order."""
    if events.empty:
        return []
    pairs = events.groupby(["actor", "target"], observed=True).size().index
    return [
        dyad_label(a, t)
        for a, t in sorted(pairs, key=lambda p: (ACTORS.index(p[0]), ACTORS.index(p[1])))
    ]


def monthly_aggregates(
    events: pd.DataFrame,
    months: Sequence[int],
    dyads: Sequence[str],
    runs: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Per run, month and directed dyad: the number of events, of events per CAMEO root code and
    per quad class, and the sum of Goldstein weights; zeros where nothing happened.

    The same function aggregates the model's event log and an observed events table, so the two
    are counted alike. It relies only on the columns month, actor, target and cameo, goldstein
    (and run_id for the model's log).

    Args:
        events: an events table (the model's `events.parquet` or one from `read_events`).
        months: the run months to keep (month 0 = March 2022).
        dyads: dyad labels such as 'Russia-Kazakhstan'.
        runs: every run id of the ensemble, so that runs without events count as zeros;
            by default the run ids found in `events`. Ignored for an observed table.

    Returns:
        One row per (run_id,) month and dyad: columns run_id (model only), month, date, dyad,
        then `MEASURES` (counts as int64, goldstein as float64).
    """
    keys = ["run_id", "month", "dyad"] if "run_id" in events else ["month", "dyad"]
    months = sorted(int(m) for m in months)
    dyad = events["actor"].astype(str) + "-" + events["target"].astype(str)
    chosen = events["month"].isin(months) & dyad.isin(dyads)
    picked = events.loc[chosen, [k for k in keys if k != "dyad"]].assign(dyad=dyad[chosen])
    roots = pd.Categorical(cameo_root(events.loc[chosen, "cameo"]), categories=ROOT_CODES)
    one_hot = pd.get_dummies(roots, prefix="root", prefix_sep="_", dtype="int64")
    one_hot.index = picked.index
    for quad in QUAD_CLASSES:
        in_quad = [f"root_{r}" for r in ROOT_CODES if QUAD_OF_ROOT[r] == quad]
        picked[f"quad_{quad}"] = one_hot[in_quad].sum(axis=1)
    picked["events"] = 1
    picked["goldstein"] = events.loc[chosen, "goldstein"].astype("float64")
    picked = pd.concat([picked, one_hot], axis=1)
    sums = picked.groupby(keys, observed=True)[list(MEASURES)].sum()
    grid = [months, list(dyads)]
    if "run_id" in keys:
        all_runs = np.unique(events["run_id"]) if runs is None else np.asarray(runs)
        grid.insert(0, sorted(all_runs.tolist()))
    full = pd.MultiIndex.from_product(grid, names=keys)
    table = sums.reindex(full, fill_value=0).reset_index()
    table[list(MEASURES)] = table[list(MEASURES)].astype(
        {m: "float64" if m == "goldstein" else "int64" for m in MEASURES}
    )
    # Weights have one decimal and are stored as float32; rounding the sums keeps equal sums
    # equal (ties matter for the bands and the PIT) and drops float32 noise such as 6.3999999.
    table["goldstein"] = table["goldstein"].round(3)
    table.insert(keys.index("month") + 1, "date", month_start(table["month"]))
    return table


# --- measurements for calibration ------------------------------------------------------------
def _selected(
    events: pd.DataFrame, dyad: str, months: Iterable[int] | None, cameo_root_code: str | None
) -> pd.Series:
    label = parse_dyad(dyad)
    mask = (events["actor"].astype(str) + "-" + events["target"].astype(str)) == label
    if months is not None:
        mask &= events["month"].isin(list(months))
    if cameo_root_code is not None:
        mask &= cameo_root(events["cameo"]) == f"{int(cameo_root_code):02d}"
    return mask


def _per_run(values: pd.Series, events: pd.DataFrame, runs: Sequence[int] | None) -> pd.Series:
    if "run_id" not in events:
        return pd.Series([values.sum()], index=pd.Index(["observed"], name="run_id"))
    index = np.unique(events["run_id"]) if runs is None else np.asarray(runs)
    sums = values.groupby(events.loc[values.index, "run_id"]).sum()
    return sums.reindex(pd.Index(index, name="run_id"), fill_value=0)


def event_count(
    events: pd.DataFrame,
    dyad: str,
    cameo_root: str | int | None = None,
    months: Iterable[int] | None = None,
    runs: Sequence[int] | None = None,
) -> pd.Series:
    """How many events a dyad has (of one CAMEO root code, in some months), per run.

    Args:
        events: the model's events table (with run_id) or an observed one from `read_events`.
        dyad: 'Russia-Kazakhstan' (actor-target; codes such as 'RUS-KAZ' work too).
        cameo_root: a root code such as '16' or 16 (reduce relations); None counts every code.
        months: run months (0 = March 2022) to count; None counts all.
        runs: every run id, so runs without such events count 0 (default: those in `events`).

    Returns:
        Counts indexed by run_id; for an observed table one value, indexed 'observed'.
    """
    mask = _selected(events, dyad, months, cameo_root)
    return _per_run(mask.astype("int64"), events, runs)


def goldstein_sum(
    events: pd.DataFrame,
    dyad: str,
    cameo_root: str | int | None = None,
    months: Iterable[int] | None = None,
    runs: Sequence[int] | None = None,
) -> pd.Series:
    """The sum of Goldstein weights of a dyad's events, per run (arguments as `event_count`)."""
    mask = _selected(events, dyad, months, cameo_root)
    weights = events["goldstein"].astype("float64").where(mask, 0.0)
    return _per_run(weights, events, runs)


#: Measurements a calibration can call on an events table, by name:
#: `MEASUREMENTS["event_count"](events, "Russia-Kazakhstan", cameo_root="16", months=range(8))`.
MEASUREMENTS: dict[str, Callable[..., pd.Series]] = {
    "event_count": event_count,
    "goldstein_sum": goldstein_sum,
}


def observed_event_counts(
    path: Path,
    fmt: str | None = None,
    dyads: Sequence[str] | None = None,
    months: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Monthly aggregates of an observed events file, ready to be calibration targets.

    Args:
        path: an ICEWS, GDELT or CSV events file.
        fmt: 'icews', 'gdelt' or 'csv'; detected from the first line if None.
        dyads: dyad labels; by default every dyad with events in the file.
        months: run months; by default every month from the first to the last event.

    Returns:
        `monthly_aggregates` of the file: one row per month and dyad.
    """
    events, _ = read_events(path, fmt)
    dyads = [parse_dyad(d) for d in dyads] if dyads else dyads_of(events)
    return monthly_aggregates(events, event_months(events) if months is None else months, dyads)


def event_months(events: pd.DataFrame) -> range:
    """Every run month from the first to the last event (empty for no events): months in
    between without events are observations of zero, not gaps."""
    if events.empty:
        return range(0)
    return range(int(events["month"].min()), int(events["month"].max()) + 1)
