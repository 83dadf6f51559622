"""Verify a registry file: SQLite integrity, foreign keys, and every row against its model.

Triggers and CHECK constraints stop most bad writes, but a file can still be edited with
constraints off, copied from an older version, or damaged on disk. ``verify`` re-reads
everything the way the loader would have accepted it and lists each problem.
"""

from __future__ import annotations

import sqlite_utils
from pydantic import ValidationError

from registry import db as store
from registry import schema
from registry.problems import Problem


def verify(db: sqlite_utils.Database) -> list[Problem]:
    conn = db.conn
    problems: list[Problem] = []
    for (message,) in conn.execute("PRAGMA integrity_check"):
        if message != "ok":
            problems.append(Problem("integrity", "database file", message))
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        problems.append(
            Problem("foreign-key", f"table {table}", f"row {rowid} refers to a missing row in {parent}", f"{table}/rowid {rowid}")
        )
    for table, spec in store.specs().items():
        cursor = conn.execute(f"SELECT * FROM {schema.quote(table)}")
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            label = f"{table}/{'/'.join(str(row[k]) for k in spec.record.primary_key)}"
            try:
                record = store.record_from_row(table, row)
            except ValidationError as error:
                for detail in error.errors():
                    field = ".".join(str(p) for p in detail["loc"]) or None
                    problems.append(
                        Problem("invalid-row", f"table {table}", detail["msg"].removeprefix("Value error, "), label, field, detail.get("input"))
                    )
                continue
            stored = store.decode(spec, row)
            for column in spec.columns:
                if column.computed and stored[column.name] != getattr(record, column.name):
                    problems.append(
                        Problem("stale-derived", f"table {table}", "derived column does not match its source; reload the record",
                                label, column.name, stored[column.name])
                    )
    if store.search_index_stale(db):
        problems.append(Problem("search-index", "search index", "the full-text index misses rows; run 'registry init' to rebuild it"))
    return problems
