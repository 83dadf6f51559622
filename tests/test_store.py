"""The store: idempotent writes, the audit log, constraints that hold against raw SQL, verify."""

from __future__ import annotations

import gc
import sqlite3
import weakref
from datetime import date

import pytest
from core_portfolio import portfolio

from registry import db as store
from registry.integrity import verify
from registry.models import Agreement
from registry.problems import ProblemsFound


@pytest.fixture
def loaded(registry_db):
    store.write_records(registry_db, portfolio(), actor="tester", source="fixture")
    return registry_db


def count(db, sql, params=()):
    return db.conn.execute(sql, params).fetchone()[0]


def test_writing_the_same_records_twice_changes_and_logs_nothing(loaded):
    logged = count(loaded, "select count(*) from changes")
    plan = store.write_records(loaded, portfolio(), actor="tester", source="again")
    assert plan.is_empty
    assert plan.counts()["agreements"] == {"unchanged": 5}
    assert count(loaded, "select count(*) from changes") == logged


def test_every_insert_is_logged_with_actor_source_and_values(loaded):
    row = loaded.conn.execute(
        "select operation, actor, source, json_extract(after, '$.country'), before "
        "from changes where table_name = 'institutions' and row_key = 'ku'"
    ).fetchone()
    assert row == ("insert", "tester", "fixture", "DK", None)
    inserted_tables = {r[0] for r in loaded.conn.execute("select distinct table_name from changes")}
    assert {"institutions", "institution_names", "agreements", "agreement_parties", "mobility_terms",
            "mobility_flows", "degree_terms", "memberships", "networks", "programmes"} <= inserted_tables


def test_an_update_logs_before_and_after_and_only_real_changes(loaded):
    renewed = next(r for r in portfolio() if r.key() == ("ex-ku-med",)).model_copy(update={"ends_on": date(2031, 6, 30)})
    plan = store.write_records(loaded, [renewed], actor="coordinator", source="renewal")
    assert [(c.table, c.operation) for c in plan.changes] == [("agreements", "update")]
    before, after, actor = loaded.conn.execute(
        "select json_extract(before, '$.ends_on'), json_extract(after, '$.ends_on'), actor from changes "
        "where table_name = 'agreements' and operation = 'update'"
    ).fetchone()
    assert after == "2031-06-30" and before != after and actor == "coordinator"


def test_a_child_list_given_is_complete_so_missing_children_are_deleted_and_logged(loaded):
    original = next(r for r in portfolio() if r.key() == ("ex-ku-med",))
    fewer_terms = original.model_copy(update={"mobility_terms": original.mobility_terms[:2]})
    plan = store.write_records(loaded, [fewer_terms], actor="t", source="s")
    assert [(c.table, c.key, c.operation) for c in plan.changes] == [("mobility_terms", ("ex-ku-med", 3), "delete")]
    assert count(loaded, "select count(*) from mobility_terms where agreement = 'ex-ku-med'") == 2
    deleted = loaded.conn.execute(
        "select json_extract(before, '$.category') from changes where operation = 'delete'"
    ).fetchone()
    assert deleted == ("staff_teaching",)


def test_a_child_list_not_given_is_left_alone(loaded):
    bare = Agreement(id="ex-ku-med", title="Renamed", kind="student_exchange", status="active")
    store.write_records(loaded, [bare], actor="t", source="s")
    assert count(loaded, "select count(*) from mobility_terms where agreement = 'ex-ku-med'") == 3


def test_deleting_a_record_cascades_to_its_children_and_logs_each_row(loaded):
    assert store.delete_record(loaded, "agreements", "ex-ku-med", actor="t", source="cleanup")
    assert count(loaded, "select count(*) from agreement_parties where agreement = 'ex-ku-med'") == 0
    deleted = {r[0] for r in loaded.conn.execute("select table_name from changes where operation = 'delete'")}
    assert deleted == {"agreements", "agreement_parties", "agreement_programmes", "mobility_terms", "mobility_flows"}
    deletions = [(h["table_name"], h["actor"], h["source"]) for h in store.history(loaded, "ex-ku-med") if h["operation"] == "delete"]
    assert ("agreements", "t", "cleanup") in deletions and len(deletions) == 8  # 1 + 2 parties + 1 programme + 3 terms + 1 flow


def test_edits_from_any_client_are_logged(loaded, registry_path):
    other = sqlite3.connect(registry_path)
    other.execute("update institutions set city = 'Copenhagen' where id = 'ku'")
    other.commit()
    other.close()
    actor, before, after = loaded.conn.execute(
        "select actor, json_extract(before, '$.city'), json_extract(after, '$.city') from changes "
        "where table_name = 'institutions' and operation = 'update'"
    ).fetchone()
    assert (actor, before, after) == (None, "København", "Copenhagen")


def test_the_audit_log_is_append_only(loaded):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        loaded.conn.execute("delete from changes")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        loaded.conn.execute("update changes set actor = 'someone else'")


@pytest.mark.parametrize(
    "sql",
    [
        "update agreements set status = 'finished' where id = 'ex-ku-med'",
        "update agreements set ends_on = '2001-01-01' where id = 'ex-ku-med'",
        "update agreements set ends_on = '2030-02-30' where id = 'ex-ku-med'",
        "update agreements set ends_on = '30.01.2030' where id = 'ex-ku-med'",
        "update agreements set confidential = 2 where id = 'ex-ku-med'",
        "update agreements set title = '' where id = 'ex-ku-med'",
        "update mobility_terms set places_per_year = -1",
        "update mobility_terms set eqf_levels = 'not json'",
        "update institutions set country = 'Sweden' where id = 'gu'",
        "update institutions set id = 'Has Spaces' where id = 'gu'",
        "insert into agreement_parties (agreement, institution, role) values ('ex-ku-med', 'nobody', 'partner')",
        "insert into agreement_programmes (agreement, programme) values ('no-such-agreement', 'medicine')",
        "delete from institutions where id = 'ku'",  # still party to agreements
        "insert into reviews (id, reviewed_on, reviewer_role, outcome) values ('r', '2026-01-01', 'legal_counsel', 'approved')",
        "update agreements set kind = 'student_exchange ' where id = 'ex-ku-med'",
    ],
)
def test_raw_sql_cannot_store_an_invalid_row(loaded, sql):
    with pytest.raises(sqlite3.IntegrityError):
        loaded.conn.execute(sql)


def test_unknown_references_are_reported_before_anything_is_written(registry_db):
    agreement = Agreement(id="a", title="x", kind="research", status="draft", parties=["nobody"], programmes=["nothing"])
    with pytest.raises(ProblemsFound) as raised:
        store.write_records(registry_db, [agreement], locations=["file.yml:3"])
    messages = [str(p) for p in raised.value.problems]
    assert len(messages) == 2
    assert "file.yml:3: agreement_parties/a: institution: no record in institutions" in messages[0]
    assert "'nobody'" in messages[0]
    assert count(registry_db, "select count(*) from agreements") == 0


def test_verify_is_clean_on_a_valid_registry(loaded):
    assert verify(loaded) == []


def test_verify_catches_rows_corrupted_behind_the_models_back(loaded, registry_path):
    sneaky = sqlite3.connect(registry_path)
    sneaky.execute("PRAGMA ignore_check_constraints = 1")
    sneaky.execute("update programmes set cycle = 'fourth' where id = 'nursing'")
    sneaky.execute("update institution_names set name_folded = 'stale' where institution = 'ku' and kind = 'local'")
    sneaky.execute("update mobility_terms set eqf_levels = '[9]' where agreement = 'ex-lodz-nursing'")
    sneaky.commit()
    sneaky.close()
    problems = {(p.code, p.record, p.field) for p in verify(loaded)}
    assert ("invalid-row", "programmes/nursing", "cycle") in problems
    assert ("stale-derived", "institution_names/ku/Københavns Universitet", "name_folded") in problems
    assert ("invalid-row", "mobility_terms/ex-lodz-nursing/1", "eqf_levels.0") in problems
    assert any(code == "integrity" for code, _, _ in problems)


def test_search_finds_names_without_diacritics(loaded):
    def search(table, words):
        return [r[0] for r in loaded.conn.execute(
            f"select t.id from {table} t join {table}_fts f on f.rowid = t.rowid where {table}_fts match ? order by t.id", [words])]

    assert search("institutions", "lodz") == ["umed-lodz"]
    assert search("institutions", "Goteborg") == ["gu"]
    assert search("institutions", "kobenhavns") == ["ku"]
    assert search("agreements", "Łódź") == ["ex-lodz-nursing"]
    assert search("agreements", "copenhagen") == ["ex-ku-med"]


def test_search_follows_renames_and_new_aliases(loaded):
    loaded.conn.execute("insert into institution_names (institution, name, kind, name_folded) values ('ku', 'KU', 'acronym', 'ku')")
    loaded.conn.execute("update institutions set name = 'Copenhagen University' where id = 'ku'")
    hits = loaded.conn.execute("select rowid from institutions_fts where institutions_fts match 'KU'").fetchall()
    assert hits == loaded.conn.execute("select rowid from institutions where id = 'ku'").fetchall()
    assert not store.search_index_stale(loaded)


def test_views_summarise_agreements_and_partners(loaded):
    overview = {r["id"]: r for r in loaded.query("select * from agreement_overview")}
    ku = overview["ex-ku-med"]
    assert (ku["partners"], ku["countries"], ku["programmes"], ku["teacher_mobility"]) == (
        "University of Copenhagen", "DK", "Medicine", "yes")
    assert (ku["places_out"], ku["places_in"]) == (5, 3)
    assert 55 <= ku["days_until_end"] <= 60
    assert overview["ex-lodz-nursing"]["teacher_mobility"] == "no"
    partners = {r["id"]: r for r in loaded.query("select * from partner_overview")}
    assert "lund-university" not in partners
    assert partners["uq"]["networks"] == "U21 HSG"
    assert partners["ku"]["networks"] is None  # membership ended in 2020
    assert partners["uq"]["active_agreements"] == 1 and partners["uq"]["agreement_kinds"] == "joint_phd"


def test_backup_is_a_complete_copy(loaded, tmp_path):
    copy = store.backup(loaded, tmp_path / "copy.db")
    other = store.connect(copy)
    assert count(other, "select count(*) from agreements") == 5
    assert verify(other) == []
    with pytest.raises(FileExistsError):
        store.backup(loaded, copy)


def test_the_library_logs_its_writes_exactly_as_the_triggers_log_anyone_elses(registry_db, tmp_path):
    records = portfolio()
    store.write_records(registry_db, records, actor="same", source="same")
    by_library = registry_db.conn.execute(
        "select table_name, row_key, record_id, operation, before, after, actor, source from changes order by table_name, row_key").fetchall()

    other = store.connect(tmp_path / "other.db")
    store.ensure_schema(other)
    plan = store.plan_changes(other, records)
    with store.transaction(other, actor="same", source="same"):
        for change in plan.changes:  # plain INSERTs, so the triggers do the logging
            spec = store.specs()[change.table]
            row = store.encode(spec, change.after)
            other.conn.execute(
                f'insert into "{change.table}" ({", ".join(row)}) values ({", ".join("?" for _ in row)})', list(row.values()))
    by_triggers = other.conn.execute(
        "select table_name, row_key, record_id, operation, before, after, actor, source from changes order by table_name, row_key").fetchall()
    assert len(by_library) == len(plan.changes) > 30
    assert by_library == by_triggers


def test_a_large_pause_freezes_its_survivors_and_they_are_still_freed():
    class Box:
        pass

    frozen_before = gc.get_freeze_count()
    with store.gc_paused():
        boxes = [Box() for _ in range(store.FREEZE_AFTER_OBJECTS + 10)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(boxes)
    probe = weakref.ref(boxes[0])
    del boxes
    assert probe() is None  # reference counting still frees frozen objects

    frozen_before = gc.get_freeze_count()
    with store.gc_paused():
        small = [Box() for _ in range(100)]
    assert gc.get_freeze_count() == frozen_before and small


def test_an_index_the_models_no_longer_declare_is_reported_and_migrate_drops_it(tmp_path):
    db = store.connect(tmp_path / "old.db")
    store.ensure_schema(db)
    db.conn.execute('DROP INDEX "idx_agreements_status_ends_on_id_kind"')
    db.conn.execute('CREATE INDEX "idx_agreements_status" ON agreements(status)')  # as files made before had it
    drifted = {(p.code, p.where) for p in verify(db)}
    assert ("schema-drift", "index idx_agreements_status") in drifted
    assert ("schema-drift", "index idx_agreements_status_ends_on_id_kind") in drifted
    store.migrate(db)
    indexes = {name for (name,) in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'agreements'")}
    assert "idx_agreements_status" not in indexes and "idx_agreements_status_ends_on_id_kind" in indexes
    assert "idx_agreements_kind_title_id" in indexes
    assert verify(db) == []
