"""The matching commands through click's CliRunner, on real registry files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import checkpoint, copy_registry
from match_fixtures import copy_of, extract_records, reference_registry_template  # noqa: F401 (a fixture)

from registry.cli import cli


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory, reference_registry_template):
    """The module's registry, for the tests that only read it (a test that writes takes ``own_registry_file``)."""
    db = copy_of(reference_registry_template, tmp_path_factory.mktemp("cli"), examples=True)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    db.conn.close()
    return path


@pytest.fixture
def own_registry_file(registry_file, tmp_path) -> str:
    """This test's own copy of the module's registry (and its name index): its writes reach no other test."""
    checkpoint(Path(registry_file))  # the copy takes the file alone
    return str(copy_registry(Path(registry_file), tmp_path / "own" / "registry.db"))


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_resolve_one_name(registry_file):
    result = run("resolve", "Univ. of Copenhagen", "--db", registry_file, "--json")
    assert result.exit_code == 1  # the registry holds the duplicate too: a person decides
    payload = json.loads(result.output)
    assert payload["status"] == "ambiguous"
    assert {c["institution_id"] for c in payload["candidates"][:2]} == {"ucph", "kobenhavns-universitet"}
    result = run("resolve", "Harbin Inst. of Tech.", "--country", "China", "--db", registry_file)
    assert result.exit_code == 0
    assert "matched" in result.output and "ror:01yqg2h08" in result.output and "exact match on official name" in result.output


def test_resolve_a_file(registry_file, tmp_path):
    names = tmp_path / "names.csv"
    names.write_text("Name,Country\nHarbin Inst. of Tech.,CN\nKI,SE\nNorthfield Institute of Health Sciences,\n", encoding="utf-8")
    result = run("resolve", "--file", str(names), "--db", registry_file, "--json")
    assert result.exit_code == 1
    statuses = [(r["query"], r["status"]) for r in json.loads(result.output)]
    assert statuses == [("Harbin Inst. of Tech.", "matched"), ("KI", "matched"),
                        ("Northfield Institute of Health Sciences", "new")]
    names.write_text("name,country\nHarbin Inst. of Tech.,China\nKI,Narnia\n", encoding="utf-8")
    result = run("resolve", "--file", str(names), "--db", registry_file)
    assert result.exit_code == 1 and f"{names}:3: country" in result.output and "unknown country 'Narnia'" in result.output
    plain = tmp_path / "names.txt"
    plain.write_text("Harbin Inst. of Tech.\n\nFourth Military Medical University\n", encoding="utf-8")
    result = run("resolve", "--file", str(plain), "--db", registry_file)
    assert result.exit_code == 0, result.output
    assert "Air Force Medical University" in result.output


def test_resolve_usage_errors(registry_file):
    result = run("resolve", "--db", registry_file)
    assert result.exit_code == 2 and "give a NAME to resolve" in result.output
    result = run("resolve", "KI", "--country", "Narnia", "--db", registry_file)
    assert result.exit_code == 2 and "unknown country" in result.output
    assert run("resolve", "KI", "--db", "missing.db").exit_code == 2


def test_reference_load_and_add(own_registry_file, tmp_path):
    lines = tmp_path / "ror-v2.9.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in extract_records({"01yqg2h08"})), encoding="utf-8")
    result = run("reference", "load", str(lines), "--db", own_registry_file, "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["unchanged"] == 1
    result = run("reference", "add", "01yqg2h08", "--db", own_registry_file)
    assert result.exit_code == 0 and "created harbin-institute-of-technology" in result.output
    result = run("reference", "add", "01yqg2h08", "--db", own_registry_file)
    assert result.exit_code == 1 and "already in the registry" in result.output


def test_dedupe_merge_unmerge(own_registry_file):
    result = run("dedupe", "--db", own_registry_file, "--json")
    assert result.exit_code == 1
    pairs = json.loads(result.output)
    assert [(p["keep"], p["drop"]) for p in pairs] == [("ucph", "kobenhavns-universitet")]
    result = run("merge", "ucph", "kobenhavns-universitet", "--db", own_registry_file)
    assert result.exit_code == 0 and "agreement_parties.institution: 1 moved" in result.output
    assert run("dedupe", "--db", own_registry_file).output.strip() == "no likely duplicates"
    result = run("unmerge", "ucph", "kobenhavns-universitet", "--db", own_registry_file)
    assert result.exit_code == 0 and "reversed" in result.output
    result = run("distinct", "ucph", "kobenhavns-universitet", "--reason", "example", "--db", own_registry_file)
    assert result.exit_code == 0
    assert run("dedupe", "--db", own_registry_file).exit_code == 0
    result = run("merge", "ucph", "nowhere", "--db", own_registry_file)
    assert result.exit_code == 1 and "no institution has this id" in result.output


def test_a_new_registry_resolves_out_of_the_box(tmp_path):
    path = str(tmp_path / "new.db")
    result = run("init", "--db", path)
    assert result.exit_code == 0 and "reference institutions to resolve names against" in result.output
    counts = dict(sqlite3.connect(path).execute("SELECT source, count(*) FROM reference_institutions GROUP BY source").fetchall())
    assert counts["ror"] == 18_533 and counts["hipo"] > 5_000
    result = run("resolve", "S  LUND01", "--db", path)
    assert result.exit_code == 0 and "Lund University" in result.output
    result = run("resolve", "Cairo University", "--country", "EG", "--db", path, "--json")
    assert json.loads(result.output)["candidates"][0]["source"] == "hipo"
    assert run("init", "--db", path).exit_code == 0  # again: nothing reloaded
    assert sqlite3.connect(path).execute("SELECT count(*) FROM reference_loads").fetchone()[0] == 2
    bare = str(tmp_path / "bare.db")
    assert run("init", "--no-reference", "--db", bare).exit_code == 0
    assert sqlite3.connect(bare).execute("SELECT count(*) FROM reference_institutions").fetchone()[0] == 0


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_name_is_answered_not_a_usage_error(registry_file, typed):
    result = run("resolve", typed, "--db", registry_file)
    assert result.exit_code == 1
    assert result.output == f"{typed!r}: invalid (not a name: the text is empty)\n"
