"""Outputs describe themselves: units, version, commit, seed and scenario in each Parquet file,
flags as booleans, and a sweep's parts readable one table per folder. ~15 s on 2 busy cores."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.commands.run import run_scenario
from sim.config import compose
from sim.engine.design import load_experiment
from sim.engine.runner import run_sweep
from sim.engine.store import column_unit


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("run")
    cfg = compose(
        ["scenario=war_favorable_russia", "run.replicates=6", "run.months=15"]
        + ["run.figures=false", f"run.output_root={root}", "run.seed=77"]
    )
    return run_scenario(cfg, quiet=True)


def _facts(path: Path) -> dict[str, str]:
    metadata = pq.read_schema(path).metadata
    return {k.decode(): v.decode() for k, v in metadata.items() if k.startswith(b"sim.")}


@pytest.mark.parametrize("name", ["summary", "trajectories", "events", "episodes"])
def test_every_run_table_carries_its_facts_and_units(run_dir, name):
    path = run_dir / f"{name}.parquet"
    facts = _facts(path)
    assert facts["sim.seed"] == "77" and facts["sim.scenario"] == "war_favorable_russia"
    assert facts["sim.table"] == name and facts["sim.package_version"]
    assert "sim.git_commit" in facts  # None is left out only outside a checkout and a wheel
    units = json.loads(facts["sim.units"])
    schema = pq.read_schema(path)
    assert sorted(units) == sorted(schema.names), "every column has a unit"
    if "month" in schema.names:
        assert schema.field("month").type == pa.int16()  # one dtype for month everywhere
    assert units["run_id"] == "id"
    for column, unit in units.items():
        assert schema.field(column).metadata == {b"unit": unit.encode()}
    if name == "summary":
        assert units["final_alignment"] == "1" and units["month_rung_1"].startswith("month")
    if name == "trajectories":
        assert units["corridor_cargo"] == "Mt/year" and units["in_csto"] == "flag"
    if name == "episodes":
        assert units["opened_month"].startswith("month") and units["used_halt"] == "flag"


def test_flags_are_booleans_and_tables_still_read_back(run_dir):
    trajectories = pd.read_parquet(run_dir / "trajectories.parquet")
    assert trajectories["in_csto"].dtype == bool and trajectories["in_eaeu"].dtype == bool
    summary = pd.read_parquet(run_dir / "summary.parquet")
    assert isinstance(summary["war_outcome"].dtype, pd.CategoricalDtype)  # pandas types kept
    assert len(summary) == 6


def test_a_sweep_folder_holds_one_table_and_reads_in_one_line(tmp_path):
    cfg = load_experiment(
        None,
        ["factors.war.end_month=[12,36]", "replicates=3", "months=6", "chunk_size=2"]
        + ["executor=serial", "progress=false", "analysis.run=false", f"output_root={tmp_path}"],
    )
    directory = run_sweep(cfg)
    summary = pd.read_parquet(directory / "parts" / "summary")  # the documented one line
    assert sorted(summary["run_id"]) == list(range(6))
    assert "design_point" in summary and "month" not in summary  # no aggregate rows mixed in
    part = next((directory / "parts" / "summary").glob("*.parquet"))
    assert _facts(part)["sim.seed"] == str(cfg.seed)
    assert _facts(directory / "aggregate.parquet")["sim.table"] == "aggregate"
    tables = [directory / "aggregate.parquet", directory / "design.parquet", part]
    tables += [next((directory / "parts" / "aggregate").glob("*.parquet"))]
    for path in tables:  # every column has a unit, including the fixed-point sums and scale
        schema = pq.read_schema(path)
        units = json.loads(_facts(path)["sim.units"])
        assert sorted(units) == sorted(schema.names), path.name
        if "month" in schema.names:
            assert schema.field("month").type == pa.int16(), path.name
    sums = json.loads(_facts(tables[-1])["sim.units"])
    assert sums["alignment_sum"].startswith("2^-24 x (1)")
    assert _facts(directory / "aggregate.parquet")["sim.fixed_point_scale"] == "2^-24"
    assert json.loads(_facts(directory / "design.parquet")["sim.units"])["war.end_month"]
    design = pd.read_parquet(directory / "design.parquet")  # factor values, plain names
    merged = summary.merge(design, on="design_point")
    assert (merged["factor_war_end_month"] == merged["war.end_month"]).all()
    assert json.loads(_facts(part)["sim.units"])["factor_war_end_month"] == "month"


def test_units_come_from_one_place():
    assert column_unit("oil_revenue") == "bn USD/month"
    assert column_unit("final_cpc_share") == "share"
    assert column_unit("no_such_column") is None


def test_run_summaries_of_several_directories_read_as_one_table(run_dir, tmp_path):
    """Each row names its directory (run_dir), so a glob of summaries is one table as it is."""
    second = compose(
        ["scenario=baseline", "run.replicates=4", "run.months=6", "run.figures=false"]
        + [f"run.output_root={run_dir.parents[2]}", "run.seed=5"]
    )
    run_scenario(second, quiet=True)
    files = sorted(str(p) for p in run_dir.parents[1].glob("*/*/summary.parquet"))
    together = pd.read_parquet(files)
    assert len(together) == 6 + 4 and together["run_dir"].nunique() == 2
    assert set(together["scenario"]) == {"war_favorable_russia", "baseline"}
    assert set(together["run_dir"]) == {
        Path(f).parent.relative_to(run_dir.parents[2]).as_posix() for f in files
    }
