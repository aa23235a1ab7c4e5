"""Reading ICEWS, GDELT and CSV event files, and aggregating events by month and dyad.

The fixture files are written here, field by field at the positions the datasets' codebooks
give, so that a wrong column list in sim.eventdata.readers shows up as a wrong event.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.eventdata import readers as eventdata
from sim.eventdata.readers import EventFileError, read_events

# --- ICEWS: the Dataverse header, 20 tab-separated columns -----------------------------------
ICEWS_HEADER = (
    "Event ID\tEvent Date\tSource Name\tSource Sectors\tSource Country\tEvent Text\tCAMEO Code\t"
    "Intensity\tTarget Name\tTarget Sectors\tTarget Country\tStory ID\tSentence Number\t"
    "Publisher\tCity\tDistrict\tProvince\tCountry\tLatitude\tLongitude"
)


def icews_line(date, source, source_country, cameo, intensity, target, target_country) -> str:
    fields = [
        "926685",
        date,
        source,
        "Government",
        source_country,
        "Some event text",
        cameo,
        intensity,
        target,
        "Government",
        target_country,
        "28235806",
        "1",
        "Agence France-Presse",
        "Almaty",
        "",
        "Almaty",
        "Kazakhstan",
        "43.25",
        "76.95",
    ]
    return "\t".join(fields)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def icews_file(tmp_path: Path) -> Path:
    return write_lines(
        tmp_path / "events.2022.tab",
        [
            ICEWS_HEADER,
            icews_line(
                "2022-03-14",
                "Vladimir Putin",
                "Russian Federation",
                "163",
                "-8.0",
                "Kazakhstan",
                "Kazakhstan",
            ),
            icews_line(
                "2022-04-02", "European Union", "", "042", "1.9", "Kazakhstan", "Kazakhstan"
            ),
            icews_line(
                "2022-04-09", "Germany", "Germany", "057", "8.0", "Kazakhstan", "Kazakhstan"
            ),
            icews_line("2022-04-10", "Joe Biden", "United States", "111", "-2", "Russia", "Russia"),
            icews_line("2022-05-01", "Russia", "Russia", "13y", "-7", "Kazakhstan", "Kazakhstan"),
            icews_line("2022-13-01", "Russia", "Russia", "130", "-4.4", "Kazakhstan", "Kazakhstan"),
            "926999\t2022-05-02\tRussia\ttoo few fields",
        ],
    )


def test_icews_rows_map_to_the_model_actors(icews_file: Path) -> None:
    events, report = read_events(icews_file, "icews")
    assert list(events["actor"].astype(str)) == ["Russia", "EU", "EU"]
    assert set(events["target"].astype(str)) == {"Kazakhstan"}
    assert list(events["cameo"]) == ["163", "042", "057"]
    assert list(events["goldstein"]) == pytest.approx([-8.0, 1.9, 8.0])
    assert list(events["month"]) == [0, 1, 1]  # March 2022 is month 0
    assert (report.rows, report.kept, report.unmapped, report.invalid, report.malformed) == (
        6,
        3,
        1,
        2,
        1,
    )
    assert "Joe Biden -> Russia" in report.unmapped_names


def test_icews_is_detected_from_its_header(icews_file: Path) -> None:
    assert eventdata.detect_format(icews_file) == "icews"
    assert read_events(icews_file)[1].format == "icews"


# --- GDELT: no header; 57 (1.0 backfile), 58 (1.0 daily) or 61 (2.0) columns ----------------
# Positions from the GDELT 1.0 and 2.0 event codebooks (0-based).
GDELT_POSITIONS = {
    "SQLDATE": 1,
    "Actor1Name": 6,
    "Actor1CountryCode": 7,
    "Actor1KnownGroupCode": 8,
    "Actor2Name": 16,
    "Actor2CountryCode": 17,
    "Actor2KnownGroupCode": 18,
    "EventCode": 26,
    "EventRootCode": 28,
    "QuadClass": 29,
    "GoldsteinScale": 30,
}


def gdelt_line(columns: int, date, actor1, actor2, code, goldstein, group1="", name1="") -> str:
    fields = ["x"] * columns  # filler that must never be read as an actor, code or weight
    fields[0] = "1037206154"
    values = {
        "SQLDATE": date,
        "Actor1Name": name1 or actor1,
        "Actor1CountryCode": actor1 if not group1 else "",
        "Actor1KnownGroupCode": group1,
        "Actor2Name": actor2,
        "Actor2CountryCode": actor2,
        "Actor2KnownGroupCode": "",
        "EventCode": code,
        "EventRootCode": code[:2],
        "QuadClass": "4",
        "GoldsteinScale": goldstein,
    }
    for name, value in values.items():
        fields[GDELT_POSITIONS[name]] = value
    fields[-1] = "https://example.org/story" if columns != 57 else "20130101"
    return "\t".join(fields)


@pytest.mark.parametrize("columns", [57, 58, 61])
def test_gdelt_files_of_each_layout(tmp_path: Path, columns: int) -> None:
    path = write_lines(
        tmp_path / "gdelt.export.CSV",
        [
            gdelt_line(columns, "20220601", "RUS", "KAZ", "163", "-8.0"),
            gdelt_line(columns, "20220715", "", "KAZ", "0334", "6.0", group1="EEC", name1="EU"),
            gdelt_line(columns, "20220716", "FRA", "KAZ", "061", "6.4"),
            gdelt_line(columns, "20220716", "USA", "KAZ", "061", "6.4"),
            gdelt_line(columns, "20220717", "CHN", "KAZ", "0x1", "6.4"),
            "1037206155\t20220718\tshort line",
        ],
    )
    assert eventdata.detect_format(path) == "gdelt"
    events, report = read_events(path, "gdelt")
    assert list(events["actor"].astype(str)) == ["Russia", "EU", "EU"]
    assert list(events["cameo"]) == ["163", "0334", "061"]
    assert list(events["goldstein"]) == pytest.approx([-8.0, 6.0, 6.4])
    assert list(events["month"]) == [3, 4, 4]
    assert (report.kept, report.unmapped, report.invalid, report.malformed) == (3, 1, 1, 1)


def test_gdelt_column_lists_follow_the_codebooks() -> None:
    for columns, names in eventdata.GDELT_COLUMNS.items():
        assert len(names) == columns
        for name, position in GDELT_POSITIONS.items():
            assert names[position] == name
    assert eventdata.GDELT_COLUMNS[58][-2:] == ("DATEADDED", "SOURCEURL")
    assert eventdata.GDELT_COLUMNS[57][-1] == "DATEADDED"
    assert eventdata.GDELT_COLUMNS[61][39] == "Actor1Geo_ADM2Code"
    assert eventdata.GDELT_COLUMNS[61][-1] == "SOURCEURL"


# --- the project's CSV schema ----------------------------------------------------------------
def test_csv_with_comments_month_dates_and_quoted_text(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "mine.csv",
        [
            "# hand-coded; source: an analysis",
            "",
            "date,source,target,cameo,goldstein,description,source_url",
            '2022-03-06,Kazakhstan,Russia,141,-6.5,"a rally, in Almaty",',
            "2022-06,RUS,KAZ,163,-8.0,a halt,https://example.org/a",
            "2022-07-01,Türkiye,Kazakhstan,057,8.0,,",
            "2022-07-02,Iran,Kazakhstan,057,8.0,,",
            "2022-07-03,Russia,Kazakhstan,57,8.0,,",  # lost its leading zero: refused
            "2022-07-04,Russia,Kazakhstan,163,-80,,",  # weight out of range
            "2022-07-05,Russia,Kazakhstan",
        ],
    )
    assert eventdata.detect_format(path) == "csv"
    events, report = read_events(path)
    assert list(events["actor"].astype(str)) == ["Kazakhstan", "Russia", "Turkey"]
    assert list(events["month"]) == [0, 3, 4]
    assert events["description"].iloc[0] == "a rally, in Almaty"
    assert events["source_url"].iloc[1] == "https://example.org/a"
    assert (report.kept, report.unmapped, report.invalid, report.malformed) == (3, 1, 2, 1)


def test_the_shipped_example_reads_whole_and_stops_in_october_2022() -> None:
    path = eventdata.EXAMPLE_EVENTS
    events, report = read_events(path, "csv")
    assert report.kept == report.rows > 20
    assert report.malformed == report.invalid == report.unmapped == 0
    assert events["date"].min() >= pd.Timestamp("2022-03-01")
    assert events["date"].max() < pd.Timestamp("2022-11-01")
    assert events["description"].notna().all()
    halts = events[(events["actor"] == "Russia") & (events["cameo"] == "163")]
    assert len(halts) == 4  # the four CPC stoppages of 2022


# --- empty, foreign and unknown --------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["icews", "gdelt", "csv"])
def test_an_empty_file_gives_no_events(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("")
    with pytest.raises(EventFileError, match="empty"):
        read_events(path)
    events, report = read_events(path, fmt)
    assert events.empty and report.rows == 0 and list(events.columns) == list(eventdata.COLUMNS)


def test_a_header_only_file_gives_no_events(tmp_path: Path) -> None:
    events, report = read_events(write_lines(tmp_path / "h.tab", [ICEWS_HEADER]), "icews")
    assert events.empty and report.rows == 0
    events, _ = read_events(
        write_lines(tmp_path / "h.csv", ["date,source,target,cameo,goldstein"]), "csv"
    )
    assert events.empty and list(events.columns)[:6] == list(eventdata.COLUMNS)


def test_a_file_of_another_format_is_refused_in_one_line(icews_file: Path, tmp_path: Path) -> None:
    csv = write_lines(tmp_path / "a.csv", ["date,source,target,cameo,goldstein"])
    text = write_lines(tmp_path / "notes.txt", ["just some notes", "nothing else"])
    cases = [(csv, "icews"), (icews_file, "gdelt"), (icews_file, "csv"), (text, None)]
    for path, fmt in cases:
        with pytest.raises(EventFileError) as error:
            read_events(path, fmt)
        assert "\n" not in str(error.value) and str(path) in str(error.value)
    latin = tmp_path / "latin.tab"
    latin.write_bytes(
        (
            ICEWS_HEADER
            + "\r\n"
            + icews_line("2022-03-14", "Caf\xe9", "RUS", "163", "-8", "K", "KAZ")
        ).encode("latin-1")
    )
    with pytest.raises(EventFileError, match="not UTF-8"):
        read_events(latin, "icews")
    with pytest.raises(EventFileError, match="format='acled'"):
        read_events(csv, "acled")
    with pytest.raises(EventFileError, match="is not a file"):
        read_events(tmp_path / "missing.csv")


# --- codes, dyads, aggregates ----------------------------------------------------------------
def test_cameo_root_keeps_leading_zeros_and_refuses_the_rest() -> None:
    codes = pd.Series(["042", "0334", "1312", "010", "10", "20", "42", "13y", "21", "", "0"])
    roots = eventdata.cameo_root(codes)
    assert list(roots.fillna("-")) == ["04", "03", "13", "01", "10", "20", "-", "-", "-", "-", "-"]
    assert [
        eventdata.QUAD_OF_ROOT[r] for r in ("01", "05", "06", "08", "09", "13", "14", "20")
    ] == [
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]


def test_dyads_accept_names_and_codes_and_refuse_others() -> None:
    assert eventdata.parse_dyad("rus-kaz") == "Russia-Kazakhstan"
    assert eventdata.parse_dyad("European Union-Kazakhstan") == "EU-Kazakhstan"
    for bad in ("Russia", "Russia-Iran", "Russia-Kazakhstan-China"):
        with pytest.raises(ValueError, match="not allowed"):
            eventdata.parse_dyad(bad)


def model_events() -> pd.DataFrame:
    """A tiny model event log: runs 0 and 1 (run 2 has no events), months 0-2."""
    rows = [
        (0, 0, "Russia", "Kazakhstan", "163", -8.0),
        (0, 0, "Russia", "Kazakhstan", "16", -4.0),
        (0, 2, "Russia", "Kazakhstan", "03", 4.0),
        (0, 2, "Turkey", "Kazakhstan", "0334", 6.0),
        (1, 1, "Russia", "Kazakhstan", "138", -7.0),
        (1, 5, "Russia", "Kazakhstan", "138", -7.0),  # outside the months asked
    ]
    frame = pd.DataFrame(rows, columns=["run_id", "month", "actor", "target", "cameo", "goldstein"])
    frame["actor"] = pd.Categorical(frame["actor"], categories=eventdata.ACTORS)
    frame["target"] = pd.Categorical(frame["target"], categories=eventdata.ACTORS)
    frame["cameo"] = frame["cameo"].astype("category")
    frame["cause"] = ""  # a column v2 adds; ignored
    return frame


def test_monthly_aggregates_count_every_run_month_and_dyad() -> None:
    table = eventdata.monthly_aggregates(
        model_events(), range(3), ["Russia-Kazakhstan", "Turkey-Kazakhstan"], runs=[0, 1, 2]
    )
    assert len(table) == 3 * 3 * 2  # runs x months x dyads, zeros included
    rk = table[table["dyad"] == "Russia-Kazakhstan"].set_index(["run_id", "month"])
    assert rk.loc[(0, 0), "events"] == 2 and rk.loc[(0, 0), "root_16"] == 2
    assert rk.loc[(0, 0), "quad_4"] == 2 and rk.loc[(0, 0), "goldstein"] == -12.0
    assert rk.loc[(0, 2), "quad_1"] == 1 and rk.loc[(1, 1), "quad_3"] == 1
    assert rk.loc[2, "events"].sum() == 0  # the run without events
    assert table["events"].sum() == 5
    assert (table["events"] == table[[f"quad_{q}" for q in range(1, 5)]].sum(axis=1)).all()
    assert (table["events"] == table[list(eventdata.ROOT_MEASURES)].sum(axis=1)).all()
    assert table.loc[table["month"] == 2, "date"].iloc[0] == pd.Timestamp("2022-05-01")


def test_observed_and_model_tables_aggregate_alike(tmp_path: Path) -> None:
    model = model_events()
    observed = model[model["run_id"] == 0].drop(columns="run_id")
    a = eventdata.monthly_aggregates(model, range(3), ["Russia-Kazakhstan"], runs=[0])
    b = eventdata.monthly_aggregates(observed, range(3), ["Russia-Kazakhstan"])
    pd.testing.assert_frame_equal(a.drop(columns="run_id"), b)


def test_measurements_for_calibration() -> None:
    events = model_events()
    counts = eventdata.event_count(events, "Russia-Kazakhstan", months=range(3), runs=[0, 1, 2])
    assert counts.to_dict() == {0: 3, 1: 1, 2: 0}
    assert eventdata.MEASUREMENTS["event_count"](events, "RUS-KAZ", cameo_root=13).to_dict() == {
        0: 0,
        1: 2,
    }
    weights = eventdata.goldstein_sum(events, "Russia-Kazakhstan", months=[0])
    assert weights.to_dict() == {0: -12.0, 1: 0.0}
    observed = events.drop(columns="run_id")
    assert eventdata.event_count(observed, "Turkey-Kazakhstan").to_dict() == {"observed": 1}


def test_observed_event_counts_of_the_example_file() -> None:
    path = eventdata.EXAMPLE_EVENTS
    table = eventdata.observed_event_counts(path, dyads=["Russia-Kazakhstan"])
    assert list(table["month"]) == list(range(8))  # March to October 2022
    assert table["root_16"].sum() == 4
    assert np.isclose(table["goldstein"].sum(), -31.0)
