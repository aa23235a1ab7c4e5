"""Reports people can read (issue 26, priority 5): numbers formatted, long tables cut with a
link to their CSV, every report names its code and command, the run report shows the
Russia-attributable disruptions and the split by how the war ends; and `style=paper`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def test_table_cells_are_formatted_for_reading() -> None:
    from sim.analysis.html_report import format_number, table_html

    assert format_number(3.531e-05) == "0.0000353"
    assert format_number(12345.6) == "12,346"
    assert format_number(8448) == "8,448"
    assert format_number(0.5) == "0.5" and format_number(2.0) == "2"
    assert format_number(np.nan) == ""
    text = table_html(pd.DataFrame({"p": [3.531e-05, 0.12345], "runs": [20000, 5]}))
    assert "e-05" not in text and "0.0000353" in text and "20,000" in text


def test_long_tables_show_their_first_rows_and_link_to_the_csv() -> None:
    from sim.analysis.html_report import render_report

    table = pd.DataFrame({"design_point": range(8448), "probability": np.linspace(0, 1, 8448)})
    text = render_report(
        "Sweep", {}, {"P per design point": table}, csv={"P per design point": "analysis/p.csv"}
    )
    assert text.count("<tr>") < 60
    assert "first 40 of 8,448 rows" in text and 'href="analysis/p.csv"' in text


def test_figures_get_numbered_captions_not_file_names() -> None:
    from sim.analysis.html_report import render_report
    from sim.plots.captions import captions

    names = ["rung_cumulative", "halts_per_year", "sobol_baseline"]
    text = render_report("Run", dict.fromkeys(names, b"png"), captions=captions(names))
    assert "Figure 2. CPC pipeline stoppages" in text
    assert "<figcaption>rung_cumulative</figcaption>" not in text


def test_every_report_names_version_commit_and_command(tmp_path: Path) -> None:
    from sim.commands.plot import provenance

    manifest = {"command": ["python", "-m", "sim", "run", "scenario=baseline"],
                "git_commit": "abc1234", "versions": {"kz-escalation-sim": "0.1.0"}}  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    text = provenance(tmp_path)
    assert "sim 0.1.0" in text and "abc1234" in text and "model version" in text
    assert "python -m sim run scenario=baseline" in text
    assert str(tmp_path.parent.parent) not in text  # no absolute path of the machine


def run_summary(runs: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    russia, other = rng.poisson(35, runs), rng.poisson(4, runs)
    outcome = np.where(np.arange(runs) % 4 == 0, "favorable", "unfavorable")
    return pd.DataFrame(
        {
            "pipeline_halts": russia + other,
            "pipeline_halts_russia": russia,
            "pipeline_halts_other": other,
            "war_outcome": pd.Categorical(outcome),
            "max_rung": rng.integers(2, 6, runs),
            "month_rung_4": np.where(rng.random(runs) < 0.4, 50, -1),
            "month_rung_5": -1,
        }  # fmt: skip
    )


def test_run_report_tables_split_stoppages_by_cause_and_by_how_the_war_ends() -> None:
    from sim.commands.plot import by_war_outcome, halts_by_cause

    summary = run_summary()
    causes = halts_by_cause(summary, 120).set_index("cause")
    assert causes.loc["Russia-attributable (coercion)", "mean"] == pytest.approx(
        summary["pipeline_halts_russia"].mean() / 10
    )
    assert "other causes (storms, repairs, third parties)" in causes.index
    war = by_war_outcome(summary, 120).set_index("war ends")
    assert war.loc["favorable", "runs"] == 100 and war.loc["unfavorable", "runs"] == 300
    assert list(war.columns) == ["runs", "rung 4+ [95% Wilson]", "rung 5+ [95% Wilson]"]


def test_plot_takes_a_paper_style_and_refuses_others() -> None:
    from sim.commands.plot import BadInput, parse_options

    assert parse_options(["style=paper"])["style"] == "paper"
    assert parse_options([])["style"] == "screen"
    with pytest.raises(BadInput, match="style='poster' is not allowed"):
        parse_options(["style=poster"])


def test_paper_style_fits_a_journal_page_in_greyscale_safe_series() -> None:
    from matplotlib.colors import to_rgb

    from sim.plots.run import halt_distribution_figure, halts_per_year
    from sim.plots.style import PAPER_FONT, PAPER_WIDTH, fit_to_page, series_style, use_style
    from tests.figure_checks import clipped_texts, visible_texts

    with use_style("paper"):
        colours = [series_style(i)[0] for i in range(4)]
        frames = [halts_per_year(run_summary(), 120).assign(scenario=s) for s in ("a", "b")]
        fig = fit_to_page(halt_distribution_figure(pd.concat(frames), "CPC stoppages per year"))
    assert fig.get_figwidth() <= PAPER_WIDTH
    sizes = {t.get_fontsize() for t in visible_texts(fig)}
    assert min(sizes) >= PAPER_FONT[0] and max(sizes) <= PAPER_FONT[1]
    assert clipped_texts(fig) == []
    grey = sorted(np.dot(to_rgb(c), [0.299, 0.587, 0.114]) for c in colours)
    assert min(np.diff(grey)) > 0.1  # four series, four clearly different greys
    assert series_style(0) != series_style(8)  # outside the block: the screen palette again


def test_one_rung_palette_for_figures_and_app() -> None:
    from matplotlib.colors import to_rgb

    from sim.plots.style import RUNG_COLOURS

    assert len(RUNG_COLOURS) == 6 and all(c.startswith("#") for c in RUNG_COLOURS)
    lightness = [np.dot(to_rgb(c), [0.299, 0.587, 0.114]) for c in RUNG_COLOURS]
    assert (np.diff(lightness) < 0).all()  # ordered in greyscale too


def test_analyze_prints_one_line_per_row_with_readable_numbers(capsys) -> None:
    from sim.commands.analyze import print_tables

    probabilities = pd.DataFrame(
        {
            "design_point": range(3),
            "scenario": ["war_unfavorable_russia"] * 3,
            "kazakhstan.multivector": [0.1, 0.5, 0.9],
            "china.reliability": [0.2, 0.4, 0.6],
            "turkey.reliability": [0.3, 0.5, 0.7],
            "rung": 5,
            "month": 120,
            "runs": 20000,
            "probability": [3.531e-05, 0.0012, 0.25],
            "lower": [6.2e-06, 0.0008, 0.244],
            "upper": [0.0002, 0.0017, 0.256],
        }  # fmt: skip
    )
    print_tables({"probabilities": probabilities}, Path("/some/sweep"))
    out = capsys.readouterr().out
    assert "e-05" not in out and "e-06" not in out and "0.0000353" in out and "20,000" in out
    block = out.split("sweep)\n", 1)[1].strip().splitlines()
    # The note on the intervals comes first, in parentheses, wrapped; then the table.
    note = next(i for i, line in enumerate(block) if line.rstrip().endswith(")"))
    assert block[0].startswith("(") and "hand-set values" in " ".join(block[: note + 1])
    block = block[note + 1 :]
    assert len(block) in (4, 5)  # header and three rows (and a note), not blocks of columns
    assert max(map(len, out.splitlines())) <= 100
