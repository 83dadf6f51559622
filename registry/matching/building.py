"""Building a name index: every name normalised, its words weighed and posted, acronyms found."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Self

from registry.matching.match import KINDS, MatchOptions
from registry.matching.state import IndexState
from registry.matching.text import (
    STOPWORDS,
    SYLLABLE_COUNTRIES,
    exact_key,
    fold_name,
    name_parts,
    normalize,
    syllables_joined,
    tokens_of,
    without_eponym,
    without_quoted,
)
from registry.matching.words import _fixed_weight, _looks_like_acronym, _near_city, _squash, _trigrams

_LETTERS = re.compile(r"[^a-z0-9]+")


def _as_tuples(lists: dict[str, list]) -> dict[str, tuple]:
    return {key: tuple(values) for key, values in lists.items()}


class IndexBuilding(IndexState):
    """Building: the methods that fill the state of ``NameIndex``."""

    # -- state ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple],
        *,
        cities: dict[str, str] | None = None,
        options: MatchOptions | None = None,
        **option_values,
    ) -> Self:
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
            if kind == "acronym" or _looks_like_acronym(name.strip(), (name,)):  # its letters, not what they abbreviate
                # elsewhere: 'FH', 'TU' are acronyms here
                normalised = " ".join(_LETTERS.sub(" ", fold_name(name)).split())
            entity = index._entity(entity_id, country)
            kind = kind if kind in KINDS else "alias"
            tokens = tuple(normalised.split())
            index._add_name(entity, name, kind, tokens, False, seen)
            if kind != "acronym":
                for part in name_parts(name):
                    index._add_name(entity, part, kind, tuple(normalize(part).split()), True, seen)
                for head in (without_eponym(tokens), without_quoted(fold_name(name))):
                    if head:  # "Yelets State University" of "... named after Ivan Bunin", of '... "Ivan Rilski"'
                        index._add_name(entity, name, kind, head, True, seen)
                if country in SYLLABLE_COUNTRIES and (romanised := syllables_joined(name)) is not None:
                    # 北京大学 as typed: "Beijing University"
                    index._add_name(entity, name, kind, tuple(normalize(romanised).split()), False, seen)
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
        # One string object per word, not one per name that has it (ROR's 150,981 names: 75,115 words had 625,869
        # strings): a smaller heap for a forked worker to touch and for its parent to fork. (Postings in arrays of
        # machine integers touched fewer pages still, but each posting read made an int object: 7 % more CPU.)
        words: dict[str, str] = {}
        self.name_tokens = [tuple(words.setdefault(t, t) for t in tokens) for tokens in self.name_tokens]
        holders: dict[str, set[int]] = defaultdict(set)
        postings: dict[str, list[int]] = defaultdict(list)
        exact: dict[str, list[int]] = {}
        acronyms: dict[str, list[int]] = {}
        initials: dict[str, list[int]] = {}
        for name_id, tokens in enumerate(self.name_tokens):
            entity = self.name_entity[name_id]
            key = exact_key(tokens)
            raw = self.name_raw[name_id]
            if self.name_kind[name_id] == "acronym" or _looks_like_acronym(raw, tokens):
                acronyms.setdefault(key, []).append(name_id)
                self._acronym_names.add(name_id)
                self.entity_acronyms[entity].add(key)
            else:
                exact.setdefault(key, []).append(name_id)
                self.entity_words[entity].update(t for t in tokens if t not in STOPWORDS)
                meaningful = [t for t in tokens if t not in STOPWORDS]
                if len(meaningful) >= 3 and not self.name_part[name_id]:
                    initials.setdefault("".join(t[0] for t in meaningful), []).append(name_id)
            for token in set(tokens):
                holders[token].add(entity)
                postings[token].append(name_id)
        # "ETH Zurich", "LMU München": a capitalised first word followed by the city is an acronym.
        for name_id, tokens in enumerate(self.name_tokens):
            entity = self.name_entity[name_id]
            first = self.name_raw[name_id].split()[0] if self.name_raw[name_id].split() else ""
            looks_like_acronym = (len(tokens) >= 2 and 2 <= len(first) <= 6 and first.isupper()
                                  and tokens[0] == _LETTERS.sub("", fold_name(first)))  # not 'FH' read as a kind
            if (looks_like_acronym and tokens[0] not in self.entity_acronyms[entity]
                    and all(_near_city(t, self.entity_city[entity]) for t in tokens[1:])):
                acronyms.setdefault(tokens[0], []).append(name_id)
                self.entity_acronyms[entity].add(tokens[0])
        entities = max(len(self.entity_ids), 1)
        self.max_weight = _squash(math.log(entities + 1) + 0.1)
        for token, owners in holders.items():
            self.weights[token] = _fixed_weight(token, _squash(math.log((entities + 1) / len(owners)) + 0.1))
        self.name_weight = [sum(self.weights[t] for t in tokens) for tokens in self.name_tokens]
        trigrams: dict[str, list[str]] = defaultdict(list)
        for token in self.weights:
            if len(token) >= 4 and not token.isdigit():
                for gram in _trigrams(token):
                    trigrams[gram].append(token)
        # Kept as tuples, which the garbage collector stops tracking at its first pass: as lists, the 150,981 reference
        # names' 290,000 postings were walked again by every later pass (0.13-0.15 s each) of a process that read the
        # index, twice or more in one ``resolve_many``. Lookups only read them.
        self.postings = _as_tuples(postings)
        self.trigrams = _as_tuples(trigrams)
        self.exact, self.acronyms, self.initials = _as_tuples(exact), _as_tuples(acronyms), _as_tuples(initials)
        for country in set(self.entity_country):
            self.places_of(country)

    def __len__(self) -> int:
        return len(self.name_raw)
