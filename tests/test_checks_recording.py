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


def test_found_again_unchanged_only_last_seen_and_last_run_move(db):
    first = run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    before = finding(db)
    second = run_checks(db, only=["DQ05"], today=DAY2, actor="test")
    after = finding(db)
    assert {name for name in after if after[name] != before[name]} == {"last_seen", "last_run"}
    assert (after["last_seen"], after["last_run"], after["first_run"]) == ("2026-11-28", second.run_id, first.run_id)
    assert (second.new, second.resolved) == (0, 0)
    assert db.conn.execute("SELECT found FROM check_runs WHERE id = ?", [second.run_id]).fetchone()[0] == 1


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
