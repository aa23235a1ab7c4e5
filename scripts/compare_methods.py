"""The three reference-table methods side by side on the model: simulation-based calibration.

    python scripts/compare_methods.py            # about 5 minutes on 2 cores
    python scripts/compare_methods.py 200000     # a small table: to try it, not to read

Simulates the calibration's reference table once (the targets file, prior, seed and sizes of
`sim calibrate targets=seed_2022`), then ranks the same SBC trials (runs after the
projection's pilot) under each method: semiauto, rejection and regression, twice: on 300
random runs (calibration over the prior predictive, as `sim calibrate` checks it) and on the
300 runs whose targets lie nearest the 2022 observation (calibration for data like ours). It
writes the table into docs/calibration.md's `sbc_methods` section: how many parameters fail
the uniformity test at 1%, how many after Holm's correction for testing all of them, and each
failing parameter's share of true values in the outer tenth of the ranks (0.10 if calibrated)
and mean rank (49.5 if calibrated; below: the posterior sits above the truth).

Two checks of the 2022 observation itself go into the `misfit` section: how far its
neighbours in the table lie against how far the neighbours of the look-alike runs lie (a
model that could have produced the observation puts it among its data as closely as its own
runs), and the disruptions count (the first target) predicted by each method's posterior, at
the look-alikes against what their true parameters give, and at the observation.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from calibration_report import markdown  # noqa: E402

from sim.commands.calibrate import sampler_settings  # noqa: E402
from sim.engine.ensemble import WORKER_MODULES as ENSEMBLE_WORKER_MODULES  # noqa: E402
from sim.engine.ensemble import Ensembles  # noqa: E402
from sim.model.rng import derive_seeds  # noqa: E402
from sim.studies.calibration import abc, priors, regression  # noqa: E402
from sim.studies.calibration import targets as T  # noqa: E402
from sim.studies.calibration.calibrate import (  # noqa: E402
    SBC_DRAWS,
    SBC_TRIALS,
    WORKER_MODULES,
    ModelSimulator,
    scenario_values,
)

DOC = REPO / "docs" / "calibration.md"
RUNS_EACH = 20  # runs at each true parameter vector, and posterior draws per look-alike


def holm_failures(pvalues: np.ndarray, level: float = 0.01) -> int:
    """How many hypotheses Holm's step-down procedure rejects at family-wise `level`."""
    ordered = np.sort(pvalues)
    passes = ordered < level / (len(ordered) - np.arange(len(ordered)))
    return len(ordered) if passes.all() else int(np.argmin(passes))


def method_row(result: regression.Result, prior, targets, settings, method: str, near) -> dict:
    if method != regression.SEMIAUTO:  # the raw targets, on the same rows as semiauto
        result = dataclasses.replace(result, statistics=result.summaries, projection=None)
    ranks = regression.sbc_ranks(
        result, prior, targets.tolerance, settings.accept, SBC_TRIALS, SBC_DRAWS,
        settings.seed, method, threads=2, near=near,
    )  # fmt: skip
    pvalues = regression.sbc_uniformity(ranks, draws=SBC_DRAWS)
    outer = ((ranks < 5) | (ranks >= SBC_DRAWS - 4)).mean(axis=0)
    mean_rank = ranks.mean(axis=0)
    failing = [
        f"{prior.names[j]} ({outer[j]:.2f}, {mean_rank[j]:.0f})"
        for j in np.flatnonzero(pvalues < 0.01)
    ]
    return {
        "trials": "random" if near is None else "nearest 2022",
        "method": method,
        "fail at 1%": int((pvalues < 0.01).sum()),
        "fail after Holm": holm_failures(pvalues),
        "failing (outer share, mean rank)": ", ".join(failing) or "none",
    }


def posterior_at(result, prior, targets, settings, method, row=None) -> abc.Generation:
    """The posterior of one table row's targets (or of the observation) by `method`."""
    observed = targets.observed if row is None else result.summaries[row].astype(float)
    table = slice(result.pilot, None)
    exclude = None if row is None else row - result.pilot
    if method == regression.SEMIAUTO:
        stats, obs = result.statistics[table], result.projection(observed[None, :])[0]
        scale = np.ones(prior.dim)
    else:
        stats, obs, scale = result.summaries[table], observed, targets.tolerance
    return regression.adjusted_posterior(
        result.theta[table], stats, obs.astype(float), scale, prior, settings.accept,
        exclude=exclude, method=method,
    )  # fmt: skip


def misfit_section(result, prior, targets, settings, simulate) -> str:
    fit = regression.misfit(result, targets.observed, targets.tolerance, settings.accept // 2)
    tail = result.summaries[result.pilot :]
    rows = result.pilot + regression.lookalike_rows(tail, targets.observed, targets.tolerance)
    rng = np.random.default_rng(settings.seed)
    fresh_seeds = iter(range(1, 100))  # each batch of fresh runs its own seeds

    def halts(theta: np.ndarray) -> np.ndarray:  # the first target: Russian disruptions
        return simulate(theta, derive_seeds(next(fresh_seeds), np.arange(len(theta))))[:, 0]

    truth = halts(np.repeat(result.theta[rows].astype(float), RUNS_EACH, axis=0))
    lines = [
        f"Distance (tolerance units) from the observation to its {fit.k:,}th nearest run of "
        f"the SBC rows: {fit.observed:.2f}; from each of the {fit.lookalikes} runs nearest the "
        f"observation to its own {fit.k:,}th nearest: median {fit.lookalike_median:.2f}, "
        f"largest {fit.lookalike_max:.2f}.",
        "",
        f"Russian disruptions March-October 2022 (observed {targets.observed[0]:g}); the "
        f"look-alikes' own count averages {result.summaries[rows, 0].mean():.2f}, and "
        f"{RUNS_EACH} fresh runs at each of their true parameter vectors "
        f"{truth.mean():.2f}:",
        "",
        "| method | predicted at the look-alikes (truth " + f"{truth.mean():.2f}) "
        "| predicted at the 2022 observation |",
        "| --- | --- | --- |",
    ]
    for method in regression.METHODS:
        draws = []
        for r in rows:
            gen = posterior_at(result, prior, targets, settings, method, r)
            draws.append(gen.theta[rng.choice(len(gen.weights), RUNS_EACH, p=gen.weights)])
        gen = posterior_at(result, prior, targets, settings, method)
        at_real = gen.theta[rng.choice(len(gen.weights), 2000, p=gen.weights)]
        lines.append(
            f"| {method} | {halts(np.vstack(draws)).mean():.2f} | {halts(at_real).mean():.2f} |"
        )
    return "\n".join(lines)


def write_section(name: str, body: str) -> None:
    text = DOC.read_text()
    start, end = f"<!-- generated:{name} -->", f"<!-- end generated:{name} -->"
    if start in text:
        head, rest = text.split(start, 1)
        DOC.write_text(head + start + "\n" + body + "\n" + end + rest.split(end, 1)[1])
        print(f"docs/calibration.md: {name} updated")


def main() -> int:
    targets = T.load("seed_2022")
    prior = priors.build(targets.parameters)
    settings = dataclasses.replace(
        sampler_settings({}, quick=False, seed=20221028, progress=True),
        method=regression.SEMIAUTO,
    )
    if len(sys.argv) > 1:  # a smaller table, to try the script: `compare_methods.py 200000`
        budget = int(sys.argv[1])
        settings = dataclasses.replace(
            settings, budget=budget, batch=budget // 4, min_simulations=budget
        )
    preload = (*ENSEMBLE_WORKER_MODULES, *WORKER_MODULES)
    with Ensembles(workers=None, preload=preload) as ensembles:
        simulate = ModelSimulator(targets, prior, scenario_values(targets), ensembles)
        result = regression.regression_abc(
            simulate, targets.observed, targets.tolerance, prior, settings
        )
        misfit = misfit_section(result, prior, targets, settings, simulate)
    print(misfit)
    write_section("misfit", misfit)
    rows = [
        method_row(result, prior, targets, settings, method, near)
        for near in (None, targets.observed)
        for method in regression.METHODS
    ]
    table = pd.DataFrame(rows)
    body = (
        f"{SBC_TRIALS} trials on the runs after the pilot of a {result.simulations:,}-run "
        f"reference table ({len(prior.names)} parameters, {SBC_DRAWS} posterior draws each).\n\n"
        + markdown(table)
    )
    print(body)
    write_section("sbc_methods", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
