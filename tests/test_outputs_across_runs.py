"""Outputs query across runs: every Parquet file names its results directory (`run_dir`), run
summaries and sweep parts stack by position, and `run_dir`, `scenario`, `month` and `date` have
one type in every file. Read with DuckDB and polars as docs/outputs.md shows. ~30 s on 2 cores.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import polars.selectors as cs
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.analysis.sweep_analysis import analyze_sweep
from sim.commands.run import run_scenario
from sim.config import compose
from sim.engine.design import load_experiment
from sim.engine.result_dirs import check_readable
from sim.engine.runner import SweepInterrupted, run_sweep
from sim.engine.store import read_manifest
from sim.studies.policy import spec as policy_spec
from sim.studies.policy.study import run_study as run_policy
from sim.studies.threshold import spec as threshold_spec
from sim.studies.threshold.study import run_study as run_threshold

SHARED = {
    "run_dir": pa.large_string(),
    "scenario": pa.large_string(),
    "month": pa.int16(),
    "date": pa.timestamp("us"),
}


def _sweep(root: Path, *more: str):
    return load_experiment(
        "escalation_threshold",
        ["replicates=3", "months=8", "factors.kazakhstan.multivector.levels=2", "chunk_size=9"]
        + ["trajectories=true", "executor=serial", "progress=false", f"output_root={root}"]
        + list(more),
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small results root of every kind that writes runs: two runs (on the posterior and
    on the hand-set values), a sweep with its analysis, a threshold study and a policy study."""
    root = tmp_path_factory.mktemp("results")
    for scenario, calibration in (("baseline", []), ("war_favorable_russia", ["calibration=none"])):
        run_scenario(
            compose(
                [f"scenario={scenario}", "run.replicates=4", "run.months=8", "run.figures=false"]
                + [f"run.output_root={root}", *calibration]
            ),
            quiet=True,
        )
    analyze_sweep(run_sweep(_sweep(root, "analysis.run=false")))
    run_threshold(
        threshold_spec.load(
            ["scenario=baseline", "factor=kazakhstan.multivector", "outcome=rung>=2 by 24"]
            + ["level=0.3", "budget=400", "batch=200", "progress=false", "executor=serial"]
            + [f"output_root={root}"]
        )
    )
    run_policy(
        policy_spec.load(
            "partner_commitments",
            ["search.population=9", "search.generations=1", "search.runs=20"]
            + ["robustness.scenarios=6", "robustness.replicates=4", "robustness.max_policies=3"]
            + ["months=24", "executor=serial", "progress=false", f"output_root={root}"],
        )
    )
    return root


def _results_directory(path: Path) -> Path:
    """The results directory a file belongs to: the nearest folder with a manifest."""
    return next(p for p in path.parents if (p / "manifest.json").is_file())


def test_every_parquet_file_names_its_results_directory(root):
    files = sorted(root.rglob("*.parquet"))
    kinds = {f.relative_to(root).parts[0] for f in files}
    assert kinds == {"runs", "sweeps", "thresholds", "policies"}
    assert any("analysis" in f.parts for f in files) and any("parts" in f.parts for f in files)
    for path in files:
        expected = _results_directory(path).relative_to(root).as_posix()
        table = pq.read_table(path)
        assert table.column_names[0] == "run_dir", path
        assert table["run_dir"].unique().to_pylist() in ([expected], []), path
        metadata = table.schema.metadata
        assert metadata[b"sim.run_dir"].decode() == expected, path
        units = json.loads(metadata[b"sim.units"])
        assert units["run_dir"].startswith("path of the results directory"), path
        assert read_manifest(_results_directory(path))["run_dir"] == expected, path


def test_run_dir_scenario_month_and_date_have_one_type_everywhere(root):
    seen: dict[str, set[str]] = {name: set() for name in SHARED}
    for path in sorted(root.rglob("*.parquet")):
        schema = pq.read_schema(path)
        for name, wanted in SHARED.items():
            if name in schema.names:
                seen[name].add(str(schema.field(name).type))
                assert schema.field(name).type == wanted, f"{path.relative_to(root)}: {name}"
    assert all(seen.values()), seen  # each shared column occurs in some file


def test_run_summaries_and_sweep_parts_share_their_leading_columns(root):
    run = pq.read_schema(next(root.glob("runs/baseline/*/summary.parquet")))
    part = pq.read_schema(next(root.glob("sweeps/*/*/parts/summary/part-*.parquet")))
    assert part.names[: len(run.names)] == run.names
    assert [f.type for f in part][: len(run)] == [f.type for f in run]
    assert part.names[len(run.names) :] == ["factor_kazakhstan_multivector"]
    assert run.names[:7] == [
        "run_dir",
        "run_id",
        "design_point",
        "replicate",
        "seed",
        "scenario",
        "particle",
    ]


def test_duckdb_reads_every_run_and_sweep_run_as_one_table(root):
    """The queries of docs/outputs.md, without union_by_name."""
    con = duckdb.connect()
    runs = con.sql(
        f"""SELECT run_dir, scenario, count(*) AS runs, count(particle) AS on_posterior
        FROM read_parquet('{root}/runs/*/*/summary.parquet') GROUP BY ALL ORDER BY run_dir"""
    ).fetchall()
    # baseline draws its parameters from the shipped posterior; the other run does not
    assert [r[1:] for r in runs] == [("baseline", 4, 4), ("war_favorable_russia", 4, 0)]
    assert all(r[0].startswith(f"runs/{r[1]}/") for r in runs)
    together = con.sql(
        f"""SELECT run_dir, count(*) AS runs, count(design_point) AS in_design FROM (
            SELECT * FROM read_parquet('{root}/runs/*/*/summary.parquet')
            UNION ALL
            SELECT * NOT LIKE 'factor_%'
            FROM read_parquet('{root}/sweeps/*/*/parts/summary/*.parquet')
        ) GROUP BY ALL ORDER BY run_dir"""
    ).fetchall()
    sweep = [row for row in together if row[0].startswith("sweeps/escalation_threshold/")]
    assert len(together) == 3 and sweep == [(sweep[0][0], 24, 24)]  # 8 points x 3 replicates


def test_polars_reads_every_run_and_sweep_run_as_one_table(root):
    runs = pl.read_parquet(f"{root}/runs/*/*/summary.parquet")
    parts = pl.read_parquet(f"{root}/sweeps/*/*/parts/summary/*.parquet")
    both = pl.concat([runs, parts.select(~cs.starts_with("factor_"))])  # vertical, by position
    assert both.height == 8 + 24 and both["run_dir"].n_unique() == 3
    assert parts["factor_kazakhstan_multivector"].n_unique() == 2  # plain names, read alone


def test_a_resumed_sweep_keeps_its_run_dir_and_its_checksums(tmp_path):
    def stop(index: int) -> None:
        if index == 0:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as stopped:
        run_sweep(_sweep(tmp_path / "first", "analysis.run=false"), on_chunk=stop)
    directory = stopped.value.directory
    begun = read_manifest(directory)["run_dir"]
    assert begun == directory.relative_to(tmp_path / "first").as_posix()
    # Resumed from another output root: the directory keeps the name it began with.
    run_sweep(_sweep(tmp_path / "elsewhere", "analysis.run=false", f"resume={directory}"))
    assert read_manifest(directory)["run_dir"] == begun
    for path in directory.rglob("*.parquet"):
        assert pq.read_table(path, columns=["run_dir"])["run_dir"].unique().to_pylist() == [begun]
    check_readable(directory)  # every file is the one the manifest's checksums recorded
