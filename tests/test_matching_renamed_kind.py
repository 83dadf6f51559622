"""A former name that differs from today's in the kind of body it says ('Kateb Institute of Higher Education' for
Kateb University, 'Bifrost School of Business' for Bifröst University): the word only one institution carries, with
the country (or, without it, no other institution anywhere), decides where the rest of the text only says another
kind and a field. Measured against an invented
reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.resolve import resolve


@invented_reference
def registry():
    return [
        *ordinary_institutions("0tren"),
        ror_record("0tren0001", "Quellvard University", "Orsk", "DE"),
        ror_record("0tren0002", "Brennivik University in Belmar", "Belmar", "DE"),
        ror_record("0tren0003", "Ostravel Hospital", "Kettle", "DE"),
        # a word one institution of a country carries, and institutions of other countries too
        ror_record("0tren0004", "Humbria University in Ruhn", "Ruhn", "DE"),
        ror_record("0tren0005", "Humbria University", "Valmonte", "IT"),
        ror_record("0tren0006", "Universidad Humbria", "Sierra Alta", "MX"),
        ror_record("0tren0007", "Zavrel Institute of Public Health Strom", "Strom", "DE"),
        ror_record("0tren0008", "Zavrel Institute of Public Health", "Lubno", "SI"),
        ror_record("0tren0009", "Zavrel Institute of Public Health Kolpa", "Kolpa", "SI"),
    ]


@pytest.mark.parametrize(("name", "expected"), [
    ("Quellvard Institute of Higher Education", "0tren0001"),  # an institute become a university
    ("Quellvard School of Business", "0tren0001"),  # a school and its field
    ("Brennivik Academy of Agriculture", "0tren0002"),  # an academy and its field then, its town now
])
def test_the_word_and_another_kind_is_the_institution_renamed(registry, name, expected):
    result = resolve(registry, name, "DE")
    assert result.status == "matched", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.best.reference_id == expected
    assert "the only institution with" in result.best.reason


def test_without_the_country_another_kind_and_a_word_no_one_else_carries(registry):
    result = resolve(registry, "Quellvard Institute of Higher Education")
    assert result.status == "matched", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.best.reference_id == "0tren0001"


@pytest.mark.parametrize(("name", "country"), [
    ("Humbria Institute of Higher Education", None),  # without the country, a word institutions abroad carry too
    ("Quellvard Institute of Plant Genetics", "DE"),  # a word of its own: another body, maybe
    ("Quellvard Consulting School", "DE"),  # a company's word
    ("Quellvard University of Medical Sciences", "DE"),  # the same kind and a field more: another university
    ("Ostravel College", "DE"),  # a hospital is not a college
])
def test_not_where_the_text_says_more_than_a_kind(registry, name, country):
    result = resolve(registry, name, country)
    assert result.status != "matched", result.reason


def test_a_word_one_institution_of_the_country_carries_decides_with_the_country(registry):
    result = resolve(registry, "Akademie Humbria", "DE")
    assert result.status == "matched", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.best.reference_id == "0tren0004"
    assert "the only institution with 'humbria' in its names, in DE" in result.best.reason


@pytest.mark.parametrize(("name", "country"), [
    ("Akademie Humbria", None),  # three institutions carry it
    ("Zavrel Institute of Public Health Nordwald", "DE"),  # a word of the text's own (a town the index lacks)
    ("Humbria Dental Clinic", "DE"),  # a field the name lacks
])
def test_a_word_others_abroad_carry_needs_the_rest_to_agree(registry, name, country):
    result = resolve(registry, name, country)
    assert result.status != "matched" or "the only institution with" not in result.best.reason, result.reason
