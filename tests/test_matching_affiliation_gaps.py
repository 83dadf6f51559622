"""Affiliation strings whose parts are set apart otherwise than by commas: a wide gap that lists keep where they lost
their commas, two bodies joined by 'and', a unit's segment that goes on to name its institution, and a unit that is an
institution of its own, a company written by its brand. Measured against an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.matching.text import parse_query, without_markup
from registry.resolve import resolve


@invented_reference
def registry():
    return [
        ror_record("0gaps0001", "Polytechnic Institute of Varnholt", "Varnholt", "PT"),
        ror_record("0gaps0002", "Quenmoor University", "Quenmoor", "CN"),
        ror_record("0gaps0003", "Tervallo Pacific University", "Tervallo", "US"),
        ror_record("0gaps0004", "Ashford Pacific University", "Ashford", "US"),
        ror_record("0gaps0005", "Institute of Fenland Hydrology", "Belmar", "KZ"),
        ror_record("0gaps0006", "Institute of Marsh Pathology", "Hallby", "DE"),
        ror_record("0gaps0007", "Dorrance Hospital", "Ashford", "US"),
        ror_record("0gaps0008", "Quillfex (France)", "Belmar", "FR"),
        ror_record("0gaps0009", "Quillfex (Japan)", "Ruhn", "JP"),
        *ordinary_institutions("0gaps"),
    ]


@pytest.mark.parametrize("raw, parted", [
    # a wide gap before another body or a unit parts the text as a comma would
    ("Polytechnic of Varnholt  School of Engineering  Kettle", "Polytechnic of Varnholt, School of Engineering  Kettle"),
    ("Information and Bioengineering   Politecnico di Varnholt", "Information and Bioengineering, Politecnico di Varnholt"),
    # before a place or an address it does not: the run of the name and its place is read whole
    ("Department of Biology Quenmoor University  Quenmoor PA 16802 USA", "Department of Biology Quenmoor University  Quenmoor PA 16802 USA"),
    ("Kettle University  University Park 16802", "Kettle University  University Park 16802"),
    # after a function word it is a slip inside a name
    ("University of  Kettle Institute", "University of  Kettle Institute"),
])
def test_a_wide_gap_before_another_body_parts_the_text(raw, parted):
    assert without_markup(raw) == parted
    assert without_markup(raw, gaps=False) == raw


def test_runs_of_a_name_read_the_text_as_typed():
    query = parse_query("Information and Bioengineering   Politecnico di Varnholt")
    assert len(query.segments) == 2 and len(query.runs) == 1


@pytest.mark.parametrize("text, expected", [
    ("Polytechnic Institute of Varnholt  School of Engineering  ISEP", "0gaps0001"),
    ("Tervallo Pacific University  Ashford Pacific University", "0gaps0003"),  # the first body named
    ("Department of Mechanics  Quenmoor University", "0gaps0002"),
])
def test_a_text_parted_by_a_wide_gap_resolves(registry, text, expected):
    result = resolve(registry, text)
    assert result.status == "matched" and result.best.reference_id == expected, (result.reason, [
        (c.name, c.score) for c in result.candidates])


def test_a_units_segment_that_names_its_institution_is_the_name(registry):
    query = parse_query("School of Civil Engineering Quenmoor University, Quenmoor, China")
    assert query.variants and "quenmoor" in query.variants[0] and "engineering" in query.variants[0]
    result = resolve(registry, "Department of Pathology, School of Medical Sciences Quenmoor University, Quenmoor, China")
    assert result.status == "matched" and result.best.reference_id == "0gaps0002", result.reason
    # a unit's segment that names no institution after the unit is still dropped
    assert "department of pathology" in parse_query("Department of Pathology, Quenmoor University").dropped


@pytest.mark.parametrize("text, segments", [
    ("Dorrance Hospital and Tervallo Medical School, Ashford", [("dorrance", "hospital"), ("tervallo", "medical", "school"),
                                                                ("ashford",)]),
    ("Kettle Institute and School of Psychology, Orsk University", [("kettle", "institute"), ("school", "of", "psychology"),
                                                                    ("orsk", "university")]),
    # one body: a side has no kind word, or no word of its own
    ("Norwegian University of Science and Technology", [("norwegian", "university", "of", "science", "and", "technology")]),
    ("Oregon Health and Science University", [("oregon", "health", "and", "science", "university")]),
    ("Research Institute and Hospital of Kettle", [("research", "institute", "and", "hospital", "of", "kettle")]),
])
def test_two_bodies_joined_by_and_are_two_segments(text, segments):
    assert list(parse_query(text).segments) == segments


def test_the_body_after_and_is_found(registry):
    result = resolve(registry, "Kettle Institute and School of Psychology, Quenmoor University, Quenmoor")
    assert result.status == "matched" and result.best.reference_id == "0gaps0002", result.reason


def test_a_unit_that_is_an_institution_of_its_own_where_its_place_is_named(registry):
    result = resolve(registry, "Institute of Fenland Hydrology, Belmar, Kazakhstan")
    assert result.status == "matched" and result.best.reference_id == "0gaps0005", result.reason
    # the same words where the text names another city: a unit of another body there
    other = resolve(registry, "Institute of Marsh Pathology, Orsk, Germany")
    assert other.best is None or other.best.reference_id != "0gaps0006", other.reason


def test_a_company_written_by_its_brand_in_the_country_the_text_names(registry):
    result = resolve(registry, "Global Epidemiology, Quillfex S.A., Belmar, France")
    assert result.status == "matched" and result.best.reference_id == "0gaps0008", result.reason
    japan = resolve(registry, "Research Institute, Quillfex Inc, Ruhn, Japan")
    assert japan.status == "matched" and japan.best.reference_id == "0gaps0009", japan.reason
    # without a country the brand names no one branch
    assert resolve(registry, "Global Epidemiology, Quillfex, Belmar").status != "matched"
