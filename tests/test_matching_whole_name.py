"""A text that begins with the whole of one institution's name and goes on with words no institution of the country
has (an eponym, a campus) is that institution; measured against an invented reference (no real institution or
person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, numbered_record, registry_with_reference

from registry.resolve import resolve

_record = numbered_record("0whole", digits=3)


@invented_reference
def registry():
    return [
        _record(1, "Pädagogische Hochschule Vindeby", "Vindeby", "AT"),
        _record(2, "Orvella Hogeschool", "Sudby", "NL"),
        _record(3, "Marlow Zuid Instituut", "Sudby", "NL"),
        _record(4, "Vindeby University", "Vindeby", "AT"),
    ]


@pytest.mark.parametrize(("name", "country", "expected"), [
    ("Pädagogische Hochschule Vindeby Tervald Mossing", "AT", "0whole001"),  # an eponym after the name
    ("Orvella Hogeschool Westkamp Brevik", "NL", "0whole002"),  # a campus
])
def test_a_whole_name_then_words_nobody_has(registry, name, country, expected):
    result = resolve(registry, name, country)
    assert result.status == "matched", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.best.reference_id == expected
    assert "the text begins with the whole name" in result.reason


def test_without_the_country_a_whole_name_no_other_institution_has(registry):
    # read in the one institution's country (round names16): no institution of AT has 'tervald' or 'mossing'
    result = resolve(registry, "Pädagogische Hochschule Vindeby Tervald Mossing")
    assert result.status == "matched" and result.best.reference_id == "0whole001", result.reason
    assert "no institution in AT has 'tervald mossing'" in result.reason


def test_without_the_country_not_a_name_two_institutions_have(tmp_path):
    db = registry_with_reference(tmp_path, [
        _record(11, "Marlow College of Music", "Vindeby", "AT"),
        _record(12, "Marlow College of Music", "Sudby", "NL"),  # a namesake in another country
    ])
    assert resolve(db, "Marlow College of Music Tervald Mossing").status != "matched"
    assert resolve(db, "Marlow College of Music Tervald Mossing", "NL").best.reference_id == "0whole012"
    db.conn.close()


@pytest.mark.parametrize(("name", "country"), [
    ("Orvella Hogeschool Zuid", "NL"),  # another institution of the country has 'zuid'
    ("Vindeby University Hospital Tervald", "AT"),  # a hospital is another body
    ("Vindeby University Tervald Holding GmbH", "AT"),  # so is a company
    ("Vindeby University of Tervald Mossing", "AT"),  # the name goes on
    ("Pädagogische Hochschule Vindeby Sudby", None),  # the words after name another town ('Sudby', in NL)
    ("Vindeby University Research Tervald", "AT"),  # a field
])
def test_not_where_the_words_after_say_something(registry, name, country):
    result = resolve(registry, name, country)
    assert "the text begins with the whole name" not in result.reason, result.reason
