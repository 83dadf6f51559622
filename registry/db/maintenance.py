"""Reading the registry whole: a record's history, counts, and an online backup."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from registry import schema
from registry.db.connection import DamagedFile, ReadOnlyFile, file_path, require_folder, specs, writable


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


def quick_check(db: sqlite_utils.Database) -> list[str]:
    """What SQLite's quick check finds wrong with the file's structure (empty when sound)."""
    return check_lines(db, "quick_check")


def check_lines(db: sqlite_utils.Database, pragma: str) -> list[str]:
    """integrity_check's or quick_check's findings one per line (a row may hold several, under a
    '*** in database main ***' heading); what stopped the check is the last finding."""
    found = []
    try:
        for (message,) in db.conn.execute(f"PRAGMA {pragma}"):
            found += [line.strip() for line in message.splitlines() if line.strip() and not line.startswith("***")]
    except sqlite3.DatabaseError as error:
        found.append(str(error))
    return [] if found == ["ok"] else found


def require_intact(db: sqlite_utils.Database) -> None:
    """Refuse a damaged file, before copying or rewriting it spreads the damage."""
    damage = quick_check(db)
    if damage:
        path = file_path(db.conn) or "the registry"
        more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
        raise DamagedFile(f"{path} is damaged: {damage[0]}{more}; run 'registry verify --db {path}' to list it all, "
                          "and restore the file from a backup")


def backup(db: sqlite_utils.Database, destination: str | Path, *, checked: bool = False) -> Path:
    """Copy the registry with SQLite's online backup: consistent even while it is served.
    A damaged file is refused: a copy of it would only look like a backup (``checked``: the
    caller has just run ``require_intact`` on this connection: the quick check reads the whole file)."""
    destination = require_folder(destination, "the backup")
    if destination.exists():
        raise FileExistsError(f"{destination} exists; choose a new file name")
    if not checked:
        require_intact(db)
    if not writable(destination):
        raise ReadOnlyFile(f"cannot write the backup {destination}: its folder is read-only; choose a folder you may write to")
    target = sqlite3.connect(str(destination))
    try:
        db.conn.backup(target)
    except BaseException:
        target.close()
        destination.unlink(missing_ok=True)
        raise
    target.close()
    return destination
