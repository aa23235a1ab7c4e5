"""`python -m sim sweep experiment=<name> [key=value ...]`: run a named experiment.

Any field of the experiment can be overridden, OmegaConf dotlist style, e.g.
``replicates=200 design.n=64 workers=2 executor=dask scheduler=tcp://host:8786``,
``factors.kazakhstan.drift_pace.range=[0,0.01] scenarios=[baseline,fast_drift]``.
An interrupted sweep is finished by the same command with ``resume=<dir>``.
See docs/sweeps.md.
"""

from __future__ import annotations

import sys

from sim.config import ConfigError, list_experiments
from sim.params import ParamError


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("experiments:", ", ".join(name for name, _ in list_experiments()))
        return 0
    name = next((a.split("=", 1)[1] for a in argv if a.startswith("experiment=")), None)
    overrides = [a for a in argv if not a.startswith("experiment=")]
    if name is None:
        print(
            "error: name an experiment: python -m sim sweep experiment=<name>; one of "
            + ", ".join(n for n, _ in list_experiments()),
            file=sys.stderr,
        )
        return 2
    from sim.design import load_experiment
    from sim.runner import SweepInterrupted, run_sweep

    try:
        cfg = load_experiment(name, overrides)
        directory = run_sweep(cfg)
    except (ConfigError, ParamError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SweepInterrupted as stop:
        print(
            f"\ninterrupted: {stop.directory} is incomplete; finish it with\n  python -m sim "
            f"sweep experiment={name} {' '.join(overrides)} resume={stop.directory}",
            file=sys.stderr,
        )
        return 130
    print(f"sweep written to {directory}")
    if cfg.analysis.run:
        # Imported only now: SciPy and the analysis are not needed to run the sweep.
        from sim.analysis import analyze_sweep
        from sim.commands.analyze import print_tables

        print_tables(analyze_sweep(directory), directory)
    return 0
