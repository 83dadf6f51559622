"""Affiliation texts read by what they name besides the body: a medical centre named after its university, places
only, which forbid reading a country off the candidates, and an address naming a namesake's city (after its postcode).
Measured against an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.matching.affiliation_text import university_of_its_hospital
from registry.resolve import resolve


def _with_alias(record: dict, alias: str) -> dict:
    record["names"].append({"value": alias, "types": ["alias"], "lang": "en"})
    return record


@invented_reference
def registry():
    return [
        ror_record("0plac0001", "Orvelby University", "Orvelby", "US"),
        ror_record("0plac0003", "Halvern Centre for Marine Genetics", "Trieste", "IT"),
        ror_record("0plac0004", "Quarrington College", "Quarrington", "GB"),
        ror_record("0plac0005", "Wrenfield University", "Ashcombe", "US"),
        _with_alias(ror_record("0plac0006", "Wrenfield University Medical Center", "Tollard", "US"), "Wrenfield University"),
        ror_record("0plac0007", "Kestrel Molecular Laboratory", "Dunmere", "DE"),
        ror_record("0plac0008", "Kestrel Molecular Laboratory", "Falkirth", "DE"),
        ror_record("0plac0009", "Halvern University Belfry", "Belfry", "GB"),
        ror_record("0plac0010", "Halvern University", "Kesby", "CA"),
        *ordinary_institutions("0plac"),
    ]


def test_a_medical_centre_named_after_its_university_is_the_university(registry):
    result = resolve(registry, "Center for Rare Diseases, Orvelby University Medical Center, Orvelby, USA")
    assert result.status == "matched" and result.best.reference_id == "0plac0001", result.reason
    assert "medical centre or school the text names" in result.best.match.explanation


def test_a_hospital_named_after_its_university_stays_a_body_of_its_own(registry):
    result = resolve(registry, "Department of Urology, Orvelby University Hospital, Orvelby, USA")
    assert result.status != "matched", result.reason


@pytest.mark.parametrize("text", [
    "Quarrington",  # a place alone is no institution's name
    "Quarrington, UK",
])
def test_the_candidates_country_is_not_read_off_against_the_text(registry, text):
    assert resolve(registry, text).status != "matched"


def test_the_candidates_country_is_still_read_off_a_name(registry):
    result = resolve(registry, "Halvern Centre for Marine Genetics")
    assert result.status == "matched" and result.best.reference_id == "0plac0003", result.reason


def test_an_address_naming_a_namesakes_city_is_that_namesake(registry):
    result = resolve(registry, "Department of Surgery, Wrenfield University, Tollard, CA 91010, USA")
    assert result.status == "matched" and result.best.reference_id == "0plac0006", result.reason
    assert "Tollard" in result.reason


@pytest.mark.parametrize("text", [
    "Department of Surgery, Wrenfield University, Ashcombe, CA",  # its own city
    "Department of Surgery, Wrenfield University, Riverton, CA",  # no namesake's city: a campus, a suburb
])
def test_an_address_naming_no_namesakes_city_leaves_the_match(registry, text):
    result = resolve(registry, text)
    assert result.status == "matched" and result.best.reference_id == "0plac0005", result.reason


def test_a_city_after_its_postcode_tells_namesakes_apart(registry):
    result = resolve(registry, "Genomics Core, Kestrel Molecular Laboratory, 69117 Falkirth, Germany")
    assert result.status == "matched" and result.best.reference_id == "0plac0008", result.reason


@pytest.mark.parametrize("text", [
    "School of Mathematics and Physics Halvern University Belfry",  # a unit's fields joined by 'and', then the body
    "School of Physics Halvern University Belfry  University Rd. Belfry BT7 1NN",  # a street named after a kind
])
def test_a_unit_and_a_street_around_a_name_written_without_commas(registry, text):
    result = resolve(registry, text)
    assert result.status == "matched" and result.best.reference_id == "0plac0009", result.reason


@pytest.mark.parametrize("segment, university", [
    (("university", "of", "leipzig", "medical", "center"), ("university", "of", "leipzig")),
    (("orvelby", "university", "childrens", "medical", "center"), ("orvelby", "university")),
    (("orvelby", "university", "school", "of", "medical"), ("orvelby", "university")),
    (("orvelby", "university", "hospital"), None),
    (("orvelby", "medical", "center"), None),
])
def test_the_university_of_a_medical_centre_is_read_from_its_words(segment, university):
    assert university_of_its_hospital(segment) == university
