"""`python -m sim policy experiment=<name> [key=value ...]`: search for robust policies.

Searches the experiment's levers (what China, Turkey, the EU and Kazakhstan control) for the
Pareto set over its objectives on an ensemble of scenarios, then re-evaluates that set on fresh
scenarios: regret, the share of scenarios under a risk threshold, and where the most robust
policy fails. Experiments live in experiments/policies/; docs/policy.md explains them.

Any field can be overridden, OmegaConf dotlist style, e.g. ``quick=true`` (a small study for a
first look), ``search.generations=40``, ``robustness.threshold=0.05``, ``workers=2``,
``levers.turkey.arms.range=[0,0.3]``. An interrupted study is finished by the same command
with ``resume=<dir>``. Figures and report.html are drawn at the end (``plot=false``: not).
"""

from __future__ import annotations

import sys

PROG = "python -m sim policy"


def main(argv: list[str]) -> int:
    from sim.config import list_policy_experiments

    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("experiments:", ", ".join(name for name, _ in list_policy_experiments()))
        return 0
    from sim.commands.sweep import cfg_flag

    try:
        show_cfg, argv = cfg_flag(argv, PROG)
    except ValueError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    name = next((a.split("=", 1)[1] for a in argv if a.startswith("experiment=")), None)
    draw = "plot=false" not in argv
    overrides = [a for a in argv if not a.startswith(("experiment=", "plot="))]
    if name is None:
        known = ", ".join(n for n, _ in list_policy_experiments())
        print(
            f"{PROG}: error: name an experiment: {PROG} experiment=<name>; one of {known}",
            file=sys.stderr,
        )
        return 2
    bad_plot = [a for a in argv if a.startswith("plot=") and a not in ("plot=true", "plot=false")]
    if bad_plot:
        print(
            f"{PROG}: error: {bad_plot[0]} is not allowed: expected true or false", file=sys.stderr
        )
        return 2
    from sim.commands.sweep import resume_command
    from sim.config import ConfigError
    from sim.engine import resources as guards
    from sim.model.params import ParamError
    from sim.studies.policy import spec
    from sim.studies.policy.study import StudyFailed, StudyInterrupted, run_study

    # The printed resume command repeats the command given, plot=false too (review 2, D16).
    given = overrides if draw else [*overrides, "plot=false"]
    try:
        cfg = spec.load(name, overrides)
        if show_cfg:
            from omegaconf import OmegaConf

            print(OmegaConf.to_yaml(cfg), end="")
            return 0

        from sim.commands.sweep import warn_posterior

        warn_posterior(cfg.get("calibration"))
        guards.check_output_root(
            cfg.resume or cfg.output_root, "resume" if cfg.resume else ("output_root")
        )
        directory = run_study(cfg)
    except (ConfigError, ParamError, ValueError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except StudyInterrupted as stop:
        command = resume_command(name, given, stop.directory, "policy")
        print(
            f"\ninterrupted: {stop.directory} is incomplete; finish it with\n  {command}",
            file=sys.stderr,
        )
        return 130
    except StudyFailed as failure:
        print(
            f"{PROG}: error: {failure}; the chunks done so far are kept in {failure.directory}: "
            f"finish it with {resume_command(name, given, failure.directory, 'policy')}",
            file=sys.stderr,
        )
        return 1
    from sim.commands.sweep import shown

    print(f"policy study written to {shown(directory)}")
    if draw:
        from sim.commands.plot import main as plot

        return plot([str(directory)])
    return 0
