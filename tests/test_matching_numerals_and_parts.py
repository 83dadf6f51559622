"""Numbers written in Roman numerals or as a French ordinal, and an exact match on a part of the text against a close
candidate read on the whole (round names17); measured against an invented reference (no real institution)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.deciding import decide
from registry.matching.match import Match, Penalty, PenaltyKind
from registry.matching.text import normalize
from registry.resolution import Candidate
from registry.resolve import resolve


@invented_reference
def registry():
    return [
        ror_record("0num00001", "Université Belcourt 12", "Belcourt", "FR"),
        ror_record("0num00002", "Université Belcourt 3", "Belcourt", "FR"),
        ror_record("0num00003", "Université Zarouf 1er", "Oued Tamra", "MA"),
        ror_record("0num00004", "Zarouf II University", "Ain Sebta", "MA"),
    ]


def test_a_roman_numeral_is_its_number_but_a_word_stays_a_word():
    assert normalize("Université Paris XII") == normalize("Universite Paris 12")
    assert normalize("Université Zarouf Ier") == normalize("Université Zarouf 1er") == "university zarouf 1"
    assert normalize("Zarouf I University") == "zarouf 1 university"
    assert normalize("Akademia Wychowania Fizycznego i Sportu").split()[-2] == "i"  # 'and' in Polish
    assert normalize("Univerzita Karlova v Praze").split()[-2] == "v"  # 'in' in Czech


@pytest.mark.parametrize(("text", "country", "reference_id"), [
    ("Université Belcourt XII", "FR", "0num00001"),
    ("Université Zarouf Ier", "MA", "0num00003"),
    ("Zarouf I University", "MA", "0num00003"),
])
def test_a_name_with_its_number_written_otherwise(registry, text, country, reference_id):
    result = resolve(registry, text, country)
    assert (result.status, result.best and result.best.reference_id) == ("matched", reference_id), result.reason


def _candidate(reference_id: str, name: str, score: float, aligned: list[str], exact: bool, part: bool) -> Candidate:
    penalties = [Penalty(PenaltyKind.TEXT_PART, "matched the part only (-0.08)")] if part else []
    match = Match(reference_id, score, "probable", name, "", "", aligned=[(w, w, 1.0) for w in aligned],
                  penalties=penalties, exact=exact)
    return Candidate(None, reference_id, name, name, "CM", score, "probable", "", source="ror", exact=exact, match=match)


def test_an_exact_part_does_not_outrank_a_close_name_of_the_whole_text():
    # 'Tarvonian University Institute for Governance, Humanities and Social Sciences, Cameroon'
    part = _candidate("0num00005", "Tarvonian University", 0.92, ["tarvonian", "university"], exact=True, part=True)
    whole = _candidate("0num00006", "Tarvonian University Institute for Governance, Humanities and Social Sciences", 0.90,
                       ["tarvonian", "university", "institute", "governance", "humanities", "social", "science"],
                       exact=False, part=False)
    assert decide([part, whole])[0] == "ambiguous"
    # one word more is no whole text: 'New York University' against the City University of 'New York City'
    city = _candidate("0num00007", "City University of Tarvonia", 0.90, ["city", "tarvonian", "university"],
                      exact=False, part=False)
    assert decide([part, city]) == ("matched", "exact match; the next candidate (City University of Tarvonia) is not")


@invented_reference
def regions():
    return ordinary_institutions("0c") + [
        ror_record("0reg00001", "Marrowby Hale University", "Townsville", "AU"),
        ror_record("0reg00002", "University of Queensland", "Brisbane", "AU"),
        ror_record("0reg00003", "Queensland Institute of Lakes", "Brisbane", "AU"),
        ror_record("0reg00004", "Orsk Hale College", "Orsk", "AU"),
        ror_record("0reg00005", "Queensland Museum of Quarries", "Brisbane", "AU"),
        ror_record("0reg00006", "North Queensland Hospital", "Cairns", "AU"),
    ]


@pytest.mark.parametrize("country", ["AU", None])
def test_a_whole_name_then_of_its_own_region(regions, country):
    result = resolve(regions, "Marrowby Hale University of North Queensland", country)
    assert (result.status, result.best and result.best.reference_id) == ("matched", "0reg00001"), result.reason
    assert "its own region" in result.reason
    # 'of' and words that are no region stay another name's
    assert resolve(regions, "Marrowby Hale University of Quarries", country).status != "matched"


def test_a_kind_repeated_in_the_local_word_is_said_once():
    assert normalize("MARROWBY DESIGN UNIVERSITY PRIVATUNIVERSITÄT GESMBH") == "marrowby design university gesmbh"
    assert normalize("Marrowby University, University Hospital") == "marrowby university university hospital"
    assert normalize("University College Marrowby") == "university college marrowby"  # two kinds stay two


def test_a_legal_name_repeating_its_kind_is_its_school(regions):
    result = resolve(regions, "MARROWBY HALE UNIVERSITY PRIVATUNIVERSITÄT GESMBH", "AU")
    assert (result.status, result.best and result.best.reference_id) == ("matched", "0reg00001"), result.reason


@invented_reference
def town():
    return ordinary_institutions("0d") + ordinary_institutions("0e") + [
        ror_record("0twn00001", "Université de Quenzabar", "Quenzabar", "BF"),
        ror_record("0twn00002", "Marvelle Institute of Hydrology", "Quenzabar", "BF"),
    ]


def test_a_private_university_of_a_town_is_not_the_university_of_that_town(town):
    result = resolve(town, "Private University of Quenzabar Quenzabar", "BF")
    assert result.status != "matched", result.reason
    # the same name written within a text with nothing before it that names another body is that university
    assert resolve(town, "University of Quenzabar Quenzabar", "BF").best.reference_id == "0twn00001"
