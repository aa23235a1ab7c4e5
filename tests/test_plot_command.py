"""`python -m sim plot`: valid images, a self-contained report, clear refusals."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from sim.commands import plot
from tests.test_figures import results, sim  # noqa: F401  (the shared session fixture)


def check_png(path: Path) -> None:
    """A decodable PNG of a reasonable size that is not blank."""
    pixels = image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300, path
    assert pixels[..., :3].var() > 0.001, path


def check_report(path: Path, figures: int) -> None:
    text = path.read_text()
    sources = re.findall(r'src\s*=\s*["\']([^"\']*)', text)
    assert len(sources) == figures
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in text and "https://" not in text
    assert "<link" not in text and "<script" not in text


def test_plot_a_run_in_png_and_svg(results, tmp_path: Path) -> None:  # noqa: F811
    directory = shutil.copytree(results["baseline"], tmp_path / "run")
    done = sim("plot", str(directory), "format=[png,svg]")
    assert done.returncode == 0, done.stderr
    pngs = sorted((directory / "figures").glob("*.png"))
    assert {p.stem for p in pngs} >= {"rung_shares", "fan_partners", "event_timeline"}
    for png in pngs:
        check_png(png)
        svg = png.with_suffix(".svg").read_bytes()
        assert svg.startswith(b"<?xml") and b"<svg" in svg[:2000]
    check_report(directory / "report.html", len(pngs))
    assert "P(rung k or higher by month T)" in (directory / "report.html").read_text()
    assert not list(directory.glob(".plot-*"))  # the staging folder is gone


def test_plot_a_sweep_as_pdf(results, tmp_path: Path) -> None:  # noqa: F811
    directory = shutil.copytree(results["sweep"], tmp_path / "sweep")
    done = sim("plot", str(directory), "format=pdf")
    assert done.returncode == 0, done.stderr
    pdfs = sorted((directory / "figures").glob("*.pdf"))
    assert {p.stem for p in pdfs} >= {"heatmap_months", "time_to_rung", "thresholds_multivector"}
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    check_report(directory / "report.html", len(pdfs))
    report = (directory / "report.html").read_text()
    assert "<th>parameters_lower</th>" in report and "two intervals" in report


def test_a_sweep_without_analysis_tables_is_plotted_from_its_summaries(
    results,  # noqa: F811
    tmp_path: Path,
) -> None:
    directory = shutil.copytree(results["sweep"], tmp_path / "sweep")
    shutil.rmtree(directory / "analysis")
    assert plot.main([str(directory)]) == 0  # in-process: the tests above run the CLI
    assert "Computed here" in (directory / "report.html").read_text()
    assert not (directory / "analysis").exists()  # plot does not write analysis tables


def _refused(directory: Path, *args: str, message: str) -> None:
    """Exit code 2, the message on stderr, and the directory left exactly as it was.

    In-process (the command's main) to keep the suite fast; the CLI path is tested below.
    """
    before = sorted(p.relative_to(directory) for p in directory.rglob("*"))
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        assert plot.main([str(directory), *args]) == 2
    assert message in stderr.getvalue()
    assert sorted(p.relative_to(directory) for p in directory.rglob("*")) == before


def test_not_a_results_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    _refused(tmp_path, message="not a results directory")
    done = sim("plot", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "not a directory" in done.stderr
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("missing", ["summary.parquet", "events.parquet", "config.yaml"])
def test_a_run_with_a_missing_file(results, tmp_path: Path, missing: str) -> None:  # noqa: F811
    directory = shutil.copytree(results["baseline"], tmp_path / "run")
    shutil.rmtree(directory / "figures", ignore_errors=True)
    (directory / missing).unlink()
    _refused(directory, message=missing)


def test_an_incomplete_sweep(results, tmp_path: Path) -> None:  # noqa: F811
    directory = shutil.copytree(results["sweep"], tmp_path / "sweep")
    manifest = json.loads((directory / "manifest.json").read_text())
    (directory / "manifest.json").write_text(json.dumps({**manifest, "complete": False}))
    _refused(directory, message="complete: false")


def test_bad_options(results, tmp_path: Path) -> None:  # noqa: F811
    directory = shutil.copytree(results["baseline"], tmp_path / "run")
    _refused(directory, "format=jpg", message="format='jpg' is not allowed")
    _refused(directory, "colour=red", message="unknown option 'colour'")


def test_pixels_are_not_uniform() -> None:
    assert np.zeros((3, 3)).var() == 0  # the check in check_png can fail
