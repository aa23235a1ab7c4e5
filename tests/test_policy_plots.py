"""`python -m sim plot` on a policy search: every figure, the report, clear refusals."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from sim.commands import plot
from sim.engine.checksums import DATA_FILES
from sim.plots import policy as P
from tests.policy_fixtures import make_policy_directory

FIGURES = ("pareto_parallel", "tradeoff", "robustness_heatmap", "scenario_failures")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> P.PolicyResult:
    return P.load_policy(make_policy_directory(tmp_path_factory.mktemp("policy")))


def listing(directory: Path) -> list[Path]:
    return sorted(p.relative_to(directory) for p in directory.rglob("*"))


def refused(directory: Path) -> str:
    """Exit code 2, one line on stderr (returned), and the directory left as it was."""
    before = listing(directory)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        assert plot.main([str(directory)]) == 2
    assert listing(directory) == before
    message = stderr.getvalue()
    assert message.count("\n") == 1, message
    return message


def test_plot_a_policy_directory(tmp_path: Path) -> None:
    directory = make_policy_directory(tmp_path)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert plot.main([str(directory)]) == 0
    assert stdout.getvalue().startswith("policy ")
    for name in FIGURES:
        pixels = image.imread(directory / "figures" / f"{name}.png")
        assert pixels.shape[0] > 300 and pixels.shape[1] > 500, name
        assert pixels[..., :3].var() > 0.001, name  # not blank
    report = (directory / "report.html").read_text()
    for name in FIGURES:
        assert f"({name})</figcaption>" in report  # a numbered caption naming the file
    assert report.count("data:image/png;base64,") == len(FIGURES)
    assert "Robustness on the fresh ensemble" in report
    assert "Failure box of the most robust policy" in report
    assert "Russia base resolve at least 1.2" in report  # the box in words, from the manifest
    assert not list(directory.glob(".plot-*"))  # the staging folder is gone


def test_an_incomplete_policy_search_is_refused(tmp_path: Path) -> None:
    directory = make_policy_directory(tmp_path, complete=False)
    message = refused(directory)
    assert "incomplete policy search" in message and "complete: false" in message
    assert "experiment=tiny_search" in message


def test_a_missing_table_or_column_is_named(tmp_path: Path) -> None:
    directory = make_policy_directory(tmp_path)
    (directory / "scenarios.parquet").unlink()
    assert "missing scenarios.parquet" in refused(directory)
    robustness = directory / "robustness.parquet"
    pd.read_parquet(robustness).drop(columns="threshold_share").to_parquet(robustness)
    # As a study written before manifests held checksums (an edited file is refused first).
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest.pop(DATA_FILES)
    (directory / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame({"policy": [0]}).to_parquet(directory / "scenarios.parquet")
    message = refused(directory)
    assert "robustness.parquet lacks the column(s) threshold_share" in message


def test_other_commands_name_a_policy_search(tmp_path: Path) -> None:
    from sim.engine.result_dirs import check_directory

    with pytest.raises(ValueError, match="is a policy search"):
        check_directory(make_policy_directory(tmp_path), ("sweep",), "analyze", ValueError)


def test_the_status_quo_is_drawn_in_every_figure(result: P.PolicyResult) -> None:
    reference = result.reference
    columns = [*result.levers, *result.objectives]
    scales = P.axis_scales(result)
    expected = [P.scaled([reference[c]], *scales[c])[0] for c in columns]
    parallel = P.pareto_parallel_figure(result).axes[0]
    dashed = [
        line
        for line in parallel.get_lines()
        if line.get_color() == "black" and line.get_linestyle() == "--"
    ]
    assert len(dashed) == 1
    np.testing.assert_allclose(dashed[0].get_xdata(), expected)  # axes are stacked rows

    tradeoff = P.policy_tradeoff_figure(result)
    panels = [ax for ax in tradeoff.axes if ax.get_visible()]
    assert len(panels) == len(result.objectives) - 1
    for ax, cost in zip(panels, result.objectives[1:], strict=True):
        offsets = [c.get_offsets() for c in ax.collections if len(c.get_offsets()) == 1]
        assert [[reference[cost], reference[result.objectives[0]]]] in [o.tolist() for o in offsets]

    heatmap = P.robustness_heatmap_figure(result).axes[0]
    labels = [t.get_text() for t in heatmap.get_yticklabels()]
    assert "status quo (policy 0)" in labels
    assert f"policy {result.chosen}: chosen (most robust)" in labels


def test_robustness_rows_and_colours(result: P.PolicyResult) -> None:
    rows, colour, shown = P.robustness_matrix(result)
    assert rows["threshold_share"].is_monotonic_decreasing
    assert bool(rows["chosen"].iloc[0])  # the most robust policy is the top row
    assert colour.shape == shown.shape == (len(result.robustness), len(result.objectives) + 1)
    assert colour.min() == 0 and colour.max() == 1
    np.testing.assert_allclose(colour.min(axis=0), 0)  # every column has its best policy at 0
    np.testing.assert_allclose(shown[:, -1], rows["threshold_share"])


def test_failure_drivers_put_the_box_first(result: P.PolicyResult) -> None:
    chosen = result.scenarios[result.scenarios["policy"] == result.chosen]
    assert P.failure_drivers(result, chosen)[0] == "russia.base_resolve"  # restricted in the box


def test_a_report_without_a_failure_box(tmp_path: Path) -> None:
    directory = make_policy_directory(tmp_path)
    (directory / "failure_boxes.parquet").unlink()
    manifest = json.loads((directory / "manifest.json").read_text())
    del manifest["failure_box"]
    (directory / "manifest.json").write_text(json.dumps(manifest))
    figures, title, tables, config, notes = plot.policy_report(directory)
    assert set(figures) == set(FIGURES)
    assert "tiny_search" in title and "20 policies evaluated" in title
    assert not any("Failure box" in heading for heading in tables)
    assert any(note.startswith("No failure box") for note in notes)
    assert "levers:" in config


def test_lever_effects_are_drawn_tabled_and_worded_by_their_sign_share(tmp_path: Path) -> None:
    """A lever whose sign holds in 90% of the draws is stated plainly; one in 40%, with 20%
    against, is marked conditional in the notes and pale in the figure."""
    from sim.studies.policy.robustness import lever_effects

    directory = make_policy_directory(tmp_path)
    scenarios = 10
    low = np.full((scenarios, 2), 0.2)
    steady = np.r_[np.full(9, -0.05), 0.01]  # lowers the risk in 9 draws of 10
    mixed = np.r_[np.full(4, 0.03), np.full(2, -0.01), np.zeros(4)]  # raises it in 4 of 10
    means = np.stack(
        [low, low + np.column_stack([steady, steady]), low, low + np.column_stack([mixed, mixed])]
    )
    ends = [("turkey.arms", 0.0, 0.3), ("china.reliability", 0.2, 1.0)]
    lever_effects(means, ends, ["p_rung4", "kazakhstan_cost"]).to_parquet(
        directory / "lever_effects.parquet"
    )
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["calibration"] = {"directory": "configs/posteriors/seed_2022"}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    figures, _, tables, _, notes = plot.policy_report(directory)
    assert "lever_effects" in figures
    assert len([ax for ax in figures["lever_effects"].axes if ax.get_visible()]) == 2
    assert any(heading.startswith("Each lever alone") for heading in tables)
    words = {note.split(" ")[0]: note for note in notes if note.startswith(("turkey", "china"))}
    assert "lowers p_rung4 by 0.044" in words["turkey.arms"]
    assert "holds in 90%" in words["turkey.arms"] and "conditional" not in words["turkey.arms"]
    assert "holds in 40%" in words["china.reliability"]
    assert "reversed in 20% (conditional)" in words["china.reliability"]
    assert any("one draw from the posterior configs/posteriors/seed_2022" in n for n in notes)
    assert P.share_words(0.0, 1.0, 0.0) == "none in 100%"
    assert P.share_words(-0.1, 0.4, 0.2) == "40% (20% against)"
