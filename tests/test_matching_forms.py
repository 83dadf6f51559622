"""Names written in another language's form of a word, acronyms written in parts, and the guards on a word only one
institution carries (round names9); measured against an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ror_record

from registry.matching.words import token_similarity
from registry.resolve import resolve


def _record(number: int, name: str, city: str, country: str, acronym: str | None = None, labels=()) -> dict:
    record = ror_record(f"0form{number:04d}", name, city, country, acronym)
    record["names"] += [{"value": label, "types": ["label"], "lang": "fr"} for label in labels]
    return record


@invented_reference
def registry():
    return [
        _record(1, "Tresmonte Autonomous University", "Tresmonte", "HN"),
        _record(2, "Tresmonte Technical University", "Tresmonte", "HN"),
        _record(3, "Quorvan Institute of Marine Studies", "Puerto Quorva", "HN", acronym="QIMS-PQ"),
        _record(4, "Slovenska Univerza", "Drava", "SI"),
        _record(5, "Drava Music Academy", "Drava", "SI"),
        _record(6, "Quorvanne University Hospital Centre", "Marvelle", "FR", labels=["CHU de Quorvanne"]),
        _record(7, "Instituto Marvello", "Tresmonte", "HN"),
        _record(8, "Instituto Marvello", "Drava", "SI"),
    ]


def _assert_matched(registry, text: str, country: str | None, reference_id: str, said: str) -> None:
    result = resolve(registry, text, country)
    assert (result.status, result.best and result.best.reference_id) == ("matched", reference_id), result.reason
    assert said in result.reason + " " + result.best.reason


def test_a_word_and_its_cognate_align():
    assert token_similarity("autonoma", "autonomous") == pytest.approx(0.82)
    assert token_similarity("relatii", "relations") == pytest.approx(0.82)
    assert token_similarity("toyo", "tokyo") == 0.0  # short words stay apart
    assert token_similarity("medicine", "mediterranean") < 0.8  # a stem of five letters is no cognate


def test_a_name_in_the_national_language_finds_the_english_name(registry):
    _assert_matched(registry, "Universidad Autónoma de Tresmonte", "HN", "0form0001", "autonoma~autonomous")


def test_an_acronym_written_in_parts_with_its_city(registry):
    _assert_matched(registry, "QIMS-PQ (Puerto Quorva)", "HN", "0form0003", "acronym QIMS PQ")


def test_an_acronym_written_in_parts_alone_is_not_enough(registry):
    assert resolve(registry, "QIMS-PQ", None).status != "matched"


def test_the_adjective_of_the_country_is_no_word_of_one_institution(registry):
    # 'slovenska' is Slovenia's adjective: the Slovenian agricultural university is not the Slovenska Univerza
    result = resolve(registry, "Slovenska Kmetijska Univerza", "SI")
    assert result.status != "matched" or result.best.reference_id != "0form0004", result.reason


def test_a_university_is_not_the_hospital_that_carries_its_place_in_its_name(registry):
    # matched through its name 'CHU de Quorvanne', which says no kind: the record's own name says hospital
    result = resolve(registry, "Université de Quorvanne", "FR")
    assert result.status != "matched", result.reason


def test_a_campus_set_apart_tells_namesakes_apart(registry):
    assert resolve(registry, "Instituto Marvello", None).status == "ambiguous"
    _assert_matched(registry, "Instituto Marvello, Drava campus", None, "0form0008", "Drava, set apart in the text, is its city")
    assert resolve(registry, "Instituto Marvello, Puerto Drava", None).status == "ambiguous"  # not its city
