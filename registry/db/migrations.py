"""Bring a registry file made by an earlier release to this release's schema, in one transaction.

The schema is declared by the models, not by a list of steps, so a migration is worked out by
comparing the file with a fresh registry (``upkeep.reference``): each table whose definition
differs is rebuilt from the models' own CREATE TABLE (its CHECKs, enums, foreign keys and
defaults) and every row carried over, a field declared ``RenamedFrom`` taking the old column's
values; triggers and views are made anew, and indexes, the search index and statistics only
where they changed or their table was rebuilt (``migration_plan``). This is SQLite's own recipe
for a change ALTER TABLE cannot make (https://sqlite.org/lang_altertable.html, "other kinds of
table schema changes"). sqlite-utils' ``table.transform()`` follows the same recipe but keeps the
old CHECKs and cannot add the models' new ones, and ``sqlite-migrate`` records hand-written steps;
neither can rebuild a table to a declared definition, so neither is used.

A row the new definition refuses (a value the changed model no longer allows, a required field
with no value) stops the migration with the table, row and field named, and the file is left
exactly as it was. Values of a column no model keeps are not dropped unless asked to.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import sqlite_utils

from registry import schema
from registry.db import vocabulary
from registry.db.connection import StoreError, begin_write, file_path, map_for_reading, specs
from registry.db.maintenance import backup, require_intact
from registry.db.migration_plan import Plan, index_table, plan
from registry.db.upkeep import (
    NotARegistry,
    check_registry,
    columns,
    create_derived,
    drift,
    file_version,
    master,
    rebuild_search,
    reference,
    refresh_statistics,
)
from registry.db.versions import SCHEMA_VERSION
from registry.models.health import health_evidence


class MigrationRefused(StoreError):
    """A row or value the migration cannot carry; nothing was changed."""


@dataclass
class TableMigration:
    table: str
    action: str  # create, rebuild
    rows: int = 0
    renamed: dict[str, str] = field(default_factory=dict)  # new column -> old column
    added: list[str] = field(default_factory=list)  # new columns, filled with their default
    discarded: list[str] = field(default_factory=list)  # old columns no model keeps

    def __str__(self) -> str:
        if self.action == "create":
            return f"{self.table}: new table"
        parts = [f"{self.rows} row(s) carried over"]
        parts += [f"{old} -> {new}" for new, old in self.renamed.items()]
        if self.added:
            parts.append("new: " + ", ".join(self.added))
        if self.discarded:
            parts.append("dropped: " + ", ".join(self.discarded))
        return f"{self.table}: rebuilt ({'; '.join(parts)})"


@dataclass
class Migration:
    path: str
    from_version: int
    to_version: int
    tables: list[TableMigration] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # tables no model declares, left as they are
    indexes: list[str] = field(default_factory=list)  # made anew: new, defined otherwise, or of a rebuilt table
    search: list[str] = field(default_factory=list)  # why the search index was rebuilt; empty: kept as it was
    analysed: list[str] = field(default_factory=list)  # tables and indexes whose statistics were refreshed
    checked: list[str] = field(default_factory=list)  # tables whose references were checked
    backup: Path | None = None
    dry_run: bool = False

    @property
    def changes_anything(self) -> bool:
        made = bool(self.tables or self.indexes or self.search)
        return self.backup is not None or self.dry_run and (made or self.from_version != self.to_version)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "from_version": self.from_version, "to_version": self.to_version,
            "tables": [vars(t) for t in self.tables], "kept": self.kept, "indexes": self.indexes,
            "search": self.search, "analysed": self.analysed, "checked": self.checked,
            "backup": str(self.backup) if self.backup else None, "dry_run": self.dry_run,
        }


def backup_path(path: Path, version: int) -> Path:
    """registry.db -> registry.schema-0-backup.db (then -2, -3 ... beside an earlier one)."""
    candidate = path.with_name(f"{path.stem}.schema-{version}-backup{path.suffix or '.db'}")
    number = 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}.schema-{version}-backup-{number}{path.suffix or '.db'}")
    return candidate


def migrate(db: sqlite_utils.Database, *, dry_run: bool = False, discard: tuple[str, ...] = ()) -> Migration:
    """Bring the registry to this release's schema. ``dry_run`` migrates a copy in memory (so
    every row is tried) and leaves the file alone; otherwise the file is first backed up beside
    itself. ``discard`` names columns ('table.column') whose values may be dropped."""
    conn = db.conn
    path = Path(file_path(conn) or "registry.db")
    # The quick check and the backup read the whole file: through a memory map, not a system call
    # a page; unmapped again before the migration writes (map_for_reading is for reading only).
    map_for_reading(conn)
    try:
        require_intact(db)
        version = check_registry(conn, same_version=False)
        result = Migration(str(path), version, SCHEMA_VERSION, dry_run=dry_run)
        todo, planned_at = plan(conn), _data_version(conn)
        if version == SCHEMA_VERSION and not drift(conn) and not todo.search:
            return result
        if dry_run:
            work = sqlite3.connect(":memory:", isolation_level=None)
            conn.backup(work)
            if _data_version(conn) != planned_at:  # another connection wrote before the copy was taken
                todo = plan(work)
        else:
            result.backup = backup(db, backup_path(path, version), checked=True)  # require_intact, above
            work = conn
    finally:
        conn.execute("PRAGMA mmap_size = 0")
    try:
        _migrate(work, result, todo, None if dry_run else planned_at, set(discard))
    except BaseException:
        if result.backup:  # the file is as it was: a second copy of it would only confuse
            result.backup.unlink(missing_ok=True)
        raise
    finally:
        if work is not conn:
            work.close()
    return result


def _data_version(conn: sqlite3.Connection) -> int:
    """Changes when another connection commits to the file (SQLite's ``PRAGMA data_version``)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def _migrate(conn: sqlite3.Connection, result: Migration, todo: Plan, planned_at: int | None, discard: set[str]) -> None:
    """Rebuild in one transaction with foreign keys off (SQLite's recipe), checked before commit.
    ``todo`` was planned off ``conn`` when its data version was ``planned_at`` (None: off this very
    copy); it is planned again, under the write lock, if another connection wrote since."""
    if conn.in_transaction:
        raise StoreError("a migration runs in a transaction of its own; finish the open one first")
    conn.execute("PRAGMA foreign_keys = OFF")  # cannot change inside a transaction
    try:
        begin_write(conn)
        try:
            if planned_at is not None and _data_version(conn) != planned_at:
                todo = plan(conn)
            written = _Written()
            conn.set_authorizer(written)
            try:
                _rebuild(conn, result, todo, discard)
            finally:
                conn.set_authorizer(None)
            # a table whose unique index was made anew may no longer serve as a parent key
            changed = written.tables | set(todo.tables) | set(todo.indexes.values())
            result.checked = _check_references(conn, changed)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


class _Written:
    """An authorizer that hears of every table of the main database a statement writes, those
    its triggers write included (SQLite asks when it prepares a statement, and prepares anew
    every statement prepared before it was set). It stands in for any other authorizer of the
    connection while the migration runs (``api.migrate`` opens a connection of its own)."""

    WRITES = (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE)

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self, action: int, table: str | None, _column: str | None, database: str | None, _source: str | None) -> int:
        if action in self.WRITES and database == "main" and table:
            self.tables.add(table)
        return sqlite3.SQLITE_OK


def _rebuild(conn: sqlite3.Connection, result: Migration, todo: Plan, discard: set[str]) -> None:
    """Make anew what ``migration_plan.plan`` found changed (the caller checks the references)."""
    expected = master(reference())
    found = master(conn)
    # Triggers and views name the tables being rebuilt and hold no data: all go first and are made anew.
    for kind, name in list(found):
        if kind in ("trigger", "view"):
            conn.execute(f"DROP {kind.upper()} IF EXISTS {schema.quote(name)}")
    if todo.search:  # dropped whole: emptying a search table row by row costs as much as filling it
        for (kind, name), sql in found.items():
            if kind == "table" and sql.upper().startswith("CREATE VIRTUAL") and name in todo.search_tables:
                conn.execute(f"DROP TABLE {schema.quote(name)}")
    for name in todo.indexes:
        conn.execute(f"DROP INDEX IF EXISTS {schema.quote(name)}")
    found = master(conn)
    for name in todo.tables:
        sql = expected[("table", name)]
        if ("table", name) not in found:
            conn.execute(sql)
            result.tables.append(TableMigration(name, "create"))
        else:
            result.tables.append(_rebuild_table(conn, name, sql, discard))
    wanted_tables = {name for kind, name in expected if kind == "table"}
    result.kept = sorted(name for kind, name in master(conn) if kind == "table" and name not in wanted_tables)
    vocabulary.fill(conn)  # the words search and the views read, as this release has them
    present = master(conn)
    result.indexes = [name for kind, name in expected if kind == "index" and (kind, name) not in present]
    create_derived(conn)
    if any(t.table == "institutions" and "medical_faculty" in t.added for t in result.tables):
        _derive_medical_faculties(conn)
    if any(t.table == "check_latest_runs" and t.action == "create" for t in result.tables):
        _derive_latest_runs(conn)
    if todo.search:
        rebuild_search(sqlite_utils.Database(conn))
        result.search = todo.search
    result.analysed = _unanalysed(conn, todo, result.indexes)
    refresh_statistics(conn, result.analysed)
    leftover = [d for d in drift(conn) if not (d.kind == "table" and d.name in result.kept)]
    if leftover:  # a bug, never the user's data: say so rather than stamp a wrong file current
        raise StoreError(f"the migration left {leftover[0]}; nothing was changed (please report this)")


def _unanalysed(conn: sqlite3.Connection, todo: Plan, indexes: list[str]) -> list[str]:
    """The tables and indexes without query-planner statistics: those rebuilt or made anew, and
    tables that hold rows and never had any. Without them the planner guessed, and a list that
    takes a millisecond took seconds on a migrated registry of 200,000 agreements. The statistics
    of the tables and indexes kept still hold (search tables are only ever read by key)."""
    has_statistics = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is not None
    analysed = {tbl for (tbl,) in conn.execute("SELECT DISTINCT tbl FROM sqlite_stat1")} if has_statistics else set()
    never = [name for (name,) in conn.execute(
                 "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'")
             if name not in todo.tables and name not in analysed and name not in todo.search_tables
             and conn.execute(f"SELECT 1 FROM {schema.quote(name)} LIMIT 1").fetchone()]
    whole = {*todo.tables, *never}
    return [*todo.tables, *never, *(name for name in indexes if index_table(conn, name) not in whole)]


def _derive_medical_faculties(conn: sqlite3.Connection) -> None:
    """Fill the new medical-faculty field as a new record would have it (registry.models.health):
    from the kind, the ROR id and the names; what cannot be told stays unknown."""
    names: dict[str, list[str]] = {}
    for institution, name in conn.execute("SELECT institution, name FROM institution_names"):
        names.setdefault(institution, []).append(name)
    rows = conn.execute("SELECT id, kind, ror, name FROM institutions WHERE medical_faculty IS NULL").fetchall()
    context = schema.quote(schema.AUDIT_CONTEXT_TABLE)
    conn.execute(f"UPDATE {context} SET actor = NULL, source = 'migrate: medical faculty derived' WHERE id = 1")
    for ident, kind, ror, name in rows:
        if evidence := health_evidence(kind, ror, [name, *names.get(ident, [])]):
            conn.execute("UPDATE institutions SET medical_faculty = 1, medical_faculty_source = ? WHERE id = ?",
                         [f"derived: {evidence}", ident])
    conn.execute(f"UPDATE {context} SET source = NULL WHERE id = 1")


def _derive_latest_runs(conn: sqlite3.Connection) -> None:
    """Fill the latest run of each check from the runs recorded (rowid: the order they were
    committed in), and leave open findings' last sighting to it (models.diligence.Finding.last_seen):
    every run of a check found each of its open findings again, so the last_seen and last_run an
    earlier release wrote on them are that run's and read the same through findings_seen."""
    conn.execute("""
        INSERT INTO check_latest_runs (code, run, as_of)
        SELECT code, run, as_of FROM (
          SELECT j.value AS code, r.id AS run, r.as_of,
                 row_number() OVER (PARTITION BY j.value ORDER BY r.rowid DESC) AS latest
          FROM check_runs r, json_each(r.checks) j)
        WHERE latest = 1""")
    conn.execute("""
        UPDATE findings SET last_seen = NULL, last_run = NULL
        WHERE status = 'open' AND code IN (SELECT code FROM check_latest_runs)""")


def _renamed_from(table: str, column: str) -> tuple[str, ...]:
    spec = specs().get(table)
    if spec is None:
        return ()
    return next((c.renamed_from for c in spec.columns if c.name == column), ())


def _rebuild_table(conn: sqlite3.Connection, table: str, sql: str, discard: set[str]) -> TableMigration:
    step = TableMigration(table, "rebuild", rows=conn.execute(f"SELECT count(*) FROM {schema.quote(table)}").fetchone()[0])
    old_columns = columns(conn, table)
    sources: dict[str, str] = {}
    ref = reference()
    new_info = {row[1]: row for row in ref.execute(f"PRAGMA table_xinfo({schema.quote(table)})")}
    for column, info in new_info.items():
        if column in old_columns:
            sources[column] = column
            continue
        old = next((o for o in _renamed_from(table, column) if o in old_columns), None)
        if old:
            sources[column] = old
            step.renamed[column] = old
            continue
        step.added.append(column)
        not_null, default = info[3], info[4]
        if not_null and default is None and step.rows:
            key = _first_key(conn, table)
            raise MigrationRefused(
                f"cannot carry table {table}, row {key}: field {column} is required by the model and the file has no "
                f"value for it (if it was renamed, declare RenamedFrom('<old name>') on the field); the file is unchanged"
            )
    used = set(sources.values())
    for old in old_columns:
        if old in used:
            continue
        holding = conn.execute(f"SELECT count(*) FROM {schema.quote(table)} WHERE {schema.quote(old)} IS NOT NULL").fetchone()[0]
        if holding and f"{table}.{old}" not in discard:
            raise MigrationRefused(
                f"table {table}, field {old}: {holding} row(s) hold values that no model field keeps (first: row "
                f"{_first_key(conn, table, old)}); declare RenamedFrom('{old}') on the field that takes them, or pass "
                f"--discard {table}.{old} to drop them (the backup keeps them); the file is unchanged"
            )
        step.discarded.append(old)
    temporary = f"_migrating_{table}"
    conn.execute(sql.replace(f"CREATE TABLE {schema.quote(table)}", f"CREATE TABLE {schema.quote(temporary)}", 1))
    targets = ", ".join(schema.quote(c) for c in sources)
    values = ", ".join(schema.quote(c) for c in sources.values())
    copy = f"INSERT INTO {schema.quote(temporary)} ({targets}) SELECT {values} FROM {schema.quote(table)}"
    try:
        conn.execute(copy)
    except sqlite3.IntegrityError as error:
        raise _refusal(conn, table, temporary, copy, sources, error) from error
    conn.execute(f"DROP TABLE {schema.quote(table)}")
    conn.execute(f"ALTER TABLE {schema.quote(temporary)} RENAME TO {schema.quote(table)}")
    return step


def _key_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    keys = sorted((row[5], row[1]) for row in conn.execute(f"PRAGMA table_info({schema.quote(table)})") if row[5])
    return [name for _, name in keys] or ["rowid"]


def _describe_key(row: tuple[Any, ...] | None) -> str:
    return "/".join(str(value) for value in row) if row else "?"


def _first_key(conn: sqlite3.Connection, table: str, holding: str | None = None) -> str:
    keys = _key_columns(conn, table)
    where = f"WHERE {schema.quote(holding)} IS NOT NULL" if holding else ""
    row = conn.execute(f"SELECT {', '.join(schema.quote(k) for k in keys)} FROM {schema.quote(table)} {where} LIMIT 1").fetchone()
    return _describe_key(row)


def _refusal(conn: sqlite3.Connection, table: str, temporary: str, copy: str, sources: dict[str, str],
             error: sqlite3.Error) -> MigrationRefused:
    """Find the first row the new definition refuses, and the field, by copying row by row."""
    keys = _key_columns(conn, table)
    for (rowid,) in conn.execute(f"SELECT rowid FROM {schema.quote(table)} ORDER BY rowid").fetchall():
        conn.execute("SAVEPOINT one_row")
        try:
            conn.execute(f"{copy} WHERE rowid = ?", [rowid])
        except sqlite3.IntegrityError as row_error:
            conn.execute("ROLLBACK TO one_row")
            conn.execute("RELEASE one_row")
            key_values = conn.execute(
                f"SELECT {', '.join(schema.quote(k) for k in keys)} FROM {schema.quote(table)} WHERE rowid = ?", [rowid]
            ).fetchone()
            column = _failed_column(str(row_error), list(sources))
            value = ""
            if column:
                stored = conn.execute(
                    f"SELECT {schema.quote(sources[column])} FROM {schema.quote(table)} WHERE rowid = ?", [rowid]
                ).fetchone()[0]
                value = f" (value {stored!r})"
            reason = str(row_error).replace(temporary, table)
            return MigrationRefused(
                f"cannot carry table {table}, row {_describe_key(key_values)}, field {column or '?'}"
                f"{value}: the new model refuses it ({reason}); correct or remove that row with the release that made "
                "the file, then run 'registry migrate' again; the file is unchanged"
            )
        conn.execute("RELEASE one_row")
    return MigrationRefused(f"cannot carry table {table}: {error}; the file is unchanged")


def _failed_column(message: str, candidates: list[str]) -> str | None:
    """The column a constraint message names: 'NOT NULL constraint failed: t.c', 'CHECK
    constraint failed: c' (or its expression), 'cannot store TEXT value in INTEGER column t.c'."""
    tail = message.split("failed:", 1)[1] if "failed:" in message else message.rsplit(" column ", 1)[-1]
    return next((word for word in re.findall(r"\w+", tail) if word in candidates), None)


def _check_references(conn: sqlite3.Connection, changed: set[str]) -> list[str]:
    """Check the references of every row the migration could have broken one of: those of the
    tables it wrote (rows carried over, made or derived), and of the tables that refer to one of
    them (a parent row gone or its key changed). A reference of any other table held before the
    migration (every connection of the registry enforces foreign keys) and still does: neither its row nor
    the row it refers to was written, nor either table's definition changed (that rebuilds it).
    Returns the tables checked."""
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
    checked = [table for table in tables if table in changed or {
        row[2] for row in conn.execute(f"PRAGMA foreign_key_list({schema.quote(table)})")} & changed]
    for table in checked:
        problem = conn.execute(f"PRAGMA foreign_key_check({schema.quote(table)})").fetchone()
        if problem is not None:
            _refuse_reference(conn, problem)
    return checked


def _refuse_reference(conn: sqlite3.Connection, problem: tuple[Any, ...]) -> NoReturn:
    table, rowid, parent, fk_index = problem
    fk = [row for row in conn.execute(f"PRAGMA foreign_key_list({schema.quote(table)})") if row[0] == fk_index]
    column = fk[0][3] if fk else "?"
    keys = _key_columns(conn, table)
    key_values = conn.execute(f"SELECT {', '.join(schema.quote(k) for k in keys)} FROM {schema.quote(table)} WHERE rowid = ?", [rowid]).fetchone()
    raise MigrationRefused(
        f"cannot carry table {table}, row {_describe_key(key_values)}, field {column}: it refers to a "
        f"row of {parent} that does not exist, which the new model refuses; correct that row with the release that "
        "made the file, then run 'registry migrate' again; the file is unchanged"
    )


__all__ = ["Migration", "MigrationRefused", "NotARegistry", "TableMigration", "backup_path", "file_version", "migrate"]
