"""Figures: names from users are drawn as text, never parsed as mathtext (D28), and two factors
with the same last name get figures and labels of their own (new-user report, defect 5).
"""

from __future__ import annotations

from matplotlib.figure import Figure


def test_dollar_signs_in_a_title_are_drawn_as_text() -> None:
    from sim.plots import figure_png

    fig = Figure()
    fig.add_subplot().set_title(r"Sweep risk$\frac{1}{$ (baseline, 10 runs)")
    assert figure_png(fig)[:4] == b"\x89PNG"


def test_factors_sharing_a_last_name_keep_their_own_names() -> None:
    import types

    import pandas as pd

    from sim.plots.sweep import file_part, short_name

    columns = ["design_point", "scenario", "turkey.reliability", "china.reliability"]
    sweep = types.SimpleNamespace(design=pd.DataFrame(columns=[*columns, "kazakhstan.drift_pace"]))
    names = [short_name(f, sweep) for f in columns[2:]]
    assert names == ["turkey.reliability", "china.reliability"]
    assert [file_part(n) for n in names] == ["turkey_reliability", "china_reliability"]
    assert short_name("kazakhstan.drift_pace", sweep) == "drift_pace"


# --- figure verdicts of the new-user report (16a, d, e, f, g) --------------------------------
def test_heatmaps_scale_to_small_probabilities() -> None:
    import pandas as pd

    from sim.plots.sweep import colour_top

    assert colour_top(pd.Series([0.01, 0.12])) == 0.15
    assert colour_top(pd.Series([0.0, 0.001])) == 0.05
    assert colour_top(pd.Series([0.2, 0.9])) == 1.0


def test_difference_axis_fits_its_intervals() -> None:
    import pandas as pd

    from sim.plots.compare import difference_limits

    low, high = difference_limits(pd.DataFrame({"diff_lower": [-0.02], "diff_upper": [0.01]}))
    assert low == -high and 0.02 <= high < 0.05
    assert difference_limits(pd.DataFrame({"diff_lower": [-0.9], "diff_upper": [0.95]}))[1] == 1.02


def test_long_titles_wrap_to_a_narrow_figure() -> None:
    from sim.plots.sweep import wrap_title

    title = "P(rung 5+ by month 120) (intervention_threshold, 48,000 runs)\nother factors: x = 1"
    lines = wrap_title(title, Figure(figsize=(5, 3))).splitlines()
    assert len(lines) >= 3 and max(map(len, lines)) <= 45


def test_halts_legend_names_the_dashed_median_and_years_are_called_years() -> None:
    import pandas as pd

    from sim.plots.run import halt_distribution_figure

    halts = pd.DataFrame({"scenario": [""] * 4, "halts_per_year": [0.1, 0.2, 0.2, 0.3],
                          "per_halt": [0.1] * 4})  # fmt: skip
    ax = halt_distribution_figure(halts, "halts").axes[0]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["median 0.20 / year"]
    assert legend.legend_handles[0].get_linestyle() == "--"
    from sim.plots.style import date_axis

    axis = Figure().add_subplot()
    date_axis(axis)
    assert axis.get_xlabel().startswith("Year")


def test_factor_curves_say_when_they_leave_levels_out() -> None:
    import itertools
    import types

    import pandas as pd

    from sim.plots.sweep import factor_curves

    grid = list(itertools.product([0.0, 1.0], [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]))
    design = pd.DataFrame(grid, columns=["war.end_month", "turkey.arms"])
    design.insert(0, "scenario", "baseline")
    design.insert(0, "design_point", range(len(design)))
    probabilities = design.assign(rung=3, month=12, probability=0.1, lower=0.0, upper=0.2)
    sweep = types.SimpleNamespace(
        design=design,
        numeric=["war.end_month", "turkey.arms"],
        tables={"probabilities": probabilities},
    )
    table, note = factor_curves(sweep, "war.end_month")
    assert "arms: 5 of its 6 levels shown" in note
    assert table["turkey.arms"].nunique() == 5


def test_discovery_figures_are_titled_in_words() -> None:
    from sim.plots.sensitivity import question_words

    assert question_words("rung4_month120_points") == (
        "Cases of interest: rung 4+ by month 120 (cases are design points)"
    )
    assert question_words("other") == "other"


def test_the_last_panel_of_each_column_keeps_its_year_labels() -> None:
    import pandas as pd

    from sim.plots.compare import comparison_shares_figure

    dates = pd.date_range("2022-03-01", periods=24, freq="MS")
    shares = pd.concat(
        pd.DataFrame({"date": dates, "rung": 0, "share": 1.0, "scenario": f"s{i}"})
        for i in range(4)
    )
    fig = comparison_shares_figure(shares, "shares")
    fig.canvas.draw()  # tick labels exist only once drawn
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_subplotspec() is not None]
    # 4 panels in 2 rows of 3: panels 1 and 2 have no panel below and need their labels
    for ax in visible[1:3]:
        assert any(t.get_text() for t in ax.get_xticklabels()), ax.get_title()
