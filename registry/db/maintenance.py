"""Reading the registry whole: a record's history, counts, and an online backup."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from registry import schema
from registry.db.connection import specs


def history(db: sqlite_utils.Database, record_id: str) -> list[dict[str, Any]]:
    """Every logged change to a record and to its children, oldest first."""
    cursor = db.conn.execute(
        f"SELECT id, changed_at, table_name, row_key, operation, before, after, actor, source FROM {schema.AUDIT_TABLE} "
        "WHERE record_id = ? ORDER BY id",  # record_id is the row's own id, or its parent's
        [record_id],
    )
    names = [d[0] for d in cursor.description]
    entries = []
    for row in cursor:
        entry = dict(zip(names, row, strict=True))
        for side in ("before", "after"):
            entry[side] = json.loads(entry[side]) if entry[side] else None
        entries.append(entry)
    return entries


def stats(db: sqlite_utils.Database) -> dict[str, Any]:
    conn = db.conn
    counts = {table: conn.execute(f"SELECT count(*) FROM {schema.quote(table)}").fetchone()[0] for table in specs()}
    by_status = dict(conn.execute("SELECT status, count(*) FROM agreements GROUP BY status ORDER BY status").fetchall())
    by_kind = dict(conn.execute("SELECT kind, count(*) FROM agreements GROUP BY kind ORDER BY kind").fetchall())
    countries = conn.execute(
        "SELECT count(DISTINCT country) FROM institutions WHERE is_home = 0"
    ).fetchone()[0]
    changes = conn.execute(f"SELECT count(*) FROM {schema.AUDIT_TABLE}").fetchone()[0]
    return {
        "tables": counts,
        "agreements_by_status": by_status,
        "agreements_by_kind": by_kind,
        "partner_countries": countries,
        "logged_changes": changes,
    }


def backup(db: sqlite_utils.Database, destination: str | Path) -> Path:
    """Copy the registry with SQLite's online backup: consistent even while it is served."""
    destination = Path(destination)
    if destination.exists():
        raise FileExistsError(f"{destination} exists; choose a new file name")
    target = sqlite3.connect(str(destination))
    try:
        db.conn.backup(target)
    finally:
        target.close()
    return destination
