"""Blocking's reach test, the typed side: the typed words that no word of a candidate's name can pair with.

``_aligned_match`` scores ``matched / (matched + q * (query_extra + partial) + n * name_extra)`` less penalties.
Blocking's reach test (``IndexLookup._reachable``) bounds ``matched`` from above (the weight of the name words near a
typed word) and ``name_extra`` from below (the name's other words), and keeps a candidate whose bound reaches the
possible band. Most of those it keeps still score below the band (about three in four of the benchmark's): a typed
word the name lacks ("Department", a second institution's name) costs them. This module bounds ``query_extra`` from
below too, without aligning: a typed word costs at least its ``floor`` in ``_aligned_match`` unless it pairs with a
name word (``align``: equal, written joined on either side, alike by ``token_similarity``, a kind word's kin) or is
credited as the entity's place or acronym. Each of these is tested here as ``align`` and ``_aligned_match`` test it,
or more loosely (a place or acronym is credited wherever it stands in the text), so the bound never drops a name that
would reach the band."""

from __future__ import annotations

from itertools import chain
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz import fuzz, process

from registry.matching.text import GENERIC, KIN_KINDS, STOPWORDS
from registry.matching.words import (
    _STEM,
    CITY_DISCOUNT,
    KIN_WORDS,
    _joins,
    _near_city,
    extra_cost,
    place_forms,
    token_similarity,
)

SLACK = 1e-9  # the bound is summed in another order than the score: a hair of rounding either way
RATIO_SLACK = 1e-6  # the ratio's cutoff a hair lower than token_similarity's (ratio / 100 >= minimum)


class TypedWord(NamedTuple):
    token: str
    near: frozenset[str]  # name words it pairs with at sight: its near forms (``_near_forms``)
    floor: float  # the least it costs left unpaired and uncredited (a kind said twice costs its weight)
    cost: float  # ``extra_cost``: what a region closing the text costs a fifth of


class Typed(NamedTuple):
    """What the bound reads of a typed name, worked out once for all its candidates."""
    tokens: tuple[str, ...]
    words: list[TypedWord]  # the words that may cost
    sight: dict[str, int]  # name word -> the typed words it pairs with at sight (bit k: words[k]), or ``keep``
    keep: int  # the bit of a name word left to the full score: a typed kind word's kin, or typed words spelt joined
    floors: dict[int, float]  # a set of unpaired words (bits) -> the sum of their floors, remembered
    alike: list[dict[str, bool]]  # per typed word: name word -> whether ``_alike`` pairs them, remembered
    pairable: dict[str, bool]  # name word -> whether a typed word may pair with it (``_pairable``), remembered


def typed_words(index, tokens: tuple[str, ...]) -> Typed:
    """The typed words that may cost in ``_aligned_match``'s query_extra: not function words, nor a kind word that
    pairs with its kin (KIN_KINDS) in any name. Each name word's typed words at sight are one bitmask, so that a
    candidate's unpaired words are a few dictionary reads and an OR per name word."""
    found = []
    for token in tokens:
        if token in STOPWORDS or token in KIN_WORDS:
            continue
        weight = index.weight(token)
        cost = extra_cost(token, weight)
        found.append(TypedWord(token, index._near_forms(token), min(cost, weight) if token in GENERIC else cost, cost))
    keep = 1 << len(found)
    # the name words left to the full score (the few typed words spelt joined, a typed kind word's kin) are known
    # now; the rest are found as candidates ask (``_seen``): the near forms of a long word are dozens
    sight = dict.fromkeys(chain(("".join(tokens[k:k + size]) for size in (2, 3) for k in range(len(tokens) - size + 1)),
                                (name_word for typed, name_word in KIN_KINDS if typed in tokens)), keep)
    return Typed(tokens, found, sight, keep, {}, [{} for _ in found], {})


def within_reach(index, typed: Typed, name_id: int, aligned: float, others: list[tuple[int, str, float]],
                 name_cost: float, possible: float, options) -> bool:
    """Whether the candidate may still reach ``possible`` (the band plus its fixed penalties) once the typed words
    that cannot pair with its name are charged. ``_reachable`` gives ``aligned`` (the weight of the name words near a
    typed word), ``others`` (the rest: position, word, weight) and ``name_cost`` (the least they cost). Before a name
    is dropped, each of ``others`` is tested as ``align`` pairs words: one that may pair after all (a typo that
    blocking's trigrams did not find) counts in ``aligned`` and costs nothing, so that the bound holds whatever
    blocking's nearness missed."""
    words = typed.words
    if not words or options.query_extra_penalty <= 0:
        return True
    name = index.name_tokens[name_id]
    sight, seen = typed.sight, 0
    for word in name:
        bits = sight.get(word)
        seen |= _seen(typed, word) if bits is None else bits
    # a name word that pairs with a typed kind word as its kin, or that two or three typed words written as one
    # spell (rare): left to the full score
    if seen & typed.keep:
        return True
    unpaired = (typed.keep - 1) & ~seen
    if not unpaired:
        return True
    # every unpaired word charged its floor (no place credited, no region's discount) still reaches: so would fewer
    most = typed.floors.get(unpaired)
    if most is None:
        most = typed.floors[unpaired] = sum(word.floor for k, word in enumerate(words) if unpaired >> k & 1)
    if _bound(aligned, most, name_cost, options) >= possible:
        return True
    entity = index.name_entity[name_id]
    city, acronyms = index.entity_city[entity], index.entity_acronyms[entity]
    places, regions = index.places_of(index.entity_country[entity])
    charges = []
    for k, word in enumerate(words):
        if not unpaired >> k & 1:
            continue
        token = word.token
        if token in places or token in acronyms or _near_city(token, city):
            continue
        charges.append((k, min(word.floor, word.cost * CITY_DISCOUNT) if token in regions else word.floor))
    # the words unpaired at sight charged first: most names this keeps are kept without comparing words
    if not charges or _bound(aligned, sum(cost for _, cost in charges), name_cost, options) >= possible:
        return True
    # Then each is tested as align pairs words, dearest first, until those that cannot pair drop the name.
    minimum, charged, name_tested = options.min_token_similarity, 0.0, False
    for k, cost in sorted(charges, key=itemgetter(1), reverse=True):
        if _pairs_with(words[k].token, typed.alike[k], name, minimum):
            continue
        charged += cost
        if _bound(aligned, charged, name_cost, options) >= possible:
            continue
        if name_tested:
            return False
        name_tested = True
        missed = _pairable(typed, name, others, minimum)
        if missed:
            aligned += sum(weight for position, _, weight in others if position in missed)
            name_cost = CITY_DISCOUNT * sum(weight for position, _, weight in others if position not in missed)
        if _bound(aligned, charged, name_cost, options) < possible:
            return False
    return True


def _seen(typed: Typed, word: str) -> int:
    """The typed words a name word pairs with at sight (their bits), remembered for the typed name's candidates."""
    bits = 0
    for k, typed_word in enumerate(typed.words):
        if word in typed_word.near:
            bits |= 1 << k
    typed.sight[word] = bits
    return bits


def _bound(aligned: float, charged: float, name_cost: float, options) -> float:
    denominator = aligned + options.query_extra_penalty * charged + options.extra_word_penalty * name_cost
    return aligned / denominator + SLACK


def _pairable(typed: Typed, name: tuple[str, ...], others: list[tuple[int, str, float]], minimum: float) -> set[int]:
    """The positions of ``others`` that ``align`` may pair with a typed word: equal, written joined on either side,
    alike by ``token_similarity``."""
    found: set[int] = set()
    joins = None
    for token in typed.tokens:
        if len(token) >= 5 and _may_join(token, name):
            joins = joins if joins is not None else _joins(name)
            span = joins.get(token)
            if span is not None:
                found.update(span)
    remembered = typed.pairable
    for position, word, _ in others:
        if position in found:
            continue
        pairs = remembered.get(word)
        if pairs is None:
            # (a word typed words spell joined never gets here: ``within_reach`` left its name to the full score)
            pairs = remembered[word] = word in typed.tokens or _any_alike(word, typed.tokens, minimum)
        if pairs:
            found.add(position)
    return found


def _may_join(token: str, name: tuple[str, ...]) -> bool:
    """Whether the token may be two or three neighbouring words of the name written as one (``_joins``): it begins
    with one of them that another follows. Most do not, and the name's joins are then never worked out."""
    return any(token.startswith(word) for word in name[:-1])


def _alike(token: str, word: str, minimum: float) -> bool:
    """``align``'s test of two words that are not equal (both of four letters or more, alike enough). Of two words
    that begin differently only the ratio can make them alike (a plural, two letters swapped, a place's adjective, a
    vowel and a cognate all keep the first letter): the ratio, asked in C, rules out most pairs."""
    size, length = len(token), len(word)
    if size < 4 or length < 4:
        return False
    # as align: a place's adjective may be longer than 3/2 of the place ("gomelski" / "gomel")
    if 3 * min(length, size) < 2 * max(length, size) and not (
            token[:_STEM] == word[:_STEM] and (place_forms(token) or place_forms(word))):
        return False
    if token[0] != word[0] and not fuzz.ratio(token, word, score_cutoff=minimum * 100 - RATIO_SLACK):
        return False
    return token_similarity(token, word) >= minimum


def _pairs_with(token: str, alike: dict[str, bool], name: tuple[str, ...], minimum: float) -> bool:
    """Whether ``align`` may pair the typed word with a word of the name by more than sight (the name writes it as
    two or three words, or a word alike by ``token_similarity``), as ``align`` and ``_joined_pairs`` test it.
    ``alike`` remembers the name words tested for this typed word: a typed name's candidates share most words."""
    if len(token) < 4:
        return False
    if len(token) >= 5 and _may_join(token, name) and token in _joins(name):
        return True
    for word in name:
        pairs = alike.get(word)
        if pairs is None:
            pairs = alike[word] = _alike(token, word, minimum)
        if pairs:
            return True
    return False


def _any_alike(token: str, words, minimum: float) -> bool:
    """Whether a word of ``words`` is ``_alike`` the token: the ratio asked of all of them in one call to C first;
    where none is close by ratio, only the words that begin as the token does can be alike."""
    if len(token) < 4:
        return False
    if process.extractOne(token, words, scorer=fuzz.ratio, score_cutoff=minimum * 100 - RATIO_SLACK) is None:
        first = token[0]
        return any(word[0] == first and _alike(token, word, minimum) for word in words)
    return any(_alike(token, word, minimum) for word in words)
