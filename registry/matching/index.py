"""The name index: block on rare words, align words, weigh the evidence, explain the score.

Scoring follows OpenSanctions' logic-v2: each query word is paired with at most one word of
the indexed name (equal, or close by rapidfuzz ratio); rare words weigh much (IDF over the
indexed entities, squashed), generic words little; the words either side leaves unmatched
count against the match, the name's with ``extra_word_penalty``. On top of that ratio:

- a word that tells institutions of one city apart (medical, technology, hospital ...) and
  is on one side only costs ``QUALIFIER_PENALTY`` outright, however long the names;
- a known country that differs costs ``country_penalty``;
- words that agree with the entity's city (or, given as context, its country or one of its
  acronyms) are credited, not counted against it;
- an acronym alone is never accepted unless a country or city supports it or (where the
  index is the registry's own) it is unique.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from registry.matching.text import (
    COMPASS,
    GENERIC,
    LEGAL_FORMS,
    QUALIFIERS,
    STOPWORDS,
    Query,
    country_words,
    exact_key,
    fold_name,
    name_parts,
    normalize,
    parse_query,
    tokens_of,
)

STOPWORD_WEIGHT = 0.05
GENERIC_WEIGHT = 0.25
QUALIFIER_WEIGHT = 0.9
MAX_WEIGHT = 3.0  # IDF is squashed (tanh) to this: a unique word and an uncommon one differ 2x, not 10x
EXTRA_WORD_FLOOR = 1.0  # an unmatched word costs at least this, however common ("college")
CITY_DISCOUNT = 0.2  # an unmatched city closing the name ("Imperial College London")
QUALIFIER_PENALTY = 0.08  # per qualifier word on one side only
BLOCK_BUDGET = 500  # postings read per query variant before commoner words only re-rank
PART_PENALTY = 0.08  # matched a part of the text, or a part of an 'A – B' name, not the whole
ACRONYM_SCORE = 0.93  # an acronym with support (country, city, a word of the name)
INITIALS_SCORE = 0.9  # initials of a name ('NKUA') with support
KINDS = ("official", "local", "alias", "acronym", "former")


@dataclass
class Match:
    entity_id: str
    score: float  # 0..1
    band: str  # probable, possible, below
    matched_name: str
    query_name: str
    explanation: str
    aligned: list[tuple[str, str, float]] = field(default_factory=list)  # (query word, name word, similarity)
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
    """How strict matching is. Screening may raise the extra-word penalty or move the bands."""

    extra_word_penalty: float = 0.5  # weight of the indexed name's unmatched words
    query_extra_penalty: float = 1.0  # weight of the query's unmatched words
    country_penalty: float = 0.2  # subtracted when both countries are known and differ
    probable: float = 0.88
    possible: float = 0.7
    min_token_similarity: float = 0.8  # rapidfuzz ratio/100 below which words do not align
    accept_unique_acronyms: bool = False  # an acronym unique in this index is evidence enough
    candidates: int = 12  # names aligned in full per query, after blocking
    spelling_variants: bool = False  # block on indexed words close to the query's (defence/defense)

    def band(self, score: float) -> str:
        return "probable" if score >= self.probable else "possible" if score >= self.possible else "below"


class NameIndex:
    """Every name of every entity, normalised and indexed by word for fast matching.

    Build once (``NameIndex.build``), query many times (``match``). The object pickles, so a
    caller may keep it on disk beside the data it was built from.
    """

    def __init__(self) -> None:
        self.options = MatchOptions()
        self.entity_ids: list[str] = []
        self.entity_country: list[str | None] = []
        self.entity_city: list[frozenset[str]] = []
        self.entity_acronyms: list[set[str]] = []
        self.entity_words: list[set[str]] = []
        self.entity_pos: dict[str, int] = {}
        self.name_entity: list[int] = []
        self.name_raw: list[str] = []
        self.name_kind: list[str] = []
        self.name_tokens: list[tuple[str, ...]] = []
        self.name_part: list[bool] = []  # a part of an 'A – B' name
        self.name_weight: list[float] = []
        self.exact: dict[str, list[int]] = {}
        self.acronyms: dict[str, list[int]] = {}  # acronym -> names it abbreviates (or is)
        self.initials: dict[str, list[int]] = {}  # initials of a name -> that name
        self.postings: dict[str, list[int]] = {}
        self.weights: dict[str, float] = {}
        self.trigrams: dict[str, list[str]] = {}
        self.max_weight = MAX_WEIGHT
        self._near: dict[tuple[str, bool], list[tuple[str, float]]] = {}
        self._acronym_names: set[int] = set()  # acronyms are judged by the acronym rules, not aligned

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple],
        *,
        cities: dict[str, str] | None = None,
        options: MatchOptions | None = None,
        **option_values,
    ) -> "NameIndex":
        """Index ``(entity_id, name, country | None, kind)`` tuples; a fifth element, the name
        already normalised, skips normalising. ``cities`` maps entity ids to their city, which
        supports acronyms and agrees with place words in a typed name. Keyword arguments set
        ``MatchOptions`` (extra_word_penalty, probable, possible ...)."""
        index = cls()
        index.options = options or MatchOptions(**option_values)
        seen: set[tuple[int, str]] = set()
        for entry in entries:
            entity_id, name, country, kind = entry[:4]
            if not name or not name.strip():
                continue
            normalised = entry[4] if len(entry) > 4 and entry[4] is not None else normalize(name)
            entity = index._entity(entity_id, country)
            kind = kind if kind in KINDS else "alias"
            index._add_name(entity, name, kind, tuple(normalised.split()), False, seen)
            if kind != "acronym":
                for part in name_parts(name):
                    index._add_name(entity, part, kind, tuple(normalize(part).split()), True, seen)
        for entity_id, city in (cities or {}).items():
            if entity_id in index.entity_pos and city:
                index.entity_city[index.entity_pos[entity_id]] = frozenset(tokens_of(fold_name(city)))
        index._index_words()
        return index

    def _entity(self, entity_id: str, country: str | None) -> int:
        position = self.entity_pos.get(entity_id)
        if position is None:
            position = self.entity_pos[entity_id] = len(self.entity_ids)
            self.entity_ids.append(entity_id)
            self.entity_country.append(country)
            self.entity_city.append(frozenset())
            self.entity_acronyms.append(set())
            self.entity_words.append(set())
        elif country and not self.entity_country[position]:
            self.entity_country[position] = country
        return position

    def _add_name(self, entity: int, raw: str, kind: str, tokens: tuple[str, ...], part: bool, seen: set) -> None:
        if not tokens or ((entity, " ".join(tokens)) in seen and kind != "acronym"):
            return
        seen.add((entity, " ".join(tokens)))
        self.name_entity.append(entity)
        self.name_raw.append(raw)
        self.name_kind.append(kind)
        self.name_tokens.append(tokens)
        self.name_part.append(part)

    def _index_words(self) -> None:
        holders: dict[str, set[int]] = defaultdict(set)
        postings: dict[str, list[int]] = defaultdict(list)
        for name_id, tokens in enumerate(self.name_tokens):
            entity = self.name_entity[name_id]
            key = exact_key(tokens)
            raw = self.name_raw[name_id]
            if self.name_kind[name_id] == "acronym" or _looks_like_acronym(raw, tokens):
                self.acronyms.setdefault(key, []).append(name_id)
                self._acronym_names.add(name_id)
                self.entity_acronyms[entity].add(key)
            else:
                self.exact.setdefault(key, []).append(name_id)
                self.entity_words[entity].update(t for t in tokens if t not in STOPWORDS)
                meaningful = [t for t in tokens if t not in STOPWORDS]
                if len(meaningful) >= 3 and not self.name_part[name_id]:
                    self.initials.setdefault("".join(t[0] for t in meaningful), []).append(name_id)
            for token in set(tokens):
                holders[token].add(entity)
                postings[token].append(name_id)
        # "ETH Zurich", "LMU München": a capitalised first word followed by the city is an acronym.
        for name_id, tokens in enumerate(self.name_tokens):
            entity = self.name_entity[name_id]
            first = self.name_raw[name_id].split()[0] if self.name_raw[name_id].split() else ""
            if len(tokens) >= 2 and 2 <= len(first) <= 6 and first.isupper() and tokens[0] not in self.entity_acronyms[entity]:
                if all(_near_city(t, self.entity_city[entity]) for t in tokens[1:]):
                    self.acronyms.setdefault(tokens[0], []).append(name_id)
                    self.entity_acronyms[entity].add(tokens[0])
        entities = max(len(self.entity_ids), 1)
        self.max_weight = _squash(math.log(entities + 1) + 0.1)
        for token, owners in holders.items():
            self.weights[token] = _fixed_weight(token, _squash(math.log((entities + 1) / len(owners)) + 0.1))
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

    # -- querying ---------------------------------------------------------------------------

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
        exact_first: bool = False,
    ) -> list[Match]:
        """The best-scoring entities for a typed name, best first, one Match per entity.

        Matches in the 'below' band are left out unless ``include_below``. With
        ``exact_first``, a whole-text exact match of exactly one entity ends the search (the
        bulk path: the decision is the same, the other candidates are not listed)."""
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
                if position:
                    _penalise(match, PART_PENALTY, f"matched the part {' '.join(variant)!r} only", options)
                if entity not in best or match.score > best[entity].score:
                    best[entity] = match
        ranked = sorted(best.values(), key=lambda m: (-m.score, not m.exact, m.entity_id))
        if not include_below:
            ranked = [m for m in ranked if m.band != "below"]
        return ranked[:limit]

    def match_many(self, names: Iterable[tuple[str, str | None]], limit: int = 5, **kwargs) -> list[list[Match]]:
        return [self.match(name, country, limit, **kwargs) for name, country in names]

    def _match_variant(self, query: Query, tokens, country, context, options, keep_below=True,
                       *, exact: bool = True, fuzzy: bool = True) -> list[tuple[int, Match]]:
        key = exact_key(tokens)
        if not key:
            return []
        found: list[tuple[int, Match]] = []
        exact_ids = self.exact.get(key, [])
        if exact:
            for name_id in exact_ids:
                found.append((self.name_entity[name_id], self._exact_match(query, tokens, name_id, country, options)))
        if not fuzzy:
            return found
        if len(tokens) == 1:
            found += self._acronym_matches(query, key, country, context, options)
        elif len(tokens) >= 2:
            found += self._acronym_with_words(query, tokens, country, options)
        acronym_query = len(tokens) == 1 and _looks_like_acronym(query.raw.strip(), tokens)
        candidates = self._candidates(tokens, options)
        if not keep_below:
            candidates = self._reachable(candidates, tokens, options)
        for name_id in candidates:
            if name_id not in self._acronym_names and name_id not in exact_ids:
                match = self._aligned_match(query, tokens, name_id, country, context, options, keep_below)
                if match is not None:
                    if acronym_query and match.score >= options.probable:  # never accept on an acronym alone
                        _penalise(match, match.score - options.possible, "an acronym alone is not enough", options)
                    found.append((self.name_entity[name_id], match))
        return found

    def _candidates(self, tokens: tuple[str, ...], options: MatchOptions) -> list[int]:
        """Blocking: names sharing a distinctive (or typo-close) word with the query, ranked
        by an optimistic estimate of their score; only the best few are aligned in full.

        Rare words are read first; once ``BLOCK_BUDGET`` postings are read, commoner words
        ('hospital', 'medical') only add weight to the names already found."""
        query_weight = sum(self.weight(t) for t in tokens)
        distinctive = {t for t in tokens if t not in STOPWORDS and t not in GENERIC}
        words = []
        for token in distinctive or {t for t in tokens if t not in STOPWORDS}:
            for near, similarity in self._near_tokens(token, options.min_token_similarity, options.spelling_variants):
                words.append((len(self.postings[near]), near, self.weights[near] * similarity))
        words.sort()
        gained: dict[int, float] = defaultdict(float)
        read, late = 0, []
        for size, near, gain in words:
            if read and read + size > BLOCK_BUDGET:
                late.append((near, gain))
                continue
            read += size
            for name_id in self.postings[near]:
                gained[name_id] += gain
        if late:
            for name_id in list(gained):
                name_tokens = self.name_tokens[name_id]
                gained[name_id] += sum(gain for near, gain in late if near in name_tokens)
        if len(gained) <= options.candidates:
            return list(gained)
        penalty, name_weight = options.extra_word_penalty, self.name_weight
        estimates = [
            (got / (max(query_weight, got) + penalty * max(name_weight[name_id] - got, 0.0) + 1e-9), name_id)
            for name_id, got in gained.items()
        ]
        return [name_id for _, name_id in heapq.nlargest(options.candidates, estimates)]

    def _reachable(self, candidates: list[int], tokens: tuple[str, ...], options: MatchOptions) -> list[int]:
        """The candidates whose aligned score could reach the possible band. At best every
        name word close to a query word aligns; the name's other words cost at least their
        weight (a city word at least its discount) times the penalty, and the penalties for
        qualifiers and countries only lower the score."""
        penalty = options.extra_word_penalty
        if penalty <= 0 or not candidates:
            return candidates
        near = set()
        for token in tokens:
            near.update((token, token + "s", token.removesuffix("s")))  # token_similarity's plural rule
            if len(token) >= 5 and not token.isdigit():
                near.update(word for word, _ in self._near_tokens(token, options.min_token_similarity, True))
                near.update(part for k in range(2, len(token) - 1) for part in (token[:k], token[k:]))  # see _joined_pairs
        near.update(first + second for first, second in zip(tokens, tokens[1:]))
        weight, reachable = self.weight, []
        for name_id in candidates:
            city = self.entity_city[self.name_entity[name_id]]
            aligned = rest = 0.0
            for word in self.name_tokens[name_id]:
                if word in near:
                    aligned += weight(word)
                else:
                    rest += weight(word) * (CITY_DISCOUNT if city and _near_city(word, city) else 1.0)
            if aligned and aligned / (aligned + penalty * rest) >= options.possible:
                reachable.append(name_id)
        return reachable

    def _near_tokens(self, token: str, minimum: float, variants: bool = False) -> list[tuple[str, float]]:
        """The word itself if indexed; otherwise indexed words close to it (a typo), found
        through shared character trigrams. With ``variants``, close words are added to an
        indexed word too (defence / defense, organisation / organization)."""
        found = self._near.get((token, variants))
        if found is not None:
            return found
        if token in self.postings and not (variants and len(token) >= 5):
            found = [(token, 1.0)]
        elif len(token) >= 4 and not token.isdigit():
            found = [(token, 1.0)] if token in self.postings else []
            found += self._close_words(token, minimum)
        else:
            found = []
        if len(self._near) > 200_000:
            self._near.clear()
        self._near[(token, variants)] = found
        return found

    def _close_words(self, token: str, minimum: float) -> list[tuple[str, float]]:
        grams = sorted(_trigrams(token), key=lambda gram: len(self.trigrams.get(gram, ())))
        needed = max(2, len(grams) // 2)
        # A word sharing `needed` trigrams shares one of the len - needed + 1 rarest (pigeonhole),
        # so only those posting lists are read; rapidfuzz's C loop then finds the close words.
        others: set[str] = set()
        for gram in grams[: len(grams) - needed + 1]:
            others.update(self.trigrams.get(gram, ()))
        others.discard(token)
        close = process.extract(token, list(others), scorer=fuzz.ratio, score_cutoff=minimum * 100, limit=None)
        return [(other, similarity) for other, _, _ in close if (similarity := token_similarity(token, other)) >= minimum]

    # -- the kinds of match -----------------------------------------------------------------------

    def _exact_match(self, query, tokens, name_id, country, options) -> Match:
        penalties: list[str] = []
        score = 1.0
        if all(t in GENERIC or t in STOPWORDS for t in tokens):  # a name that is just 'University'
            score = options.possible
            penalties.append("the name has only generic words")
        score = self._name_adjust(score, name_id, penalties)
        score = self._country_adjust(score, self.name_entity[name_id], country, penalties, options)
        explanation = f"exact match on {self.name_kind[name_id]} name {self.name_raw[name_id]!r}"
        aligned = [(t, t, 1.0) for t in tokens if t not in STOPWORDS]
        return self._make(query, name_id, score, aligned, explanation, penalties, options, exact=True)

    def _acronym_matches(self, query, key, country, context, options) -> list[tuple[int, Match]]:
        """An acronym alone is evidence only with support: a country that singles out one
        entity, its city named alongside, or (where the index says so) uniqueness."""
        by_entity: dict[int, tuple[int, bool]] = {}
        for source, derived in ((self.acronyms, False), (self.initials, True)):
            for name_id in source.get(key, []):
                entity = self.name_entity[name_id]
                if entity not in by_entity or (by_entity[entity][1] and not derived):
                    by_entity[entity] = (name_id, derived)
        if not by_entity:
            return []
        explicit = {e for e, (_, derived) in by_entity.items() if not derived}
        in_country = {e for e in by_entity if country and self.entity_country[e] == country}
        if in_country & explicit:  # a real acronym outranks initials that happen to spell it
            in_country &= explicit
        found = []
        for entity, (name_id, derived) in by_entity.items():
            label = f"initials of {self.name_raw[name_id]!r}" if derived else f"acronym {key.upper()}"
            top = INITIALS_SCORE if derived else ACRONYM_SCORE
            penalties: list[str] = []
            theirs = self.entity_country[entity]
            if country and theirs == country and in_country == {entity}:
                score, why = top, f"{label}, the only one in {country}"
            elif context & set(self.entity_city[entity]):
                score, why = top, f"{label} with its city named alongside"
            elif options.accept_unique_acronyms and not derived and len(explicit) == 1 and len(by_entity) == 1 and not (
                country and theirs and theirs != country
            ):
                score, why = top - 0.03, f"{label}, unique in this registry"
            else:
                others = len(by_entity) - 1
                score = options.possible + (0.05 if not others and not derived else 0.0)
                why = f"{label} alone is not enough" + (f" ({others} other{'s' if others > 1 else ''} use it)" if others else "")
                if not country:
                    why += "; give a country"
            score = self._country_adjust(score, entity, country, penalties, options)
            match = self._make(query, name_id, score, [(key, key, 1.0)], why, penalties, options, acronym=True)
            found.append((entity, match))
        return found

    def _acronym_with_words(self, query, tokens, country, options) -> list[tuple[int, Match]]:
        """An acronym of an entity with the other words naming its city or words of its name
        ('LMU München', 'Lomonosov MSU', 'AIIMS New Delhi')."""
        found = []
        for position, token in enumerate(tokens):
            rest = [t for i, t in enumerate(tokens) if i != position and t not in STOPWORDS]
            if not rest:
                continue
            for name_id in self.acronyms.get(token, []):
                entity = self.name_entity[name_id]
                known = self.entity_words[entity] | country_words(self.entity_country[entity])
                if all(_near_city(t, self.entity_city[entity]) or any(token_similarity(t, w) >= options.min_token_similarity for w in known) for t in rest):
                    penalties: list[str] = []
                    score = self._country_adjust(ACRONYM_SCORE, entity, country, penalties, options)
                    why = f"acronym {token.upper()} with {' '.join(rest)!r}, its city or words of its name"
                    found.append((entity, self._make(query, name_id, score, [(token, token, 1.0)], why, penalties, options, acronym=True)))
        return found

    def _aligned_match(self, query, tokens, name_id, country, context, options, keep_below=True) -> Match | None:
        name_tokens = self.name_tokens[name_id]
        entity = self.name_entity[name_id]
        pairs = align(tokens, name_tokens, options.min_token_similarity)
        if not any(name_tokens[j] not in STOPWORDS and name_tokens[j] not in GENERIC for _, j, _ in pairs):
            return None  # sharing only 'university of' is no evidence
        weight = self.weight
        used_q = {i for i, _, _ in pairs}
        used_n = {j for _, j, _ in pairs}
        matched = partial = 0.0
        for j, similarity in {j: s for _, j, s in pairs}.items():  # a name word joined from two counts once
            word_weight = weight(name_tokens[j])
            matched += similarity * word_weight
            partial += (1 - similarity) * word_weight
        city = self.entity_city[entity]
        places = country_words(self.entity_country[entity])
        acronyms = self.entity_acronyms[entity]
        credited, query_extra, extra_q = [], 0.0, []
        for i, token in enumerate(tokens):
            if i in used_q or token in STOPWORDS:
                continue
            # A country agreeing with the entity's, given as context or closing the name
            # ("Renmin University of China"), is not an extra word.
            closing = i == len(tokens) - 1
            if (token in places and (token in context or closing)) or token in acronyms or _near_city(token, city):
                credited.append(token)
            else:
                query_extra += extra_cost(token, weight(token))
                extra_q.append(token)
        name_extra, extra_n = 0.0, []
        trailing = len(name_tokens)  # the city closing a name ("Imperial College London") costs less
        while trailing > 0 and trailing - 1 not in used_n and _near_city(name_tokens[trailing - 1], city):
            trailing -= 1
        for j, token in enumerate(name_tokens):
            if j in used_n:
                continue
            cost = extra_cost(token, weight(token))
            name_extra += cost * CITY_DISCOUNT if j >= trailing else cost
            if token not in STOPWORDS:
                extra_n.append(token)
        denominator = matched + options.query_extra_penalty * (query_extra + partial) + options.extra_word_penalty * name_extra
        score = matched / denominator if denominator else 0.0
        qualifiers = [t for t in extra_q + extra_n if t in QUALIFIERS]
        score -= QUALIFIER_PENALTY * len(qualifiers)
        if self.name_part[name_id]:
            score -= PART_PENALTY
        theirs = self.entity_country[entity]
        if country and theirs and theirs != country:
            score -= options.country_penalty
        if score < options.possible and not keep_below:
            return None  # not worth explaining
        penalties: list[str] = []
        if extra_q:
            penalties.append(f"query words not in the name: {' '.join(extra_q)}")
        if extra_n:
            penalties.append(f"name words not in the query (x{options.extra_word_penalty:g}): {' '.join(extra_n)}")
        if qualifiers:
            penalties.append(f"{' '.join(qualifiers)} on one side only (-{QUALIFIER_PENALTY * len(qualifiers):g})")
        self._name_adjust(0.0, name_id, penalties)
        self._country_adjust(0.0, entity, country, penalties, options)
        aligned = [(tokens[i], name_tokens[j], s) for i, j, s in sorted(pairs)]
        words = ", ".join(q if q == n else f"{q}~{n} ({s:.2f})" for q, n, s in aligned if q not in STOPWORDS)
        explanation = f"{self.name_kind[name_id]} name {self.name_raw[name_id]!r}: words aligned {words}"
        if credited:
            explanation += f"; {' '.join(credited)} agree{'s' if len(credited) == 1 else ''} with its city, country or acronym"
        return self._make(query, name_id, score, aligned, explanation, penalties, options)

    # -- adjustments ---------------------------------------------------------------------------

    def _name_adjust(self, score, name_id, penalties) -> float:
        if self.name_part[name_id]:
            penalties.append(f"a part of a longer name (-{PART_PENALTY:g})")
            return score - PART_PENALTY
        return score

    def _country_adjust(self, score, entity, country, penalties, options) -> float:
        theirs = self.entity_country[entity]
        if country and theirs and theirs != country:
            penalties.append(f"country {country} given, entity is in {theirs} (-{options.country_penalty:g})")
            return score - options.country_penalty
        return score

    def _make(self, query, name_id, score, aligned, explanation, penalties, options, *, exact=False, acronym=False) -> Match:
        entity = self.name_entity[name_id]
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


def _penalise(match: Match, amount: float, why: str, options: MatchOptions) -> None:
    match.score = max(0.0, match.score - amount)
    match.penalties.append(f"{why} (-{amount:g})")
    match.explanation += f"; {match.penalties[-1]}"
    match.band = options.band(match.score)


# --- words -------------------------------------------------------------------------------------


def _squash(idf: float) -> float:
    return MAX_WEIGHT * math.tanh(idf / MAX_WEIGHT)


def extra_cost(token: str, weight: float) -> float:
    """What an unmatched word costs: its weight, at least the floor unless a function word."""
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
    """A one-word name in capitals ('UCL', 'KTH') acts as an acronym even if not labelled so."""
    return len(tokens) == 1 and 2 <= len(raw) <= 8 and raw.isupper()


def _near_city(token: str, city: frozenset[str]) -> bool:
    """The word names the city, allowing exonyms that differ a little (München, Munich)."""
    return bool(city) and any(token == c or (len(token) >= 5 and fuzz.ratio(token, c) >= 75) for c in city)


def _trigrams(token: str) -> set[str]:
    padded = f" {token} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


_SIMILARITY: dict[tuple[str, str], float] = {}


def token_similarity(a: str, b: str) -> float:
    """Similarity of two words in 0..1: equal is 1; a trailing s (Lund/Lunds, John/Johns) is
    0.9; other short words must be equal; longer ones may differ by a typo or two."""
    if a == b:
        return 1.0
    shorter = min(len(a), len(b))
    if shorter >= 4 and (a == b + "s" or b == a + "s"):
        return 0.9
    if shorter < 5 or a.isdigit() or b.isdigit():
        return 0.0
    if (a in COMPASS or b in COMPASS) and a.removesuffix("ern") != b.removesuffix("ern"):
        return 0.0
    key = (a, b) if a < b else (b, a)
    cached = _SIMILARITY.get(key)
    if cached is None:
        cached = fuzz.ratio(a, b) / 100.0
        if shorter < 8 and cached < 0.85:  # "toyo" is not "tokyo", "wien" not "wine"
            cached = 0.0
        if len(_SIMILARITY) > 2_000_000:
            _SIMILARITY.clear()
        _SIMILARITY[key] = cached
    return cached


def align(query, name, minimum: float = 0.8) -> list[tuple[int, int, float]]:
    """Pair each query word with at most one name word, most similar pairs first.
    Returns (query position, name position, similarity) for every pair at or above minimum."""
    pairs: list[tuple[int, int, float]] = []
    used_n: set[int] = set()
    positions: dict[str, list[int]] = {}
    for j, word in enumerate(name):
        positions.setdefault(word, []).append(j)
    rest = []
    for i, word in enumerate(query):  # equal words first: nothing is more similar
        j = next((j for j in positions.get(word, ()) if j not in used_n), None)
        if j is None:
            if len(word) >= 4:
                rest.append((i, word))
        else:
            used_n.add(j)
            pairs.append((i, j, 1.0))
    if not rest:
        return pairs + _joined_pairs(query, name, {i for i, _, _ in pairs}, used_n)
    candidates = []
    for j, other in enumerate(name):
        size = len(other)
        if j in used_n or size < 4:
            continue
        for i, word in rest:
            # ratio >= 0.8 needs the shorter word to be at least 2/3 of the longer
            if 3 * min(size, len(word)) < 2 * max(size, len(word)):
                continue
            similarity = token_similarity(word, other)
            if similarity >= minimum:
                candidates.append((similarity, -i, -j))
    candidates.sort(reverse=True)
    used_q: set[int] = {i for i, _, _ in pairs}
    for similarity, i, j in candidates:
        if -i in used_q or -j in used_n:
            continue
        used_q.add(-i)
        used_n.add(-j)
        pairs.append((-i, -j, similarity))
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
