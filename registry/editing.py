"""Changing records one at a time, as a person does in a form: versioned, validated, logged.

A form carries the version of what it shows (``version``: a digest of the stored rows it was
opened with). ``save`` writes whole records through the store (``registry.db.write_records``:
one transaction, the audit log naming the actor) and, in that same transaction, first checks
that each version still holds: when another save came in between, nothing is written and
``Changed`` says so. Records are written whole (fields left empty are cleared); a record's
child lists are replaced only when the record is given them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from registry import db as store
from registry import schema
from registry.models import Record
from registry.text import slugify, unique_id


class Changed(Exception):
    """A record changed since the form that edits it was opened."""

    def __init__(self, table: str, key: Mapping[str, Any]):
        self.table, self.key = table, dict(key)
        super().__init__(f"{table} {'/'.join(map(str, key.values()))} changed since the form was opened")


class Taken(Changed):
    """A new record's key was taken by another save since the form chose it."""


def rows(db: sqlite_utils.Database, table: str, key: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stored rows of ``table`` whose columns hold ``key``'s values, as the models dump them."""
    spec = store.specs()[table]
    where = " AND ".join(f"{schema.quote(name)} = ?" for name in key) or "1"
    order = ", ".join(schema.quote(name) for name in spec.record.primary_key)
    cursor = db.conn.execute(f"SELECT * FROM {schema.quote(table)} WHERE {where} ORDER BY {order}", list(key.values()))
    names = [d[0] for d in cursor.description]
    return [store.decode(spec, dict(zip(names, row, strict=True))) for row in cursor]


def row(db: sqlite_utils.Database, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
    found = rows(db, table, key)
    return found[0] if found else None


def version(db: sqlite_utils.Database, table: str, key: Mapping[str, Any]) -> str:
    """A digest of the stored rows ``key`` names: it changes whenever any of them does."""
    text = json.dumps(rows(db, table, key), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{table}\n{text}".encode()).hexdigest()[:24]


def inputs(stored: Mapping[str, Any] | None, table: str) -> dict[str, Any]:
    """A stored row as a model's input: computed columns and empty values left out."""
    spec = store.specs()[table]
    return {c.name: stored[c.name] for c in spec.columns if stored and not c.computed and stored.get(c.name) is not None}


Expected = tuple[str, Mapping[str, Any], str]  # (table, key, the version the form was opened with)


def save(db: sqlite_utils.Database, records: Sequence[Record], *, actor: str, source: str,
         expected: Iterable[Expected] = (), new: bool = False) -> store.Plan:
    """Write ``records`` whole in one logged transaction, after checking that every version
    in ``expected`` still holds (``Changed`` otherwise, and nothing is written). ``new`` records
    must not be stored yet: one someone else saved meanwhile under the same key is never
    overwritten (``Taken``)."""
    with store.transaction(db, actor=actor, source=source):
        for table, key, token in expected:
            if version(db, table, key) != token:
                raise Changed(table, key)
        for record in records if new else ():
            key = dict(zip(record.primary_key, record.key(), strict=True))
            if rows(db, record.table, key):
                raise Taken(record.table, key)
        return store.write_records(db, list(records), actor=actor, source=source)


def remove(db: sqlite_utils.Database, table: str, key: Mapping[str, Any], *, actor: str, source: str,
           expected: Iterable[Expected] = ()) -> bool:
    """Delete the row ``key`` names (its children go by cascade; the audit log keeps every row),
    after the same version check as ``save``; whether there was one."""
    where = " AND ".join(f"{schema.quote(name)} = ?" for name in key)
    with store.transaction(db, actor=actor, source=source):
        for checked, checked_key, token in expected:
            if version(db, checked, checked_key) != token:
                raise Changed(checked, checked_key)
        return db.conn.execute(f"DELETE FROM {schema.quote(table)} WHERE {where}", list(key.values())).rowcount > 0


def new_id(db: sqlite_utils.Database, table: str, text: str) -> str:
    """An id for a new record of ``table``, made from ``text`` and free in the store."""
    try:
        base = slugify(text, limit=60)
    except ValueError:
        base = table.rstrip("s")
    return unique_id(base, lambda candidate: bool(
        db.conn.execute(f"SELECT 1 FROM {schema.quote(table)} WHERE id = ?", [candidate]).fetchone()))


def next_term_no(db: sqlite_utils.Database, table: str, agreement: str) -> int:
    return int(db.conn.execute(f"SELECT coalesce(max(term_no), 0) + 1 FROM {schema.quote(table)} WHERE agreement = ?",
                               [agreement]).fetchone()[0])


def home_institution(db: sqlite_utils.Database) -> str | None:
    """The registry's own institution, when exactly one is marked as home."""
    found = db.conn.execute("SELECT id FROM institutions WHERE is_home = 1 LIMIT 2").fetchall()
    return found[0][0] if len(found) == 1 else None
