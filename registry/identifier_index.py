"""Identifiers as exact keys: the registry's institutions, the reference records and the Erasmus charter
holders, by ROR id, Erasmus code, PIC, SCHAC code and web domain.

Resolving reads a typed identifier here before any name matching ("S  LUND01" is Lund University, and
no name resembles it). The charter holders come from ``data/erasmus/eche_identifiers.csv``, which also
fills an institution's Erasmus code, PIC and SCHAC code where they are empty (``erasmus_identifiers``).
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from registry import db as store
from registry.matching.identifiers import TypedIdentifier, erasmus_key, parent_hosts, web_host
from registry.reference import reference_stamp
from registry.shipped import shipped_rows

ECHE_FILE = Path(__file__).resolve().parent.parent / "data" / "erasmus" / "eche_identifiers.csv"


@dataclass(frozen=True)
class CharterHolder:
    erasmus_code: str
    pic: str | None
    schac: str | None
    country: str
    city: str | None
    name: str
    ror: str | None
    ror_basis: str | None = None  # how the ROR id was found: through the website, or the name


@lru_cache(maxsize=1)
def charter_holders() -> tuple[CharterHolder, ...]:
    """Every row of the shipped table (empty when the file is absent)."""
    return tuple(
        CharterHolder(row["erasmus_code"], row["pic"] or None, row["schac"] or None, row["country"],
                      row["city"] or None, row["name"], row["ror"] or None, row.get("ror_basis") or None)
        for row in shipped_rows(ECHE_FILE)
    )


@lru_cache(maxsize=1)
def _holders_by_key() -> dict[tuple[str, str], list[CharterHolder]]:
    keys: dict[tuple[str, str], list[CharterHolder]] = {}
    for holder in charter_holders():
        for kind, key in (("erasmus", erasmus_key(holder.erasmus_code)), ("pic", holder.pic), ("host", holder.schac),
                          ("ror", holder.ror)):
            if key:
                keys.setdefault((kind, key), []).append(holder)
    return keys


@lru_cache(maxsize=1)
def charter_names() -> tuple[tuple[str, str, str], ...]:
    """(ROR id, legal name, country) of each charter holder whose ROR id was found through its website and
    which no other charter holder shares: names to index as the ROR record's aliases. A partner is often
    typed as its charter lists it ("FACHHOCHSCHULE KUFSTEIN TIROL BILDUNGS GMBH", "Bergen Arkitekthøgskole"),
    in its own language, a name ROR may lack. A ROR id that several holders reach is the owner of a shared
    domain (a regional education authority for its IES and lycées, a group for its schools): its holders
    are not its names."""
    holders = [(h.ror, h) for h in charter_holders() if h.ror]
    reach: dict[str, int] = {}
    for ror, _ in holders:
        reach[ror] = reach.get(ror, 0) + 1
    return tuple((ror, h.name, h.country) for ror, h in holders if reach[ror] == 1 and h.ror_basis == "website")


def erasmus_identifiers(ror: str | None, website: str | None) -> CharterHolder | None:
    """The charter holder an institution is, found by its ROR id or else its website host; None when
    none or more than one fits."""
    keys = _holders_by_key()
    found = keys.get(("ror", ror), []) if ror else []
    if not found and website:
        host = web_host(website)
        found = keys.get(("host", host), []) if host else []
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class KeyHit:
    """An exact hit: a registry institution, a reference record, or a charter holder neither knows."""

    institution_id: str | None
    reference_id: str | None
    holder: CharterHolder | None
    via: str  # which stored identifier matched: 'Erasmus code of the registry's record', ...


class IdentifierIndex:
    """(kind, key) -> what holds it, for the registry's institutions and the reference records.

    Built from the database each time a Resolver starts: a few thousand registry rows and one row per
    reference record with a website or domains, read in a fraction of a second."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        # -> (table, id, field). The reference's keys are the cache's own dict, read through (a copy of its 97,000 keys
        # for every Resolver took longer to make and to free than the few lookups of typed identifiers it served): the
        # registry's keys go in the first map, where _add puts a key's new tuple, so a key both hold reads as both.
        self.keys: ChainMap[tuple[str, str], tuple[tuple[str, str, str], ...]] = ChainMap({}, _reference_keys(db))
        for ident, ror, code, schac, pic, website in db.conn.execute(
            "SELECT id, ror, erasmus_code, schac, pic, website FROM institutions"
        ):
            for kind, key, label in (("ror", ror, "ROR id"), ("erasmus", code and erasmus_key(code), "Erasmus code"),
                                     ("pic", pic, "PIC"), ("host", schac, "SCHAC code"),
                                     ("host", web_host(website), "website")):
                if key:
                    _add(self.keys, kind, key, "registry", ident, label)

    def find(self, typed: TypedIdentifier) -> list[KeyHit]:
        """Every holder of the identifier: the registry's first, then the reference's, then a charter
        holder's (through its ROR id where it has one). A host is looked up, then the domains above it
        ('med.lu.se', then 'lu.se'), stopping at the first that anyone holds."""
        keys = [(typed.kind, host) for host in parent_hosts(typed.key)] if typed.kind == "host" else [(typed.kind, typed.key)]
        for kind, key in keys:
            hits = self._hits(kind, key)
            if hits:
                return hits
        return []

    def _hits(self, kind: str, key: str) -> list[KeyHit]:
        hits: dict[str, KeyHit] = {}
        for table, ident, label in self.keys.get((kind, key), []):
            if table == "registry":
                hits[f"registry:{ident}"] = KeyHit(ident, None, None, f"{label} of the registry's record")
            elif f"reference:{ident}" not in hits:
                hits[f"reference:{ident}"] = KeyHit(None, ident, None, f"{label} of the reference record")
        for holder in _holders_by_key().get((kind, key), []) if kind != "ror" else []:
            via = f"{_LABEL[kind]} in the Erasmus charter holders' list ({holder.erasmus_code})"
            if holder.ror and (("ror", holder.ror) in self.keys):
                for table, ident, _ in self.keys[("ror", holder.ror)]:
                    if table == "registry" and f"registry:{ident}" not in hits:
                        hits[f"registry:{ident}"] = KeyHit(ident, None, holder, via)
                    elif table == "reference" and not hits:
                        hits[f"reference:{ident}"] = KeyHit(None, ident, holder, via)
            elif not hits:
                hits[f"holder:{holder.erasmus_code}"] = KeyHit(None, None, holder, via)
        registry_hits = [h for h in hits.values() if h.institution_id]
        return registry_hits or list(hits.values())


def _add(keys: MutableMapping, kind: str, key: str, table: str, ident: str, label: str) -> None:
    holders = keys.get((kind, key), ())
    if not any(t == table and i == ident for t, i, _ in holders):
        # a new tuple: the old one may be shared (IdentifierIndex); a tuple, which the garbage collector stops tracking
        # at its first pass (the reference's 99,000 keys, kept with the name index, were walked by every later pass)
        keys[(kind, key)] = (*holders, (table, ident, label))


_REFERENCE_KEYS: dict[tuple, dict] = {}
ReferenceKeys = dict[tuple[str, str], tuple[tuple[str, str, str], ...]]


def keep_reference_keys(db: sqlite_utils.Database, keys: ReferenceKeys) -> None:
    """Take the reference records' keys as worked out before for this state of the reference tables (resolve keeps
    them in its cache beside the registry file): reading every record's website and domains again costs a CLI call
    more than reading the name index (1.2-2 s of CPU for ROR's 51,370 records, 2026-12-06)."""
    _REFERENCE_KEYS.clear()
    _REFERENCE_KEYS[(store.file_path(db.conn),) + reference_stamp(db)] = keys


def reference_keys(db: sqlite_utils.Database) -> ReferenceKeys:
    """The reference records' keys (ROR ids, web hosts), read once per state of the reference tables."""
    return _reference_keys(db)


def _reference_keys(db: sqlite_utils.Database) -> ReferenceKeys:
    """The reference records' keys, read once per state of the reference tables."""
    stamp = (store.file_path(db.conn),) + reference_stamp(db)
    if stamp not in _REFERENCE_KEYS:
        keys: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {}
        for ident, source, website, domains in db.conn.execute(
            "SELECT id, source, website, domains FROM reference_institutions WHERE source = 'ror' OR website IS NOT NULL "
            "OR domains IS NOT NULL"
        ):
            if source == "ror":
                _add(keys, "ror", ident, "reference", ident, "ROR id")
            main = web_host(website)
            hosts = {main} | {web_host(d) for d in json.loads(domains or "[]")}
            for host in (h for h in hosts if h is not None):
                _add(keys, "host", host, "reference", ident, "website" if host == main else "domain")
        _REFERENCE_KEYS.clear()
        _REFERENCE_KEYS[stamp] = keys
    return _REFERENCE_KEYS[stamp]


_LABEL = {"erasmus": "Erasmus code", "pic": "PIC", "host": "SCHAC code"}


FILLED = ("erasmus_code", "pic", "schac")


def fill_erasmus_identifiers(db: sqlite_utils.Database, *, actor: str | None = None) -> dict[str, dict[str, str]]:
    """Give every institution the Erasmus code, PIC and SCHAC code its charter holder has (found by
    ROR id, else website host, in the same country), where the institution has none: a stored value
    is never overwritten, and a value another institution already holds is left for a person
    (``registry dedupe`` shows the pair). One logged transaction; returns id -> fields filled."""

    rows = db.conn.execute(f"SELECT id, country, ror, website, {', '.join(FILLED)} FROM institutions").fetchall()
    held = {(field, row[4 + k]) for row in rows for k, field in enumerate(FILLED) if row[4 + k]}
    filled: dict[str, dict[str, str]] = {}
    for ident, country, ror, website, *values in rows:
        holder = erasmus_identifiers(ror, website)
        if holder is None or holder.country != country:
            continue
        found = dict(zip(FILLED, (holder.erasmus_code, holder.pic, holder.schac), strict=True))
        new = {f: v for f, v, old in zip(FILLED, found.values(), values, strict=True) if v and old is None and (f, v) not in held}
        if new:
            filled[ident] = new
            held.update(new.items())
    if filled:
        with store.transaction(db, actor=actor or store.default_actor(), source="erasmus identifiers data/erasmus"):
            for ident, new in filled.items():
                db.conn.execute(f"UPDATE institutions SET {', '.join(f'{f} = ?' for f in new)} WHERE id = ?",
                                [*new.values(), ident])
    return filled
