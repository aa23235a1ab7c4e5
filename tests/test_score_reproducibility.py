"""Scoring on the model: no leak from after the cut-off, and the same scores in any executor."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from sim.studies import facts as F
from sim.studies import scoring
from sim.studies.calibration import calibrate as C
from sim.studies.calibration.abc import Settings

TINY_ABC = Settings(population=20, budget=60, batch=60, max_generations=2, progress=False)


def options(**changes) -> scoring.Options:
    base = scoring.Options(
        cutoff=3,
        calibration="none",
        scenario="baseline",
        replicates=40,
        seed=11,
        months=8,
        settings=TINY_ABC,
        chunk_size=40,
    )
    return dataclasses.replace(base, **changes)


def shifted(facts: F.FactSet, names: dict[str, float]) -> F.FactSet:
    """The facts with some observed values changed."""
    changed = tuple(
        dataclasses.replace(f, observed=names[f.name]) if f.name in names else f
        for f in facts.facts
    )
    return dataclasses.replace(facts, facts=changed)


def test_nothing_after_the_cut_off_enters_calibration_or_references():
    facts = F.load("seed_2022")
    # Two facts after June 2022 observed otherwise: an event count and a CPC disruption.
    moved = shifted(facts, {"Russia-Kazakhstan:events:2022-07": 9.0, "cpc_halt_2022-07": 0.0})
    seen = []

    def recording(targets, settings, scenario, workers):
        seen.append(targets)
        return C.calibrate(targets, settings, scenario, workers)

    first = scoring.run(facts, options(calibration="auto"), calibrate=recording)
    second = scoring.run(moved, options(calibration="auto"), calibrate=recording)
    assert seen[0] == dataclasses.replace(seen[1], path=seen[0].path)  # the same targets
    assert seen[0].months == 4  # March-June only are simulated for the calibration
    pd.testing.assert_frame_equal(first.predictive, second.predictive, check_exact=True)
    forecasts = [c for c in first.scores.columns if c.endswith("_forecast")]
    forecasts += ["probability", "mean", "q05", "median", "q95"]
    pd.testing.assert_frame_equal(first.scores[forecasts], second.scores[forecasts])
    # The shifted facts' own scores change; August's references (same series) do not.
    august = first.scores["fact"] == "Russia-Kazakhstan:events:2022-08"
    assert first.scores.loc[august, "climatology"].item() == (
        second.scores.loc[august, "climatology"].item()
    )
    july = first.scores["fact"] == "Russia-Kazakhstan:events:2022-07"
    assert first.scores.loc[july, "model"].item() != second.scores.loc[july, "model"].item()


@pytest.fixture(scope="module")
def serial() -> scoring.Scoring:
    """The scores run serially: the reference every other executor must match."""
    return scoring.run(F.load("seed_2022"), options())


@pytest.mark.parametrize(
    "executor", [dict(executor="process", workers=2, chunk_size=7), dict(executor="dask")]
)
def test_the_same_seed_gives_the_same_scores_in_any_executor(serial, executor):
    other = scoring.run(F.load("seed_2022"), options(**executor))
    pd.testing.assert_frame_equal(serial.predictive, other.predictive, check_exact=True)
    pd.testing.assert_frame_equal(serial.scores, other.scores, check_exact=True)
    pd.testing.assert_frame_equal(serial.skill, other.skill, check_exact=True)
