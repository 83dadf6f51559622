"""Round names8: a text that is one institution's name less words of its own; Malay kinds; a segment set apart that
names no place. Measured against an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, numbered_record, registry_with_reference

from registry.resolve import resolve

_record = numbered_record("0ownw")


def _matched_to(result, expected: str) -> str:
    """The reason of a name matched to ``expected`` (failing with the candidates where it is not)."""
    assert (result.status, result.best and result.best.reference_id) == ("matched", expected), (
        result.reason, [(c.name, c.score) for c in result.candidates])
    return result.reason


@invented_reference
def registry():
    return [
        _record(1, "Tervald State Technical University Orvmeh", "Brevik", "RU"),
        _record(2, "Tervald State Medical University", "Brevik", "RU"),
        _record(4, "Vindeby State University of Railway Transport", "Vindeby", "RU"),
        _record(5, "Vindeby State Pedagogical Institute Kessmar", "Vindeby", "RU"),
        _record(6, "Kessmar Vindeby Academy", "Vindeby", "RU"),
        _record(7, "Kolej Poly-Teknik Orvella", "Sudby", "MY"),
        _record(8, "Hochschule für Musik – Orvelschule", "Vindeby", "DE"),
        _record(9, "Hochschule für Musik Brevik", "Brevik", "DE"),
        _record(10, "Sudby Marine Academy Kolvend", "Sudby", "NO"),
        _record(11, "Sudby Marine Academy Trasmark", "Sudby", "SE"),
    ]


@pytest.mark.parametrize(("name", "country", "expected"), [
    ("Tervald State Technical University", "RU", "0ownw0001"),  # a brand after the name
    ("Tervald State Technical University", None, "0ownw0001"),  # without the country: one holder anywhere
])
def test_the_whole_text_within_a_name_with_words_of_its_own(registry, name, country, expected):
    assert "words no other institution" in _matched_to(resolve(registry, name, country), expected)


@pytest.mark.parametrize(("name", "country"), [
    ("Sudby Marine Academy", None),  # two institutions, in two countries, hold the text so
    ("Vindeby State University", "RU"),  # the name goes on with a function word
    ("Vindeby State Pedagogical Institute", "RU"),  # 'Kessmar' is another institution's word too
])
def test_not_where_the_words_around_are_not_its_own(registry, name, country):
    result = resolve(registry, name, country)
    assert "words no other institution" not in result.reason, result.reason


def test_malay_kind_words():
    from registry.matching.text import normalize

    assert normalize("Kolej Sains Antarabangsa") == normalize("College Science International")


def test_a_malay_college_typed_in_english(registry):
    _matched_to(resolve(registry, "Orvella Poly-Teknik College", "MY"), "0ownw0007")


def test_a_segment_that_names_no_place_is_the_names_own(registry):
    _matched_to(resolve(registry, "Hochschule für Musik, Orvelschule", "DE"), "0ownw0008")
    placed = resolve(registry, "Hochschule für Musik Orvelschule, Brevik", "DE")  # a city set apart is a place
    assert all("written apart as a place" not in c.reason for c in placed.candidates if c.reference_id == "0ownw0009")


@invented_reference
def regions():
    return [
        _record(21, "Universidad Tecnológica de Los Tervales", "Brevik", "PE"),
        _record(22, "Universidad Católica de Tervalia Córdoba", "Córdoba", "AR"),
    ]


def test_a_region_of_its_country_closing_the_whole_name_is_its_place(regions):
    _matched_to(resolve(regions, "Universidad Tecnológica de los Tervales de Apurímac", "PE"), "0ownw0021")  # Peru's


def test_a_region_is_another_word_where_the_name_has_words_of_its_own(regions):
    typed = resolve(regions, "Universidad Católica de Tervalia Salta", "AR")  # Salta, a province, is not Córdoba
    with_region = next(c for c in typed.candidates if c.reference_id == "0ownw0022")
    assert "query words not in the name: salta" in with_region.reason


def test_blocking_with_a_country_aligns_that_countrys_names_too(tmp_path):
    """A name of common words has namesakes all over the world; with the country, its holder there is found."""
    countries = ["DE", "FR", "IT", "ES", "PL", "NL", "BE", "AT", "CZ", "HU", "RO", "PT", "SE", "NO", "FI", "DK"]
    records = [_record(30 + k, "International School of Management", "Sudby", code) for k, code in enumerate(countries)]
    records.append(_record(99, "International School of Management in Slovakia", "Vindeby", "SK"))
    db = registry_with_reference(tmp_path, records)
    try:
        result = resolve(db, "International School of Management in Vindeby", "SK")
        assert "0ownw0099" in [c.reference_id for c in result.candidates], result.reason
    finally:
        db.conn.close()


def test_uas_inside_a_name_is_the_kind_alone_an_acronym():
    from registry.matching.text import normalize

    assert normalize("Hanze UAS") == normalize("Hanze University of Applied Sciences")
    assert normalize("UAS") == "uas"  # the Universidad Autónoma de Sinaloa's acronym stays one
