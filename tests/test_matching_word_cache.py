"""normalize() reads each word of a name once per process (``text._word_tokens``, cached) and runs its rarer regular
expressions only on names that carry their mark: the same forms as reading every word and running every pass afresh."""

from __future__ import annotations

import pytest

from registry.matching import text
from registry.matching.text import normalize

# invented names, each with the form the normaliser gave before the cache and the guards (2026-12-07)
FORMS = {
    "T.C. Orsk Üniversitesi": "orsk university",
    "t.c.belmar universitesi": "tc belmar university",
    "Université d'Orsk 3": "university d orsk 3",
    "Ruhn'2 Hochschule": "ruhn2 university_of_applied_sciences",  # the apostrophe goes after the digits are set apart
    "Kettle1-21 Univresitet": "kettle 1 21 university",
    "Strom University2": "strom university 2",
    "3Kettle Institute": "3 kettle institute",
    "Belmar Universitetshospital": "belmar university hospital",
    "École l'Orsk & Arts": "school l orsk and arts",
    "St. Ruhn`s College": "saint ruhns college",
    "Belmar Ingénierie": "belmar engineering",
    "Hogsechool Strom": "university_of_applied_sciences strom",
    "Orsk Akademiya": "orsk academy",
    "K.U. Ruhn": "ku ruhn",
    "Politechnika Belmarska": "university technology belmarska",
}


def _clear() -> None:
    text._tokens.cache_clear()
    text._word_tokens.cache_clear()
    text.fold_name.cache_clear()


@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_name_reads_the_same_with_its_words_cached_or_not(name):
    _clear()
    first = normalize(name)
    for other in FORMS:  # the other names' words in the cache first
        normalize(other)
    text._tokens.cache_clear()
    assert first == normalize(name) == FORMS[name]



@pytest.fixture
def kept_readings_reset():
    yield
    text.keep_word_readings((frozenset(), {}))
    _clear()


def test_a_name_reads_the_same_from_word_readings_kept_with_an_index(kept_readings_reset, monkeypatch):
    readings = text.word_readings(FORMS)
    plain, others = readings
    assert "kettle" in plain and others["univresitet"] == ("university",)  # a slip's reading kept with the word
    _clear()
    text.keep_word_readings(readings)
    afresh = []  # a kept word is not tested as a slip again; a word the names only read as ('st': 'saint') is
    compound_kind = text.compound_kind
    monkeypatch.setattr(text, "compound_kind", lambda word: afresh.append(word) or compound_kind(word))
    assert {name: normalize(name) for name in FORMS} == FORMS
    assert afresh and not set(afresh) & (plain | set(others))
