"""`python -m sim plot <results dir> [format=png|pdf|svg|[png,pdf]] [style=screen|paper]
[analysis=<key>]`.

Every figure, and a report. ``style=paper`` draws them for a journal: at most 7 in (180 mm)
wide, text at 6.5-9 pt as printed, series told apart in greyscale, PNG at 300 dpi; the report
gives every figure a numbered caption in either style.

Draws every figure that suits the directory (a scenario run, a sweep, a policy search or a
scoring from `sim score`) into its `figures/` folder, in each requested format (PNG by
default), and writes `report.html` next to it: the figures embedded as base64 PNG, the tables
and the config inline, so it opens in any browser without a server.

A sweep is drawn from its newest analysis (``analysis/<key>/``, written by `sim analyze` or at
the end of the sweep), and plot says which one it read; ``analysis=<key>`` draws another.

A directory that is not a results directory, or is incomplete (a file the manifest lists is
missing, a sweep or a policy search whose manifest says `complete: false`), is refused with exit
code 2, naming what is missing, and nothing is written. Figures are drawn into a hidden staging
folder and moved into place only when all of them are done.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import OmegaConf

from sim.engine.result_dirs import check_directory

if TYPE_CHECKING:  # pandas and matplotlib are imported when a directory is drawn, not for --help
    import pandas as pd

PROG = "python -m sim plot"
OPTIONS = ("format", "style", "analysis")


class BadInput(ValueError):
    """The command line or the directory cannot be plotted; the message says why (exit 2)."""


# --- checking --------------------------------------------------------------------------------
def parse_options(argv: Sequence[str]) -> dict:
    """key=value options (OmegaConf dotlist); refuses unknown keys and formats."""
    from sim.plots import FORMATS

    try:
        options = OmegaConf.to_container(OmegaConf.from_dotlist(list(argv)))
    except Exception as error:  # OmegaConf raises several types for a malformed dotlist
        raise BadInput(f"cannot read options {' '.join(argv)!r}: {error}") from None
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise BadInput(f"unknown option {unknown[0]!r}; options: {', '.join(OPTIONS)}")
    formats = options.get("format", "png")
    formats = [formats] if isinstance(formats, str) else list(formats or [])
    bad = [f for f in formats if str(f).lower() not in FORMATS]
    if bad or not formats:
        raise BadInput(
            f"format={bad[0] if bad else ''!r} is not allowed: expected one of "
            f"{', '.join(FORMATS)}, or a list such as [png,pdf]"
        )
    options["format"] = list(dict.fromkeys(str(f).lower() for f in formats))
    from sim.plots.style import STYLES

    style = str(options.get("style", "screen")).lower()
    if style not in STYLES:
        raise BadInput(
            f"style={options.get('style')!r} is not allowed: expected one of {', '.join(STYLES)}"
        )
    options["style"] = style
    # The text as typed: a key such as 12e45678 must not be read as a number.
    typed = [a.split("=", 1)[1] for a in argv if a.startswith("analysis=")]
    options["analysis"] = typed[-1] if typed else None
    return options


def pick_analysis(directory: Path, kind: str, name: str | None) -> Path | None:
    """The analysis folder a sweep is drawn from: the one named, else the newest (None: the
    sweep has none, and its tables are computed from the run summaries)."""
    from sim.analysis.sweep_analysis import chosen_analysis, newest_analysis
    from sim.config import ConfigError

    if name is None:
        return newest_analysis(directory) if kind == "sweep" else None
    if kind != "sweep":
        raise BadInput(f"analysis = {name!r} is not allowed: only a sweep has analyses")
    try:
        return chosen_analysis(directory, name)
    except ConfigError as error:
        raise BadInput(str(error)) from None


def analysis_line(directory: Path, analysis: Path | None) -> str:
    """One line saying which analysis a sweep's figures were drawn from."""
    from sim.analysis.sweep_analysis import analyses, describe_analysis

    if analysis is None:
        return "analysis: none written; the tables were computed from the run summaries"
    others = len(analyses(directory)) - 1
    more = f" ({others} other(s): choose with analysis=<key>)" if others else ""
    return f"analysis: {describe_analysis(directory, analysis)}{more}"


def results_kind(directory: Path) -> str:
    """'run', 'sweep', 'policy', 'threshold' or 'score'; raises BadInput naming what is
    missing otherwise."""
    if not directory.is_dir():
        raise BadInput(f"{directory} is not a directory")
    missing = [n for n in ("manifest.json", "config.yaml") if not (directory / n).is_file()]
    if len(missing) == 2:
        raise BadInput(
            f"{directory} is not a results directory: no manifest.json or config.yaml "
            "(expected a run from `sim run`, a sweep from `sim sweep` or a policy search "
            "from `sim policy`)"
        )
    if missing:
        raise BadInput(f"{directory} is incomplete: {missing[0]} is missing")
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise BadInput(f"{directory}/manifest.json cannot be read: {error}") from None
    check_where_written(directory)
    if manifest.get("kind") == "sweep":
        check_sweep(directory, manifest)
        return "sweep"
    if manifest.get("kind") == "policy":
        check_policy(directory, manifest)
        return "policy"
    if manifest.get("kind") == "threshold":
        check_threshold(directory, manifest)
        return "threshold"
    if manifest.get("kind") == "score":
        check_score(directory)
        return "score"
    check_run(directory, manifest)
    return "run"


def check_where_written(directory: Path) -> None:
    """config.yaml as made (not edited since), and figures/ a real folder inside `directory`."""
    from sim.config import ConfigError
    from sim.config.paths import output_folder
    from sim.engine.store import check_config

    try:
        check_config(directory)
        output_folder(directory, "figures")
    except ConfigError as error:
        raise BadInput(str(error)) from None


def check_run(directory: Path, manifest: dict) -> None:
    """A run directory needs its summary, and every table its manifest lists."""
    listed = [n for n in manifest.get("files", {}) if n.endswith(".parquet")]
    needed = dict.fromkeys(["summary.parquet", *listed])
    missing = [n for n in needed if not (directory / n).is_file()]
    if missing:
        raise BadInput(f"{directory} is incomplete: missing {', '.join(missing)}")


def check_sweep(directory: Path, manifest: dict) -> None:
    """A sweep must say complete: true and have its design and run summaries."""
    if manifest.get("complete") is not True:
        raise BadInput(
            f"{directory} is an incomplete sweep (manifest.json says complete: "
            f"{str(manifest.get('complete')).lower()}); finish it with resume={directory}"
        )
    missing = [n for n in ("design.parquet",) if not (directory / n).is_file()]
    if not any((directory / "parts" / "summary").glob("part-*.parquet")):
        missing.append("parts/summary/part-*.parquet")
    if missing:
        raise BadInput(f"{directory} is incomplete: missing {', '.join(missing)}")
    from sim.engine.sweep_directory import DamagedSweep, planned_parts

    try:
        planned_parts(directory, "summary")  # every part of the plan, not a subset
    except DamagedSweep as error:
        raise BadInput(str(error)) from None


POLICY_TABLES = ("evaluations", "pareto", "robustness", "scenarios")


def check_policy(directory: Path, manifest: dict) -> None:
    """A policy search must say complete: true and have its tables, with the columns the
    config's levers, objectives and uncertainties name."""
    if manifest.get("complete") is not True:
        experiment = manifest.get("experiment") or "<name>"
        raise BadInput(
            f"{directory} is an incomplete policy search (manifest.json says complete: "
            f"{str(manifest.get('complete')).lower()}); finish it with "
            f"`python -m sim policy experiment={experiment} resume={directory}`"
        )
    missing = [f"{n}.parquet" for n in POLICY_TABLES if not (directory / f"{n}.parquet").is_file()]
    if missing:
        raise BadInput(f"{directory} is incomplete: missing {', '.join(missing)}")
    import pyarrow.parquet as pq

    for name, columns in policy_columns(directory).items():
        absent = [c for c in columns if c not in pq.read_schema(directory / name).names]
        if absent:
            raise BadInput(
                f"{directory / name} lacks the column(s) {', '.join(absent)} that config.yaml's "
                "levers, objectives and uncertainties call for"
            )


THRESHOLD_TABLES = ("threshold", "evaluations", "curve")


def check_threshold(directory: Path, manifest: dict) -> None:
    """A threshold study must say complete: true and have its tables."""
    if manifest.get("complete") is not True:
        raise BadInput(
            f"{directory} is an incomplete threshold study (manifest.json says complete: "
            f"{str(manifest.get('complete')).lower()}); finish it with the same "
            f"`python -m sim threshold ...` command and resume={directory}"
        )
    missing = [
        f"{n}.parquet" for n in THRESHOLD_TABLES if not (directory / f"{n}.parquet").is_file()
    ]
    if missing:
        raise BadInput(f"{directory} is incomplete: missing {', '.join(missing)}")


SCORE_TABLES = ("scores.parquet", "skill.parquet", "predictive.parquet")


def check_score(directory: Path) -> None:
    """A scores directory needs its three tables."""
    missing = [n for n in SCORE_TABLES if not (directory / n).is_file()]
    if missing:
        raise BadInput(f"{directory} is incomplete: missing {', '.join(missing)}")


def policy_columns(directory: Path) -> dict[str, list[str]]:
    """The columns each policy table must have, by file name."""
    from sim.engine.config_file import read_config
    from sim.plots.policy import flat_ranges

    cfg = OmegaConf.to_container(read_config(directory), resolve=True)
    levers = list(flat_ranges(cfg.get("levers", {})))
    objectives = [str(o) for o in cfg.get("objectives", [])]
    uncertainties = list(flat_ranges(cfg.get("uncertainties", {})))
    regrets = [f"{o}_regret_{kind}" for o in objectives for kind in ("mean", "max")]
    searched = ["policy", "reference", *levers, *objectives]
    return {
        "evaluations.parquet": ["generation", *searched],
        "pareto.parquet": searched,
        "robustness.parquet": [*searched, *regrets, "threshold_share", "chosen"],
        "scenarios.parquet": ["policy", "sampled_scenario", *uncertainties, *objectives],
    }


# --- drawing ---------------------------------------------------------------------------------
def read_run(directory: Path) -> dict:
    """The tables of a run directory (None for those not recorded) and its settings."""

    from sim.engine.config_file import read_config
    from sim.engine.store import read_table

    cfg = read_config(directory)

    def table(name: str) -> pd.DataFrame | None:
        path = directory / f"{name}.parquet"
        return read_table(path) if path.is_file() else None

    summary = table("summary")
    return dict(
        summary=summary,
        trajectories=table("trajectories"),
        events=table("events"),
        scenario=str(cfg.scenario.name),
        months=int(cfg.run.months),
        config=OmegaConf.to_yaml(cfg),
    )


def run_report(directory: Path) -> tuple[dict, str, dict[str, pd.DataFrame], str, list[str]]:
    """Figures, title, tables, config and notes of a scenario run's report."""
    from sim import plots
    from sim.analysis.run_report import RUNG_LABELS, escalation_table, report_months

    run = read_run(directory)
    summary = run["summary"]
    figures = plots.run_figure_set(
        summary, run["trajectories"], run["events"], run["scenario"], run["months"]
    )
    notes = [f"Results directory: {shown_path(directory)}"]
    if run["trajectories"] is None:
        notes.append(
            "No trajectories were recorded (run.trajectories=false): no rung shares, no fan charts."
        )
    if run["events"] is None or run["trajectories"] is None:
        notes.append("No event log and trajectories together: no event timeline.")
    escalation = escalation_table(summary, report_months(run["months"]), range(1, 6))
    escalation.insert(1, "rung reached", escalation["rung"].map(RUNG_LABELS))
    columns = ["max_rung", "pipeline_halts", "final_alignment", "final_cpc_share"]
    columns += ["final_defence", "final_nationalism", "oil_revenue_lost"]
    described = summary[[c for c in columns if c in summary]].describe(
        percentiles=[0.05, 0.25, 0.5, 0.75, 0.95]
    )
    tables = {
        "P(rung k or higher by month T), 95% Wilson interval": escalation,
        "CPC stoppages per year, by cause": halts_by_cause(summary, run["months"]),
        f"By how the war ends: P(rung k or higher by month {run['months']})": by_war_outcome(
            summary, run["months"]
        ),
        "Summary of runs": described.T.reset_index(names="variable"),
    }
    tables = {heading: table for heading, table in tables.items() if len(table)}
    title = f"{run['scenario']}: {len(summary):,} runs x {run['months']} months"
    return figures, title, tables, run["config"], notes


def halts_by_cause(summary: pd.DataFrame, months: int) -> pd.DataFrame:
    """Mean, median and 90% range of CPC stoppages per year: Russia's, other causes, all."""
    import numpy as np
    import pandas as pd

    from sim.analysis.run_report import halts_per_year

    rows = []
    for column, cause in (
        ("pipeline_halts_russia", "Russia-attributable (coercion)"),
        ("pipeline_halts_other", "other causes (storms, repairs, third parties)"),
        ("pipeline_halts", "all causes"),
    ):
        if column in summary:
            rate = halts_per_year(summary, months, column)
            q05, q50, q95 = np.quantile(rate, [0.05, 0.5, 0.95])
            rows.append({"cause": cause, "mean": rate.mean(), "median": q50, "5%": q05, "95%": q95})
    return pd.DataFrame(rows)


def by_war_outcome(summary: pd.DataFrame, months: int) -> pd.DataFrame:
    """Runs and P(rung >= 4), P(rung 5) by the horizon, per way the war ended (empty when the
    war ended one way in every run)."""
    import pandas as pd

    from sim.analysis.run_report import escalation_table, probability_cell

    if "war_outcome" not in summary or summary["war_outcome"].nunique() < 2:
        return pd.DataFrame()
    rows = []
    for outcome, part in summary.groupby("war_outcome", observed=True, sort=False):
        table = escalation_table(part, [months], rungs=[4, 5]).set_index("rung")
        cells = {
            f"rung {k}+ [95% Wilson]": probability_cell(
                *table.loc[k, ["probability", "lower", "upper"]]
            )  # fmt: skip
            for k in (4, 5)
        }
        rows.append({"war ends": str(outcome), "runs": len(part), **cells})
    return pd.DataFrame(rows)


def shown_path(directory: Path) -> str:
    """The results directory as a report names it: from its kind folder on (runs/baseline/<time>),
    not the absolute path of the machine that drew it."""
    parts = directory.resolve().parts
    return str(Path(*parts[-3:])) if len(parts) >= 3 else str(directory)


def provenance(directory: Path) -> str:
    """Which code made the results, and how: version, model version, commit, command."""
    from sim.model.version import model_version

    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError):
        manifest = {}
    versions = manifest.get("versions") or {}
    version = versions.get("kz-escalation-sim") or manifest.get("package_version") or "unknown"
    command = manifest.get("command")
    command = " ".join(command) if isinstance(command, list) else str(command or "unknown")
    return (
        f"Made by sim {version} (model version {model_version()}), commit "
        f"{manifest.get('git_commit') or 'unknown'}, with: {command}. "
        f"This report: {PROG} {shown_path(directory)}."
    )


def sweep_report(
    directory: Path, analysis: Path | None = None
) -> tuple[dict, str, dict[str, pd.DataFrame], str, list[str]]:
    """Figures, title, tables, config and notes of a sweep's report, drawn from the analysis
    folder `analysis` (None: the newest)."""
    from sim import plots
    from sim.analysis.sweep_analysis import describe_analysis, intervals_note

    sweep = plots.load_sweep(directory, analysis)
    figures = plots.sweep_figure_set(sweep)
    notes = [f"Sweep directory: {shown_path(directory)}"]
    if sweep.analysis is not None:
        notes.append(f"Analysis tables read from {describe_analysis(directory, sweep.analysis)}")
    probabilities = sweep.tables["probabilities"]
    notes.append(f"P(rung k or higher by month T) per point: {intervals_note(probabilities)}.")
    if sweep.computed:
        notes.append(
            "Computed here from the run summaries (not in an analysis): "
            + ", ".join(sweep.computed)
        )
    if not plots.is_grid(sweep):
        notes.append("Not a full grid design: no heatmaps, factor curves or thresholds.")
    if sweep.tables["time_to_escalation"].empty:
        notes.append(
            "No time-to-rung curves (Sobol and Morris designs have none; otherwise no run "
            "reached the analysed rungs): no Kaplan-Meier figure."
        )
    figures.update(plots.sensitivity_figures(directory, sweep.analysis))
    tables = {  # a Sobol or Morris design has no thresholds or median times: no section
        heading: sweep.tables[name]
        for heading, name in SWEEP_TABLES.items()
        if len(sweep.tables[name])
    }
    config = (directory / "config.yaml").read_text()
    title = f"Sweep {sweep.name}: {len(sweep.design)} design points, {sweep.label}"
    return figures, title, tables, config, notes


#: The sweep report's tables: heading -> analysis table (analysis/<key>/<name>.csv holds all
#: rows).
SWEEP_TABLES = {
    "Thresholds": "thresholds",
    "Median time to each rung (months)": "median_times",
    "P(rung k or higher by month T) per design point": "probabilities",
}


def policy_report(directory: Path) -> tuple[dict, str, dict[str, pd.DataFrame], str, list[str]]:
    """Figures, title, tables, config and notes of a policy search's report."""
    from sim import plots

    result = plots.load_policy(directory)
    figures = plots.policy_figure_set(result)
    search, robust = result.settings["search"], result.settings["robustness"]
    objective = plots.objective_label(result.robust_objective, unit=False)
    notes = [
        f"Policy directory: {shown_path(directory)}",
        f"Base scenario: {result.scenario}. Search: {search.get('method', '?')}, population "
        f"{search.get('population', '?')}, {search.get('generations', '?')} generations, "
        f"{search.get('runs', '?')} runs per policy; {len(result.evaluations):,} policies "
        f"evaluated, {len(result.pareto)} non-dominated (the Pareto set).",
        f"Robustness: {len(result.robustness)} policies (the Pareto set, at most "
        f"{robust.get('max_policies', '?')} of it, and the status quo) re-evaluated on "
        f"{robust.get('scenarios', '?')} fresh scenarios x {robust.get('replicates', '?')} runs. "
        "Regret: how much worse a policy does than the best re-evaluated policy in the same "
        f"scenario. The most robust policy (policy {result.chosen}) keeps {objective} at or "
        f"under {result.threshold:g} in the most scenarios.",
        "Every objective is a cost: lower is better. The status quo is the base scenario's own "
        "lever values.",
        *sign_share_notes(directory, result),
        policy_intervals_note(result),
    ]
    if result.failure_text:
        notes += ["Where the most robust policy fails (PRIM):", *result.failure_text.splitlines()]
    else:
        notes.append(
            "No failure box: no scenario failed the threshold, or EMA Workbench was missing."
        )
    title = (
        f"Policy search {result.name}: {len(result.evaluations):,} policies evaluated, "
        f"{len(result.pareto)} non-dominated, {result.runs:,} runs"
    )
    config = (directory / "config.yaml").read_text()
    return figures, title, policy_tables(result), config, notes


def policy_intervals_note(result: Any) -> str:
    """What a probability objective's columns are, said once."""
    if not any(c.endswith("_parameters_lower") for c in result.robustness.columns):
        return (
            "Probability objectives: no intervals recorded (a study from before they were added)."
        )
    return (
        "Probability objectives (o = p_rung...): o_lower, o_upper = the dice's 95% interval "
        "(Wilson, over the policy's runs); o_parameters_lower, o_parameters_upper = the "
        "parameters' (o +- 1.96 sd, sd the spread of P between the scenarios, each one "
        "posterior draw and point of the uncertainties its replicates share). Blank where "
        "there is none: in the search's tables (one run per scenario cannot split the spread), "
        "and where every scenario has the same parameters (no posterior, no uncertainties)."
    )


def sign_share_notes(directory: Path, result: Any) -> list[str]:
    """What the sign shares count, where the parameters came from, and which lever claims hold
    in fewer than ROBUST_SHARE of the draws (worded as conditional, or dropped)."""
    from sim.engine.store import read_manifest
    from sim.studies.ablation import ROBUST_SHARE

    calibration = read_manifest(directory).get("calibration")
    source = (
        f"each scenario is one draw from the posterior {calibration['directory']}"
        if isinstance(calibration, dict)
        else "the hand-set parameter values (no posterior): each scenario is one point of the "
        "uncertainties' Latin hypercube"
    )
    notes = [
        f"Parameters: {source}. A sign share is the share of scenarios in which an effect has "
        "the sign of its mean, every policy on the same scenarios and seeds; a claim whose sign "
        f"holds in fewer than {ROBUST_SHARE:.0%} of them is stated as conditional, or dropped. "
        "robustness table: <objective>_sign_share, each policy against the status quo."
    ]
    effects = result.lever_effects
    if effects is None or not len(effects):
        return notes
    mine = effects[effects["objective"] == result.robust_objective]
    for row in mine.sort_values("effect", key=abs, ascending=False).itertuples():
        verb = "raises" if row.effect > 0 else "lowers" if row.effect < 0 else "leaves"
        notes.append(
            f"{row.lever} from {row.low:g} to {row.high:g} {verb} "
            f"{result.robust_objective} by {abs(row.effect):.3g} on average; the sign holds in "
            f"{row.sign_share:.0%} of the scenarios and is reversed in {row.reversed_share:.0%}"
            + ("" if row.robust else " (conditional)")
        )
    return notes


def policy_tables(result: Any) -> dict[str, pd.DataFrame]:
    """The report's tables: robustness, the Pareto set, what each column means, the box."""
    import pandas as pd

    from sim import plots

    robustness = result.robustness.sort_values(
        ["threshold_share", result.robust_objective], ascending=[False, True], kind="stable"
    )
    regrets = [f"{o}_regret_mean" for o in result.objectives]
    first = ["policy", "reference", "chosen", "threshold_share", *result.objectives, *regrets]
    reference = result.reference
    tables = {
        "Robustness on the fresh ensemble (most robust first)": robustness[
            [*first, *(c for c in robustness.columns if c not in first)]
        ],
        "Pareto set (values on the search ensemble)": result.pareto.sort_values(
            result.objectives[0]
        ),
        "Objectives (costs: lower is better)": pd.DataFrame(
            {
                "objective": result.objectives,
                "label": [plots.objective_label(o) for o in result.objectives],
                "meaning": [objective_doc(o) for o in result.objectives],
            }
        ),
        "Levers (searched range) and uncertainties (sampled range)": pd.DataFrame(
            [
                {
                    "kind": kind,
                    "path": path,
                    "label": plots.lever_label(path),
                    "low": low,
                    "high": high,
                    "status quo": reference[path]
                    if kind == "lever" and reference is not None
                    else None,
                }
                for kind, ranges in (
                    ("lever", result.levers),
                    ("uncertainty", result.uncertainties),
                )
                for path, (low, high) in ranges.items()
            ]
        ),
    }
    if result.lever_effects is not None and len(result.lever_effects):
        tables[
            "Each lever alone, low to high end, the others at the status quo: effect and sign "
            "share over the scenarios (posterior draws)"
        ] = result.lever_effects
    if result.failure_box is not None and len(result.failure_box):
        tables["Failure box of the most robust policy (PRIM limits)"] = result.failure_box
    return tables


def objective_doc(name: str) -> str:
    from sim.studies.policy.objectives import OBJECTIVES

    return OBJECTIVES[name].doc if name in OBJECTIVES else ""


def threshold_report(directory: Path) -> tuple[dict, str, dict[str, pd.DataFrame], str, list[str]]:
    """Figures, title, tables, config and notes of a threshold study's report."""
    from sim.engine.store import read_manifest
    from sim.plots.threshold import load_threshold, threshold_figure_set

    result = load_threshold(directory)
    row = result.threshold.iloc[0]
    notes = [
        f"Threshold directory: {directory}",
        f"Answer: {result.answer}.",
        f"{int(row['runs']):,} runs in {int(row['batches'])} batches; convergence rule "
        f"{'met' if row['converged'] else 'not met (the budget was spent first)'}. "
        "Method: sequential logistic fits, each batch placed where the crossing is least "
        "certain; Fieller interval from the cluster-robust covariance (docs/thresholds.md).",
    ]
    if row.get("posterior"):
        notes.append(
            "Parameters drawn from a posterior: the interval carries the parameters' spread as "
            "well as the dice's (dice_lower and dice_upper: the dice's alone)."
        )
        overridden = read_manifest(directory).get("posterior_overridden") or []
        if overridden:
            notes.append(
                f"The posterior calibrates {', '.join(overridden)}: the design sets it instead "
                "of the posterior's draws (overridden); every other calibrated parameter is "
                "drawn from the posterior."
            )
    tables = {
        "Threshold": result.threshold,
        "Evaluations (every batch and point)": result.evaluations,
    }
    config = (directory / "config.yaml").read_text()
    return threshold_figure_set(result), result.title, tables, config, notes


def score_report(directory: Path) -> tuple[dict, str, dict[str, pd.DataFrame], str, list[str]]:
    """Figures, title, tables, config and notes of a scoring's report."""
    from sim.plots.score import score_figure_set
    from sim.studies.scoring import coverage_summary, read

    data = read(directory)
    config, scores = data["config"], data["scores"]
    runs = config["run"]["replicates"]
    what = (
        f"{config['facts']['name']}, cut-off {config['cutoff']}, calibration "
        f"{config['calibration']}, {runs:,} runs"
    )
    figures = score_figure_set(scores, data["skill"], what)
    coverage = coverage_summary(scores)
    notes = [
        f"Scores directory: {directory}",
        f"{len(config['scored'])} facts after the cut-off {config['cutoff']} scored; "
        f"{len(config['known'])} known by it (they make the reference forecasts"
        + (" and the calibration targets)." if config["calibration"] == "auto" else ")."),
        "Scores: lower is better. Skill = 1 - score / reference score: 1 perfect, 0 no better "
        "than the reference, negative worse; 90% bootstrap intervals over the facts.",
    ]
    if coverage:
        notes.append(
            f"Counts and continuous facts ({coverage['facts']}): {coverage['inside_50']:.0%} "
            f"inside the model's 50% interval, {coverage['inside_90']:.0%} inside its 90% "
            f"interval; mean PIT {coverage['pit_mean']:.2f} (0.5 without bias)."
        )
    notes.append(score_intervals_note(scores, config))
    columns = ["fact", "kind", "period", "observed", "mean", "q05", "median", "q95"]
    columns += ["probability", *score_interval_columns(scores)]
    columns += ["score", "model", "climatology", "persistence", "uniform"]
    tables = {
        "Skill against the reference forecasts": data["skill"],
        "Scores per fact": scores[columns],
    }
    title = f"Forecast skill: {what}"
    return figures, title, tables, (directory / "config.yaml").read_text(), notes


def score_interval_columns(scores: pd.DataFrame) -> list[str]:
    """A P(yes)'s interval columns (absent from scores written before they were added)."""
    from sim.studies.scoring import INTERVAL_COLUMNS

    return [c for c in INTERVAL_COLUMNS if c in scores]


def score_intervals_note(scores: pd.DataFrame, config: dict) -> str:
    """What a binary fact's P(yes) carries, said once."""
    from sim.engine.posterior_draws import RUNS_PER_DRAW

    if "parameters_lower" not in scores:
        return "P(yes): no intervals recorded (scored before they were added)."
    dice = (
        "P(yes) of a binary fact: probability_lower, probability_upper = the dice's 95% "
        "interval (Wilson, over the runs)"
    )
    if str(config["calibration"]) == "none":
        return (
            f"{dice}; parameters: the hand-set values (calibration=none), so there is no "
            "parameters' interval (parameters_lower, parameters_upper blank)."
        )
    return (
        f"{dice}; parameters_lower, parameters_upper = the parameters' 95% (the spread of P "
        f"over the posterior's draws of {RUNS_PER_DRAW} runs each, p +- 1.96 sd; blank with "
        "fewer than 2 draws)."
    )


REPORTS = {
    "run": run_report,
    "sweep": sweep_report,
    "policy": policy_report,
    "threshold": threshold_report,
    "score": score_report,
}


def draw(
    directory: Path,
    kind: str,
    formats: Sequence[str],
    style: str = "screen",
    analysis: Path | None = None,
) -> list[Path]:
    """Draw the figures (in `style`) and the report into a staging folder, then move them into
    place; a sweep's from the analysis folder `analysis` (None: its newest)."""
    from sim.plots.style import use_style

    with use_style(style):
        return _draw(directory, kind, formats, style, analysis)


def _draw(
    directory: Path, kind: str, formats: Sequence[str], style: str, analysis: Path | None
) -> list[Path]:
    from sim import plots
    from sim.analysis.html_report import render_report, write_report
    from sim.plots.captions import captions
    from sim.plots.style import fit_to_page

    if kind == "sweep":
        figures, title, tables, config, notes = sweep_report(directory, analysis)
    else:
        figures, title, tables, config, notes = REPORTS[kind](directory)
    if style == "paper":
        figures = {name: fit_to_page(fig) for name, fig in figures.items()}
    notes = [provenance(directory), *notes]
    csv = table_files(directory, analysis)
    from sim.engine.store import remove_stale_staging

    remove_stale_staging(directory)  # left by a plot that was killed
    staging = Path(
        tempfile.mkdtemp(prefix=f".plot-{os.getpid()}-", suffix=".partial", dir=directory)
    )
    try:
        drawn = plots.save_figures(figures, staging / "figures", formats)
        pngs = {name: plots.figure_png(fig) for name, fig in figures.items()}
        report = write_report(
            staging / "report.html",
            render_report(title, pngs, tables, config, notes, captions(figures), csv),
        )
        (directory / "figures").mkdir(exist_ok=True)
        written = []
        for path in [*drawn, report]:
            target = directory / path.relative_to(staging)
            os.replace(path, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def table_files(directory: Path, analysis: Path | None) -> dict[str, str]:
    """For each sweep report table (by heading), its CSV relative to the report, when the
    tables were read from an analysis folder (those computed here have no file)."""
    if analysis is None:
        return {}
    where = analysis.relative_to(directory).as_posix()
    return {heading: f"{where}/{name}.csv" for heading, name in SWEEP_TABLES.items()}


def main(argv: Sequence[str]) -> int:
    """Check the directory and options, then draw; return the exit code."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    directory = Path(argv[0])
    try:
        check_directory(
            directory, ("run", "sweep", "policy", "threshold", "score"), "plot", BadInput
        )  # a comparison...
        options = parse_options(argv[1:])
        kind = results_kind(directory)
        analysis = pick_analysis(directory, kind, options["analysis"])
    except BadInput as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    if kind == "sweep":
        print(analysis_line(directory, analysis))
    written = draw(directory, kind, options["format"], options["style"], analysis)
    figures = [p for p in written if p.parent.name == "figures"]
    print(f"{kind} {directory}: {len(figures)} figure files in {directory / 'figures'}")
    for path in figures:
        print(f"  {path.name}")
    print(f"report: {directory / 'report.html'}")
    return 0
