"""`python -m sim compare <dir> <dir> ... [output=<dir>] [format=] [rungs=[..]] [months=[..]]`

Sets several scenario runs side by side; given scores directories (`sim score`) instead, sets
their skill tables side by side (one row per scoring, kind, score and reference).

For runs, the first directory is the reference: the table gives, per scenario, rung k and
month T, P(rung k or higher by month T) with its 95% Wilson interval, and the difference to the
reference with a 95% interval.

Runs made with the same `run.seed` and `run.replicates` share their seeds run by run (common
random numbers: run i has seed derive_seeds(seed, i) in every scenario), so their outcomes are
paired; the difference then gets Newcombe's (1998) paired score interval (his method 10, which
combines the two Wilson intervals with the continuity-corrected phi correlation of the paired
2x2 table). Otherwise the runs are independent and the interval is Newcombe's unpaired hybrid
score interval (his method 10 for independent proportions). The table says which was used. Both
come from sim.analysis.stats, which `validate` calls too (docs/statistics.md).

Threshold studies of one factor (`sim threshold`) are compared too: their crossings with
their intervals side by side, in a table and a figure. Two-factor threshold studies of the same
two factors: their level lines with bands overlaid in a figure, and a table of each line's
difference to the first's along the shared range (sim.studies.threshold.lines).

Writes a new directory (default <results root>/comparisons/<timestamp>/, next to the runs'
`runs/` folder; `output=` to choose) with comparison.parquet and .csv, figures/, report.html
and manifest.json; it appears only when complete (sim.engine.store.staged_directory).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import OmegaConf

if TYPE_CHECKING:  # pandas and the statistics are imported when runs are compared, not for --help
    import pandas as pd

PROG = "python -m sim compare"
OPTIONS = ("output", "format", "rungs", "months")
PAIRED = "paired Newcombe score (method 10), common random numbers"
UNPAIRED = "unpaired Newcombe hybrid score (method 10)"


def is_paired(summary: pd.DataFrame, reference: pd.DataFrame) -> bool:
    """Whether run i has the same seed in both ensembles (common random numbers)."""
    if len(summary) != len(reference):
        return False
    mine = summary.set_index("run_id")["seed"].sort_index()
    theirs = reference.set_index("run_id")["seed"].sort_index()
    return mine.index.equals(theirs.index) and bool((mine.to_numpy() == theirs.to_numpy()).all())


def comparison_table(
    summaries: dict[str, pd.DataFrame],
    rungs: Sequence[int],
    months: Sequence[int],
    level: float = 0.95,
    draws: Mapping[str, np.ndarray | None] | None = None,
) -> pd.DataFrame:
    """P(rung k by month T) per scenario, and the difference to the first, with intervals.

    Args:
        summaries: run summaries by scenario label; the first is the reference.
        rungs, months: the rungs k and months T.
        level: the confidence level.
        draws: per label, the posterior draw of each summary row (runs on a posterior), or
            None (hand-set values).

    Returns:
        One row per scenario, rung and month: scenario, rung, month, runs, hits, probability,
        lower, upper (the dice's interval), parameters_lower, parameters_upper (the
        parameters' interval: NaN for runs on the hand-set values), difference, diff_lower,
        diff_upper, method (NaN/empty for the reference).
    """
    import pandas as pd

    from sim.analysis.probabilities import reached_by
    from sim.analysis.stats import (
        newcombe_difference,
        paired_proportion_difference,
        wilson_interval,
    )

    labels = list(summaries)
    reference = summaries[labels[0]].sort_values("run_id")
    rows = []
    for label in labels:
        summary = summaries[label].sort_values("run_id")
        paired = label != labels[0] and is_paired(summary, reference)
        for rung in rungs:
            for month in months:
                x = reached_by(summary, rung, month)
                ref = reached_by(reference, rung, month)
                row = dict(scenario=label, rung=rung, month=month, runs=len(x), hits=int(x.sum()))
                if label != labels[0]:
                    d, lo, hi = (
                        paired_proportion_difference(x, ref, level)
                        if paired
                        else newcombe_difference(x.sum(), len(x), ref.sum(), len(ref), 0.0, level)
                    )
                    row.update(
                        difference=float(d),
                        diff_lower=float(lo),
                        diff_upper=float(hi),
                        method=PAIRED if paired else UNPAIRED,
                    )
                rows.append(row)
    table = pd.DataFrame(rows)
    table["probability"] = table["hits"] / table["runs"]
    table["lower"], table["upper"] = wilson_interval(table["hits"], table["runs"], level)
    for column in ("difference", "diff_lower", "diff_upper"):
        if column not in table:
            table[column] = np.nan
    table["method"] = table.get("method", pd.Series("", index=table.index)).fillna("")
    table = _parameter_intervals(table, summaries, draws or {}, level)
    columns = ["scenario", "rung", "month", "runs", "hits", "probability", "lower", "upper"]
    columns += ["parameters_lower", "parameters_upper"]
    return table[[*columns, "difference", "diff_lower", "diff_upper", "method"]]


def _parameter_intervals(
    table: pd.DataFrame,
    summaries: dict[str, pd.DataFrame],
    draws: Mapping[str, np.ndarray | None],
    level: float,
) -> pd.DataFrame:
    """The parameters' interval of each scenario run on a posterior (the run's variance
    split, ``sim.analysis.variance_split``); NaN for runs on the hand-set values."""
    import pandas as pd

    from sim.analysis.variance_split import with_run_parameter_intervals

    parts = []
    for label, rows in table.groupby("scenario", sort=False):
        if draws.get(label) is None:
            parts.append(rows.assign(parameters_lower=np.nan, parameters_upper=np.nan))
        else:
            parts.append(with_run_parameter_intervals(rows, summaries[label], draws[label], level))
    return pd.concat(parts).loc[table.index]


# --- the command -----------------------------------------------------------------------------
def parse(argv: Sequence[str]) -> tuple[list[Path], dict]:
    """Directories and options; raises BadInput (from the plot command) on a mistake."""
    from sim.commands.plot import BadInput, parse_options

    directories = [Path(a) for a in argv if "=" not in a]
    options = [a for a in argv if "=" in a]
    try:
        opts = OmegaConf.to_container(OmegaConf.from_dotlist(options))
    except Exception as error:  # a malformed dotlist
        raise BadInput(f"cannot read options {' '.join(options)!r}: {error}") from None
    unknown = sorted(set(opts) - set(OPTIONS))
    if unknown:
        raise BadInput(f"unknown option {unknown[0]!r}; options: {', '.join(OPTIONS)}")
    opts.update(parse_options([f"format={opts['format']}"] if "format" in opts else []))
    for key in ("rungs", "months"):
        if key in opts:
            value = opts[key]
            value = [value] if isinstance(value, int) else value
            if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
                raise BadInput(f"{key}={opts[key]!r} is not allowed: expected integers")
            opts[key] = value
    for key in ("rungs", "months"):
        if key in opts and len(set(opts[key])) < len(opts[key]):
            raise BadInput(f"{key}={opts[key]} is not allowed: expected distinct values")
    if "months" in opts and not opts["months"]:
        raise BadInput("months=[] is not allowed: expected at least one month")
    if any(not 1 <= k <= 5 for k in opts.get("rungs", [])):
        raise BadInput(f"rungs={opts['rungs']} is not allowed: expected rungs 1 to 5")
    if "rungs" in opts and not opts["rungs"]:
        raise BadInput("rungs=[] is not allowed: expected at least one rung in 1 to 5")
    if "output" in opts and (opts["output"] is None or not str(opts["output"]).strip()):
        raise BadInput(f"output = {opts['output']!r} is not allowed: expected a new directory")
    if len(directories) < 2:
        raise BadInput("give at least two run directories to compare")
    return directories, opts


def check_months(months: Sequence[int] | None, horizon: int) -> None:
    """Months asked for must lie within the shortest run's horizon: swapping them for the
    horizon labelled tables with months that were never computed (review 2, D10)."""
    from sim.commands.plot import BadInput

    if months and not all(1 <= m <= horizon for m in months):
        raise BadInput(
            f"months={list(months)} is not allowed: expected months in [1, {horizon}] (the "
            "shortest run's horizon)"
        )


def check_distinct(directories: Sequence[Path]) -> None:
    """Each run once: a directory compared with itself says nothing (and labels would clash)."""
    from sim.commands.plot import BadInput

    seen: dict[Path, Path] = {}
    for directory in directories:
        key = directory.resolve()
        if key in seen:
            raise BadInput(
                f"{directory} is given twice (as {seen[key]}); compare takes different runs"
            )
        seen[key] = directory


def check_runs(directories: Sequence[Path]) -> None:
    """Each directory must be a complete scenario run (not a sweep)."""
    from sim.commands.plot import BadInput, results_kind
    from sim.engine.result_dirs import check_directory

    for directory in directories:
        check_directory(directory, ("run",), "compare", BadInput)  # a damaged file: one line
        if results_kind(directory) != "run":
            raise BadInput(f"{directory} is a sweep: compare takes scenario runs (sim run)")


def default_output(first: Path) -> Path:
    """<root>/comparisons/<timestamp> for a first run at <root>/runs/<scenario>/<timestamp>."""
    from sim.engine.store import timestamp

    first = first.resolve()
    kinds = ("runs", "thresholds")
    root = first.parents[2] if first.parent.parent.name in kinds else Path("results")
    return root / "comparisons" / timestamp()


def comparison_run_dir(output: Path) -> str:
    """`run_dir` of a comparison (every table's first column): comparisons/<timestamp> under
    the results root, or the name of a directory chosen with output=."""
    from sim.engine.store import run_dir_name

    output = Path(output)
    return (
        run_dir_name(output, output.parents[1])
        if output.parent.name == "comparisons"
        else output.name
    )


def write_comparison(
    output: Path,
    table: pd.DataFrame,
    figures: dict,
    fmt: str | list[str],
    report: tuple[str, Mapping[str, pd.DataFrame], list[str]],
    **manifest: object,
) -> None:
    """A comparison directory: the table (Parquet and CSV), the figures, report.html (`report`:
    title, tables, notes) and the manifest (`manifest`: its fields beside kind=comparison), built
    under a temporary name and renamed when complete."""
    from sim import plots
    from sim.analysis.html_report import render_report, write_report
    from sim.engine import store

    title, tables, notes = report
    with store.staged_directory(output) as staging:
        store.write_table(table, staging / "comparison.parquet", run_dir=comparison_run_dir(output))
        store.write_text(table.to_csv(index=False), staging / "comparison.csv")
        plots.save_figures(figures, staging / "figures", fmt)
        pngs = {name: plots.figure_png(fig) for name, fig in figures.items()}
        write_report(staging / "report.html", render_report(title, pngs, tables, notes=notes))
        store.write_manifest(staging, kind="comparison", **manifest)


def labelled(runs: list[dict]) -> list[str]:
    """Scenario names, with the run's directory name added where a name repeats.

    Labels stay unique even when two runs share a directory name (copies in different
    folders): a number is added after the second.
    """
    names = [r["scenario"] for r in runs]
    labels = [
        n if names.count(n) == 1 else f"{n} ({r['directory'].name})"
        for n, r in zip(names, runs, strict=True)
    ]
    unique: list[str] = []
    for label in labels:
        candidate, number = label, 2
        while candidate in unique:
            candidate, number = f"{label} #{number}", number + 1
        unique.append(candidate)
    return unique


def comparison_figures(runs: list[dict], labels: list[str], table: pd.DataFrame, horizon: int):
    """Every comparison figure, by name."""
    import pandas as pd

    from sim import plots

    total = sum(len(r["summary"]) for r in runs)
    what = f"{len(runs)} scenarios, {total:,} runs"
    curves = pd.concat(
        [
            plots.cumulative_escalation(r["summary"], horizon).assign(scenario=label)
            for r, label in zip(runs, labels, strict=True)
        ]
    )
    rungs = sorted(table["rung"].unique())
    figures = {
        "compare_rung_cumulative": plots.comparison_cumulative_figure(
            curves[curves["rung"].isin(rungs)], f"P(rung k or higher by month) ({what})"
        ),
        "compare_halts_per_year": plots.halt_distribution_figure(
            pd.concat(
                [
                    plots.halts_per_year(r["summary"], r["months"]).assign(scenario=label)
                    for r, label in zip(runs, labels, strict=True)
                ]
            ),
            f"CPC pipeline stoppages per year, by cause ({what})",
        ),
        "compare_differences": plots.forest_figure(
            table,
            labels[0],
            "paired" if (table["method"] == PAIRED).any() else "unpaired",
            f"Difference to {labels[0]} ({what})",
        ),
    }
    if all(r["trajectories"] is not None for r in runs):
        trimmed = [r["trajectories"][r["trajectories"]["month"] < horizon] for r in runs]
        figures["compare_rung_shares"] = plots.comparison_shares_figure(
            pd.concat(
                [
                    plots.rung_shares(t).assign(scenario=label)
                    for t, label in zip(trimmed, labels, strict=True)
                ]
            ),
            f"Share of runs at each rung ({what})",
        )
        figures["compare_fans"] = plots.comparison_fan_figure(
            pd.concat(
                [
                    plots.fan_quantiles(t, plots.COMPARISON_VARIABLES).assign(scenario=label)
                    for t, label in zip(trimmed, labels, strict=True)
                ]
            ),
            f"Median and 50% of runs ({what})",
        )
    return figures


def posterior_draws_of(run: dict) -> np.ndarray | None:
    """The posterior draw of each run of a run directory on a posterior (its params.parquet),
    or None for a run on the hand-set values."""
    import pandas as pd

    from sim.analysis.variance_split import PARAMS_TABLE, run_draws

    path = Path(run["directory"]) / PARAMS_TABLE
    if not path.is_file():
        return None
    return run_draws(run["summary"], pd.read_parquet(path, columns=["run_id", "draw"]))


def format_table(table: pd.DataFrame, reference: str) -> str:
    """The printed summary: one line per scenario, rung and month."""
    method = next((m for m in table["method"] if m), "")
    on_posterior = table["parameters_lower"].notna()
    lines = [
        "P(rung k or higher by month T) [95% Wilson: the dice]"
        + (" (95% range over the posterior's parameters)" if on_posterior.any() else "")
        + f"; difference to {reference} [95%: {method}]"
    ]
    for row in table.itertuples(index=False):
        text = (
            f"  {row.scenario:<28} {row.rung}+ by month {row.month:<4} "
            f"{row.probability:.3f} [{row.lower:.3f}, {row.upper:.3f}]"
        )
        if np.isfinite(row.parameters_lower):
            text += f" ({row.parameters_lower:.2f}-{row.parameters_upper:.2f})"
        if np.isfinite(row.difference):
            text += f"  diff {row.difference:+.3f} [{row.diff_lower:+.3f}, {row.diff_upper:+.3f}]"
        lines.append(text)
    hand_set = sorted(set(table.loc[~on_posterior, "scenario"]))
    if hand_set:
        lines.append(
            "Hand-set parameters (calibration=none), the dice's interval only: "
            + ", ".join(hand_set)
        )
    lines.append("(the differences carry the dice's interval only)")
    return "\n".join(lines)


def threshold_output_and_labels(
    directories: Sequence[Path], results: list, opts: dict
) -> tuple[Path, list[str]]:
    """Where a comparison of threshold studies goes (refused if it exists) and their labels."""
    from sim.commands.plot import BadInput

    output = Path(opts["output"]) if "output" in opts else default_output(directories[0])
    if output.exists():
        raise BadInput(f"output={output} already exists; choose a new directory")
    labels = labelled(
        [
            {"scenario": f"{r.scenario}, P({r.outcome}) = {r.level:g}", "directory": d}
            for r, d in zip(results, directories, strict=True)
        ]
    )
    return output, labels


def compare_thresholds(directories: Sequence[Path], opts: dict) -> int:
    """Threshold studies of one factor side by side: each crossing with its interval.

    Raises BadInput (exit code 2) for incomplete studies or different factors; two-factor
    studies go to `compare_threshold_lines`.
    """
    from sim.commands.plot import BadInput, results_kind
    from sim.plots.threshold import comparison_figure, load_threshold

    check_distinct(directories)
    for directory in directories:
        results_kind(directory)  # complete, with its tables
    results = [load_threshold(d) for d in directories]
    factors = {tuple(r.factors) for r in results}
    if len(factors) > 1:
        raise BadInput(
            "compare takes threshold studies of the same factor (or the same two factors, in "
            "the same order); these have " + ", ".join(sorted("+".join(f) for f in factors))
        )
    if len(next(iter(factors))) == 2:
        return compare_threshold_lines(directories, results, opts)
    output, labels = threshold_output_and_labels(directories, results, opts)
    import pandas as pd

    table = pd.concat(
        [
            r.threshold.iloc[[0]].assign(study=label, directory=str(d))
            for r, label, d in zip(results, labels, directories, strict=True)
        ],
        ignore_index=True,
    )
    figure = comparison_figure(results, labels)
    write_comparison(
        output,
        table,
        {"compare_thresholds": figure},
        opts["format"],
        (f"Comparison of {len(results)} threshold studies", {"Crossings": table},
         [r.answer for r in results]),
        directories=[str(d) for d in directories],
        labels=labels,
    )  # fmt: skip
    for result, label in zip(results, labels, strict=True):
        print(f"{label}: {result.answer}")
    print(f"\nComparison: {output}")
    return 0


def compare_threshold_lines(directories: Sequence[Path], results: list, opts: dict) -> int:
    """Two-factor threshold studies: their level lines with bands overlaid, and each line's
    difference to the first's along the range they share (sim.studies.threshold.lines)."""
    import pandas as pd

    from sim.plots.threshold import comparison_lines_figure, line_status
    from sim.studies.threshold.lines import differences

    output, labels = threshold_output_and_labels(directories, results, opts)
    first = results[0].factors[0]
    confidence = min(r.confidence for r in results)
    tables, notes = [], []
    for result, label in zip(results[1:], labels[1:], strict=True):
        table = differences(results[0].threshold, result.threshold, first, confidence)
        if table.empty:
            why = next(
                (f"{lab}: {line_status(r)}" for r, lab in ((results[0], labels[0]), (result, label))
                 if r.threshold["crossing"].isna().all()),
                "the two lines share no stretch of " + first,
            )  # fmt: skip
            notes.append(f"{label} against {labels[0]}: no difference to show ({why})")
        tables.append(table.assign(study=label, reference=labels[0]))
    table = pd.concat(tables, ignore_index=True)
    figure = comparison_lines_figure(results, labels)
    write_comparison(
        output,
        table,
        {"compare_threshold_lines": figure},
        opts["format"],
        (f"Comparison of {len(results)} two-factor threshold studies",
         {f"Differences to {labels[0]} (along {first})": table},
         [r.answer for r in results] + notes + [LINES_NOTE]),
        directories=[str(d) for d in directories],
        labels=labels,
    )  # fmt: skip
    for result, label in zip(results, labels, strict=True):
        print(f"{label}: {result.answer}")
    for note in notes:
        print(note)
    for label, part in zip(labels[1:], tables, strict=True):
        if not part.empty:
            widest = part.loc[part["difference"].abs().idxmax()]
            print(
                f"{label} minus {labels[0]}: the line moves by {part['difference'].min():+.3g} "
                f"to {part['difference'].max():+.3g} along {first} "
                f"(largest at {first} = {widest[first]:.3g}: {widest['difference']:+.3g} "
                f"[{widest['lower']:+.3g}, {widest['upper']:+.3g}])"
            )
    print(f"\nComparison: {output}")
    return 0


LINES_NOTE = (
    "Difference: the other study's crossing minus the first's, at the first study's values of "
    "the first factor where both lines exist; its interval treats the studies as independent "
    "(with the same seed they share replicates, which makes it conservative)."
)


def main(argv: Sequence[str]) -> int:
    """Check every directory and option, then compare; return the exit code."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    from sim.analysis.run_report import report_months
    from sim.commands.plot import BadInput, read_run
    from sim.engine.result_dirs import directory_kind

    try:
        directories, opts = parse(argv)
        if all(directory_kind(d) == "threshold" for d in directories):
            return compare_thresholds(directories, opts)
        if _all_scores(directories):
            return compare_scores(directories, opts)
        check_runs(directories)
        output = Path(opts["output"]) if "output" in opts else default_output(directories[0])
        if output.exists():
            raise BadInput(f"output={output} already exists; choose a new directory")
        check_distinct(directories)
    except BadInput as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    runs = [dict(read_run(d), directory=d) for d in directories]
    labels = labelled(runs)
    horizon = min(r["months"] for r in runs)
    try:
        check_months(opts.get("months"), horizon)
    except BadInput as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    months = opts.get("months") or [m for m in report_months(horizon) if 1 <= m <= horizon]
    table = comparison_table(
        {label: r["summary"] for r, label in zip(runs, labels, strict=True)},
        opts.get("rungs", [2, 3, 4, 5]),
        months or [horizon],
        draws={label: posterior_draws_of(r) for r, label in zip(runs, labels, strict=True)},
    )
    figures = comparison_figures(runs, labels, table, horizon)
    write_comparison(
        output,
        table,
        figures,
        opts["format"],
        (f"Comparison of {len(runs)} scenarios (reference: {labels[0]})", {"Comparison": table},
         [f"{label}: {r['directory']}" for r, label in zip(runs, labels, strict=True)]),
        directories=[str(d) for d in directories],
        labels=labels,
        reference=labels[0],
        months=months,
    )  # fmt: skip
    print(format_table(table, labels[0]))
    print(f"\nComparison: {output}")
    return 0


# --- scores directories ----------------------------------------------------------------------
def _all_scores(directories: Sequence[Path]) -> bool:
    from sim.engine.result_dirs import directory_kind

    return all(directory_kind(d) == "score" for d in directories)


def score_labels(directories: Sequence[Path]) -> list[str]:
    """'<facts> <cutoff> <calibration>' per scores directory, numbered where they repeat."""
    from sim.studies.scoring import read

    labels: list[str] = []
    for directory in directories:
        config = read(directory)["config"]
        calibration = config["calibration"]
        calibration = calibration if calibration in ("none", "auto") else Path(calibration).name
        label = f"{config['facts']['name']} cut-off {config['cutoff']} calibration {calibration}"
        candidate, number = label, 2
        while candidate in labels:
            candidate, number = f"{label} #{number}", number + 1
        labels.append(candidate)
    return labels


def compare_scores(directories: Sequence[Path], opts: dict) -> int:
    """Skill tables of several scorings side by side (e.g. cut-offs, calibrations)."""
    from sim.commands.plot import BadInput, results_kind
    from sim.engine import store
    from sim.engine.result_dirs import check_directory
    from sim.plots.score import skill_comparison_figure
    from sim.studies.scoring import skill_comparison

    try:
        for directory in directories:
            check_directory(directory, ("score",), "compare", BadInput)
            results_kind(directory)  # its tables are there
        check_distinct(directories)
        first = directories[0].resolve()
        root = first.parents[2] if first.parent.parent.name == "scores" else Path("results")
        output = (
            Path(opts["output"]) if "output" in opts else root / "comparisons" / store.timestamp()
        )
        if output.exists():
            raise BadInput(f"output={output} already exists; choose a new directory")
    except BadInput as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    labels = score_labels(directories)
    table = skill_comparison(directories, labels)
    figures = {"compare_skill": skill_comparison_figure(table, f"Skill of {len(labels)} scorings")}
    write_comparison(
        output,
        table,
        figures,
        opts["format"],
        (f"Skill of {len(labels)} scorings", {"Skill": table},
         [f"{label}: {d}" for d, label in zip(directories, labels, strict=True)]),
        compared="score",
        directories=[str(d) for d in directories],
        labels=labels,
    )  # fmt: skip
    for row in table.itertuples(index=False):
        print(
            f"  {row.label:<48} {row.kind:<10} {row.score:<5} vs {row.reference:<11} "
            f"skill {row.skill:+.2f} [{row.skill_low:+.2f}, {row.skill_high:+.2f}]"
        )
    print(f"\nComparison: {output}")
    return 0
