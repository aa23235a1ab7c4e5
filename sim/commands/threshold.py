"""`python -m sim threshold scenario=<name> factor=<param> outcome="rung>=4 by 120" level=0.1`

Finds the factor value at which the outcome's probability crosses the level, with its
confidence interval, spending runs in batches near the crossing (sequential logistic fits,
common random numbers); or says that the level is never crossed in the range, with the
closest probability and its interval. docs/thresholds.md explains the method and the files.

Outcomes (as `analyze` names them): "rung>=K by T", "disruptions>X by T" (Russia-attributable
CPC disruptions per year), "csto_exit by T".

Options: range=[lo,hi] (default: the parameter's bounds), budget=20000 (most runs),
batch=400, tolerance=0.05 (converged when the interval is at most this share of the range),
confidence=0.95, calibration=<dir> (draw the calibrated parameters from a posterior: the
interval then carries their uncertainty too), seed=, executor=process|serial|dask, workers=,
resume=<dir>. Two factors: factor=[a,b] range=[[lo,hi],[lo,hi]] give the crossing curve.
Figures and report.html are drawn at the end (plot=false: not).
"""

from __future__ import annotations

import sys

PROG = "python -m sim threshold"


def resume_command(argv: list[str], directory: object) -> str:
    """The command that finishes an interrupted study (its own resume= replaced)."""
    kept = [_quoted(a) for a in argv if not a.startswith("resume=")]
    return " ".join([PROG, *kept, f"resume={directory}"])


def _quoted(argument: str) -> str:
    key, _, value = argument.partition("=")
    return f'{key}="{value}"' if " " in value else argument


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    draw = "plot=false" not in argv
    bad_plot = [a for a in argv if a.startswith("plot=") and a not in ("plot=true", "plot=false")]
    if bad_plot:
        print(
            f"{PROG}: error: {bad_plot[0]} is not allowed: expected true or false", file=sys.stderr
        )
        return 2
    overrides = [a for a in argv if not a.startswith("plot=")]
    # The printed resume command repeats the command given, plot=false too (review 2, D16).
    given = overrides if draw else [*overrides, "plot=false"]
    from sim.commands.sweep import shown
    from sim.config import ConfigError
    from sim.engine import resources as guards
    from sim.model.params import ParamError
    from sim.studies.threshold import spec
    from sim.studies.threshold.study import StudyFailed, StudyInterrupted, run_study

    try:
        cfg = spec.load(overrides)
        guards.check_output_root(
            cfg.resume or cfg.output_root, "resume" if cfg.resume else "output_root"
        )
        directory = run_study(cfg)
    except (ConfigError, ParamError, ValueError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except StudyInterrupted as stop:
        print(
            f"\ninterrupted: {stop.directory} is incomplete; finish it with\n  "
            f"{resume_command(given, stop.directory)}",
            file=sys.stderr,
        )
        return 130
    except StudyFailed as failure:
        print(
            f"{PROG}: error: {failure}; the batches done so far are kept in "
            f"{failure.directory}: finish it with {resume_command(given, failure.directory)}",
            file=sys.stderr,
        )
        return 1
    from sim.engine.store import read_manifest

    manifest = read_manifest(directory)
    rule = "converged" if manifest["converged"] else "budget spent before the interval was narrow"
    print(manifest["answer"])
    print(f"({manifest['runs']:,} runs in {manifest['batches']} batches; {rule})")
    print(f"threshold study written to {shown(directory)}")
    if draw:
        from sim.commands.plot import main as plot

        return plot([str(directory)])
    return 0
