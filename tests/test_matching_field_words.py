"""Round names19: a field or qualifier word written in another language is the English word ('Chrétienne' / Christian,
'Virtuelle' / Virtual, 'dailės' / Arts), on both sides. Measured against an invented reference (no real institution
or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, registry_with_reference, ror_record

from registry.matching.text import normalize
from registry.resolve import resolve


@pytest.mark.parametrize(("typed", "word"), [
    ("Université Chrétienne de Tervaldia", "christian"),
    ("Universidad Virtual de Sudby", "virtual"),
    ("Université Virtuelle de Sudby", "virtual"),
    ("Kessmaro dailės akademija", "arts"),
    ("Zavod za javno zdravstvo Orvik", "health"),
    ("Opća bolnica Orvik", "general"),
    ("Institut Supérieur des Sciences Appliquées", "applied"),
])
def test_a_field_word_of_another_language_is_the_english_word(typed, word):
    assert word in normalize(typed).split()


@pytest.mark.parametrize("typed", [
    "Stichting ArtEZ",  # a brand one sound from 'artes' is no field word
    "Royal College of Art",  # a word English names use as itself
    "Universidad Bellas Artes",  # 'bellas' stays the name's own word
])
def test_a_brand_or_an_english_word_stays_itself(typed):
    words = normalize(typed).split()
    assert words[-1] in ("artez", "art", "arts") and "fine" not in words


@invented_reference
def registry():
    return [
        *ordinary_institutions("0fldx"),
        ror_record("0fldw0001", "Tervaldia Christian University", "Tervaldia", "BI"),
        ror_record("0fldw0002", "Tervaldia Lumière University", "Tervaldia", "BI"),
        ror_record("0fldw0003", "Virtual University of Sudby", "Sudby", "CI"),
        ror_record("0fldw0004", "Kessmar Academy of Arts", "Kessmar", "LT"),
        ror_record("0fldw0005", "Kessmar University", "Kessmar", "LT"),
    ]


@pytest.mark.parametrize(("name", "country", "expected"), [
    ("Université Chrétienne de Tervaldia", "BI", "0fldw0001"),
    ("Université Virtuelle de Sudby", "CI", "0fldw0003"),
    ("Kessmaro dailės akademija", "LT", "0fldw0004"),
])
def test_a_name_in_its_own_language_finds_the_english_record(registry, name, country, expected):
    result = resolve(registry, name, country)
    assert (result.status, result.best and result.best.reference_id) == ("matched", expected), (
        result.reason, [(c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize(("typed", "words"), [
    ("Universitetshospital", "university hospital"),  # a linking 's' after the head
    ("Universitätsklinikum", "university clinic"),
    ("Yliopistosairaala", "university hospital"),
    ("Kunstuniversität", "arts university"),
    ("Forschungsinstitut", "forschungsinstitut"),  # a head that is no kind or field word: one word still
    ("Tervaldiahospital", "tervaldiahospital"),  # nor a place run on
])
def test_a_compound_of_a_known_word_and_a_kind_is_the_two_words(typed, words):
    assert normalize(typed) == words


def test_a_compound_name_finds_the_english_record(tmp_path):
    db = registry_with_reference(tmp_path, [
        *ordinary_institutions("0fldy"),
        ror_record("0fldw0011", "Tervaldia University Hospital", "Tervaldia", "DK"),
        ror_record("0fldw0012", "Tervaldia Hospital", "Tervaldia", "DK"),
    ])
    try:
        result = resolve(db, "Tervaldia Universitetshospital", "DK")
        assert (result.status, result.best and result.best.reference_id) == ("matched", "0fldw0011"), (
            result.reason, [(c.name, c.score) for c in result.candidates])
    finally:
        db.conn.close()


@pytest.mark.parametrize(("typed", "word"), [
    ("Institut de Mécanique et d'Ignénierie de Sudby", "engineering"),  # two letters swapped
    ("Escola d'Administració Pbúlica de Tervaldia", "public"),
    ("Laboratoire des Sciences Applqiuées", "applied"),
])
def test_a_field_word_of_another_language_typed_with_a_slip_is_the_english_word(typed, word):
    assert word in normalize(typed).split()
