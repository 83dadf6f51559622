"""Open the registry file, and write to it in one transaction the audit log attributes."""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from registry import clock, schema
from registry.problems import NoRegistry

DEFAULT_DB = "registry.db"


def default_path() -> str:
    return os.environ.get("REGISTRY_DB") or DEFAULT_DB


def default_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return os.environ.get("REGISTRY_ACTOR") or user


def connect(path: str | Path | None = None, *, create: bool = True) -> sqlite_utils.Database:
    """Open the registry file with foreign keys enforced and write-ahead logging."""
    path = Path(path or default_path())
    if not create and not path.exists():
        raise NoRegistry(f"no registry at {path}: run 'registry init --db {path}' first, or pass --db")
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA busy_timeout = 5000")
    clock.register_sql(conn)
    return sqlite_utils.Database(conn)


@lru_cache(maxsize=1)
def specs() -> dict[str, schema.TableSpec]:
    return schema.table_specs()


def split_sql(script: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        candidate = "\n".join(current).strip()
        if candidate and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    return statements



@contextmanager
def transaction(db: sqlite_utils.Database, *, actor: str | None, source: str | None) -> Iterator[None]:
    """One write transaction whose changes the audit log attributes to actor and source."""
    conn = db.conn
    nested = conn.in_transaction
    if not nested:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("PRAGMA defer_foreign_keys = ON")
    has_context = bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [schema.AUDIT_CONTEXT_TABLE]).fetchone())
    if has_context:
        conn.execute(f"UPDATE {schema.AUDIT_CONTEXT_TABLE} SET actor = ?, source = ? WHERE id = 1", [actor, source])
    try:
        yield
        if not nested:
            conn.execute(f"UPDATE {schema.AUDIT_CONTEXT_TABLE} SET actor = NULL, source = NULL WHERE id = 1")
            conn.execute("COMMIT")
    except BaseException:
        if not nested:
            conn.execute("ROLLBACK")
        raise
