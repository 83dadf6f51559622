"""Affiliation strings that name a unit before the institution inside one run of words: a unit's head word in the
middle of the run ("... Metrology Division National Institute of ..."), or a unit's list of fields going on past a
comma ("School of Chemistry, Physics and Mechanical Engineering Yarrowdale University ..."); a name, its unit and the
city that closes its name set apart; an alias that the country given tells from its current holder. Measured against
an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.resolve import resolve


@invented_reference
def registry():
    return [
        ror_record("0unit0001", "Yarrowdale University of Technology", "Quenmoor", "AU"),
        ror_record("0unit0002", "National Institute of Varnholt Standards", "Tervallo", "US"),
        ror_record("0unit0003", "University of Ashwick", "Dunmere", "NZ"),
        ror_record("0unit0004", "University of Belmoor", "Belmoor", "PL"),
        ror_record("0unit0005", "Universidad de Tarnwick", "Tarnwick", "CL"),
        ror_record("0unit0006", "Université Varnholt 8", "Varnholt", "FR"),
        ror_record("0unit0007", "Université Varnholt", "Varnholt", "FR"),
        *ordinary_institutions("0unit"),
    ]


@pytest.mark.parametrize("text, expected", [
    # a unit's head word inside the run: the institution's name follows the unit's
    ("Quantum Metrology Division National Institute of Varnholt Standards 100 Bureau Drive, Stop 817, Tervallo, MD 20899",
     "0unit0002"),
    ("Cardiology Research Group Department of Medicine University of Ashwick Halden, New Zealand", "0unit0003"),
    # a research unit between the unit and the institution
    ("Enzymology Group Tarnwick Institute of Biomolecular Sciences University of Ashwick  Moor 4 9747 AG Halden New Zealand",
     "0unit0003"),
    # a unit's list of fields goes on past the comma, then the institution
    ("School of Chemistry, Physics and Mechanical Engineering Yarrowdale University of Technology  Quenmoor 4001 Australia",
     "0unit0001"),
    ("Department of Haematology, Eastern Health and University of Ashwick, Halden, New Zealand", "0unit0003"),
    # a footnote mark before a unit does not carry the name on
    ("Universidad de Tarnwick 1 Departamento de Física, , Casilla 160-C, Tarnwick, Chile", "0unit0005"),
])
def test_a_unit_named_inside_the_run_is_followed_by_its_institution(registry, text, expected):
    result = resolve(registry, text)
    assert result.status == "matched" and result.best.reference_id == expected, (result.reason, [
        (c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize("text, wrong", [
    # after a unit's segment, a word of the name's own before it: another institution
    ("Institute of Physics, Technical University of Belmoor, Belmoor, Poland", "0unit0004"),
    # a number that names the institution still carries the name on
    ("Université Varnholt 8 Département de Physique, 93526 Varnholt, France", "0unit0007"),
])
def test_a_word_of_another_name_before_the_run_keeps_it_apart(registry, text, wrong):
    result = resolve(registry, text)
    assert not (result.status == "matched" and result.best.reference_id == wrong), result.reason


@invented_reference
def namesakes():
    alias = ror_record("0unit0012", "University of Al-Quenmoor", "Halden", "EG")
    alias["names"].append({"value": "Al-Quenmoor University", "types": ["alias"], "lang": None})
    return [
        ror_record("0unit0011", "Yarrowdale University", "Belmar", "US"),
        ror_record("0unit0013", "University of Yarrowdale", "Strom", "US"),
        ror_record("0unit0014", "Yarrowdale University in Kettle", "Kettle", "US"),
        ror_record("0unit0015", "Al-Quenmoor University", "Doha", "QA"),
        alias,
        *ordinary_institutions("0unit"),
    ]


def test_a_name_and_its_city_apart_past_a_unit_is_the_name_that_ends_in_that_city(namesakes):
    # "Washington University School of Medicine, St. Louis": the name, its unit, then the city that closes its name
    result = resolve(namesakes, "Brain Center, Yarrowdale University School of Medicine, Kettle, MO, USA")
    assert result.status == "matched" and result.best.reference_id == "0unit0014", (result.reason, [
        (c.name, c.score) for c in result.candidates])


def test_an_alias_another_country_carries_today_is_still_the_given_countrys(namesakes):
    result = resolve(namesakes, "Faculty of Medicine for Girls, Al-Quenmoor University, Cairo, Egypt")
    assert result.status == "matched" and result.best.reference_id == "0unit0012", (result.reason, [
        (c.name, c.score) for c in result.candidates])
    # the alias itself, not marked down as a name another institution carries today
    assert "exact match on alias" in result.best.reason and "today" not in result.best.reason, result.best.reason
    # without a country the name is the one its current holder carries
    result = resolve(namesakes, "Al-Quenmoor University")
    assert not (result.status == "matched" and result.best.reference_id == "0unit0012")


@pytest.mark.parametrize("text, expected", [
    # after a list of fields joined by 'and', the institution's name, then its street, postcode, city and country
    ("Enzymology Group Tarnwick Institute of Biomolecular Sciences and Biotechnology University of Ashwick Moorlane 4 "
     "9747 AG Dunmere New Zealand", "0unit0003"),
    ("Department of Applied Chemistry Graduate School of Science and Engineering University of Belmoor 255 Kwiatowa, "
     "Srodmiescie 50-370 Belmoor Poland", "0unit0004"),
])
def test_a_name_before_its_street_address_past_a_list_of_fields_is_the_institution(registry, text, expected):
    result = resolve(registry, text)
    assert result.status == "matched" and result.best.reference_id == expected, (result.reason, [
        (c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize("text", [
    # what follows the number names another body or a unit: no address of the institution's
    "Department of Applied Chemistry Graduate School of Science and Engineering University of Belmoor 255 Kwiatowa "
    "Hospital, 50-370 Belmoor Poland",
    "Department of Applied Chemistry Graduate School of Science and Engineering University of Belmoor 255 Kwiatowa "
    "Foundation, 50-370 Belmoor Poland",
    # the address ends in another city
    "Department of Applied Chemistry Graduate School of Science and Engineering University of Belmoor 255 Kwiatowa, "
    "50-370 Quenmoor",
])
def test_a_name_before_words_that_are_no_address_of_its_own_is_no_answer(registry, text):
    result = resolve(registry, text)
    assert not (result.status == "matched" and result.best.reference_id == "0unit0004"), result.reason
