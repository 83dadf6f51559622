"""Verify a registry file: SQLite integrity, its schema version and definitions, foreign keys,
and every row against its model.

Triggers and CHECK constraints stop most bad writes, but a file can still be edited with
constraints off, copied from an older version, or damaged on disk. ``verify`` re-reads
everything the way the loader would have accepted it and lists each problem; a part it cannot
read (a damaged page) is itself a problem, and the rest is still read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import sqlite_utils
from pydantic import ValidationError

from registry import db as store
from registry import schema
from registry.db import upkeep
from registry.db.maintenance import check_lines
from registry.problems import Problem


def verify(db: sqlite_utils.Database) -> list[Problem]:
    problems: list[Problem] = []
    _read(problems, "database file", lambda: _integrity(db))
    try:
        upkeep.check_registry(db.conn)
    except store.NotARegistry as error:
        return problems + [Problem("not-a-registry", "database file", str(error))]
    except (store.OlderSchema, store.NewerSchema) as error:
        return problems + [Problem("schema-version", "database file", str(error))]
    except sqlite3.DatabaseError as error:
        return problems + [Problem("unreadable", "database file", str(error))]
    _read(problems, "schema", lambda: _drift(db))
    _read(problems, "foreign keys", lambda: _foreign_keys(db))
    for table in store.specs():
        _read(problems, f"table {table}", lambda table=table: _rows(db, table))
    _read(problems, "search index", lambda: _search(db))
    return problems


def _read(problems: list[Problem], where: str, check: Callable[[], Iterator[Problem]]) -> None:
    """Keep what a check found before SQLite could read no further, and say where it stopped."""
    try:
        for problem in check():
            problems.append(problem)
    except sqlite3.DatabaseError as error:
        problems.append(Problem("unreadable", where, f"cannot be read to the end: {error}"))


def _integrity(db: sqlite_utils.Database) -> Iterator[Problem]:
    for message in check_lines(db, "integrity_check"):
        yield Problem("integrity", "database file", message)


def _drift(db: sqlite_utils.Database) -> Iterator[Problem]:
    for difference in upkeep.drift(db.conn):
        yield Problem("schema-drift", f"{difference.kind} {difference.name}",
                      f"{difference.problem}; 'registry migrate' rebuilds it from the models")


def _foreign_keys(db: sqlite_utils.Database) -> Iterator[Problem]:
    for table, rowid, parent, _ in db.conn.execute("PRAGMA foreign_key_check"):
        yield Problem("foreign-key", f"table {table}", f"row {rowid} refers to a missing row in {parent}", f"{table}/rowid {rowid}")


def _rows(db: sqlite_utils.Database, table: str) -> Iterator[Problem]:
    spec = store.specs()[table]
    cursor = db.conn.execute(f"SELECT * FROM {schema.quote(table)}")
    names = [d[0] for d in cursor.description]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        label = f"{table}/{'/'.join(str(row.get(k)) for k in spec.record.primary_key)}"
        try:
            record = store.record_from_row(table, row)
        except ValidationError as error:
            for detail in error.errors():
                field = ".".join(str(p) for p in detail["loc"]) or None
                yield Problem("invalid-row", f"table {table}", detail["msg"].removeprefix("Value error, "), label, field, detail.get("input"))
            continue
        stored = store.decode(spec, row)
        for column in spec.columns:
            if column.computed and stored[column.name] != getattr(record, column.name):
                yield Problem("stale-derived", f"table {table}", "derived column does not match its source; reload the record",
                              label, column.name, stored[column.name])


def _search(db: sqlite_utils.Database) -> Iterator[Problem]:
    if store.search_index_stale(db):
        yield Problem("search-index", "search index", "the full-text index misses rows; 'registry migrate' rebuilds it")
