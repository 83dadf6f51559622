"""Keys an import has met so far, and where, kept out of memory.

A check across a whole input (an id or a code given twice, an id a new record may not take)
needs the keys read so far. Held in a set, they grow with the input; here they live in a
private temporary SQLite file (SQLite's own, deleted on close), so an input of any size is
checked in the same memory (issue 19).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any


def _joined(key: Any) -> str:
    return "\x1f".join(map(str, key)) if isinstance(key, tuple) else str(key)


class SeenKeys:
    """Keys per kind (a table's ids, agreement codes ...), each with where it was first met."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect("")
        self.conn.execute("CREATE TABLE seen (tbl TEXT, key TEXT, place TEXT, PRIMARY KEY (tbl, key)) WITHOUT ROWID")

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
