"""Affiliation strings that name another body than the institution matched: a hospital affiliated to a university, a
campus of a university system; and namesakes told apart by the country the text ends with. Measured against an
invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.resolve import resolve


@invented_reference
def registry():
    return [
        ror_record("0body0001", "Varnholt Medical University", "Varnholt", "CN"),
        ror_record("0body0002", "University of Quenmoor System", "Ashford", "US"),
        ror_record("0body0003", "University of Quenmoor at Ashford", "Ashford", "US"),
        ror_record("0body0004", "University of Tervallo", "Tervallo", "IT"),
        ror_record("0body0005", "Universidad de Tervallo", "Mendara", "AR"),
        ror_record("0body0006", "Dorrance College", "Hallby", "US"),
        ror_record("0body0007", "Hallby Centre for Fen Ecology", "Hallby", "GB"),
        ror_record("0body0008", "University of Brenlow", "Brenlow", "GB"),
        ror_record("0body0009", "Brenlow University", "Marston", "US"),
        ror_record("0body0010", "Kestrel Institute of Structural Engineering", "Brenlow", "GB"),
        ror_record("0body0011", "Caddon State University", "Caddon", "US"),
        *ordinary_institutions("0body"),
    ]


@pytest.mark.parametrize("text", [
    "The Second Affiliated Hospital of Varnholt Medical University, Varnholt, China",
    "Department of Gastroenterology, The First Affiliated Hospital of Varnholt Medical University, Varnholt",
])
def test_an_affiliated_hospital_is_not_its_university(registry, text):
    result = resolve(registry, text)
    assert result.status == "ambiguous", (result.reason, [(c.name, c.score) for c in result.candidates])
    assert result.candidates[0].reference_id == "0body0001"  # still shown, for a person to weigh
    assert "affiliated hospital" in result.candidates[0].reason


def test_the_university_itself_is_still_matched(registry):
    result = resolve(registry, "Department of Surgery, Varnholt Medical University, Varnholt, China")
    assert result.status == "matched" and result.best.reference_id == "0body0001", result.reason


def test_a_system_is_no_confident_answer_for_a_text_without_system(registry):
    result = resolve(registry, "Department of Mathematics, University of Quenmoor, Ashford")
    assert result.status != "matched" or result.best.reference_id != "0body0002", result.reason
    named = resolve(registry, "University of Quenmoor System")
    assert named.status == "matched" and named.best.reference_id == "0body0002", named.reason


def test_namesakes_are_told_apart_by_the_country_the_text_ends_with(registry):
    italy = resolve(registry, "Dipartimento di Fisica Università di Tervallo Via Roma 12 90100 Tervallo Italy")
    assert italy.status == "matched" and italy.best.reference_id == "0body0004", italy.reason
    assert "ends with IT" in italy.reason
    argentina = resolve(registry, "Departamento de Física, Universidad de Tervallo, Mendara, Argentina")
    assert argentina.status == "matched" and argentina.best.reference_id == "0body0005", argentina.reason
    unsaid = resolve(registry, "Universidad de Tervallo")
    assert unsaid.status == "ambiguous", unsaid.reason


def test_a_research_centre_named_before_a_college_yields_to_it(registry):
    result = resolve(registry, "Hallby Centre for Fen Ecology, Department of Biology, Dorrance College")
    assert not (result.status == "matched" and result.best.reference_id == "0body0007"), result.reason


def test_an_exact_name_outranks_the_same_words_in_another_order(registry):
    result = resolve(registry, "University of Brenlow")
    assert result.status == "matched" and result.best.reference_id == "0body0008", result.reason


def test_a_university_named_with_a_unit_that_has_its_own_record_is_the_affiliation(registry):
    result = resolve(registry, "Kestrel Institute of Structural Engineering University of Brenlow Brenlow")
    assert result.status == "matched" and result.best.reference_id == "0body0008", (
        result.reason, [(c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize("text", ["Caddon, Ohio, USA", "Faculty of Medicine, Caddon, Ohio"])
def test_a_text_of_places_only_names_no_institution(registry, text):
    result = resolve(registry, text)
    assert result.status != "matched", (result.reason, [(c.name, c.score) for c in result.candidates])


def test_a_kind_written_as_its_initial_with_the_city_is_no_place_only(registry):
    result = resolve(registry, "U. Caddon")
    assert "only" not in result.reason or "place" not in result.reason, result.reason
