"""`python -m sim calibrate targets=<name> [scenario=S] [budget=N] [quick=true] [...]`.

Likelihood-free inference (semi-automatic ABC on a growing reference table; plain rejection
with method=rejection, regression-adjusted with method=regression; ABC-SMC with method=smc) of
the parameters listed in a targets file, on the targets in it; ``ship=true`` writes the posterior
to configs/posteriors/<targets>/, where every run command finds it.
Writes ``<output_root>/calibrations/<targets>/<timestamp>/`` (posterior.parquet,
diagnostics, predictive check, figures, config.yaml, manifest.json); the directory appears only
when complete. See docs/calibration.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from sim.studies.calibration.targets import CalibrationError, available

PROG = "python -m sim calibrate"
#: The reference-table methods (the default): table sizes and runs kept (docs/calibration.md).
REGRESSION_QUICK = {"accept": 400, "batch": 20_000, "min_simulations": 40_000, "budget": 40_000}
REGRESSION_FULL = {
    "accept": 6000,
    "batch": 500_000,
    "min_simulations": 1_500_000,
    "budget": 6_000_000,
}
QUICK = {"population": 400, "budget": 100_000, "max_generations": 10, "min_acceptance": 0.01}
FULL = {"population": 2000, "budget": 1_500_000, "max_generations": 20, "min_acceptance": 0.005}
METHODS = ("semiauto", "rejection", "regression", "smc")
SMOKE_TEST = (
    "quick=true: a SMOKE TEST of the machinery, not an inference; its posterior is marked "
    "quick and every use of it warns"
)
USAGE = f"""usage: {PROG} targets=<name|file.yaml> [key=value ...]

  targets=NAME         a file in configs/targets/ ({{targets}}) or a path to a .yaml file
  method=NAME          semiauto (semi-automatic ABC on a growing reference table: the
                       distance on each parameter's regression on the targets, each parameter
                       adjusted along its own; default), rejection (kernel-weighted rejection
                       on the targets' distance), regression (the targets' distance, adjusted
                       on every target) or smc (ABC-SMC)
  ship=true|false      write the posterior to configs/posteriors/<targets>/, the default of
                       every run command, replacing the one there (default false)
  scenario=NAME        the scenario to simulate (default: the targets file's scenario)
  quick=true|false     a smoke test of the machinery, under a minute (default false)
  budget=N             simulated runs at most (table methods {REGRESSION_FULL["budget"]}, smc \
{FULL["budget"]}; quick {REGRESSION_QUICK["budget"]} / {QUICK["budget"]})
  population=N         runs kept (table methods {REGRESSION_FULL["accept"]}) or particles per
                       generation (smc {FULL["population"]})
  generations=N        smc: at most this many generations (default {FULL["max_generations"]})
  seed=S               seed of the sampler and of every run (default 20221028)
  output_root=DIR      results go to DIR/calibrations/<targets>/<timestamp>/ (default results)
  figures=true|false   draw the figures (default true)
  workers=N            processes that simulate the runs (default: every core)
  progress=true|false  a progress bar (default true)"""
KEYS = (
    "targets",
    "method",
    "ship",
    "scenario",
    "quick",
    "budget",
    "population",
    "generations",
    "seed",
    "output_root",
    "figures",
    "progress",
    "workers",
)


def main(argv: Sequence[str]) -> int:
    """Parse the options, calibrate, write the directory and print the tables."""
    if any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE.format(targets=", ".join(available())))
        return 0
    try:
        options = parse_args(argv)
        from sim.studies.calibration import targets as T
        from sim.studies.calibration.calibrate import calibrate, write

        target_set = T.load(options["targets"])
        _check_targets_name(target_set.name)
        if options["quick"]:
            print(SMOKE_TEST, file=sys.stderr)
        calibration = calibrate(
            target_set,
            options["settings"],
            options["scenario"],
            quick=options["quick"],
            workers=options["workers"],
        )
        draw = None
        if options["figures"]:  # the plots and SciPy's statistics take about 1.5 s to import
            from sim.plots.calibration import calibration_figures

            draw = calibration_figures
        directory = write(calibration, options["output_root"], draw, ship_it=options["ship"])
    except CalibrationError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: no calibration directory was left behind", file=sys.stderr)
        return 130
    print(report(calibration, directory))
    return 0


def _check_targets_name(name: str) -> None:
    """The targets file's name names the results folder: `..yaml` filed a calibration directly
    under calibrations/ (review 2, D16)."""
    from sim.config.paths import UnsafePath, check_name

    try:
        check_name("targets (its file name)", name)
    except UnsafePath as error:
        raise CalibrationError(str(error)) from None


def parse_args(argv: Sequence[str]) -> dict:
    """Read key=value arguments; raise CalibrationError naming the bad argument."""
    from sim.commands.options import as_bool, key_values
    from sim.config import MAX_WORKERS

    raw = key_values(argv, KEYS, CalibrationError)
    if "targets" not in raw:
        raise CalibrationError(f"name the targets: targets=<name>, one of {', '.join(available())}")
    quick = as_bool("quick", raw.get("quick", "false"), CalibrationError)
    seed = _int("seed", raw.get("seed"), 20221028, 0, 2**62)
    progress = as_bool("progress", raw.get("progress", "true"), CalibrationError)
    settings = sampler_settings(raw, quick, seed, progress)
    return {
        "targets": raw["targets"],
        "scenario": raw.get("scenario"),
        "settings": settings,
        "quick": quick,
        "ship": as_bool("ship", raw.get("ship", "false"), CalibrationError),
        "output_root": Path(raw.get("output_root", "results")),
        "figures": as_bool("figures", raw.get("figures", "true"), CalibrationError),
        "workers": _int("workers", raw.get("workers"), 0, 1, MAX_WORKERS) or None,
    }


def sampler_settings(raw: dict, quick: bool, seed: int, progress: bool):
    """The sampler `method=` names, sized by `quick`, `budget=`, `population=` and
    `generations=` (shared with `sim score calibration=auto`, which calibrates the same way)."""
    method = raw.get("method", "semiauto")
    if method not in METHODS:
        raise CalibrationError(
            f"method = {method!r} is not allowed: expected one of {', '.join(METHODS)}"
        )
    if method != "smc":
        return _regression_settings(raw, quick, seed, progress, method)
    return _smc_settings(raw, quick, seed, progress)


def _regression_settings(raw: dict, quick: bool, seed: int, progress: bool, method: str):
    from sim.studies.calibration.regression import Settings

    size = REGRESSION_QUICK if quick else REGRESSION_FULL
    accept = _int("population", raw.get("population"), size["accept"], 10, 1_000_000)
    budget = _int("budget", raw.get("budget"), size["budget"], 1, 10**10)
    if budget < 2 * accept:
        raise CalibrationError(
            f"budget = {budget} is not allowed: expected at least twice population = {accept} "
            "(the runs kept must be a small share of the reference table)"
        )
    return Settings(
        accept=accept,
        batch=min(size["batch"], budget),
        min_simulations=min(size["min_simulations"], budget),
        budget=budget,
        min_ess=min(1000.0, accept / 3),
        seed=seed,
        progress=progress,
        method=method,
    )


def _smc_settings(raw: dict, quick: bool, seed: int, progress: bool):
    from sim.studies.calibration.abc import Settings  # imports pandas: not needed for --help

    size = QUICK if quick else FULL
    population = _int("population", raw.get("population"), size["population"], 10, 1_000_000)
    budget = _int("budget", raw.get("budget"), size["budget"], 1, 10**10)
    if budget < population:
        raise CalibrationError(
            f"budget = {budget} is not allowed: expected at least population = {population} "
            "(the first generation alone simulates that many runs)"
        )
    return Settings(
        population=population,
        budget=budget,
        max_generations=_int(
            "generations", raw.get("generations"), size["max_generations"], 1, 1000
        ),
        min_acceptance=size["min_acceptance"],
        seed=seed,
        progress=progress,
    )


def _int(key: str, value: str | None, default: int, low: int, high: int) -> int:
    from sim.commands.options import as_int

    return default if value is None else as_int(key, value, low, high, CalibrationError)


def report(calibration, directory: Path) -> str:
    """The printed result: the posterior per parameter and the predictive check per target."""
    from sim.studies.calibration.calibrate import predictive_table, summary_table

    result = calibration.result
    lines = [
        f"calibration on {calibration.targets.name} ({calibration.scenario}), "
        f"{calibration.method}: {result.simulations} runs, {calibration.seconds:.1f} s; "
        f"stopped: {result.stop_reason}",
        "",
        "posterior (weighted; 90% interval; sd/prior sd: below 1 means the data inform it)",
    ]
    table = summary_table(calibration)
    for row in table.itertuples():
        lines.append(
            f"  {row.parameter:<34} prior [{row.prior_low:g}, {row.prior_high:g}]  "
            f"median {row.median:.4g}  90% [{row.q05:.4g}, {row.q95:.4g}]  "
            f"sd/prior {row.sd_ratio:.2f}"
        )
    lines += ["", "posterior predictive check (observed against 90% of fresh runs)"]
    for row in predictive_table(calibration).itertuples():
        lines.append(
            f"  {row.target:<26} observed {row.observed:<6g} predictive median "
            f"{row.median:.3g}  90% [{row.q05:.3g}, {row.q95:.3g}]  "
            f"within tolerance {row.share_within_tolerance:.0%}"
        )
    lines += ["", f"written to {directory}"]
    warnings = _warnings(calibration)
    if warnings:
        lines += ["", *(f"WARNING: {w}" for w in warnings)]
    return "\n".join(lines)


def _warnings(calibration) -> list[str]:
    """What the manifest marks: a smoke test, no convergence, missed targets."""
    lines = [SMOKE_TEST] if calibration.quick else []
    if not calibration.converged:
        lines.append(f"not converged (stopped: {calibration.result.stop_reason})")
    lines += [f"the predictive check misses target {t}" for t in calibration.missed_targets()]
    fit = calibration.misfit
    if fit is not None and fit.beyond_lookalikes:
        lines.append(
            f"the observation lies farther from the simulated runs than any of the "
            f"{fit.lookalikes} runs most like it ({fit.k:,}th nearest at {fit.observed:.2f} "
            f"tolerance units, theirs at most {fit.lookalike_max:.2f}): the model misfits it, "
            "and an adjusted method (semiauto, regression) extrapolates there"
        )
    return lines
