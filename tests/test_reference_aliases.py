"""Names other lists give ROR records, indexed as their aliases: the derived tables are what their tools make,
and the yardstick built from ROR's affiliation sets is what its tool makes."""

from __future__ import annotations

import csv

from conftest import ROOT, SHARED, TEST_DATA, requires_shared, run_tool

WORLD_NAMES = ROOT / "data" / "reference_institutions" / "world_universities_ror_names.csv"
AFFILIATION_NAMES = TEST_DATA / "names_affiliations.csv"


def derived(tool: str, tmp_path) -> str:
    output = tmp_path / "derived.csv"
    run_tool(tool, "--shared", str(SHARED), "--target", str(output))
    return output.read_text(encoding="utf-8")


@requires_shared
def test_world_names_table_is_what_the_tool_derives(tmp_path):
    assert derived("derive_world_university_names.py", tmp_path) == WORLD_NAMES.read_text(encoding="utf-8")


@requires_shared
def test_affiliation_yardstick_is_what_the_tool_derives(tmp_path):
    assert derived("derive_affiliation_names.py", tmp_path) == AFFILIATION_NAMES.read_text(encoding="utf-8")


def test_world_names_table_holds_names_rors_record_lacks():
    with WORLD_NAMES.open(encoding="utf-8", newline="") as stream:
        rows = {row["name"]: row for row in csv.DictReader(stream)}
    assert rows["Norwegian University of Sport and Physical Education"]["ror"] == "045016w83"
    assert "Lund University" not in rows  # ROR's own name: nothing to add
    assert (ROOT / "data" / "reference_institutions" / "README.md").read_text(encoding="utf-8").count(WORLD_NAMES.name)


def test_affiliation_yardstick_is_short_names_with_one_label():
    with AFFILIATION_NAMES.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) > 400
    assert all(len(row["name"].split()) <= 10 and not any(c.isdigit() for c in row["name"]) for row in rows)
    assert all(row["expected_ror"] and row["country"] for row in rows)


CITY_NAMES = ROOT / "data" / "matching" / "city_names.csv"


def test_city_names_table_is_what_the_tool_derives(tmp_path):
    """From Babel's CLDR data and the shipped extract: no ../shared needed."""
    output = tmp_path / "derived.csv"
    run_tool("derive_city_names.py", "--target", str(output))
    assert output.read_text(encoding="utf-8") == CITY_NAMES.read_text(encoding="utf-8")


def test_city_names_read_as_the_english_name():
    from registry.matching import normalize

    assert normalize("Universität Wien") == normalize("Universität Vienna")
    assert normalize("Uniwersytet Warszawa").split()[-1] == "warsaw"
    assert normalize("Universidad de Granada").split()[-1] == "granada"  # a city of its own, not Grenada
    assert normalize("Sidney Sussex College").split()[0] == "sidney"  # a given name, not Sydney
