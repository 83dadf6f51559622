"""Matching institution names: the engine behind resolve, dedupe and screening.

People type partner names in every form ("Univ. of Copenhagen", "Københavns Universitet",
"KU", "Faculty of Medicine, Univ. of Helsinki"). Character similarity alone cannot tell
"Nanjing University" from "Nanjing University of Aeronautics and Astronautics" (rapidfuzz's
``WRatio`` gives 90), so this module follows OpenSanctions' logic-v2 instead:

1. Normalise once, at the door: fold to ASCII (``registry.text.fold``), expand abbreviations,
   map the word "university" and its kin in many languages to one token, drop department
   prefixes. The normalised form is what the index stores.
2. Block: look names up by their rare tokens (and by character trigrams of the vocabulary, for
   typos) so that a query is compared with a few dozen names, not with every name.
3. Align words: pair each query word with at most one word of the name (exact, or close by
   rapidfuzz ratio). Rare words weigh much (IDF over the indexed entities), generic words
   (university, institute, of ...) little, and the words either side leaves unmatched count
   against the match; the name's extra words with a configurable penalty.
4. Evidence beyond the words: an acronym alone is never accepted unless the country or city
   supports it or it is unique where uniqueness means something; a country that differs
   lowers the score.

Every ``Match`` carries the name variant that matched, the aligned words and the penalties,
so that a person can accept or reject it in seconds.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from registry.text import fold

# --- normalisation ---------------------------------------------------------------------

# Abbreviations people write in partner names, after folding and with the dot removed.
ABBREVIATIONS = {
    "univ": "university",
    "uni": "university",
    "inst": "institute",
    "instit": "institute",
    "tech": "technology",
    "technol": "technology",
    "med": "medical",
    "hosp": "hospital",
    "sci": "science",
    "natl": "national",
    "nat": "national",
    "intl": "international",
    "coll": "college",
    "acad": "academy",
    "ctr": "center",
    "cntr": "center",
    "dept": "department",
    "fac": "faculty",
    "polytech": "polytechnic",
    "sch": "school",
    "mt": "mount",
    "corp": "corporation",
    "co": "company",
    "ltd": "limited",
    "inc": "incorporated",
}

# One token for a word that means the same kind of institution in many languages, so that
# "Universität Wien" and "University of Vienna" differ only in their distinctive word.
CANONICAL = {
    **dict.fromkeys(
        "university universitet universitat universitaet universite universidad universidade universita "
        "universiteit uniwersytet univerzita univerzitet universitatea universiti universiteti yliopisto "
        "egyetem sveuciliste univerza universitetet universitas universitatis panepistemio panepistimio "
        "universitetas universitate daigaku daxue".split(),
        "university",
    ),
    **dict.fromkeys(
        "institute institut instituto istituto institutet instytut institutt instituut instituttet".split(),
        "institute",
    ),
    **dict.fromkeys("hospital hopital ospedale sjukhus sykehus sygehus krankenhaus hospitalet".split(), "hospital"),
    **dict.fromkeys("college colegio collegio kollegium".split(), "college"),
    **dict.fromkeys("technology technologie tecnologia teknologi technologies".split(), "technology"),
    **dict.fromkeys("technical technische technischen tecnica tecnico technicka tekniska".split(), "technical"),
    **dict.fromkeys("medical medizinische medicinska medicina medicine medecine medizin".split(), "medical"),
    **dict.fromkeys("sciences science".split(), "science"),
    **dict.fromkeys("centre center centro zentrum".split(), "center"),
    **dict.fromkeys("school schule escuela scuola ecole".split(), "school"),
    **dict.fromkeys("navy naval".split(), "navy"),
}

# Words that carry (almost) no identity: function words in the languages partner names use.
STOPWORDS = frozenset(
    "of the and for in at de del della di da do dos das du des la le les el los en et y e i "
    "och og og und der die das fur von zu am im van voor het a an".split()
)
# Words that say what kind of body it is, not which one.
GENERIC = frozenset(
    "university institute college school academy faculty department polytechnic "
    "national state federal royal public higher education".split()
)
# Generic, but what tells a medical university from the university of the same city.
QUALIFIERS = frozenset(
    "medical technology technical science research health center hospital clinic "
    "applied arts economics business agricultural pedagogical".split()
)

# Legal forms of companies: sanctions lists add or drop them freely ("Norinco Group Co., Ltd."),
# so they weigh little and cost little when unmatched.
LEGAL_FORMS = frozenset(
    "company limited incorporated corporation llc jsc pjsc ojsc cjsc ooo oao zao pao gmbh ag sa plc "
    "bv nv ab oy as spa srl sarl kk".split()
)
# Compass words differ by a letter or two but name different places ("Eastern Cape" / "Western
# Cape"); they align only with a word of the same direction.
COMPASS = frozenset(
    "north south east west northeast northwest southeast southwest northern southern eastern western "
    "northeastern northwestern southeastern southwestern".split()
)

STOPWORD_WEIGHT = 0.05
GENERIC_WEIGHT = 0.25
QUALIFIER_WEIGHT = 0.9
# Rare words weigh up to this much; IDF is squashed (tanh) so a unique city name and a merely
# uncommon word differ by a factor of about two, not ten.
MAX_WEIGHT = 3.0
# An unmatched word costs at least this much, however generic: "University College
# Copenhagen" is not the University of Copenhagen though "college" is a common word.
EXTRA_WORD_FLOOR = 1.0
# Subtracted when only a segment of a comma-separated text matched, not the whole of it.
PART_PENALTY = 0.05

# The first word(s) of a comma-separated segment that names a unit inside an institution.
_UNIT_PREFIX = re.compile(
    r"^(department|dept|departement|departamento|dipartimento|faculty|fac|facultad|faculte|fakultat|fakultet|"
    r"facolta|division|unit|laboratory|lab|section|chair|programme|program|graduate school|"
    r"institutionen|avdelningen|afdeling|klinik for|medical faculty|medicinska fakulteten|"
    r"(school|college|institute|centre|center|clinic) (of|for))\b"
)
# Words that show a segment names an institution (rather than a city, street or country).
_INSTITUTION_WORDS = frozenset(
    "university institute college hospital school academy polytechnic clinic center "
    "foundation council agency ministry".split()
)

_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])")
_ELISION = re.compile(r"\b([ldjn])'")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    # Space out CJK characters so each becomes a token ("北京大学" -> "bei jing da xue"),
    # rather than one opaque run that only an identical string could match.
    return fold(_CJK.sub(r" \1 ", text))


def tokens_of(folded: str) -> list[str]:
    """Tokens of one folded segment, abbreviations expanded and generic words canonical."""
    text = _ELISION.sub(r"\1 ", folded).replace("'", "").replace("&", " and ")
    raw = _NON_WORD.sub(" ", text).split()
    out = []
    for position, token in enumerate(raw):
        if token == "u" and position + 1 < len(raw) and raw[position + 1] in ("of", "de", "di"):
            token = "university"
        token = ABBREVIATIONS.get(token, token)
        out.append(CANONICAL.get(token, token))
    return out


def normalize(name: str) -> str:
    """The form names are compared in: 'Harbin Inst. of Tech.' -> 'harbin institute of technology'."""
    return " ".join(tokens_of(_fold(name)))


def exact_key(tokens: Iterable[str]) -> str:
    """Key for exact matching: the normalised words without function words, in order."""
    return " ".join(t for t in tokens if t not in STOPWORDS)


@dataclass(frozen=True)
class Query:
    """A typed name taken apart: the variants worth matching and what was set aside."""

    raw: str
    variants: tuple[tuple[str, ...], ...]  # token tuples, best guess first
    dropped: tuple[str, ...] = ()  # unit prefixes removed ("faculty of medicine")
    context: tuple[str, ...] = ()  # segments kept as context (city, country, street)
    country_hint: str | None = None  # a country named in the text itself


def _segment_country(segment_tokens: tuple[str, ...]) -> str | None:
    if not segment_tokens or len(segment_tokens) > 4:
        return None
    return _country_lookup().get(" ".join(segment_tokens))


@lru_cache(maxsize=None)
def country_words(code: str | None) -> frozenset[str]:
    """Words of a country's names ('sweden', 'sverige', 'kingdom' ...): in a typed name they
    agree with an entity in that country rather than count against it."""
    if not code:
        return frozenset()
    words = {code.lower()}
    for name, other in _country_lookup().items():
        if other == code:
            words.update(name.split())
    return frozenset(words - STOPWORDS)


@lru_cache(maxsize=1)
def _country_lookup() -> dict[str, str]:
    """Normalised country names and codes (English, Swedish, native) -> alpha-2."""
    from registry.countries import _lookup

    table = {}
    for name, code in _lookup().items():
        if len(name) > 3:  # two- and three-letter codes would read acronyms as countries
            table[" ".join(tokens_of(name))] = code
    return table


def parse_query(raw: str) -> Query:
    """Split a typed name on commas, semicolons and brackets ("... Technology (NUDT)"); drop unit
    prefixes, keep institution-like segments as variants and the rest (city, country) as context."""
    folded = _fold(raw)
    segments = [tuple(tokens_of(part)) for part in re.split(r"[,;()\[\]]|\s+-\s+|\s*\|\s*", folded)]
    segments = [s for s in segments if s]
    if not segments:
        return Query(raw, ())
    if len(segments) == 1:
        return Query(raw, (segments[0],))
    dropped, kept, context = [], [], []
    country = None
    for segment in segments:
        text = " ".join(segment)
        if _UNIT_PREFIX.match(text):
            dropped.append(text)
        elif any(t in _INSTITUTION_WORDS for t in segment):
            kept.append(segment)
        else:
            code = _segment_country(segment)
            if code:
                country = country or code
            context.append(segment)
    if not kept:
        # Nothing looks like an institution: the first non-unit segment is the name (a bare
        # "Karolinska, Stockholm"), the rest context.
        rest = [s for s in segments if " ".join(s) not in dropped]
        if not rest:
            return Query(raw, (segments[-1],), tuple(dropped[:-1]))
        kept, context = [rest[0]], [s for s in rest[1:]]
        country = next((c for c in (_segment_country(s) for s in context) if c), None)
    # The whole (units dropped) first: "University of California, San Diego" is one name;
    # then the institution-like segments together and alone.
    whole = tuple(t for s in segments if " ".join(s) not in dropped for t in s)
    variants = [whole, tuple(t for s in kept for t in s)] + (list(reversed(kept)) if len(kept) > 1 else [])
    unique = list(dict.fromkeys(variants))[:4]
    return Query(raw, tuple(unique), tuple(dropped), tuple(" ".join(s) for s in context), country)


# --- matches -------------------------------------------------------------------------------


@dataclass
class Match:
    entity_id: str
    score: float
    band: str  # probable, possible, below
    matched_name: str
    query_name: str
    explanation: str
    aligned: list[tuple[str, str, float]] = field(default_factory=list)
    matched_kind: str | None = None
    country: str | None = None
    penalties: list[str] = field(default_factory=list)
    exact: bool = False
    acronym: bool = False

    def as_dict(self) -> dict:
        return {
            "entity_id": self.entity_id,
            "score": round(self.score, 4),
            "band": self.band,
            "matched_name": self.matched_name,
            "matched_kind": self.matched_kind,
            "query_name": self.query_name,
            "country": self.country,
            "explanation": self.explanation,
            "aligned": [[q, n, round(s, 3)] for q, n, s in self.aligned],
            "penalties": self.penalties,
        }


@dataclass(frozen=True)
class MatchOptions:
    """How strict matching is. Screening raises the extra-word penalty and lowers the bands."""

    extra_word_penalty: float = 0.5  # weight of the indexed name's unmatched words
    query_extra_penalty: float = 1.0  # weight of the query's unmatched words
    country_penalty: float = 0.2  # subtracted when both countries are known and differ
    probable: float = 0.88
    possible: float = 0.7
    min_token_similarity: float = 0.8  # rapidfuzz ratio/100 below which words do not align
    accept_unique_acronyms: bool = False  # an acronym unique in this index is evidence enough
    candidates: int = 24  # names scored in full per query, after blocking

    def band(self, score: float) -> str:
        return "probable" if score >= self.probable else "possible" if score >= self.possible else "below"


KINDS = ("official", "local", "alias", "acronym", "former")


class NameIndex:
    """Every name of every entity, normalised and indexed by token for fast matching.

    Build once (``NameIndex.build``) and query many times (``match``); the object pickles,
    so a caller may keep it on disk next to the data it was built from.
    """

    def __init__(self) -> None:
        self.options = MatchOptions()
        self.entity_ids: list[str] = []
        self.entity_country: list[str | None] = []
        self.entity_city: list[tuple[str, ...]] = []
        self.name_entity: list[int] = []
        self.name_raw: list[str] = []
        self.name_kind: list[str] = []
        self.name_tokens: list[tuple[str, ...]] = []
        self.name_weight: list[float] = []
        self.exact: dict[str, list[int]] = {}
        self.acronyms: dict[str, list[int]] = {}
        self.postings: dict[str, list[int]] = {}
        self.weights: dict[str, float] = {}
        self.trigrams: dict[str, list[str]] = {}
        self.max_weight = 1.0

    # -- building -------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple],
        *,
        cities: dict[str, str] | None = None,
        options: MatchOptions | None = None,
        **option_values,
    ) -> "NameIndex":
        """Index ``(entity_id, name, country | None, kind)`` tuples (a fifth element, the
        already normalised name, may be given to skip normalising). ``cities`` maps entity
        ids to their city, which counts as evidence for acronyms and extra query words."""
        index = cls()
        index.options = options or MatchOptions(**option_values)
        entity_pos: dict[str, int] = {}
        name_entity: list[int] = []
        seen: set[tuple[int, str]] = set()
        for entry in entries:
            entity_id, name, country, kind = entry[:4]
            if not name:
                continue
            normalised = entry[4] if len(entry) > 4 and entry[4] is not None else normalize(name)
            position = entity_pos.get(entity_id)
            if position is None:
                position = entity_pos[entity_id] = len(index.entity_ids)
                index.entity_ids.append(entity_id)
                index.entity_country.append(country)
                index.entity_city.append(())
            elif country and not index.entity_country[position]:
                index.entity_country[position] = country
            if (position, normalised) in seen and kind != "acronym":
                continue
            seen.add((position, normalised))
            name_entity.append(position)
            index.name_raw.append(name)
            index.name_kind.append(kind if kind in KINDS else "alias")
            index.name_tokens.append(tuple(normalised.split()))
        index.name_entity = name_entity
        for entity_id, city in (cities or {}).items():
            if entity_id in entity_pos and city:
                index.entity_city[entity_pos[entity_id]] = tuple(tokens_of(_fold(city)))
        index._index_tokens()
        return index

    def _index_tokens(self) -> None:
        document_frequency: dict[str, set[int]] = defaultdict(set)
        postings: dict[str, list[int]] = defaultdict(list)
        for name_id, tokens in enumerate(self.name_tokens):
            entity = int(self.name_entity[name_id])
            key = exact_key(tokens)
            if self.name_kind[name_id] == "acronym" or _looks_like_acronym(self.name_raw[name_id], tokens):
                self.acronyms.setdefault(key, []).append(name_id)
            else:
                self.exact.setdefault(key, []).append(name_id)
            for token in set(tokens):
                document_frequency[token].add(entity)
                postings[token].append(name_id)
        entities = max(len(self.entity_ids), 1)
        # Smoothed IDF: a word on every entity weighs ~0.1, a word on one weighs ln(N)+0.1.
        self.max_weight = _squash(math.log(entities + 1) + 0.1)
        for token, holders in document_frequency.items():
            self.weights[token] = _fixed_weight(token, _squash(math.log((entities + 1) / len(holders)) + 0.1))
        self.postings = dict(postings)
        self.name_weight = [sum(self.weights[t] for t in tokens) for tokens in self.name_tokens]
        trigrams: dict[str, list[str]] = defaultdict(list)
        for token in self.weights:
            if len(token) >= 4 and not token.isdigit():
                for gram in _trigrams(token):
                    trigrams[gram].append(token)
        self.trigrams = dict(trigrams)

    def __len__(self) -> int:
        return len(self.name_raw)

    # -- querying -------------------------------------------------------------------------

    def weight(self, token: str) -> float:
        """A word's weight; a word the index has never seen is as rare as a word can be."""
        known = self.weights.get(token)
        return known if known is not None else _fixed_weight(token, self.max_weight)

    def match(
        self,
        name: str,
        country: str | None = None,
        limit: int = 5,
        *,
        city: str | None = None,
        options: MatchOptions | None = None,
        include_below: bool = False,
    ) -> list[Match]:
        """The best-scoring entities for a typed name, best first, one Match per entity.

        Matches in the 'below' band are left out unless ``include_below``."""
        options = options or self.options
        query = parse_query(name)
        country = country or query.country_hint
        context_tokens = set(tokens_of(_fold(city))) if city else set()
        for segment in query.context:
            context_tokens.update(segment.split())
        best: dict[int, Match] = {}
        for position, variant in enumerate(query.variants):
            floor = 0.0 if include_below else options.possible
            for match in self._match_variant(query, variant, country, context_tokens, options, floor):
                if position:  # a part of the text matched, not the whole: "University of California"
                    match.score = max(0.0, match.score - PART_PENALTY)
                    match.penalties.append(f"matched the part {' '.join(variant)!r} only (-{PART_PENALTY:g})")
                    match.explanation += f"; {match.penalties[-1]}"
                    match.band = options.band(match.score)
                entity = self._entity_pos(match.entity_id)
                if entity not in best or match.score > best[entity].score:
                    best[entity] = match
        ranked = sorted(best.values(), key=lambda m: (-m.score, not m.exact, m.entity_id))
        if not include_below:
            ranked = [m for m in ranked if m.band != "below"]
        return ranked[:limit]

    def _entity_pos(self, entity_id: str) -> int:
        if not hasattr(self, "_entity_lookup") or len(self._entity_lookup) != len(self.entity_ids):
            self._entity_lookup = {e: i for i, e in enumerate(self.entity_ids)}
        return self._entity_lookup[entity_id]

    def _match_variant(self, query, tokens, country, context_tokens, options, floor: float = 0.0) -> list[Match]:
        key = exact_key(tokens)
        if not key:
            return []
        matches: list[Match] = []
        exact_ids = self.exact.get(key, [])
        acronym_ids = self.acronyms.get(key, []) if len(key.split()) == 1 else []
        if acronym_ids:
            matches.extend(self._acronym_matches(query, key, acronym_ids, country, context_tokens, options))
        for name_id in exact_ids:
            matches.append(self._exact_match(query, tokens, name_id, country, options))
        for name_id in self._candidates(tokens, options, floor):
            if name_id in exact_ids or name_id in acronym_ids:
                continue
            match = self._aligned_match(query, tokens, name_id, country, context_tokens, options)
            if match is not None:
                matches.append(match)
        # A token that is an acronym of an entity, with the rest naming its city ("LMU München").
        if len(tokens) >= 2:
            matches.extend(self._acronym_with_context(query, tokens, country, options))
        return matches

    def _candidates(self, tokens: tuple[str, ...], options: MatchOptions, floor: float = 0.0) -> list[int]:
        """Blocking: names sharing a rare (or typo-close) word with the query, ranked by an
        optimistic estimate of their score; only the best few are aligned in full, and of
        those only the ones whose score could reach ``floor``."""
        query_weight = sum(self.weight(t) for t in tokens)
        matched: dict[int, float] = defaultdict(float)
        distinctive = {t for t in tokens if t not in STOPWORDS and t not in GENERIC}
        for token in distinctive or {t for t in tokens if t not in STOPWORDS}:
            for near, similarity in self._near_tokens(token, options):
                gain = self.weights[near] * similarity
                for name_id in self.postings[near]:
                    matched[name_id] += gain
        penalty, name_weight = options.extra_word_penalty, self.name_weight
        if len(matched) <= options.candidates:
            candidates = list(matched)
        else:  # an optimistic estimate of each score (inline: this runs for every blocked name)
            estimates = [
                (g / ((query_weight if query_weight > g else g) + (penalty * (name_weight[i] - g) if name_weight[i] > g else 0.0) + 1e-9), i)
                for i, g in matched.items()
            ]
            candidates = [i for _, i in heapq.nlargest(options.candidates, estimates)]
        if floor <= 0 or penalty <= 0:
            return candidates
        # An upper bound of the aligned score: at best every name word close to a query word
        # aligns, and the name's other words cost at least their weight (x the penalty).
        near = {t for t in tokens if t in STOPWORDS}
        for token in tokens:
            if token not in STOPWORDS:
                near.update(word for word, _ in self._near_tokens(token, options))
            if len(token) >= 5:  # halves of a word the name writes as two (see _joined_pairs)
                near.update(part for k in range(2, len(token) - 1) for part in (token[:k], token[k:]))
        near.update(first + second for first, second in zip(tokens, tokens[1:]))
        weights = self.weights

        def reachable(name_id: int) -> bool:
            whole = name_weight[name_id]
            aligned = sum(weights[word] for word in self.name_tokens[name_id] if word in near)
            return aligned >= whole or aligned / (aligned + penalty * (whole - aligned)) >= floor

        return [name_id for name_id in candidates if reachable(name_id)]

    def _near_tokens(self, token: str, options: MatchOptions) -> list[tuple[str, float]]:
        near = _near_cache(self, token, options.min_token_similarity)
        return near

    def _exact_match(self, query: Query, tokens, name_id: int, country, options) -> Match:
        penalties = []
        score = 1.0
        entity = int(self.name_entity[name_id])
        score = self._country_adjust(score, entity, country, penalties, options)
        kind = self.name_kind[name_id]
        explanation = f"exact match on {kind} name {self.name_raw[name_id]!r}"
        return self._make(query, tokens, name_id, score, [(t, t, 1.0) for t in tokens if t not in STOPWORDS],
                          explanation, penalties, options, exact=True)

    def _acronym_matches(self, query, key, name_ids, country, context_tokens, options) -> list[Match]:
        """An acronym alone is evidence only with support: a country that agrees and singles
        out one entity, a city named alongside, or (where the index says so) uniqueness."""
        entities = {int(self.name_entity[i]) for i in name_ids}
        in_country = {e for e in entities if country and self.entity_country[e] == country}
        matches = []
        for name_id in name_ids:
            entity = int(self.name_entity[name_id])
            penalties: list[str] = []
            city_support = bool(context_tokens) and bool(set(self.entity_city[entity]) & context_tokens)
            if country and self.entity_country[entity] == country and len(in_country) == 1:
                score, support = 0.93, f"acronym {key.upper()} is unique in country {country}"
            elif city_support:
                score, support = 0.93, f"acronym {key.upper()} with the city named alongside"
            elif options.accept_unique_acronyms and len(entities) == 1 and not (
                country and self.entity_country[entity] and self.entity_country[entity] != country
            ):
                score, support = 0.9, f"acronym {key.upper()} is unique in this registry"
            else:
                others = len(entities) - 1
                score = options.possible + 0.05 if not others else options.possible
                support = (
                    f"acronym {key.upper()} alone is not enough"
                    + (f"; {others} other entit{'y' if others == 1 else 'ies'} use it" if others else "")
                    + ("" if country else "; give a country")
                )
            score = self._country_adjust(score, entity, country, penalties, options)
            matches.append(
                self._make(query, (key,), name_id, score, [(key, key, 1.0)], support, penalties, options, acronym=True)
            )
        return matches

    def _acronym_with_context(self, query, tokens, country, options) -> list[Match]:
        matches = []
        for position, token in enumerate(tokens):
            name_ids = self.acronyms.get(token)
            if not name_ids or len(token) < 2:
                continue
            rest = [t for i, t in enumerate(tokens) if i != position and t not in STOPWORDS]
            for name_id in name_ids:
                entity = int(self.name_entity[name_id])
                city = set(self.entity_city[entity])
                if rest and all(any(_token_similarity(t, c) >= options.min_token_similarity for c in city) for t in rest):
                    penalties: list[str] = []
                    score = self._country_adjust(0.93, entity, country, penalties, options)
                    explanation = f"acronym {token.upper()} with its city {' '.join(rest)!r}"
                    matches.append(
                        self._make(query, tokens, name_id, score, [(token, token, 1.0)], explanation, penalties,
                                   options, acronym=True)
                    )
        return matches

    def _aligned_match(self, query, tokens, name_id, country, context_tokens, options) -> Match | None:
        name_tokens = self.name_tokens[name_id]
        entity = int(self.name_entity[name_id])
        pairs = align(tokens, name_tokens, options.min_token_similarity)
        if not pairs:
            return None
        used_q = {i for i, _, _ in pairs}
        used_n = {j for _, j, _ in pairs}
        by_name = {j: s for _, j, s in pairs}  # a name word joined from two query words counts once
        matched = sum(s * self.weight(name_tokens[j]) for j, s in by_name.items())
        partial = sum((1 - s) * self.weight(name_tokens[j]) for j, s in by_name.items())
        city = set(self.entity_city[entity]) | country_words(self.entity_country[entity])
        penalties: list[str] = []
        query_extra, credited = 0.0, []
        for i, token in enumerate(tokens):
            if i in used_q:
                continue
            if token in city:
                credited.append(token)
                continue
            query_extra += extra_cost(token, self.weight(token))
        name_extra = sum(extra_cost(t, self.weight(t)) for j, t in enumerate(name_tokens) if j not in used_n)
        denominator = matched + options.query_extra_penalty * (query_extra + partial) + options.extra_word_penalty * name_extra
        score = matched / denominator if denominator else 0.0
        extra_q = [t for i, t in enumerate(tokens) if i not in used_q and t not in credited and t not in STOPWORDS]
        extra_n = [t for j, t in enumerate(name_tokens) if j not in used_n and t not in STOPWORDS]
        if extra_q:
            penalties.append(f"query words not in the name: {' '.join(extra_q)}")
        if extra_n:
            penalties.append(f"name words not in the query (x{options.extra_word_penalty:g}): {' '.join(extra_n)}")
        score = self._country_adjust(score, entity, country, penalties, options)
        aligned = [(tokens[i], name_tokens[j], s) for i, j, s in sorted(pairs)]
        words = ", ".join(q if q == n else f"{q}~{n} ({s:.2f})" for q, n, s in aligned if q not in STOPWORDS)
        explanation = f"{self.name_kind[name_id]} name {self.name_raw[name_id]!r}: words aligned {words}"
        if credited:
            explanation += f"; place words {' '.join(credited)} agree with the entity's city or country"
        return self._make(query, tokens, name_id, score, aligned, explanation, penalties, options)

    def _country_adjust(self, score, entity, country, penalties, options) -> float:
        theirs = self.entity_country[entity]
        if country and theirs and theirs != country:
            penalties.append(f"country {country} given, entity is in {theirs} (-{options.country_penalty:g})")
            return max(0.0, score - options.country_penalty)
        return score

    def _make(self, query, tokens, name_id, score, aligned, explanation, penalties, options, *, exact=False, acronym=False) -> Match:
        entity = int(self.name_entity[name_id])
        if query.dropped:
            penalties = penalties + [f"unit ignored: {'; '.join(query.dropped)}"]
        score = max(0.0, min(1.0, score))
        if penalties:
            explanation += "; " + "; ".join(penalties)
        return Match(
            entity_id=self.entity_ids[entity],
            score=score,
            band=options.band(score),
            matched_name=self.name_raw[name_id],
            query_name=query.raw,
            explanation=explanation,
            aligned=list(aligned),
            matched_kind=self.name_kind[name_id],
            country=self.entity_country[entity],
            penalties=penalties,
            exact=exact,
            acronym=acronym,
        )

    def match_many(self, names: Iterable[tuple[str, str | None]], limit: int = 5, **kwargs) -> list[list[Match]]:
        return [self.match(name, country, limit, **kwargs) for name, country in names]


# --- word alignment ---------------------------------------------------------------------------


def _squash(idf: float) -> float:
    return MAX_WEIGHT * math.tanh(idf / MAX_WEIGHT)


def extra_cost(token: str, weight: float) -> float:
    """What an unmatched word costs: its weight, but at least the floor unless a function word."""
    return weight if token in STOPWORDS or token in LEGAL_FORMS else max(weight, EXTRA_WORD_FLOOR)


def _fixed_weight(token: str, idf: float) -> float:
    if token in STOPWORDS or token in LEGAL_FORMS:
        return STOPWORD_WEIGHT
    if token in GENERIC:
        return min(idf, GENERIC_WEIGHT)
    if token in QUALIFIERS:
        return min(idf, QUALIFIER_WEIGHT)
    if token.isdigit():
        return min(idf, 1.0)
    return idf


def _looks_like_acronym(raw: str, tokens: tuple[str, ...]) -> bool:
    """A one-word name written in capitals ('UCL', 'KTH') acts as an acronym even if the
    source did not label it so."""
    return len(tokens) == 1 and 2 <= len(raw) <= 8 and raw.isupper()


def _trigrams(token: str) -> set[str]:
    padded = f" {token} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


_SIMILARITY: dict[tuple[str, str], float] = {}


def _token_similarity(a: str, b: str) -> float:
    """Similarity of two words in 0..1: equal is 1; short words must be equal; longer ones
    may differ by a typo or two (rapidfuzz ratio)."""
    if a == b:
        return 1.0
    shorter = min(len(a), len(b))
    if shorter < 5 or a.isdigit() or b.isdigit():
        return 0.0  # "toyo" is not a typo of "tokyo": short words must agree exactly
    if (a in COMPASS or b in COMPASS) and a.removesuffix("ern") != b.removesuffix("ern"):
        return 0.0
    key = (a, b) if a < b else (b, a)
    cached = _SIMILARITY.get(key)
    if cached is None:
        cached = fuzz.ratio(a, b) / 100.0
        if shorter < 8 and cached < 0.85:
            cached = 0.0
        if len(_SIMILARITY) > 2_000_000:
            _SIMILARITY.clear()
        _SIMILARITY[key] = cached
    return cached


def align(query: tuple[str, ...] | list[str], name: tuple[str, ...] | list[str], minimum: float = 0.8) -> list[tuple[int, int, float]]:
    """Pair each query word with at most one name word, most similar pairs first.
    Returns (query position, name position, similarity) for every pair at or above minimum."""
    candidates = []
    for i, q in enumerate(query):
        for j, n in enumerate(name):
            similarity = _token_similarity(q, n)
            if similarity >= minimum:
                candidates.append((similarity, -i, -j))
    candidates.sort(reverse=True)
    used_q, used_n, pairs = set(), set(), []
    for similarity, i, j in candidates:
        i, j = -i, -j
        if i in used_q or j in used_n:
            continue
        used_q.add(i)
        used_n.add(j)
        pairs.append((i, j, similarity))
    return pairs + _joined_pairs(query, name, used_q, used_n)


def _joined_pairs(query, name, used_q: set[int], used_n: set[int]) -> list[tuple[int, int, float]]:
    """A word on one side written as two on the other ("Jiaotong" / "Jiao Tong", "Tsinghua" /
    "Tsing Hua"): pair the word with both halves."""
    pairs = []
    for words, other, used_w, used_o, flip in ((query, name, used_q, used_n, False), (name, query, used_n, used_q, True)):
        joined = {other[j] + other[j + 1]: j for j in range(len(other) - 1)}
        for i, word in enumerate(words):
            j = joined.get(word)
            if j is None or i in used_w or j in used_o or j + 1 in used_o or len(word) < 5:
                continue
            used_w.add(i)
            used_o.update((j, j + 1))
            pairs += [(j, i, 1.0), (j + 1, i, 1.0)] if flip else [(i, j, 1.0), (i, j + 1, 1.0)]
    return pairs


def _near_cache(index: NameIndex, token: str, minimum: float) -> list[tuple[str, float]]:
    """Indexed words equal or close to ``token`` (found through shared trigrams)."""
    cache = index.__dict__.setdefault("_near", {})
    found = cache.get(token)
    if found is not None:
        return found
    found = [(token, 1.0)] if token in index.postings else []
    if len(token) >= 4 and not token.isdigit() and not (token in index.postings and token in STOPWORDS):
        # A word sharing at least `needed` trigrams with the token shares one of its
        # len - needed + 1 rarest trigrams (pigeonhole), so only those posting lists are read.
        grams = sorted(_trigrams(token), key=lambda gram: len(index.trigrams.get(gram, ())))
        needed = max(2, int(len(grams) * 0.5))
        others: set[str] = set()
        for gram in grams[: len(grams) - needed + 1]:
            others.update(index.trigrams.get(gram, ()))
        others.discard(token)
        # rapidfuzz's C loop finds the close words; the word rules then judge only those.
        for other, _, _ in process.extract(token, list(others), scorer=fuzz.ratio, score_cutoff=minimum * 100, limit=None):
            similarity = _token_similarity(token, other)
            if similarity >= minimum:
                found.append((other, similarity))
    if len(cache) > 500_000:
        cache.clear()
    cache[token] = found
    return found
