"""Fill the generated sections of docs/calibration.md from a calibration: one command re-runs it.

    python scripts/calibration_report.py                  # calibrate seed_2022, then write
    python scripts/calibration_report.py --calibration results/calibrations/seed_2022/<ts>
    python scripts/calibration_report.py --quick          # a quick calibration (a check only)

Every number in the generated sections comes from here: the targets and priors (from the
targets file), the posterior, the per-generation diagnostics, the posterior predictive check,
what the data pin down, the split of the baseline's escalation probabilities into parameter
and dice spread, and the recovery check of the sampler. The figures are copied to
docs/figures/calibration/. Text between the markers is replaced; the rest of the file is not
touched.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sim.commands.calibrate import FULL, QUICK  # noqa: E402
from sim.studies.calibration import recovery  # noqa: E402
from sim.studies.calibration.abc import Settings  # noqa: E402
from sim.studies.calibration.calibrate import (  # noqa: E402
    DIAGNOSTICS,
    POSTERIOR,
    PREDICTIVE,
    calibrate,
    posterior_summary,
    predictive_summary,
    write,
)
from sim.studies.calibration.targets import load  # noqa: E402

DOC = REPO / "docs" / "calibration.md"
FIGURES = REPO / "docs" / "figures" / "calibration"
BASELINE_RUNS = 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration", type=Path, help="an existing calibration directory")
    parser.add_argument("--targets", default="seed_2022")
    parser.add_argument("--quick", action="store_true", help="a quick calibration")
    parser.add_argument("--trials", type=int, default=100, help="recovery-check trials")
    args = parser.parse_args()
    directory = args.calibration or run_calibration(args.targets, args.quick)
    sections = build_sections(directory, args.trials)
    text = DOC.read_text()
    for name, body in sections.items():
        text = replace_section(text, name, body)
    DOC.write_text(text)
    copy_figures(directory)
    print(f"docs/calibration.md updated from {directory}")
    return 0


def run_calibration(targets: str, quick: bool) -> Path:
    size = QUICK if quick else FULL
    settings = Settings(
        population=size["population"],
        budget=size["budget"],
        max_generations=size["max_generations"],
        min_acceptance=size["min_acceptance"],
    )
    return write(calibrate(load(targets), settings), REPO / "results")


def build_sections(directory: Path, trials: int) -> dict[str, str]:
    config = yaml.safe_load((directory / "config.yaml").read_text())
    manifest = json.loads((directory / "manifest.json").read_text())
    posterior = pd.read_parquet(directory / POSTERIOR)
    summary = posterior_summary(posterior, config["priors"])
    predictive = predictive_summary(
        pd.read_parquet(directory / PREDICTIVE), config["targets"]["targets"]
    )
    return {
        "run": run_section(directory, manifest),
        "targets": targets_section(config["targets"]["targets"]),
        "priors": priors_section(config["priors"]),
        "posterior": posterior_section(summary),
        "diagnostics": markdown(pd.read_parquet(directory / DIAGNOSTICS), digits=3),
        "predictive": markdown(predictive, digits=3),
        "informed": informed_section(summary),
        "variance": variance_section(directory),
        "recovery": recovery_section(trials),
    }


def run_section(directory: Path, manifest: dict) -> str:
    shown = directory.relative_to(REPO) if directory.is_relative_to(REPO) else directory
    return (
        f"Calibration `{shown}`"
        f" (model version `{manifest['model_version']}`, commit `{manifest['git_commit']}`, "
        f"{manifest['created']}): {manifest['particles']} particles, "
        f"{manifest['generations']} generations, {manifest['simulations']:,} simulated runs, "
        f"{manifest['wall_seconds']:.0f} s on {manifest['host']['cpus']} cores; stopped: "
        f"{manifest['stop_reason']}."
    )


def targets_section(targets: list[dict]) -> str:
    rows = [
        {
            "target": t["name"],
            "measure": f"`{t['measure']}({', '.join(f'{k}={v}' for k, v in t['args'].items())})`",
            "observed": t["observed"],
            "tolerance": t["tolerance"],
            "period": t["period"],
            "source": t["source"],
        }
        for t in targets
    ]
    return markdown(pd.DataFrame(rows))


def priors_section(priors: list[dict]) -> str:
    frame = pd.DataFrame(priors)
    frame["prior"] = [f"uniform [{r.low:g}, {r.high:g}]: {r.prior}" for r in frame.itertuples()]
    return markdown(frame[["parameter", "prior"]])


def posterior_section(summary: pd.DataFrame) -> str:
    return markdown(summary, digits=4)


def informed_section(summary: pd.DataFrame) -> str:
    groups = {
        "pinned down (posterior sd under half the prior's)": summary["sd_ratio"] < 0.5,
        "narrowed (sd 0.5-0.8 of the prior's)": summary["sd_ratio"].between(0.5, 0.8),
        "left open (sd above 0.8 of the prior's)": summary["sd_ratio"] > 0.8,
    }
    lines = []
    for label, mask in groups.items():
        names = ", ".join(
            f"`{p}` ({r:.2f})"
            for p, r in summary.loc[mask, ["parameter", "sd_ratio"]].itertuples(index=False)
        )
        lines.append(f"- {label}: {names or 'none'}")
    return "\n".join(lines)


def variance_section(directory: Path) -> str:
    """Run the baseline with and without the posterior; split the calibrated probabilities."""
    from sim.analysis.variance_split import VARIANCE_TABLE
    from sim.commands.run import run_scenario
    from sim.config import compose

    with tempfile.TemporaryDirectory() as tmp:
        common = [f"run.replicates={BASELINE_RUNS}", "run.figures=false", f"run.output_root={tmp}"]
        calibrated = run_scenario(compose([*common, f"calibration={directory}"]), quiet=True)
        split = pd.read_parquet(calibrated / VARIANCE_TABLE)
        drivers = drivers_table(calibrated)
        default = run_scenario(compose(common), quiet=True)
        from sim.analysis.probabilities import reached_by

        summary = pd.read_parquet(default / "summary.parquet")
        split.insert(
            2,
            "P_default_params",
            [reached_by(summary, r.rung, r.month).mean() for r in split.itertuples()],
        )
    split = split.rename(columns={"probability": "P_calibrated"})
    return (
        f"Baseline, {BASELINE_RUNS} runs, 120 months, the same seeds with the table's defaults "
        f"and with parameters drawn from the posterior:\n\n"
        + markdown(split, digits=3)
        + "\n\nWhich calibrated parameters move the long-run answer: Spearman correlation, "
        "across the posterior draws of that run, between each parameter and the draw's share "
        "of runs at rung 4 or higher by month 120, next to the parameter's posterior median "
        "and its default in the parameter table:\n\n" + markdown(drivers, digits=3)
    )


def drivers_table(run_directory: Path) -> pd.DataFrame:
    """Per calibrated parameter: its rank correlation with P(rung >= 4 by 120) across draws."""
    from sim.analysis.probabilities import reached_by
    from sim.analysis.variance_split import PARAMS_TABLE
    from sim.model.params import PARAMS_BY_PATH

    params = pd.read_parquet(run_directory / PARAMS_TABLE)
    summary = pd.read_parquet(run_directory / "summary.parquet").set_index("run_id")
    params["reached"] = reached_by(summary.loc[params["run_id"]], 4, 120)
    names = [c for c in params.columns if c in PARAMS_BY_PATH]
    draws = params.groupby("draw")[[*names, "reached"]].mean()
    rows = [
        {
            "parameter": name,
            "spearman_with_P4_by_120": draws[name].corr(draws["reached"], method="spearman"),
            "posterior_median": float(draws[name].median()),
            "default": PARAMS_BY_PATH[name].default,
        }
        for name in names
    ]
    frame = pd.DataFrame(rows)
    return frame.reindex(frame["spearman_with_P4_by_120"].abs().sort_values(ascending=False).index)


def recovery_section(trials: int) -> str:
    result = recovery.check(trials)
    return (
        f"{result.trials} trials, two parameters each: the true value fell inside the 90% "
        f"credible interval {result.coverage:.0%} of the time; the intervals were on average "
        f"{result.mean_width:.0%} of the prior's width."
    )


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.{digits}g}"
        return str(value).replace("|", "/").replace("\n", " ")

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def replace_section(text: str, name: str, body: str) -> str:
    pattern = re.compile(
        rf"(<!-- generated:{name} -->).*?(<!-- end generated:{name} -->)", re.DOTALL
    )
    if not pattern.search(text):
        raise SystemExit(f"docs/calibration.md has no generated section {name!r}")
    return pattern.sub(lambda m: f"{m.group(1)}\n{body}\n{m.group(2)}", text)


def copy_figures(directory: Path) -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    for path in (directory / "figures").glob("*.png"):
        shutil.copyfile(path, FIGURES / path.name)


if __name__ == "__main__":
    sys.exit(main())
