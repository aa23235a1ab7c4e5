"""Fill the generated sections of docs/calibration.md from the shipped posterior.

    make posterior                      # calibrate, ship, then this script (one command)
    python scripts/calibration_report.py                      # from configs/posteriors/seed_2022
    python scripts/calibration_report.py --calibration results/calibrations/seed_2022/<ts>

Every number in the generated sections comes from here: the targets and priors (from the
targets file and the uncertainty table), the Morris screening that chose the priors, the
posterior, the convergence diagnostics, the posterior predictive check, the simulation-based
calibration, what the data pin down, the split of the baseline's escalation probabilities into
parameter and dice spread, and the side-by-side recovery check of the two samplers. The figures
are copied to docs/figures/calibration/. Text between the markers is replaced; the rest of the
file is not touched.

It refuses a posterior whose manifest marks it quick (a smoke test), unconverged, or missing a
target of its predictive check: the docs are never written from one.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sim.engine.posterior_draws import POSTERIORS_DIR  # noqa: E402
from sim.engine.store import read_table  # noqa: E402
from sim.model.params import PARAMS_BY_PATH  # noqa: E402
from sim.model.uncertainty import UNCERTAIN  # noqa: E402
from sim.studies.calibration import recovery  # noqa: E402
from sim.studies.calibration.calibrate import (  # noqa: E402
    DIAGNOSTICS,
    POSTERIOR,
    PREDICTIVE,
    SBC,
    SBC_DRAWS,
    posterior_summary,
    predictive_summary,
)
from sim.studies.calibration.regression import sbc_uniformity  # noqa: E402

DOC = REPO / "docs" / "calibration.md"
FIGURES = REPO / "docs" / "figures" / "calibration"
SCREENING = REPO / "docs" / "screening_assumptions.csv"
SCREENING_V2 = REPO / "docs" / "screening_assumptions_v2.csv"  # model v2, for comparison
BASELINE_RUNS = 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--calibration",
        type=Path,
        default=POSTERIORS_DIR / "seed_2022",
        help="a shipped posterior or a calibration directory (default: the shipped seed_2022)",
    )
    parser.add_argument("--trials", type=int, default=40, help="recovery-comparison trials")
    args = parser.parse_args()
    directory = args.calibration
    if not (directory / "manifest.json").is_file():
        print(f"error: {directory} is not a calibration (run: make posterior)", file=sys.stderr)
        return 2
    problems = refusals(json.loads((directory / "manifest.json").read_text()))
    if problems:
        print(
            f"error: refusing to write docs/calibration.md from {directory}: "
            + "; ".join(problems),
            file=sys.stderr,
        )
        return 2
    sections = build_sections(directory, args.trials)
    text = DOC.read_text()
    for name, body in sections.items():
        text = replace_section(text, name, body)
    DOC.write_text(text)
    copy_figures(directory)
    print(f"docs/calibration.md updated from {directory}")
    return 0


def refusals(manifest: dict) -> list[str]:
    """Why a posterior may not stand behind the docs (empty if it may)."""
    problems = []
    if manifest.get("quick"):
        problems.append("it is a quick smoke test")
    if manifest.get("converged") is not True:
        problems.append(f"it did not converge (stopped: {manifest.get('stop_reason')})")
    problems += [f"it misses target {t}" for t in manifest.get("missed_targets") or []]
    return problems


def build_sections(directory: Path, trials: int) -> dict[str, str]:
    config = yaml.safe_load((directory / "config.yaml").read_text())
    manifest = json.loads((directory / "manifest.json").read_text())
    posterior = read_table(directory / POSTERIOR)
    summary = posterior_summary(posterior, config["priors"])
    predictive = predictive_summary(
        read_table(directory / PREDICTIVE), config["targets"]["targets"]
    )
    return {
        "run": run_section(directory, manifest),
        "targets": targets_section(config["targets"]["targets"]),
        "priors": priors_section(config["priors"]),
        "posterior": posterior_section(summary),
        "diagnostics": markdown(read_table(directory / DIAGNOSTICS), digits=3),
        "predictive": markdown(predictive, digits=3),
        "informed": informed_section(summary),
        "variance": variance_section(directory),
        "recovery": recovery_section(trials),
        "screening": screening_section(),
        "sbc": sbc_section(directory),
    }


def run_section(directory: Path, manifest: dict) -> str:
    shown = directory.relative_to(REPO) if directory.is_relative_to(REPO) else directory
    return (
        f"Calibration `{shown}` ({manifest.get('method', 'smc')}; model version "
        f"`{manifest['model_version']}`, prior version `{manifest.get('prior_version')}`, "
        f"commit `{manifest['git_commit']}`, {manifest['created']}): "
        f"{len(manifest['parameters'])} parameters, {manifest['particles']} particles "
        f"(ESS {manifest.get('ess', float('nan')):,.0f}), {manifest['simulations']:,} simulated "
        f"runs, {manifest['wall_seconds']:.0f} s on {manifest['host']['cpus']} cores; stopped: "
        f"{manifest['stop_reason']}." + misfit_sentence(manifest.get("misfit"))
    )


def misfit_sentence(fit: dict | None) -> str:
    """The misfit check of the manifest (``regression.Misfit``), in words."""
    if not fit:
        return ""
    verdict = "farther than" if fit["observed"] > fit["lookalike_max"] else "within the range of"
    return (
        f" The observation's {fit['k']:,}th nearest run lies {fit['observed']:.2f} tolerance "
        f"units away, {verdict} the {fit['lookalikes']} runs most like it (median "
        f'{fit["lookalike_median"]:.2f}, largest {fit["lookalike_max"]:.2f}; see "Choice of '
        'method").'
    )


def screening_section() -> str:
    """The Morris screening on model v3 that chose which assumptions enter the prior, and how
    it compares with the screening on model v2."""
    table = pd.read_csv(SCREENING)
    table["in the prior"] = np.where(table["factor"].isin(list(UNCERTAIN)), "yes", "no")
    top = markdown(table.head(20), digits=3) + (
        f"\n\n({len(table)} assumptions screened on v3; the other {len(table) - 20} have "
        f"smaller mu*; all in `docs/screening_assumptions.csv`.)"
    )
    return top + "\n\n" + screening_comparison(table)


def screening_comparison(v3: pd.DataFrame) -> str:
    """Every constant either screening put in the prior, with its mu* (95% half-width) on v2
    and on v3; a dash where that screening did not cover it (v2: not yet a parameter; v3:
    already in the prior, or gone from the model)."""
    v2 = pd.read_csv(SCREENING_V2)
    both = v2.merge(v3, on="factor", how="outer", suffixes=("_v2", "_v3"))
    passed = lambda version: both[f"mu_star_{version}"] - both[f"mu_star_conf_{version}"] > 0.05  # noqa: E731
    both = both[passed("v2") | passed("v3")].copy()

    def effect(version: str) -> pd.Series:
        mu, conf = both[f"mu_star_{version}"], both[f"mu_star_conf_{version}"]
        text = [
            "-" if pd.isna(m) else f"{m:.2f} +- {c:.2f} ({o})"
            for m, c, o in zip(mu, conf, both[f"outcome_{version}"], strict=True)
        ]
        return pd.Series(text, index=both.index)

    rows = pd.DataFrame(
        {
            "factor": both["factor"],
            "v2: mu* (outcome)": effect("v2"),
            "v3: mu* (outcome)": effect("v3"),
            "in the prior": np.where(
                both["factor"].isin(list(UNCERTAIN)),
                "yes",
                np.where(both["factor"].isin(PARAMS_BY_PATH), "no", "gone in v3"),
            ),
        }
    ).sort_values("factor")
    return (
        "Every constant that either screening put in the prior (lower end of mu*'s 95% "
        "interval above 0.05):\n\n" + markdown(rows)
    )


def sbc_section(directory: Path) -> str:
    """Per parameter: the chi-square p-value of its SBC rank histogram against uniform."""
    if not (directory / SBC).is_file():
        return "No simulation-based calibration in this calibration (ABC-SMC)."
    ranks = read_table(directory / SBC)
    pvalues = sbc_uniformity(ranks.to_numpy(), SBC_DRAWS)
    low = ranks.to_numpy() < (SBC_DRAWS + 1) * 0.05
    high = ranks.to_numpy() >= (SBC_DRAWS + 1) * 0.95
    table = pd.DataFrame(
        {
            "parameter": ranks.columns,
            "chi2_p": pvalues,
            "share_in_outer_10pct": (low | high).mean(axis=0),
        }
    )
    return (
        f"{len(ranks)} trials, {SBC_DRAWS} posterior draws each; under calibration the share "
        f"of true values in the outer 10% of ranks is 0.10 (above: over-confident; below: "
        f"under-confident). Parameters with chi-square p < 0.01: "
        f"{int((pvalues < 0.01).sum())} of {len(pvalues)}.\n\n" + markdown(table, digits=3)
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
        split = read_table(calibrated / VARIANCE_TABLE)
        drivers = drivers_table(calibrated)
        default = run_scenario(compose([*common, "calibration=none"]), quiet=True)
        from sim.analysis.probabilities import reached_by

        summary = read_table(default / "summary.parquet")
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

    params = read_table(run_directory / PARAMS_TABLE)
    summary = read_table(run_directory / "summary.parquet").set_index("run_id")
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
    return markdown(recovery.compare(trials), digits=3)


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
    """The calibration's figures (a shipped posterior has none: they are in the calibration
    directory it was copied from, named in its manifest)."""
    manifest = json.loads((directory / "manifest.json").read_text())
    source = Path(manifest.get("calibration_directory", directory))
    FIGURES.mkdir(parents=True, exist_ok=True)
    for path in (source / "figures").glob("*.png"):
        shutil.copyfile(path, FIGURES / path.name)


if __name__ == "__main__":
    sys.exit(main())
