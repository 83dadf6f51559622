"""Schema versions and 'registry migrate', on real files: the one the release of 2026-12-05 made
(tests/data), and files made by today's models and then opened by changed ones (a spec patched
the way a changed model would make it)."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import db as store
from registry import schema
from registry.cli import cli
from registry.db import upkeep
from registry.db.versions import SCHEMA_FINGERPRINTS, SCHEMA_VERSION
from registry.importers import seed
from registry.integrity import verify
from registry.models import Programme
from tests.conftest import TEST_DATA

OLD_FILE = TEST_DATA / "registry-2026-12-05.db"
RECORDS = TEST_DATA / "registry-2026-12-05.yml"


def test_a_schema_change_cannot_land_without_a_new_version():
    fingerprint = store.schema_fingerprint()
    assert fingerprint == SCHEMA_FINGERPRINTS[-1], (
        "the models' schema changed: append this fingerprint to SCHEMA_FINGERPRINTS in registry/db/versions.py "
        f"(it becomes schema {SCHEMA_VERSION + 1}), with a comment saying what changed: {fingerprint!r}"
    )
    assert len(set(SCHEMA_FINGERPRINTS)) == len(SCHEMA_FINGERPRINTS)


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '%_fts_%'")]
    figures = {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
    conn.close()
    return figures


def schema_sql(path_or_conn) -> dict[tuple[str, str], str]:
    conn = sqlite3.connect(path_or_conn) if isinstance(path_or_conn, Path) else path_or_conn
    found = upkeep.master(conn)
    if isinstance(path_or_conn, Path):
        conn.close()
    return found


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "office.db"
    shutil.copyfile(OLD_FILE, path)
    return path


def test_the_file_of_2026_12_05_is_refused_until_migrated_then_matches_a_fresh_registry(old_file, tmp_path):
    before = counts(old_file)
    assert before["agreements"] == 2 and before["changes"] > 0
    checked = run("verify", "--db", str(old_file))
    assert checked.exit_code == 1 and "registry migrate" in checked.output and "[schema-version]" in checked.output
    for command in (["stats"], ["history", "ex-2019-copenhagen-med"], ["load", str(RECORDS)], ["init"], ["export"]):
        result = run(*command, "--db", str(old_file))
        assert result.exit_code == 1, command
        assert "registry migrate" in result.output and "schema 0" in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1

    result = run("migrate", "--db", str(old_file))
    assert result.exit_code == 0, result.output
    backup = tmp_path / "office.schema-0-backup.db"
    assert f"backed up {old_file} to {backup}" in result.output
    assert counts(backup) == before and sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == 0

    after = counts(old_file)
    # every row carried over; the audit log tells of the medical faculties derived (below)
    assert {table: after[table] for table in before} == before | {"changes": before["changes"] + 2}
    # rebuilt tables and indexes come with fresh planner statistics (without them a list that
    # takes a millisecond took seconds at 200,000 agreements)
    analysed = {row[0] for row in sqlite3.connect(old_file).execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
    assert {"agreements", "institutions", "agreement_parties", "changes"} <= analysed, analysed
    logged = sqlite3.connect(old_file).execute("SELECT count(*) FROM changes WHERE source = 'migrate: medical faculty derived'")
    assert logged.fetchone()[0] == 2
    # tables new since then are empty, but for the codes in words, derived from the code (registry.db.vocabulary)
    assert all(after[table] == 0 for table in after.keys() - before.keys() - {"labels"})
    assert after["labels"] > 250  # every country, every kind
    # the new medical-faculty field is filled as a new record's would be: from ROR's units
    medical = dict(sqlite3.connect(old_file).execute("SELECT id, medical_faculty FROM institutions"))
    assert medical == {"lund-university": 1, "university-of-copenhagen": 1}
    fresh = tmp_path / "fresh.db"
    assert run("init", "--no-reference", "--db", str(fresh)).exit_code == 0
    assert schema_sql(old_file) == schema_sql(fresh)
    assert sqlite3.connect(old_file).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    result = run("verify", "--db", str(old_file))
    assert result.exit_code == 0 and "no problems" in result.output
    assert "agreements" in run("stats", "--db", str(old_file)).output
    # the record's history from the old release is still there
    assert "insert agreements/ex-2019-copenhagen-med" in run("history", "ex-2019-copenhagen-med", "--db", str(old_file)).output
    again = run("migrate", "--db", str(old_file))
    assert again.exit_code == 0 and "is up to date" in again.output


def test_a_dry_run_tries_every_row_and_leaves_the_file_as_it_was(old_file, tmp_path):
    original = old_file.read_bytes()
    result = run("migrate", "--db", str(old_file), "--dry-run")
    assert result.exit_code == 0 and "dry run: would migrate" in result.output
    assert old_file.read_bytes() == original
    assert not list(tmp_path.glob("*backup*"))


def test_a_file_from_a_newer_release_is_refused(registry_path):
    conn = sqlite3.connect(registry_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    for command in (["stats"], ["migrate"], ["verify"], ["init"]):
        result = run(*command, "--db", str(registry_path))
        assert result.exit_code == 1, command
        assert f"made by a newer release, schema {SCHEMA_VERSION + 3}; this is {SCHEMA_VERSION}" in result.output


def test_verify_names_a_table_whose_definition_drifts_from_the_models(registry_path):
    conn = sqlite3.connect(registry_path)
    conn.executescript("""
        PRAGMA foreign_keys = OFF;
        PRAGMA legacy_alter_table = ON;
        CREATE TABLE programmes_loose (id TEXT PRIMARY KEY, name_sv TEXT, name_en TEXT, cycle TEXT, credits REAL,
          mobility_window TEXT, virtual_exchange INTEGER, english_components INTEGER, cim_activities INTEGER, notes TEXT);
    """)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(programmes)")]
    conn.executescript(f"""
        DROP TABLE programmes_loose;
        CREATE TABLE programmes_loose ({', '.join(f'"{c}"' for c in columns)}, PRIMARY KEY (id));
        DROP TABLE programmes;
        ALTER TABLE programmes_loose RENAME TO programmes;
    """)
    conn.close()
    db = store.connect(registry_path, create=False)
    problems = [p for p in verify(db) if p.code == "schema-drift"]
    assert any(p.where == "table programmes" and "constraints or defaults differ" in p.message for p in problems)
    store.migrate(db)
    assert verify(db) == []
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("INSERT INTO programmes (id, name_en, cycle) VALUES ('x', 'X', 'fourth')")


# --- a changed model, simulated by patching its spec ------------------------------------------------


@contextmanager
def changed_model(table: str, change):
    """The store sees table's spec as change(spec) makes it, as if its model had been edited."""
    specs = store.specs()
    original = specs[table]
    specs[table] = change(original)
    upkeep.reference.cache_clear()
    try:
        yield specs[table]
    finally:
        specs[table] = original
        upkeep.reference.cache_clear()


def with_column(spec, column, **changes):
    columns = [dataclasses.replace(c, **changes) if c.name == column else c for c in spec.columns]
    return dataclasses.replace(spec, columns=columns)


@pytest.fixture
def loaded_file(registry_path: Path) -> Path:
    """A file made by today's models with the example records, closed (so its bytes are final)."""
    db = store.connect(registry_path)
    seed.load(db, [RECORDS])
    db.conn.close()
    return registry_path


def migrate_file(path: Path, **options) -> store.Migration:
    db = store.connect(path, create=False)
    try:
        return store.migrate(db, **options)
    finally:
        db.conn.close()


def agreements(path: Path, *columns: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    rows = conn.execute(f"SELECT id, {', '.join(columns)} FROM agreements ORDER BY id").fetchall()
    conn.close()
    return rows


def test_an_added_enum_value_migrates_every_row_and_the_new_value_is_then_allowed(loaded_file):
    before, rows = counts(loaded_file), agreements(loaded_file, "status", "title")
    def widen(spec):
        return with_column(spec, "status", enum_values=spec.column("status").enum_values + ("paused",))

    with changed_model("agreements", widen):
        result = migrate_file(loaded_file)
        assert [t.table for t in result.tables] == ["agreements"] and result.tables[0].rows == 2
        assert schema_sql(loaded_file) == schema_sql(upkeep.reference())
    assert counts(loaded_file) == before and agreements(loaded_file, "status", "title") == rows
    conn = sqlite3.connect(loaded_file)
    conn.execute("UPDATE agreements SET status = 'paused' WHERE id = 'ex-2024-copenhagen-draft'")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("UPDATE agreements SET status = 'dormant' WHERE id = 'ex-2024-copenhagen-draft'")


def test_a_new_constrained_column_with_a_default_fills_every_row_and_keeps_its_check(loaded_file):
    before, rows = counts(loaded_file), agreements(loaded_file, "status", "title", "starts_on")

    def add_priority(spec):
        priority = schema.Column("priority", "enum", nullable=False, default="normal",
                                       enum_values=("low", "normal", "high"))
        return dataclasses.replace(spec, columns=[*spec.columns, priority])

    with changed_model("agreements", add_priority):
        result = migrate_file(loaded_file)
        assert result.tables[0].added == ["priority"]
        assert schema_sql(loaded_file) == schema_sql(upkeep.reference())
    assert counts(loaded_file) == before
    assert agreements(loaded_file, "status", "title", "starts_on") == rows
    assert {row[1] for row in agreements(loaded_file, "priority")} == {"normal"}
    conn = sqlite3.connect(loaded_file)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("UPDATE agreements SET priority = 'urgent'")


def test_a_renamed_required_field_takes_the_old_columns_values(loaded_file):
    before = counts(loaded_file)
    def rename(spec):
        return with_column(spec, "name_sv", name="name_local", renamed_from=("name_sv",))

    with changed_model("programmes", rename):
        result = migrate_file(loaded_file)
        assert result.tables[0].renamed == {"name_local": "name_sv"}
        assert schema_sql(loaded_file) == schema_sql(upkeep.reference())
    assert counts(loaded_file) == before
    conn = sqlite3.connect(loaded_file)
    assert conn.execute("SELECT id, name_local FROM programmes").fetchall() == [("medicine", "Läkarprogrammet")]


def test_a_required_field_with_no_old_name_stops_naming_table_row_and_field(loaded_file):
    original = loaded_file.read_bytes()
    def rename(spec):
        return with_column(spec, "name_sv", name="name_local")  # renamed, but not declared so

    with changed_model("programmes", rename), pytest.raises(store.MigrationRefused, match="table programmes, row medicine: field name_local is required"):
        migrate_file(loaded_file)
    assert loaded_file.read_bytes() == original
    assert not list(loaded_file.parent.glob("*backup*"))


def test_a_value_the_new_model_refuses_stops_the_migration_and_leaves_the_file_byte_identical(loaded_file):
    original = loaded_file.read_bytes()
    def narrow(spec):
        return with_column(spec, "status", enum_values=tuple(v for v in spec.column("status").enum_values if v != "draft"))

    with changed_model("agreements", narrow):
        result = run("migrate", "--db", str(loaded_file))
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1
    assert "table agreements, row ex-2024-copenhagen-draft, field status (value 'draft')" in message
    assert "the file is unchanged" in message
    assert loaded_file.read_bytes() == original
    assert not list(loaded_file.parent.glob("*backup*"))


def test_values_no_model_keeps_are_not_dropped_unless_asked(loaded_file):
    original = loaded_file.read_bytes()
    def drop(spec):
        return dataclasses.replace(spec, columns=[c for c in spec.columns if c.name != "coordinator"])

    with changed_model("agreements", drop):
        with pytest.raises(store.MigrationRefused, match=r"table agreements, field coordinator: 1 row\(s\) hold values"):
            migrate_file(loaded_file)
        assert loaded_file.read_bytes() == original
        result = migrate_file(loaded_file, discard=("agreements.coordinator",))
        assert result.tables[0].discarded == ["coordinator"]
    assert counts(loaded_file)["agreements"] == 2
    backup = next(loaded_file.parent.glob("*backup*"))
    assert sqlite3.connect(backup).execute("SELECT coordinator FROM agreements WHERE coordinator IS NOT NULL").fetchall()


def test_a_migration_that_fails_half_way_leaves_the_file_byte_identical(old_file, monkeypatch):
    original = old_file.read_bytes()

    def broken(conn):
        conn.execute("CREATE TABLE half_way (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("registry.db.migrations.create_derived", broken)
    result = run("migrate", "--db", str(old_file))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert old_file.read_bytes() == original
    conn = sqlite3.connect(old_file)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_way'").fetchone()[0] == 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).map(str.strip).filter(bool)
_programmes = st.lists(
    st.builds(
        dict,
        id=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
        name_en=_text, name_sv=_text,
        cycle=st.sampled_from(["first", "second", "third"]),
        credits=st.none() | st.floats(min_value=0, max_value=600, allow_nan=False),
        mobility_window=st.none() | _text,
        virtual_exchange=st.booleans(),
    ),
    min_size=1, max_size=12, unique_by=lambda row: row["id"],
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_programmes)
def test_every_value_survives_a_rebuild_with_a_rename_a_new_enum_value_and_a_new_column(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("property") / "registry.db"
    db = store.connect(path)
    store.ensure_schema(db)
    store.write_records(db, [Programme(**row) for row in rows], actor="test")
    stored = {row[0]: row for row in db.conn.execute(
        "SELECT id, name_en, name_sv, cycle, credits, mobility_window, virtual_exchange FROM programmes")}
    logged = db.conn.execute("SELECT * FROM changes ORDER BY id").fetchall()
    db.conn.close()

    def change(spec):
        spec = with_column(spec, "name_sv", name="name_local", renamed_from=("name_sv",))
        spec = with_column(spec, "cycle", enum_values=spec.column("cycle").enum_values + ("fourth",))
        flag = schema.Column("accredited", "bool", nullable=False, default=True)
        return dataclasses.replace(spec, columns=[*spec.columns, flag])

    with changed_model("programmes", change):
        migrate_file(path)
        assert schema_sql(path) == schema_sql(upkeep.reference())
    conn = sqlite3.connect(path)
    migrated = {row[0]: row[:-1] for row in conn.execute(
        "SELECT id, name_en, name_local, cycle, credits, mobility_window, virtual_exchange, accredited FROM programmes")}
    assert migrated == stored
    assert {row[0] for row in conn.execute("SELECT accredited FROM programmes")} == {1}
    assert conn.execute("SELECT * FROM changes ORDER BY id").fetchall() == logged  # the audit log, whole


def test_a_model_declares_a_renamed_field_by_marker_or_by_field_extra():
    from typing import Annotated

    from pydantic import BaseModel, Field

    from registry.schema_types import RenamedFrom

    class Renamed(BaseModel):
        name_local: Annotated[str, RenamedFrom("name_sv", "name_native")]
        title: str = Field(json_schema_extra={"renamed_from": "heading"})

    columns = {name: schema._column(name, info) for name, info in Renamed.model_fields.items()}
    assert columns["name_local"].renamed_from == ("name_sv", "name_native")
    assert columns["title"].renamed_from == ("heading",)
