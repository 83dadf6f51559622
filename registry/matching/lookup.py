"""Looking a typed name up in a name index: take it apart, block on rare words, collect the matches."""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterable
from itertools import repeat
from operator import add, itemgetter

from rapidfuzz import fuzz, process

from registry.matching.affiliation_text import street_named_after, university_of_its_hospital
from registry.matching.match import (
    LATER_PENALTY,
    PART_PENALTY,
    UNPLACED_PENALTY,
    Match,
    MatchOptions,
    PenaltyKind,
    _penalise,
)
from registry.matching.memo import memo
from registry.matching.scoring import IndexScoring
from registry.matching.text import (
    CAMPUS_WORDS,
    COMPASS,
    GENERIC,
    HIGHER_EDUCATION_WORDS,
    LEGAL_FORMS,
    OTHER_BODY,
    QUALIFIERS,
    RESEARCH_UNIT_WORDS,
    STOPWORDS,
    WRAPPERS,
    Query,
    campus_set_apart,
    exact_key,
    fold_name,
    levels,
    other_country,
    parse_query,
    tokens_of,
)
from registry.matching.unpaired import typed_words, within_reach
from registry.matching.words import (
    _COGNATE_STEM,
    CITY_DISCOUNT,
    VOWEL_SIMILARITY,
    _declined,
    _looks_like_acronym,
    _near_city,
    _trigrams,
    cognate,
    place_forms,
    place_tail,
    token_similarity,
    vowel_gaps,
    vowel_variants,
)

BLOCK_BUDGET = 500  # postings read per query variant before commoner words only re-rank
RARE_SPELLING = 8  # names a typed word may have and still be read as another romanisation of a name word
IN_COUNTRY_CANDIDATES = 4  # with a country, names of that country aligned besides the best of all countries


JOINED_PART_PENALTY = 0.1  # an entity matched on a part of another's name that the text writes whole
BRAND_POSTINGS = 128  # names a brand's first word may have: ROR's most branched companies (MSD, Merck) have 65-73
AFFILIATED_PENALTY = 0.1  # a university matched where the text names its affiliated hospital
# "The Second Affiliated Hospital of X", "Affiliated Hospital of X": a hospital, an organisation of its own
_AFFILIATED_HOSPITAL = re.compile(r"\baffiliated (\w+ )?hospital (of|to)\b")
ADDRESS_NUMBER_WITHIN = 4  # a street address after a name has its house number or postcode within so many words
ADDRESS_PLACE_WORDS = 2  # and ends in the city, the country, or both (its last words)
SPAN_WEIGHT = 2.0  # a name found within a longer text has a word at least this rare
# The start of a text that names a unit: an affiliation ("Department of Genetics Stanford University ...").
_UNIT_START = re.compile(r"^((from|the|and|\d+) )*(department|dept|faculty|school|college|institute|laboratory|lab|"
                         r"laboratories|division|section|unit|center|clinic|program|programme|chair|graduate|key|"
                         r"state key|group|service|research|departamento|dipartimento|institutionen|klinik)\b")
# A unit named after the institution's name: "Yale University *School of Medicine*".
_UNIT_AFTER = re.compile(r"^(department|dept|faculty|division|laboratory|lab|graduate school|"
                         r"(school|college|institute|center|centre) (of|for))\b")
# A unit of the institution whose name ends the text: "... Medical School of", "... Hospital Affiliated to".
_UNIT_OF = re.compile(r"\b(school|college|institute|center|centre|hospital|clinic|laboratory|lab|department|faculty|"
                      r"division|program|programme|unit)\b.*\b(of|affiliated to|at)( the)?$")
# A unit named after the institution's name and a word of its own: "... Diamantina Institute", "... Chan School of".
_UNIT_WITHIN = re.compile(r"\b(institute|school of|college of|faculty of|department of|center for|centre for|"
                          r"laboratory|laboratories)\b")
# A unit's head word inside a run, before the institution's name: "Quantum Electrical Metrology *Division* National
# Institute of Standards and Technology ...", "... Research Group *Department of* Medicine University of Otago".
_UNIT_HEADS = frozenset(["department", "dept", "division", "faculty", "laboratory", "lab", "program", "programme",
                         "group", "section", "unit", "chair"])
# The units that may be organisations of their own (a department, faculty or division never is).
_OWN_UNIT_START = re.compile(r"^(institute|center|centre|laboratory|laboratories|school|college|clinic) (of|for)\b")
# Words that carry a name on past a run that is another name: "University *of* Railway Transport",
# "University *Hospital*", "Université d'Alger *3*", "... *and* Technology".
_CONTINUATIONS = frozenset(["of", "for", "and", "de", "di", "da", "do", "del", "della", "des", "du", "der", "fur", "und",
                            "y", "et", "e", "ii", "iii", "iv", "vi", "vii", "viii", "ix", "x"])


def _add_to(gained: defaultdict[int, float], names: Iterable[int], gain: float) -> None:
    """``gained[name] += gain`` for each of ``names`` (none twice), in C: a posting list is hundreds of names. The same
    sums in the same order, and a name new to ``gained`` enters it where the loop would have put it."""
    names = names if isinstance(names, (list, tuple)) else list(names)
    gained.update(zip(names, map(add, map(gained.__getitem__, names), repeat(gain)), strict=True))


def _carries_name_on(after: tuple[str, ...]) -> bool:
    if _UNIT_AFTER.match(" ".join(after[:3])):  # "Yale University School of Medicine"
        return False
    word = after[0]
    if street_named_after(after):  # "Queen's University Belfast  University Rd. Belfast": an address goes on
        return False
    if word in _CONTINUATIONS or word in GENERIC or word in QUALIFIERS or word.removesuffix("s") in QUALIFIERS:
        return True
    # a footnote mark before a unit ("Universidad de Concepción 1 Departamento de Física") does not; a number that names
    # the institution ("Université Paris 8 Département ...") is in the longer run, which is read first
    return (word.isdigit() and len(word) <= 2 and (len(after) == 1 or not after[1].isdigit())
            and not _UNIT_START.match(" ".join(after[1:4])))


def _research_unit(segment: tuple[str, ...]) -> bool:
    return "university" not in segment and bool(RESEARCH_UNIT_WORDS.intersection(segment))


def _unit_inside(segment: tuple[str, ...], after_unit: bool) -> int:
    """Where, in a run that no unit word begins, a unit's name has been read and the institution's may begin (the
    length of the run where none is): after a unit's head word and its name's first word ("... Metrology Division |
    National Institute of Standards ...", "... Department of Medicine | University of Otago ..."); in a run that
    follows a unit's segment, after its first word ("School of Chemistry, Physics | and Mechanical Engineering
    Queensland University of Technology", "Department of Haematology, Eastern | Health and Monash University")."""
    heads = [k for k, t in enumerate(segment) if t in _UNIT_HEADS]
    if heads:
        k = heads[-1]
        return k + (3 if segment[k + 1:k + 2] in (("of",), ("for",)) else 1)
    return 1 if after_unit else len(segment)


# Words that, before an institution's name, name another one: a private, catholic or national university of the
# same city is not the university of that city.
ANOTHER_BODY_BEFORE = frozenset(["private", "privee", "catholic", "national", "state", "federal", "open",
                                 "international", "islamic", "islamique", "christian"])


def _named_after_unit(segment: tuple[str, ...], start: int, unit_from: int) -> bool:
    """A run of a name at ``start`` follows the unit's name, which ends at ``unit_from``; research units may come
    between ("... Group Groningen Institute of Biomolecular Sciences and Biotechnology University of Groningen").
    After a unit's segment (no head word in the run), the words before it are a list of fields or a function word goes
    before it ("... Mechanical Engineering Queensland University", "... Campus of Sun Yat-sen University"): "Institute
    of Physics, Technical University of Wrocław" names a university of its own, "The Second Xiangya Hospital of ..."
    a hospital."""
    if start < unit_from:
        return False
    return (any(t in _UNIT_HEADS for t in segment[:start]) or segment[start - 1] in STOPWORDS
            or "and" in segment[1:start - 1])


def _before_unit(segment: tuple[str, ...]) -> tuple[str, ...]:
    """The segment up to a unit named after the institution's name ("washington university | school of medical",
    "... university | department of physics ..."), or the whole segment."""
    for k in range(2, len(segment) - 1):
        if _UNIT_AFTER.match(" ".join(segment[k:k + 3])):
            return segment[:k]
    return segment


def _distinctive(token: str) -> bool:
    return token not in GENERIC and token not in STOPWORDS and token not in QUALIFIERS and token not in LEGAL_FORMS


class IndexLookup(IndexScoring):
    """Querying: the methods of ``NameIndex`` that find and rank candidates."""

    def match(
        self,
        name: str,
        country: str | None = None,
        limit: int = 5,
        *,
        city: str | None = None,
        options: MatchOptions | None = None,
        include_below: bool = False,
        exact_first: bool = False,
    ) -> list[Match]:
        """The best-scoring entities for a typed name, best first, one Match per entity.

        Matches in the 'below' band are left out unless ``include_below``. With
        ``exact_first``, a whole-text exact match of exactly one entity ends the search (the
        bulk path: the decision is the same, the other candidates are not listed)."""
        if not self.name_raw:  # a registry without institutions yet: nothing to take the name apart for
            return []
        options = options or self.options
        query = parse_query(name)
        country = country or query.country_hint
        context = set(query.context) | (set(tokens_of(fold_name(city))) if city else set())
        best: dict[int, Match] = {}
        keep_below = include_below
        for position, variant in enumerate(query.variants):
            first_of_exact_first = exact_first and position == 0
            found = self._match_variant(query, variant, country, context, options, keep_below, fuzzy=not first_of_exact_first)
            if first_of_exact_first:
                exact = {entity for entity, m in found if m.exact and m.score >= options.probable}
                if len(exact) == 1:  # exact first; fuzzy only on what is left
                    best = {entity: m for entity, m in found if entity in exact}
                    break
                found += self._match_variant(query, variant, country, context, options, keep_below, exact=False)
            for entity, match in found:
                if position and variant == query.kept and self._placed(entity, query):
                    match.explanation += self._context_read(entity, query)
                elif position:  # the rest of the text says something the entity is not known for: a little more
                    amount = PART_PENALTY + (UNPLACED_PENALTY if variant == query.kept and query.context else 0.0)
                    # of two institutions named ("Barnard College, Columbia University"; "Royal College of Music,
                    # University of London"), the first is the one meant, the second the one it belongs to
                    amount += LATER_PENALTY * self._named_before(query, variant)
                    why = f"matched the part {' '.join(variant)!r} only"
                    if self._unit_of_later_university(query, variant):
                        amount += LATER_PENALTY
                        why += ", a centre, institute or hospital named before a university it belongs to"
                    _penalise(match, amount, PenaltyKind.TEXT_PART, why, options)
                known = best.get(entity)
                if known is None or match.score > known.score or (match.score == known.score and match.exact > known.exact):
                    best[entity] = match
        self._joined_segments(query, country, options, best)
        if len(query.raw) >= 20 and not any(m.score >= options.probable for m in best.values()):
            for entity, match in self._span_matches(query, country, options):
                known = best.get(entity)
                if known is None or match.score > known.score:
                    best[entity] = match
        if country and len(query.segments) > 1 and not any(m.score >= options.probable for m in best.values()):
            for entity, match in self._brands(query, country, options):
                known = best.get(entity)
                if known is None or match.score > known.score:
                    best[entity] = match
        if query.dropped and not any(m.score >= options.probable for m in best.values()):
            for entity, match in self._units_of_their_own(query, country, options):
                known = best.get(entity)
                if known is None or match.score > known.score:
                    best[entity] = match
        if len(query.segments) > 1 and not any(m.score >= options.probable for m in best.values()):
            for entity, match in self._university_of_its_hospital(query, country, options):
                known = best.get(entity)
                if known is None or match.score > known.score:
                    best[entity] = match
        if query.variants and "affiliated" in query.variants[0]:
            self._affiliated_hospital(query, options, best)
        ranked = sorted(best.values(), key=lambda m: (-m.score, not m.exact, m.entity_id))
        if not (ranked and ranked[0].score >= options.probable) and (apart := campus_set_apart(name)):
            # 'Monash University Clayton Campus': the campus set apart, where the text as typed found no answer
            by_id = {m.entity_id: m for m in ranked}
            more = self.match(apart, country, limit, city=city, options=options, include_below=include_below)
            words = parse_query(apart).context - CAMPUS_WORDS - COMPASS
            for m in more:
                if (m.entity_id not in by_id or m.score > by_id[m.entity_id].score) and self._campus_of(m, words, more):
                    by_id[m.entity_id] = m
            ranked = sorted(by_id.values(), key=lambda m: (-m.score, not m.exact, m.entity_id))
        if not include_below:
            ranked = [m for m in ranked if m.band != "below"]
        return ranked[:limit]

    def _named_before(self, query: Query, variant: tuple[str, ...]) -> int:
        """How many institutions the text names before this segment: the segments before it that are some
        institution's name. A unit that is no institution of its own ("Hamdi Mango Center for Scientific
        Research, The University of Jordan") names none."""
        if variant not in query.named:
            return 0
        university = "university" in variant
        return sum(1 for segment in query.named[:query.named.index(variant)]
                   if self.exact.get(exact_key(segment)) and not (university and _research_unit(segment)))

    def _unit_of_later_university(self, query: Query, variant: tuple[str, ...]) -> bool:
        """A research centre, institute, laboratory or hospital named before a university that the index
        knows ("Research Institute for X, Kyoto University, Uji"): the text gives the unit and the
        university it belongs to; the university is the affiliation (as ROR's curated sets answer)."""
        if variant not in query.named or not _research_unit(variant):
            return False
        later = query.named[query.named.index(variant) + 1:]
        return any(HIGHER_EDUCATION_WORDS.intersection(segment) and self.exact.get(exact_key(segment)) for segment in later)

    def _affiliated_hospital(self, query: Query, options: MatchOptions, best: dict[int, Match]) -> None:
        """'The Second Affiliated Hospital of Harbin Medical University': the text names a hospital of the
        university, which ROR lists as an organisation of its own (where the index lacks it, the university is not
        the answer). A name that says no hospital or clinic is matched a little less (``AFFILIATED_PENALTY``): it
        stays a candidate, but not a confident answer."""
        if not any(_AFFILIATED_HOSPITAL.search(" ".join(segment)) for segment in query.segments):
            return
        for match in best.values():
            if "care" not in levels(tokens_of(fold_name(match.matched_name))):
                _penalise(match, AFFILIATED_PENALTY, PenaltyKind.TEXT_PART,
                          "the text names an affiliated hospital of it, an organisation of its own", options)

    def _joined_segments(self, query: Query, country, options: MatchOptions, best: dict[int, Match]) -> None:
        """A name with a comma of its own, typed within a longer text ("Department of Entomology, University of
        California, Davis, California 95616"): two segments in a row that are exactly an institution's name are
        that institution, and an entity matched on the first of them alone (the University of California
        System) yields to it: the text names its campus."""
        segments = query.segments
        if len(segments) < 2:
            return
        whole = exact_key(query.variants[0]) if query.variants else ""
        for k in range(len(segments) - 1):
            head = _before_unit(segments[k])  # "Washington University [School of Medicine], St. Louis"
            joined = head + segments[k + 1]
            key = exact_key(joined)
            if not key or _UNIT_START.match(" ".join(segments[k + 1])):
                continue
            ids = [i for i in self.exact.get(key, ()) if not self.name_part[i]]
            if not ids or not any(_distinctive(t) for t in head):
                continue
            first = exact_key(head)
            words = frozenset(first.split()) - STOPWORDS
            for match in best.values():  # read on the first segment alone: a part of the name typed, in any order
                name = exact_key(tokens_of(fold_name(match.matched_name)))
                if (match.exact and name == first) or (head != segments[k] and frozenset(name.split()) - STOPWORDS == words):
                    _penalise(match, JOINED_PART_PENALTY, PenaltyKind.JOINED_PART, f"the text names {' '.join(key.split())!r}, of which this is "
                              "a part", options)
            for name_id in ids:
                entity = self.name_entity[name_id]
                if key == whole:  # the whole text ("University of Wisconsin, Madison"): matched already
                    continue
                match = self._exact_match(query, joined, name_id, country, options)
                rest = [s for i, s in enumerate(segments) if i not in (k, k + 1) and " ".join(s) not in query.dropped]
                if rest:
                    _penalise(match, PART_PENALTY, PenaltyKind.TEXT_PART, f"matched the part {' '.join(joined)!r} only", options)
                known = best.get(entity)
                if known is None or match.score > known.score:
                    best[entity] = match

    def _span_matches(self, query: Query, country, options: MatchOptions) -> list[tuple[int, Match]]:
        """An affiliation written without commas ('Department of Genetics Stanford University Stanford
        California USA'): the longest runs of words that are exactly an institution's name, with a rare word
        other than a kind, qualifier or function word. A run inside a text counts only where the text reads
        as a unit of it (it begins 'Department of ...'); a run that begins the text only with nothing but its
        place (or a unit) after it. Never where the next word carries the name on ('... University of
        Railway Transport', '... University Hospital', "... d'Alger 3") or a word around it makes the text
        another body's ('... University Press', 'Friends of ...')."""
        found = []
        for index, segment in enumerate(query.runs):
            unit = _UNIT_START.match(" ".join(segment))
            led_by_unit = unit is not None
            # the unit's own name comes first ("Department of Materials Science and Engineering", "Institute for
            # Advanced Study"): a run that begins it names the unit, not the institution
            first = len(unit.group(0).split()) + 2 if unit else 0
            # a unit named inside the run, or in the segment before it: the institution's name may follow it
            after_unit = index > 0 and " ".join(query.runs[index - 1]) in query.dropped
            unit_from = len(segment) if led_by_unit else _unit_inside(segment, after_unit)
            taken: set[int] = set()
            for size in range(min(len(segment), 8), 1, -1):
                for start in range(len(segment) - size + 1):
                    span, after = segment[start:start + size], segment[start + size:]
                    if span[0] in STOPWORDS or span[-1] in STOPWORDS or taken.intersection(range(start, start + size)):
                        continue
                    if start < first:
                        continue
                    ids = [i for i in self.exact.get(exact_key(span), ()) if not self.name_part[i]]
                    around = {t for t in segment[max(0, start - 3):start] + after[:2]}
                    if (not ids or OTHER_BODY.intersection(around)
                            or not any(_distinctive(t) and self.weight(t) >= SPAN_WEIGHT for t in span)):
                        continue
                    # a city that begins with a kind word ("Pennsylvania State University University Park PA")
                    # does not carry the name on; a run inside a text that no unit word begins ("Complex and
                    # Distributed IT Systems Technische Universität Berlin Berlin Germany") is the institution
                    # where only its place follows
                    ids = [i for i in ids if not (after and _carries_name_on(after))
                           or after[0] in self.entity_city[self.name_entity[i]]]
                    begins = start == 0 or (start == 1 and segment[0] == "the")
                    if not begins and segment[start - 1] in ANOTHER_BODY_BEFORE:
                        continue  # 'Private University of Ouagadougou' is not the University of Ouagadougou
                    if not begins and not led_by_unit and not _named_after_unit(segment, start, unit_from):
                        # "Warren Alpert Medical School of Brown University", "... Hospital Affiliated to X University":
                        # a unit of the institution named last
                        # (an institute of an academy of sciences is an organisation of its own)
                        of_it = not after and "academy" not in span and _UNIT_OF.search(" ".join(segment[:start]))
                        rest = after + tuple(t for later in query.runs[index + 1:] for t in later)
                        ids = [i for i in ids if of_it or (after and (self._only_place(after, self.name_entity[i])
                                                                      or self._address(after, rest, self.name_entity[i])))]
                    if not ids:
                        continue
                    taken.update(range(start, start + size))
                    for name_id in ids:
                        if begins and after and not self._place_or_unit(after, self.name_entity[name_id]):
                            continue
                        match = self._exact_match(query, span, name_id, country, options)
                        _penalise(match, PART_PENALTY, PenaltyKind.FOUND_WITHIN, f"{self.name_raw[name_id]!r} found within the text",
                                  options)
                        found.append((self.name_entity[name_id], match))
        return found

    def _units_of_their_own(self, query: Query, country, options: MatchOptions) -> list[tuple[int, Match]]:
        """A segment read as a unit that is exactly one institution's name ("Institute of Mathematics and Mathematical
        Modeling, Almaty, Kazakhstan", "Institute for Economic Research, Ljubljana"): where nothing else names an
        institution, it is the one meant, where the text names its place: its city, or its country and no other
        city ("Institute of Pathology, Friedrich-Alexander University, Erlangen" is not Munich's Pathologisches
        Institut). A department, faculty or division is never one of its own."""
        found = []
        for unit in query.dropped:
            words = tuple(unit.split())
            if not _OWN_UNIT_START.match(unit):
                continue
            ids = [i for i in self.exact.get(exact_key(words), ()) if not self.name_part[i]]
            if len({self.name_entity[i] for i in ids}) != 1 or not any(
                    _distinctive(t) and self.weight(t) >= SPAN_WEIGHT for t in words):
                continue
            if not self._names_its_place(query, unit, self.name_entity[ids[0]]):
                continue
            match = self._exact_match(query, words, ids[0], country, options)
            _penalise(match, PART_PENALTY, PenaltyKind.FOUND_WITHIN, f"{self.name_raw[ids[0]]!r} found within the text",
                      options)
            found.append((self.name_entity[ids[0]], match))
        return found

    def _university_of_its_hospital(self, query: Query, country, options: MatchOptions) -> list[tuple[int, Match]]:
        """A medical centre or medical school named after its university, with no record of its own ("Center for Rare
        Diseases, University of Leipzig Medical Center, Leipzig"): the university, where its words are exactly one
        institution's name (``affiliation_text.university_of_its_hospital``)."""
        found = []
        for segment in query.segments:
            words = university_of_its_hospital(segment)
            if not words:
                continue
            ids = [i for i in self.exact.get(exact_key(words), ()) if not self.name_part[i]]
            if len({self.name_entity[i] for i in ids}) != 1 or not any(
                    _distinctive(t) and self.weight(t) >= SPAN_WEIGHT for t in words):
                continue
            match = self._exact_match(query, words, ids[0], country, options)
            _penalise(match, PART_PENALTY, PenaltyKind.FOUND_WITHIN, f"{self.name_raw[ids[0]]!r}, whose medical centre "
                      "or school the text names", options)
            found.append((self.name_entity[ids[0]], match))
        return found

    def _brands(self, query: Query, country: str, options: MatchOptions) -> list[tuple[int, Match]]:
        """A company written by its brand in a segment of its own, in the country the text names ("..., Sanofi,
        Chilly-Mazarin, France"; "Toppan Inc, Saitama, Japan"): ROR names a company's national branches "Sanofi
        (France)", "Toppan (Japan)"; the segment, less legal forms, and the country the text names are that name."""
        found = []
        places = self.country_words(country)
        for segment in query.segments:
            words = tuple(t for t in segment if t not in LEGAL_FORMS)
            if not words or not all(_distinctive(t) for t in words) or set(words) & self.place_words():
                continue
            held = self.postings.get(words[0], ())
            if len(held) > BRAND_POSTINGS:  # a brand is a rare word: a common one names no company
                continue
            for name_id in held:
                tokens = self.name_tokens[name_id]
                entity = self.name_entity[name_id]
                if (tokens[:len(words)] != words or len(tokens) == len(words) or self.entity_country[entity] != country
                        or not set(tokens[len(words):]) <= places or self.name_part[name_id]):
                    continue
                match = self._exact_match(query, tokens, name_id, country, options)
                _penalise(match, PART_PENALTY, PenaltyKind.FOUND_WITHIN, f"{' '.join(words)!r} with its country, "
                          f"as {self.name_raw[name_id]!r}", options)
                found.append((entity, match))
        return found

    def _names_its_place(self, query: Query, unit: str, entity: int) -> bool:
        """The text, less the unit, names the entity's city, or its country and no other city of the index."""
        words = {t for segment in query.segments if " ".join(segment) != unit for t in segment}
        city, country = self.entity_city[entity], self.entity_country[entity]
        if city and (city <= words or any(_near_city(t, city) for t in words if len(t) >= 4)):
            return True
        own = self.country_words(country) | self.region_words(country) | city
        return bool(own & words) and not (words - own) & (self.place_words() - STOPWORDS)

    def _place_or_unit(self, words: tuple[str, ...], entity: int) -> bool:
        """The words after a name say where it is (an address, its city, country, a postcode, a state's code) or
        begin a unit."""
        if words[0].isdigit() or _UNIT_START.match(" ".join(t for t in words if not t.isdigit())):
            return True
        if _UNIT_WITHIN.search(" ".join(words)):  # "Harvard University T H Chan School of Public Health"
            return True
        known = self.country_words(self.entity_country[entity]) | self.entity_city[entity]
        if words[-1] in known - self.entity_city[entity]:  # an address ending in its country
            return True
        return all(t in known or t in STOPWORDS or any(c.isdigit() for c in t) or len(t) <= 2
                   or _near_city(t, self.entity_city[entity]) for t in words)

    def _only_place(self, words: tuple[str, ...], entity: int) -> bool:
        """The words say where the entity is and nothing else: its city, country, a postcode, a state's code."""
        known = self.country_words(self.entity_country[entity]) | self.entity_city[entity] | self.region_words(self.entity_country[entity])
        return all(t in known or t in STOPWORDS or any(c.isdigit() for c in t) or len(t) <= 2
                   or _near_city(t, self.entity_city[entity]) for t in words)

    def _address(self, after: tuple[str, ...], rest: tuple[str, ...], entity: int) -> bool:
        """The words after a name are its street address ("... University of Groningen *Nijenborgh 4 9747 AG Groningen
        The Netherlands*", "... Saitama University *255 Shimo-Okubo*, Sakura-ku 338-8570 Saitama Japan"): a house
        number within its first words, and the rest of the text (``rest``, these words and the later runs') names no
        other body, no kind nor unit and ends in the entity's city or country."""
        if not any(any(c.isdigit() for c in t) for t in after[:ADDRESS_NUMBER_WITHIN]):
            return False
        # (a postcode's letters are no legal form: '9747 AG Groningen')
        if any(t in GENERIC or t in RESEARCH_UNIT_WORDS or (t in OTHER_BODY and len(t) > 2) or t in QUALIFIERS
               or t in _UNIT_HEADS for t in rest):
            return False
        place = [t for t in rest if not any(c.isdigit() for c in t) and t not in STOPWORDS and len(t) > 2]
        return bool(place) and self._only_place(tuple(place[-ADDRESS_PLACE_WORDS:]), entity)

    def _campus_of(self, match: Match, words: frozenset[str], others: list[Match]) -> bool:
        """The words of a campus set apart from a name typed without a comma name a place of the matched entity (its
        city, region or country) and no other candidate's name carries them ('SRM University
        *Sikkim* Main Campus' is SRM University Sikkim's name, 'Pontifical University *Antonianum* Main Campus' no
        campus)."""
        entity = self.entity_pos[match.entity_id]
        country_words, region_words = self.places_of(self.entity_country[entity])
        own = self.entity_city[entity] | country_words | region_words
        named = set().union(*(self.entity_words[self.entity_pos[m.entity_id]] for m in others if m is not match))
        return all(w.isdigit() or (w not in named and w in own) for w in words)

    def _context_read(self, entity: int, query: Query) -> str:
        """What the words set apart from the name were read as, for the explanation: the entity's
        acronym ("Ruhr-Universität Bochum (RUB)") or its place (city, campus, postcode ...)."""
        acronyms = sorted(w for w in query.context if w in self.entity_acronyms[entity])
        places = sorted(w for w in query.context if w not in self.entity_acronyms[entity])
        said = [f"{' '.join(acronyms)} read as its acronym"] if acronyms else []
        said += [f"{' '.join(places)} read as its place"] if places else []
        return "".join(f"; {part}" for part in said)

    def _placed(self, entity: int, query: Query) -> bool:
        """The words set apart from the name (after a comma, a dash, in brackets) say where the entity
        is, not which: its city, country or acronym, a campus, a postcode."""
        known = (self.entity_city[entity] | self.country_words(self.entity_country[entity]) | self.entity_acronyms[entity]
                 | self.region_words(self.entity_country[entity]))
        return bool(query.context) and all(
            w in known or w in query.places or w.isdigit() or _near_city(w, self.entity_city[entity]) for w in query.context
        )

    def match_many(self, names: Iterable[tuple[str, str | None]], limit: int = 5, **kwargs) -> list[list[Match]]:
        return [self.match(name, country, limit, **kwargs) for name, country in names]

    def _match_variant(self, query: Query, tokens, country, context, options, keep_below=True,
                       *, exact: bool = True, fuzzy: bool = True) -> list[tuple[int, Match]]:
        key = exact_key(tokens)
        if not key:
            return []
        found: list[tuple[int, Match]] = []
        exact_ids = self.exact.get(key, ())
        if exact:
            for name_id in exact_ids:
                found.append((self.name_entity[name_id], self._exact_match(query, tokens, name_id, country, options)))
        if not fuzzy:
            return found
        # An acronym written in parts ("UPR-RP", "ISP PAN", "KIOS CoE") is indexed as its words: it is still an
        # acronym, with the support one needs (a country that singles out its holder, its city alongside).
        if len(tokens) == 1 or key in self.acronyms:
            found += self._acronym_matches(query, key, country, context, options)
        elif len(tokens) >= 2:
            found += self._acronym_with_words(query, tokens, country, options)
        acronym_query = len(tokens) == 1 and _looks_like_acronym(query.raw.strip(), tokens)
        candidates = self._candidates(tokens, options, country)
        if not keep_below:
            candidates = self._reachable(candidates, tokens, options, country)
        for name_id in candidates:
            if name_id not in self._acronym_names and name_id not in exact_ids:
                match = self._aligned_match(query, tokens, name_id, country, context, options, keep_below)
                if match is not None:
                    if acronym_query and match.score >= options.probable:  # never accept on an acronym alone
                        _penalise(match, match.score - options.possible, PenaltyKind.ACRONYM_ALONE,
                                  "an acronym alone is not enough", options)
                    found.append((self.name_entity[name_id], match))
        return found

    def _candidates(self, tokens: tuple[str, ...], options: MatchOptions, country: str | None = None) -> list[int]:
        """Blocking: names sharing a distinctive (or typo-close) word with the query, ranked
        by an optimistic estimate of their score; only the best few are aligned in full.

        Rare words are read first; once ``BLOCK_BUDGET`` postings are read, commoner words
        ('hospital', 'medical') only add weight to the names already found. With a country, the best few
        names of that country are aligned too: a name made of common words ('International School of
        Management', SK) has namesakes all over the world that an estimate blind to the country ranks first."""
        query_weight = sum(self.weight(t) for t in tokens)
        distinctive = {t for t in tokens if t not in STOPWORDS and t not in GENERIC}
        words = []
        for token in distinctive or {t for t in tokens if t not in STOPWORDS}:
            for near, similarity in self._near_tokens(token, options.min_token_similarity, options.spelling_variants):
                words.append((len(self.postings[near]), near, self.weights[near] * similarity))
        words += self._vowel_gap_words(distinctive, {near for _, near, _ in words}, country)
        words.sort()
        gained: defaultdict[int, float] = defaultdict(float)
        for token in distinctive:
            for name_id, gain in self._split_word(token):  # "Beijing" in 北京大学 (bei jing da xue)
                gained[name_id] += gain
        for size in (2, 3):  # "Kafr El-Sheikh" for "Kafrelsheikh"
            for start in range(len(tokens) - size + 1):
                joined = "".join(tokens[start:start + size])
                if joined in self.postings and len(self.postings[joined]) <= BLOCK_BUDGET:
                    _add_to(gained, self.postings[joined], self.weights[joined])
        read, late = 0, []
        for size, near, gain in words:
            if read and read + size > BLOCK_BUDGET:
                late.append((near, gain))
                continue
            read += size
            _add_to(gained, self.postings[near], gain)
        if len(gained) <= options.candidates:  # all of them are aligned: the commoner words would only re-rank
            return list(gained)
        for near, gain in late:  # a common word: the names found that have it, by set intersection in C
            # (the set's own intersection walks the few names found; ``gained.keys() & frozenset`` walked the set)
            _add_to(gained, self._posting_set(near).intersection(gained), gain)
        best = self._best_estimates(gained, query_weight, options.extra_word_penalty, options.candidates)
        if country is None or not IN_COUNTRY_CANDIDATES:
            return best
        # the names found that are of the country, by set intersection in C (the order of ``theirs`` does not change
        # which names ``_best_estimates`` keeps: it ranks by estimate, then name)
        of_country = self._names_by_country().get(country)
        theirs = {name_id: gained[name_id] for name_id in of_country.intersection(gained)} if of_country else {}
        ours = self._best_estimates(theirs, query_weight, options.extra_word_penalty, IN_COUNTRY_CANDIDATES)
        return best + [name_id for name_id in ours if name_id not in best]

    def _vowel_gap_words(self, distinctive: set[str], known: set[str], country: str | None) -> list[tuple[int, str, float]]:
        """Blocking's words for a typed word written with a vowel more or less than a name word ("Fahd" / "Fahad",
        "Yasuj" / "Yasouj", "Bourgas" / "Burgas"): romanisations write a short vowel or not, a sound with one vowel or
        two. Only for a word few names carry (a word many carry is spelt as the language spells it: 'music' is no
        'musc'), and only where no name has the typed word or a name of the country given has the other: 'Sanno'
        (JP) is no 'Sannio' (IT), though one letter apart."""
        found = []
        of_country = self._names_by_country().get(country) if country else None
        for token in distinctive:
            own = self.postings.get(token, ())
            if len(own) > RARE_SPELLING:
                continue
            for other in vowel_gaps(token):
                names = self.postings.get(other)
                if names is None or other in known:
                    continue
                if own and (of_country is None or of_country.isdisjoint(names)):
                    continue
                known.add(other)
                found.append((len(names), other, self.weights[other] * VOWEL_SIMILARITY))
        return found

    def _best_estimates(self, gained: dict[int, float], query_weight: float, penalty: float, wanted: int) -> list[int]:
        """The ``wanted`` names of ``gained`` (name -> weight of the query words it has) whose optimistic
        score is highest, best first (ties: the higher name first). A name's estimate is at most ``got / max(got,
        query_weight)``, which falls as ``got`` falls: read by ``got``, most first, the names stop counting once that
        bound is below the estimate of the last of the best kept (most names blocking finds share one common word)."""
        name_weight = self.name_weight
        best: list[tuple[float, int]] = []  # a heap: the least of the best kept first
        least = None  # best[0][0] once ``wanted`` names are kept (read for every name: kept apart from the heap)
        for name_id, got in sorted(gained.items(), key=itemgetter(1), reverse=True):
            ceiling = got if got > query_weight else query_weight  # max() written out: this runs for every name
            if least is not None and got / ceiling < least:
                break
            weight = name_weight[name_id]
            estimate = got / (ceiling + (penalty * (weight - got) if weight > got else 0.0) + 1e-9)
            if least is None:
                heapq.heappush(best, (estimate, name_id))
                if len(best) == wanted:
                    least = best[0][0]
            elif estimate >= least and (estimate, name_id) > best[0]:
                heapq.heapreplace(best, (estimate, name_id))
                least = best[0][0]
        return [name_id for _, name_id in sorted(best, reverse=True)]

    def read_once_tables(self) -> None:
        """Work out now the tables lookups work out once per process (each country's names, the cities by their start,
        the place words, the one-word cities): processes forked afterwards (resolve workers) inherit them rather than
        each working them out."""
        self._names_by_country()
        self._cities_by_start()
        self.place_words()
        self._one_word_cities()

    @memo(1)  # worked out once per process: a pass over every name
    def _names_by_country(self) -> dict[str | None, frozenset[int]]:
        """Each country's names (their ids): the names of the given country that blocking ranks besides the best."""
        by_country: dict[str | None, list[int]] = {}
        entity_country = self.entity_country
        for name_id, entity in enumerate(self.name_entity):
            by_country.setdefault(entity_country[entity], []).append(name_id)
        return {country: frozenset(ids) for country, ids in by_country.items()}

    @memo(1)  # worked out once, a pass over every entity's city, and kept in the index's pickle (state.KEPT_TABLES)
    def _cities_by_start(self) -> dict[str, frozenset[str]]:
        """The words of the entities' cities (four letters or more), by their first three letters."""
        by_start: dict[str, set[str]] = {}
        for city in set().union(*self.entity_city) if self.entity_city else ():
            if len(city) >= 4 and not city.isdigit():
                by_start.setdefault(city[:3], set()).add(city)
        return {start: frozenset(words) for start, words in by_start.items()}

    @memo(2_000)  # common words, read late by blocking
    def _posting_set(self, word: str) -> frozenset[int]:
        """The names with a word, as a set (kept for the common words blocking reads late)."""
        return frozenset(self.postings[word])

    @memo(50_000)
    def _split_word(self, token: str) -> list[tuple[int, float]]:
        """Names that write a word as two ('bei jing' for 'beijing', 'jiao tong' for 'jiaotong'), with the
        weight of the two halves: a transliterated script spaces its syllables where a person does not."""
        found: list[tuple[int, float]] = []
        if len(token) < 5 or token.isdigit():
            return found
        for k in range(2, len(token) - 1):
            first, second = self.postings.get(token[:k]), self.postings.get(token[k:])
            if first is None or second is None:
                continue
            if len(first) > len(second):
                first, second = second, first
            both = set(second).intersection(first)
            # at most what the typed word weighs: two rare syllables ('shang', 'hai') outweigh 'shanghai' itself, and
            # every label in the script then outranked the name that has the typed word ("Shanghai Busness School")
            gain = min(self.weights[token[:k]] + self.weights[token[k:]], self.weight(token))
            found += [(name_id, gain) for name_id in both]
        return found

    def _reachable(self, candidates: list[int], tokens: tuple[str, ...], options: MatchOptions,
                   country: str | None = None) -> list[int]:
        """The candidates whose aligned score could reach the possible band. At best every
        name word close to a query word aligns; the name's other words cost at least their
        weight (a city word at least its discount) times the penalty, and from that ratio
        ``_aligned_match`` subtracts at least the penalties it takes whatever the words (``_fixed_penalty``)."""
        penalty = options.extra_word_penalty
        if penalty <= 0 or not candidates:
            return candidates
        near: set[str] = set()
        typed: list[tuple[str, int]] = []  # query words whose typo-close indexed words are near too (tested per name word)
        for token in tokens:
            near.update(self._near_forms(token))
            if len(token) >= 5 and not token.isdigit():
                typed.append((token, len(token)))
        near.update("".join(tokens[k:k + size]) for size in (2, 3) for k in range(len(tokens) - size + 1))  # neighbours
        weights, reachable, band, minimum = self.weights, [], options.possible, options.min_token_similarity
        # a cognate shares its first _COGNATE_STEM letters with the typed word (``cognate``): other words need no test
        stems = {token[:_COGNATE_STEM] for token, length in typed if length >= _COGNATE_STEM}
        typed_side = None  # what the typed words cost at least (registry/matching/unpaired.py), once a name asks
        far: set[str] = set()  # name words found not near, for the next candidates
        for name_id in candidates:
            aligned = 0.0
            others = []  # (position, word, weight) of the name words no query word is close to
            for position, word in enumerate(self.name_tokens[name_id]):  # every name word is weighed
                if word in near:
                    aligned += weights[word]
                elif word in far:
                    others.append((position, word, weights[word]))
                elif typed and (self._typo_of_any(typed, word, minimum)
                                or (word[:_COGNATE_STEM] in stems and self._cognate_of_any(typed, word))):
                    near.add(word)
                    aligned += weights[word]
                else:
                    far.add(word)
                    others.append((position, word, weights[word]))
            if not aligned:
                continue
            possible = band + self._fixed_penalty(name_id, country, options)
            # Whether a word is placed (a city, the country) only sets its cost between CITY_DISCOUNT and 1 times
            # its weight, and the sum of the costs in this order grows with each term: when all placed or none
            # placed already decides, the words need not be placed (fuzzy city matching is the dearest part).
            if aligned / (aligned + penalty * sum(w * CITY_DISCOUNT for _, _, w in others)) < possible:
                continue
            if aligned / (aligned + penalty * sum(w * 1.0 for _, _, w in others)) >= possible:
                typed_side = typed_side or typed_words(self, tokens)
                if within_reach(self, typed_side, name_id, aligned, others, sum(w * CITY_DISCOUNT for _, _, w in others),
                                possible, options):
                    reachable.append(name_id)
                continue
            entity = self.name_entity[name_id]
            city, country_named = self.entity_city[entity], self.country_words(self.entity_country[entity])
            regions = self.region_words(self.entity_country[entity])
            seat = place_tail(self.name_tokens[name_id])
            rest = 0.0
            for position, word, w in others:
                placed = (position >= seat or word in country_named or word in regions
                          or (city and _near_city(word, city)))
                rest += w * (CITY_DISCOUNT if placed else 1.0)
            if aligned / (aligned + penalty * rest) >= possible:
                typed_side = typed_side or typed_words(self, tokens)
                if within_reach(self, typed_side, name_id, aligned, others, rest, possible, options):
                    reachable.append(name_id)
        return reachable

    @memo(50_000)
    def _near_forms(self, token: str) -> frozenset[str]:
        """The name words a typed word is near before any typo: itself, with or without a plural s
        (``token_similarity``'s rule), and of a word of five letters or more the place names it may be the
        adjective of, its one-vowel variants, its two parts (``_joined_pairs``) and the cities it is declined from: the words
        ``_near_tokens(token, minimum, True)`` gives but for its trigram search, asked only for the few name
        words left over (``_typo_of_any``): reading the trigram postings cost more than the candidates' own words."""
        forms = {token, token + "s", token.removesuffix("s")}
        if len(token) >= 5 and not token.isdigit():
            forms.update(place_forms(token))
            forms.update(vowel_variants(token))
            forms.update(vowel_gaps(token))
            forms.update(part for k in range(2, len(token) - 1) for part in (token[:k], token[k:]))
            forms.update(city for city in self._cities_by_start().get(token[:3], ()) if _declined(token, city))
        return frozenset(forms)

    def _typo_of_any(self, typed: list[tuple[str, int]], word: str, minimum: float) -> bool:
        """Whether a name word is a typo of one of the typed words (``_typo_apart``)."""
        size = len(word)
        if size < 4:
            return False
        for token, length in typed:
            # ratio >= 0.8 needs the shorter word 2/3 of the longer
            if 3 * (size if size < length else length) >= 2 * (length if size < length else size) and (
                    self._typo_apart(token, word, minimum)):
                return True
        return False

    @staticmethod
    def _cognate_of_any(typed: list[tuple[str, int]], word: str) -> bool:
        """Whether a name word is a typed word's cognate ('autonomous' / 'autonoma'), which aligns though no typo."""
        return len(word) >= 6 and any(cognate(token, word) for token, _ in typed)

    def _fixed_penalty(self, name_id: int, country: str | None, options: MatchOptions) -> float:
        """What ``_aligned_match`` subtracts from a name's ratio whatever words align: a part of an 'A - B' name,
        a country other than the one given (a hair less, so that rounding never drops a name that reaches the band)."""
        amount = PART_PENALTY if self.name_part[name_id] else 0.0
        if other_country(country, self.entity_country[self.name_entity[name_id]]):
            amount += options.country_penalty
        return amount - 1e-9 if amount else 0.0

    @memo(100_000)  # (typed word, name word, minimum): asked for every candidate's words left over
    def _typo_apart(self, token: str, word: str, minimum: float) -> bool:
        """Whether ``_close_words(token, minimum)`` finds the indexed ``word``: it shares one of the trigrams that
        search reads, and is close by ratio and by ``token_similarity``."""
        return (word != token and len(word) >= 4 and not word.isdigit()
                and fuzz.ratio(token, word) >= minimum * 100 and token_similarity(token, word) >= minimum
                and not _trigrams(word).isdisjoint(self._searched_trigrams(token)))

    @memo(50_000)
    def _searched_trigrams(self, token: str) -> list[str]:
        """The trigrams of a word whose postings ``_close_words`` reads: the rarest, as many as the pigeonhole
        needs."""
        grams = sorted(_trigrams(token), key=lambda gram: len(self.trigrams.get(gram, ())))
        return grams[: len(grams) - max(2, len(grams) // 2) + 1]

    @memo(200_000)
    def _near_tokens(self, token: str, minimum: float, variants: bool = False) -> list[tuple[str, float]]:
        """The word itself if indexed; otherwise indexed words close to it (a typo), found
        through shared character trigrams. With ``variants``, close words are added to an
        indexed word too (defence / defense, organisation / organization)."""
        if token in self.postings and not (variants and len(token) >= 5):
            found = [(token, 1.0)]
        elif len(token) >= 4 and not token.isdigit():
            found = [(token, 1.0)] if token in self.postings else []
            found += self._close_words(token, minimum)
        else:
            found = []
        if len(token) >= 4 and not token.isdigit():
            # A genitive or plural s ("Malardalens universitet" / "Malardalen University") and a place's
            # adjective ("Opolski" / "Opole") are the same word, though both forms may be indexed.
            known = {word for word, _ in found}
            found += [(other, 0.9) for other in (token + "s", token.removesuffix("s"), *place_forms(token))
                      if other != token and other not in known and other in self.postings]
            known = {word for word, _ in found}
            # a city's name declined ("Oulun yliopisto", "Helsingin", "Tampereen"): the city's word, which the scorer
            # reads as the entity's place; blocking found no name through the declined form
            found += [(city, 0.9) for city in self._cities_by_start().get(token[:3], ())
                      if city not in known and city != token and _declined(token, city) and city in self.postings]
            known = {word for word, _ in found}
            # romanisations differ in a vowel ("Khaled" / "Khalid"), both forms often indexed (for two bodies)
            found += [(other, VOWEL_SIMILARITY) for other in vowel_variants(token)
                      if other not in known and other in self.postings]
        return found

    def _close_words(self, token: str, minimum: float) -> list[tuple[str, float]]:
        # A word sharing half its trigrams (at least 2) shares one of the rarest len - needed + 1 (pigeonhole),
        # so only those posting lists are read; rapidfuzz's C loop then finds the close words.
        others: set[str] = set()
        for gram in self._searched_trigrams(token):
            others.update(self.trigrams.get(gram, ()))
        others.discard(token)
        close = process.extract(token, list(others), scorer=fuzz.ratio, score_cutoff=minimum * 100, limit=None)
        return [(other, similarity) for other, _, _ in close if (similarity := token_similarity(token, other)) >= minimum]

    def plain_holders(self, name: str, country: str | None) -> set[str]:
        """The entities of ``country`` (None: of any country) with a name made of every distinctive word of
        ``name`` (a word neither generic nor a function word) and otherwise only generic words or its place:
        'Karolinska' in SE -> Karolinska Institutet ('Karolinska University Hospital' adds 'hospital', a word that
        tells it apart)."""
        # a legal form or wrapper says what kind of body holds the school, not which ("Stichting Fontys")
        tokens = [t for t in tokens_of(fold_name(name)) if t not in STOPWORDS and t not in LEGAL_FORMS and t not in WRAPPERS]
        distinctive = {t for t in tokens if t not in GENERIC}
        if not distinctive or len(distinctive) > 3 or any(t not in self.postings for t in distinctive):
            return set()
        # the names with every distinctive word, by intersecting their postings in C (the rarest word's names one by
        # one: the rules ask this of most answers that have a comma)
        postings = sorted((self.postings[t] for t in distinctive), key=len)
        names = set(postings[0]).intersection(*postings[1:]) if len(postings) > 1 else postings[0]
        holders: set[int] = set()
        # the words any holder's name may have besides its place, as one set: a common pair of words ('research',
        # 'association') has thousands of names, each tested here
        plain = distinctive | STOPWORDS | GENERIC
        name_entity, entity_country, name_tokens, acronym_names = (self.name_entity, self.entity_country, self.name_tokens,
                                                                   self._acronym_names)
        for name_id in names:
            entity = name_entity[name_id]
            theirs = entity_country[entity]
            if (country is not None and theirs != country) or name_id in acronym_names:
                continue
            rest = set(name_tokens[name_id]).difference(plain)
            if not rest or not rest.difference(self.entity_city[entity], self.country_words(theirs)):
                holders.add(entity)
        return {self.entity_ids[entity] for entity in holders}
