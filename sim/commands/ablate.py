"""`python -m sim ablate scenario=<name> [overrides]`: what each mechanism carries.

Runs the scenario with every mechanism on, then once per mechanism with that one switched off
(``model.mechanisms.<name>=0``), all on the same run seeds, and writes
``<run.output_root>/ablations/<scenario>/<timestamp>/``: ``ablation.parquet`` and
``ablation.csv`` (one row per mechanism and outcome, see ``sim.studies.ablation``), ``ablation.md``
(the same as a Markdown table), ``config.yaml``,
``manifest.json`` and ``figures/ablation.png``. Overrides are the same as for ``run``
(``run.replicates``, ``run.seed``, ``run.months``, ``model.*``); a mechanism already off in the
config is still listed, with zero difference.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sim import config as C
from sim.commands.run import UsageError, validate_overrides
from sim.config import paths as safety
from sim.engine import resources as guards

PROG = "python -m sim ablate"
#: Runs per posterior draw: enough that a draw's own effect is not mostly the dice's.
ABLATION_RUNS_PER_DRAW = 50
USAGE = f"""usage: {PROG} scenario=<name> [run.replicates=N] [run.seed=S] [run.months=M]
       [run.output_root=DIR] [run.figures=false] [run.workers=N] [model.<group>.<name>=value ...]

Switches each mechanism off in turn (same seeds) and writes ablation.parquet and a figure."""


def main(argv: Sequence[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return 0
    bad = [a for a in argv if "=" not in a or a.startswith("-")]
    try:
        if bad:
            raise UsageError(f"expected key=value overrides, got {bad[0]!r}")
        validate_overrides(list(argv))
        cfg = C.compose(list(argv))
        C.check(cfg)
        _check_output(cfg)
    except (UsageError, C.ConfigError, ValueError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    try:
        directory = ablate_scenario(cfg, list(argv))
    except KeyboardInterrupt:
        print("interrupted: no results directory was left behind", file=sys.stderr)
        return 130
    print(f"\nResults: {directory}")
    return 0


def _check_output(cfg) -> None:
    """Refuse, before any work, a scenario name that is not a plain name (it names a folder:
    `../x` or an absolute path would file the results outside the output root), a name too
    long for the filesystem, or an output root that cannot be written."""
    root, scenario = cfg.run.output_root, cfg.scenario.name
    safety.check_name("scenario.name", scenario)
    guards.check_output_root(root, "run.output_root")
    guards.check_name_length(str(scenario), "scenario.name", root)


def ablate_scenario(cfg, overrides: Sequence[str]) -> Path:
    """Run the ablation of a composed config and write its directory; return the path."""
    import numpy as np

    from sim.engine import config_file, posterior_draws, store
    from sim.engine.ensemble import Ensembles
    from sim.model.rng import derive_seeds
    from sim.studies.ablation import ablate, markdown_table, moves

    run, scenario = cfg.run, str(cfg.scenario.name)
    seeds = derive_seeds(run.seed, np.arange(run.replicates))
    started = time.perf_counter()

    def progress(mechanism: str) -> None:
        print(f"  off: {mechanism}", file=sys.stderr, flush=True)

    print(f"{scenario}: {run.replicates:,} runs x {run.months} months per batch", file=sys.stderr)
    given = cfg.get("calibration")
    for line in posterior_draws.notices(given):
        print(f"WARNING: {line}", file=sys.stderr)
    run_ids = np.arange(run.replicates)
    params, drawn = posterior_draws.calibrated_params(
        posterior_draws.resolve(given),
        C.model_values(cfg),
        int(run.seed),
        run_ids,
        ABLATION_RUNS_PER_DRAW,
    )
    draws = None if drawn is None else drawn["draw"].to_numpy()
    with Ensembles(workers=run.get("workers")) as ensembles:
        table = ablate(
            params, seeds, int(run.months), progress=progress, ensembles=ensembles, draws=draws
        )
    print(format_table(table))
    from sim.commands.sweep import shown

    print(
        f"parameters: {shown(posterior_draws.resolve(given))} ({draws.max() + 1} posterior draws; "
        "sign held: share of draws with the overall sign)"
        if draws is not None
        else "parameters: the hand-set values (calibration=none)"
    )
    ablations = Path(run.output_root) / "ablations"
    safety.check_name("scenario.name", scenario)
    final = safety.check_inside(
        ablations, ablations / scenario / store.timestamp(), "scenario.name"
    )
    with store.staged_directory(final) as staging:
        run_dir = store.run_dir_name(final, run.output_root)
        store.write_table(table, staging / "ablation.parquet", run_dir=run_dir)
        store.write_text(table.to_csv(index=False), staging / "ablation.csv")
        store.write_text(markdown_table(table), staging / "ablation.md")
        config_file.write_config(cfg, staging)
        if run.figures:
            from sim.plots.ablation import ablation_figure
            from sim.plots.style import save_figure

            save_figure(
                ablation_figure(table, scenario, int(run.replicates)),
                staging / "figures" / "ablation.png",
            )
        store.write_manifest(
            staging,
            kind="ablation",
            run_dir=run_dir,
            scenario=scenario,
            seed=int(run.seed),
            replicates=int(run.replicates),
            months=int(run.months),
            overrides=list(overrides),
            mechanisms_that_move=sorted(m for m, v in moves(table).items() if v),
            calibration=(
                posterior_draws.load_cached(posterior_draws.resolve(given)).describe()
                if draws is not None
                else "none: the parameter table's hand-set values"
            ),
            wall_seconds=round(time.perf_counter() - started, 3),
        )
    return final


def format_table(table) -> str:
    """The differences as a compact text table: one row per mechanism, one column per outcome."""
    wide = table.pivot(index="mechanism", columns="outcome", values="difference")
    moved = (table["difference_lower"] > 0) | (table["difference_upper"] < 0)
    mark = table.assign(m=moved).pivot(index="mechanism", columns="outcome", values="m")
    lines = ["difference when switched off (off - all on); * = 95% interval excludes 0"]
    names = {"halts_russia_per_year": "halts_ru/yr", "halts_all_per_year": "halts_all/yr"}
    header = f"{'mechanism':<18}" + "".join(
        f"{names.get(str(c), str(c)):>13}" for c in wide.columns
    )
    lines.append(header)
    for mechanism, row in wide.iterrows():
        cells = "".join(
            f"{round(row[c], 3) + 0.0:>12.3f}{'*' if mark.loc[mechanism, c] else ' '}"
            for c in wide.columns
        )
        lines.append(f"{str(mechanism):<18}{cells}")
    if table["sign_share"].notna().any():
        share = table.pivot(index="mechanism", columns="outcome", values="sign_share")
        lines += ["", "share of posterior draws in which the sign holds (< 0.80: conditional)"]
        lines.append(header)
        for mechanism, row in share.iterrows():
            cells = "".join(f"{row[c]:>12.2f} " for c in share.columns)
            lines.append(f"{str(mechanism):<18}{cells}")
    return "\n".join(lines)
