"""`python -m sim sweep experiment=<name> [key=value ...]`: run a named experiment.

Any field of the experiment can be overridden, OmegaConf dotlist style, e.g.
``replicates=200 design.n=64 workers=2 executor=dask scheduler=tcp://host:8786``,
``factors.kazakhstan.multivector.range=[0,0.6] scenarios=[baseline,fast_drift]``.
An interrupted sweep is finished by the same command with ``resume=<dir>``.
``--cfg job`` prints the composed experiment and runs nothing, as for ``sim run``.
See docs/sweeps.md.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from omegaconf import OmegaConf

from sim.config import (
    ConfigError,
    list_experiments,
)
from sim.model.params import ParamError


def warn_posterior(calibration: str | None) -> None:
    """Say on every use what is wrong with the posterior the runs draw from (nothing when
    nothing is: an error stays the one line on stderr)."""
    from sim.engine.posterior_draws import notices

    for line in notices(calibration):
        print(f"WARNING: {line}", file=sys.stderr)


def cfg_flag(argv: list[str], prog: str) -> tuple[bool, list[str]]:
    """(whether ``--cfg job`` was given, the other arguments); UsageError-like ValueError for
    ``--cfg`` with anything but ``job`` (an experiment has no Hydra section to show)."""
    if "--cfg" not in argv:
        return False, argv
    at = argv.index("--cfg")
    shown = argv[at + 1] if at + 1 < len(argv) else None
    if shown != "job":
        raise ValueError(f"--cfg {shown or ''} is not allowed: {prog} shows only --cfg job")
    return True, argv[:at] + argv[at + 2 :]


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("experiments:", ", ".join(name for name, _ in list_experiments()))
        return 0
    try:
        show_cfg, argv = cfg_flag(argv, "python -m sim sweep")
    except ValueError as error:
        print(f"python -m sim sweep: error: {error}", file=sys.stderr)
        return 2
    name = next((a.split("=", 1)[1] for a in argv if a.startswith("experiment=")), None)
    overrides = [a for a in argv if not a.startswith("experiment=")]
    if name is None:
        print(
            "python -m sim sweep: error: name an experiment: "
            "python -m sim sweep experiment=<name>; one of "
            + ", ".join(n for n, _ in list_experiments()),
            file=sys.stderr,
        )
        return 2
    from sim.engine.design import load_experiment
    from sim.engine.runner import SweepFailed, SweepInterrupted, run_sweep

    try:
        cfg = load_experiment(name, overrides)
        if show_cfg:
            print(OmegaConf.to_yaml(cfg), end="")
            return 0
        check_before_running(cfg)
        warn_posterior(cfg.get("calibration"))
        warn_inert_levels(cfg, overrides)
        meanwhile = functools.partial(_import_the_analysis, cfg.design.kind)
        directory = run_sweep(cfg, meanwhile=meanwhile if cfg.analysis.run else None)
    except (ConfigError, ParamError, ValueError) as error:
        print(f"python -m sim sweep: error: {error}", file=sys.stderr)
        return 2
    except SweepInterrupted as stop:
        print(
            f"\ninterrupted: {stop.directory} is incomplete; finish it with\n  "
            f"{resume_command(name, overrides, stop.directory)}",
            file=sys.stderr,
        )
        return 130
    except SweepFailed as failure:
        print(
            f"python -m sim sweep: error: {failure}; "
            f"the chunks done so far are kept in {failure.directory}: "
            f"finish it with {resume_command(name, overrides, failure.directory)}",
            file=sys.stderr,
        )
        return 1
    print(f"sweep written to {shown(directory)}")
    if cfg.analysis.run:
        # Not imported before the sweep runs: SciPy and the analysis are not needed for it
        # (while workers simulate, `_import_the_analysis` has loaded them in the background).
        from sim.analysis.sweep_analysis import analyze_sweep
        from sim.commands.analyze import print_tables

        # This command's analysis.* settings, also on resume (they may differ from the stored).
        options = OmegaConf.to_container(cfg.analysis)
        options.pop("run")
        print("analysing the sweep: probabilities, survival curves, thresholds ...", flush=True)
        print_tables(analyze_sweep(directory, options=options), directory)
    return 0


def shown(directory: object) -> str:
    """A results path as `run` prints it: relative to the working directory when inside it."""

    path = Path(str(directory))
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def resume_command(
    name: str, overrides: list[str], directory: object, command: str = "sweep"
) -> str:
    """The command that finishes an interrupted or failed sweep or policy study (its own
    resume= replaced)."""
    kept = [o for o in overrides if not o.startswith("resume=")]
    return " ".join(
        [f"python -m sim {command}", f"experiment={name}", *kept, f"resume={directory}"]
    )


def check_before_running(cfg: object) -> None:
    """Refuse, before any directory is made, what cannot work: too large, unwritable, no
    scheduler; warn when more workers than cores are asked for."""
    from sim.engine import resources as guards
    from sim.engine.executors import local_workers
    from sim.engine.workers import check_scheduler, require_dask

    guards.check_sweep_settings(cfg)
    guards.check_output_root(
        cfg.resume or cfg.output_root, "resume" if cfg.resume else "output_root"
    )
    if cfg.executor == "dask":
        require_dask()
        check_scheduler(cfg.scheduler)
    cores = local_workers(None)
    if cfg.executor == "process" and cfg.workers and cfg.workers > cores:
        print(
            f"warning: workers = {cfg.workers} on {cores} cores: the workers share the cores, "
            "so the sweep is no faster and needs more memory",
            file=sys.stderr,
        )


def warn_inert_levels(cfg: object, overrides: list[str]) -> None:
    """Say so when design.levels=... is given but no factor uses it (each has its own levels)."""
    if not any(o.startswith("design.levels=") for o in overrides) or cfg.design.kind != "grid":
        return
    from sim.engine.design import parse_factors

    ranged = [f for f in parse_factors(cfg.factors) if f.is_range]
    if all(f.levels for f in ranged):
        own = ", ".join(f"factors.{f.path}.levels" for f in ranged) or "(no range factors)"
        print(
            f"warning: design.levels = {cfg.design.levels} has no effect on this grid: every "
            f"range factor sets its own levels; set those instead: {own}",
            file=sys.stderr,
        )


def _import_the_analysis(design: str) -> None:
    """Import what the analysis of a `design` sweep needs while workers simulate, instead of
    after the last chunk, when everything else waits for it. SALib's analyzers and the
    scipy.stats they import (about a CPU second, which two busy workers on two cores feel)
    only for the sensitivity designs; the others' analysis uses scipy.special alone."""
    import scipy.special  # noqa: F401

    import sim.analysis.sweep_analysis  # noqa: F401
    from sim.analysis.sensitivity import SENSITIVITY_DESIGNS

    if design in SENSITIVITY_DESIGNS:
        import SALib.analyze.morris  # noqa: F401
        import SALib.analyze.sobol  # noqa: F401
