"""Every figure fit to print (issue 26, priority 4): what the second new-user walkthrough found.

Each test builds a figure from a small table and checks a property a reader would stumble on
(tests/figure_checks.py): tick labels shown as mathtext, titles cut off, tick labels on top of
one another, a legend over the bars, an axis running past the factor's range.
"""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from tests.figure_checks import (
    clipped_texts,
    legend_over_bars,
    mathtext_labels,
    overlapping_tick_labels,
    tick_labels,
)


# --- calibration diagnostics (new-user 6) -----------------------------------------------------
def test_calibration_diagnostics_tick_labels_are_numbers_not_mathtext() -> None:
    from sim.plots.calibration import diagnostics_figure

    table = pd.DataFrame(
        {
            "generation": [0, 1, 2, 3],
            "epsilon": [3.0, 2.0, 1.2, 0.8],
            "acceptance_rate": [0.5, 0.2, 0.05, 0.012],
            "ess": [400.0, 380.0, 350.0, 300.0],
        }
    )
    fig = diagnostics_figure(types.SimpleNamespace(result=types.SimpleNamespace(diagnostics=table)))
    assert mathtext_labels(fig) == []
    labels = [t.get_text() for t in tick_labels(fig)]
    assert "0.1" in labels and "0.01" in labels, labels  # the acceptance rate's log axis


# --- CPC stoppages by cause (new-user 7) ------------------------------------------------------
def summary_with_causes(runs: int = 200, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    russia = 45 - rng.poisson(5, runs)  # skewed to the right, as in the model: bars under a
    # legend in the upper right corner
    other = rng.poisson(4, runs)
    return pd.DataFrame(
        {
            "run_id": np.arange(runs),
            "pipeline_halts": russia + other,
            "pipeline_halts_russia": russia,
            "pipeline_halts_other": other,
        }
    )


def test_halts_per_year_counts_russia_attributable_stoppages_apart_from_others() -> None:
    from sim.plots.run import halts_per_year

    summary = summary_with_causes()
    table = halts_per_year(summary, 120)
    russian = table[table["cause"].str.startswith("Russia-attributable")]
    other = table[table["cause"].str.startswith("other causes")]
    assert np.allclose(russian["halts_per_year"], summary["pipeline_halts_russia"] / 10)
    assert np.allclose(other["halts_per_year"], summary["pipeline_halts_other"] / 10)
    assert len(table) == 2 * len(summary)  # no row counts all causes together


def test_the_run_halts_figure_shows_each_cause_in_its_own_panel() -> None:
    from sim.plots.run import run_figure_set

    summary = summary_with_causes().assign(
        max_rung=1, final_alignment=0.5, **{f"month_rung_{k}": -1 for k in range(1, 6)}
    )
    fig = run_figure_set(summary, None, None, "baseline", 120)["halts_per_year"]
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("Russia-attributable") and titles[1].startswith("Other causes")
    assert "by cause" in fig._suptitle.get_text()


@pytest.mark.parametrize("scenarios", [1, 2])
def test_halts_legend_hides_no_bar(scenarios: int) -> None:
    from sim.plots.run import halt_distribution_figure, halts_per_year

    frames = [
        halts_per_year(summary_with_causes(seed=i), 120).assign(scenario=f"s{i}" * (scenarios > 1))
        for i in range(scenarios)
    ]
    fig = halt_distribution_figure(pd.concat(frames), "CPC stoppages per year")
    assert legend_over_bars(fig) == []
    assert clipped_texts(fig) == []


def test_a_legend_in_the_corner_over_tall_bars_is_detected() -> None:  # the check itself works
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.bar([0, 1, 2], [1, 1, 1], label="bars")
    ax.legend(loc="upper right")
    assert legend_over_bars(fig)
    assert overlapping_tick_labels(Figure()) == []
