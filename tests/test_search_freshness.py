"""The registry's search rows stay what a rebuild would make when what they are made from changes
later: a partner's names after its agreements, the words of ``labels`` (schema 7's triggers). The
public copy takes its agreements' rows from them (``registry.publish._take_search_rows``)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from registry import schema
from tests.conftest import copy_registry


def _rows(conn: sqlite3.Connection) -> tuple[list[tuple], list[tuple]]:
    """The registry's search rows and the rows the search's own definition makes now, both tables."""
    kept = (conn.execute(f"SELECT {schema.INSTITUTION_SEARCH_COLUMNS} FROM institutions_fts ORDER BY rowid").fetchall()
            + conn.execute(f"SELECT {schema.AGREEMENT_SEARCH_COLUMNS} FROM agreements_fts ORDER BY rowid").fetchall())
    made = (conn.execute(f"{schema.institution_search_rows()} ORDER BY i.rowid").fetchall()
            + conn.execute(f"{schema.agreement_search_rows()} ORDER BY a.rowid").fetchall())
    return kept, made


def _search_vocabularies() -> list[str]:
    """Every vocabulary of ``labels`` whose words the search rows read."""
    sql = " ".join(part for _, before, rows in schema.SEARCH_REBUILD_STEPS for part in (before, rows))
    return sorted(set(re.findall(r"l\.vocabulary = '(\w+)'", sql)))


@pytest.fixture
def registry(synthetic_registry_file, tmp_path):
    conn = sqlite3.connect(copy_registry(synthetic_registry_file, tmp_path / "registry.db"), isolation_level=None)
    # The synthetic registry has no degree terms: a few, so the degree kinds' words are read.
    conn.execute("INSERT INTO degree_terms (agreement, term_no, kind, cycle) "
                 "SELECT id, 1, 'double_degree', 'second' FROM agreements ORDER BY id LIMIT 5")
    yield conn
    conn.close()


def test_the_search_reads_the_vocabularies_the_labels_triggers_refresh():
    assert _search_vocabularies() == ["agreement_kind", "country", "degree_kind", "institution_kind", "isced", "medical_faculty"]
    for vocabulary in _search_vocabularies():
        assert f"'{vocabulary}'" in schema._vocabulary_triggers(), vocabulary


@pytest.mark.parametrize("vocabulary", _search_vocabularies())
def test_a_label_changed_after_the_search_rows_were_made_is_in_them(registry, vocabulary):
    kept, made = _rows(registry)
    assert kept == made
    changed = registry.execute("UPDATE labels SET words = words || ' zorblat' WHERE vocabulary = ?", [vocabulary]).rowcount
    assert changed > 0
    kept, made = _rows(registry)
    assert kept == made
    assert registry.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'zorblat'").fetchone()[0] + \
        registry.execute("SELECT count(*) FROM institutions_fts WHERE institutions_fts MATCH 'zorblat'").fetchone()[0] > 0
    # and taken out again, and a label added, and one deleted
    registry.execute("UPDATE labels SET words = replace(words, ' zorblat', '') WHERE vocabulary = ?", [vocabulary])
    value, label, words = registry.execute("SELECT value, label, words FROM labels WHERE vocabulary = ? LIMIT 1", [vocabulary]).fetchone()
    registry.execute("DELETE FROM labels WHERE vocabulary = ? AND value = ?", [vocabulary, value])
    assert _rows(registry)[0] == _rows(registry)[1]
    registry.execute("INSERT INTO labels (vocabulary, value, label, words) VALUES (?, ?, ?, ?)", [vocabulary, value, label, words])
    kept, made = _rows(registry)
    assert kept == made
    assert registry.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'zorblat'").fetchone()[0] == 0


def test_an_isced_field_stands_for_the_longer_codes_the_list_lacks(registry):
    # The synthetic terms name 091 and its fields 0912, 0913, 0915: a narrow field's words reach them all.
    registry.execute("UPDATE labels SET words = words || ' quibblewort' WHERE vocabulary = 'isced' AND value = '09'")
    kept, made = _rows(registry)
    assert kept == made


def test_a_name_added_to_a_partner_after_its_agreements_finds_them(registry):
    partner, agreements = registry.execute(
        "SELECT p.institution, count(*) FROM agreement_parties p JOIN institutions i ON i.id = p.institution "
        "WHERE i.is_home = 0 GROUP BY p.institution ORDER BY count(*) DESC LIMIT 1").fetchone()
    assert agreements > 1
    registry.execute("INSERT INTO institution_names (institution, name, kind, name_folded) "
                     "VALUES (?, 'Glimmerdale Polytechnic', 'alias', 'glimmerdale polytechnic')", [partner])
    assert registry.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'glimmerdale'").fetchone()[0] == agreements
    assert _rows(registry)[0] == _rows(registry)[1]
    registry.execute("UPDATE institution_names SET name = 'Brindlewick Polytechnic', name_folded = 'brindlewick polytechnic' "
                     "WHERE name = 'Glimmerdale Polytechnic'")
    assert registry.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'glimmerdale'").fetchone()[0] == 0
    assert registry.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'brindlewick'").fetchone()[0] == agreements
    registry.execute("DELETE FROM institution_names WHERE name = 'Brindlewick Polytechnic'")
    assert registry.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'brindlewick'").fetchone()[0] == 0
    assert _rows(registry)[0] == _rows(registry)[1]
