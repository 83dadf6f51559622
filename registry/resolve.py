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

The ``Resolver`` here runs the steps in order; the indexes it reads are built and kept by
``registry.name_indexes``, its answers are ``registry.resolution``'s, the rules that decide
between candidates are ``registry.deciding``'s, and an institution is made from a reference
record by ``registry.from_reference``.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import re
import traceback
from collections.abc import Callable
from functools import lru_cache, partial
from multiprocessing.connection import wait

import sqlite_utils

from registry import db as store
from registry.collector import collector_paused
from registry.countries import country_code
from registry.db.reader import can_fork
from registry.deciding import Decision, decide, not_a_name, only_generic, run_rules
from registry.identifier_index import IdentifierIndex, KeyHit
from registry.matching import Match
from registry.matching.identifiers import TypedIdentifier, embedded_identifiers, typed_identifier
from registry.matching.match import FORMER_PENALTY, PenaltyKind
from registry.matching.scoring import SOLE_WORD_LENGTH
from registry.matching.text import (
    APPLIED_SCIENCES,
    CAMPUS_WORDS,
    CANONICAL,
    COMPASS,
    FIELD_WORDS,
    GENERIC,
    LEGAL_FORMS,
    QUALIFIERS,
    STOPWORDS,
    closing_legal_form_off,
    fold_name,
    legal_name,
    levels,
    other_level,
    parse_query,
    passed_over,
    segment_country,
    tokens_of,
)
from registry.name_indexes import database_file, reference_index, registry_index
from registry.progress import NO_PROGRESS, Progress
from registry.resolution import AMBIGUOUS_SHOWN, INVALID, MARGIN, Candidate, Resolution

SOLE_HOLDER_FLOOR = 0.5  # how far a name must come for a word only one institution carries to decide
SOLE_HOLDER_FLOOR_WORD_ALONE = 0.6  # without a country, where the word is the only one of the name typed
# the same for a legal name, with the country: the owner's legal form and its own words ("Stichting ... Hogeschool
# voor de Kunsten") are words the school's name lacks, not another school's
SOLE_HOLDER_FLOOR_LEGAL_NAME = 0.3
SOLE_WORD_LENGTH_LEGAL_NAME = 4  # and a word of four letters ('Fundació Privada ... EADA') may be the school's
# the same for a text that is the word and what kind of body it names ('Kateb Institute of Higher Education' for Kateb
# University, 'Bifrost School of Business' for Bifröst University), with the country: the kind is what a renaming changes
SOLE_HOLDER_FLOOR_RENAMED = 0.3
# what a name says of the kind of body and its field, in the tokens names are read in
KIND_AND_FIELD = GENERIC | QUALIFIERS | frozenset(CANONICAL.values()) | frozenset(FIELD_WORDS.values())
WHOLE_NAME_REST = 3  # at most this many words after a whole name are passed over


# A medical school written after its university's own word ("Yale School of Medicine", "Dartmouth Medical School").
_MEDICAL_SCHOOL = re.compile(r"^(?P<words>.*?\w.*?)[\s,]+(?:school of (?:medicine|public health|dentistry|nursing)|"
                             r"medical school|college of medicine|faculty of medicine|medical faculty)\s*$", re.IGNORECASE)


def _medical_school_of(text: str) -> str | None:
    """The words before a closing medical school, if the text is only those and the school."""
    found = _MEDICAL_SCHOOL.match(text.strip())
    return found.group("words").strip(" ,-") if found else None


def _same(one: Candidate, other: Candidate) -> bool:
    """The same institution: the registry's or the reference's record of it."""
    return (one.institution_id or one.reference_id) == (other.institution_id or other.reference_id)


AGREEING_WORDS = 0.9  # a typed word and a name word this alike are one word (a plural, a declined city), not a typo


def _words_agree(candidate: Candidate) -> bool:
    """Every word aligned is the same word, not a close spelling: "Université d'Anvers" is no typo of Angers's
    university where nothing but that one candidate says which country is meant."""
    match = candidate.match
    return match is not None and all(similarity >= AGREEING_WORDS for _, _, similarity in match.aligned)


def _all_typed(match: Match, typed: set[str]) -> bool:
    """A name written in another script than the Latin has every word typed, function words too: Chinese characters
    whose syllables fold to function words ('了徳寺大学', 'le de si university') are no name of kind words only,
    though its exact key ('university') is one ("The University of", JP matched SBC Tokyo Medical University)."""
    raw = match.matched_name
    return all(c < "\u0250" or not c.isalpha() for c in raw) or set(tokens_of(fold_name(raw))) <= typed


_BODIES = frozenset(["university", "institute", "college", "school", "academy", "polytechnic", "conservatory",
                     "hospital", "clinic", "center", APPLIED_SCIENCES])  # kinds of body, as the words are read


def _bodies(text: str) -> frozenset[str]:
    """The kinds of body a name says (a university, a college ...)."""
    return _BODIES.intersection(tokens_of(fold_name(text)))


def _other_kinds(typed: str, named: str) -> bool:
    """Whether the two names each say a kind of body and no kind is the same: a university and a college."""
    ours, theirs = _bodies(typed), _bodies(named)
    return bool(ours and theirs and not ours & theirs)


def _word_and_kind(text: str, word: str, match: Match, place: frozenset[str]) -> bool:
    """Whether the text is ``word`` and words that say a kind of body or a field ('Kateb *Institute of Higher Education*',
    'Mendel *University of Agriculture and Forestry*'), one of them a kind, and the name matched adds to the word only
    such words or its place (``place``: its city's, region's and country's words): the two names differ in what a
    renaming changes, not in a word of their own."""
    typed = [t for t in tokens_of(fold_name(text)) if t != word and t not in STOPWORDS and t not in LEGAL_FORMS]
    if not typed or not _BODIES.intersection(typed) or not all(t in KIND_AND_FIELD for t in typed):
        return False
    added = [w for p in match.penalties if p.kind is PenaltyKind.NAME_WORDS for w in p.words]
    return all(w in KIND_AND_FIELD or w in STOPWORDS or w in place for w in added)


def _words_left(text: str, match: Match, place: frozenset[str]) -> list[str]:
    """The words of the text the match leaves unaligned that say neither a kind of body, a field, a legal form nor
    the entity's place (``place``)."""
    aligned = {typed for typed, _, _ in match.aligned}
    return [t for t in tokens_of(fold_name(text)) if t not in aligned and t not in KIND_AND_FIELD
            and t not in STOPWORDS and t not in LEGAL_FORMS and t not in place and t not in CAMPUS_WORDS]


def _another_town(reference, text: str, match: Match, country: str | None) -> str | None:
    """A word of the text the match's name lacks that names another town (``NameIndex.names_another_city``): in the
    name's own run of words, a town of its country ('Kunstuniversität Linz', declined too), or without a country any
    country's; set apart as a place, only another country's ('..., Sejong University, Seoul' is no Beijing
    institute; 'Bristol Myers Squibb, Princeton, NJ' is the company's site)."""
    aligned = {typed for typed, _, _ in match.aligned}
    first, *rest = parse_query(text).segments or ((),)
    inside = [word for word in first if word not in aligned]
    apart = [word for segment in rest for word in segment if word not in aligned]
    return (reference.names_another_city(inside, match.entity_id, anywhere=not country)
            or reference.names_another_city(apart, match.entity_id, abroad=True))


def closing_legal_forms_off(typed: list[str], name: str) -> list[str]:
    """'FACHHOCHSCHULE KUFSTEIN TIROL BILDUNGS GMBH', 'MEDIZINISCHE HOCHSCHULE BRANDENBURG CAMPUS GMBH': the legal
    forms closing the legal name of a school's owning company (``legal_name``) say what kind of company holds the
    school, not which school; they are left off the words a whole name may be followed by. Elsewhere they stay,
    and a word of another body ('Uppsala University Holding AB') stays in any text."""
    if not legal_name(name):
        return typed
    end = len(typed)
    while end and typed[end - 1] in LEGAL_FORMS:
        end -= 1
    return typed[:end]


class _Once:
    """A call made at most once, when first asked (``functools.cache`` of a ``partial`` made the same, but building
    its wrapper for every name cost about 20 µs, where the call itself is wanted for a few names in a thousand)."""

    __slots__ = ("_call", "_made", "_value")

    def __init__(self, call: Callable[[], list[Match]]):
        self._call, self._made = call, False
        self._value: list[Match] = []

    def __call__(self) -> list[Match]:
        if not self._made:
            self._value, self._made = self._call(), True
        return self._value


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
        self._references: dict[str, tuple | None] = {}
        self.identifiers = IdentifierIndex(db)

    _REFERENCE_ROW = "SELECT id, name, country, city, status, successor, source, website, types FROM reference_institutions"

    def _reference_row(self, reference_id: str) -> tuple | None:
        if reference_id not in self._references:
            self._references[reference_id] = self.db.conn.execute(f"{self._REFERENCE_ROW} WHERE id = ?",
                                                                  [reference_id]).fetchone()
        return self._references[reference_id]

    def _read_reference_rows(self, reference_ids: list[str]) -> None:
        """The rows of the records not read yet, in one query: a name's few candidates are new records, and each query
        of its own cost more than the reading (3-4 % of a name's time)."""
        wanted = [i for i in dict.fromkeys(reference_ids) if i not in self._references]
        if len(wanted) < 2:
            return
        self._references.update({i: None for i in wanted})  # a record not loaded reads as None, as one by one
        for start in range(0, len(wanted), 500):  # well within SQLite's limit of variables
            part = wanted[start:start + 500]
            rows = self.db.conn.execute(f"{self._REFERENCE_ROW} WHERE id IN ({', '.join('?' * len(part))})", part)
            self._references.update((row[0], row) for row in rows)

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
        text = closing_legal_form_off(text)
        if embedded:  # an address written in the text is a key; its words are no name's words
            keyed = [self._by_identifier(name, country, typed, limit) for typed in embedded]
            found = {(r.best.institution_id, r.best.reference_id) for r in keyed if r.best}
            if len(found) == 1:
                return next(r for r in keyed if r.best)
            if not_a_name(text) or not any(c.isalpha() for c in text):
                return keyed[0]
        if only_generic(text):
            named = self._generic_name_of_one(name, text, country, limit) if country else None
            return named or Resolution(name, country, INVALID, [], "too generic: give the words that set the institution "
                                       "apart, with its country or city")
        resolution = self._by_name(name, text, country, limit)
        if resolution.status != "matched":
            resolution = self._generic_name_at_its_city(resolution, text, country, limit) or resolution
        if not country and resolution.status != "matched":
            resolution = self._in_its_named_country(resolution, text, limit)
        if not country and resolution.status == "ambiguous":
            resolution = self._in_their_country(resolution, text, limit)
        school = _medical_school_of(text) if country and resolution.status != "matched" else None
        if school and country:
            return self._university_of_its_school(resolution, school, country, limit)
        return resolution

    def _in_its_named_country(self, found: Resolution, text: str, limit: int) -> Resolution:
        """'Universiteti i Prishtinës, Kosovo', 'Univerzitet Mediteran (Podgorica, Montenegro)' typed without the
        country: the text names it, set apart as a place, as the country column would. The name is resolved as if it
        had been typed with it; a candidate chosen there, in that country, is the answer."""
        named = parse_query(text).country_hint
        if named is None:
            return found
        again = self._by_name(found.query, text, named, limit)
        best = again.best
        if best is None or best.country != named:
            return found
        return Resolution(found.query, None, "matched", again.candidates, f"the text names {named}; read in {named}: {again.reason}")

    def _in_their_country(self, found: Resolution, text: str, limit: int) -> Resolution:
        """'Gordon Academic College', 'Univerzitet vo Tetovo' typed without the country: where every candidate worth a
        look lies in one country, a coordinator reads that country off them; the name is then resolved as if it had
        been typed with it, and a candidate chosen there is the answer (the readings that need the country: a word
        only one institution of it carries, the name written short). Never a record the country alone brought in."""
        close = [c for c in found.candidates if c.usable and c.band != "below"]
        countries = {c.country for c in close}
        # an acronym is never enough alone ("KI", "UiO"): the country is the support it needs, not what it tells
        if not close or len(countries) != 1 or len(close) >= AMBIGUOUS_SHOWN or any(c.acronym for c in close):
            return found
        country = countries.pop()
        if not country or self._text_says_otherwise(text, country):
            return found
        again = self._by_name(found.query, text, country, limit)
        best = again.best
        if best is None or best.acronym or not any(_same(best, c) for c in close) or not _words_agree(best):
            return found
        # a name another country's institution carries too, with generic words only ("College of Islamic Studies"):
        # its holders lie in several countries, whatever blocking brought in
        plain = self.reference.plain_holders(text, None) if self.reference is not None else set()
        if plain - {best.reference_id}:
            return found
        return Resolution(found.query, None, "matched", again.candidates,
                          f"every candidate is in {country}; read in {country}: {again.reason}")

    def _text_says_otherwise(self, text: str, country: str) -> bool:
        """An affiliation's own words forbid reading the candidates' country off them: it names other countries only
        ("International Centre for ..., New Delhi, India" has one namesake in Italy), or nothing but places ("Graz",
        "Lancaster, UK", "Maine, United States": a place is no institution's name)."""
        query = parse_query(text)
        named = {c for c in map(segment_country, query.segments) if c}
        if named and country not in named:
            return True
        words = {t for segment in query.segments for t in segment if not t.isdigit()} - STOPWORDS
        # "University Park" is a city: "Wroclaw University of Technology" names more than places, and "Tilburg U." a kind
        # by its initial
        if words & GENERIC or any(len(t) == 1 for t in words):
            return False
        places = self.reference.place_words() | self.reference.region_words(country) if self.reference else frozenset()
        return bool(words) and words <= places

    def _university_of_its_school(self, found: Resolution, school: str, country: str, limit: int) -> Resolution:
        """'Yale School of Medicine', 'Dartmouth Medical School' (US) with no record of their own: the university, where
        the words before the school resolve to one alone, with the country, and it is a place of higher education
        (a university hospital stays a question: ROR lists many of its own, and the sets answer it)."""
        of_it = self._by_name(found.query, school, country, limit)
        best = of_it.best
        if of_it.status != "matched" or best is None or "higher" not in levels(tokens_of(fold_name(best.name))):
            return found
        return Resolution(found.query, country, "matched", of_it.candidates,
                          f"a medical school typed for its university, {best.name}: {of_it.reason}")

    def _by_name(self, name: str, text: str, country: str | None, limit: int) -> Resolution:
        wide = max(limit + 2, AMBIGUOUS_SHOWN)
        candidates = [self._from_registry(m) for m in self.registry.match(text, country, wide, exact_first=self.exact_first)]
        status, reason = decide(candidates)
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
        # The rules that weigh a candidate below the bands read the reference's matches at every band: matched (once)
        # only for a name that reaches them, a few in a thousand; the first match keeps its reach test, which
        # spares aligning the names that cannot reach the possible band (aligning them all cost a third more).
        # Matched only when a rule asks (D9, D11: a name not matched yet).
        every_band = None if self.reference is None else _Once(
            partial(self.reference.match, text, country, AMBIGUOUS_SHOWN, include_below=True))
        decision = run_rules(Decision(text, country, merged, self, every_band))
        merged, status, reason = decision.candidates, decision.status, decision.reason
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
        typed = set(tokens_of(fold_name(text)))
        for index, convert in ((self.registry, self._from_registry), (self.reference, self._from_reference)):
            if index is not None:
                found += [c for m in index.match(text, country, AMBIGUOUS_SHOWN, include_below=True)
                          if m.exact and m.country == country and not m.penalties[1:] and _all_typed(m, typed)
                          and (c := convert(m)) and c.usable]
        holders = {c.reference_id or c.institution_id for c in found}
        if len(holders) != 1:
            return None
        top = found[0]
        top.score, top.band = self.registry.options.probable, "probable"
        top.reason += f"; the only institution in {country} with this name"
        return Resolution(name, country, "matched", [top][:limit],
                          f"a name of kind words only, but the name of exactly one institution in {country}")

    def _generic_name_at_its_city(self, found: Resolution, text: str, country: str | None,
                                  limit: int) -> Resolution | None:
        """'College of Science and Technology - Phuntsholing', 'Universitas Nasional Jakarta': a name of kind words only
        and, after it, a city (and perhaps its country): the one institution whose name is those kind words and whose
        city that is, in the country given or named (matched though the name alone is too generic to be looked up)."""
        if self.reference is None:
            return None
        tokens = [t for t in tokens_of(fold_name(text)) if t not in STOPWORDS]
        for size in (3, 2, 1):  # a country named last: "(Phnom Penh, Cambodia)"
            named = segment_country(tuple(tokens[-size:])) if len(tokens) > size + 1 else None
            if named:
                if country and named != country:
                    return None
                country, tokens = named, tokens[:-size]
                break
        for size in (1, 2, 3):
            words, place = tokens[:-size], tokens[-size:]
            if len(words) < 2 or not only_generic(" ".join(words)) or any(t in GENERIC for t in place):
                continue
            typed = set(words)
            matches = [m for m in self.reference.match(" ".join(words), country, AMBIGUOUS_SHOWN, include_below=True)
                       if m.exact and not m.penalties[1:] and _all_typed(m, typed) and (country is None or m.country == country)]
            holders = [c for m in matches if (c := self._from_reference(m)) is not None and c.usable and c.city
                       and tokens_of(fold_name(c.city)) == place]
            if len({c.reference_id for c in holders}) != 1 or len(matches) >= AMBIGUOUS_SHOWN:
                continue  # none, or several, or more namesakes than were looked at
            top = holders[0]
            top.score, top.band = self.registry.options.probable, "probable"
            top.reason += f"; the only institution named so in {top.city}"
            return Resolution(found.query, found.country, "matched", [top][:limit],
                              f"a name of kind words only and its city: the only institution named so in {top.city}")
        return None

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
        carries in the whole reference (or, given a country, in that country: then the text may add no word of its
        own nor a field the name lacks, ``_words_left``) matches it where the rest of the
        name comes at least half way (``SOLE_HOLDER_FLOOR``, with or without a country: the word is one holder's in
        the whole reference either way, and a text naming another town is held back; without a country, where no
        other word of the name is typed, further: ``SOLE_HOLDER_FLOOR_WORD_ALONE``): a legal form, a kind or a
        field added, a word left out. Where probable candidates lacking the word come close, it decides between
        them if its holder leads by its own score ("Akademia Sztuk Pięknych im. E. Gepperta we Wrocławiu": the
        academies of fine arts of other cities lack 'gepperta'). Never over another's exact match that scores as
        high, nor where the two names say different levels of body (a lycée, a university)."""
        reference = self.reference
        owner = legal_name(name)
        legal = bool(country) and owner
        shortest = SOLE_WORD_LENGTH_LEGAL_NAME if legal else SOLE_WORD_LENGTH
        found = reference.sole_holder(name, country, shortest) if reference is not None else None
        if reference is None or found is None:
            return merged, status, reason
        entity_id, word = found
        match = next((m for m in every_band() if m.entity_id == entity_id), None)
        if match is None:
            return merged, status, reason
        floor = SOLE_HOLDER_FLOOR
        if not country and (len({typed for typed, _, _ in match.aligned} - STOPWORDS) < 2
                            or _other_kinds(name, match.matched_name)):
            # without a country the word alone needs more ('Fundación Dolor'), and so does a name of another kind of
            # body ('جامعة البصرة', Basra's university, is not the Basrah University College)
            floor = SOLE_HOLDER_FLOOR_WORD_ALONE
        if legal and country and not reference.acronym_of_another(name, country, entity_id):
            floor = SOLE_HOLDER_FLOOR_LEGAL_NAME
        place = reference.city_words_of(entity_id) | frozenset().union(*reference.places_of(match.country))
        alone_anywhere = reference.sole_anywhere(word)
        if (not owner and _word_and_kind(name, word, match, place) and not _bodies(name) & _bodies(match.matched_name)
                and (country or alone_anywhere)):
            # another kind of body ('Kateb Institute of Higher Education' for Kateb University): the same kind and
            # a field more is another body ('Guilan University of Medical Sciences' is not the University of Guilan,
            # 'Bourgas Free University' not Bourgas University); without the country, a word no other institution
            # anywhere carries
            floor = SOLE_HOLDER_FLOOR_RENAMED
        if match.score < floor or other_level(name, match.matched_name):
            return merged, status, reason
        if not alone_anywhere and (_words_left(name, match, place) or any(
                p.kind is PenaltyKind.QUALIFIER for p in match.penalties)):
            # a word only the country's one institution carries, which others abroad do, is a weaker sign (a common
            # word of the language, 'zavod', institute, may be it): the text may add no word of its own ('Zavod za
            # javno zdravstvo Orvik' is not Zadar's) nor a field the name lacks ('Murray Dental Clinic')
            return merged, status, reason
        if _another_town(reference, name, match, country):
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
        return [top] + rest, *decide([top] + rest)

    def _whole_name_first(self, name: str, country: str | None, merged: list[Candidate], status: str, reason: str,
                          every_band: Callable[[], list[Match]]) -> tuple[list[Candidate], str, str]:
        """'Pädagogische Hochschule Salzburg Stefan Zweig' (AT): the text begins with the whole of one institution's
        name, in the country given, and goes on with words no institution of that country has in its names (an
        eponym, a campus): a coordinator reads the name and passes over the rest. Without a country, in the
        institution's own, where no other institution anywhere has that name (``_named_so_elsewhere``). Never where a word that follows
        says a kind, field, level or another body ('... Research Center', '... Hospital', '... Holding AB'), where
        it goes on with a function word ('Moscow State University of Railway Transport'), nor where another
        candidate of the possible band or an exact match remains."""
        reference = self.reference
        assert reference is not None
        if any(c.usable and c.band != "below" and (c.exact or c.band == "probable") for c in merged):
            return merged, status, reason
        typed = closing_legal_forms_off(tokens_of(fold_name(name)), name)
        if len(typed) < 3 or ("of" not in typed[1:-1] and (not passed_over(typed[-1]) or (
                country and reference.holds_word_in(typed[-1], country, "")))):
            return merged, status, reason  # the last word is always one passed over, or a region's: look no further
        best: tuple[int, Match] | None = None
        regional = False
        for match in every_band():
            # a part of an 'A - B' name is no whole name ('المركز الجامعي', "university centre", of 'Ahmed Zabana
            # University - المركز الجامعي غليزان')
            if (country and match.country != country) or match.acronym or any(
                    p.kind is PenaltyKind.NAME_PART for p in match.penalties):
                continue
            words = [t for t in tokens_of(fold_name(match.matched_name)) if t not in LEGAL_FORMS]
            rest = typed[len(words):]
            if (len(words) < 2 or typed[:len(words)] != words or not rest or len(rest) > WHOLE_NAME_REST
                    or all(w in GENERIC or w in STOPWORDS for w in words)):
                continue
            its_region = self._of_its_region(rest, match.country)
            if not its_region and (rest[0] in STOPWORDS or levels(rest) or not all(passed_over(t) for t in rest)):
                continue
            if best is None or len(words) > best[0]:
                best, regional = (len(words), match), its_region
        if best is None or (not country and self._named_so_elsewhere(typed[:best[0]], best[1], every_band)):
            return merged, status, reason
        place = country or best[1].country or ""
        if not regional and any(reference.holds_word_in(t, place, best[1].entity_id) for t in typed[best[0]:]):
            return merged, status, reason
        if not regional and reference.names_another_city(typed[best[0]:], best[1].entity_id, anywhere=not country):
            return merged, status, reason  # 'Institut für Metallforschung  Saarbrücken' is no Swiss institute's campus
        top = self._from_reference(best[1])
        if top is None or not top.usable:
            return merged, status, reason
        if any(c.usable and c.band != "below" and c.reference_id != top.reference_id for c in merged):
            return merged, status, reason
        top.score, top.band = max(top.score, self.registry.options.probable), "probable"
        following = " ".join(typed[best[0]:])
        top.reason += f"; the text begins with its whole name, then {following!r}"
        said = f"then its own region, {following!r}" if regional else f"no institution in {place} has {following!r}"
        return ([top] + [c for c in merged if c.reference_id != top.reference_id], "matched",
                f"the text begins with the whole name of {top.name}; {said}")

    def _of_its_region(self, rest: list[str], country: str | None) -> bool:
        """'James Cook University *of North Queensland*': 'of' and a region of the institution's own country (or the
        country), a compass word with it, are where it is, not words of another name."""
        assert self.reference is not None
        if len(rest) < 2 or rest[0] != "of" or not country:
            return False
        countries, regions = self.reference.places_of(country)
        places = [t for t in rest[1:] if t not in COMPASS]
        return bool(places) and all(t in countries or t in regions for t in places)

    @staticmethod
    def _named_so_elsewhere(words: list[str], chosen: Match, every_band: Callable[[], list[Match]]) -> bool:
        """Whether another institution, of any country, has a name of exactly ``words``: without a country, a whole
        name begins the text as one institution's only where no other carries it ('Universidad de Oriente' is
        Cuba's, Venezuela's and El Salvador's)."""
        return any(m.entity_id != chosen.entity_id and not m.acronym
                   and [t for t in tokens_of(fold_name(m.matched_name)) if t not in LEGAL_FORMS] == words
                   for m in every_band())

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

    def _eponym_left_out(self, name: str, country: str | None, merged: list[Candidate], status: str,
                         reason: str) -> tuple[list[Candidate], str, str]:
        """'Technical University of Iasi' (RO) for the Gheorghe Asachi Technical University of Iași, 'Université de
        Chlef' for the Hassiba Benbouali University of Chlef: with the country, the one institution of the country
        with a name that has every word of the text, where that name adds only two or three words of its own, first
        or last: most often the person it is named after (``eponym_left_out``; 'College of Management' for the College
        of Management Academic Studies is another). A coordinator knows which technical university of Iași is meant;
        and, by its town, which university of medicine and pharmacy ('... of Cluj-Napoca': Iuliu Hațieganu's).
        Never over an exact or probable candidate, nor on a text of kinds and fields alone."""
        reference = self.reference
        if reference is None or not country or any(
                c.usable and c.band != "below" and (c.exact or c.band == "probable") for c in merged):
            return merged, status, reason
        typed = [t for t in tokens_of(fold_name(name)) if t not in LEGAL_FORMS and t not in STOPWORDS]
        if len(typed) < 2 or only_generic(name) or (found := reference.eponym_left_out(typed, country)) is None:
            return merged, status, reason
        entity_id, matched, eponym = found
        left = " ".join(eponym)
        its_city = [t for t in typed if t not in tokens_of(fold_name(matched))]
        where = f" or is its city ({' '.join(its_city)})" if its_city else ""
        why = (f"every word of the text is in the name {matched!r}{where}, which adds only {left!r} (first or last: the "
               "person it is named after, most often)")
        top = self._from_reference(Match(entity_id=entity_id, score=self.registry.options.probable, band="probable",
                                         matched_name=matched, query_name=name, explanation=why, country=country))
        if top is None or not top.usable:
            return merged, status, reason
        return ([top] + [c for c in merged if c.reference_id != top.reference_id], "matched",
                f"{why}; no other institution in {country} has a name with every word of the text")

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
        self._read_reference_rows([match.entity_id for match in found])
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
    shared by one process per CPU (``workers`` overrides): this one and children forked from it,
    which inherit the indexes. A caller
    that resolves in several rounds (an import read in batches) passes the ``Resolver`` (with
    ``exact_first``) it keeps, so the indexes are built once."""
    resolver = resolver or Resolver(db, exact_first=True)
    names = [(name, country) for name, country in names]
    if workers is None:
        workers = (os.cpu_count() or 1) if len(names) >= PARALLEL_FROM else 1
    path = database_file(db)
    if workers <= 1 or path is None or not can_fork():
        # The collector held back as the workers hold it back by freezing their heap: each of its full passes walks
        # the indexes' hundreds of thousands of objects, about a fifth of the CPU of 2,000 names resolved here
        # (1.13 of 5.32 s). The answers are trees; what little garbage has cycles waits for the next pass.
        with collector_paused(kept=True):
            return [resolver.resolve(name, country, limit) for name, country in progress.iterate(names, len(names), "resolving")]
    global _WORKER_RESOLVER
    _WORKER_RESOLVER = resolver
    with collector_paused(kept=True):  # what is read here is no garbage: a pass would walk the indexes for nothing
        for index in (resolver.registry, resolver.reference):
            if index is not None:
                index.read_once_tables()
    chunks = _chunks(names, workers)
    progress.start(len(names), "resolving")
    # The answers read back are trees (no cycles), and a full collection they set off would walk the whole heap,
    # the indexes included, while the workers need both cores: the collector waits until they are all in.
    try:
        with collector_paused(kept=True) as collecting:
            results = _resolve_shared(resolver, chunks, limit, workers, str(path), collecting, progress)
    finally:
        progress.finish()
        _WORKER_RESOLVER = None
    return [resolution for chunk in results for resolution in chunk]


def _resolve_shared(resolver: Resolver, chunks: list[list[tuple[str, str | None]]], limit: int, workers: int,
                    path: str, collecting: bool, progress: Progress) -> list[list[Resolution]]:
    """The chunks' answers, in order, resolved by this process and ``workers - 1`` children forked from it (which
    inherit the indexes), each taking the next chunk nobody has taken; a child sends each chunk's answers back as it
    finishes it, and this process reads what has come between two of its own names. This process resolving too
    (where a pool of ``workers`` children left it waiting) spares a child's start and the pickling of its share of
    the answers both ways (about 0.85 s of CPU for 10,000 answers, out of 16-20 s), and its first chunk starts at
    once. (A thread reading the answers meanwhile made the two threads contend for the interpreter.)"""
    context = multiprocessing.get_context("fork")
    taken = context.Value("i", 0)  # how many chunks have been taken, by any process
    results: list[list[Resolution] | None] = [None] * len(chunks)
    failures: list[BaseException] = []
    children, incoming = [], []  # the children and the connections their answers come by
    try:
        for _ in range(workers - 1):
            receiving, their_end = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(their_end, taken, chunks, limit, path, collecting), daemon=True)
            child.start()
            their_end.close()
            children.append(child)
            incoming.append(receiving)
        while not failures and (at := _take(taken, len(chunks))) is not None:
            answers = []
            for name, country in chunks[at]:
                answers.append(resolver.resolve(name, country, limit))
                if incoming:
                    _receive(wait(incoming, 0), incoming, results, failures, progress)
            results[at] = answers
            progress.advance(len(answers))
        while incoming and not failures:
            _receive(wait(incoming), incoming, results, failures, progress)
    finally:
        for child in children:
            if child.is_alive() and (failures or any(chunk is None for chunk in results)):
                child.terminate()  # this process failed: the children's answers are not wanted
            child.join()
        for receiving in incoming:
            receiving.close()
    if failures:  # the child's own exception, as a pool re-raised it: the command says it in one line, as for this process's
        raise failures[0]
    if any(chunk is None for chunk in results):
        raise RuntimeError("a resolve worker ended without sending all its answers")
    return results  # type: ignore[return-value]  # every chunk is in: checked above


def _take(taken, count: int) -> int | None:
    """The next chunk nobody has taken, taken now; None once all are."""
    with taken.get_lock():
        at = taken.value
        if at >= count:
            return None
        taken.value = at + 1
    return at


def _child(sending, taken, chunks: list[list[tuple[str, str | None]]], limit: int, path: str, collecting: bool) -> None:
    """A forked worker: chunks taken and resolved until none is left, each one's answers sent as it is done; a
    failure is sent as its exception, and nothing more after it."""
    try:
        _start_worker(path, collecting)
        while (at := _take(taken, len(chunks))) is not None:
            sending.send((at, _resolve_chunk(chunks[at], limit)))
        sending.send(None)
    except BaseException as error:  # the parent raises it; an exception that cannot be pickled goes as its traceback
        try:
            sending.send(error)
        except Exception:
            sending.send(RuntimeError(f"a resolve worker failed: {traceback.format_exc()}"))
    finally:
        sending.close()


def _receive(ready: list, incoming: list, results: list, failures: list[BaseException], progress: Progress) -> None:
    """What the children whose connections are ``ready`` have sent: a chunk's answers, None once a child is done
    (its connection then leaves ``incoming``), or the exception it failed on."""
    for receiving in ready:
        try:
            message = receiving.recv()
        except EOFError:  # the child ended without saying it was done
            message = RuntimeError("a resolve worker ended without sending all its answers")
        except Exception as error:  # its exception could not be read back here
            message = RuntimeError(f"a resolve worker failed: {error}")
        if message is None or isinstance(message, BaseException):
            incoming.remove(receiving)
            receiving.close()
            if message is not None:
                failures.append(message)
            continue
        at, answers = message
        results[at] = answers
        progress.advance(len(answers))


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
    # It only reads (a candidate's record, about one query a name): through a map, a page is read in place rather than
    # copied by a system call (those reads, 1,395 in 1,500 names, 0.12 -> 0.08 s of CPU at load 7).
    store.map_for_reading(resolver.db.conn)
    resolver._references = {}
    # The inherited heap (the indexes: hundreds of thousands of objects) is never garbage: a full collection
    # would walk all of it (a few tenths of a second each) and copy every page it touches. The worker is a
    # child of its own that ends once the chunks are all taken; nothing of the caller's is frozen. It collects its own garbage
    # as the caller did before resolve_many held the collector back.
    gc.freeze()
    if collecting:
        gc.enable()


def _resolve_chunk(names: list[tuple[str, str | None]], limit: int) -> list[Resolution]:
    resolver = _worker_resolver()
    return [resolver.resolve(name, country, limit) for name, country in names]
