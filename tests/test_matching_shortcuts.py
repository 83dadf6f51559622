"""The matcher's shortcuts for speed give what the long way gives: each is checked against the work it saves."""

from __future__ import annotations

import pickle

import pytest

from registry.matching import NameIndex
from registry.matching.text import country_words, region_words
from registry.matching.words import place_forms, vowel_variants
from tests.test_matching import CITIES, ENTRIES

# Words a typo, a plural, a place's adjective or a vowel away from indexed words, and words far from all.
TYPED = ["copenhagn", "kopenhagen", "universitets", "helsingin", "helsinky", "harbim", "lodzki", "karolinksa",
         "karolinska", "nanjingg", "vienne", "munchen", "aeronautic", "astronauitcs", "kapodistrian", "zzzzzz"]


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex.build(ENTRIES, cities=CITIES)


@pytest.mark.parametrize("token", TYPED)
def test_typo_test_per_name_word_agrees_with_the_trigram_search(index, token):
    """_reachable asks, per name word, what _near_tokens(token, minimum, True) would list."""
    minimum = index.options.min_token_similarity
    listed = {word for word, _ in index._near_tokens(token, minimum, True)}
    for word in index.weights:
        near_by_rules = (word == token or word in (token + "s", token.removesuffix("s")) or word in place_forms(token)
                         or word in vowel_variants(token) or index._typo_apart(token, word, minimum))
        assert near_by_rules == (word in listed), (token, word)


def test_the_index_carries_its_countries_place_words(index):
    """A process that reads a cached index (a resolve worker) needs no pycountry to place a word."""
    stored = pickle.loads(pickle.dumps(index))
    for country in {entry[2] for entry in ENTRIES}:
        assert stored.country_places[country] == (country_words(country), region_words(country))
    assert "tirol" in stored.region_words("AT")


def test_an_empty_index_answers_nothing_without_parsing():
    empty = NameIndex.build([])
    assert empty.match("University of Copenhagen", "DK") == []
    assert empty.match("KU") == []


def test_a_words_posting_set_is_the_names_that_have_it(index):
    """Blocking adds a common word's weight to the names found that have it, through this set."""
    for word in index.postings:
        assert index._posting_set(word) == {n for n, tokens in enumerate(index.name_tokens) if word in tokens}
