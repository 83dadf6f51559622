"""What an import holds while it reads, kept out of memory: the keys it has met so far, and where.

A check across a whole input (an id or a code given twice, an id a new record may not take)
needs the keys read so far. Held in a set, they grow with the input; here they live in a
private temporary SQLite file (SQLite's own, deleted on close), so an input of any size is
checked in the same memory (issue 19). The refused rows an import keeps for the end
(importers/flow.py) are held in one the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any


def _joined(key: Any) -> str:
    return "\x1f".join(map(str, key)) if isinstance(key, tuple) else str(key)


def scratch_file(table_sql: str) -> sqlite3.Connection:
    """A connection to a new private temporary SQLite file holding the table ``table_sql`` makes:
    SQLite's own, on disk once it outgrows its cache, and deleted when the connection closes."""
    conn = sqlite3.connect("")
    conn.execute(table_sql)
    return conn


class SeenKeys:
    """Keys per kind (a table's ids, agreement codes ...), each with where it was first met."""

    def __init__(self) -> None:
        self.conn = scratch_file("CREATE TABLE seen (tbl TEXT, key TEXT, place TEXT, PRIMARY KEY (tbl, key)) WITHOUT ROWID")

    def first_place(self, table: str, key: Any, where: str) -> str | None:
        """Where this key was met before, or None (and it is noted as met here)."""
        joined = _joined(key)
        if self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", [table, joined, where]).rowcount:
            return None
        return self.conn.execute("SELECT place FROM seen WHERE tbl = ? AND key = ?", [table, joined]).fetchone()[0]

    def add(self, table: str, keys: Iterable[Any], where: str = "") -> None:
        self.conn.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", ((table, _joined(k), where) for k in keys))

    def has(self, table: str, key: Any) -> bool:
        return self.conn.execute("SELECT 1 FROM seen WHERE tbl = ? AND key = ?", [table, _joined(key)]).fetchone() is not None

    def close(self) -> None:
        self.conn.close()
