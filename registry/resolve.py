"""Resolve typed partner names to institutions: the registry's own names first, then a
reference registry (ROR, world-universities list).

Each name ends in one of three states:

- ``matched``: one candidate is probable and clearly ahead of the next (or the only exact
  match), so an import may use it without asking;
- ``ambiguous``: candidates worth a person's look (probable ones too close to each other, an
  acronym without a country, possible matches), best first;
- ``new``: nothing comes close; the name is a new institution.

A reference record that is inactive or withdrawn resolves to its active successor, and the
reason says so; a record without a successor is shown but never matched.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any

import sqlite_utils

from registry import db as store
from registry import matching
from registry.collector import collector_paused
from registry.countries import LOCAL_LANGUAGES, country_code
from registry.db.reader import can_fork
from registry.identifier_index import (
    ECHE_FILE,
    IdentifierIndex,
    KeyHit,
    charter_names,
    erasmus_identifiers,
    keep_reference_keys,
    read_charter_keys,
    reference_keys,
)
from registry.matching import Match, MatchOptions, NameIndex
from registry.matching.identifiers import TypedIdentifier, embedded_identifiers, typed_identifier
from registry.matching.match import FORMER_PENALTY, PenaltyKind
from registry.matching.scoring import SOLE_WORD_LENGTH
from registry.matching.text import (
    CAMPUS_WORDS,
    CITY_NAMES_FILE,
    GENERIC,
    LEGAL_FORMS,
    OTHER_BODY,
    STOPWORDS,
    country_words,
    exact_key,
    fold_name,
    legal_name,
    levels,
    name_parts,
    other_country,
    other_level,
    parse_query,
    passed_over,
    segment_country,
    tokens_of,
)
from registry.models import Institution, InstitutionName
from registry.models.reference import normalized
from registry.problems import Problem, ProblemsFound
from registry.progress import NO_PROGRESS, Progress
from registry.reference import reference_stamp, ror_id
from registry.text import fold, slugify, unique_id

INVALID = "invalid"  # the status of a text that is no name, or too generic to be one institution's
MARGIN = 0.06  # a probable match must lead the next candidate by this much to be accepted
AMBIGUOUS_SHOWN = 10  # an ambiguous answer lists up to this many candidates: every one a person must weigh
SOLE_HOLDER_FLOOR = 0.5  # how far a name must come for a word only one institution carries to decide
SOLE_HOLDER_FLOOR_WITHOUT_COUNTRY = 0.6  # the same where no country is given
# the same for a legal name, with the country: the owner's legal form and its own words ("Stichting ... Hogeschool
# voor de Kunsten") are words the school's name lacks, not another school's
SOLE_HOLDER_FLOOR_LEGAL_NAME = 0.3
SOLE_WORD_LENGTH_LEGAL_NAME = 4  # and a word of four letters ('Fundació Privada ... EADA') may be the school's
WHOLE_NAME_REST = 3  # at most this many words after a whole name are passed over
SHORTENED_FLOOR = 0.8  # the one possible candidate with every typed word is the name written short from here
# what keeps such a candidate a question: a typed word it lacks, another country, a part of the text or of the name
# matched, a unit of the text passed over, a word set apart as a place read as a name word
_NOT_SHORTENED = frozenset([PenaltyKind.QUERY_WORDS, PenaltyKind.COUNTRY, PenaltyKind.TEXT_PART, PenaltyKind.NAME_PART,
                            PenaltyKind.UNIT_IGNORED, PenaltyKind.PLACE_AS_NAME])


@dataclass
class Candidate:
    institution_id: str | None  # the registry's institution, if the name is already in it
    reference_id: str | None  # the reference record (ROR id or hipo-...), if it came from one
    name: str
    matched_name: str
    country: str | None
    score: float
    band: str
    reason: str
    city: str | None = None
    website: str | None = None
    kind: str | None = None  # what tells it apart from a namesake: university, hospital, education ...
    source: str = "registry"  # registry, ror, hipo or erasmus
    exact: bool = False
    acronym: bool = False
    usable: bool = True  # False for a withdrawn or inactive reference record without a successor
    former: bool = False  # matched a name of an inactive record, and resolved to its successor
    match: Match | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "institution_id": self.institution_id,
            "reference_id": self.reference_id,
            "name": self.name,
            "matched_name": self.matched_name,
            "country": self.country,
            "city": self.city,
            "website": self.website,
            "kind": self.kind,
            "score": round(self.score, 4),
            "band": self.band,
            "source": self.source,
            "reason": self.reason,
            "aligned": [[q, n, round(s, 3)] for q, n, s in self.match.aligned] if self.match else [],
        }


@dataclass
class Resolution:
    query: str
    country: str | None
    status: str  # matched, ambiguous, new, invalid (not a name, or too generic to be one institution's)
    candidates: list[Candidate]
    reason: str = ""

    @property
    def best(self) -> Candidate | None:
        """The accepted candidate of a matched name (None unless status is 'matched')."""
        return self.candidates[0] if self.status == "matched" else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "country": self.country,
            "status": self.status,
            "reason": self.reason,
            "candidates": [c.as_dict() for c in self.candidates],
        }


# --- the two indexes --------------------------------------------------------------------------


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


def _database_file(db: sqlite_utils.Database) -> Path | None:
    file = store.file_path(db.conn)
    return Path(file) if file else None


def index_cache_path(db: sqlite_utils.Database) -> Path | None:
    """Where the reference index of a registry file is kept: beside it, as
    ``<file>.reference-index``. Delete it any time; the next resolve rebuilds it."""
    path = _database_file(db)
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
            with path.open("rb") as stream, collector_paused():
                stored_stamp, stored, keys = pickle.load(stream)
            if stored_stamp == stamp:
                index = stored
                keep_reference_keys(db, keys)  # the identifier index's keys, kept with it (same reference tables)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            index = None  # a damaged or outdated cache is rebuilt
    if index is None:
        with collector_paused():
            index = _build_reference_index(db)
        if persist and path is not None:
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
    """The digest of the tables the index is built with (the aliases, the cities' names): new tables rebuild
    a cached index."""
    digest = hashlib.sha1()
    for path in (ECHE_FILE, WORLD_NAMES_FILE, CITY_NAMES_FILE):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _world_names() -> tuple[tuple[str, str, str], ...]:
    """(ROR id, name, country) from the world-universities list, found by domain (tools/derive_world_university_names.py)."""
    if not WORLD_NAMES_FILE.exists():
        return ()
    with WORLD_NAMES_FILE.open(encoding="utf-8", newline="") as stream:
        return tuple((row["ror"], row["name"], row["country"]) for row in csv.DictReader(stream))


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
        if (exact_key(normalised.split()), country) not in ror_names:
            entries.append((reference, name, country, kind, normalised))
    return NameIndex.build(entries, cities=cities)


def _write_cache(path: Path, stamp: tuple, index: NameIndex, keys: dict) -> None:
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump((stamp, index, keys), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only folder only costs the rebuild next time


# --- resolving ----------------------------------------------------------------------------------


class Resolver:
    """Both indexes built once; resolve as many names as needed."""

    def __init__(self, db: sqlite_utils.Database, *, use_reference: bool = True, exact_first: bool = False):
        self.db = db
        self.exact_first = exact_first  # bulk: stop at a unique exact match, list no alternatives
        self.registry = registry_index(db)
        self.reference = reference_index(db) if use_reference else None
        self._institutions = {
            row[0]: row for row in db.conn.execute("SELECT id, name, country, city, ror, website, kind FROM institutions")
        }
        self._by_ror = {row[4]: row[0] for row in self._institutions.values() if row[4]}
        self._references: dict[str, tuple] = {}
        self.identifiers = IdentifierIndex(db)

    def _reference_row(self, reference_id: str) -> tuple | None:
        if reference_id not in self._references:
            self._references[reference_id] = self.db.conn.execute(
                "SELECT id, name, country, city, status, successor, source, website, types FROM reference_institutions "
                "WHERE id = ?",
                [reference_id],
            ).fetchone()
        return self._references[reference_id]

    def resolve(self, name: str, country: str | None = None, limit: int = 3) -> Resolution:
        """Resolve one name; ``country`` is a code or a name ('SE', 'Sweden', 'Sverige')."""
        if country and not (len(country) == 2 and country.isupper()):
            country = country_code(country)  # raises ValueError naming the closest countries
        refused = not_a_name(name)
        if refused:
            return Resolution(name, country, INVALID, [], refused)
        typed = typed_identifier(name)
        if typed:
            return self._by_identifier(name, country, typed, limit)
        text, embedded = embedded_identifiers(name)
        if embedded:  # an address written in the text is a key; its words are no name's words
            keyed = [self._by_identifier(name, country, typed, limit) for typed in embedded]
            found = {(r.best.institution_id, r.best.reference_id) for r in keyed if r.best}
            if len(found) == 1:
                return next(r for r in keyed if r.best)
            if not_a_name(text) or not any(c.isalpha() for c in text):
                return keyed[0]
        if _only_generic(text):
            named = self._generic_name_of_one(name, text, country, limit) if country else None
            return named or Resolution(name, country, INVALID, [], "too generic: give the words that set the institution "
                                       "apart, with its country or city")
        return self._by_name(name, text, country, limit)

    def _by_name(self, name: str, text: str, country: str | None, limit: int) -> Resolution:
        wide = max(limit + 2, AMBIGUOUS_SHOWN)
        candidates = [self._from_registry(m) for m in self.registry.match(text, country, wide, exact_first=self.exact_first)]
        status, reason = _decide(candidates)
        if status == "ambiguous":
            status, reason = self._distinctive_alone(text, country, candidates, status, reason)
        # The reference is matched once, wide enough for the longer list of an ambiguous answer; the first
        # ``limit + 2`` of its matches are what the decision reads (``match`` ranks before it cuts).
        found = self.reference.match(text, country, wide, exact_first=self.exact_first) if self.reference else []
        merged = self._with_references(candidates, found[:limit + 2])
        if status == "matched":  # the registry's own names come first; say so when the reference differs
            top = candidates[0]
            rival = next((c for c in merged if c.band != "below" and c.usable and c.institution_id != top.institution_id), None)
            if rival is not None and rival.score > top.score - MARGIN:
                reason = (f"the registry's own institution comes first; the reference also has {rival.name} at "
                          f"{rival.score:.2f} (if it is the same, give the registry's record its ROR id)")
            shown = [c for c in merged if c.institution_id == top.institution_id][:1]
            return Resolution(name, country, status, (shown + [c for c in merged if c not in shown])[:limit], reason)
        status, reason = _decide(merged)
        if status == "matched":
            merged, status, reason = _system_for_campus(text, merged, status, reason)
        if status == "matched" and self.reference is not None:
            status, reason = _only_its_place(text, merged, status, reason, self.reference)
        elif status == "ambiguous" and not country:
            status, reason = _country_named_last(text, merged, status, reason)
        if status == "ambiguous":
            status, reason = _university_over_its_units(merged, status, reason)
        if status == "ambiguous":
            status, reason = self._distinctive_alone(text, country, merged, status, reason)
        # The rules that weigh a candidate below the bands read the reference's matches at every band: matched (once)
        # only for a name that reaches them, a few in a thousand; the first match keeps its reach test, which
        # spares aligning the names that cannot reach the possible band (aligning them all cost a third more).
        # (made only for a name not matched yet: the rules below read it for no other, and making it costs)
        every_band = None if self.reference is None or status == "matched" else cache(
            partial(self.reference.match, text, country, AMBIGUOUS_SHOWN, include_below=True))
        if status != "matched" and every_band is not None:
            merged, status, reason = self._sole_holder(text, country, merged, status, reason, every_band)
        if status == "ambiguous" and country:
            status, reason = _shortened(merged, status, reason)
        if status != "matched" and country and every_band is not None:
            merged, status, reason = self._whole_name_first(text, country, merged, status, reason, every_band)
        if status == "ambiguous" and self.reference is not None:
            merged, status, reason = self._within_own_name(text, country, merged, status, reason)
        if status == "ambiguous":
            merged, status, reason = _place_decides(text, merged, status, reason)
        if status == "ambiguous":  # every candidate a person must choose between, with what sets them apart
            if len(merged) >= limit + 2:  # there may be more: look wider (a few names in a thousand)
                merged = self._with_references(candidates, found)
            close = [c for c in merged if c.band != "below"]
            return Resolution(name, country, status, close[:max(limit, AMBIGUOUS_SHOWN)], reason)
        return Resolution(name, country, status, merged[:limit] if status != "new" else [], reason)

    def _generic_name_of_one(self, name: str, text: str, country: str, limit: int) -> Resolution | None:
        """'Universidad Nacional' in CR, 'Institute of Technical Education' in SG: a name made of kind words that is
        the name of exactly one institution of the given country, in the registry or the reference."""
        found = []
        for index, convert in ((self.registry, self._from_registry), (self.reference, self._from_reference)):
            if index is not None:
                found += [c for m in index.match(text, country, AMBIGUOUS_SHOWN, include_below=True)
                          if m.exact and m.country == country and not m.penalties[1:] and (c := convert(m)) and c.usable]
        holders = {c.reference_id or c.institution_id for c in found}
        if len(holders) != 1:
            return None
        top = found[0]
        top.score, top.band = self.registry.options.probable, "probable"
        top.reason += f"; the only institution in {country} with this name"
        return Resolution(name, country, "matched", [top][:limit],
                          f"a name of kind words only, but the name of exactly one institution in {country}")

    def _distinctive_alone(self, name: str, country: str | None, merged: list[Candidate], status: str, reason: str):
        """'Karolinska' with SE, 'Sapienza' with IT: a distinctive word that only one institution of the
        country has in any of its names, the rest of that name being generic words or its place."""
        top = merged[0]
        if not country or top.match is None or not top.usable or top.acronym or top.band != "possible":
            return status, reason
        if any(c.band != "below" and c.usable for c in merged[1:]):
            return status, reason
        ours = self.registry.plain_holders(name, country)
        theirs = self.reference.plain_holders(name, country) if self.reference is not None else set()
        if top.source == "registry":
            same = {self._institutions[top.institution_id][4]} - {None}
            unique = ours == {top.institution_id} and theirs <= same
        else:
            unique = theirs == {top.match.entity_id} and ours <= {top.institution_id}
        if not unique:
            return status, reason
        options = self.registry.options
        top.score, top.band = max(top.score, options.probable), "probable"
        top.reason += f"; the only institution in {country} with {name.strip()!r} in its name"
        return "matched", f"the only institution in {country} whose names have {name.strip()!r}, the rest of the name generic"

    def _sole_holder(self, name: str, country: str | None, merged: list[Candidate], status: str, reason: str,
                     every_band: Callable[[], list[Match]]) -> tuple[list[Candidate], str, str]:
        """'Stichting Codarts Hogeschool voor de Kunsten' (NL): a word of the name that one institution alone
        carries in the whole reference (in the given country, if one is given) matches it where the rest of the
        name comes at least half way (``SOLE_HOLDER_FLOOR``; further without a country): a legal form, a kind or a
        field added, a word left out. Where probable candidates lacking the word come close, it decides between
        them if its holder leads by its own score ("Akademia Sztuk Pięknych im. E. Gepperta we Wrocławiu": the
        academies of fine arts of other cities lack 'gepperta'). Never over another's exact match that scores as
        high, nor where the two names say different levels of body (a lycée, a university)."""
        reference = self.reference
        legal = bool(country) and legal_name(name)
        shortest = SOLE_WORD_LENGTH_LEGAL_NAME if legal else SOLE_WORD_LENGTH
        found = reference.sole_holder(name, country, shortest) if reference is not None else None
        if reference is None or found is None:
            return merged, status, reason
        entity_id, word = found
        match = next((m for m in every_band() if m.entity_id == entity_id), None)
        floor = SOLE_HOLDER_FLOOR if country else SOLE_HOLDER_FLOOR_WITHOUT_COUNTRY
        if legal and country and not reference.acronym_of_another(name, country, entity_id):
            floor = SOLE_HOLDER_FLOOR_LEGAL_NAME
        if match is None or match.score < floor or other_level(name, match.matched_name):
            return merged, status, reason
        top = self._from_reference(match)
        # the level read from the record's own name too: the name matched may be its acronym's ('CHU de Guyane')
        if top is None or not top.usable or top.acronym or other_level(name, top.name):
            return merged, status, reason
        rest = [c for c in merged if c.reference_id != top.reference_id  # the same, from the registry's own names too
                and not (top.institution_id and c.institution_id == top.institution_id)]
        rivals = [c for c in rest if c.usable and c.band != "below"]
        if any(c.score >= top.score and (c.exact or c.band == "probable") for c in rivals):
            return merged, status, reason
        leads = rivals and all(c.score < top.score for c in rivals)
        top.score, top.band = max(top.score, self.registry.options.probable), "probable"
        top.reason += f"; the only institution with {word!r} in its names" + (f", in {country}" if country else "")
        if leads:
            return [top] + rest, "matched", f"the only candidate with {word!r} in its names; {rivals[0].name} lacks it"
        return [top] + rest, *_decide([top] + rest)

    def _whole_name_first(self, name: str, country: str, merged: list[Candidate], status: str, reason: str,
                          every_band: Callable[[], list[Match]]) -> tuple[list[Candidate], str, str]:
        """'Pädagogische Hochschule Salzburg Stefan Zweig' (AT): the text begins with the whole of one institution's
        name, in the country given, and goes on with words no institution of that country has in its names (an
        eponym, a campus): a coordinator reads the name and passes over the rest. Never where a word that follows
        says a kind, field, level or another body ('... Research Center', '... Hospital', '... Holding AB'), where
        it goes on with a function word ('Moscow State University of Railway Transport'), nor where another
        candidate of the possible band or an exact match remains."""
        reference = self.reference
        assert reference is not None
        if any(c.usable and c.band != "below" and (c.exact or c.band == "probable") for c in merged):
            return merged, status, reason
        typed = [t for t in tokens_of(fold_name(name)) if t not in LEGAL_FORMS or t in OTHER_BODY]
        if len(typed) < 3 or not passed_over(typed[-1]) or reference.holds_word_in(typed[-1], country, ""):
            return merged, status, reason  # the last word is always one passed over: look no further (cheap)
        best: tuple[int, Match] | None = None
        for match in every_band():
            if match.country != country or match.acronym:
                continue
            words = [t for t in tokens_of(fold_name(match.matched_name)) if t not in LEGAL_FORMS]
            rest = typed[len(words):]
            if (len(words) < 2 or typed[:len(words)] != words or not rest or len(rest) > WHOLE_NAME_REST
                    or all(w in GENERIC or w in STOPWORDS for w in words)):
                continue
            if rest[0] in STOPWORDS or levels(rest) or not all(passed_over(t) for t in rest):
                continue
            if best is None or len(words) > best[0]:
                best = (len(words), match)
        if best is None or any(reference.holds_word_in(t, country, best[1].entity_id) for t in typed[best[0]:]):
            return merged, status, reason
        top = self._from_reference(best[1])
        if top is None or not top.usable:
            return merged, status, reason
        if any(c.usable and c.band != "below" and c.reference_id != top.reference_id for c in merged):
            return merged, status, reason
        top.score, top.band = max(top.score, self.registry.options.probable), "probable"
        following = " ".join(typed[best[0]:])
        top.reason += f"; the text begins with its whole name, then {following!r}"
        return ([top] + [c for c in merged if c.reference_id != top.reference_id], "matched",
                f"the text begins with the whole name of {top.name}; no institution in {country} has {following!r}")

    def _within_own_name(self, name: str, country: str | None, merged: list[Candidate], status: str,
                         reason: str) -> tuple[list[Candidate], str, str]:
        """'Baltic State Technical University' (RU) for the Baltic State Technical University Voenmeh, 'Warsaw School
        of Economics' (PL) for the SGH Warsaw School of Economics: the whole text is a run of the name of one
        reference candidate of the possible band, in the country given (without one, in its own), and the name adds
        around it only words of its own (a brand or eponym no other institution of that country carries, its acronym,
        its city). Never where another candidate's name holds the text so too, nor over an exact or probable
        candidate. Reads only the candidates already found."""
        reference = self.reference
        assert reference is not None
        if not merged or any(c.usable and c.band != "below" and (c.exact or c.band == "probable") for c in merged):
            return merged, status, reason
        typed = [t for t in tokens_of(fold_name(name)) if t not in LEGAL_FORMS]
        if len(typed) < 2 or all(t in GENERIC or t in STOPWORDS for t in typed):
            return merged, status, reason
        holders = [(c, rest) for c in merged if c.usable and c.match is not None and not c.acronym and c.reference_id
                   and c.source != "registry" and c.band != "below" and c.match.country
                   and c.match.country == (country or c.match.country)
                   and (rest := reference.own_words_around(typed, c.matched_name, c.match.entity_id, c.match.country))]
        if len({c.reference_id for c, _ in holders}) != 1:
            return merged, status, reason
        top, rest = holders[0]
        top.score, top.band = max(top.score, self.registry.options.probable), "probable"
        added = " ".join(rest)
        top.reason += f"; its name is the whole text with words of its own ({added!r})"
        return ([top] + [c for c in merged if c is not top], "matched",
                f"the whole text is {top.name} without {added!r}, words no other institution in {top.country} has")

    def _by_identifier(self, name: str, country: str | None, typed: TypedIdentifier, limit: int) -> Resolution:
        """An identifier is an exact key: it answers alone, and a name that only looks like one is
        never matched by its words (a domain 'uni-hd.de' shares 'uni' with every university)."""
        candidates = [c for c in (self._from_key(hit, typed) for hit in self.identifiers.find(typed)) if c]
        if not candidates:
            return Resolution(name, country, "new", [], f"no institution or reference record has the {typed.shown}")
        usable = [c for c in candidates if c.usable]
        if len(usable) == 1:
            return Resolution(name, country, "matched", candidates[:limit], f"the {typed.shown} is an exact key")
        return Resolution(name, country, "ambiguous", candidates[:max(limit, len(candidates))],
                          f"{len(candidates)} records share the {typed.shown}")

    def _from_key(self, hit: KeyHit, typed: TypedIdentifier) -> Candidate | None:
        why = f"exact key: {typed.shown} ({hit.via})"
        entity_id = hit.institution_id or hit.reference_id
        if entity_id:
            match = Match(entity_id=entity_id, score=1.0, band="probable",
                          matched_name=typed.shown, query_name=typed.key, explanation=why, exact=True)
            return self._from_registry(match) if hit.institution_id else self._from_reference(match)
        holder = hit.holder
        if holder is None:  # a key hit names an institution, a reference record or a charter holder
            return None
        return Candidate(institution_id=None, reference_id=None, name=holder.name, matched_name=typed.shown,
                         country=holder.country, city=holder.city, score=1.0, band="probable", reason=f"erasmus: {why}",
                         source="erasmus", exact=True)

    def _with_references(self, candidates: list[Candidate], found: list[Match]) -> list[Candidate]:
        """The registry's candidates and the reference's matches ``found``, one candidate per institution, best first."""
        if self.reference is None:
            return candidates
        merged = {(c.institution_id or c.reference_id): c for c in candidates}
        for match in found:
            candidate = self._from_reference(match)
            if candidate is None:
                continue
            key = candidate.institution_id or candidate.reference_id
            known = merged.get(key)
            if known is None or candidate.score > known.score:
                if known is not None and known.institution_id:
                    candidate.reason += f"; already in the registry as {known.institution_id}"
                merged[key] = candidate
        current = next((c for c in merged.values() if c.exact and not c.former and c.band == "probable"), None)
        if current is not None:  # a name an inactive record carried and an active one carries today is the active one's
            for candidate in merged.values():
                if candidate.former and candidate.exact:
                    candidate.score -= FORMER_PENALTY
                    candidate.band = self.reference.options.band(candidate.score)
                    candidate.reason += f"; a former name, which {current.name} carries today (-{FORMER_PENALTY:g})"
        return sorted(merged.values(), key=lambda c: (-c.score, not c.usable, c.source != "registry", not c.exact, c.name))

    def _from_registry(self, match: Match) -> Candidate:
        row = self._institutions.get(match.entity_id)
        return Candidate(
            institution_id=match.entity_id,
            reference_id=row[4] if row else None,
            name=row[1] if row else match.matched_name,
            matched_name=match.matched_name,
            country=row[2] if row else match.country,
            city=row[3] if row else None,
            website=row[5] if row else None,
            kind=row[6] if row else None,
            score=match.score,
            band=match.band,
            reason=f"registry: {match.explanation}",
            source="registry",
            exact=match.exact,
            acronym=match.acronym,
            match=match,
        )

    def _from_reference(self, match: Match) -> Candidate | None:
        row = self._reference_row(match.entity_id)
        if row is None:
            return None
        reason = f"{row[6]}: {match.explanation}"
        usable = True
        hops = 0
        while row[4] != "active" and hops < 5:
            successor = self._reference_row(row[5]) if row[5] else None
            if successor is None:
                reason += f"; {row[0]} is {row[4]}" + (f" and its successor {row[5]} is not loaded" if row[5] else " with no successor")
                usable = False
                break
            reason += f"; {row[1]} ({row[0]}) is {row[4]}: its successor is {successor[1]} ({successor[0]})"
            row, hops = successor, hops + 1
        institution_id = self._by_ror.get(row[0])
        if institution_id:
            reason += f"; in the registry as {institution_id}"
        return Candidate(
            institution_id=institution_id,
            reference_id=row[0],
            name=row[1],
            matched_name=match.matched_name,
            country=row[2],
            city=row[3],
            website=row[7],
            kind=_kind_of(row[8]),
            score=match.score,
            band=match.band if usable else "possible" if match.band == "probable" else match.band,
            reason=reason,
            source=row[6],
            exact=match.exact,
            acronym=match.acronym,
            usable=usable,
            former=hops > 0,
            match=match,
        )


@lru_cache(maxsize=1024)  # a few hundred distinct lists of ROR types, read for every candidate shown
def _kind_of(types: str | None) -> str | None:
    """A reference record's types, as a candidate shows them ('education, healthcare')."""
    return ", ".join(json.loads(types or "[]")) or None


MAX_NAME = 500  # characters: a longer text is no partner's name


def not_a_name(name: str | None) -> str | None:
    """Why a typed text cannot be resolved at all, or None: empty, one character, longer than any
    name, or no letter or digit."""
    text = (name or "").strip()
    if not text:
        return "not a name: the text is empty"
    if len(text) > MAX_NAME:
        return f"not a name: {len(text):,} characters (a name has at most {MAX_NAME})"
    if not any(c.isalnum() for c in text) and not any(c.isalnum() for c in fold(text)):  # folded only if need be
        return "not a name: only punctuation or symbols"
    if len(text) == 1:
        return "not a name: a single character"
    return None


def _shortened(merged: list[Candidate], status: str, reason: str) -> tuple[str, str]:
    """'Oslo School of Architecture' (NO) for the Oslo School of Architecture and Design: with the country, the one
    candidate of the possible band, from ``SHORTENED_FLOOR``, that has every word of the text, read whole and in
    the country given, is the name written short. A word of the text the name lacks, a part of the text or of the
    name matched, a word set apart as a place read as a name word, or a second candidate keeps it a question."""
    shown = [c for c in merged if c.band != "below" and c.usable]
    top = merged[0] if merged else None
    if top is None or shown != [top] or top.match is None or top.acronym or top.score < SHORTENED_FLOOR:
        return status, reason
    if any(p.kind in _NOT_SHORTENED for p in top.match.penalties):
        return status, reason
    missing = next((" ".join(p.words) for p in top.match.penalties if p.kind is PenaltyKind.NAME_WORDS), "")
    top.score, top.band = max(top.score, MatchOptions().probable), "probable"
    top.reason += "; the name written short"
    return "matched", "the only candidate, and it has every word of the text: the name written short" + (
        f" (without {missing!r})" if missing else "")


SYSTEM_PENALTY = 0.1  # a university system matched on a text that does not say 'system'


def _system_for_campus(text: str, merged: list[Candidate], status: str, reason: str) -> tuple[list[Candidate], str, str]:
    """'Department of Mathematics, University of Illinois, Urbana': a university system's record (its name says
    'system') matched on a text that does not say so names one of its campuses, each an institution of its own that
    the words alone cannot tell: the system stays a candidate, not a confident answer."""
    top = merged[0]
    if "system" not in top.name.lower():  # most names: no folding
        return merged, status, reason
    words = set(tokens_of(fold_name(top.name)))
    if "system" not in words or "university" not in words or "system" in tokens_of(fold_name(text)):
        return merged, status, reason
    options = MatchOptions()
    top.score -= SYSTEM_PENALTY
    top.band = options.band(top.score)
    top.reason += f"; a university system, where the text does not say so: one of its campuses may be meant (-{SYSTEM_PENALTY:g})"
    merged = sorted(merged, key=lambda c: (-c.score, not c.usable, c.source != "registry", not c.exact, c.name))
    return (merged, *_decide(merged))


def _country_named_last(text: str, merged: list[Candidate], status: str, reason: str) -> tuple[str, str]:
    """'Dipartimento di Ingegneria ... Università di Palermo Viale delle Scienze 90128 Palermo Italy': namesakes of
    the probable band too close to tell apart, of which exactly one is in the country the text ends with (an
    address's last words), and that country's name is no word of the names matched: the text says which. As ROR's
    affiliation matcher picks among candidates by the country."""
    top = merged[0]
    if top.band != "probable" or not top.usable:
        return status, reason
    tokens = tokens_of(fold_name(text))
    named = next((code for size in (3, 2, 1) if len(tokens) > size and (code := segment_country(tuple(tokens[-size:])))), None)
    if named is None:
        return status, reason
    close = [c for c in merged if c.usable and c.band == "probable" and c.score > top.score - MARGIN]
    theirs = [c for c in close if c.country and not other_country(named, c.country)]
    if len(close) < 2 or len({c.reference_id or c.institution_id for c in theirs}) != 1:
        return status, reason
    words = country_words(named)
    if any(words.intersection(tokens_of(fold_name(c.matched_name))) for c in close):
        return status, reason  # 'University of Georgia': the country's name is a name's word, not an address's
    chosen = theirs[0]
    merged.remove(chosen)
    merged.insert(0, chosen)
    chosen.reason += f"; the text ends with its country ({named})"
    return "matched", f"the text ends with {named}, the country of {chosen.name} alone among the close candidates"


_INITIAL = re.compile(r"(?<![A-Za-z])[A-Z]\.")  # an initial: "U." for University


def _only_its_place(text: str, merged: list[Candidate], status: str, reason: str, index: NameIndex) -> tuple[str, str]:
    """'Madison, Wisconsin, USA', 'Faculty of Medicine, Belgrade, Serbia': every word the match rests on is the
    candidate's city, region or country. A place is no institution's name, however many institutions carry it:
    the candidate stays, but as a question."""
    top = merged[0]
    if top.match is None or top.acronym:
        return status, reason
    words = {q for q, _, _ in top.match.aligned} or set(tokens_of(fold_name(top.matched_name)))
    words -= STOPWORDS
    if not words or words & GENERIC:
        return status, reason
    countries, regions = index.places_of(top.country)  # kept with the index: pycountry's regions are not read again
    rest = words - countries - regions
    city = set(tokens_of(fold_name(top.city))) if top.city else set()  # "St. Louis": saint louis
    if not rest <= city:
        return status, reason
    if _INITIAL.search(text):  # "U. Porto": a kind written as its initial
        return status, reason
    top.reason += "; the words matched are only its place"
    return "ambiguous", f"the text names only {top.name}'s place ({' '.join(sorted(words))}), not the institution"


# Words that make a name a research or clinical unit's rather than a place of higher education's.
_UNIT_WORDS = frozenset(["center", "centre", "institute", "laboratory", "laboratories", "lab", "hospital", "clinic",
                         "research", "group", "unit", "division"])
_HIGHER_EDUCATION = frozenset(["university", "college"])


def _university_over_its_units(merged: list[Candidate], status: str, reason: str) -> tuple[str, str]:
    """'Kangbuk Samsung Hospital, Sungkyunkwan University School of Medicine', 'Information Sciences Institute,
    University of Southern California': a university and research centres, institutes or hospitals named in one text, each matched as
    closely: the text is a unit's address within the university, and the university is the affiliation (as ROR's
    curated sets answer). Only where exactly one close candidate is a university or college and every other one is
    such a unit."""
    top = merged[0]
    close = [c for c in merged if c.usable and c.band == "probable" and c.score > top.score - MARGIN]
    if len(close) < 2:
        return status, reason
    words = [set(tokens_of(fold_name(c.matched_name))) for c in close]
    higher = [c for c, w in zip(close, words, strict=True) if w & _HIGHER_EDUCATION]
    units = [c for c, w in zip(close, words, strict=True) if not w & _HIGHER_EDUCATION and w & _UNIT_WORDS]
    if (not units or len({c.reference_id or c.institution_id for c in higher}) != 1
            or len(higher) + len(units) != len(close)):
        return status, reason
    chosen = higher[0]
    merged.remove(chosen)
    merged.insert(0, chosen)
    chosen.reason += "; the other close candidates are units the text places within it"
    return "matched", f"{chosen.name}: the text names units of it ({units[0].name}) with it"


def _only_generic(name: str) -> bool:
    """'University', 'Hospital', 'Institute of Technology': words that say what kind of body, not which."""
    tokens = [t for t in tokens_of(fold(name)) if t not in STOPWORDS]
    return bool(tokens) and all(t in GENERIC or t in _KIND_WORDS for t in tokens)


_KIND_WORDS = frozenset(["hospital", "technology", "science", "medical", "center", "school", "clinic", "research", "applied",
                        "arts", "hochschule", "fachhochschule", "hogeschool", "hogskola", "angewandte", "wissenschaften"])


def _place_decides(text: str, merged: list[Candidate], status: str, reason: str) -> tuple[list[Candidate], str, str]:
    """'Universidad de Los Lagos, Osorno campus', 'Universidad Metropolitana, Managua campus': namesakes tied at the
    top, and a place set apart in the text that is the city of exactly one candidate of the possible band: a
    coordinator reads the campus or city and takes that one. Never where two candidates have that city."""
    close = [c for c in merged if c.usable and c.band == "probable"]
    if len(close) < 2:
        return merged, status, reason
    close = [c for c in close if c.score > close[0].score - MARGIN]
    # the places set apart: a segment after the first, less its campus words ("Panama City campus", "Dubai")
    apart = {frozenset(segment) - CAMPUS_WORDS - STOPWORDS for segment in parse_query(text).segments[1:]}
    if not apart:
        return merged, status, reason
    placed = [c for c in merged if c.usable and c.band != "below" and c.city
              and frozenset(tokens_of(fold_name(c.city))) - STOPWORDS in apart]
    if len(placed) != 1 or placed[0] not in close:
        return merged, status, reason
    chosen = placed[0]
    other = next(c for c in close if c is not chosen)
    chosen.reason += f"; {chosen.city} set apart in the text is its city"
    return [chosen] + [c for c in merged if c is not chosen], "matched", (
        f"{chosen.city}, set apart in the text, is its city, not {other.name}'s ({other.city or 'no city'})")


def _decide(candidates: list[Candidate]) -> tuple[str, str]:
    """matched, ambiguous or new, and why."""
    if not candidates:
        return "new", "no name in the registry or the reference comes close"
    top = candidates[0]
    # A withdrawn record without a successor is shown, but neither matched nor a rival.
    rival = next((c for c in candidates[1:] if c.band != "below" and c.usable), None)
    if top.band == "probable" and top.usable:
        if rival is None:
            return "matched", "the only candidate in the probable or possible band"
        lead = top.score - rival.score
        if lead >= MARGIN:
            return "matched", f"leads the next candidate ({rival.name}) by {lead:.2f}"
        # the same words in another order ("University of Lincoln" / "Lincoln University") score as high: in the
        # reference the exact name is the one typed; two of the registry's own records stay a question (a duplicate)
        if top.exact and not rival.exact and (rival.score < top.score - 0.005 or (
                rival.score <= top.score and "registry" not in (top.source, rival.source))):
            return "matched", f"exact match; the next candidate ({rival.name}) is not"
        return "ambiguous", f"{rival.name} scores {rival.score:.2f}, too close to {top.score:.2f}"
    if any(c.band != "below" for c in candidates):
        why = "the best candidate is withdrawn or inactive" if top.band == "probable" else "no probable candidate"
        return "ambiguous", why
    return "new", "no candidate reaches the possible band"


def resolve(db: sqlite_utils.Database, name: str, country: str | None = None, limit: int = 3) -> Resolution:
    """Resolve one name (see ``resolve_many`` for many: it builds the indexes once)."""
    return Resolver(db).resolve(name, country, limit)


PARALLEL_FROM = 2000  # names; below this, starting worker processes costs more than it saves
LAST_CHUNK = 25  # names: the smallest task a worker is given


def resolve_many(
    db: sqlite_utils.Database,
    names: list[tuple[str, str | None]],
    limit: int = 3,
    *,
    workers: int | None = None,
    progress: Progress = NO_PROGRESS,
    resolver: Resolver | None = None,
) -> list[Resolution]:
    """Resolve many (name, country) pairs with one pair of indexes: the bulk path.

    A name that exactly matches one institution is matched without looking for alternatives
    (exact first, fuzzy only on what is left). From ``PARALLEL_FROM`` names on, the work is
    shared by one process per CPU (``workers`` overrides), which inherit the indexes. A caller
    that resolves in several rounds (an import read in batches) passes the ``Resolver`` (with
    ``exact_first``) it keeps, so the indexes are built once."""
    resolver = resolver or Resolver(db, exact_first=True)
    names = [(name, country) for name, country in names]
    if workers is None:
        workers = (os.cpu_count() or 1) if len(names) >= PARALLEL_FROM else 1
    path = _database_file(db)
    if workers <= 1 or path is None or not can_fork():
        return [resolver.resolve(name, country, limit) for name, country in progress.iterate(names, len(names), "resolving")]
    global _WORKER_RESOLVER
    _WORKER_RESOLVER = resolver
    read_charter_keys()  # once here, not in every worker
    chunks = _chunks(names, workers)
    results = []
    progress.start(len(names), "resolving")
    # The answers read back are trees (no cycles), and a full collection they set off would walk the whole heap,
    # the indexes included, while the workers need both cores: the collector waits until they are all in.
    try:
        with collector_paused() as collecting, multiprocessing.get_context("fork").Pool(
                workers, initializer=_start_worker, initargs=(str(path), collecting)) as pool:
            for chunk in pool.imap(partial(_resolve_chunk, limit=limit), chunks):  # in order, as they finish
                results.append(chunk)
                progress.advance(len(chunk))
    finally:
        progress.finish()
        _WORKER_RESOLVER = None
    return [resolution for chunk in results for resolution in chunk]


def _chunks(names: list, workers: int) -> list[list]:
    """The names in tasks that shrink as the work runs out (a quarter of each worker's share of what is left,
    down to ``LAST_CHUNK``): few tasks to send and collect, and no worker left alone with a large last one
    while the other waits (names differ in cost: a common word blocks thousands of names)."""
    chunks, start = [], 0
    while start < len(names):
        size = max(LAST_CHUNK, (len(names) - start) // (workers * 4))
        chunks.append(names[start:start + size])
        start += size
    return chunks


_WORKER_RESOLVER: Resolver | None = None


def _worker_resolver() -> Resolver:
    if _WORKER_RESOLVER is None:
        raise RuntimeError("a resolve worker runs only in a pool that resolve_many started")
    return _WORKER_RESOLVER


def _start_worker(path: str, collecting: bool) -> None:
    # The forked worker has the parent's indexes; it needs its own connection to the file.
    resolver = _worker_resolver()
    resolver.db = store.connect(path)
    resolver._references = {}
    # The inherited heap (the indexes: hundreds of thousands of objects) is never garbage: a full collection
    # would walk all of it (a few tenths of a second each) and copy every page it touches. The worker is a
    # child of its own that ends with the pool; nothing of the caller's is frozen. It collects its own garbage
    # as the caller did before resolve_many held the collector back.
    gc.freeze()
    if collecting:
        gc.enable()


def _resolve_chunk(names: list[tuple[str, str | None]], limit: int) -> list[Resolution]:
    resolver = _worker_resolver()
    return [resolver.resolve(name, country, limit) for name, country in names]


# --- creating an institution from a reference record ------------------------------------------------

_KIND_BY_TYPE = (("education", "university"), ("government", "agency"), ("company", "company"))


def _slug(text: str) -> str:
    try:
        return slugify(text, limit=60)
    except ValueError:
        return "institution"


def _institution_kind(name: str, types: list[str]) -> str:
    if "healthcare" in types and "education" not in types:
        return "university_hospital" if "univers" in fold(name) else "other"
    for ror_type, kind in _KIND_BY_TYPE:
        if ror_type in types:
            return kind
    return "other"


def create_institution_from_reference(
    db: sqlite_utils.Database,
    reference_id: str,
    *,
    institution_id: str | None = None,
    kind: str | None = None,
    actor: str | None = None,
    follow_successor: bool = True,
) -> Institution:
    """Create a registry institution from a reference record, with its ROR id, country, city,
    coordinates, website and every name, in one logged transaction. An inactive record is
    replaced by its successor (its own names kept as former names) unless told otherwise."""
    institution, source_id = _from_reference(db, reference_id, institution_id, kind, follow_successor)
    store.write_records(db, [institution], actor=actor, source=f"reference {source_id}")
    return institution


def institution_from_reference(
    db: sqlite_utils.Database,
    reference_id: str,
    institution_id: str | None = None,
    *,
    kind: str | None = None,
    follow_successor: bool = True,
) -> Institution:
    """The institution ``create_institution_from_reference`` would create, not written: an
    import adds it to its own transaction (or, on a dry run, only shows it). Its id is unique
    among the stored institutions, not among others the caller has yet to write."""
    return _from_reference(db, reference_id, institution_id, kind, follow_successor)[0]


def _from_reference(
    db: sqlite_utils.Database, reference_id: str, institution_id: str | None, kind: str | None, follow_successor: bool
) -> tuple[Institution, str]:
    """The institution and the id of the reference record it was made from (a successor's)."""
    reference_id = ror_id(reference_id)
    conn = db.conn

    def fetch(ident: str) -> dict | None:
        cursor = conn.execute("SELECT * FROM reference_institutions WHERE id = ?", [ident])
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    record = fetch(reference_id)
    if record is None:
        raise ProblemsFound([Problem("unknown-reference", "reference_institutions", "no reference record has this id",
                                     f"reference_institutions/{reference_id}", "id", reference_id)])
    former: list[dict] = []
    while record["status"] != "active" and follow_successor and record["successor"]:
        successor = fetch(record["successor"])
        if successor is None:
            break
        former.append(record)
        record = successor
    if record["status"] != "active":
        raise ProblemsFound([Problem("inactive-reference", "reference_institutions",
                                     f"the record is {record['status']} and has no loaded successor; choose another",
                                     f"reference_institutions/{record['id']}", "status", record["status"])])
    existing = conn.execute("SELECT id FROM institutions WHERE ror = ?", [record["id"]]).fetchone() if record["source"] == "ror" else None
    if existing:
        raise ProblemsFound([Problem("already-in-registry", "institutions", f"already in the registry as {existing[0]}",
                                     f"institutions/{existing[0]}", "ror", record["id"])])
    names = conn.execute("SELECT name, kind, language FROM reference_names WHERE reference = ? ORDER BY kind, name",
                         [record["id"]]).fetchall()
    english = next((n for n, k, lang in names if k in ("official", "local") and lang == "en"), None)
    display = english or record["name"]
    local_languages = LOCAL_LANGUAGES.get(record["country"] or "", ())
    local = next((n for n, k, lang in names if k in ("official", "local") and lang in local_languages and n != display), None)
    acronym = next((n for n, k, _ in names if k == "acronym" and len(n) <= 40), None)
    institution_id = institution_id or _unique_id(conn, _slug(display))
    name_rows = [InstitutionName(institution=institution_id, name=n, kind=_registry_kind(k, n, display),
                                 language=lang if lang and len(lang) in (2, 3) and lang.isalpha() else None)
                 for n, k, lang in names]
    known = {n.name for n in name_rows}
    for old in former:
        for (old_name,) in conn.execute("SELECT name FROM reference_names WHERE reference = ? AND kind != 'acronym'", [old["id"]]):
            if old_name not in known:
                name_rows.append(InstitutionName(institution=institution_id, name=old_name, kind="former"))
                known.add(old_name)
    website = record["website"]
    holder = erasmus_identifiers(record["id"] if record["source"] == "ror" else None, website)
    if holder is not None and holder.country != record["country"]:
        holder = None
    values = {
        "id": institution_id,
        "name": display,
        "local_name": local,
        "acronym": acronym,
        "kind": kind or _institution_kind(display, json.loads(record["types"] or "[]")),
        "country": record["country"],
        "city": record["city"],
        "website": website if website and website.startswith(("http://", "https://")) else None,
        "ror": record["id"] if record["source"] == "ror" else None,
        "erasmus_code": holder.erasmus_code if holder else None,
        "pic": holder.pic if holder else None,
        "schac": holder.schac if holder else None,
        "latitude": record["latitude"],
        "longitude": record["longitude"],
        "names": name_rows,
    }
    try:
        institution = Institution.model_validate(values)
    except Exception:  # a website the registry's stricter URL rule refuses is left out
        values["website"] = None
        institution = Institution.model_validate(values)
    return institution, record["id"]


def _registry_kind(kind: str, name: str, display: str) -> str:
    if kind == "official" and name != display:
        return "local"
    return kind


def _unique_id(conn, base: str) -> str:
    return unique_id(base, lambda candidate: bool(conn.execute("SELECT 1 FROM institutions WHERE id = ?", [candidate]).fetchone()))
