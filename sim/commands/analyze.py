"""`python -m sim analyze <dir> [key=value ...]`: the tables of a sweep.

Writes <dir>/analysis/<key>/{probabilities,time_to_escalation,median_times,thresholds}
[.parquet|.csv] (and sobol/morris, sensitivity_noise, sensitivity_outcomes for a Sobol or Morris
design; see docs/sensitivity.md) with options.json, and prints them. Each probability carries the
dice's interval and, for runs drawn from a posterior, the parameters' (docs/sweeps.md,
"Analysis"); so do the time-to-rung curves, median times and thresholds. Options (dotlist
style) override the sweep's stored `analysis` node: ``level=0.25``, ``months=[12,60]``,
``rungs=[3,4]``, ``bootstrap=500``, ``replicate_bootstrap=100``;
``allow_incomplete=true`` analyses an unfinished sweep's chunks (with a warning).

<key> is a short hash of the options: new options give a new analysis beside the earlier ones,
the same options rewrite their own. `plot` draws the newest (``analysis=<key>``: another).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import OmegaConf

from sim.commands.options import as_bool
from sim.config import ConfigError
from sim.config.analysis_options import check_options, design_warning
from sim.engine.result_dirs import check_directory

if TYPE_CHECKING:  # pandas and the analysis are imported when a sweep is analysed, not for --help
    import pandas as pd

MAX_ROWS = 24
WIDTH = 100  # terminal lines; wider tables wrap into blocks of columns
MAX_FACTOR_COLUMNS = 3  # a 30-factor design would print 600-character lines; the CSV has all
SHOWN = {
    "probabilities": [
        "design_point",
        "scenario",
        "rung",
        "month",
        "runs",
        "probability",
        "lower",
        "upper",
        "parameters_lower",
        "parameters_upper",
    ],
    "median_times": None,
    "thresholds": [
        "factor",
        "scenario",
        "rung",
        "month",
        "threshold",
        "lower",
        "upper",
        "parameters_lower",
        "parameters_upper",
        "direction",
        "note",
        "parameters_note",
    ],
}


#: What a printed table's numbers mean, where that is not plain from its columns.
NOTES: dict[str, str] = {
    "median_times": (
        "(a month T counts as reached 'by month T+1': a rung first reached in month 0 has a\n"
        " median month of 1, the number of months elapsed; summary.month_rung_k is the index)"
    ),
}


def terminal_table(table: pd.DataFrame, factors: list[str]) -> str:
    """A table as aligned text, one row a line (never wrapped into blocks of columns): numbers
    as a reader writes them (0.0000353, 12,346), and factor columns left out from the right
    until the lines fit WIDTH characters."""
    from sim.analysis.html_report import format_number

    cells = table.copy()
    for column in cells.columns:
        cells[column] = [format_number(v) for v in cells[column]]
    cells = cells.rename(columns={"design_point": "point"})  # 7 characters for a factor's name
    dropped = [f for f in factors if f in table.columns][1:]  # the first factor always shows
    left_out = 0
    text = cells.to_string(index=False)
    while max(map(len, text.splitlines())) > WIDTH and dropped:
        cells = cells.drop(columns=dropped.pop())
        left_out += 1
        text = cells.to_string(index=False)
    if left_out:
        text += f"\n({left_out} more factor column(s) in the CSV)"
    return text


def print_tables(tables: dict[str, pd.DataFrame], directory: Path) -> None:
    """Where the tables were written (`tables.folder` of an analysis), then each table, tidy,
    truncated to its first rows (the CSV holds everything)."""
    import pandas as pd

    from sim.analysis.sweep_analysis import (
        ANALYSIS_FOLDER,
        analysis_name,
        describe_analysis,
        intervals_note,
    )

    folder = getattr(tables, "folder", None)
    where = analysis_name(directory, folder) if folder is not None else ANALYSIS_FOLDER
    if folder is not None:  # a new analysis goes beside the earlier ones: say which this is
        print(f"analysis written: {describe_analysis(directory, folder)} in {directory}")

    with pd.option_context(
        "display.width", 100, "display.max_columns", 12, "display.float_format", "{:.4g}".format
    ):
        for name, columns in SHOWN.items():
            if name not in tables:
                continue
            table = tables[name]
            shown = [c for c in (columns or table.columns) if c in table.columns]
            # Factor columns help read the probabilities: show them after the scenario.
            factors = [c for c in table.columns if "." in c][:MAX_FACTOR_COLUMNS]
            if name == "probabilities":
                shown = shown[:2] + factors + shown[2:]
            if name == "thresholds" and not table.empty:
                # Held factor values name the curve; curves that cross come first.
                shown = shown[:2] + factors + shown[2:]
                table = table.sort_values("threshold", na_position="last", kind="stable")
            print(f"\n== {name} ({len(table)} rows; all in {where}/{name}.csv of the sweep)")
            if name in NOTES:
                print(NOTES[name])
            if name == "probabilities":
                print(textwrap.fill(f"({intervals_note(table)})", WIDTH))
            if table.empty:
                print("(empty)")
                continue
            print(terminal_table(table[shown].head(MAX_ROWS), factors))
    # Sobol and Morris tables read best per outcome, factors ranked by importance.
    from sim.analysis.sensitivity import format_sensitivity

    text = format_sensitivity(tables, Path(directory) / where)
    if text:
        print(text)
        warning = design_warning(OmegaConf.load(directory / "config.yaml"))
        if warning:
            print(f"\n{warning}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    directory = Path(argv[0])
    try:
        options = OmegaConf.to_container(OmegaConf.from_dotlist(argv[1:]))
    except Exception as error:  # OmegaConf raises several types for a malformed dotlist
        first = str(error).strip().splitlines()[0]
        print(
            f"python -m sim analyze: error: cannot read options {' '.join(argv[1:])!r}: {first}",
            file=sys.stderr,
        )
        return 2
    try:  # "maybe" was taken as true (review 2, D15)
        allow = as_bool("allow_incomplete", str(options.pop("allow_incomplete", False)), ValueError)
    except ValueError as error:
        print(f"python -m sim analyze: error: {error}", file=sys.stderr)
        return 2
    check_directory(directory, ("sweep",), "analyze")  # a run, a damaged file: one line
    if not (directory / "config.yaml").exists():
        print(
            f"python -m sim analyze: error: {directory} is not a sweep directory (no config.yaml)",
            file=sys.stderr,
        )
        return 2
    from sim.analysis.sweep_analysis import IncompleteSweep, analyze_sweep, check_horizon

    try:
        options = check_options(options)
        if "months" in options:
            check_horizon(directory, options["months"])
        tables = analyze_sweep(directory, allow_incomplete=allow, options=options)
    except IncompleteSweep as error:  # the input cannot be used as it is: exit code 2
        print(f"python -m sim analyze: error: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:  # a bad option, an edited config.yaml, missing parts
        print(f"python -m sim analyze: error: {error}", file=sys.stderr)
        return 2
    print_tables(tables, directory)
    return 0
