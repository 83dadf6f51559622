"""Words: how much a word weighs, how alike two words are, and how two names' words align."""

from __future__ import annotations

import math
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from registry.matching.slips import hand_slip
from registry.matching.text import COMPASS, GENERIC, KIN_KINDS, LEGAL_FORMS, QUALIFIERS, STOPWORDS, TITLES

STOPWORD_WEIGHT = 0.05
GENERIC_WEIGHT = 0.25
QUALIFIER_WEIGHT = 0.9
MAX_WEIGHT = 3.0  # IDF is squashed (tanh) to this: a unique word and an uncommon one differ 2x, not 10x
EXTRA_WORD_FLOOR = 1.0  # an unmatched word costs at least this, however common ("college")
CITY_DISCOUNT = 0.2  # an unmatched city closing the name ("Imperial College London")
KIN_SIMILARITY = 0.6  # two kinds people write for one another (university / university of applied sciences)
KIN_WORDS = frozenset(typed for typed, _ in KIN_KINDS)


def _squash(idf: float) -> float:
    return MAX_WEIGHT * math.tanh(idf / MAX_WEIGHT)


def extra_cost(token: str, weight: float) -> float:
    """What an unmatched word costs: its weight, at least the floor unless a function word (or a title: "Universidad
    Dr. José Matías Delgado" is José Matías Delgado University)."""
    return weight if token in STOPWORDS or token in LEGAL_FORMS or token in TITLES else max(weight, EXTRA_WORD_FLOOR)


def _fixed_weight(token: str, idf: float) -> float:
    if token in STOPWORDS or token in LEGAL_FORMS or token in TITLES:
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
    """The word names the city, allowing exonyms that differ a little (München, Munich) and the city's
    name declined (Brno: 'v Brně'; Praha: 'v Praze'; Kraków: 'w Krakowie'; Tampere: 'Tampereen')."""
    return bool(city) and (token in city or _near_city_form(token, city))


@lru_cache(maxsize=1 << 18)  # asked for the words of every candidate aligned, of a few thousand cities
def _near_city_form(token: str, city: frozenset[str]) -> bool:
    return any((len(token) >= 5 and fuzz.ratio(token, c) >= 75) or _declined(token, c) for c in city)


def _declined(token: str, city: str) -> bool:
    """A case ending on the city's stem: all but the city's last two letters (at least four) shared and at
    most four letters added; of a four-letter name, three shared and at most two added."""
    if token[:1] != city[:1]:  # the stem shared begins the word: most words are told apart by their first letter
        return False
    stem, added = (3, 2) if len(city) == 4 else (max(4, len(city) - 2), 4)
    return len(city) >= 4 and len(token) >= 4 and 0 <= len(token) - stem <= added and token[:stem] == city[:stem] and (
        not token.isdigit())


# Prepositions that close a name with its seat: "Zdravstveno veleučilište u Zagrebu", "... in Košice", "... v Praze".
LOCATIVES = frozenset(["in", "u", "v", "ve", "vo", "w", "din", "at"])


def place_tail(name: tuple[str, ...]) -> int:
    """Where a closing 'in <place>' of one or two words starts (after the preposition), else len(name): a
    place so written costs as little as the entity's own city, though spelt in its case ('Zagrebu')."""
    for start in (len(name) - 2, len(name) - 3):
        if start >= 1 and name[start] in LOCATIVES and all(t not in STOPWORDS for t in name[start + 1:]):
            return start + 1
    return len(name)


# Endings that make an adjective of a place name: "Uniwersytet Opolski" is the University of Opole,
# "Politechnika Krakowska" Kraków's, "Milanese" Milan's. (Not -ano, -ina: they end given names too.)
ADJECTIVE_ENDINGS = ("skiego", "skie", "ski", "ska", "sko", "sky", "skyi", "skiy", "skaya", "skij", "cki", "cka", "ckie",
                     "cky", "ense", "enses", "ensis", "ese", "esa", "ois", "oise")
# What a place name may add after the adjective's stem: Opol-e, Krakow, Gdan-sk, Bratislav-a, Milan-o.
_PLACE_TAILS = ("", "a", "e", "o", "i", "y", "sk", "ia", "en", "an", "um")
_STEM = 4  # a shorter stem is too weak a tie ("rom-ano")


def adjective_stem(word: str) -> str | None:
    """The stem of a word formed from a place name by an adjective ending, if long enough."""
    for ending in ADJECTIVE_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _STEM:
            return word[: -len(ending)]
    return None


@lru_cache(maxsize=1 << 18)  # asked for every word of every aligned pair: a pure function of the word
def place_forms(word: str) -> tuple[str, ...]:
    """The place names an adjective may be formed from ('opolski' -> 'opol', 'opole', 'opola' ...)."""
    stem = adjective_stem(word)
    return tuple(stem + tail for tail in _PLACE_TAILS) if stem else ()


def _adjective_of(a: str, b: str) -> bool:
    """One word is the other's adjective: 'opolski' / 'opole', 'krakowska' / 'krakow'."""
    return b in place_forms(a) or a in place_forms(b)


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
    if shorter >= 4 and (a == b + "s" or b == a + "s" or _transposed(a, b)):
        return 0.9
    if shorter < 4 or a.isdigit() or b.isdigit():
        return 0.0
    if shorter == 4 and _struck_by_hand(a, b):
        return SLIP_SIMILARITY
    if (a in COMPASS or b in COMPASS) and a.removesuffix("ern") != b.removesuffix("ern") and not _compass_slip(a, b):
        return 0.0
    key = (a, b) if a < b else (b, a)
    cached = _SIMILARITY.get(key)
    if cached is None:
        cached = 0.9 if _adjective_of(a, b) else fuzz.ratio(a, b) / 100.0 if shorter >= 5 else 0.0
        if shorter < 8 and cached < 0.85:  # "toyo" is not "tokyo", "wien" not "wine"
            cached = (VOWEL_SIMILARITY if _vowel_variant(a, b)
                      else SLIP_SIMILARITY if _struck_for(a, b) or _struck_by_hand(a, b) else 0.0)
        if cached < COGNATE_SIMILARITY and cognate(a, b):
            cached = COGNATE_SIMILARITY
        if len(_SIMILARITY) > 2_000_000:
            _SIMILARITY.clear()
        _SIMILARITY[key] = cached
    return cached


@lru_cache(maxsize=1 << 12)
def _compass_slip(a: str, b: str) -> bool:
    """A direction typed with one slip ("Southvest", "Nothern", "Wesaern"): the one direction word one edit away, where
    the typed word is none ("Northern" is never "Southern")."""
    if (a in COMPASS) == (b in COMPASS):
        return False
    typed, direction = (b, a) if a in COMPASS else (a, b)
    return len(typed) >= 5 and [c for c in COMPASS if OSA.distance(typed, c) <= 1] == [direction]


VOWEL_SIMILARITY = 0.85
_VOWELS = "aeiou"


def _vowel_variant(a: str, b: str) -> bool:
    """One vowel inside the word written as another, as romanisations of one name differ ('Khaled' / 'Khalid',
    'Osman' / 'Usman' not: the first letter stays), in a word of at least six letters: the ending, which
    declines a word ('Krakowa' / 'Krakowie'), is left alone. Or one vowel inside the word written or left out, as
    romanisations write a short vowel or not, or a sound with one vowel or two ('Fahd' / 'Fahad', 'Yasuj' /
    'Yasouj'), the shorter word of at least four letters: not the first letter, and not the last (an ending)."""
    if a.isdigit() or b.isdigit():
        return False
    if len(a) == len(b):
        if len(a) < 6:
            return False
        differ = [k for k in range(len(a)) if a[k] != b[k]]
        return len(differ) == 1 and 0 < differ[0] < len(a) - 1 and a[differ[0]] in _VOWELS and b[differ[0]] in _VOWELS
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    if len(longer) != len(shorter) + 1 or len(shorter) < 4:
        return False
    k = next((k for k in range(len(shorter)) if shorter[k] != longer[k]), len(shorter))
    return 0 < k < len(shorter) and longer[k] in _VOWELS and longer[k + 1:] == shorter[k:]


def vowel_variants(word: str) -> list[str]:
    """The words of the same length ``_vowel_variant`` pairs with ``word`` (a vowel for a vowel)."""
    if len(word) < 6 or word.isdigit():
        return []
    return [word[:k] + v + word[k + 1:] for k in range(1, len(word) - 1) if word[k] in _VOWELS
            for v in _VOWELS if v != word[k]]


def vowel_gaps(word: str) -> list[str]:
    """The words ``_vowel_variant`` pairs with ``word`` by a vowel more or less ('fahd' / 'fahad')."""
    if len(word) < 4 or word.isdigit():
        return []
    found = [word[:k] + word[k + 1:] for k in range(1, len(word) - 1) if word[k] in _VOWELS and len(word) >= 5]
    found += [word[:k] + v + word[k:] for k in range(1, len(word)) for v in _VOWELS]
    return [other for other in dict.fromkeys(found) if _vowel_variant(word, other)]  # 'oulu' + 'u' is an ending


SLIP_SIMILARITY = 0.81


def _struck_for(a: str, b: str) -> bool:
    """One letter inside a word of six or seven letters struck for another ("Sistem" / "System", "Araton" /
    "Aragon"): a ratio of 0.83, below what short words need; the first and last letters, which tell most words
    apart and decline them, stay."""
    if len(a) != len(b) or len(a) < 6 or a.isdigit() or b.isdigit():
        return False
    differ = [k for k in range(len(a)) if a[k] != b[k]]
    return len(differ) == 1 and 0 < differ[0] < len(a) - 1


def _struck_by_hand(a: str, b: str) -> bool:
    """A slip of the hand in a word of five to seven letters, where a ratio reads one letter as too much: a letter
    struck for its neighbour on the keyboard, its first and last too ("Nsval" / "Naval", "Oxgord" / "Oxford"), or the
    first two letters swapped. Not a vowel for a vowel, however near the keys: that is how romanisations and case
    endings differ ("Porto" / "Porti"). In a word of four letters only a letter struck twice ("LLaos", "Azaad"): a
    letter left out or struck for another makes another word ("Toyo" / "Tokyo"), and the reach test
    (``unpaired._alike``) reads two words that begin differently as alike only by their ratio."""
    if a.isdigit() or b.isdigit():
        return False
    if min(len(a), len(b)) == 4:
        longer, shorter = (a, b) if len(a) > len(b) else (b, a)
        return len(longer) == 5 and any(longer[k] == longer[k - 1] and longer[:k] + longer[k + 1:] == shorter
                                        for k in range(1, 5))
    if len(a) != len(b) or len(a) < 5:
        return False
    differ = [k for k in range(len(a)) if a[k] != b[k]]
    if len(differ) == 1 and a[differ[0]] in _VOWELS and b[differ[0]] in _VOWELS:
        return False
    return len(differ) <= 2 and hand_slip(a, b)


COGNATE_SIMILARITY = 0.82
_COGNATE_STEM = 6


def cognate(a: str, b: str) -> bool:
    """One word in two languages, or two forms of it: a stem of six letters or more, all of the shorter word but
    at most its last two letters, and endings of at most four letters ('autonoma' / 'autonomous', 'catholique' /
    'catholic', 'relatii' / 'relations', 'economia' / 'economics'), where a typo's ratio reads the endings as
    most of a short word."""
    stem = 0
    for x, y in zip(a, b, strict=False):  # the common prefix
        if x != y:
            break
        stem += 1
    return (stem >= _COGNATE_STEM and stem >= min(len(a), len(b)) - 2 and max(len(a), len(b)) - stem <= 4
            and not a.isdigit() and not b.isdigit())


def _transposed(a: str, b: str) -> bool:
    """Two neighbouring letters swapped ('Qauid' / 'Quaid'): the commonest typo, which ratio scores low in
    a short word."""
    if len(a) != len(b) or a[0] != b[0] or a.isdigit():
        return False
    differ = [k for k in range(len(a)) if a[k] != b[k]]
    return len(differ) == 2 and differ[1] == differ[0] + 1 and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]]


def align(query, name, minimum: float = 0.8) -> list[tuple[int, int, float]]:
    """Pair each query word with at most one name word, most similar pairs first.
    Returns (query position, name position, similarity) for every pair at or above minimum."""
    pairs: list[tuple[int, int, float]] = []
    used_n: set[int] = set()
    positions = _positions(tuple(name))
    rest: list[tuple[int, str]] = []
    for i, word in enumerate(query):  # equal words first: nothing is more similar
        at = positions.get(word)  # most words are not the name's: no generator made for them
        equal = None if at is None else next((j for j in at if j not in used_n), None)
        if equal is None:
            if len(word) >= 4:
                rest.append((i, word))
        else:
            used_n.add(equal)
            pairs.append((i, equal, 1.0))
    used_q: set[int] = {i for i, _, _ in pairs}
    # a word written as two on the other side ("Portharcourt" / "Port Harcourt") pairs with both before a typo
    # pairs it with one of them ("harcourt", 0.8) and leaves the other a missing word
    pairs += _joined_pairs(query, name, used_q, used_n)
    rest = [(i, word) for i, word in rest if i not in used_q]
    if not rest:
        return pairs + _kin_pairs(query, name, used_q, used_n)
    candidates = []
    for j, other in enumerate(name):
        size = len(other)
        if j in used_n or size < 4:
            continue
        for i, word in rest:
            # ratio >= 0.8 needs the shorter word to be at least 2/3 of the longer; a place's adjective may be longer
            # still ("Гомельскі" / 'gomelski' is Gomel's)
            if 3 * min(size, len(word)) < 2 * max(size, len(word)) and not (
                    word[:_STEM] == other[:_STEM] and (place_forms(word) or place_forms(other))):
                continue
            similarity = token_similarity(word, other)
            if similarity >= minimum:
                candidates.append((similarity, -i, -j))
    candidates.sort(reverse=True)
    for similarity, i, j in candidates:
        if -i in used_q or -j in used_n:
            continue
        used_q.add(-i)
        used_n.add(-j)
        pairs.append((-i, -j, similarity))
    return pairs + _kin_pairs(query, name, used_q, used_n)


@lru_cache(maxsize=1 << 16)  # the candidates' names recur from query to query
def _positions(name: tuple[str, ...]) -> dict[str, list[int]]:
    """Where each word stands in a name (read only)."""
    positions: dict[str, list[int]] = {}
    for j, word in enumerate(name):
        positions.setdefault(word, []).append(j)
    return positions


def _kin_pairs(query, name, used_q: set[int], used_n: set[int]) -> list[tuple[int, int, float]]:
    """A kind word left over in the typed name that people write for a kind left over in the name (KIN_KINDS)."""
    pairs = []
    for i, word in enumerate(query):
        if i in used_q or word not in KIN_WORDS:
            continue
        j = next((j for j, other in enumerate(name) if j not in used_n and (word, other) in KIN_KINDS), None)
        if j is not None:
            used_q.add(i)
            used_n.add(j)
            pairs.append((i, j, KIN_SIMILARITY))
    return pairs


@lru_cache(maxsize=1 << 16)  # a typed name is aligned with a dozen candidates, and names recur
def _joins(words: tuple[str, ...]) -> dict[str, range]:
    """Two or three neighbouring words written as one, and where they stand (read only)."""
    return {"".join(words[j:j + size]): range(j, j + size) for size in (3, 2) for j in range(len(words) - size + 1)}


def _joined_pairs(query, name, used_q: set[int], used_n: set[int]) -> list[tuple[int, int, float]]:
    """A word on one side written as two or three on the other ("Jiaotong" / "Jiao Tong", "Kafrelsheikh" /
    "Kafr el Sheikh"): pair the word with every part."""
    pairs = []
    for words, other, used_w, used_o, flip in ((query, name, used_q, used_n, False), (name, query, used_n, used_q, True)):
        joined = None  # the other side's joins, worked out only for a long word left over (most names have none)
        for i, word in enumerate(words):
            if i in used_w or len(word) < 5:
                continue
            if joined is None:
                joined = _joins(tuple(other))
            span = joined.get(word)
            if span is None or used_o.intersection(span):
                continue
            used_w.add(i)
            used_o.update(span)
            pairs += [(j, i, 1.0) for j in span] if flip else [(i, j, 1.0) for j in span]
    return pairs
