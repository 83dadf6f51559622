"""Romanisations that write a vowel or leave it out ("Fahd" / "Fahad", "Yasuj" / "Yasouj"): a typed word few names
carry is read as the name word with a vowel more or less, where no name has the typed word or a name of the country
given has the other. Against an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.matching.words import token_similarity, vowel_gaps
from registry.resolve import resolve


@invented_reference
def registry():
    return [
        ror_record("0vgp00001", "Qasouj University", "Qasouj", "IR"),
        ror_record("0vgp00002", "Qasuj University of Medical Sciences", "Qasuj", "IR"),
        ror_record("0vgp00003", "King Tahd University of Petroleum and Minerals", "Dammar", "SA"),
        ror_record("0vgp00007", "King Tahad Medical City", "Riyar", "SA"),  # 'tahad' is a word of a name too
        ror_record("0vgp00004", "University of Sornio", "Benevra", "IT"),
        ror_record("0vgp00005", "Sorno Hospital", "Minato", "JP"),
        ror_record("0vgp00006", "Fukora Sorno Hospital", "Fukora", "JP"),
        *ordinary_institutions("0vgp"),
    ]


@pytest.mark.parametrize("text, country, expected", [
    ("Qasuj University", "IR", "0vgp00001"),  # 'qasuj' is a word of one name: 'qasouj' of the country is read too
    ("King Tahad University of Petroleum and Minerals", "SA", "0vgp00003"),
    ("Tahad University of Petroleum and Minerals", "SA", "0vgp00003"),
])
def test_a_vowel_written_or_left_out_is_one_name(registry, text, country, expected):
    result = resolve(registry, text, country)
    assert result.status == "matched" and result.best.reference_id == expected, (result.reason, [
        (c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize("country", ["JP", None])
def test_a_word_of_names_elsewhere_is_no_romanisation_of_another_country(registry, country):
    result = resolve(registry, "Sorno University", country)
    assert result.status != "matched" or result.best.reference_id != "0vgp00004", result.reason


def test_the_gap_is_inside_the_word():
    assert "fahad" in vowel_gaps("fahd") and "fahd" in vowel_gaps("fahad") and "yasouj" in vowel_gaps("yasuj")
    assert "ouluu" not in vowel_gaps("oulu") and "aoulu" not in vowel_gaps("oulu")  # an ending, a first letter
    assert vowel_gaps("fah") == [] and "toyo" not in vowel_gaps("tokyo")  # a consonant is another word
    assert token_similarity("fahd", "fahad") > 0  # four letters: no ratio reads them alike
