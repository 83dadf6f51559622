"""The matcher's shortcuts for speed give what the long way gives: each is checked against the work it saves."""

from __future__ import annotations

import pickle

import pytest

from registry.matching import NameIndex, lookup, unpaired
from registry.matching.memo import MEMO_PREFIX, memo
from registry.matching.text import country_words, parse_query, region_words
from registry.matching.words import _joined_pairs, align, place_forms, vowel_variants
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


def test_a_countrys_names_are_the_names_of_its_entities(index):
    """Blocking ranks the names found of the given country besides the best through these sets."""
    by_country = index._names_by_country()
    for country in set(index.entity_country):
        assert by_country[country] == {n for n, entity in enumerate(index.name_entity)
                                       if index.entity_country[entity] == country}
    assert sum(map(len, by_country.values())) == len(index.name_raw)


@pytest.mark.parametrize(("query", "name", "pairs"), [
    (("portharcourt", "university"), ("university", "of", "port", "harcourt"), [(0, 2, 1.0), (0, 3, 1.0)]),
    (("jiao", "tong", "university"), ("jiaotong", "university"), [(0, 0, 1.0), (1, 0, 1.0)]),
    (("harvard", "university"), ("harvard", "university"), []),  # every long word aligned already: no joins asked
])
def test_a_word_written_as_two_pairs_with_both(query, name, pairs):
    """_joined_pairs works out a side's joins only for a long word left over; what it pairs is unchanged."""
    used_q = {i for i, word in enumerate(query) if word in name}
    used_n = {j for j, word in enumerate(name) if word in query}
    assert _joined_pairs(query, name, used_q, used_n) == pairs


QUERIES = ["University of Copenhagen", "Copenhagn Business School", "Karolinska Institutet", "Univ. of Helsinki",
           "University College Copenhagen", "Ludwig Maximilians Universitat Munchen", "Nanjing University"]


@pytest.mark.parametrize("name", QUERIES)
@pytest.mark.parametrize("country", [None, "DK", "SE", "US"])
def test_the_reach_test_drops_only_names_that_score_below_the_band(index, name, country):
    """_reachable leaves out a candidate only when aligning it would score below the possible band: its bound
    subtracts what the scorer takes whatever the words (another country, a part of a name)."""
    options = index.options
    query = parse_query(name)
    for tokens in query.variants:
        candidates = index._candidates(tokens, options)
        kept = set(index._reachable(candidates, tokens, options, country))
        for name_id in set(candidates) - kept:
            match = index._aligned_match(query, tokens, name_id, country, set(query.context), options, True)
            assert match is None or match.score < options.possible, (name, country, index.name_raw[name_id])


def test_a_memo_is_the_indexs_own_and_is_left_out_of_its_pickle(index):
    """All but the once-per-process tables worked out from the index's lists alone (``KEPT_TABLES``)."""
    from registry.matching.state import KEPT_TABLES

    minimum = index.options.min_token_similarity
    found = index._near_tokens("copenhagn", minimum, False)
    assert index._near_tokens("copenhagn", minimum, False) is found  # remembered
    assert MEMO_PREFIX + "_near_tokens" in vars(index)
    stored = pickle.loads(pickle.dumps(index))
    assert {name for name in vars(stored) if name.startswith(MEMO_PREFIX)} <= KEPT_TABLES
    assert stored._near_tokens("copenhagn", minimum, False) == found


def test_a_memo_starts_afresh_once_full():
    class Counting:
        calls = 0

        @memo(2)
        def double(self, value: int) -> int:
            self.calls += 1
            return 2 * value

    counting = Counting()
    assert [counting.double(v) for v in (1, 2, 1, 2)] == [2, 4, 2, 4] and counting.calls == 2
    counting.double(3)  # the third answer: the memo was full, so it starts afresh
    assert counting.double(1) == 2 and counting.calls == 4


# Typed names with words that some candidates' names lack (a unit, a second institution, a typo of a name word that
# blocking's trigrams may not find): the reach test charges them before aligning.
WITH_WORDS_LACKED = ["Copenhagen Business School Solbjerg Plads", "Karolinska Institutet Department of Oncology",
                     "Harbin Medical Univresity Cardiology Clinic", "Nanjing Aeronautics Astronauitcs Research",
                     "Medical University of Lodz Kopernika", "University of Helsinki Viikki Helsingfors",
                     "Copenhagen University Hospital Rigshospitalet Blegdamsvej", "Kiel Universitaet Kansas",
                     # a word lacked, and the name still in the band: the bound is met exactly (0.712)
                     "Air Force Medical University Xijing", "National and Kapodistrian University of Athens Medical"]


@pytest.mark.parametrize("name", WITH_WORDS_LACKED + QUERIES)
@pytest.mark.parametrize("country", [None, "DK", "CN"])
def test_the_typed_words_a_name_lacks_drop_only_names_that_score_below_the_band(index, name, country):
    """The reach test's typed side (registry/matching/unpaired.py) leaves out only candidates that aligning would score
    below the possible band, whatever blocking found near; and keeps those that score in it."""
    options = index.options
    query = parse_query(name)
    for tokens in query.variants:
        candidates = index._candidates(tokens, options, country)
        kept = set(index._reachable(candidates, tokens, options, country))
        for name_id in set(candidates) - kept:
            match = index._aligned_match(query, tokens, name_id, country, set(query.context), options, True)
            assert match is None or match.score < options.possible, (name, country, index.name_raw[name_id])


def test_the_typed_words_a_name_lacks_leave_out_candidates(index, monkeypatch):
    """The typed side drops names the name's side alone kept (else the test above tests nothing), and the answers
    stay the same without it."""
    options = index.options
    dropped = 0
    answers = {}
    for name in WITH_WORDS_LACKED:
        for tokens in parse_query(name).variants:
            candidates = index._candidates(tokens, options)
            dropped -= len(index._reachable(candidates, tokens, options))
        answers[name] = [(m.entity_id, m.score, m.explanation) for m in index.match(name, limit=10)]
    monkeypatch.setattr(lookup, "within_reach", lambda *args: True)
    for name in WITH_WORDS_LACKED:
        for tokens in parse_query(name).variants:
            dropped += len(index._reachable(index._candidates(tokens, options), tokens, options))
        assert [(m.entity_id, m.score, m.explanation) for m in index.match(name, limit=10)] == answers[name], name
    assert dropped > 0


@pytest.mark.parametrize(("typed", "word"), [("gomelski", "gomel"), ("gomel", "gomelski"), ("gomelski", "tomsk")])
def test_the_bound_pairs_words_as_align_does(typed, word):
    """The typed side drops a name only where ``align`` could pair none of its words: a place's adjective longer than
    3/2 of the place ("Гомельскі" / Gomel) pairs in align, so the bound's test pairs it too (it once left it out)."""
    minimum = 0.8
    pairs = align((typed,), (word,), minimum)
    assert unpaired._alike(typed, word, minimum) == bool(pairs)


def test_a_typed_word_joined_from_a_names_words_pairs():
    """A typed word that is two neighbouring words of the name written as one pairs (``_joins``), and the test that
    spares most names the joins' work lets it through."""
    assert unpaired._pairs_with("kafrelsheikh", {}, ("kafr", "el", "sheikh", "university"), 0.8)
    assert not unpaired._pairs_with("kafrelsheikh", {}, ("kafr", "university"), 0.8)
