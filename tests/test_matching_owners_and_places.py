"""A school's owning company named with its legal form, a word only one institution carries typed with another town
of its country, and the word for 'state' or 'college' in more languages; measured against an invented reference (no
real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, numbered_record

from registry.matching import normalize
from registry.resolve import resolve

_record = numbered_record("0own", country="AT")


@invented_reference
def registry():
    return [
        _record(1, "Fachhochschule Tervald", "Tervald"),
        {**_record(2, "Ostrand Academy of Arts", "Ostrand"), "names": [  # known by one coined word too
            {"value": "Ostrand Academy of Arts", "types": ["label", "ror_display"], "lang": "en"},
            {"value": "Marvelindakademie", "types": ["alias"], "lang": None}]},
        _record(3, "Brevik University", "Brevik"),
        _record(4, "Tervald University", "Tervald"),
        _record(5, "General Sir Olver Kotelmar Defence University", "Ratmalana", "LK"),
        _record(6, "Ratmalana Defence Academy", "Ratmalana", "LK"),
    ]


@pytest.mark.parametrize("name", [
    "FACHHOCHSCHULE TERVALD BILDUNGS GMBH",  # the owning company: a word nobody has, then its legal form
    "Fachhochschule Tervald Studienbetriebs GesmbH",
])
def test_a_whole_name_then_the_owners_words_and_legal_form(registry, name):
    result = resolve(registry, name, "AT")
    assert result.status == "matched", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.best.reference_id == "0own0001"
    assert "the text begins with the whole name" in result.reason


def test_not_a_company_of_its_own(registry):
    result = resolve(registry, "Tervald University Holding AB", "AT")  # a holding company is another body
    assert "the text begins with the whole name" not in result.reason, result.reason


def test_a_word_one_institution_carries_still_decides_with_a_word_of_its_own(registry):
    result = resolve(registry, "Marvelindakademie Quorin", "AT")
    assert result.status == "matched", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.best.reference_id == "0own0002"


@pytest.mark.parametrize(("name", "country"), [
    ("Marvelindakademie Brevik", "AT"),
    ("Marvelindakademie Brevikos", "AT"),  # the town declined
    ("Marvelindakademie Brevik", None),  # without the country, the town as written
])
def test_not_where_the_text_names_another_town_of_the_country(registry, name, country):
    # Brevik is the town of another institution of AT: an academy there is not Ostrand's
    result = resolve(registry, name, country)
    assert result.status != "matched", (result.reason, [(c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize(("written", "words"), [
    ("Politeknik Negeri Velmora", {"polytechnic", "state"}),  # Indonesian: Velmora State Polytechnic
    ("Velmora Devlet Hastanesi", {"state", "hospital"}),  # Turkish: Velmora State Hospital
    ("Velmoros valstybinė kolegija", {"state", "college"}),  # Lithuanian: Velmora State College
])
def test_state_and_college_in_more_languages(written, words):
    assert words <= set(normalize(written).split())


def test_without_the_country_a_word_one_institution_carries_and_another_word_of_its_name(registry):
    # half way (0.5) as with the country, since 'defence' and 'university' are typed besides 'kotelmar'
    result = resolve(registry, "Kotelmar Defence University")
    assert result.status == "matched", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.best.reference_id == "0own0005"
    assert "the only institution with 'kotelmar' in its names" in result.best.reason


def test_kinds_of_body_that_differ():
    from registry.resolve import _other_kinds

    assert _other_kinds("Velmora University", "Velmora College of Science")  # without a country: further to go
    assert not _other_kinds("Velmora University College", "Velmora College")  # a kind is the same
    assert not _other_kinds("Velmora", "Velmora College")  # no kind on one side
