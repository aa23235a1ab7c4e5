"""The threshold method on synthetic curves: interval coverage, and runs against a uniform grid.

    python benchmarks/bench_threshold.py              # efficiency: adaptive vs uniform grid
    python benchmarks/bench_threshold.py coverage     # coverage over 500 trials per curve

No model runs: each replicate r is a latent uniform U_r and its outcome at factor value u is
U_r < p(u) (common random numbers, as in the model: replicate r has the same seed at every
value), so each curve's crossing is known exactly.

Efficiency: the adaptive search (``sim.studies.threshold.method``, tolerance 0.02) against a
uniform grid of 11 values with the runs split evenly and the same logistic fit and Fieller
interval. The grid's runs for the adaptive search's mean interval width come from a pilot of
20,000 runs and the 1/sqrt(runs) law, then are checked with a second grid of that size.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.special import expit, logit
from scipy.stats import norm

from sim.analysis.stats import crossing_interval
from sim.studies.threshold import method as M

LEVEL = 0.1
CURVES = {  # name: (p(u), crossing)
    "logistic, steep": (lambda u: expit(logit(LEVEL) + 25 * (u - 0.4)), 0.4),
    "logistic, gentle": (lambda u: expit(logit(LEVEL) + 8 * (u - 0.3)), 0.3),
    "probit": (lambda u: norm.cdf(norm.ppf(LEVEL) + 6 * (u - 0.6)), 0.6),
    "cloglog (skewed)": (
        lambda u: 1 - np.exp(-np.exp(np.log(-np.log(1 - LEVEL)) + 8 * (u - 0.3))),
        0.3,
    ),
    "falling": (lambda u: expit(logit(LEVEL) - 15 * (u - 0.55)), 0.55),
}


def oracle(p, seed: int):
    uniforms = np.random.default_rng(seed).random(400_000)

    def evaluate(batch: M.Batch) -> np.ndarray:
        replicate = np.arange(batch.runs) + batch.first_replicate
        return uniforms[replicate][None, :] < p(batch.points[:, 0])[:, None]

    return evaluate


def adaptive(p, truth: float, trials: int, tolerance: float) -> dict[str, float]:
    settings = M.Settings(1, LEVEL, budget=100_000, batch=400, tolerance=tolerance)
    runs, widths, covered = [], [], 0
    for seed in range(trials):
        history, answer, _ = M.run_design(settings, oracle(p, seed))
        runs.append(history.runs)
        widths.append(answer.width)
        covered += answer.lower <= truth <= answer.upper
    return {"runs": np.mean(runs), "width": np.mean(widths), "coverage": covered / trials}


def grid(p, truth: float, trials: int, runs: int, fitted: bool, points: int = 11) -> float:
    """Mean interval width on a uniform grid of `points` values, runs split evenly.

    fitted: the same logistic fit and Fieller interval as the adaptive search; otherwise what
    `sim analyze` does with a grid sweep (linear interpolation, parametric bootstrap).
    """
    settings = M.Settings(1, LEVEL)
    per_point = runs // points
    u = np.linspace(0, 1, points)[:, None]
    widths = []
    for seed in range(trials):
        batch = M.Batch(0, u, per_point, 0)
        outcomes = oracle(p, 10_000 + seed)(batch)
        if fitted:
            history = M.History.empty(1).add(batch, outcomes)
            model = M.fit(history, history.replicate)
            answer = M.crossing_1d(model, settings, history, history.replicate)
            widths.append(answer.width if answer.status == "crossed" else 1.0)
        else:
            share = outcomes.mean(axis=1)
            runs_ = np.full(points, per_point)
            rng = np.random.default_rng(seed)
            lower, upper, _ = crossing_interval(u[:, 0], runs_, share, LEVEL, 400, rng)
            widths.append(upper - lower if np.isfinite(upper - lower) else 1.0)
    return float(np.mean(widths))


def matching_runs(p, truth: float, trials: int, width: float, fitted: bool) -> tuple[int, float]:
    """Grid runs for a mean width of `width`: a pilot of 20,000 runs and the 1/sqrt(runs)
    law, then one correction step; returns (runs, the width they give)."""
    runs = 20_000
    for _ in range(2):
        runs = int(runs * (grid(p, truth, trials, runs, fitted) / width) ** 2)
    return runs, grid(p, truth, trials, runs, fitted)


def efficiency(trials: int = 40, tolerance: float = 0.02) -> None:
    print(f"level {LEVEL}; adaptive tolerance {tolerance} of the range; {trials} trials each")
    print("grid: 11 values; 'analyze' = interpolation + bootstrap, 'logistic' = the same fit")
    print(
        f"{'curve':<18}{'adaptive runs':>14}{'width':>7}{'analyze grid':>13}{'ratio':>7}"
        f"{'logistic grid':>14}{'ratio':>7}"
    )
    for name, (p, truth) in CURVES.items():
        if name.startswith("cloglog") or name == "falling":
            continue  # the grid's global logistic fit is biased on these: no fair comparison
        a = adaptive(p, truth, trials, tolerance)
        analyze_runs, _ = matching_runs(p, truth, trials, a["width"], fitted=False)
        logistic_runs, _ = matching_runs(p, truth, trials, a["width"], fitted=True)
        print(
            f"{name:<18}{a['runs']:>14,.0f}{a['width']:>7.4f}{analyze_runs:>13,}"
            f"{a['runs'] / analyze_runs:>7.2f}{logistic_runs:>14,}{a['runs'] / logistic_runs:>7.2f}"
        )


def coverage(trials: int = 500) -> None:
    print(f"coverage of the 95% interval over {trials} trials (tolerance 0.05)")
    for name, (p, truth) in CURVES.items():
        began = time.perf_counter()
        a = adaptive(p, truth, trials, 0.05)
        print(
            f"  {name:<20} coverage {a['coverage']:.3f}  mean runs {a['runs']:,.0f}  "
            f"mean width {a['width']:.4f}  ({time.perf_counter() - began:.0f} s)"
        )


if __name__ == "__main__":
    coverage() if sys.argv[1:] == ["coverage"] else efficiency()
