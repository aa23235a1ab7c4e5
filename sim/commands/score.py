"""`python -m sim score facts=<name> [cutoff=YYYY-MM] [calibration=none|auto|<dir>] [...]`.

Scores the model's forecasts of the facts after a cut-off against what happened, and against
reference forecasts that need no model (climatology, persistence, uniform): Brier and log
score for binary facts; CRPS, PIT and interval coverage for counts and continuous facts; skill
scores with bootstrap intervals. Writes ``<output_root>/scores/<facts>/<timestamp>/``
(scores.parquet, skill.parquet, predictive.parquet, config.yaml, manifest.json, figures/,
report.html, and calibration/ with calibration=auto); the directory appears only when complete.
See docs/scoring.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.errors import CalibrationError

PROG = "python -m sim score"
QUICK_REPLICATES, FULL_REPLICATES = 200, 2000
EXECUTORS = ("serial", "process", "dask")
USAGE = f"""usage: {PROG} facts=<name|file.yaml> [key=value ...]

  facts=NAME             a file in configs/facts/ or DIR/facts/ of a --search-path DIR
                         ({{facts}}), or a path to a .yaml file
  cutoff=YYYY-MM         score the facts whose period starts after this month (default: the
                         facts file's cutoff)
  calibration=none|auto|DIR
                         none: the scenario's values (default); auto: calibrate first on what
                         was known by the cut-off; DIR: draw parameters from a calibration
  scenario=NAME          the scenario to simulate (default: the facts file's)
  run.replicates=N       runs in the ensemble (default {FULL_REPLICATES}; quick {QUICK_REPLICATES})
  run.seed=S             master seed (default 20221028): run i has derive_seeds(S, i)
  run.months=N           months simulated (default: the facts file's months)
  run.output_root=DIR    results go to DIR/scores/<facts>/<timestamp>/ (default results)
  quick=true|false       a small ensemble and calibration, for a first look (default false)
  method=NAME budget=N population=N generations=N
                         calibration=auto's sampler and its size, as `python -m sim calibrate`
                         takes them (default: semi-automatic ABC on a growing reference table)
  executor=serial|process|dask  workers=N  chunk_size=N
                         where the ensemble runs; the scores do not depend on it
  figures=true|false     draw the figures and report.html (default true)"""
KEYS = (
    "facts",
    "cutoff",
    "calibration",
    "scenario",
    "run.replicates",
    "run.seed",
    "run.months",
    "run.output_root",
    "quick",
    "method",
    "budget",
    "population",
    "generations",
    "executor",
    "workers",
    "chunk_size",
    "figures",
)


def main(argv: Sequence[str]) -> int:
    """Parse, check, score, write; return the exit code."""
    from sim.studies.fact_files import available

    if any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE.format(facts=", ".join(available())))
        return 0
    # pandas, scipy and the event readers load here: after --help
    from sim.studies import scoring

    try:
        facts, options, output_root, figures = parse_args(argv)
        result = scoring.run(facts, options)  # checks everything before any long work
        directory = scoring.write(result, output_root, _draw if figures else None)
    except CalibrationError as error:  # facts, options, a posterior, a targets file
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: no scores directory was left behind", file=sys.stderr)
        return 130
    print(report(result, directory))
    return 0


def _draw(staging: Path) -> list[Path]:
    from sim.commands.plot import draw

    return draw(staging, "score", ["png"])


def parse_args(argv: Sequence[str]) -> tuple[Any, Any, Path, bool]:
    """The facts, the scoring options, the output root and whether to draw; FactsError names
    the bad argument."""
    from sim.commands.calibrate import sampler_settings
    from sim.commands.options import as_bool, key_values
    from sim.engine import resources
    from sim.studies import facts as F
    from sim.studies.fact_files import FactsError, available
    from sim.studies.scoring import Options

    raw = key_values(argv, KEYS, FactsError)
    if "facts" not in raw:
        raise FactsError(f"name the facts: facts=<name>, one of {', '.join(available())}")
    facts = F.load(raw["facts"])
    quick = as_bool("quick", raw.get("quick", "false"), FactsError)
    if "cutoff" in raw:
        cutoff = F.month_index(raw["cutoff"], "cutoff")
    elif facts.cutoff is not None:
        cutoff = facts.cutoff
    else:
        raise FactsError(f"name the cut-off: cutoff=YYYY-MM ({facts.path} gives none)")
    seed = _int(raw, "run.seed", 20221028, 0, 2**62)
    # The same sampler as `sim calibrate`: ABC-SMC cannot move in a prior of 65 dimensions
    # (docs/calibration.md, "Choice of method"), so calibration=auto must not default to it.
    settings = sampler_settings(raw, quick, seed, progress=False)
    executor = raw.get("executor", "serial")
    if executor not in EXECUTORS:
        raise FactsError(f"executor = {executor!r} is not allowed: expected one of {EXECUTORS}")
    default_runs = QUICK_REPLICATES if quick else FULL_REPLICATES
    options = Options(
        cutoff=cutoff,
        calibration=raw.get("calibration", "none"),
        scenario=raw.get("scenario", facts.scenario),
        replicates=_int(raw, "run.replicates", default_runs, 1, 10_000_000),
        seed=seed,
        months=_int(raw, "run.months", facts.months, 1, 600),
        settings=settings,
        executor=executor,
        workers=_int(raw, "workers", 0, 0, 1024) or None,
        chunk_size=_int(raw, "chunk_size", 500, 1, 1_000_000),
    )
    output_root = Path(raw.get("run.output_root", "results"))
    try:
        resources.check_output_root(output_root, "run.output_root")
    except ValueError as error:
        raise FactsError(str(error)) from None
    figures = as_bool("figures", raw.get("figures", "true"), FactsError)
    return facts, options, output_root, figures


def _int(raw: dict[str, str], key: str, default: int, low: int, high: int) -> int:
    from sim.commands.options import as_int
    from sim.studies.fact_files import FactsError

    return default if key not in raw else as_int(key, raw[key], low, high, FactsError)


def probability_note(on_posterior: bool) -> str:
    """What a P(yes)'s two intervals are, said once (docs/scoring.md)."""
    from sim.engine.posterior_draws import RUNS_PER_DRAW

    if on_posterior:
        return (
            "P(yes) [the dice's 95%: Wilson over the runs] (the parameters' 95%: the spread "
            f"of P over the posterior's draws of {RUNS_PER_DRAW} runs each)"
        )
    return (
        "P(yes) [the dice's 95%: Wilson over the runs]; parameters: the hand-set values "
        "(calibration=none), so there is no parameters' interval"
    )


def probability_text(row: Any) -> str:
    """'P(yes) 0.42 [0.40, 0.44] (0.10-0.80)': the parameters' part only where there is one."""
    text = (
        f"P(yes) {row.probability:.2f} [{row.probability_lower:.2f}, {row.probability_upper:.2f}]"
    )
    if row.parameters_lower == row.parameters_lower:  # NaN: no posterior, or one draw
        text += f" ({row.parameters_lower:.2f}-{row.parameters_upper:.2f})"
    return text


def report(result: Any, directory: Path) -> str:
    """The printed result: skill per kind, score and reference; then each fact."""
    from sim.studies.facts import month_label
    from sim.studies.scoring import coverage_summary

    o = result.options
    lines = [
        f"{result.facts.name}: {len(result.scored)} facts after {month_label(o.cutoff)} scored "
        f"({len(result.known)} known by then); {o.scenario}, {o.replicates:,} runs, "
        f"calibration {o.calibration}; {result.seconds:.1f} s",
        "",
        "skill = 1 - score / reference score (90% bootstrap interval over the facts)",
    ]
    for row in result.skill[result.skill["facts"] > 0].itertuples(index=False):
        lines.append(
            f"  {row.kind:<10} {row.score:<5} vs {row.reference:<11} ({row.facts:>2} facts): "
            f"model {row.model_mean:.3f}, reference {row.reference_mean:.3f}, skill "
            f"{row.skill:+.2f} [{row.skill_low:+.2f}, {row.skill_high:+.2f}]"
        )
    coverage = coverage_summary(result.scores)
    if coverage:
        lines.append(
            f"  counts and continuous: {coverage['inside_50']:.0%} inside the 50% interval, "
            f"{coverage['inside_90']:.0%} inside the 90% interval, mean PIT "
            f"{coverage['pit_mean']:.2f}"
        )
    lines += ["", "per fact: observed | model (P(yes), or median [90%]) | score"]
    lines.append(f"  {probability_note(result.posterior is not None)}")
    for row in result.scores.itertuples(index=False):
        forecast = (
            probability_text(row)
            if row.kind == "binary"
            else f"{row.median:g} [{row.q05:g}, {row.q95:g}]"
        )
        lines.append(
            f"  {row.fact:<38} {row.observed:>6g} | {forecast:<36} | {row.score} {row.model:.3f}"
        )
    lines += ["", f"written to {directory}"]
    return "\n".join(lines)
