"""docs/ODD.md agrees with the code: parameters, generated tables and code references."""

from __future__ import annotations

import re

import pytest

from sim.model import odd
from sim.model.ladder import Action
from sim.model.params import PARAMS


@pytest.fixture(scope="module")
def text() -> str:
    return odd.ODD_PATH.read_text(encoding="utf-8")


def test_every_parameter_is_documented(text: str) -> None:
    missing = [p.path for p in PARAMS if f"`model.{p.path}`" not in text]
    assert not missing, f"parameters missing from docs/ODD.md: {missing}"


def test_generated_sections_are_up_to_date(text: str) -> None:
    stale = odd.stale_sections(text)
    assert not stale, f"stale sections {stale}: run `python -m sim.model.odd --write`"


def test_stale_section_is_detected(text: str) -> None:
    # A changed default must make the check fail until the table is regenerated.
    spoiled = text.replace("| `model.russia.stakes` | ", "| `model.russia.stakes` | 999 ", 1)
    assert spoiled != text
    assert odd.stale_sections(spoiled) == ["parameters"]
    assert odd.stale_sections(odd.regenerate(spoiled)) == []


def test_submodel_references_resolve(text: str) -> None:
    refs = odd.code_references(odd.section(text, "Submodels"))
    assert len(refs) > 40, "the Submodels section should name the function of each mechanism"
    broken = [r for r in refs if not odd.resolves(r)]
    assert not broken, f"Submodels names code that does not exist: {broken}"


def test_resolver_rejects_unknown_names() -> None:
    assert odd.resolves("sim.model.agents.russia.Russia.choose_rung")
    assert not odd.resolves("sim.model.agents.russia.Russia.no_such_method")
    assert not odd.resolves("sim.no_such_module.thing")


def test_every_action_is_in_the_event_table(text: str) -> None:
    table = re.search(
        r"<!-- BEGIN GENERATED: events -->(.*?)<!-- END GENERATED: events -->", text, re.S
    )
    assert table, "docs/ODD.md has no generated event table"
    rows = {line.split("|")[1].strip().strip("`") for line in table[1].strip().splitlines()[2:]}
    assert rows == {a.name.lower() for a in Action}


def test_check_command_reports_stale_section(tmp_path, capsys, text: str) -> None:
    path = tmp_path / "ODD.md"
    path.write_text(text.replace("| `model.war.end_month` | 36", "| `model.war.end_month` | 1"))
    assert odd.main(["--check", "--path", str(path)]) == 1
    assert "'parameters' is stale" in capsys.readouterr().err
    assert odd.main(["--write", "--path", str(path)]) == 0
    assert odd.main(["--check", "--path", str(path)]) == 0
