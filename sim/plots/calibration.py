"""Figures of a calibration: marginal posteriors against priors, a pair plot, the predictive check.

Each function returns a `matplotlib.figure.Figure`; `calibration_figures` writes them all.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sim.plots.style import OKABE_ITO, log_scale, save_figures
from sim.studies.calibration.calibrate import SBC_DRAWS

if TYPE_CHECKING:
    from sim.studies.calibration.calibrate import Calibration

PRIOR_COLOUR, POSTERIOR_COLOUR, OBSERVED_COLOUR = "#999999", OKABE_ITO[0], OKABE_ITO[3]
PAIR_PARAMETERS = 4


def _grid(n: int, columns: int = 4, size: float = 2.6) -> tuple[Figure, np.ndarray]:
    columns = min(columns, n)
    rows = math.ceil(n / columns)
    fig = Figure(figsize=(size * columns + 0.4, size * rows * 0.85 + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


def marginals_figure(calibration: Calibration) -> Figure:
    """One panel per parameter: the weighted posterior histogram over the uniform prior."""
    post, prior = calibration.result.posterior, calibration.prior
    fig, axes = _grid(prior.dim)
    for j, ax in enumerate(axes[: prior.dim]):
        low, high = prior.low[j], prior.high[j]
        bins = np.linspace(low, high, 31)
        ax.hist(
            post.theta[:, j],
            bins=bins,
            weights=post.weights,
            density=True,
            color=POSTERIOR_COLOUR,
            alpha=0.75,
            label="posterior",
        )
        ax.hlines(1.0 / (high - low), low, high, color=PRIOR_COLOUR, lw=2, label="prior")
        ax.set_title(prior.names[j], fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"Marginal posteriors against priors ({calibration.targets.name})", fontsize=10)
    return fig


def most_informed(calibration: Calibration, count: int = PAIR_PARAMETERS) -> list[int]:
    """Indices of the parameters whose posterior sd shrank most against the prior's."""
    post, prior = calibration.result.posterior, calibration.prior
    mean = np.average(post.theta, axis=0, weights=post.weights)
    sd = np.sqrt(np.average((post.theta - mean) ** 2, axis=0, weights=post.weights))
    ratio = sd / (prior.width / np.sqrt(12.0))
    return list(np.argsort(ratio)[: min(count, prior.dim)])


def pair_figure(calibration: Calibration) -> Figure:
    """A pair plot of the most informed parameters: marginals on the diagonal, pairs below."""
    post, prior = calibration.result.posterior, calibration.prior
    chosen = most_informed(calibration)
    n = len(chosen)
    fig = Figure(figsize=(2.3 * n + 0.5, 2.3 * n + 0.5), layout="constrained")
    axes = np.atleast_2d(fig.subplots(n, n, squeeze=False))
    size = 4.0 + 30.0 * post.weights / post.weights.max()
    for r, i in enumerate(chosen):
        for c, j in enumerate(chosen):
            ax = axes[r, c]
            if c > r:
                ax.set_visible(False)
                continue
            if r == c:
                ax.hist(post.theta[:, i], bins=25, weights=post.weights, color=POSTERIOR_COLOUR)
                ax.set_yticks([])
            else:
                ax.scatter(post.theta[:, j], post.theta[:, i], s=size, alpha=0.25, lw=0)
                ax.set_ylim(prior.low[i], prior.high[i])
            ax.set_xlim(prior.low[j], prior.high[j])
            ax.tick_params(labelsize=7)
            if r == n - 1:
                ax.set_xlabel(prior.names[j], fontsize=8)
            if c == 0 and r > 0:
                ax.set_ylabel(prior.names[i], fontsize=8)
    fig.suptitle("Posterior of the most informed parameters (axes: prior range)", fontsize=10)
    return fig


def predictive_figure(calibration: Calibration) -> Figure:
    """One panel per target: fresh runs at posterior draws against the observed value."""
    targets = calibration.targets.targets
    fig, axes = _grid(len(targets), columns=3, size=3.0)
    for target, ax in zip(targets, axes, strict=False):
        values = calibration.predictive[target.name].to_numpy()
        distinct = np.unique(values)
        if distinct.size <= 12:  # counts and 0/1 facts: a bar per value, no comb of empty bins
            shares = [np.mean(values == v) for v in distinct]
            ax.bar(distinct, shares, width=0.6 * _step(distinct), color=POSTERIOR_COLOUR)
        else:
            ax.hist(values, bins=30, density=True, color=POSTERIOR_COLOUR, alpha=0.8)
        ax.axvline(target.observed, color=OBSERVED_COLOUR, lw=2, label="observed")
        ax.axvspan(
            target.observed - target.tolerance,
            target.observed + target.tolerance,
            color=OBSERVED_COLOUR,
            alpha=0.12,
            label="tolerance",
        )
        ax.set_title(target.name, fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle("Posterior predictive check: fresh runs at posterior draws", fontsize=10)
    return fig


def _step(values: np.ndarray) -> float:
    return float(np.min(np.diff(values))) if values.size > 1 else 1.0


def diagnostics_figure(calibration: Calibration) -> Figure:
    """Tolerance, acceptance rate, effective sample size (and, for regression ABC, the change
    in the posterior) per generation or per reference-table size."""
    table = calibration.result.diagnostics
    x = "generation" if "generation" in table else "simulations"
    panels = [
        ("epsilon", "tolerance (distance)"),
        ("acceptance_rate", "acceptance rate"),
        ("ess", "effective sample size"),
    ]
    if "change" in table:
        panels.append(("change", "posterior change (prior sd)"))
    fig = Figure(figsize=(3 * len(panels), 2.8), layout="constrained")
    axes = fig.subplots(1, len(panels))
    for ax, (column, label) in zip(axes, panels, strict=True):
        ax.plot(table[x], table[column], marker="o", color=POSTERIOR_COLOUR)
        ax.set_xlabel("generation" if x == "generation" else "simulated runs")
        ax.set_title(label, fontsize=9)
        if column in ("acceptance_rate", "change"):
            log_scale(ax, "y")
    return fig


def sbc_figure(ranks: np.ndarray, names: list[str], draws: int, bins: int = 10) -> Figure:
    """Simulation-based calibration (Talts et al. 2018): each parameter's histogram of the rank
    of its true value among posterior draws, with the band of 99% of uniform histograms.
    A U shape means an over-confident posterior, a hump an under-confident one."""
    from scipy import stats  # scipy: only for the band

    trials = ranks.shape[0]
    expected = trials / bins
    low, high = stats.binom.ppf([0.005, 0.995], trials, 1 / bins)
    fig, axes = _grid(len(names), columns=6, size=2.0)
    for j, ax in enumerate(axes[: len(names)]):
        ax.axhspan(low, high, color=PRIOR_COLOUR, alpha=0.3, lw=0)
        ax.axhline(expected, color=PRIOR_COLOUR, lw=1)
        ax.hist(ranks[:, j], bins=bins, range=(0, draws + 1), color=POSTERIOR_COLOUR, alpha=0.8)
        ax.set_title(names[j], fontsize=6)
        ax.set_xticks([])
        ax.tick_params(labelsize=6)
    fig.suptitle(
        f"SBC rank histograms, {trials} trials (grey: 99% band of a uniform histogram)",
        fontsize=9,
    )
    return fig


def calibration_figures(directory: Path, calibration: Calibration) -> list[Path]:
    """Draw every figure of a calibration into <directory>/figures/ (PNG)."""
    figures = {
        "marginals": marginals_figure(calibration),
        "pairs": pair_figure(calibration),
        "predictive_check": predictive_figure(calibration),
        "diagnostics": diagnostics_figure(calibration),
    }
    if calibration.sbc is not None:
        figures["sbc_ranks"] = sbc_figure(
            calibration.sbc.to_numpy(), list(calibration.sbc.columns), SBC_DRAWS
        )
    return save_figures(figures, Path(directory) / "figures")
