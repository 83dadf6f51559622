"""Screening lists: the four import formats, what they keep and skip, and bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from conftest import ROOT, SHARED, TEST_DATA, requires_shared

from registry import db as store
from registry.importers.screening import load_list, read_list, split_bracketed_name
from registry.models.screening import entity_fingerprint
from registry.problems import ProblemsFound

DATA = TEST_DATA / "screening"
ASPI_CSV = ROOT / "data" / "screening" / "china_defence_universities.csv"
ASPI_JSON = SHARED / "reference" / "aspi-china-defence-universities" / "china-defence-universities.json"


def by_name(risk_list):
    return {entity.name: entity for entity in risk_list.entities}


def test_opensanctions_keeps_organisations_and_counts_what_it_skips():
    risk_list, skipped = read_list(DATA / "fictitious_targets.simple.csv", "opensanctions")
    entities = by_name(risk_list)
    assert sorted(entities) == ["Institute of Imaginary Nuclear Studies", "Marlow Fictitious Trading House",
                                "Veridian Fictitious Dynamics LLC", "Zarubin Polytechnic Institute"]
    assert skipped == {"schema Person": 1, "schema Vessel": 1, "country code outside ISO 3166 (suhh)": 1}
    zarubin = entities["Zarubin Polytechnic Institute"]
    assert zarubin.entity_id == "fict-os-0001"
    assert zarubin.aliases == ["Зарубинский политехнический институт", "ZPI"]
    assert zarubin.countries == ["RU"]
    assert zarubin.programs == ["Fictitious Sanctions Programme 1"]
    assert entities["Veridian Fictitious Dynamics LLC"].countries == ["IR", "AE"]
    assert entities["Institute of Imaginary Nuclear Studies"].categories == ["Fictitious Sanctions List", "Another Fictitious List"]
    assert risk_list.id == "opensanctions" and risk_list.kind == "sanctions" and risk_list.entity_count == 4


def test_ftm_reads_every_name_property_and_skips_people():
    risk_list, skipped = read_list(DATA / "fictitious_entities.ftm.jsonl", "ftm", list_id="ftm-test")
    entities = by_name(risk_list)
    assert skipped == {"schema Person": 1}
    borealis = entities["Borealis Institute of Missile Guidance"]
    assert borealis.aliases == ["BIMG", "Northern Guidance Laboratory"]  # alias and previousName
    assert borealis.programs == ["Fictitious Programme A"] and borealis.topics == ["sanction"]
    assert entities["Quillon Fictitious Electronics Co."].aliases == ["QFE"]  # weakAlias
    assert entities["Ministry of Imaginary Defence Research"].aliases == ["Imaginary Defence Research Ministry"]
    assert {e.list for e in risk_list.entities} == {"ftm-test"}


def test_plain_csv_with_ids_categories_and_country_names():
    risk_list, _ = read_list(DATA / "fictitious_entities.csv", "csv", list_id="fictitious", kind="other")
    ural = by_name(risk_list)["Уральский институт оборонных технологий"]
    assert ural.entity_id == "fict-ural-defence"
    assert ural.aliases == ["Ural Institute of Defence Technologies", "UIOT"]
    assert ural.countries == ["RU"] and ural.categories == ["Military"]


def test_aspi_compact_list_splits_names_derives_the_proxy_and_pla_names():
    risk_list, _ = read_list(ASPI_CSV, "aspi")
    entities = by_name(risk_list)
    assert risk_list.id == "aspi-china-defence-universities" and risk_list.entity_count == 159
    assert risk_list.kind == "defence_universities" and "PROXY" in risk_list.notes
    hit = entities["Harbin Institute of Technology"]
    assert hit.aliases[:2] == ["哈尔滨工业大学", "HIT"] and hit.countries == ["CN"]
    assert hit.categories == ["Seven sons of national defence"] and hit.risk_proxy == "very_high"
    assert entities["Nanjing University"].risk_proxy == "needs_review"
    assert "Fourth Military Medical University" in entities["Air Force Medical University"].aliases
    # The official Chinese name says PLA; the English alias is derived from it.
    assert "PLA Information Engineering University" in entities["Information Engineering University"].aliases
    assert not any(a.startswith("PLA ") for a in entities["Tsinghua University"].aliases)
    assert entities["China University of Geosciences (Wuhan)"].name == "China University of Geosciences (Wuhan)"
    assert all(e.internal_description is None for e in risk_list.entities)  # the compact file has no prose


def test_bracketed_chinese_names_split_but_latin_brackets_stay():
    assert split_bracketed_name("Beihang University (北京航空航天大学)") == ("Beihang University", "北京航空航天大学")
    assert split_bracketed_name("China University of Geosciences (Wuhan)") == ("China University of Geosciences (Wuhan)", None)


def test_shipped_compact_list_carries_no_descriptions():
    with ASPI_CSV.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == ["uuid", "name", "aliases", "categories", "supervising_agencies", "topics", "ref"]
    assert (ASPI_CSV.parent / "README.md").read_text(encoding="utf-8").count("CC0") >= 1


@requires_shared
def test_compact_list_is_what_the_tool_derives_from_shared(tmp_path):
    output = tmp_path / "derived.csv"
    subprocess.run([sys.executable, str(ROOT / "tools" / "derive_aspi_list.py"), str(ASPI_JSON), str(output)],
                   check=True, capture_output=True)
    assert output.read_text(encoding="utf-8") == ASPI_CSV.read_text(encoding="utf-8")


@requires_shared
def test_full_aspi_file_gives_the_same_entities_plus_internal_descriptions():
    compact, _ = read_list(ASPI_CSV, "aspi")
    full, _ = read_list(ASPI_JSON, "aspi")
    strip = {"internal_description"}
    assert {e.entity_id: e.model_dump(exclude=strip) for e in full.entities} == {
        e.entity_id: e.model_dump(exclude=strip) for e in compact.entities
    }
    assert all(e.internal_description for e in full.entities)


def test_load_is_idempotent_and_a_reload_removes_entities_no_longer_listed(registry_db, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("id,name,aliases,country,category,source\n"
                    "a,Alpha Fictitious Institute,AFI,RU,Military,test\n"
                    "b,Beta Fictitious Works,,BY,Industry,test\n", encoding="utf-8")
    first = load_list(registry_db, path, "csv", list_id="test-list")
    assert first.plan.counts()["risk_entities"] == {"insert": 2}
    again = load_list(registry_db, path, "csv", list_id="test-list")
    assert again.plan.is_empty
    path.write_text("id,name,aliases,country,category,source\n"
                    "a,Alpha Fictitious Institute,AFI; Alpha Institute,RU,Military,test\n", encoding="utf-8")
    third = load_list(registry_db, path, "csv", list_id="test-list")
    assert third.plan.counts()["risk_entities"] == {"update": 1, "delete": 1}
    row = registry_db.conn.execute("SELECT aliases, fingerprint, (SELECT entity_count FROM risk_lists) FROM risk_entities").fetchone()
    assert json.loads(row[0]) == ["AFI", "Alpha Institute"]
    assert row[1] == entity_fingerprint("Alpha Fictitious Institute", ["AFI", "Alpha Institute"], ["RU"])
    assert row[2] == 1
    logged = registry_db.conn.execute("SELECT count(*) FROM changes WHERE table_name = 'risk_entities'").fetchone()[0]
    assert logged == 4  # two inserts, one update, one delete: the audit log attributes each


def test_bad_rows_are_reported_with_file_line_field_and_value_and_nothing_is_written(registry_db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,aliases,country,category,source\n"
                    "Good Fictitious Institute,,SE,x,test\n"
                    "Bad Country Institute,,Narnia,x,test\n"
                    ",,SE,x,test\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        load_list(registry_db, path, "csv")
    problems = caught.value.problems
    assert [(p.where, p.field, p.value) for p in problems] == [
        (f"{path}:3", "country", "Narnia"),
        (f"{path}:4", "name", ""),
    ]
    assert registry_db.conn.execute("SELECT count(*) FROM risk_entities").fetchone()[0] == 0


def test_missing_columns_and_broken_json_lines_are_problems(tmp_path):
    headless = tmp_path / "targets.csv"
    headless.write_text("id,name\nx,Something\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        read_list(headless, "opensanctions")
    assert caught.value.problems[0].code == "missing-column" and caught.value.problems[0].field == "schema"
    broken = tmp_path / "entities.jsonl"
    broken.write_text('{"id": "x", "schema": "Company", "properties": {"name": ["Fictitious Co"]}}\n{not json\n', encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        read_list(broken, "ftm")
    assert caught.value.problems[0].where == f"{broken}:2" and caught.value.problems[0].code == "invalid-json"


def test_fingerprint_ignores_order_and_case_but_not_new_names():
    base = entity_fingerprint("Alpha Institute", ["AI", "Alpha Inst"], ["RU"])
    assert entity_fingerprint("ALPHA INSTITUTE", ["Alpha Inst", "AI"], ["RU"]) == base
    assert entity_fingerprint("Alpha Institute", ["AI", "Alpha Inst", "Alpha Works"], ["RU"]) != base
    assert entity_fingerprint("Alpha Institute", ["AI", "Alpha Inst"], ["BY"]) != base


def test_raw_sql_cannot_store_a_bad_band(registry_db):
    with pytest.raises(Exception, match="CHECK"):
        registry_db.conn.execute("INSERT INTO risk_lists (id, name, kind, format, source, loaded_at, entity_count) "
                                 "VALUES ('x', 'X', 'gossip', 'csv', 'me', '2026-01-01T00:00:00Z', 0)")
    assert store.specs()["risk_matches"].column("band").enum_values == ("probable", "possible")
