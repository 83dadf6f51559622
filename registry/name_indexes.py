"""The two name indexes resolving reads (registry.resolve): the registry's own institutions' names,
and the reference's (ROR, the world-universities list, the charter holders' names as aliases),
built once per state of the reference tables and kept in memory and beside the registry file."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from registry import db as store
from registry import matching
from registry.collector import collector_paused
from registry.identifier_index import (
    ECHE_FILE,
    charter_names,
    keep_reference_keys,
    reference_keys,
)
from registry.matching import MatchOptions, NameIndex
from registry.matching.scripts import CITY_SKELETONS_FILE, NAME_SKELETONS_FILE, TRANSLATIONS_FILE
from registry.matching.text import CITY_NAMES_FILE, exact_key, keep_word_readings, name_parts, word_readings
from registry.models.reference import normalized
from registry.reference import reference_stamp
from registry.shipped import shipped_rows


def registry_index(db: sqlite_utils.Database, options: MatchOptions | None = None) -> NameIndex:
    """Index of the registry's own institution names. Acronyms unique in the registry count:
    an office that keeps one 'KI' means that one."""
    rows = db.conn.execute(
        "SELECT n.institution, n.name, i.country, n.kind FROM institution_names n "
        "JOIN institutions i ON i.id = n.institution ORDER BY n.institution, n.kind, n.name"
    ).fetchall()
    cities = dict(db.conn.execute("SELECT id, city FROM institutions WHERE city IS NOT NULL").fetchall())
    options = options or MatchOptions(accept_unique_acronyms=True)
    return NameIndex.build(rows, cities=cities, options=options)


_MEMORY_CACHE: dict[tuple, NameIndex] = {}


def database_file(db: sqlite_utils.Database) -> Path | None:
    file = store.file_path(db.conn)
    return Path(file) if file else None


def index_cache_path(db: sqlite_utils.Database) -> Path | None:
    """Where the reference index of a registry file is kept: beside it, as
    ``<file>.reference-index``. Delete it any time; the next resolve rebuilds it."""
    path = database_file(db)
    return path.with_name(path.name + ".reference-index") if path else None


def reference_index(db: sqlite_utils.Database, *, persist: bool = True) -> NameIndex | None:
    """Index of the reference names, built once per state of the reference tables and kept in
    memory and on disk, so that one CLI call on a 100k-name reference does not rebuild it."""
    stamp = (_engine_version(),) + reference_stamp(db) + (_aliases_version(), tuple(sorted(_HELD_OUT_NAMES)),
                                                                 tuple(sorted(_HELD_OUT_LABELS)))
    if stamp[3] == 0:  # no reference names loaded
        return None
    path = index_cache_path(db)
    key = (str(path), stamp)
    if key in _MEMORY_CACHE:
        return _MEMORY_CACHE[key]
    index = None
    if persist and path is not None and path.exists():
        try:
            with path.open("rb") as stream, collector_paused(kept=True):
                stored_stamp, stored, keys = pickle.load(stream)
            if stored_stamp == stamp:
                index = stored
                keep_reference_keys(db, keys)  # the identifier index's keys, kept with it (same reference tables)
                keep_word_readings(index.word_readings)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            index = None  # a damaged or outdated cache is rebuilt
    if index is None:
        with collector_paused(kept=True):
            index = _build_reference_index(db)
        if persist and path is not None:
            index.read_once_tables()  # the ones kept with it (``KEPT_TABLES``) are written with it
            index.word_readings = word_readings(index.name_raw)
            _write_cache(path, stamp, index, reference_keys(db))
    _MEMORY_CACHE.clear()
    _MEMORY_CACHE[key] = index
    return index


@lru_cache(maxsize=1)
def _engine_version() -> str:
    """A digest of the matching engine's source: a cached index built by other code is rebuilt."""
    digest = hashlib.sha1()
    # and how this module builds it, and how the identifier keys kept with it are read
    for path in [*sorted(Path(matching.__file__).parent.glob("*.py")), Path(__file__), Path(__file__).with_name("identifier_index.py")]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


WORLD_NAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "reference_institutions" / "world_universities_ror_names.csv"


@lru_cache(maxsize=1)
def _aliases_version() -> str:
    """The digest of the tables the index is built with (the aliases, the cities' names and consonants, the words' translations and consonants):
    new tables rebuild a cached index."""
    digest = hashlib.sha1()
    for path in (ECHE_FILE, WORLD_NAMES_FILE, CITY_NAMES_FILE, TRANSLATIONS_FILE, CITY_SKELETONS_FILE, NAME_SKELETONS_FILE):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _world_names() -> tuple[tuple[str, str, str], ...]:
    """(ROR id, name, country) from the world-universities list, found by domain (tools/derive_world_university_names.py)."""
    return tuple((row["ror"], row["name"], row["country"]) for row in shipped_rows(WORLD_NAMES_FILE))


_HELD_OUT_NAMES: frozenset[str] = frozenset()
_HELD_OUT_LABELS: frozenset[tuple[str, str]] = frozenset()


def forget_cached_indexes() -> None:
    """Drop the reference index kept in memory: the next ``Resolver`` reads the one kept beside the registry
    file, as a new process (a second CLI call) does."""
    _MEMORY_CACHE.clear()


def hold_out_alias_names(names: frozenset[str], labels: frozenset[tuple[str, str]] = frozenset()) -> None:
    """Leave these names of the alias tables out of the reference index. For measuring only: a yardstick
    drawn from the charter list's and the world list's names (tests/data/names_unseen.csv) would otherwise
    measure its own labels. ``labels`` are (reference id, name) pairs of the reference records' own names
    left out the same way: a sample of ROR's names in their national language or its aliases
    (``tools/derive_unseen_names.py --forms``) measures how the record is found by its other names."""
    global _HELD_OUT_NAMES, _HELD_OUT_LABELS
    _HELD_OUT_NAMES = frozenset(names)
    _HELD_OUT_LABELS = frozenset(labels)
    _MEMORY_CACHE.clear()


def _alias_entries(db: sqlite_utils.Database) -> list[tuple[str, str, str, str, str]]:
    """(reference, name, country, kind, source) for the names other lists give a ROR record of the reference,
    found by an identifier (its website or domain) and in the same country: the Erasmus charter's legal names
    (``charter_names``) and the world-universities list's names. Partners are typed by them, often in their
    own language, where ROR lacks them; they are indexed as the record's aliases."""
    countries = dict(db.conn.execute("SELECT id, country FROM reference_institutions WHERE source = 'ror' "
                                     "AND status = 'active'").fetchall())
    return [(ror, name, country, "alias", "ror") for ror, name, country in charter_names() + _world_names()
            if countries.get(ror) == country and name not in _HELD_OUT_NAMES]


def _build_reference_index(db: sqlite_utils.Database) -> NameIndex:
    # Names are normalised afresh rather than read from name_normalized: a stored form may come from an
    # older normaliser (the index is rebuilt whenever the engine's code changes). Through the reference
    # model's cache: a process that has just loaded the reference (init, the demo) normalised them already.
    rows = db.conn.execute(
        "SELECT n.reference, n.name, r.country, n.kind, r.source FROM reference_names n "
        "JOIN reference_institutions r ON r.id = n.reference ORDER BY r.source = 'hipo'"
    ).fetchall()
    first_hipo = next((at for at, row in enumerate(rows) if row[4] == "hipo"), len(rows))
    cities = dict(db.conn.execute("SELECT id, city FROM reference_institutions WHERE city IS NOT NULL").fetchall())
    # The world-universities list backs ROR for universities ROR lacks: a record of it whose name is, as
    # matching reads names, a ROR record's name in the same country is that record (Fachhochschule München
    # is the Munich University of Applied Sciences), not a rival to it.
    entries, ror_names = [], set()
    holders: dict[str, set[str]] = {}  # a name's key -> the ROR records carrying it
    own: dict[str, list[frozenset[str]]] = {}  # a record -> its names' words
    for reference, name, country, kind, _ in rows[:first_hipo]:
        if _HELD_OUT_LABELS and (reference, name) in _HELD_OUT_LABELS:
            continue
        normalised = normalized(name)
        key = exact_key(normalised.split())
        ror_names.add((key, country))
        holders.setdefault(key, set()).add(reference)
        own.setdefault(reference, []).append(frozenset(key.split()))
        entries.append((reference, name, country, kind, normalised))
    # The aliases come after ROR's own names (a name both carry stays ROR's, whole rather than a part of the
    # alias's longer one). Left out: one that is another ROR record's name (the domain that tied it to this
    # record is shared: "University of Alaska Fairbanks" written for the system's alaska.edu); one made of
    # some of the words of the record's own name, which names its system rather than this campus
    # ("California State University" for California State University, East Bay); and one written 'A - B',
    # whose parts would be names of their own ("Middlesex University - London": "London").
    for reference, name, country, kind, _ in _alias_entries(db):
        normalised = normalized(name)
        key = exact_key(normalised.split())
        words = frozenset(key.split())
        if (holders.get(key, {reference}) == {reference} and not name_parts(name)
                and not any(words < name_words for name_words in own.get(reference, ()))):
            ror_names.add((key, country))
            entries.append((reference, name, country, kind, normalised))
    for reference, name, country, kind, _ in rows[first_hipo:]:
        normalised = normalized(name)
        key = exact_key(normalised.split())
        if (key, country) not in ror_names and not _world_twin(key, country, ror_names, holders, cities):
            entries.append((reference, name, country, kind, normalised))
    return NameIndex.build(entries, cities=cities)


def _world_twin(key: str, country: str, ror_names: set, holders: dict[str, set[str]], cities: dict[str, str]) -> bool:
    """A world-list name that is a ROR record's name in the same country with that record's city or acronym after it
    ("Universitat Rovira I Virgili Tarragona", "Cyprus International Institute of Management (CIIM)") names that
    record: the list backs ROR for universities ROR lacks, and as a rival it kept the record itself from leading."""
    words = key.split()
    for cut in (1, 2):
        head, tail = " ".join(words[:-cut]), " ".join(words[-cut:])
        if len(words) - cut < 2 or (head, country) not in ror_names:
            continue
        for holder in holders.get(head, ()):
            if holder in holders.get(tail, ()) or exact_key(normalized(cities.get(holder) or "").split()) == tail:
                return True
    return False


def _write_cache(path: Path, stamp: tuple, index: NameIndex, keys: dict) -> None:
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump((stamp, index, keys), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only folder only costs the rebuild next time
