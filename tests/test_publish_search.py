"""The public copy's search index, made a range of agreements at a time by two connections (when the
registry's own rows cannot be taken: ``registry.publish._registry_rows_hold``, forced off here by
``made_rows``; tests/test_publish_stored_search.py takes them)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry import db as store
from registry import publish as publishing
from registry import schema
from registry.publish_workers import SearchRanges


@pytest.fixture(autouse=True)
def made_rows(monkeypatch):
    """Every publish here makes its search rows from the copy."""
    monkeypatch.setattr(publishing, "_registry_rows_hold", lambda *args: False)


def test_search_rows_made_in_ranges_by_both_connections_are_the_rows_of_the_copy(demo_registry_file, tmp_path, monkeypatch):
    # Ranges of seven agreements: both connections make some, and the worker's are read back
    # from its scratch file. Every row must be what the one-statement definition gives on the copy.
    monkeypatch.setattr(publishing, "SEARCH_RANGE_ROWS", 7)
    out = tmp_path / "public.db"
    publishing.publish(demo_registry_file, out)
    conn = sqlite3.connect(out)
    indexed = conn.execute("SELECT rowid, title, notes, partners, partners_folded, topics FROM agreements_fts ORDER BY rowid").fetchall()
    expected = conn.execute(f"{schema.agreement_search_rows()} ORDER BY a.rowid").fetchall()
    assert len(indexed) == conn.execute("SELECT count(*) FROM agreements").fetchone()[0] > 7 * 4
    # The partners' networks come in the order the query plan meets their memberships, which the
    # copy's statistics (ANALYZE runs last) may change: the topics are compared as words.
    assert [row[:5] for row in indexed] == [row[:5] for row in expected]
    assert [sorted(row[5].split()) for row in indexed] == [sorted(row[5].split()) for row in expected]
    assert conn.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'karolinska'").fetchone()[0] > 0


def test_rows_gathering_partners_from_the_institution_text_are_the_per_agreement_rows(demo_registry_file, tmp_path):
    # The main connection's rows take this form once the worker has the institutions' text, which
    # the ranges test above may or may not meet, depending on which connection is quicker.
    out = tmp_path / "public.db"
    publishing.publish(demo_registry_file, out)
    conn = sqlite3.connect(out)
    for statement in store.split_sql(schema.institution_text_sql("temp.institution_text")):
        conn.execute(statement)
    rowids = [row[0] for row in conn.execute("SELECT rowid FROM agreements ORDER BY rowid")]
    spans = [(None, rowids[6]), (rowids[6], rowids[20]), (rowids[20], None)]
    for span in spans:
        where = SearchRanges.where(span)
        gathered = conn.execute(f"{schema.agreement_search_rows(where, institution_text='temp.institution_text')} "
                                "ORDER BY a.rowid").fetchall()
        expected = conn.execute(f"{schema.agreement_search_rows(where)} ORDER BY a.rowid").fetchall()
        assert [row[:5] for row in gathered] == [row[:5] for row in expected]
        assert [sorted(row[5].split()) for row in gathered] == [sorted(row[5].split()) for row in expected]
    assert sum(len(conn.execute(f"SELECT 1 FROM agreements a WHERE {SearchRanges.where(s)}").fetchall()) for s in spans) == len(rowids)
    assert any(row[3] for row in gathered), "some agreement must have partners"


def test_a_failing_search_worker_fails_the_publish_and_leaves_the_old_copy(demo_registry_file, tmp_path, monkeypatch):
    out = tmp_path / "public.db"
    publishing.publish(demo_registry_file, out)
    before = out.read_bytes()
    monkeypatch.setattr(publishing, "SEARCH_RANGE_ROWS", 7)
    monkeypatch.setattr(schema, "institution_text_sql", lambda *table: "SELECT no_such_function();")
    with pytest.raises(sqlite3.OperationalError, match="no_such_function"):
        publishing.publish(demo_registry_file, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".public.db.lock", "public.db"]


@given(st.lists(st.integers(min_value=-5, max_value=10_000), unique=True).map(sorted), st.lists(st.booleans()))
def test_ranges_taken_from_both_ends_cover_every_rowid_once(bounds: list[int], ends: list[bool]):
    ranges, taken = SearchRanges(bounds), []
    for low in ends + [True] * (len(bounds) + 1):
        span = ranges.take_low() if low else ranges.take_high()
        if span is not None:
            taken.append(span)
    assert ranges.take_low() is None and ranges.take_high() is None
    rowids = [-7, *range(-5, 10_002)]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE a (x)")
    conn.executemany("INSERT INTO a (rowid) VALUES (?)", [(r,) for r in rowids])
    covered = [r for span in taken for (r,) in conn.execute(f"SELECT rowid FROM a WHERE {SearchRanges.where(span)}")]
    assert sorted(covered) == rowids


def test_an_empty_registry_publishes_an_empty_search_index(registry_path: Path, tmp_path):
    out = tmp_path / "public.db"
    publishing.publish(registry_path, out)
    assert sqlite3.connect(out).execute("SELECT count(*) FROM agreements_fts").fetchone()[0] == 0


def test_the_copy_has_planner_statistics_for_its_tables_not_for_the_search_tables(demo_registry_file, tmp_path):
    out = tmp_path / "public.db"
    publishing.publish(demo_registry_file, out)
    conn = sqlite3.connect(out)
    analysed = {row[0] for row in conn.execute("SELECT tbl FROM sqlite_stat1")}
    assert {"agreements", "agreement_parties", "institutions", "mobility_terms"} <= analysed
    assert not {name for name in analysed if "_fts" in name}
    rows = dict(conn.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'agreements' AND idx IS NOT NULL"))
    count = conn.execute("SELECT count(*) FROM agreements").fetchone()[0]
    assert rows and all(int(stat.split()[0]) == count for stat in rows.values())


def test_terms_words_read_from_the_subject_words_table_are_the_per_agreement_words(demo_registry_file, tmp_path):
    # Lists of subject areas the demo may lack: none, a code the ISCED list lacks (found by its
    # narrow field), two fields, an area without a code; on terms of one agreement and of several.
    out = tmp_path / "public.db"
    publishing.publish(demo_registry_file, out)
    conn = sqlite3.connect(out)
    terms = conn.execute("SELECT rowid FROM mobility_terms ORDER BY agreement, term_no").fetchall()
    assert len(terms) >= 8
    areas = ['[]', '[{"isced_code": "0919"}]', '[{"isced_code": "0912"}, {"isced_code": "0411"}]',
             '[{"clarification": "no code"}]', '[{"isced_code": "0919"}]']
    for (rowid,), listed in zip(terms, areas + areas, strict=False):
        conn.execute("UPDATE mobility_terms SET subject_areas = ? WHERE rowid = ?", [listed, rowid])
    for statement in store.split_sql(schema.institution_text_sql("temp.institution_text")
                                     + schema.subject_words_sql("temp.subject_words")):
        conn.execute(statement)
    assert conn.execute("SELECT count(*) FROM temp.subject_words").fetchone()[0] >= 4
    gathered = conn.execute(f"{schema.agreement_search_rows(institution_text='temp.institution_text', subject_words='temp.subject_words')} "
                            "ORDER BY a.rowid").fetchall()
    expected = conn.execute(f"{schema.agreement_search_rows()} ORDER BY a.rowid").fetchall()
    assert [row[:5] for row in gathered] == [row[:5] for row in expected]
    assert [sorted(row[5].split()) for row in gathered] == [sorted(row[5].split()) for row in expected]
    # the fields' words themselves, in the terms' order, are the same text
    fields = schema._agreement_topics("a")
    assert conn.execute(f"SELECT count(*) FROM agreements a WHERE {fields} <> "
                        f"{schema._agreement_topics('a', subject_words='temp.subject_words')}").fetchone()[0] == 0
