"""`sim.ema.model()`: an EMA Workbench Model whose experiments are vectorised ensembles.

~10 s on 2 busy cores (three experiments of 8 runs x 12 months, run by EMA).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from sim.model.params import PARAMS_BY_PATH

if os.environ.get("CI") != "true":
    pytest.importorskip("ema_workbench", reason="sim.ema needs the discovery extra")

import ema_workbench as ema  # noqa: E402

import sim.ema  # noqa: E402


def test_parameters_come_from_the_parameter_table():
    model = sim.ema.model(scenario="baseline", replicates=4)
    for parameter in [*model.uncertainties, *model.levers]:
        spec = PARAMS_BY_PATH[parameter.name.replace("_", ".", 1)]
        assert (parameter.lower_bound, parameter.upper_bound) == (spec.low, spec.high)
    assert isinstance(model.uncertainties["war_end_month"], ema.IntegerParameter)
    narrowed = sim.ema.model(uncertainties={"war.end_month": (12, 60)}, levers=["war.outcome"])
    assert narrowed.uncertainties["war_end_month"].upper_bound == 60
    assert isinstance(narrowed.levers["war_outcome"], ema.CategoricalParameter)
    with pytest.raises(ValueError, match=r"war.end_month = \[0, 900\].*inside"):
        sim.ema.model(uncertainties={"war.end_month": (0, 900)})
    with pytest.raises(ValueError, match="both an uncertainty and a lever"):
        sim.ema.model(uncertainties=["china.reliability"], levers=["china.reliability"])


def test_perform_experiments_runs_ensembles_on_common_random_numbers():
    model = sim.ema.model(
        scenario="war_favorable_russia", replicates=8, months=12,
        uncertainties=["russia.war_value"], levers=["china.reliability"],
    )  # fmt: skip
    experiments, outcomes = ema.perform_experiments(model, scenarios=3, policies=1)
    assert len(experiments) == 3
    assert {"russia_war_value", "china_reliability"} <= set(experiments.columns)
    assert set(outcomes) == set(sim.ema.OUTCOMES)
    for name in ("p_rung1", "p_rung5"):
        assert ((outcomes[name] >= 0) & (outcomes[name] <= 1)).all()
        assert np.all(outcomes[name] * 8 == np.round(outcomes[name] * 8))  # shares of 8 runs
    first = experiments.iloc[0]
    again = model.function(
        russia_war_value=first["russia_war_value"], china_reliability=first["china_reliability"]
    )
    assert again == {name: values[0] for name, values in outcomes.items()}  # same seeds
