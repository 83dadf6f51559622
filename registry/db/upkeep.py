"""Schema upkeep: create or bring up to date every table, index, trigger, search index and view."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from registry import schema, views
from registry.db.connection import connect, specs, split_sql, transaction


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create or bring up to date every table, index, trigger, search index and view."""
    conn = db.conn
    with transaction(db, actor=None, source="schema"):
        for spec in specs().values():
            conn.execute(schema.create_table_sql(spec))
            existing = {row[1] for row in conn.execute(f"PRAGMA table_info({schema.quote(spec.name)})")}
            for column in spec.columns:
                if column.name not in existing:  # a column added to a model after the file was made
                    conn.execute(
                        f"ALTER TABLE {schema.quote(spec.name)} ADD COLUMN {schema.quote(column.name)} {column.sql_type}"
                    )
            for statement in schema.index_sql(spec):
                conn.execute(statement)
            _drop_undeclared_indexes(conn, spec)
        for statement in split_sql(schema.AUDIT_SQL):
            conn.execute(statement)
        context_columns = {row[1] for row in conn.execute(f"PRAGMA table_info({schema.AUDIT_CONTEXT_TABLE})")}
        if "logged_by_caller" not in context_columns:  # files made before the library logged in bulk
            conn.execute(f"ALTER TABLE {schema.AUDIT_CONTEXT_TABLE} ADD COLUMN logged_by_caller INTEGER NOT NULL DEFAULT 0")
        for spec in specs().values():
            for suffix in ("insert", "update", "delete"):
                conn.execute(f'DROP TRIGGER IF EXISTS "audit_{spec.name}_{suffix}"')
            for statement in schema.audit_trigger_sql(spec) if spec.record.audited else []:
                conn.execute(statement)
        _recreate_rule_triggers(conn)
        for statement in split_sql(schema.SEARCH_SQL):
            conn.execute(statement)
        for statement in split_sql(views.create_views_sql()):
            conn.execute(statement)
        if search_index_stale(db):
            rebuild_search(db)


def _recreate_rule_triggers(conn: sqlite3.Connection) -> None:
    """Made anew each time: a rule's limits come from data/criteria.yml and may have changed."""
    prefix = schema.RULE_TRIGGER_PREFIX.replace("_", "\\_")
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? ESCAPE '\\'", [prefix + "%"]
    ).fetchall():
        conn.execute(f"DROP TRIGGER {schema.quote(name)}")
    for spec in specs().values():
        for statement in schema.rule_trigger_sql(spec):
            conn.execute(statement)


def _drop_undeclared_indexes(conn: sqlite3.Connection, spec: schema.TableSpec) -> None:
    """An index a model no longer declares (one widened into a composite, say) would linger
    in files made before, and SQLite may pick it, without statistics, over the one meant."""
    declared = schema.declared_indexes(spec)
    prefix = f"idx_{spec.name}_"
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", [spec.name]).fetchall():
        if name.startswith(prefix) and name not in declared:
            conn.execute(f"DROP INDEX {schema.quote(name)}")



def search_index_stale(db: sqlite_utils.Database) -> bool:
    conn = db.conn
    for fts_table, table in schema.SEARCH_TABLES.items():
        missing = conn.execute(
            f"SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM {fts_table} f WHERE f.rowid = t.rowid)"
        ).fetchone()[0]
        extra = conn.execute(f"SELECT count(*) FROM {fts_table}").fetchone()[0] - conn.execute(
            f"SELECT count(*) FROM {table}"
        ).fetchone()[0]
        if missing or extra:
            return True
    return False


def rebuild_search(db: sqlite_utils.Database) -> None:
    for statement in split_sql(schema.REBUILD_SEARCH_SQL):
        db.conn.execute(statement)


def open_registry(path: str | Path | None = None, *, create: bool = False) -> sqlite_utils.Database:
    """The registry at ``path`` (``REGISTRY_DB`` or registry.db by default), its schema brought up
    to date; ``NoRegistry`` when there is no file there, unless ``create``."""
    db = connect(path, create=create)
    ensure_schema(db)
    return db
