"""Uncertain parameters: each carries a prior inside its range, and the ODD marks it."""

from __future__ import annotations

import pytest

from sim.model.odd import render_parameters
from sim.model.params import PARAMS
from sim.model.uncertainty import UNCERTAIN as CALIBRATED

UNCERTAIN = [p for p in PARAMS if p.uncertain]


def test_there_are_uncertain_parameters():
    assert len(UNCERTAIN) >= 10


@pytest.mark.parametrize("param", UNCERTAIN, ids=lambda p: p.path)
def test_prior_lies_in_the_range_and_holds_the_default(param):
    low, high = param.prior
    assert param.low <= low < high <= param.high
    assert low <= param.default <= high


def test_the_parameter_table_marks_each_uncertain_parameter_and_no_other():
    rows = {
        line.split("|")[1].strip(): line
        for line in render_parameters().splitlines()
        if line.startswith("| `model.")
    }
    for p in PARAMS:
        marked = "**uncertain**" in rows[f"`model.{p.path}`"]
        # uncertain: the table's own prior, or a calibration prior (sim.model.uncertainty)
        assert marked == (p.uncertain or p.path in CALIBRATED), p.path
