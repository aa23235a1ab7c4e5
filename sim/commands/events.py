"""`python -m sim events compare <run dir> <events file> [format=] [dyads=[..]] [output=]`
`python -m sim events example`: print the path of the example events file shipped with the package


Holds a scenario run's event log against observed events. The events file is an ICEWS coded
event file, a GDELT 1.0/2.0 event file or a CSV in the project's schema
(date,source,target,cameo,goldstein[,description,source_url]); `format=icews|gdelt|csv` names
it, otherwise it is recognised from its first line. Actors map to the model's five (Russia,
Kazakhstan, China, Turkey, EU, an EU member counting as the EU); other events are dropped and
counted.

Observed and simulated events are aggregated alike, per calendar month and directed dyad
(events in all, per CAMEO root code and quad class, the Goldstein sum), over the months from the
file's first to its last event (month 0 of a run = March 2022). `dyads=[Russia-Kazakhstan,...]`
picks the dyads (default: every dyad in the file).

Writes <run dir>/events_comparison/ (or `output=`): coverage.csv/.parquet (share of observed
months inside the model's 50% and 90% bands, mean PIT, mean CRPS, per dyad and measure),
bands.csv/.parquet (per month), pit.csv, observed_events.parquet, observed_monthly.parquet,
figures/, report.html and manifest.json. The directory appears only when complete.
See docs/events.md.

`events example` prints where the installed package keeps its 2022 example events file
(sim/data/events_ru_kz_2022.csv), so that it can be given to `events compare` from any folder.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import OmegaConf

if TYPE_CHECKING:  # pandas and the event readers are imported for a comparison, not for --help
    import pandas as pd

PROG = "python -m sim events"
SUBCOMMANDS = ("compare", "example")
OPTIONS = ("format", "dyads", "output")
OUTPUT_NAME = "events_comparison"


class BadInput(ValueError):
    """The command line, the run or the events file cannot be used (exit 2, one line)."""


def parse(argv: Sequence[str]) -> tuple[Path, Path, dict]:
    """The run directory, the events file and the options; BadInput on a mistake."""
    from sim.eventdata import readers as eventdata

    if not argv or argv[0] not in SUBCOMMANDS:
        given = argv[0] if argv else ""
        raise BadInput(f"unknown subcommand {given!r}; choose one of: {', '.join(SUBCOMMANDS)}")
    positional = [a for a in argv[1:] if "=" not in a]
    options = [a for a in argv[1:] if "=" in a]
    if len(positional) != 2:
        raise BadInput("give a run directory and an events file: events compare <run> <file>")
    try:
        opts = OmegaConf.to_container(OmegaConf.from_dotlist(options))
    except Exception as error:  # OmegaConf raises several types for a malformed dotlist
        raise BadInput(f"cannot read options {' '.join(options)!r}: {error}") from None
    unknown = sorted(set(opts) - set(OPTIONS))
    if unknown:
        raise BadInput(f"unknown option {unknown[0]!r}; options: {', '.join(OPTIONS)}")
    if "format" in opts and opts["format"] not in eventdata.FORMATS:
        raise BadInput(
            f"format={opts['format']!r} is not allowed: expected one of "
            f"{', '.join(eventdata.FORMATS)}"
        )
    if "output" in opts and (opts["output"] is None or not str(opts["output"]).strip()):
        raise BadInput(f"output = {opts['output']!r} is not allowed: expected a new directory")
    if "dyads" in opts:
        dyads = opts["dyads"] if isinstance(opts["dyads"], list) else [opts["dyads"]]
        if not dyads:
            raise BadInput(
                "dyads = [] is not allowed: expected at least one dyad, e.g. "
                "dyads=[Russia-Kazakhstan] (or leave dyads out for every dyad in the file)"
            )
        try:
            opts["dyads"] = list(dict.fromkeys(eventdata.parse_dyad(d) for d in dyads))
        except ValueError as error:
            raise BadInput(str(error)) from None
    return Path(positional[0]), Path(positional[1]), opts


def check_run(directory: Path) -> dict:
    """The run's event log, run ids and months; BadInput if it is not a run with events."""
    from sim.commands.plot import BadInput as PlotBadInput
    from sim.commands.plot import results_kind
    from sim.engine.config_file import read_config
    from sim.engine.store import read_table

    try:
        kind = results_kind(directory)
    except PlotBadInput as error:
        raise BadInput(str(error)) from None
    if kind != "run":
        raise BadInput(f"{directory} is a sweep: events compare takes a scenario run (sim run)")
    if not (directory / "events.parquet").is_file():
        raise BadInput(f"{directory} has no events.parquet (it was run with run.events=false)")

    columns = ["run_id", "month", "actor", "target", "cameo", "goldstein"]
    try:
        events = read_table(directory / "events.parquet", columns=columns)
        runs = read_table(directory / "summary.parquet", columns=["run_id"])["run_id"]
    except Exception as error:  # a truncated or foreign Parquet file; Arrow raises many types
        raise BadInput(f"{directory}: the event log cannot be read: {error}") from None
    cfg = read_config(directory)
    return dict(events=events, runs=runs.to_numpy(), months=int(cfg.run.months))


def read_observed(path: Path, opts: dict, months: int) -> tuple[pd.DataFrame, dict, list[str]]:
    """The observed events for the comparison, the read report and the dyads."""
    from sim.eventdata import readers as eventdata

    try:
        observed, report = eventdata.read_events(path, opts.get("format"))
    except eventdata.EventFileError as error:
        raise BadInput(str(error)) from None
    if report.rows == 0:
        raise BadInput(f"{path} has no event rows (an empty file, or a header only)")
    if observed.empty:
        raise BadInput(f"{path} has no events between the model's actors; {report.summary()}")
    found = eventdata.dyads_of(observed)
    dyads = opts.get("dyads", found)
    missing = [d for d in dyads if d not in found]
    if missing:
        raise BadInput(
            f"dyads={missing[0]} has no events in {path}; dyads with events: {', '.join(found)}"
        )
    first, last = int(observed["month"].min()), int(observed["month"].max())
    if first < 0 or last >= months:
        start = eventdata.FIRST_MONTH
        raise BadInput(
            f"{path} has events from {observed['date'].min():%Y-%m-%d} to "
            f"{observed['date'].max():%Y-%m-%d}, outside the run's months {start} to "
            f"{start + months - 1} (month 0 = {start}); trim the file to the run's months"
        )
    return observed, report.as_dict() | {"summary": report.summary()}, dyads


def comparison(run: dict, observed: pd.DataFrame, dyads: list[str]) -> dict:
    """Aggregates, bands, coverage and PIT histograms of one comparison."""
    from sim.eventdata import compare as eventcompare
    from sim.eventdata import readers as eventdata

    months = eventdata.event_months(observed)
    model = eventdata.monthly_aggregates(run["events"], months, dyads, runs=run["runs"])
    seen = eventdata.monthly_aggregates(observed, months, dyads)
    bands = eventcompare.monthly_bands(model, seen, dyads)
    return dict(
        months=list(months),
        observed_monthly=seen,
        bands=bands,
        coverage=eventcompare.coverage_table(bands, model),
        pit=eventcompare.pit_histograms(bands),
    )


def figures(result: dict, dyads: list[str], runs: int, scenario: str, source: str) -> dict:
    from sim.plots import events as event_plots

    what = f"{scenario} ({runs:,} runs) against {source}"
    made = {
        f"events_{d.lower().replace('-', '_')}": event_plots.dyad_figure(
            result["bands"], d, f"{d.replace('-', ' → ')} per month: {what}"
        )
        for d in dyads
    }
    made["events_pit"] = event_plots.pit_figure(
        result["pit"], f"PIT histograms, months and measures pooled: {what}"
    )
    return made


def format_table(coverage: pd.DataFrame) -> str:
    """The printed summary: the basic measures of each dyad."""
    from sim.eventdata import readers as eventdata

    lines = [
        "dyad, measure: observed total | model median [90% of runs] | months inside 50% / 90% "
        "band | mean PIT | mean CRPS"
    ]
    basic = coverage[coverage["measure"].isin(eventdata.BASIC_MEASURES)]
    for row in basic.itertuples(index=False):
        lines.append(
            f"  {row.dyad:<22} {row.what:<34} {row.observed_total:8.1f} | "
            f"{row.model_median_total:8.1f} [{row.model_90_total_low:.1f}, "
            f"{row.model_90_total_high:.1f}] | {row.inside_50:4.0%} / {row.inside_90:4.0%} | "
            f"{row.pit_mean:.2f} | {row.crps_mean:.2f}"
        )
    return "\n".join(lines)


def write(output: Path, result: dict, observed: pd.DataFrame, figs: dict, manifest: dict) -> None:
    """Everything into a staging directory renamed to `output` when complete."""
    from sim.analysis.html_report import render_report, write_report
    from sim.engine import store
    from sim.plots.style import figure_png

    # Inside the run it compares (the default): named under the run's own run_dir.
    inside_run = (output.parent / store.MANIFEST).is_file()
    run_dir = (
        f"{store.recorded_run_dir(output.parent)}/{output.name}" if inside_run else output.name
    )
    with store.staged_directory(output) as staging:
        store.write_table(observed, staging / "observed_events.parquet", run_dir=run_dir)
        monthly = result["observed_monthly"]
        store.write_table(monthly, staging / "observed_monthly.parquet", run_dir=run_dir)
        for name in ("bands", "coverage"):
            store.write_table(result[name], staging / f"{name}.parquet", run_dir=run_dir)
            store.write_text(result[name].to_csv(index=False), staging / f"{name}.csv")
        store.write_text(result["pit"].to_csv(index=False), staging / "pit.csv")
        # Each figure is rendered once: the same PNG goes to figures/ and into the report.
        pngs = {name: figure_png(fig) for name, fig in figs.items()}
        (staging / "figures").mkdir()
        for name, png in pngs.items():
            store.write_atomic(
                staging / "figures" / f"{name}.png", lambda t, p=png: t.write_bytes(p)
            )
        write_report(
            staging / "report.html",
            render_report(
                "Model events against observed events",
                pngs,
                {"Coverage": result["coverage"]},
                notes=[manifest["read"]["summary"], f"Run: {manifest['run']}"],
            ),
        )
        store.write_manifest(staging, **manifest)


def print_example(rest: Sequence[str]) -> int:
    """Print the path of the example events file shipped with the package."""
    from sim.eventdata.readers import EXAMPLE_EVENTS

    if rest:
        print(f"{PROG}: error: events example takes no arguments, got {rest[0]!r}", file=sys.stderr)
        return 2
    print(EXAMPLE_EVENTS)
    return 0


def main(argv: Sequence[str]) -> int:
    """Check the run, the file and the options, then compare; return the exit code."""
    if not argv or argv[0] in ("-h", "--help") or any(a in ("-h", "--help") for a in argv[1:]):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "example":
        return print_example(argv[1:])
    try:
        run_dir, path, opts = parse(argv)
        output = Path(opts["output"]) if "output" in opts else run_dir / OUTPUT_NAME
        run = check_run(run_dir)
        if output.exists():
            raise BadInput(f"{output} already exists; remove it or choose output=<new directory>")
        observed, report, dyads = read_observed(path, opts, run["months"])
    except BadInput as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    from sim.engine.config_file import read_config

    scenario = str(read_config(run_dir).scenario.name)
    result = comparison(run, observed, dyads)
    figs = figures(result, dyads, len(run["runs"]), scenario, path.name)
    manifest = dict(
        kind="events_comparison",
        run=str(run_dir),
        events_file=str(path),
        format=report["format"],
        dyads=dyads,
        months=result["months"],
        read=report,
    )
    write(output, result, observed, figs, manifest)
    print(report["summary"])
    print(format_table(result["coverage"]))
    print(f"\nEvents comparison: {output}")
    return 0
