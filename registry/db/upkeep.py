"""Schema upkeep: the statements a registry is made of, its version, and how a file differs from them.

A new file gets every table, index, trigger, search index and view, and the schema version
(``versions.py``). An existing file is only read here: one of an earlier version is brought up
to date by ``registry migrate`` (``migrations.py``), never silently on opening, so that a
read-only file opens and an old file is backed up before anything changes.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from registry import clock, schema, views
from registry.db import vocabulary
from registry.db.connection import StoreError, connect, file_path, specs, split_sql, transaction
from registry.db.maintenance import require_intact
from registry.db.versions import SCHEMA_VERSION


class OlderSchema(StoreError):
    """The file was made by an earlier release: 'registry migrate' brings it up to date."""


class NewerSchema(StoreError):
    """The file was made by a later release than this one."""


class NotARegistry(StoreError):
    """A SQLite file that is not a registry."""


def schema_tables() -> dict[str, str]:
    """Every table of a registry (the models' and the audit log's): name -> CREATE TABLE."""
    tables = {spec.name: schema.create_table_sql(spec) for spec in specs().values()}
    for statement in split_sql(schema.AUDIT_SQL):
        if statement.upper().startswith("CREATE TABLE"):
            name = statement.split("EXISTS", 1)[1].split("(", 1)[0].strip().strip('"')
            tables[name] = statement
    return tables


def schema_derived() -> list[str]:
    """Everything made from the tables, in order: indexes, audit and search triggers, search
    tables, views, and the audit context's one row."""
    statements = [statement for spec in specs().values() for statement in schema.index_sql(spec)]
    statements += [s for s in split_sql(schema.AUDIT_SQL) if not s.upper().startswith("CREATE TABLE")]
    statements += [s for spec in specs().values() if spec.record.audited for s in schema.audit_trigger_sql(spec)]
    # the models' rules SQL can state (a review not dated ahead, a waiver within its limit)
    statements += [s for spec in specs().values() for s in schema.rule_trigger_sql(spec)]
    statements += split_sql(schema.SEARCH_SQL)
    statements += [s for s in split_sql(views.create_views_sql()) if not s.upper().startswith("DROP")]
    return statements


def schema_fingerprint() -> str:
    """A hash of every statement the schema is made of: it changes with any model change, and
    not with the order the model modules happen to be imported in."""
    text = "\n;\n".join(sorted([*schema_tables().values(), *schema_derived()]))
    return hashlib.sha256(text.encode()).hexdigest()


def create_schema(conn: sqlite3.Connection) -> None:
    """Make every table and derived object of a new registry, and record the schema version."""
    for statement in schema_tables().values():
        conn.execute(statement)
    vocabulary.fill(conn)
    create_derived(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def create_derived(conn: sqlite3.Connection) -> None:
    for statement in schema_derived():
        conn.execute(statement)


def file_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _names(conn: sqlite3.Connection, kind: str = "table") -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'", [kind])}


def check_registry(conn: sqlite3.Connection, *, same_version: bool = True) -> int:
    """The file's schema version, after making sure it is a registry (and, with
    ``same_version``, one of this release's version); else a one-line error."""
    path = file_path(conn) or "the registry"
    tables = _names(conn)
    if schema.AUDIT_TABLE not in tables or "agreements" not in tables:
        if "publication" in tables:
            raise NotARegistry(f"{path} is a public copy written by 'registry publish', not the registry: pass the registry with --db")
        raise NotARegistry(f"{path} is a SQLite database but not a registry (it has no agreements or changes table): check --db")
    version = file_version(conn)
    if version > SCHEMA_VERSION:
        raise NewerSchema(f"{path} was made by a newer release, schema {version}; this is {SCHEMA_VERSION}: "
                          "use that release (or a newer one) with it")
    if same_version and version < SCHEMA_VERSION:
        raise OlderSchema(f"{path} was made by an earlier release (schema {version}; this release uses {SCHEMA_VERSION}): "
                          f"run 'registry migrate --db {path}' to bring it up to date (it backs the file up first)")
    return version


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Make the schema in a new (empty) file; check that an existing file is a registry of this
    release's schema version. Never writes to an existing registry."""
    conn = db.conn
    if not _names(conn) and not _names(conn, "view"):
        with transaction(db, actor=None, source="schema"):
            create_schema(conn)
        return
    check_registry(conn)


def open_registry(path: str | Path | None = None, *, create: bool = False, read_only: bool = False,
                  intact: bool = False) -> sqlite_utils.Database:
    """The registry at ``path`` (``REGISTRY_DB`` or registry.db by default; ``NoRegistry`` when
    there is no file there, unless ``create``): made when ``create`` and new, refused with one line when it is
    not a registry of this release's schema (or, with ``intact``, when SQLite finds it damaged).
    ``read_only`` for commands that only read: they work on a file nobody may write."""
    db = connect(path, create=create, read_only=read_only)
    try:
        ensure_schema(db)
        if intact:
            require_intact(db)
    except BaseException:
        db.conn.close()
        raise
    return db


# --- how a file differs from the schema the models make ------------------------------------------


@lru_cache(maxsize=1)
def reference() -> sqlite3.Connection:
    """A fresh registry in memory: what every file of this release must look like."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    clock.register_sql(conn)
    create_schema(conn)
    return conn


def master(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """(type, name) -> SQL of every object SQLite keeps the SQL of (not its own internals)."""
    return {
        (kind, name): sql
        for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        )
    }


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_xinfo({schema.quote(table)})")]


@dataclass(frozen=True)
class Drift:
    kind: str  # table, index, trigger, view
    name: str
    problem: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.problem}"


def drift(conn: sqlite3.Connection) -> list[Drift]:
    """Every object of the file whose definition differs from the models', is missing, or that
    no model declares."""
    expected, found = master(reference()), master(conn)
    differences = []
    for (kind, name), sql in expected.items():
        if (kind, name) not in found:
            differences.append(Drift(kind, name, "missing"))
        elif found[(kind, name)] != sql:
            differences.append(Drift(kind, name, _how_it_differs(conn, kind, name)))
    for kind, name in found:
        if (kind, name) not in expected:
            differences.append(Drift(kind, name, "not declared by any model"))
    return differences


def _how_it_differs(conn: sqlite3.Connection, kind: str, name: str) -> str:
    if kind != "table":
        return "its definition differs from the models'"
    want, have = columns(reference(), name), columns(conn, name)
    parts = []
    if missing := [c for c in want if c not in have]:
        parts.append("lacks " + ", ".join(missing))
    if extra := [c for c in have if c not in want]:
        parts.append("has " + ", ".join(extra) + " that no model declares")
    return "; ".join(parts) if parts else "its types, constraints or defaults differ from the models'"


def search_index_stale(db: sqlite_utils.Database) -> bool:
    """Whether a search table misses a row of its table or holds rows of none. Read from its
    ``_docsize`` shadow table, which FTS5 keeps one row for each indexed row in, keyed by its
    rowid: a plain B-tree lookup a row instead of one through the FTS5 module (at 200,000
    agreements 0.11 s of CPU instead of 0.97 s)."""
    conn = db.conn
    for fts_table, table in schema.SEARCH_TABLES.items():
        sizes = schema.quote(f"{fts_table}_docsize")
        missing = conn.execute(
            f"SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM {sizes} d WHERE d.id = t.rowid)"
        ).fetchone()[0]
        extra = conn.execute(f"SELECT count(*) FROM {sizes}").fetchone()[0] - conn.execute(
            f"SELECT count(*) FROM {table}"
        ).fetchone()[0]
        if missing or extra:
            return True
    return False


def rebuild_search(db: sqlite_utils.Database) -> None:
    for statement in split_sql(schema.REBUILD_SEARCH_SQL):
        db.conn.execute(statement)


# Rows per index the statistics are estimated from: exact enough to plan by, and seconds, not a
# minute, over the millions of rows of a large registry.
ANALYSIS_ROWS = 100_000


def refresh_statistics(conn: sqlite3.Connection, tables: Iterable[str] | None = None) -> None:
    """Fresh query-planner statistics (``ANALYZE``), estimated from ``ANALYSIS_ROWS`` rows per
    index; of ``tables`` of the main database only, when given (search tables' shadow tables are
    only ever read by key, and counting their rows costs more than the rest)."""
    conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_ROWS}")
    try:
        for target in ([None] if tables is None else tables):
            conn.execute("ANALYZE" if target is None else f"ANALYZE main.{schema.quote(target)}")
    finally:
        conn.execute("PRAGMA analysis_limit = 0")
