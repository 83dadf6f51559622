"""Round names19: a name written without the person the institution is named after ('Technical University of
Brevik' for the Halvard Tessmer Technical University of Brevik). Measured against an invented reference (no real
institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, numbered_record, ordinary_institutions

from registry.resolve import resolve

_record = numbered_record("0epon")


@invented_reference
def registry():
    return [
        *ordinary_institutions("0epox"),
        _record(1, "Halvard Tessmer Technical University of Brevik", "Brevik", "RO"),
        _record(2, "West University of Brevik", "Brevik", "RO"),
        _record(3, "Universidad Católica de Sudby San Orvelio Mártir", "Sudby", "ES"),
        _record(4, "Universidad de Sudby", "Sudby", "ES"),
        _record(5, "Ansgar Kolvend University of Medicine and Pharmacy Vindeby", "Vindeby", "RO"),
        _record(6, "Ansgar Kolvend Hospital of Medicine and Pharmacy Vindeby", "Vindeby", "RO"),
        _record(7, "Orsolya Vantér University of Trasmark", "Trasmark", "HU"),
        _record(8, "Trasmark University of Music", "Trasmark", "HU"),
        _record(9, "Kessmar Academy of Arts of Kettlevik", "Kettlevik", "NO"),
        _record(10, "Ludmila Perova Academy of Arts of Kettlevik", "Kettlevik", "NO"),
        _record(11, "Orvanian University named after A.B. Tessarov", "Orvan", "KG"),
        _record(12, "Orvanian University", "Kessport", "KH"),
        # named after someone, without its town, which the typed name gives (round names21)
        _record(13, "Teodor Malvin University of Medicine and Pharmacy", "Cluj-Vester", "RO"),
        _record(14, "Sorin Dalca University of Medicine and Pharmacy", "Ostrova", "RO"),
    ]


@pytest.mark.parametrize(("name", "country", "expected", "person"), [
    ("Technical University of Brevik", "RO", "0epon0001", "halvard tessmer"),  # the person first
    ("Universidad Católica de Sudby", "ES", "0epon0003", "san orvelio martir"),  # the person last
])
def test_the_name_without_the_person_it_is_named_after(registry, name, country, expected, person):
    result = resolve(registry, name, country)
    assert (result.status, result.best and result.best.reference_id) == ("matched", expected), (
        result.reason, [(c.name, c.score) for c in result.candidates])
    assert f"adds only {person!r} (first or last: the person it is named after" in result.reason


@pytest.mark.parametrize(("name", "country"), [
    ("Technical University of Brevik", None),  # only with the country
    ("University of Brevik", "RO"),  # two institutions of the country have every word ('West' is no person)
    ("University of Medicine and Pharmacy Vindeby", "RO"),  # the hospital is named after the same person
    ("University of Trasmark", "HU"),  # the music university has every word too
    ("Academy of Arts of Kettlevik", "NO"),  # two academies, each named after someone
    ("University", "RO"),  # a kind alone
])
def test_not_where_another_has_every_word_or_the_same_person(registry, name, country):
    result = resolve(registry, name, country)
    assert "the person it is named after" not in result.reason, result.reason


@pytest.mark.parametrize("typed", ["Orvanian University imeni A.B. Tessarova", "Орванский университет имени А.Б. Тессарова"])
def test_imeni_is_named_after(registry, typed):
    """'imeni' is how ROR's English names write 'named after' (the Russian word): the whole name is matched, not
    a namesake abroad by the name without its eponym (names20)."""
    result = resolve(registry, typed)
    assert result.best is not None and result.best.reference_id == "0epon0011", (
        result.status, [(c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize("typed", ["Akademia Orvańska im. Jana Tessara", "AKADEMIA ORVANSKA IM JANA TESSARA",
                                   "Akademia Orvańska imienia Jana Tessara"])
def test_the_polish_marker_stays_as_written(typed):
    """Polish names write 'im.' dotted, undotted or whole, and the reference carries each: read as 'named after' in
    one form only, the others no longer met it."""
    from registry.matching.text import normalize

    assert "named" not in normalize(typed).split()


@pytest.mark.parametrize("name", ["University of Medicine and Pharmacy of Cluj-Vester",
                                  "University of Medicine and Pharmacy, Cluj-Vester"])
def test_the_town_the_name_leaves_out_is_its_town(registry, name):
    result = resolve(registry, name, "RO")
    assert (result.status, result.best and result.best.reference_id) == ("matched", "0epon0013"), (
        result.reason, [(c.name, c.score) for c in result.candidates])
    assert "or is its city (cluj vester)" in result.reason


@pytest.mark.parametrize("name", ["University of Medicine and Pharmacy of Brevik",  # the town of neither
                                  "University of Medicine and Pharmacy"])  # two have every word
def test_not_the_town_of_another(registry, name):
    result = resolve(registry, name, "RO")
    assert "the person it is named after" not in result.reason, result.reason
