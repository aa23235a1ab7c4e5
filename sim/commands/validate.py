"""`python -m sim validate [quick=true] [replicates=N] [seed=S] [output_root=DIR] [figures=false]`.

Runs the baseline and the comparison batches of ``sim.studies.validation.BATCHES`` with the same
seeds (common random numbers), evaluates every claim of ``sim.studies.validation.CLAIMS``, prints
the table and writes ``<output_root>/validation/<timestamp>/``: ``validation.md``,
``claims.parquet``, ``claims.csv``, ``manifest.json``, the composed config of each batch under
``configs/`` and the figures under ``figures/``. The directory appears only when complete
(``sim.engine.store.staged_directory``).

Exit code: 0 when no claim failed, 1 when at least one claim failed (the report is written
either way), 2 for a mistake on the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import OmegaConf

# The model (Mesa), pandas and the claims are imported when the validation runs, not for --help.
if TYPE_CHECKING:
    import pandas as pd

    from sim.studies.validation import Batch, BatchSpec, Claim

PROG = "python -m sim validate"
FULL_REPLICATES = 10_000
QUICK_REPLICATES = 1_000
DEFAULT_SEED = 20221028
USAGE = f"""usage: {PROG} [key=value ...]

  quick=true|false     small batches for tests ({QUICK_REPLICATES} runs each; default false)
  replicates=N         runs per batch (default {FULL_REPLICATES}, or {QUICK_REPLICATES} if quick)
  seed=S               master seed; every batch uses the same run seeds (default {DEFAULT_SEED})
  output_root=DIR      results go to DIR/validation/<timestamp>/ (default results)
  figures=true|false   draw the figures (default true)
  workers=N            processes that simulate the batches (default: every core; 1: this one)

Exit code 0 if no claim failed, 1 if a claim failed, 2 for a usage error."""


class UsageError(ValueError):
    """A mistake on the command line; printed as one line, exit code 2."""


@dataclass(frozen=True)
class Options:
    """The command's options after parsing."""

    quick: bool = False
    replicates: int = FULL_REPLICATES
    seed: int = DEFAULT_SEED
    output_root: Path = Path("results")
    figures: bool = True
    calibration: str | None = None
    workers: int | None = None


# --- command line -------------------------------------------------------------------------------
def parse_args(argv: Sequence[str]) -> Options:
    """Read key=value arguments; raise UsageError naming the bad argument."""
    from sim.commands.options import as_bool, as_int, key_values
    from sim.config import MAX_WORKERS

    keys = ("quick", "replicates", "seed", "output_root", "figures", "calibration", "workers")
    raw = key_values(argv, keys, UsageError)
    quick = as_bool("quick", raw.get("quick", "false"), UsageError)
    default_n = QUICK_REPLICATES if quick else FULL_REPLICATES
    return Options(
        quick=quick,
        replicates=as_int(
            "replicates", raw.get("replicates", str(default_n)), 2, 10_000_000, UsageError
        ),
        seed=as_int("seed", raw.get("seed", str(DEFAULT_SEED)), 0, 2**63 - 1, UsageError),
        output_root=Path(raw.get("output_root", "results")),
        figures=as_bool("figures", raw.get("figures", "true"), UsageError),
        calibration=_calibration(raw.get("calibration")),
        workers=as_int("workers", raw["workers"], 1, MAX_WORKERS, UsageError)
        if "workers" in raw
        else None,
    )


def check_resources(options: Options) -> None:
    """Refuse, before any batch runs, an unwritable output_root or batches too large to hold."""
    from sim.engine import resources as guards
    from sim.studies.validation import BATCHES

    guards.check_output_root(options.output_root, "output_root")
    estimates = [
        guards.run_estimate(options.replicates, s.months, s.trajectories, s.events) for s in BATCHES
    ]
    total = guards.Estimate(  # every batch stays in memory until the claims are evaluated
        sum(e.memory - guards.BASE_MEMORY for e in estimates) + guards.BASE_MEMORY,
        0.0,  # only the claims table and a few figures are written
        sum(e.seconds for e in estimates),
    )
    guards.check_fits(
        total,
        options.output_root,
        f"replicates = {options.replicates:,} in {len(BATCHES)} batches",
        "lower replicates",
    )


# --- running ------------------------------------------------------------------------------------
def _calibration(given: str | None) -> str | None:
    """The posterior directory (default: the shipped one; `none`: hand-set values), checked
    now so a bad one is a usage error (docs/calibration.md)."""
    from sim.engine.posterior_draws import load, notices, resolve
    from sim.studies.calibration.targets import CalibrationError

    directory = resolve(given)
    if directory is not None:
        try:
            load(directory)
        except CalibrationError as error:
            raise UsageError(str(error)) from None
    for line in notices(given):
        print(f"WARNING: {line}", file=sys.stderr)
    return directory


def simulation_order(specs: Sequence[BatchSpec]) -> list[BatchSpec]:
    """The order the batches go to the workers in: the shortest horizon first.

    The parent measures each claim as soon as the batches it reads have arrived, while the
    workers simulate the rest, so only the claims that read the last batch wait for the end.
    The two short batches (19 months) record trajectories and events; 12 of the 23 claims read
    them, about 1.2 of the 2.3 CPU s of measuring at 10,000 runs (parameters' ranges included,
    scipy.stats already imported). Sent last (longest first), all of that would wait for the
    end; sent first, only the two claims of the last long batch do (under 0.1 s). The workers
    balance either way: the six long batches take 1.6-2.0 CPU s each at 10,000 runs and the
    short ones 0.4-0.5 s.
    """
    return sorted(specs, key=lambda spec: spec.months)


def run_batches(
    specs: Sequence[BatchSpec],
    replicates: int,
    seed: int,
    calibration: str | None = None,
    workers: int | None = None,
    arrived: Callable[[str, Batch], None] | None = None,
) -> tuple[dict[str, Batch], dict[str, str]]:
    """Simulate every batch with the same run seeds; return the batches and their configs
    (in the order of `specs`), and give each batch to `arrived` as soon as it is simulated.

    The batches go to the workers whole (``Ensembles.simulate_each``): eight batches of a few
    thousand runs keep two workers busy at full batch size, where cutting each batch into
    chunks cost as much per core as the second worker gained. The parent composes each
    batch's config and hands it over (all of them at once, in `simulation_order`) while the
    first ones are simulated, then does the work of `arrived` while the rest are.
    """
    from tqdm import tqdm

    from sim.config import compose, model_values
    from sim.engine.ensemble import Ensembles, Runs
    from sim.engine.posterior_draws import calibrated_params
    from sim.model.rng import derive_seeds
    from sim.studies.validation import Batch

    seeds = derive_seeds(seed, np.arange(replicates))
    composed: dict[str, tuple[dict, str]] = {}

    def runs(spec: BatchSpec) -> Runs:
        cfg = compose(spec.config_overrides())
        values = model_values(cfg)
        composed[spec.name] = values, OmegaConf.to_yaml(cfg, resolve=True)
        params, _ = calibrated_params(calibration, values, seed, np.arange(replicates))
        return Runs(params, seeds, spec.months, spec.trajectories, spec.events)

    order = simulation_order(specs)
    done: dict[str, Batch] = {}
    # One step per batch, on stderr; hidden when stderr is not a terminal (logs, tests).
    progress = tqdm(order, desc="validation batches", unit="batch", file=sys.stderr, disable=None)
    with Ensembles(workers=workers) as ensembles:
        results = ensembles.simulate_each((runs(s) for s in order), len(order), all_at_once=True)
        for spec, result in zip(progress, results, strict=True):
            done[spec.name] = Batch(spec, result, composed[spec.name][0])
            if arrived is not None:
                arrived(spec.name, done[spec.name])
    return {s.name: done[s.name] for s in specs}, {s.name: composed[s.name][1] for s in specs}


def main(argv: Sequence[str]) -> int:
    """Run the validation and write its report; return the exit code."""
    if any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE)
        return 0
    try:
        options = parse_args(argv)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    try:
        check_resources(options)
    except ValueError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    from sim.engine import store
    from sim.engine.ensemble import WORKER_MODULES
    from sim.engine.executors import start_workers_early
    from sim.studies.claim_table import ClaimTable
    from sim.studies.validation import BATCHES, CLAIMS

    start_workers_early("process", options.workers, WORKER_MODULES)  # the model's import
    with store.Stopwatch() as clock:
        claims = ClaimTable(CLAIMS, spread=options.calibration is not None)
        batches, configs = run_batches(
            BATCHES,
            options.replicates,
            options.seed,
            options.calibration,
            options.workers,
            arrived=claims.add,
        )
        table = claims.table()
    directory = write_results(table, batches, configs, options, clock.seconds)
    print(format_terminal(table))
    print()
    print(verdict_line(table), f"({options.replicates} runs per batch, {clock.seconds:.1f} s)")
    print(f"written to {directory}")
    return 1 if (table["verdict"] == "fail").any() else 0


# --- output -------------------------------------------------------------------------------------
def write_results(
    table: pd.DataFrame,
    batches: Mapping[str, Batch],
    configs: Mapping[str, str],
    options: Options,
    seconds: float,
) -> Path:
    """Write the validation directory (staged: it appears only when complete)."""
    from sim.engine import store
    from sim.studies.validation import CLAIMS

    final = options.output_root / "validation" / store.timestamp()
    with store.staged_directory(final) as staging:
        run_dir = store.run_dir_name(final, options.output_root)
        store.write_table(table, staging / "claims.parquet", run_dir=run_dir)
        store.write_atomic(staging / "claims.csv", lambda tmp: table.to_csv(tmp, index=False))
        (staging / "configs").mkdir()
        for name, text in configs.items():
            store.write_text(text, staging / "configs" / f"{name}.yaml")
        figures = (
            draw_figures(table, CLAIMS, options.replicates, staging) if options.figures else []
        )
        store.write_text(report(table, options, seconds, figures), staging / "validation.md")
        store.write_manifest(
            staging,
            kind="validation",
            run_dir=run_dir,
            replicates=options.replicates,
            seed=options.seed,
            quick=options.quick,
            calibration=options.calibration,
            seconds=round(seconds, 2),
            batches={
                name: {
                    "scenario": b.spec.scenario,
                    "overrides": list(b.spec.overrides),
                    "months": b.spec.months,
                }
                for name, b in batches.items()
            },
            verdicts=table["verdict"].value_counts().to_dict(),
            figures=figures,
        )
    return final


def _parameter_cell(row: object) -> str:
    """'(low, high)': the claim's 95% range over the posterior's parameters."""
    return f"({_number(row.param_lower)}, {_number(row.param_upper)})"


def _number(value: float) -> str:
    if not np.isfinite(value):
        return str(value)
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"


def format_table(table: pd.DataFrame) -> str:
    """The validation table as markdown: claim, source, measure, value [95% CI], verdict."""
    lines = [
        "| id | claim | source | measure | criterion | value [95% CI] | runs | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        interval = f"{_number(row.value)} [{_number(row.lower)}, {_number(row.upper)}]"
        if "param_lower" in table:
            interval += f" {_parameter_cell(row)}"
        lines.append(
            f"| {row.id} | {row.claim} | {row.source} | {row.measure} | {row.criterion} | "
            f"{interval} | {row.runs} | **{row.verdict}** |"
        )
    return "\n".join(lines)


TERMINAL_WIDTH = 100


def format_terminal(table: pd.DataFrame, width: int = TERMINAL_WIDTH) -> str:
    """The table for a terminal, lines within `width`: id, verdict, value [95% CI], measure.

    The claims, sources and criteria are in validation.md (the printed path).
    """
    spread = "param_lower" in table
    extra = f" {'(parameters 95%)':<22}" if spread else ""
    lines = [f"{'id':<6} {'verdict':<9} {'value [95% CI: dice]':<30}{extra} measure"]
    for row in table.itertuples(index=False):
        interval = f"{_number(row.value)} [{_number(row.lower)}, {_number(row.upper)}]"
        params = f" {_parameter_cell(row):<22}" if spread else ""
        line = f"{row.id!s:<6} {row.verdict:<9} {interval:<30}{params} {row.measure}"
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    lines.append("(claims, sources and criteria: validation.md in the directory below)")
    return "\n".join(lines)


def verdict_line(table: pd.DataFrame) -> str:
    counts = table["verdict"].value_counts()
    return ", ".join(f"{counts.get(v, 0)} {v}" for v in ("pass", "fail", "undecided"))


def report(table: pd.DataFrame, options: Options, seconds: float, figures: list[str]) -> str:
    """validation.md: the table, the notes behind each value, and the figures."""
    import pandas as pd

    from sim.studies.validation import BATCHES

    notes = [f"- **{row.id}**: {row.note}" for row in table.itertuples(index=False) if row.note]
    failed = table.loc[table["verdict"] == "fail", "id"].tolist()
    parts = [
        "# Validation against the source analysis and theory",
        "",
        f"Created {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC; {options.replicates} runs "
        f"per batch, master seed {options.seed}, {len(BATCHES)} batches "
        f"({'quick' if options.quick else 'full'} mode); {seconds:.1f} s.",
        "Every batch uses the same run seeds (common random numbers); differences are paired "
        "by run. Criteria were fixed before any run; see docs/validation.md.",
        "",
        f"Verdicts: {verdict_line(table)}." + (f" Failed: {', '.join(failed)}." if failed else ""),
        "",
        format_table(table),
        "",
        "## Notes",
        "",
        *notes,
    ]
    if figures:
        parts += ["", "## Figures", "", *[f"![{name}]({name})" for name in figures]]
    return "\n".join(parts) + "\n"


# --- figures --------------------------------------------------------------------------------------
# Okabe-Ito colours (safe for the common colour-vision deficiencies); verdicts also differ by
# marker shape so the figures read in greyscale.
VERDICT_STYLE = {
    "pass": ("#0072B2", "o"),
    "fail": ("#D55E00", "X"),
    "undecided": ("#E69F00", "s"),
}
BAND_COLOUR = "#009E73"


def draw_figures(
    table: pd.DataFrame, claims: Sequence[Claim], replicates: int, directory: Path
) -> list[str]:
    """Draw the forest plot and the target-band figures; return their paths relative to
    `directory`."""
    import matplotlib

    matplotlib.use("Agg")
    (directory / "figures").mkdir()
    by_id = {c.id: c for c in claims}
    rows = table.set_index("id", drop=False)
    written = []
    differences = [i for i in rows.index if by_id[i].kind == "difference"]
    facts = [i for i in rows.index if by_id[i].kind == "fact"]
    levels = [i for i in rows.index if by_id[i].kind == "level"]
    if differences:
        path = "figures/forest.png"
        _forest(rows.loc[differences], by_id, replicates, directory / path)
        written.append(path)
    for ids, name, title in (
        (facts, "facts_2022", "2022 facts: baseline model value vs target band"),
        (levels, "levels", "Probability claims: model value vs target band"),
    ):
        if ids:
            path = f"figures/{name}.png"
            _bands(rows.loc[ids], by_id, f"{title} ({replicates} runs)", directory / path)
            written.append(path)
    return written


def _legend_handles() -> list:
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], color=c, marker=m, linestyle="", label=v)
        for v, (c, m) in VERDICT_STYLE.items()
    ]


def _forest(rows: pd.DataFrame, by_id: Mapping[str, Claim], replicates: int, path: Path) -> None:
    """One row per directional claim: the paired difference and its 95% interval, zero line;
    one panel per unit, since the differences are in different units."""
    import matplotlib.pyplot as plt

    units = list(dict.fromkeys(by_id[i].unit for i in rows.index))
    heights = [sum(by_id[i].unit == u for i in rows.index) + 0.8 for u in units]
    fig, axes = plt.subplots(
        len(units), 1, figsize=(9, 1.2 + 0.7 * sum(heights)),
        gridspec_kw={"height_ratios": heights}, squeeze=False,
    )  # fmt: skip
    for ax, unit in zip(axes[:, 0], units, strict=True):
        ids = [i for i in rows.index if by_id[i].unit == unit][::-1]
        for y, claim_id in enumerate(ids):
            row = rows.loc[claim_id]
            colour, marker = VERDICT_STYLE[row["verdict"]]
            ax.errorbar(
                row["value"], y,
                xerr=_xerr(row),
                color=colour, marker=marker, capsize=3, markersize=7,
            )  # fmt: skip
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(range(len(ids)), [f"{i}  {by_id[i].label}" for i in ids], fontsize=8)
        ax.set_ylim(-0.7, len(ids) - 0.3)
        ax.set_xlabel(f"difference, scenario minus reference ({unit})")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(
        "Directional claims: paired differences (same seeds) with 95% intervals\n"
        f"{replicates} runs per batch; scenario minus reference"
    )
    axes[0, 0].legend(handles=_legend_handles(), loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _bands(rows: pd.DataFrame, by_id: Mapping[str, Claim], title: str, path: Path) -> None:
    bands_figure(rows, by_id, title).savefig(path, dpi=130)


def bands_figure(rows: pd.DataFrame, by_id: Mapping[str, Claim], title: str):
    """One panel per claim: the target band shaded, the model value with its 95% interval.

    A constrained layout keeps every tick label inside the figure and apart from the next
    panel's (tight_layout clipped the leftmost one).
    """
    from matplotlib.figure import Figure  # matplotlib only when figures are drawn
    from matplotlib.ticker import MaxNLocator

    columns = min(len(rows), 3)
    lines = -(-len(rows) // columns)
    fig = Figure(figsize=(4.4 * columns, 2.3 * lines + 0.9), layout="constrained")
    axes = fig.subplots(lines, columns, squeeze=False)
    for ax, claim_id in zip(axes.ravel(), rows.index, strict=False):
        row, claim = rows.loc[claim_id], by_id[claim_id]
        low, high = claim.criterion.band()
        span = [v for v in (low, high, row["lower"], row["upper"]) if np.isfinite(v)]
        pad = 0.15 * (max(span) - min(span) or 1.0)
        left, right = min(span) - pad, max(span) + pad
        ax.axvspan(max(low, left), min(high, right), color=BAND_COLOUR, alpha=0.25, label="target")
        colour, marker = VERDICT_STYLE[row["verdict"]]
        ax.errorbar(
            row["value"], 0,
            xerr=_xerr(row),
            color=colour, marker=marker, capsize=4, markersize=8,
        )  # fmt: skip
        ax.set_xlim(left, right)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_yticks([])
        ax.set_xlabel(f"{claim.label} ({claim.unit})", fontsize=9)
        ax.set_title(f"{claim_id}: {row['verdict']}", fontsize=9)
    for ax in axes.ravel()[len(rows) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    handles = [*_legend_handles(), _band_handle()]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8)
    return fig


def _band_handle() -> object:
    from matplotlib.patches import Patch

    return Patch(color=BAND_COLOUR, alpha=0.25, label="target band")


def _xerr(row: pd.Series) -> list[list[float]]:
    # Wilson bounds at p = 0 or 1 can sit a rounding error inside the estimate.
    return [[max(row["value"] - row["lower"], 0.0)], [max(row["upper"] - row["value"], 0.0)]]
