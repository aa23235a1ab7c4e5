"""The three reference-table methods side by side on the model: simulation-based calibration.

    python scripts/compare_methods.py            # about 5 minutes on 2 cores

Simulates the calibration's reference table once (the targets file, prior, seed and sizes of
`sim calibrate targets=seed_2022`), then ranks the same 300 SBC trials (the same runs after
the projection's pilot) under each method: semiauto, rejection and regression. It writes the
table into docs/calibration.md's `sbc_methods` section: how many of the parameters fail the
uniformity test at 1%, how many fail after Holm's correction for testing every parameter, and
each failing parameter's share of true values in the outer tenth of the ranks.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sim.commands.calibrate import sampler_settings  # noqa: E402
from sim.engine.ensemble import WORKER_MODULES as ENSEMBLE_WORKER_MODULES  # noqa: E402
from sim.engine.ensemble import Ensembles  # noqa: E402
from sim.studies.calibration import priors, regression  # noqa: E402
from sim.studies.calibration import targets as T  # noqa: E402
from sim.studies.calibration.calibrate import (  # noqa: E402
    SBC_DRAWS,
    SBC_TRIALS,
    WORKER_MODULES,
    ModelSimulator,
    scenario_values,
)

DOC = REPO / "docs" / "calibration.md"


def holm_failures(pvalues: np.ndarray, level: float = 0.01) -> int:
    """How many hypotheses Holm's step-down procedure rejects at family-wise `level`."""
    ordered = np.sort(pvalues)
    passes = ordered < level / (len(ordered) - np.arange(len(ordered)))
    return len(ordered) if passes.all() else int(np.argmin(passes))


def method_row(result: regression.Result, prior, scale, settings, method: str) -> dict:
    if method != regression.SEMIAUTO:  # the raw targets, on the same rows as semiauto
        result = dataclasses.replace(result, statistics=result.summaries, projection=None)
    ranks = regression.sbc_ranks(
        result, prior, scale, settings.accept, SBC_TRIALS, SBC_DRAWS, settings.seed, method, 2
    )
    pvalues = regression.sbc_uniformity(ranks, draws=SBC_DRAWS)
    outer = ((ranks < 5) | (ranks >= SBC_DRAWS - 4)).mean(axis=0)
    failing = [
        f"{name} ({share:.2f})"
        for name, p, share in zip(prior.names, pvalues, outer, strict=True)
        if p < 0.01
    ]
    return {
        "method": method,
        "fail at 1%": int((pvalues < 0.01).sum()),
        "fail after Holm": holm_failures(pvalues),
        "failing (share in the outer tenth; 0.10 if calibrated)": ", ".join(failing) or "none",
    }


def main() -> int:
    targets = T.load("seed_2022")
    prior = priors.build(targets.parameters)
    settings = dataclasses.replace(
        sampler_settings({}, quick=False, seed=20221028, progress=True),
        method=regression.SEMIAUTO,
    )
    preload = (*ENSEMBLE_WORKER_MODULES, *WORKER_MODULES)
    with Ensembles(workers=None, preload=preload) as ensembles:
        simulate = ModelSimulator(targets, prior, scenario_values(targets), ensembles)
        result = regression.regression_abc(
            simulate, targets.observed, targets.tolerance, prior, settings
        )
    rows = [method_row(result, prior, targets.tolerance, settings, m) for m in regression.METHODS]
    table = pd.DataFrame(rows)
    body = (
        f"{SBC_TRIALS} trials on the runs after the pilot of a {result.simulations:,}-run "
        f"reference table ({len(prior.names)} parameters, {SBC_DRAWS} posterior draws each).\n\n"
        + table.to_markdown(index=False)
    )
    print(body)
    text = DOC.read_text()
    start, end = "<!-- generated:sbc_methods -->", "<!-- end generated:sbc_methods -->"
    if start in text:
        head, rest = text.split(start, 1)
        text = head + start + "\n" + body + "\n" + end + rest.split(end, 1)[1]
        DOC.write_text(text)
        print("docs/calibration.md updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
