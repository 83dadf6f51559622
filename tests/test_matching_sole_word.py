"""A word of a typed name that one institution alone carries (a coined brand) tells which it is, whatever legal
form, kind or field the text adds; measured against an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, numbered_record

from registry.matching.text import other_level
from registry.resolve import resolve

_record = numbered_record("0test", country="SE")


@invented_reference
def registry():
    return [
        _record(1, "Academy of Fine Arts in Ostby", "Ostby"),
        _record(2, "Academy of Fine Arts in Vesterby", "Vesterby"),
        _record(3, "Quillmark Academy of Fine Arts in Nordby", "Nordby"),
        _record(4, "Zentavia Hogeschool", "Sudby", "NL"),
        _record(5, "Lyndora University", "Ostby"),
        _record(6, "Brelvona", "Sudby", "NL"),
        _record(7, "Tarnelle University", "Vieuxbourg", "FR"),  # a brand a group of schools and companies may carry
        _record(8, "Escuela Superior Ostrander", "Villalta", "ES"),
        _record(9, "Marvenna Institute of Design", "Villalta", "ES", acronym="MVDI"),
        _record(10, "Qvra Business School", "Villalta", "ES"),
        _record(11, "Fennick Music School", "Quillmark", "SE"),  # so 'Quillmark' set apart names a place
    ]


def test_a_legal_owners_name_with_the_brand_is_the_school(registry):
    result = resolve(registry, "Stichting Zentavia Hogeschool Opleidingen", "NL")
    assert result.status == "matched", result.reason
    assert result.best.reference_id == "0test0004"
    assert "the only institution with 'zentavia' in its names, in NL" in result.best.reason


def test_the_word_decides_between_close_candidates_that_lack_it(registry):
    result = resolve(registry, "Academy of Fine Arts, Quillmark", "SE")
    assert result.status == "matched", result.reason
    assert result.best.reference_id == "0test0003"
    assert "Academy of Fine Arts in Ostby lacks it" in result.reason


@pytest.mark.parametrize(("name", "country"), [
    ("Zentavia Consulting B.V.", "NL"),  # a company built on the brand
    ("Stichting Zentavia Hogeschool Opleidingen", "BE"),  # its one holder is in another country
    ("Lycée Lyndora", "SE"),  # a school before university
])
def test_the_word_alone_is_not_enough(registry, name, country):
    result = resolve(registry, name, country)
    assert result.status != "matched" or "the only institution with" not in result.best.reason, result.reason


def test_a_founders_name_shared_by_a_school_and_a_university_is_no_match():
    assert other_level("Lycée Pegaso", "Pegaso University")
    assert other_level("Hospital Codarts", "Codarts Hogeschool")
    assert other_level("Zentavia University Hospitals", "Zentavia University")  # the university's hospitals
    assert not other_level("Stichting Codarts Hogeschool", "Codarts")  # no kind on one side
    assert not other_level("Higher School of Nowhere", "Nowhere University")  # kinds of higher education


@pytest.mark.parametrize(("name", "country", "expected"), [
    ("Stichting Brelvona Hogeschool voor de Kunsten", "NL", "0test0006"),  # a foundation and its field
    ("Ostrander Escuela de Negocios S.L.", "ES", "0test0008"),  # the company that runs the school, named a school
    ("Fundació Privada Universitària Qvra", "ES", "0test0010"),  # a word of four letters, in a legal name
])
def test_a_legal_name_needs_less_of_the_rest_to_come_close(registry, name, country, expected):
    result = resolve(registry, name, country)
    assert result.status == "matched", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.best.reference_id == expected


@pytest.mark.parametrize(("name", "country"), [
    ("Brelvona Hogeschool voor Dansexpressie", "NL"),  # no legal form, a word of its own: the rest must come half way
    ("Stichting Brelvona Hogeschool voor de Kunsten", None),  # nor without the country
    ("Escola Universitària Qvra Barcelonesa", "ES"),  # four letters are too few outside a legal name
    ("Ostrander Estudios S.L.", "ES"),  # a legal form alone names a company, not a school
    ("Groupe Tarnelle", "FR"),  # so does a group
    ("MVDI Ostrander Estudios Superiores S.L.", "ES"),  # the acronym of another school names the one owned
])
def test_not_a_legal_name_or_another_schools_acronym(registry, name, country):
    result = resolve(registry, name, country)
    assert result.status != "matched", result.reason
