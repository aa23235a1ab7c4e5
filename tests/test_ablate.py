"""`python -m sim ablate`: every mechanism switched off in turn, on common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.commands import ablate as command
from sim.model.params import MECHANISMS
from sim.model.rng import derive_seeds
from sim.studies.ablation import (
    COLUMNS,
    OUTCOMES,
    ablate,
    compare,
    markdown_table,
    moves,
    outcomes_for,
)

# 36 months: a run's cost grows with its months, hardly with its runs (they are vectorised), and
# 36 months reach every kind of outcome, each P(rung) and the disruption rates (the 120-month
# ones are the same measures at a later month; test_short_runs_... checks they are all listed).
SMALL_MONTHS = 36


@pytest.fixture(scope="module")
def small_table() -> pd.DataFrame:
    seeds = derive_seeds(7, np.arange(300))
    return ablate({}, seeds, months=SMALL_MONTHS)


def test_table_has_every_mechanism_and_outcome(small_table) -> None:
    reached = outcomes_for(SMALL_MONTHS)
    assert list(small_table.columns) == list(COLUMNS)
    assert set(small_table["mechanism"]) == set(MECHANISMS)
    assert set(small_table["outcome"]) == {o.name for o in reached}
    assert len(small_table) == len(MECHANISMS) * len(reached)
    assert small_table[["value", "lower", "upper"]].notna().all().all()
    assert small_table["parameters_lower"].isna().all()  # hand-set values: no parameters' spread
    inside = (small_table["lower"] <= small_table["value"]) & (
        small_table["value"] <= small_table["upper"]
    )
    assert inside.all()


def test_differences_are_off_minus_on(small_table) -> None:
    rows = small_table[small_table["outcome"] == "p3_36"]
    np.testing.assert_allclose(rows["difference"], rows["value"] - rows["baseline_value"])


def test_switching_off_credibility_removes_most_coercive_disruptions(small_table) -> None:
    """Without credibility to earn, punishing a refusal pays nothing: disruptions nearly vanish."""
    row = small_table[
        (small_table["mechanism"] == "credibility")
        & (small_table["outcome"] == "halts_russia_per_year")
    ].iloc[0]
    assert row["difference_upper"] < 0 and row["value"] < 0.5 * row["baseline_value"]


def test_a_mechanism_already_off_moves_nothing() -> None:
    seeds = derive_seeds(3, np.arange(100))
    table = ablate({"mechanisms.unrest": 0}, seeds, months=60, mechanisms=("unrest",))
    assert (table["difference"] == 0).all()
    assert not moves(table).any()


def test_compare_refuses_batches_with_other_seeds() -> None:
    a = pd.DataFrame({"seed": [1, 2]})
    with pytest.raises(ValueError, match="share their seeds"):
        compare("unrest", a, a.assign(seed=[1, 3]), 120)


def test_short_runs_measure_only_the_outcomes_they_reach() -> None:
    assert {o.name for o in outcomes_for(40)} == {
        "p3_36", "p4_36", "p5_36", "halts_russia_per_year", "halts_all_per_year"
    }  # fmt: skip
    assert outcomes_for(120) == OUTCOMES  # a run of the default 120 months measures them all
    assert {o.name for o in OUTCOMES} - {o.name for o in outcomes_for(40)} == {
        "p3_120", "p4_120", "p5_120"
    }  # fmt: skip


def test_markdown_table_marks_what_moves(small_table) -> None:
    text = markdown_table(small_table)
    assert text.count("\n") == len(MECHANISMS) + 3
    assert "**" in text and "`credibility`" in text


def test_command_writes_the_directory(tmp_path, capsys) -> None:
    code = command.main(
        ["scenario=baseline", "run.replicates=60", "run.months=40", f"run.output_root={tmp_path}"]
    )
    assert code == 0
    (directory,) = (tmp_path / "ablations" / "baseline").iterdir()
    table = pd.read_parquet(directory / "ablation.parquet")
    assert set(table["mechanism"]) == set(MECHANISMS)
    # On the shipped posterior: the values and differences carry the parameters' interval too.
    ranges = ["parameters_lower", "parameters_upper"]
    ranges += ["difference_parameters_lower", "difference_parameters_upper"]
    assert table[ranges].notna().all().all()
    assert (table["difference_parameters_lower"] <= table["difference"] + 1e-12).all()
    assert (table["difference"] <= table["difference_parameters_upper"] + 1e-12).all()
    for name in ("ablation.csv", "ablation.md", "config.yaml", "manifest.json"):
        assert (directory / name).is_file()
    assert (directory / "figures" / "ablation.png").stat().st_size > 10_000
    assert "difference when switched off" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["scenario=nowhere"], "unknown scenario"),
        (["scenario=baseline", "run.replicates=0"], "run.replicates"),
        (["scenario=baseline", "model.mechanisms.unrest=2"], "model.mechanisms.unrest"),
        (["--fast"], "expected key=value"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, argv, named) -> None:
    code = command.main([*argv, f"run.output_root={tmp_path}"])
    err = capsys.readouterr().err
    assert code == 2 and named in err and len(err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())
