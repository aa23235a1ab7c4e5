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
from matplotlib.text import Text

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


# --- sensitivity and discovery (new-user 9) ---------------------------------------------------
def morris_table() -> pd.DataFrame:
    """Two outcomes: rung 2 reached in every sample (no effects at all), alignment varies."""
    factors = ["russia.base_resolve", "russia.war_value", "china.reliability", "turkey.reliability"]
    rows = []
    for outcome, label, scale in (("p_rung2", "P(rung >= 2 by month 36)", 0.0),
                                  ("final_alignment", "mean final alignment", 1.0)):  # fmt: skip
        for i, factor in enumerate(factors):
            rows.append(
                {
                    "outcome": outcome,
                    "label": label,
                    "factor": factor,
                    "mu_star": scale * (i + 1),
                    "sigma": scale * (0.5 + i / 10),
                    "mu_star_conf": scale * 0.2,
                }  # fmt: skip
            )
    return pd.DataFrame(rows)


def test_morris_panel_with_no_variance_says_so_instead_of_a_1e12_axis() -> None:
    from sim.plots.sensitivity import morris_figure

    fig = morris_figure(morris_table(), "Morris screening: baseline")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("the same in every sample" in t for t in texts)
    assert not any("e-12" in t.get_text() or "1e" in t.get_text() for t in tick_labels(fig))
    offsets = [ax.xaxis.offsetText.get_text() for ax in fig.axes]
    assert all(o == "" for o in offsets), offsets
    assert clipped_texts(fig) == []


def test_morris_names_do_not_cover_each_other() -> None:
    from sim.plots.sensitivity import morris_figure
    from tests.figure_checks import drawn

    table = morris_table()
    table.loc[table["outcome"] == "final_alignment", "mu_star"] = [1.0, 1.01, 1.02, 1.03]
    table.loc[table["outcome"] == "final_alignment", "sigma"] = [0.5, 0.5, 0.51, 0.5]
    fig = morris_figure(table)
    renderer = drawn(fig)
    boxes = [Text.get_window_extent(t, renderer) for ax in fig.axes for t in ax.texts
             if t.get_text().startswith(("Russia", "China", "Turkey"))]  # fmt: skip
    assert len(boxes) == 4
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_sobol_panel_with_no_variance_has_no_empty_axis() -> None:
    from sim.plots.sensitivity import sobol_figure

    table = morris_table().rename(columns={"mu_star": "ST", "sigma": "S1"})
    table["ST_conf"] = table["S1_conf"] = 0.05
    table.loc[table["outcome"] == "p_rung2", ["ST", "S1", "ST_conf", "S1_conf"]] = np.nan
    fig = sobol_figure(table, None, "Sobol indices: baseline")
    flat = fig.axes[0]
    assert flat.get_xticks().size == 0 and flat.get_xlabel() == ""
    assert clipped_texts(fig) == []


def test_prim_limits_title_is_wrapped_not_cut_off() -> None:
    from sim.plots.sensitivity import limits_figure

    limits = pd.DataFrame(
        {
            "label": ["Turkey reliability", "China reliability"],
            "restricted": [True, True],
            "kind": ["numeric", "numeric"],
            "low": [0.55, 0.4],
            "high": [0.85, 1.0],
            "full_low": [0.1, 0.1],
            "full_high": [1.0, 1.0],
        }  # fmt: skip
    )
    title = (  # one line, as discovery_figures wrote it
        "Cases of interest: rung 3+ by month 36 (cases are design points), "
        "box 1: coverage 17%, density 83%"
    )
    fig = limits_figure(limits, title)
    assert clipped_texts(fig) == []
    assert "density 83%" in fig.axes[0].get_title()


def test_two_factor_heatmap_ticks_name_only_the_factors_levels() -> None:
    from sim.plots.sweep import heatmap_figure

    levels = [0.1, 0.4, 0.7, 1.0]
    grid = [(x, y) for x in levels for y in levels]
    frame = pd.DataFrame(
        {
            "name": "baseline\nchina.reliability = 0.1",
            "row": 0,
            "col": 0,
            "x": [g[0] for g in grid],
            "y": [g[1] for g in grid],
            "probability": np.linspace(0.1, 0.9, len(grid)),
        }  # fmt: skip
    )
    frame = pd.concat([frame, frame.assign(col=1, name="baseline\nchina.reliability = 1")])
    fig = heatmap_figure(frame, "turkey.reliability", "turkey.security_belief", "P(rung 4+)")
    for ax in fig.axes[:2]:  # the panels (the colour bar comes last)
        for ticks in (ax.get_xticks(), ax.get_yticks()):
            assert set(np.round(ticks, 9)) <= set(levels), ticks
    assert overlapping_tick_labels(fig) == [] and clipped_texts(fig) == []


def test_validation_band_panels_keep_their_tick_labels_inside_and_apart() -> None:
    from sim.commands.validate import bands_figure

    def claim(label: str, low: float, high: float):
        band = types.SimpleNamespace(band=lambda: (low, high))
        return types.SimpleNamespace(label=label, unit="share of runs", criterion=band)

    by_id = {
        "D3a": claim("CSTO exit: share at rung >= 2, months 13-18", 0.8, 1.0),
        "D7a": claim("baseline: P(rung 5 by 36)", 0.0, 0.01),
        "D9": claim("baseline: P(rung 4 by 120)", 0.05, 0.5),
    }
    rows = pd.DataFrame(
        {
            "id": list(by_id),
            "value": [0.978, 0.0, 0.31],
            "lower": [0.968, 0.0, 0.28],
            "upper": [0.986, 0.0038, 0.34],
            "verdict": ["pass", "pass", "pass"],
        }  # fmt: skip
    ).set_index("id", drop=False)
    fig = bands_figure(rows, by_id, "Probability claims: model value vs target band (1000 runs)")
    assert clipped_texts(fig) == []
    assert overlapping_tick_labels(fig) == []


def test_pit_histograms_side_by_side_keep_their_end_ticks_apart() -> None:
    from sim.plots.events import pit_figure

    edges = np.linspace(0, 1, 11)
    histograms = pd.concat(
        pd.DataFrame(
            {
                "dyad": dyad,
                "bin_low": edges[:-1],
                "bin_high": edges[1:],
                "density": np.linspace(0.6, 1.4, 10),
            }
        )  # fmt: skip
        for dyad in ("russia-kazakhstan", "kazakhstan-russia", "china-kazakhstan")
    )
    fig = pit_figure(histograms, "PIT histograms")
    assert overlapping_tick_labels(fig) == []
    assert clipped_texts(fig) == []


# --- policy figures (new-user 11 and the figure verdicts) -------------------------------------
@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory):
    from sim.plots.policy import load_policy
    from tests.policy_fixtures import make_policy_directory

    return load_policy(make_policy_directory(tmp_path_factory.mktemp("policy")))


def test_pareto_parallel_fits_a_report_and_names_axes_on_one_line(policy) -> None:
    from sim.plots.policy import pareto_parallel_figure

    fig = pareto_parallel_figure(policy)
    assert fig.get_figwidth() <= 10.5  # a 1200 px report shows it at 9 pt or more
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(names) == len(policy.levers) + len(policy.objectives)
    assert not any("\n" in n for n in names)
    assert clipped_texts(fig) == [] and overlapping_tick_labels(fig) == []


def test_policy_figures_show_intervals(policy) -> None:
    from sim.plots.policy import (
        policy_tradeoff_figure,
        robustness_heatmap_figure,
        scenario_failures_figure,
    )

    tradeoff = policy_tradeoff_figure(policy)
    bars = [c for ax in tradeoff.axes for c in ax.collections if c.__class__.__name__ ==
            "LineCollection"]  # fmt: skip
    assert bars, "the Pareto set's risk has no interval"
    heatmap = robustness_heatmap_figure(policy)
    cells = [t.get_text() for t in heatmap.axes[0].texts]
    assert cells and all("[" in c and "]" in c for c in cells)
    failures = scenario_failures_figure(policy)
    labels = [t.get_text() for t in failures.legends[0].get_texts()]
    assert any("Wilson" in label for label in labels)
