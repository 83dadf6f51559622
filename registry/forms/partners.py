"""Picking a partner by its name: the names a person types, resolved as every import resolves them.

The page suggests partners while the name is typed (the registry's search index, by prefix:
``suggestions``); a name saved without choosing a suggestion is resolved by ``registry.resolve``
over the registry's own institutions: one clear match is taken, several close ones are offered
to choose from, none sends the person to add the partner from the reference registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from registry import db as store
from registry.resolve import Resolver
from registry.text import fold

SUGGESTED = 10
NAME_TABLES = ("institutions", "institution_names")


@dataclass
class _Kept:
    resolver: Resolver
    seen: int  # the audit log's last id when the resolver was last known to hold every name


_resolvers: dict[str, _Kept] = {}


@dataclass
class Picked:
    institution: str | None  # the partner's id, when the name names one
    choices: list[tuple[str, str]] = field(default_factory=list)  # (id, words) when several names come close
    unknown: bool = False  # no institution of the registry comes close


def describe(name: str, city: str | None, country: str | None) -> str:
    where = ", ".join(part for part in (city, country) if part)
    return f"{name} ({where})" if where else name


def _resolver(db: sqlite_utils.Database) -> Resolver:
    """One resolver per state of the registry's names (it indexes all of them once). Every change
    to an institution or a name lands in the audit log, whichever process made it (another worker
    of the server, ``registry import``), so the resolver is kept while no change since the one it
    last saw touches those tables: a look at the log's new entries only."""
    path = store.file_path(db.conn)
    last = db.conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]
    kept = _resolvers.get(path)
    if kept is not None and kept.seen <= last:
        marks = ", ".join("?" * len(NAME_TABLES))
        touched = db.conn.execute(f"SELECT 1 FROM changes WHERE id > ? AND table_name IN ({marks}) LIMIT 1",
                                  [kept.seen, *NAME_TABLES]).fetchone()
        if not touched:
            kept.seen = last
            return kept.resolver
    _resolvers.clear()
    _resolvers[path] = kept = _Kept(Resolver(db, use_reference=False), last)
    return kept.resolver


def pick(db: sqlite_utils.Database, text: str, chosen: str | None) -> Picked:
    """The partner ``text`` names (or the suggestion ``chosen``, an institution id)."""
    if chosen and db.conn.execute("SELECT 1 FROM institutions WHERE id = ?", [chosen]).fetchone():
        return Picked(chosen)
    if not text:
        return Picked(None)
    resolution = _resolver(db).resolve(text, None, limit=SUGGESTED)
    if resolution.best is not None and resolution.best.institution_id:
        return Picked(resolution.best.institution_id)
    choices = [(c.institution_id, describe(c.name, c.city, c.country)) for c in resolution.candidates
               if c.institution_id and c.band != "below"]
    return Picked(None, choices, unknown=not choices)


def suggestions(db: sqlite_utils.Database, text: str) -> list[dict[str, str]]:
    """Partners whose names begin with the words typed (any of their names, folded: "lodz" finds Łódź)."""
    words = [word for word in fold(text or "").replace("-", " ").split() if word.isalnum()]
    if not words or not db.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'institutions_fts'").fetchone():
        return []
    query = " ".join(f'"{word}"*' for word in words)
    rows = db.conn.execute(
        """SELECT i.id, i.name, i.city, i.country FROM institutions_fts
           JOIN institutions i ON i.rowid = institutions_fts.rowid
           WHERE institutions_fts MATCH ? AND i.is_home = 0 ORDER BY rank LIMIT ?""", [query, SUGGESTED]).fetchall()
    return [{"id": r[0], "name": r[1], "label": describe(r[1], r[2], r[3])} for r in rows]
