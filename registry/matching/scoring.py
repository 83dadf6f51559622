"""Scoring one candidate name against a typed name: exact, acronym and aligned matches, and the penalties."""

from __future__ import annotations

from itertools import chain

from registry.matching.match import (
    ACRONYM_SCORE,
    FORMER_PENALTY,
    INITIALS_SCORE,
    KIN_PENALTY,
    PART_PENALTY,
    PLACE_AS_NAME_PENALTY,
    QUALIFIER_PENALTY,
    Match,
    Penalty,
    PenaltyKind,
)
from registry.matching.memo import memo
from registry.matching.state import IndexState
from registry.matching.text import (
    CANONICAL,
    COMPASS,
    GENERIC,
    KIN_KINDS,
    LEGAL_FORMS,
    OTHER_BODY,
    QUALIFIERS,
    STOPWORDS,
    WRAPPERS,
    country_name_words,
    exact_key,
    fold_name,
    other_country,
    tokens_of,
)
from registry.matching.words import (
    CITY_DISCOUNT,
    _declined,
    _near_city,
    align,
    extra_cost,
    place_forms,
    place_tail,
    token_similarity,
)

# A word of a typed name that one entity alone carries is that entity's only if it is this long: shorter words are
# acronyms and syllables that other names share by chance.
SOLE_WORD_LENGTH = 5
EPONYM_WORDS = 3  # a person's name an institution carries: a given name or two and a surname (two words at least)
OWN_WORDS_AROUND = 3  # at most this many words of its own around the whole typed text make a name the one meant
_KINDS = frozenset(CANONICAL.values())  # the one token each kind is read as


def _declined_city_pairs(tokens, name_tokens, pairs, city: frozenset[str]) -> list[tuple[int, int, float]]:
    """A typed word that is the entity's city declined ("Oulun yliopisto" / University of Oulu, "Helsingin",
    "Tampereen") paired with the name's city word: a case ending, which no typo rule reads (0.9, as a plural s)."""
    used_q, used_n = {i for i, _, _ in pairs}, {j for _, j, _ in pairs}
    found = []
    for j, word in enumerate(name_tokens):
        if j in used_n or word not in city:
            continue
        i = next((i for i, token in enumerate(tokens) if i not in used_q and token != word and _declined(token, word)), None)
        if i is not None:
            used_q.add(i)
            found.append((i, j, 0.9))
    return found


class IndexScoring(IndexState):
    """Scoring: the methods of ``NameIndex`` that turn a candidate into an explained ``Match``."""

    # -- the kinds of match -----------------------------------------------------------------------

    def _exact_match(self, query, tokens, name_id, country, options) -> Match:
        penalties: list[Penalty] = []
        score = 1.0
        if all(t in GENERIC or t in STOPWORDS for t in tokens):  # a name that is just 'University'
            score = options.possible
            penalties.append(Penalty(PenaltyKind.GENERIC_ONLY, "the name has only generic words"))
        score = self._name_adjust(score, name_id, penalties)
        if self.name_kind[name_id] in ("former", "alias"):
            current = self._current_holder(name_id)
            if current is not None and not self._country_tells_apart(name_id, current, country):
                score -= FORMER_PENALTY
                what = "a former name" if self.name_kind[name_id] == "former" else "an alias"
                penalties.append(Penalty(PenaltyKind.CARRIED_BY_ANOTHER, f"{what}, which {self.entity_ids[current]} carries as its "
                                          f"name today (-{FORMER_PENALTY:g})"))
        score = self._country_adjust(score, self.name_entity[name_id], country, penalties, options)
        explanation = f"exact match on {self.name_kind[name_id]} name {self.name_raw[name_id]!r}"
        aligned = [(t, t, 1.0) for t in tokens if t not in STOPWORDS]
        return self._make(query, name_id, score, aligned, explanation, penalties, options, exact=True)

    def _country_tells_apart(self, name_id: int, current: int, country: str | None) -> bool:
        """The country given is the name's holder's and not the current holder's, and the name has a word that is no
        kind, qualifier or function word: "Al-Azhar University, Cairo, Egypt" is Egypt's, whose alias it is, not
        Qatar's, which carries it today ("National Institute of Technology" names many, whatever the country)."""
        own = self.entity_country[self.name_entity[name_id]]
        return bool(own and not other_country(country, own) and other_country(country, self.entity_country[current])
                    and any(t not in GENERIC and t not in STOPWORDS and t not in QUALIFIERS for t in self.name_tokens[name_id]))

    def _current_holder(self, name_id: int) -> int | None:
        """Another entity that carries this former name (or alias) as its official or local name: the
        name is theirs today."""
        key = exact_key(self.name_tokens[name_id])
        entity = self.name_entity[name_id]
        own = ("official", "local") if self.name_kind[name_id] == "alias" else ("official", "local", "alias")
        return next((self.name_entity[other] for other in self.exact.get(key, ())
                     if self.name_entity[other] != entity and self.name_kind[other] in own and not self.name_part[other]),
                    None)

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
            penalties: list[Penalty] = []
            theirs = self.entity_country[entity]
            if country and theirs == country and in_country == {entity}:
                score, why = top, f"{label}, the only one in {country}"
            elif context & set(self.entity_city[entity]):
                score, why = top, f"{label} with its city named alongside"
            elif options.accept_unique_acronyms and not derived and len(explicit) == 1 and len(by_entity) == 1 and not (
                other_country(country, theirs)
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
                words, places = self.entity_words[entity], self.country_words(self.entity_country[entity])
                # a word of the name itself first (similarity 1): the words are compared one by one only for the rest,
                # and a word of three letters or fewer is like no other word (``token_similarity``: 0)
                if all(t in words or t in places or _near_city(t, self.entity_city[entity])
                       or ((len(t) >= 4 or options.min_token_similarity <= 0)
                           and any(token_similarity(t, w) >= options.min_token_similarity for w in chain(words, places)))
                       for t in rest):
                    penalties: list[Penalty] = []
                    score = self._country_adjust(ACRONYM_SCORE, entity, country, penalties, options)
                    why = f"acronym {token.upper()} with {' '.join(rest)!r}, its city or words of its name"
                    found.append((entity, self._make(query, name_id, score, [(token, token, 1.0)], why, penalties, options, acronym=True)))
        return found

    def _aligned_match(self, query, tokens, name_id, country, context, options, keep_below=True) -> Match | None:
        name_tokens = self.name_tokens[name_id]
        entity = self.name_entity[name_id]
        pairs = align(tokens, name_tokens, options.min_token_similarity)
        if len(pairs) < len(tokens) and self.entity_city[entity]:
            pairs += _declined_city_pairs(tokens, name_tokens, pairs, self.entity_city[entity])
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
        places = self.country_words(self.entity_country[entity])
        acronyms = self.entity_acronyms[entity]
        credited, query_extra, extra_q, regional = [], 0.0, [], []
        regions = self.region_words(self.entity_country[entity])
        for i, token in enumerate(tokens):
            if i in used_q or token in STOPWORDS:
                continue
            # A country agreeing with the entity's, given as context or closing the name
            # ("Renmin University of China"), is not an extra word.
            closing = i == len(tokens) - 1
            if (token in places and (token in context or closing)) or token in acronyms or _near_city(token, city):
                credited.append(token)
            elif token in regions and (token in context or closing):
                regional.append(token)  # a region of its country closing the text: its place, if the name is whole
            elif token in GENERIC and any(tokens[k] == token for k in used_q):  # a kind said twice
                query_extra += weight(token)
            else:
                query_extra += extra_cost(token, weight(token))
                extra_q.append(token)
        name_extra, extra_n = 0.0, []
        # the city or country closing a name ("Imperial College London", "Universidad de Los Andes, Chile") costs less
        trailing = len(name_tokens)
        while trailing > 1 and trailing - 1 not in used_n and (
                _near_city(name_tokens[trailing - 1], city) or name_tokens[trailing - 1] in places):
            trailing -= 1
        seat = place_tail(name_tokens)
        if trailing == len(name_tokens) and not used_n & set(range(seat, len(name_tokens))):
            trailing = seat
        for j, token in enumerate(name_tokens):
            if j in used_n:
                continue
            cost = extra_cost(token, weight(token))
            # its city costs as little inside the name as closing it: "Tor Vergata University" is the University of
            # Rome Tor Vergata (the blocking estimate reads the city so already)
            placed = j >= trailing or (city and token in city) or token in regions
            name_extra += cost * CITY_DISCOUNT if placed else cost
            if token not in STOPWORDS:
                extra_n.append(token)
        # "Universidad Tecnológica de los Andes de Apurímac": every word of the name typed, then a region of its
        # country, costs as little as its city would; where the name has words of its own left, the region is
        # another word (the Universidad Católica de Salta is not Córdoba's)
        for token in regional:
            if extra_n:
                query_extra += extra_cost(token, weight(token))
                extra_q.append(token)
            else:
                query_extra += extra_cost(token, weight(token)) * CITY_DISCOUNT
                credited.append(token)
        denominator = matched + options.query_extra_penalty * (query_extra + partial) + options.extra_word_penalty * name_extra
        score = matched / denominator if denominator else 0.0
        qualifiers = [t for t in extra_q + extra_n if t in QUALIFIERS]
        score -= QUALIFIER_PENALTY * len(qualifiers)
        kin = [(tokens[i], name_tokens[j]) for i, j, _ in pairs if (tokens[i], name_tokens[j]) in KIN_KINDS]
        score -= KIN_PENALTY * len(kin)
        # A word written apart as a place ('Universidad de Chile - Santiago') read here as a name word: a
        # candidate that reads it as its place, with the rest of the name exact, comes first.
        # (not where the name word is the entity's country or region: "Radius Health (Untied States)"; its city
        # still counts: "Universidad de Chile - Santiago" is not the Universidad de Santiago de Chile)
        # Not a word that names no place (no city of the index, no country, no region of the entity's) and that one
        # institution alone carries: 'Hochschule für Bildende Künste, Städelschule' sets apart the name's own word.
        placed_as_name = [tokens[i] for i, j, _ in pairs if tokens[i] in query.context and tokens[i] not in query.kept
                          and name_tokens[j] not in places and name_tokens[j] not in regions
                          and not self._own_word_set_apart(tokens[i], regions)]
        if placed_as_name:
            score -= PLACE_AS_NAME_PENALTY
        if self.name_part[name_id]:
            score -= PART_PENALTY
        theirs = self.entity_country[entity]
        if other_country(country, theirs):
            score -= options.country_penalty
        if score < options.possible and not keep_below:
            return None  # not worth explaining
        penalties: list[Penalty] = []
        if extra_q:
            penalties.append(Penalty(PenaltyKind.QUERY_WORDS, f"query words not in the name: {' '.join(extra_q)}", tuple(extra_q)))
        if extra_n:
            penalties.append(Penalty(PenaltyKind.NAME_WORDS, f"name words not in the query (x{options.extra_word_penalty:g}): "
                                      f"{' '.join(extra_n)}", tuple(extra_n)))
        if placed_as_name:
            penalties.append(Penalty(PenaltyKind.PLACE_AS_NAME, f"{' '.join(placed_as_name)}, written apart as a place, read "
                                     f"as a name word (-{PLACE_AS_NAME_PENALTY:g})", tuple(placed_as_name)))
        if qualifiers:
            penalties.append(Penalty(PenaltyKind.QUALIFIER, f"{' '.join(qualifiers)} on one side only "
                                     f"(-{QUALIFIER_PENALTY * len(qualifiers):g})", tuple(qualifiers)))
        for said, named in kin:
            penalties.append(Penalty(PenaltyKind.KIN, f"{said} written for {named} (-{KIN_PENALTY:g})", (said, named)))
        self._name_adjust(0.0, name_id, penalties)
        self._country_adjust(0.0, entity, country, penalties, options)
        aligned = [(tokens[i], name_tokens[j], s) for i, j, s in sorted(pairs)]
        words = ", ".join(q if q == n else f"{q}~{n} ({s:.2f})" for q, n, s in aligned if q not in STOPWORDS)
        explanation = f"{self.name_kind[name_id]} name {self.name_raw[name_id]!r}: words aligned {words}"
        if credited:
            explanation += f"; {' '.join(credited)} agree{'s' if len(credited) == 1 else ''} with its city, country or acronym"
        return self._make(query, name_id, score, aligned, explanation, penalties, options)

    def sole_holder(self, name: str, country: str | None, shortest: int = SOLE_WORD_LENGTH) -> tuple[str, str] | None:
        """The entity of ``country`` that is the only one of the whole index to carry a word of the typed name, and
        that word: "Codarts" in "Stichting Codarts Hogeschool voor de Kunsten", "Kotelawala" in "Kotelawala Defence
        University". A coined brand or a founder's name tells a coordinator which school is meant, whatever legal
        form, kind or field the text adds. Not a word of four letters or fewer, a kind, qualifier, legal form or
        function word, nor a place of that entity (its city, region or country: a municipality shares them).
        With a country, one entity of that country: 'Humanitas' (PL) is the Humanitas University in Sosnowiec, whatever
        universities of Italy and Mexico carry the word (``sole_anywhere`` tells the two apart).
        Where two such words name two entities, none; nor where a word makes the text another body's (a company,
        an alumni association: "Codarts Consulting")."""
        holders: dict[int, str] = {}
        in_country: dict[int, str] = {}  # the entities of words others abroad carry too
        typed = tokens_of(fold_name(name))
        if OTHER_BODY.difference(LEGAL_FORMS, WRAPPERS).intersection(typed):  # "Codarts Consulting", "Friends of ArtEZ"
            return None
        for token in typed:
            if (len(token) < shortest or not token.isalpha() or token in STOPWORDS or token in GENERIC
                    or token in QUALIFIERS or token in LEGAL_FORMS or token in WRAPPERS or token in _KINDS):
                continue
            anywhere = self._carriers(token)
            entities = {e for e in anywhere if self.entity_country[e] == country} if country else anywhere
            if len(entities) != 1:
                continue
            entity = next(iter(entities))
            countries, regions = self.places_of(self.entity_country[entity])
            if ((country and self.entity_country[entity] != country) or token in self.entity_city[entity] or token in countries
                    or token in regions):
                continue
            # nor the adjective of its place ("Латвийский" / 'latviyskiy' is Latvia's: the University of Latvia is not
            # the only Latvian institution)
            forms = place_forms(token)
            if forms and any(_near_city(form, places) for form in forms
                             for places in (countries, regions, self.entity_city[entity])):
                continue
            (holders if len(anywhere) == 1 else in_country).setdefault(entity, token)
        holders = holders or in_country  # a word no one abroad carries decides first, as before
        if len(holders) != 1:
            return None
        entity, token = next(iter(holders.items()))
        return self.entity_ids[entity], token

    def _carriers(self, token: str) -> set[int]:
        """The entities of the whole index with ``token`` in their names."""
        return {self.name_entity[name_id] for name_id in self.postings.get(token, ())}

    def sole_anywhere(self, token: str) -> bool:
        """Whether one entity of the whole index carries ``token`` in its names."""
        return len(self._carriers(token)) == 1

    def holds_word_in(self, token: str, country: str, entity_id: str) -> bool:
        """Whether an entity of ``country`` other than ``entity_id`` has ``token`` in its names: 'Noord' after
        'Katholieke Hogeschool Vives' would name the north campus's own record."""
        return any(self.entity_country[self.name_entity[n]] == country and self.entity_ids[self.name_entity[n]] != entity_id
                   for n in self.postings.get(token, ()))

    def _own_word_set_apart(self, token: str, regions: frozenset[str]) -> bool:
        """A word set apart that names no place and that one entity alone carries in its names: that entity's own
        (a province the index knows by no city, 'Anhui', is carried by many)."""
        if token in regions or token in self.place_words():
            return False
        holder = None
        for name_id in self.postings.get(token, ()):  # stops at a second holder: a common word has thousands of names
            entity = self.name_entity[name_id]
            if holder is None:
                holder = entity
            elif entity != holder:
                return False
        return holder is not None

    def names_another_city(self, words: list[str] | tuple[str, ...], entity_id: str, anywhere: bool = False,
                           abroad: bool = False) -> str | None:
        """The first of ``words`` (typed words a candidate's name lacks) that is, or is declined from, the one-word
        city of another entity of the candidate's country (or is, as written, the one-word city of an entity of any
        country, ``anywhere``: no country was given) and is not the candidate's own city, region or country: 'Kunstuniversität *Linz*' is not Graz's
        Kunstuniversität, 'Presidio Ospedaliero *Lavagna*' not the one of Lamezia Terme, '*Šiaulių* valstybinė
        kolegija' not Klaipėda's. With ``abroad``, only another country's town counts (words set apart as a place: a
        company or university has sites in other towns of its country, 'Bristol Myers Squibb, Princeton, NJ'). None
        where no such word is typed."""
        entity = self.entity_pos.get(entity_id)
        if entity is None:
            return None
        country = self.entity_country[entity]
        cities = frozenset() if abroad else self._one_word_cities().get(country, frozenset())
        elsewhere = self._one_word_cities()[None] if anywhere or abroad else frozenset()
        if abroad:
            elsewhere = elsewhere - self._one_word_cities().get(country, frozenset())
        countries, regions = self.places_of(country)
        own = self.entity_city[entity]
        for word in words:
            if len(word) < 4 or not word.isalpha() or word in own or word in countries or word in regions:
                continue
            if _near_city(word, own):
                continue
            # declined in the country's own language only: 'medico' is no case of Medina
            if word in cities or word in elsewhere or any(_declined(word, city) for city in cities if city[:1] == word[:1]):
                return word
        return None

    @memo(1)  # worked out once, and kept in the index's pickle (state.KEPT_TABLES)
    def _one_word_cities(self) -> dict[str | None, frozenset[str]]:
        """Each country's cities of the index written in one word (four letters or more), and under None every
        country's. Not a word of a longer city's name: 'York' in 'New York, NY' names no other town."""
        cities: dict[str | None, set[str]] = {None: set()}
        parts: set[str] = set()
        for country, city in zip(self.entity_country, self.entity_city, strict=True):
            if len(city) > 1:
                parts |= city
            elif len(city) == 1:
                word = next(iter(city))
                if len(word) >= 4 and word.isalpha():
                    cities.setdefault(country, set()).add(word)
                    cities[None].add(word)
        return {country: frozenset(words - parts) for country, words in cities.items()}

    @memo(1)  # worked out once per process, and left out of the index's pickle: it reads the country names too
    def place_words(self) -> frozenset[str]:
        """The words of every city of the index and of every country's names."""
        return frozenset().union(*self.entity_city) | country_name_words()

    def own_words_around(self, typed: list[str], name: str, entity_id: str, country: str) -> list[str] | None:
        """The words ``name`` adds around the whole typed text, where they are the entity's own: its acronym, its
        city, initials, or words no other entity of ``country`` carries, and no kind, field or function word
        ('Baltic State Technical University *Voenmeh*', '*SGH* Warsaw School of Economics'). None where the text
        is not a run of the name's words, where the name adds more than ``OWN_WORDS_AROUND`` words, or a function
        word ('Moscow State University *of Railway Transport*'), or where the entity is not this index's."""
        words = [t for t in tokens_of(fold_name(name)) if t not in LEGAL_FORMS]
        size = len(typed)
        start = next((k for k in range(len(words) - size + 1) if words[k:k + size] == typed), None)
        if start is None:
            return None
        rest = words[:start] + words[start + size:]
        if not rest or len(rest) > OWN_WORDS_AROUND:
            return None
        entity = self.entity_pos.get(entity_id)
        if entity is None:
            return None
        for token in rest:
            if token in self.entity_acronyms[entity] or token in self.entity_city[entity] or len(token) == 1:
                continue
            if (not token.isalpha() or token in STOPWORDS or token in GENERIC or token in QUALIFIERS or token in _KINDS
                    or token in OTHER_BODY or self.holds_word_in(token, country, entity_id)):
                return None
        return rest

    def eponym_left_out(self, typed: list[str], country: str) -> tuple[str, str, tuple[str, ...]] | None:
        """The one entity of ``country`` with a name that has every word of ``typed`` (function words and legal forms
        aside) and adds only words of its own, first or last (most often the person it is named after, whom no other
        entity of the country is named after): that entity, the name and the words
        ('technology university iasi' in RO -> the Gheorghe Asachi Technical University of Iași, 'gheorghe asachi').
        None where another entity of the country has a name with every typed word, where the name adds one word (an
        'Island' is no person) or more than ``EPONYM_WORDS``, or a kind, field, function, compass or legal word, an
        acronym or a place of the entity (its city, region or country), or where another entity of the country has
        every word of the person's name. Where no name of the country has every word, the text's words that name a
        place may be the entity's city, which the name leaves out ('university medical pharmacy cluj napoca' -> the
        Iuliu Hațieganu University of Medicine and Pharmacy, in Cluj-Napoca; Bucharest's and Iași's are not)."""
        wanted = {t for t in typed if t not in STOPWORDS and t not in LEGAL_FORMS}
        if not wanted:
            return None
        names = self._names_with(wanted, wanted, country)
        if not names:
            core = wanted - self.place_words()
            names = self._names_with(core, wanted, country) if core and core != wanted else []
        if len({self.name_entity[n] for n in names}) != 1:
            return None
        entity = self.name_entity[names[0]]
        countries, regions = self.places_of(country)
        for name_id in names:
            words = [t for t in self.name_tokens[name_id] if t not in STOPWORDS and t not in LEGAL_FORMS]
            extra = [t for t in words if t not in wanted]
            size = len(extra)
            if not 2 <= size <= EPONYM_WORDS or extra not in (words[:size], words[-size:]):
                continue
            if any(not t.isalpha() or t in GENERIC or t in QUALIFIERS or t in _KINDS or t in OTHER_BODY or t in COMPASS
                   or t in WRAPPERS or t in self.entity_city[entity] or t in countries or t in regions
                   or t in self.entity_acronyms[entity] for t in extra):
                continue
            # the person's name is the entity's own: 'babes' alone is Babeș-Bolyai's too, 'victor babes' only Victor Babeș's
            if any(self.entity_ids[self.name_entity[n]] != self.entity_ids[entity]
                   and self.entity_country[self.name_entity[n]] == country and set(extra).issubset(self.name_tokens[n])
                   for n in min((self.postings[t] for t in extra), key=len)):
                return None
            return self.entity_ids[entity], self.name_raw[name_id], tuple(extra)
        return None

    def _names_with(self, core: set[str], wanted: set[str], country: str) -> list[int]:
        """The names of ``country`` (no acronyms) with every word of ``core``, whose entity's city has every other
        word of ``wanted`` the name lacks."""
        if any(t not in self.postings for t in core):
            return []
        rarest = min((self.postings[t] for t in core), key=len)
        return [n for n in rarest if self.entity_country[self.name_entity[n]] == country and n not in self._acronym_names
                and core.issubset(self.name_tokens[n])
                and wanted.difference(core, self.name_tokens[n]) <= self.entity_city[self.name_entity[n]]]

    def acronym_of_another(self, name: str, country: str, entity_id: str) -> bool:
        """Whether a word of the text is the acronym of another entity of ``country`` and not of ``entity_id``:
        'UDIT Estudios Superiores Internacionales S.L.' is UDIT's owner, whatever other institution carries
        'internacionales'."""
        for token in tokens_of(fold_name(name)):
            holders = {self.entity_ids[self.name_entity[n]] for n in self.acronyms.get(token, ())
                       if self.entity_country[self.name_entity[n]] == country}
            if holders and entity_id not in holders:
                return True
        return False

    # -- adjustments ---------------------------------------------------------------------------

    def _name_adjust(self, score, name_id, penalties) -> float:
        if self.name_part[name_id]:
            penalties.append(Penalty(PenaltyKind.NAME_PART, f"a part of a longer name (-{PART_PENALTY:g})"))
            return score - PART_PENALTY
        return score

    def _country_adjust(self, score, entity, country, penalties, options) -> float:
        theirs = self.entity_country[entity]
        if other_country(country, theirs):
            penalties.append(Penalty(PenaltyKind.COUNTRY, f"country {country} given, entity is in {theirs} "
                                     f"(-{options.country_penalty:g})"))
            return score - options.country_penalty
        return score

    def _make(self, query, name_id, score, aligned, explanation, penalties, options, *, exact=False, acronym=False) -> Match:
        entity = self.name_entity[name_id]
        if query.dropped:
            penalties = penalties + [Penalty(PenaltyKind.UNIT_IGNORED, f"unit ignored: {'; '.join(query.dropped)}", query.dropped)]
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
