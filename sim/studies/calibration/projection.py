"""Semi-automatic summary statistics (Fearnhead and Prangle 2012): one summary per parameter,
its regression on the targets.

Rejection ABC on many targets in units of their tolerances weighs every target alike, so the
monthly event counts (16 of 26 targets, noisy, each saying little) set the distance, and a
parameter that two smooth targets pin down (the re-export share: EAEU trade growth) keeps a
posterior far wider than the data allow: the simulation-based calibration shows it as a hump
of ranks. Fearnhead and Prangle's remedy: fit, on a pilot set of prior runs, the regression of
each parameter on features of the targets, and use the fitted values, estimates of
E[parameter | targets], as the summaries. A parameter the targets predict well gets a summary
that varies over its prior range; one they say nothing about gets a near-constant summary that
hardly moves the distance.

Each parameter is fitted on its prior's unit scale, so the projected summaries share one unit
(a share of the prior's width) and the distance needs no further scaling. The features are
each target in units of its tolerance, measured from the observation, and its square (the
fitted values are a quadratic surface, centred on the data the calibration is about).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.studies.calibration.priors import UniformPrior

#: Rows per block of the normal equations: bounds the memory of the fit to about 50 MB.
BLOCK = 100_000


@dataclasses.dataclass(frozen=True)
class Projection:
    """Targets (n, k) -> fitted parameters on the prior's unit scale (n, d)."""

    center: np.ndarray  # the observation: features are measured from it ...
    scale: np.ndarray  # ... in units of each target's tolerance
    coefficients: np.ndarray  # (1 + 2k, d): intercept, linear and square terms
    r_squared: np.ndarray  # (d,): share of each parameter's prior variance the fit explains

    def features(self, summaries: np.ndarray) -> np.ndarray:
        x = (np.asarray(summaries, dtype=float) - self.center) / self.scale
        return np.hstack([np.ones((len(x), 1)), x, x**2])

    def __call__(self, summaries: np.ndarray) -> np.ndarray:
        """The projected summaries, in single precision like the reference table."""
        parts = [
            self.features(summaries[i : i + BLOCK]) @ self.coefficients
            for i in range(0, len(summaries), BLOCK)
        ]
        return np.concatenate(parts).astype(np.float32)


def fit(
    theta: np.ndarray,
    summaries: np.ndarray,
    center: np.ndarray,
    scale: np.ndarray,
    prior: UniformPrior,
) -> Projection:
    """Least squares of each parameter (unit scale) on the targets' features, by blocks of
    normal equations; a feature that never varies (a fact every pilot run meets) gets no
    weight (the minimum-norm solution). Runs with a missing target are left out of the fit
    (their projection is missing too, which puts them infinitely far)."""
    usable = np.isfinite(summaries).all(axis=1)
    theta, summaries = theta[usable], summaries[usable]
    unit = (np.asarray(theta, dtype=float) - prior.low) / prior.width
    center, scale = np.asarray(center, dtype=float), np.asarray(scale, dtype=float)
    shell = Projection(center, scale, coefficients=np.empty(0), r_squared=np.empty(0))
    width = 1 + 2 * summaries.shape[1]
    gram, cross = np.zeros((width, width)), np.zeros((width, unit.shape[1]))
    for i in range(0, len(unit), BLOCK):
        x = shell.features(summaries[i : i + BLOCK])
        gram += x.T @ x
        cross += x.T @ unit[i : i + BLOCK]
    coefficients = np.linalg.lstsq(gram, cross, rcond=None)[0]
    fitted = dataclasses.replace(shell, coefficients=coefficients)(summaries).astype(float)
    r_squared = 1.0 - ((fitted - unit) ** 2).mean(axis=0) / unit.var(axis=0)
    return dataclasses.replace(shell, coefficients=coefficients, r_squared=r_squared)
