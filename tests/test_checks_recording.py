"""A run rewrites a finding it finds again only where it changed, and knows what it no longer finds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from checks.registry import CHECKS, load_all
from checks.run import run_checks
from registry import db as store
from registry.models.core import Agreement, Institution

DAY1, DAY2, DAY3 = date(2026, 11, 21), date(2026, 11, 28), date(2026, 12, 5)
FINGERPRINT = "DQ05:agreements:oslo-exchange"


@pytest.fixture
def db(registry_db):
    store.write_records(registry_db, [
        Institution(id="lund", name="Lund University", country="SE", is_home=True),
        Institution(id="oslo", name="University of Oslo", country="NO", ror="01xtthb56", latitude=59.9, longitude=10.7),
        Agreement(id="oslo-exchange", title="Oslo exchange", kind="student_exchange", status="active",
                  coordinator="International coordinator", notice_months=6, parties=["lund", "oslo"]),
    ], actor="test")
    return registry_db


def finding(db) -> dict:
    cursor = db.conn.execute("SELECT * FROM findings WHERE id = ?", [FINGERPRINT])
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))


def seen(db) -> tuple:
    return db.conn.execute("SELECT last_seen, last_run FROM findings_seen WHERE id = ?", [FINGERPRINT]).fetchone()


def test_found_again_unchanged_nothing_is_written_and_it_reads_as_last_seen_by_the_rerun(db):
    first = run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    before = finding(db)
    assert seen(db) == ("2026-11-21", first.run_id)
    # what a run writes on a finding, counted by SQLite: a rerun's own rows (its check_runs row,
    # its check's latest run) and the waivers' refresh are not findings
    db.conn.execute("CREATE TEMP TABLE written (id TEXT)")
    db.conn.execute("CREATE TEMP TRIGGER updated AFTER UPDATE ON main.findings BEGIN INSERT INTO written VALUES (new.id); END")
    db.conn.execute("CREATE TEMP TRIGGER inserted AFTER INSERT ON main.findings BEGIN INSERT INTO written VALUES (new.id); END")
    second = run_checks(db, only=["DQ05"], today=DAY2, actor="test")
    assert db.conn.execute("SELECT count(*) FROM written").fetchone() == (0,)
    assert finding(db) == before  # the row as it was, byte for byte
    assert seen(db) == ("2026-11-28", second.run_id) and before["first_run"] == first.run_id
    assert (second.new, second.resolved) == (0, 0)
    assert db.conn.execute("SELECT found FROM check_runs WHERE id = ?", [second.run_id]).fetchone()[0] == 1


def test_a_resolved_finding_keeps_the_last_run_that_found_it_and_a_reopened_one_reads_the_latest(db):
    first = run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    run_checks(db, only=["DQ01"], today=DAY2, actor="test")  # another check: DQ05's findings not seen by it
    assert seen(db) == ("2026-11-21", first.run_id)
    second = run_checks(db, only=["DQ05"], today=DAY2, actor="test")
    db.conn.execute("INSERT INTO programmes (id, name_en, name_sv, cycle) VALUES ('med', 'Medicine', 'Läkarprogrammet', 'second')")
    db.conn.execute("INSERT INTO agreement_programmes (agreement, programme) VALUES ('oslo-exchange', 'med')")
    third = run_checks(db, only=["DQ05"], today=DAY3, actor="test")
    assert third.resolved == 1
    row = finding(db)
    assert (row["status"], row["last_seen"], row["last_run"]) == ("resolved", "2026-11-28", second.run_id)
    run_checks(db, only=["DQ05"], today=date(2026, 12, 12), actor="test")  # still resolved: written once
    assert seen(db) == ("2026-11-28", second.run_id)
    db.conn.execute("DELETE FROM agreement_programmes")
    fifth = run_checks(db, only=["DQ05"], today=date(2026, 12, 19), actor="test")
    row = finding(db)
    assert fifth.new == 1 and (row["status"], row["last_seen"], row["last_run"]) == ("open", None, None)
    assert seen(db) == ("2026-12-19", fifth.run_id)


def test_a_new_title_and_a_new_severity_are_written_onto_the_finding(db, monkeypatch):
    run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    with store.transaction(db, actor="test", source="test"):
        db.conn.execute("UPDATE agreements SET title = 'Oslo exchange 2027' WHERE id = 'oslo-exchange'")
    monkeypatch.setitem(CHECKS, "DQ05", replace(load_all()["DQ05"], severity="high"))
    third = run_checks(db, only=["DQ05"], today=DAY2, actor="test")
    row = finding(db)
    assert (row["severity"], row["subject_label"], row["status"]) == ("high", "Oslo exchange 2027", "open")
    assert "Oslo exchange 2027" in row["message"] and third.new == 0
    assert [f["severity"] for f in third.findings] == ["high"]


def test_a_finding_reopened_takes_the_checks_current_severity(db, monkeypatch):
    run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    db.conn.execute("INSERT INTO programmes (id, name_en, name_sv, cycle) VALUES ('med', 'Medicine', 'Läkarprogrammet', 'second')")
    db.conn.execute("INSERT INTO agreement_programmes (agreement, programme) VALUES ('oslo-exchange', 'med')")
    assert run_checks(db, only=["DQ05"], today=DAY2, actor="test").resolved == 1
    db.conn.execute("DELETE FROM agreement_programmes")
    monkeypatch.setitem(CHECKS, "DQ05", replace(load_all()["DQ05"], severity="medium"))
    again = run_checks(db, only=["DQ05"], today=DAY3, actor="test")
    row = finding(db)
    assert again.new == 1 and (row["status"], row["severity"], row["resolved_on"]) == ("open", "medium", None)


def test_a_findings_message_is_made_once_per_finding_and_by_sqlite_when_it_can(db, monkeypatch):
    """Recording reads the message twice (text and evidence); the check's registry_message(...)
    runs once, and DQ05's literal template is made by SQLite itself (registry.message_sql):
    no Python call per finding, two million at a million agreements."""
    from checks import found
    from registry import i18n

    calls = []

    def counted(*arguments):
        calls.append(1)
        return i18n.message_sql(*arguments)

    db.conn.create_function("registry_message", -1, counted, deterministic=True)
    result = run_checks(db, only=["DQ05"], today=DAY1, actor="test", lanes=1)
    made_by_sqlite = finding(db)
    assert result.new == 1 and made_by_sqlite["message"] == 'Agreement "Oslo exchange" names no programme it serves.'
    assert calls == []
    monkeypatch.setattr(found, "compile_messages", lambda sql: sql)
    db.conn.execute("DELETE FROM findings")
    run_checks(db, only=["DQ05"], today=DAY1, actor="test", lanes=1)
    assert len(calls) == 1
    made_by_python = finding(db)
    assert (made_by_python["message"], made_by_python["evidence"]) == (made_by_sqlite["message"], made_by_sqlite["evidence"])


def test_a_first_run_keeps_the_findings_indexes_as_it_inserts(db):
    """A first run only inserts, into the findings table with every index in place (kept as it
    goes, not rebuilt at the end): the file ends with the indexes it began with, each holding
    every finding, and a second run finds nothing new."""
    def indexes():
        return db.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' "
                               "ORDER BY name").fetchall()

    before = indexes()
    result = run_checks(db, today=DAY1, actor="test", lanes=1)
    assert result.new > 1 and "_insert" in result.timings and "_compare" not in result.timings
    assert indexes() == before and len(before) >= 6
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for name, _ in before:
        assert db.conn.execute(f'SELECT count(*) FROM findings INDEXED BY "{name}"').fetchone()[0] == result.new
    again = run_checks(db, today=DAY2, actor="test", lanes=1)
    assert "_compare" in again.timings and again.new == 0


@pytest.mark.parametrize("first", [True, False])
def test_a_check_that_names_a_subject_twice_is_refused_by_its_code(db, monkeypatch, first):
    """A first run's found rows have no key of their own (the findings' key tells a subject named
    twice); a later run's have. Either way the run fails naming the check, and records nothing."""
    def twice(ctx):
        """A test's check that finds the same agreement twice."""
        return ctx.found("SELECT 'agreements' AS subject_table, id AS subject_id, 'seen' AS message, NULL AS evidence "
                         "FROM agreements UNION ALL SELECT 'agreements', id, 'seen again', NULL FROM agreements")

    if not first:
        run_checks(db, only=["DQ05"], today=DAY1, actor="test", lanes=1)
    monkeypatch.setitem(CHECKS, "DQ97", replace(load_all()["DQ05"], code="DQ97", function=twice))
    recorded = db.conn.execute("SELECT count(*) FROM findings").fetchone()[0]
    with pytest.raises(ValueError, match=r"check DQ97 named the same subject twice"):
        run_checks(db, only=["DQ97"], today=DAY2, actor="test", lanes=1)
    assert db.conn.execute("SELECT count(*) FROM findings").fetchone()[0] == recorded


def test_a_file_of_schema_4_migrates_and_its_findings_keep_their_last_seen(db, registry_path):
    """Schema 4 wrote last_seen and last_run on every finding a run found; a migrated file keeps
    each finding's values (read through findings_seen) and leaves open ones to their check's latest run."""
    from registry.db.migrations import migrate

    first = run_checks(db, today=DAY1, actor="test")
    run_checks(db, only=["DQ05"], today=DAY2, actor="test")
    db.conn.execute("INSERT INTO programmes (id, name_en, name_sv, cycle) VALUES ('med', 'Medicine', 'Läkarprogrammet', 'second')")
    db.conn.execute("INSERT INTO agreement_programmes (agreement, programme) VALUES ('oslo-exchange', 'med')")
    assert run_checks(db, only=["DQ05"], today=DAY3, actor="test").resolved == 1
    wanted = db.conn.execute("SELECT id, status, last_seen, last_run FROM findings_seen ORDER BY id").fetchall()
    assert len(wanted) > 2 and {status for _, status, _, _ in wanted} == {"open", "resolved"}
    assert ("open", "2026-11-21", first.run_id) in {row[1:] for row in wanted}  # not run since
    # the file as schema 4 had it: every finding's values written on it, no latest runs, no view
    conn = db.conn
    create = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'findings'").fetchone()[0]
    old = create.replace('"last_seen" TEXT,', '"last_seen" TEXT NOT NULL,').replace('"last_run" TEXT,', '"last_run" TEXT NOT NULL,')
    assert old != create
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.executescript(f"""
        BEGIN;
        CREATE TABLE findings_v4 AS SELECT * FROM findings_seen;
        DROP VIEW findings_seen; DROP TABLE findings; DROP TABLE check_latest_runs;
        {old};
        INSERT INTO findings SELECT * FROM findings_v4; DROP TABLE findings_v4;
        PRAGMA user_version = 4;
        COMMIT;""")
    conn.close()
    migrated = store.connect(registry_path)
    migrate(migrated)
    assert migrated.conn.execute("SELECT id, status, last_seen, last_run FROM findings_seen ORDER BY id").fetchall() == wanted
    assert migrated.conn.execute("SELECT count(*) FROM findings WHERE status = 'open' AND last_seen IS NOT NULL").fetchone() == (0,)
    # and the next run records as any later run: nothing new, nothing resolved, the resolved finding
    # still read as last found by the run written on it
    again = run_checks(migrated, only=["DQ05"], today=date(2026, 12, 12), actor="test")
    assert (again.new, again.resolved) == (0, 0)
    assert migrated.conn.execute("SELECT last_run FROM findings_seen WHERE id = ?", [FINGERPRINT]).fetchone() == (
        dict((row[0], row[3]) for row in wanted)[FINGERPRINT],)
    migrated.conn.close()
