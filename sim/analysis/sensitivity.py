"""Global sensitivity of escalation: Sobol indices and Morris screening of a sweep's outcomes.

The path from a sweep to indices has three steps, each a pure function:

1. ``run_outcomes``: one value per run for each outcome: whether the run reached rung k by
   month T (0/1, for the configured rungs and months), its final alignment, and its months to
   rung 3 (runs that never reach it count at the horizon, so the mean is the restricted mean).
2. ``replicate_rows``: the runs of each outcome as a (samples, replicates) matrix. The
   replicates of a sample are averaged into the outcome the indices are computed on.
3. ``sensitivity_indices``: design (a SALib problem and sample) + per-sample outcomes ->
   indices. It calls SALib's analyzers, and reports the replicate noise beside them:

   * ``noise_share``: the variance of the sample means that replicate noise alone would give
     (mean within-sample variance / R), as a share of the observed variance of the sample
     means. Near 0: the indices describe the model's expected outcome; near 1: they describe
     noise. Runs use common random numbers (replicate r of every sample has the same seed),
     so part of the noise is a shift shared by every sample, which moves no index: the share
     is an upper bound of the noise's effect.
   * ``*_rep_sd``: the standard deviation of each index over resamples of the replicates
     (the same resampled replicate indices for every sample, which keeps the pairing of
     common random numbers). It is the uncertainty that finite replicates add to the index,
     beside SALib's ``*_conf`` that covers the finite number of samples.

The Ishigami test (tests/test_sensitivity.py) goes through ``sensitivity_indices`` with the
sample of ``sim.engine.design.sobol_sample``, the same code path as a sweep.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.probabilities import reached_by, time_to_rung
from sim.engine.design import morris_sample, parse_factors, problem, sobol_sample
from sim.engine.sweep_directory import read_parts

SENSITIVITY_DESIGNS = ("sobol", "morris")
TIME_RUNG = 3  # months to threats: the continuous timing outcome
CONTINUOUS = {
    "final_alignment": "mean final alignment",
    f"months_to_rung{TIME_RUNG}": f"mean months to rung {TIME_RUNG} (never: horizon)",
}


# --- outcomes --------------------------------------------------------------------------------
def outcome_name(rung: int, month: int) -> str:
    return f"p_rung{rung}_by{month}"


def outcome_label(name: str) -> str:
    """A readable label: 'P(rung >= 4 by month 120)' or 'mean final alignment'."""
    rung, month = outcome_key(name)
    if np.isnan(rung):
        return CONTINUOUS.get(name, name)
    return f"P(rung >= {rung:.0f} by month {month:.0f})"


def outcome_key(name: str) -> tuple[float, float]:
    """(rung, month) of a probability outcome; NaN for any other outcome."""
    match = re.fullmatch(r"p_rung(\d+)_by(\d+)", name)
    return (float(match[1]), float(match[2])) if match else (np.nan, np.nan)


def summary_columns(rungs: Sequence[int]) -> list[str]:
    """The summary columns `run_outcomes` reads."""
    needed = sorted({*rungs, TIME_RUNG})
    return ["design_point", "replicate", "final_alignment", *(f"month_rung_{k}" for k in needed)]


def run_outcomes(
    summary: pd.DataFrame, rungs: Sequence[int], months: Sequence[int], horizon: int
) -> dict[str, np.ndarray]:
    """One float per run for each outcome (see the module docstring)."""
    out = {
        outcome_name(k, t): reached_by(summary, k, t).astype(float) for k in rungs for t in months
    }
    out["final_alignment"] = summary["final_alignment"].to_numpy(dtype=float)
    out[f"months_to_rung{TIME_RUNG}"] = time_to_rung(summary, TIME_RUNG, horizon)[0].astype(float)
    return out


def replicate_rows(summary: pd.DataFrame, points: Sequence[int], replicates: int) -> np.ndarray:
    """Row positions in `summary` of each point's replicates, shape (len(points), replicates).

    ``values[replicate_rows(...)]`` is the (samples, replicates) matrix of an outcome.

    Raises:
        ValueError: if a point lacks a replicate (an incomplete sweep).
    """
    run = summary["design_point"].to_numpy(np.int64) * replicates + summary["replicate"].to_numpy()
    wanted = np.asarray(points, dtype=np.int64)[:, None] * replicates + np.arange(replicates)
    order = np.argsort(run, kind="stable")
    found = np.searchsorted(run, wanted, sorter=order)
    found = np.minimum(found, max(run.size - 1, 0))
    rows = order[found] if run.size else found
    if not run.size or not np.array_equal(run[rows], wanted):
        raise ValueError("some design points lack replicates: the sweep is incomplete")
    return rows


def replicate_noise(matrix: np.ndarray) -> dict[str, float]:
    """How much of the variance of the sample means is replicate noise.

    Returns:
        samples, replicates, mean, variance (of the sample means), noise_variance (mean
        within-sample variance / R), noise_share (their ratio), within_share (the share of the
        variance of single runs that lies within samples: the model's own randomness).
    """
    samples, reps = matrix.shape
    means = matrix.mean(axis=1)
    variance = float(means.var(ddof=1)) if samples > 1 else np.nan
    within = float(matrix.var(axis=1, ddof=1).mean()) if reps > 1 else np.nan
    noise = within / reps
    single = float(matrix.var(ddof=1)) if matrix.size > 1 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        share = noise / variance if variance > 0 else np.nan
        within_share = within / single if single > 0 else np.nan
    return {
        "samples": samples,
        "replicates": reps,
        "mean": float(means.mean()),
        "variance": variance,
        "noise_variance": noise,
        "noise_share": share,
        "within_share": within_share,
    }


# --- indices -------------------------------------------------------------------------------------
def sobol_analysis(
    problem: Mapping[str, Any],
    y: np.ndarray,
    second_order: bool = True,
    confidence: float = 0.95,
    resamples: int = 100,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SALib's Sobol indices of one outcome per sample, as tidy tables.

    Args:
        problem: the SALib problem (``sim.engine.design.problem``); only names and count are used.
        y: one value per sample, in the order of ``sim.engine.design.sobol_sample``.
        second_order: whether the sample holds the BA block (N(2D+2) rows).
        confidence: level of SALib's bootstrap intervals (``*_conf`` are half-widths).
        resamples: SALib's bootstrap resamples over samples.
        seed: the bootstrap's seed.

    Returns:
        (factor, S1, S1_conf, ST, ST_conf) and (factor, other, S2, S2_conf); NaN indices for
        an outcome that is the same in every sample (nothing to apportion).
    """
    from SALib.analyze import sobol

    names = list(problem["names"])
    y = np.asarray(y, dtype=float)
    if np.ptp(y) <= 0:
        nan = np.full(len(names), np.nan)
        first = pd.DataFrame({"factor": names, "S1": nan, "S1_conf": nan, "ST": nan})
        first["ST_conf"] = nan
        return first, pd.DataFrame(columns=["factor", "other", "S2", "S2_conf"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sobol.analyze(
            dict(problem),
            y,
            calc_second_order=second_order,
            num_resamples=resamples,
            conf_level=confidence,
            seed=seed,
        )
    first = pd.DataFrame(
        {"factor": names, **{k: np.asarray(result[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}}
    )
    pairs = []
    if second_order:
        for j, k in zip(*np.triu_indices(len(names), 1), strict=True):
            pairs.append((names[j], names[k], result["S2"][j, k], result["S2_conf"][j, k]))
    return first, pd.DataFrame(pairs, columns=["factor", "other", "S2", "S2_conf"])


def sobol_point_estimates(
    problem: Mapping[str, Any], y: np.ndarray, second_order: bool
) -> np.ndarray:
    """S1 and ST (shape (2, D)) by SALib's public `sobol.analyze`, without useful intervals.

    Two bootstrap resamples (SALib needs some) keep it fast; only the point estimates are used.
    """
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    dims = len(problem["names"])
    if np.ptp(y) <= 0:
        return np.full((2, dims), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sobol.analyze(
            dict(problem), y, calc_second_order=second_order, num_resamples=2, seed=0
        )
    return np.array([result["S1"], result["ST"]], dtype=float)


def morris_analysis(
    problem: Mapping[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    levels: int = 4,
    confidence: float = 0.95,
    resamples: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """SALib's Morris screening of one outcome: factor, mu, mu_star, mu_star_conf, sigma.

    Args:
        problem: the SALib problem (bounds matter: steps are measured in the unit cube).
        x: the unrounded sample of ``sim.engine.design.morris_sample``, shape (N(D+1), D).
        y: one value per sample.
        levels: the p-level grid of the sample.
    """
    from SALib.analyze import morris

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = morris.analyze(
            dict(problem),
            np.asarray(x, dtype=float),
            np.asarray(y, dtype=float),
            num_resamples=resamples,
            conf_level=confidence,
            num_levels=levels,
            seed=seed,
        )
    table = pd.DataFrame(
        {"factor": list(problem["names"])}
        | {k: np.asarray(result[k], dtype=float) for k in ("mu", "mu_star", "mu_star_conf")}
        | {"sigma": np.asarray(result["sigma"], dtype=float)}
    )
    top = table["mu_star"].max()
    table["mu_star_norm"] = table["mu_star"] / top if top > 0 else np.nan
    table["rank"] = table["mu_star"].rank(ascending=False, method="min").astype(int)
    return table


def _replicate_resamples(
    matrix: np.ndarray, count: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Sample means after resampling replicates (the same indices for every sample: CRN)."""
    reps = matrix.shape[1]
    if reps < 2 or count < 1:
        return []
    return [matrix[:, rng.integers(reps, size=reps)].mean(axis=1) for _ in range(count)]


def sensitivity_indices(
    kind: str,
    problem: Mapping[str, Any],
    sample: np.ndarray,
    outcomes: Mapping[str, np.ndarray],
    *,
    second_order: bool = True,
    levels: int = 4,
    confidence: float = 0.95,
    resamples: int = 100,
    replicate_bootstrap: int = 50,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Indices of every outcome, with the replicate noise beside them.

    Args:
        kind: "sobol" or "morris".
        problem: the SALib problem of the design.
        sample: the design's unrounded sample (rows in SALib's order).
        outcomes: per outcome, the runs as a (samples, replicates) matrix (or a vector: one
            run per sample, no noise estimate).
        second_order, levels: as the design was sampled.
        confidence, resamples, seed: SALib's bootstrap over samples.
        replicate_bootstrap: resamples of the replicates for the ``*_rep_sd`` columns.

    Returns:
        {"sobol", "sobol_second_order", "sensitivity_noise"} or {"morris", "sensitivity_noise"};
        every table has an ``outcome`` column.
    """
    if kind not in SENSITIVITY_DESIGNS:
        raise ValueError(f"kind = {kind!r}: expected one of {SENSITIVITY_DESIGNS}")
    rng = np.random.default_rng(seed)
    frames: dict[str, list[pd.DataFrame]] = {}
    noise = []
    for name, matrix in outcomes.items():
        matrix = np.asarray(matrix, dtype=float).reshape(len(sample), -1)
        y = matrix.mean(axis=1)
        resampled = _replicate_resamples(matrix, replicate_bootstrap, rng)
        if kind == "sobol":
            tables = _sobol_outcome(
                problem, y, resampled, second_order, confidence, resamples, seed
            )
        else:
            tables = _morris_outcome(problem, sample, y, resampled, levels, confidence, resamples)
        for key, table in tables.items():
            frames.setdefault(key, []).append(table.assign(outcome=name))
        noise.append({"outcome": name, **replicate_noise(matrix)})
    out = {key: _tidy(pd.concat(parts, ignore_index=True)) for key, parts in frames.items()}
    out["sensitivity_noise"] = _tidy(pd.DataFrame(noise))
    return out


def _sobol_outcome(
    problem: Mapping[str, Any],
    y: np.ndarray,
    resampled: list[np.ndarray],
    second_order: bool,
    confidence: float,
    resamples: int,
    seed: int,
) -> dict[str, pd.DataFrame]:
    first, pairs = sobol_analysis(problem, y, second_order, confidence, resamples, seed)
    if resampled:
        estimates = np.stack([sobol_point_estimates(problem, r, second_order) for r in resampled])
        with warnings.catch_warnings():  # all-NaN columns (constant outcome) stay NaN
            warnings.simplefilter("ignore")
            spread = np.nanstd(estimates, axis=0, ddof=1)
        first["S1_rep_sd"], first["ST_rep_sd"] = spread
    else:
        first["S1_rep_sd"] = first["ST_rep_sd"] = np.nan
    return {"sobol": first, "sobol_second_order": pairs} if second_order else {"sobol": first}


def _morris_outcome(
    problem: Mapping[str, Any],
    sample: np.ndarray,
    y: np.ndarray,
    resampled: list[np.ndarray],
    levels: int,
    confidence: float,
    resamples: int,
) -> dict[str, pd.DataFrame]:
    table = morris_analysis(problem, sample, y, levels, confidence, resamples)
    if resampled:
        stars = [
            morris_analysis(problem, sample, r, levels, confidence, 2)["mu_star"] for r in resampled
        ]
        table["mu_star_rep_sd"] = np.std(np.stack(stars), axis=0, ddof=1)
    else:
        table["mu_star_rep_sd"] = np.nan
    return {"morris": table}


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Outcome, its label, rung and month first."""
    if table.empty:
        return table
    keys = np.array([outcome_key(n) for n in table["outcome"]]).reshape(-1, 2)
    table.insert(0, "month", keys[:, 1])
    table.insert(0, "rung", keys[:, 0])
    table.insert(0, "label", [outcome_label(n) for n in table["outcome"]])
    table.insert(0, "outcome", table.pop("outcome"))
    return table


# --- a sweep directory -------------------------------------------------------------------------
def design_sample(cfg: Any, design: pd.DataFrame) -> tuple[dict[str, Any], np.ndarray]:
    """The SALib problem and unrounded sample of a sweep, regenerated from its config.

    The sample is checked against the stored design (factors cast as the runs used them); a
    mismatch (e.g. another SALib version) falls back to the stored values with a warning.
    """

    factors = parse_factors(cfg.factors)
    prob = problem(factors)
    d = cfg.design
    seed = int(cfg.seed if d.get("seed") is None else d.seed)
    if d.kind == "morris":
        sample = morris_sample(prob, int(d.n), seed, int(d.levels))
    else:
        sample = sobol_sample(prob, int(d.n), seed, bool(d.second_order))
    first = design[design["scenario"] == design["scenario"].iloc[0]]
    stored = first[prob["names"]].to_numpy(dtype=float)
    cast = np.column_stack([[f.cast(v) for v in sample[:, i]] for i, f in enumerate(factors)])
    if stored.shape != cast.shape or not np.allclose(stored, cast, rtol=1e-12, atol=0):
        warnings.warn(
            "design.parquet differs from the sample its config regenerates; using the stored "
            "values",
            stacklevel=2,
        )
        sample = stored
    return prob, sample


def sensitivity_tables(
    directory: str | Path, cfg: Any, design: pd.DataFrame, options: Mapping[str, Any]
) -> dict[str, pd.DataFrame]:
    """Sobol or Morris tables of a sweep, per scenario, plus the per-sample outcomes.

    Args:
        directory: the sweep directory (its summary parts are read here).
        cfg: the stored config (``config.yaml``).
        design: ``design.parquet``.
        options: the analysis options (months, rungs, confidence, replicate_bootstrap, ...).

    Returns:
        The tables of ``sensitivity_indices`` with a ``scenario`` column, and
        ``sensitivity_outcomes``: one row per design point, its factors and outcome means.
        Empty when the sweep lacks runs (an incomplete sweep: a warning says so).
    """

    horizon = int(cfg.months)
    months = [m for m in options["months"] if m <= horizon] or [horizon]
    rungs = list(options["rungs"])
    summary = read_parts(Path(directory), "summary", summary_columns(rungs))
    values = run_outcomes(summary, rungs, months, horizon)
    prob, sample = design_sample(cfg, design)
    tables: dict[str, list[pd.DataFrame]] = {}
    means = []
    for scenario, block in design.groupby("scenario", sort=False):
        points = block["design_point"].to_numpy()
        try:
            rows = replicate_rows(summary, points, int(cfg.replicates))
        except ValueError as error:
            warnings.warn(f"no sensitivity indices: {error}", stacklevel=2)
            return {}
        outcomes = {name: v[rows] for name, v in values.items()}
        result = sensitivity_indices(
            cfg.design.kind,
            prob,
            sample,
            outcomes,
            second_order=bool(cfg.design.get("second_order", True)),
            levels=int(cfg.design.levels),
            confidence=float(options["confidence"]),
            resamples=int(options.get("sensitivity_resamples", 100)),
            replicate_bootstrap=int(options.get("replicate_bootstrap", 50)),
            seed=int(cfg.seed),
        )
        for key, table in result.items():
            table.insert(0, "scenario", scenario)
            tables.setdefault(key, []).append(table)
        means.append(block.assign(**{n: m.mean(axis=1) for n, m in outcomes.items()}))
    out = {key: pd.concat(parts, ignore_index=True) for key, parts in tables.items()}
    out["sensitivity_outcomes"] = pd.concat(means, ignore_index=True)
    return out


# --- printing --------------------------------------------------------------------------------
def headline_outcomes(names: Sequence[str]) -> list[str]:
    """The outcomes worth printing and drawing: each rung at its latest month, then the rest."""
    latest: dict[float, tuple[float, str]] = {}
    for name in names:
        rung, month = outcome_key(name)
        if not np.isnan(rung) and month >= latest.get(rung, (-1.0, ""))[0]:
            latest[rung] = (month, name)
    chosen = [latest[r][1] for r in sorted(latest)]
    return chosen + [n for n in dict.fromkeys(names) if np.isnan(outcome_key(n)[0])]


def format_sensitivity(tables: Mapping[str, pd.DataFrame], folder: Path | None = None) -> str:
    """The indices of the headline outcomes as text: factors by importance, with intervals
    (`folder`: the analysis folder holding the tables' CSV files, named in the headings)."""
    lines: list[str] = []
    noise = tables.get("sensitivity_noise")
    for key in ("sobol", "morris"):
        table = tables.get(key)
        if table is None or table.empty:
            continue
        where = f"; all in {folder / key}.csv" if folder else ""
        lines.append(f"\n== {key} ({len(table)} rows{where})")
        for (scenario, outcome), frame in table.groupby(["scenario", "outcome"], sort=False):
            if outcome not in headline_outcomes(table["outcome"].unique()):
                continue
            lines.append(_noise_line(noise, scenario, outcome, frame["label"].iloc[0]))
            lines.extend(_sobol_lines(frame) if key == "sobol" else _morris_lines(frame))
    return "\n".join(lines)


def _noise_line(noise: pd.DataFrame | None, scenario: str, outcome: str, label: str) -> str:
    text = f"-- {scenario}: {label}"
    if noise is None or noise.empty:
        return text
    row = noise[(noise["scenario"] == scenario) & (noise["outcome"] == outcome)]
    if len(row):
        r = row.iloc[0]
        text += (
            f"  [mean {r['mean']:.4g}; replicate noise {_pct(r['noise_share'])} of the variance "
            f"of sample means, R = {int(r['replicates'])}]"
        )
    return text


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100 * x:.1f}%"


def _sobol_lines(frame: pd.DataFrame) -> list[str]:
    if frame["ST"].isna().all():
        return ["   (the outcome is the same in every sample: no variance to apportion)"]
    rows = ["   factor                                   S1 (+-conf, rep sd)        ST (+-conf)"]
    for r in frame.sort_values("ST", ascending=False).itertuples():
        rows.append(
            f"   {r.factor:<38} {r.S1:6.3f} +-{r.S1_conf:.3f} ({r.S1_rep_sd:.3f})"
            f"   {r.ST:6.3f} +-{r.ST_conf:.3f} ({r.ST_rep_sd:.3f})"
        )
    rows.append(f"   sum S1 = {frame['S1'].sum():.3f} (1 - sum S1: the share due to interactions)")
    return rows


def _morris_lines(frame: pd.DataFrame) -> list[str]:
    rows = ["   rank factor                                   mu*  (+-conf)      mu     sigma"]
    for r in frame.sort_values("mu_star", ascending=False).itertuples():
        rows.append(
            f"   {r.rank:>4} {r.factor:<38} {r.mu_star:8.4g} +-{r.mu_star_conf:<8.3g}"
            f" {r.mu:8.4g} {r.sigma:8.4g}"
        )
    return rows
