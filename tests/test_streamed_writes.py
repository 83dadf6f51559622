"""Streamed writes: an input larger than one batch is planned and written batch by batch in one
transaction, read lazily, and keeps every guarantee of a whole write (all or nothing, the audit
log, merging, references to records further on, duplicate keys, dry runs)."""

from __future__ import annotations

import sqlite3
import weakref

import pytest
from conftest import new_registry

from registry import db as store
from registry.db import writes
from registry.importers import seed
from registry.models import Agreement, Institution
from registry.problems import ProblemsFound

BATCH = 3
HOME = {"id": "home", "name": "Home University", "country": "SE", "is_home": True}


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)


def institutions(count: int, **extra) -> list[Institution]:
    return [Institution(id=f"inst-{n:03d}", name=f"Institution {n}", country="NO", **extra) for n in range(count)]


def agreement(number: int, partner: str, **extra) -> Agreement:
    return Agreement.model_validate({
        "id": f"agr-{number:03d}", "title": f"Agreement {number}", "kind": "student_exchange", "status": "active",
        "starts_on": "2024-01-01", "ends_on": "2028-12-31", "parties": [{"institution": "home", "role": "home"}, partner],
        **extra,
    })


def snapshot(db) -> dict[str, list[tuple]]:
    return {table: db.conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in ("institutions", "agreements", "agreement_parties", "changes")}


def logged(db) -> list[tuple]:
    return db.conn.execute("SELECT table_name, row_key, operation, before, after, actor, source FROM changes "
                           "ORDER BY table_name, row_key, id").fetchall()


@pytest.mark.parametrize("bulk_from", [5, 5000], ids=["bulk", "row-by-row"])
def test_a_streamed_write_logs_and_stores_what_one_whole_write_does(registry_db, tmp_path, monkeypatch, bulk_from):
    """Also when the write is large enough to rebuild indexes and the search index at the end."""
    monkeypatch.setattr(writes, "BULK_SEARCH_REBUILD", bulk_from)
    records = [Institution.model_validate(HOME), *institutions(7), *(agreement(n, f"inst-{n % 7:03d}") for n in range(8))]
    plan = store.write_records(registry_db, iter(records), actor="tester", source="stream")
    whole = store.connect(new_registry(tmp_path / "whole.db"))
    monkeypatch.setattr(writes, "BATCH_RECORDS", 1000)
    whole_plan = store.write_records(whole, records, actor="tester", source="stream")
    assert plan.counts() == whole_plan.counts()
    assert plan.counts()["agreements"] == {"insert": 8} and plan.counts()["agreement_parties"] == {"insert": 16}
    assert logged(registry_db) == logged(whole)
    assert len(logged(registry_db)) == plan.changed == whole_plan.changed
    for table in ("institutions", "agreements", "agreement_parties"):
        assert registry_db.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() == \
            whole.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    for table in ("institutions_fts", "agreements_fts"):
        assert registry_db.conn.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall() == \
            whole.conn.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()
    assert registry_db.conn.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'Agreement'").fetchone() == (8,)
    schema_sql = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    assert registry_db.conn.execute(schema_sql).fetchall() == whole.conn.execute(schema_sql).fetchall()


def test_the_input_is_read_only_a_batch_ahead_of_the_writes(registry_db):
    """Memory holds a batch, not the input: the writer never asks for a record more than two
    batches past what it has written (a list would be read to the end before the first write)."""
    store.write_records(registry_db, [Institution.model_validate(HOME), *institutions(1)], actor="setup")
    written = []

    def agreements():
        for number in range(40):
            stored = registry_db.conn.execute("SELECT count(*) FROM agreements").fetchone()[0]
            assert number - stored <= 2 * BATCH, f"record {number} asked for with only {stored} written"
            written.append(stored)
            yield agreement(number, "inst-000")

    plan = store.write_records(registry_db, agreements(), actor="tester", source="generator")
    assert plan.counts()["agreements"] == {"insert": 40}
    assert written[-1] >= 40 - 2 * BATCH  # the writes went along with the reading


def test_a_bad_record_in_the_last_batch_leaves_the_file_unchanged(registry_db):
    store.write_records(registry_db, [Institution.model_validate(HOME), *institutions(3)], actor="setup")
    before = snapshot(registry_db)
    records = [*(agreement(n, "inst-001") for n in range(10)), agreement(10, "nowhere")]
    with pytest.raises(ProblemsFound) as raised:
        store.write_records(registry_db, iter(records), actor="tester", locations=(f"file.yml:{n}" for n in range(11)))
    [problem] = raised.value.problems
    assert (problem.code, problem.where, problem.record, problem.value) == (
        "unknown-reference", "file.yml:10", "agreement_parties/agr-010", "nowhere")
    assert snapshot(registry_db) == before


def test_a_reference_to_a_record_further_on_is_kept(registry_db):
    """Parties written in an early batch may name an institution given in a later one."""
    records = [Institution.model_validate(HOME), *(agreement(n, "late-partner") for n in range(7)),
               Institution(id="late-partner", name="Late Partner", country="DK")]
    plan = store.write_records(registry_db, records, actor="tester")
    assert plan.counts()["agreement_parties"] == {"insert": 14}
    assert registry_db.conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_streamed_merge_keeps_what_the_source_leaves_out(registry_db):
    store.write_records(registry_db, institutions(8, city="Oslo", acronym="INS"), actor="setup")
    renamed = [Institution.model_validate({"id": f"inst-{n:03d}", "name": f"Renamed {n}", "country": "NO"}) for n in range(8)]
    plan = store.write_records(registry_db, iter(renamed), actor="tester", merge=True)
    assert plan.counts()["institutions"] == {"update": 8}
    assert registry_db.conn.execute("SELECT DISTINCT city, acronym FROM institutions").fetchall() == [("Oslo", "INS")]
    assert registry_db.conn.execute("SELECT name FROM institutions WHERE id = 'inst-007'").fetchone() == ("Renamed 7",)


def test_a_streamed_dry_run_counts_everything_and_writes_nothing(registry_db):
    store.write_records(registry_db, [Institution.model_validate(HOME), *institutions(2)], actor="setup")
    before = snapshot(registry_db)
    plan = store.write_records(registry_db, (agreement(n, "inst-001") for n in range(10)), dry_run=True)
    assert plan.counts() == {"agreements": {"insert": 10}, "agreement_parties": {"insert": 20}}
    assert snapshot(registry_db) == before


def test_a_streamed_plan_keeps_some_changes_and_counts_the_rest(registry_db, monkeypatch):
    monkeypatch.setattr(writes, "KEPT_CHANGES", 4)
    plan = store.write_records(registry_db, iter(institutions(10)), actor="tester")
    assert len(plan.changes) == 4 and plan.changed == 20  # each with its name
    assert plan.counts()["institutions"] == {"insert": 10}
    assert not plan.is_empty


def seed_file(tmp_path, count: int, last: str) -> str:
    lines = ["institutions:", "  - {id: home, name: Home University, country: SE, is_home: true}"]
    lines += [f"  - {{id: inst-{n:03d}, name: Institution {n}, country: NO}}" for n in range(count)]
    lines.append(f"  - {last}")
    path = tmp_path / "big.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_load_with_a_bad_record_at_the_end_writes_nothing_and_names_it(registry_db, tmp_path):
    before = snapshot(registry_db)
    path = seed_file(tmp_path, 12, "{id: inst-bad, name: Bad, country: Atlantis}")
    with pytest.raises(ProblemsFound) as raised:
        seed.load(registry_db, [path])
    [problem] = raised.value.problems
    assert (problem.code, problem.where, problem.record) == ("invalid-value", f"{path}:15", "institutions/inst-bad")
    assert snapshot(registry_db) == before


def test_a_load_finds_a_key_given_twice_far_apart(registry_db, tmp_path):
    path = seed_file(tmp_path, 12, "{id: inst-002, name: Again, country: NO}")
    with pytest.raises(ProblemsFound) as raised:
        seed.load(registry_db, [path])
    [problem] = raised.value.problems
    assert (problem.code, problem.where, problem.message) == (
        "duplicate-id", f"{path}:15", f"the same key is already given at {path}:5")
    assert registry_db.conn.execute("SELECT count(*) FROM institutions").fetchone() == (0,)


def test_a_streamed_load_reads_records_lazily_from_the_yaml(registry_db, tmp_path):
    path = seed_file(tmp_path, 20, "{id: inst-last, name: Last, country: NO}")
    plan = seed.load(registry_db, [path], actor="tester")
    assert plan.counts()["institutions"] == {"insert": 22}
    assert registry_db.conn.execute("SELECT count(*) FROM changes WHERE source = ?", [f"load {path}"]).fetchone() \
        == (plan.changed,)
    assert seed.load(registry_db, [path]).is_empty


def test_a_streamed_import_writes_logs_and_reports_what_a_whole_one_does(tmp_path, monkeypatch):
    """The import flow on a sheet larger than a batch: the same rows, the same audit log, the
    same refused rows kept; the diff says when it shows only the first changes."""
    from import_helpers import DATA, build_seeded, copy_of, run

    from registry.importers.report import render

    sheet = DATA / "avtal-cp1252.csv"
    seeded = build_seeded(tmp_path / "seeded.db")
    (tmp_path / "whole").mkdir()
    (tmp_path / "streamed").mkdir()
    whole_db = copy_of(seeded, tmp_path / "whole")
    monkeypatch.setattr(writes, "BATCH_RECORDS", 1000)
    whole = run(whole_db, sheet, keep_valid=True, create_missing=True, actor="coordinator")
    monkeypatch.setattr(writes, "BATCH_RECORDS", 1)
    monkeypatch.setattr(writes, "KEPT_CHANGES", 2)
    streamed_db = copy_of(seeded, tmp_path / "streamed")
    dry = run(streamed_db, sheet, keep_valid=True, create_missing=True, dry_run=True)
    assert dry.plan.counts() == {table: ops for table, ops in whole.plan.counts().items() if table != "import_rejects"}
    assert "more are in the counts below" in "\n".join(render(dry))
    streamed = run(streamed_db, sheet, keep_valid=True, create_missing=True, actor="coordinator")
    assert streamed.plan.counts() == whole.plan.counts() and streamed.written
    for table in ("agreements", "agreement_parties", "mobility_terms", "institutions"):
        assert streamed_db.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() == \
            whole_db.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    assert streamed_db.conn.execute("SELECT line, reason FROM import_rejects ORDER BY line").fetchall() == \
        whole_db.conn.execute("SELECT line, reason FROM import_rejects ORDER BY line").fetchall() != []
    # the rejects' rows name their import by the time it ran: the same in number
    log = ("SELECT table_name, CASE table_name WHEN 'import_rejects' THEN NULL ELSE row_key END, operation, "
           "CASE table_name WHEN 'import_rejects' THEN NULL ELSE after END, before, actor FROM changes ORDER BY 1, 2, 4, id")
    assert streamed_db.conn.execute(log).fetchall() == whole_db.conn.execute(log).fetchall()


def test_a_file_of_many_bad_records_lists_the_first_and_counts_the_rest(registry_db, tmp_path, monkeypatch):
    monkeypatch.setattr(seed.Problems, "LISTED", 5)
    path = tmp_path / "bad.yml"
    path.write_text("institutions:\n" + "".join(f"  - {{id: bad-{n}, name: Bad {n}, country: Atlantis}}\n" for n in range(12)))
    with pytest.raises(ProblemsFound) as raised:
        seed.load(registry_db, [path])
    problems = raised.value.problems
    assert [p.code for p in problems] == ["invalid-value"] * 5 + ["more-problems"]
    assert problems[-1].message == "7 more problems like these are not listed"


def test_a_streamed_write_has_a_larger_page_cache_meanwhile_and_gives_the_connection_its_own_back(registry_db, monkeypatch):
    """The random lookups of a large load stay in memory (issue 19); afterwards, and after a
    failed write, the connection's cache is the size it was."""
    registry_db.conn.execute("PRAGMA cache_size = -3000")
    seen = []
    apply = writes.BulkWrite.apply

    def watched(self, plan):
        seen.append(self.db.conn.execute("PRAGMA cache_size").fetchone()[0])
        apply(self, plan)

    monkeypatch.setattr(writes.BulkWrite, "apply", watched)
    store.write_records(registry_db, iter([Institution.model_validate(HOME), *institutions(5)]), actor="tester", source="s")
    assert seen and set(seen) == {-writes.STREAMED_CACHE_KIB}
    assert registry_db.conn.execute("PRAGMA cache_size").fetchone()[0] == -3000
    with pytest.raises(ProblemsFound):
        store.write_records(registry_db, iter([*institutions(4), agreement(1, "nowhere")]), actor="tester", source="s")
    assert registry_db.conn.execute("PRAGMA cache_size").fetchone()[0] == -3000


@pytest.mark.parametrize("values_per_statement", [40, 1000])
def test_rows_inserted_many_per_statement_are_stored_and_logged_as_one_per_statement(registry_db, tmp_path, monkeypatch,
                                                                                    values_per_statement):
    """Multi-row INSERTs (a full statement and a rest, or all in one) store and log in the same order as
    one row per statement, and a bad row among them still fails the whole write."""
    records = [Institution.model_validate(HOME), *institutions(9), *(agreement(n, f"inst-{n % 9:03d}") for n in range(11))]
    monkeypatch.setattr(writes, "_VALUES_PER_STATEMENT", values_per_statement)
    plan = store.write_records(registry_db, iter(records), actor="tester", source="s")
    one_by_one = store.connect(new_registry(tmp_path / "one.db"))
    monkeypatch.setattr(writes, "_VALUES_PER_STATEMENT", 1)
    assert store.write_records(one_by_one, iter(records), actor="tester", source="s").counts() == plan.counts()
    assert snapshot(registry_db)["agreements"] == snapshot(one_by_one)["agreements"]
    assert snapshot(registry_db)["agreement_parties"] == snapshot(one_by_one)["agreement_parties"]
    assert logged(registry_db) == logged(one_by_one)
    monkeypatch.setattr(writes, "_VALUES_PER_STATEMENT", values_per_statement)
    before = snapshot(registry_db)
    with pytest.raises(ProblemsFound):
        store.write_records(registry_db, iter([*institutions(3, city="X"), agreement(99, "nowhere")]), actor="t", source="s")
    assert snapshot(registry_db) == before




def test_the_checks_set_aside_for_a_write_hold_again_for_every_other_writer(registry_db):
    store.write_records(registry_db, [Institution.model_validate(HOME), *institutions(2 * BATCH)], actor="t", source="t")
    assert registry_db.conn.execute("PRAGMA ignore_check_constraints").fetchone()[0] == 0
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        registry_db.conn.execute("UPDATE institutions SET country = 'nowhere' WHERE id = 'inst-000'")


def test_a_written_batch_is_freed_before_the_next_is_read(registry_db):
    """The collection after each batch walks only what outlives it: nothing may hold on to the
    records of a batch once it is written (it walked 80,000 live objects a batch when something did)."""
    refs: list[weakref.ref] = []
    alive_at_batch_start: list[int] = []

    def records():
        for number in range(5 * BATCH):  # each record made here, held by nothing but the writer
            record = Institution.model_validate(HOME) if number == 0 else institutions(number)[-1]
            if len(refs) >= 2 * BATCH and len(refs) % BATCH == 0:
                alive_at_batch_start.append(sum(ref() is not None for ref in refs))
            refs.append(weakref.ref(record))
            yield record
            del record

    store.write_records(registry_db, records(), actor="t", source="t")
    assert alive_at_batch_start == [0, 0, 0]
