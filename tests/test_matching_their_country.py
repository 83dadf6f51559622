"""Choosing among a typed name's candidates as a coordinator would: a name typed without the country whose every
candidate lies in one country, a name written whole that another record's name is a part of, and the world list's
twin of a ROR record. Measured against an invented reference (no real institution or person)."""

from __future__ import annotations

import json

import pytest
from conftest import invented_reference, numbered_record, ordinary_institutions, registry_with_reference

from registry.matching import Match
from registry.reference import load_reference
from registry.resolution import Candidate
from registry.resolve import _words_agree, resolve

_record = numbered_record("0ctry", country="SE")


@invented_reference
def ror_registry():
    return [
        _record(1, "Morvathi Studies Academy", "Nordby"),
        _record(11, "Morvathi Research Centre", "Nordby"),
        _record(2, "Brelstad University of Agriculture and Veterinary Medicine", "Brelstad", "NO", acronym="BUVM"),
        _record(3, "Tarvish Studies Academy", "Ostby"),
        _record(4, "National Tarvish Studies Higher Education State Federal Royal Public Institute", "Sudby", "DK"),
        _record(5, "Quenmoor College of Music", "Ostby"),
        _record(6, "Quenmoor College of Music", "Vesterby", "FI"),
        _record(7, "Orvanne University", "Lindholm", "DK", acronym="OU"),
        _record(8, "SSES Orvanne University", "Lindholm", "DK",
                aliases=("School of Eastern Studies Orvanne University",)),
        _record(9, "Universitat Kelvara", "Marrow", "ES"),
        _record(10, "Instituto Kelvara de Marrow", "Marrow", "ES"),
        *ordinary_institutions("0ctry"),
    ]


@pytest.fixture(scope="module")
def registry(ror_registry, tmp_path_factory):
    """The invented ROR records and, loaded after them, the world list's twin of one."""
    world = tmp_path_factory.mktemp("world") / "world_universities_and_domains.json"
    world.write_text(json.dumps([
        {"name": "Universitat Kelvara Marrow", "alpha_two_code": "ES", "domains": ["ukelvara-test.es"],
         "web_pages": ["https://ukelvara-test.es"]},
    ]), encoding="utf-8")
    load_reference(ror_registry, world, progress=False)
    return ror_registry


@pytest.mark.parametrize(("name", "expected"), [
    ("Morvathi Studies College", "0ctry0001"),  # the only institution of SE with those words: read in SE
    ("Brelstad University of Agriculture and Veterinary", "0ctry0002"),  # the name written short, read in NO
])
def test_a_name_whose_candidates_lie_in_one_country_is_read_in_it(registry, name, expected):
    without = resolve(registry, name)
    assert without.status == "matched", without.reason
    assert without.best.reference_id == expected
    assert without.reason.startswith(f"every candidate is in {without.best.country}; read in {without.best.country}: ")
    assert resolve(registry, name, without.best.country).best.reference_id == expected  # as with the country typed


@pytest.mark.parametrize("name", [
    "Quenmoor College",  # candidates in two countries: the country would decide, and it is not given
    "Tarvish Studies College",  # another country's institution is named so too, though no candidate
    "Morvathi Consulting AB",  # in its country too it is no match
])
def test_a_name_stays_a_question_where_the_country_cannot_be_read_off(registry, name):
    assert resolve(registry, name).status != "matched"


def test_a_name_written_whole_outranks_the_record_a_part_of_it_names(registry):
    for country in (None, "DK"):
        result = resolve(registry, "School of Eastern Studies, Orvanne University", country)
        assert result.status == "matched", result.reason
        assert result.best.reference_id == "0ctry0008"
        assert "Orvanne University is named by a part of it" in result.reason
    assert resolve(registry, "Orvanne University").best.reference_id == "0ctry0007"


def test_the_world_lists_twin_of_a_ror_record_is_no_rival(registry):
    """'Universitat Kelvara Marrow': the ROR record's name and its city, as the world list writes it."""
    result = resolve(registry, "Universitat Kelvara Marrow")
    assert result.status == "matched", result.reason
    assert result.best.reference_id == "0ctry0009"
    assert all(c.source != "hipo" for c in result.candidates)


def test_an_acronym_does_not_tell_the_country(registry):
    """'BUVM' alone: the country is the support an acronym needs, not what its one candidate tells."""
    result = resolve(registry, "BUVM")
    assert result.status != "matched", result.reason
    assert resolve(registry, "BUVM", "NO").best.reference_id == "0ctry0002"


def test_only_the_same_words_tell_the_country():
    """'Université d'Anvers' (Antwerp) aligned with Angers's university by a close spelling is no evidence that
    France is meant; a declined city or a plural (0.9) is the word itself."""
    def candidate(*aligned: tuple[str, str, float]) -> Candidate:
        match = Match(entity_id="x", score=0.85, band="possible", matched_name="n", query_name="q", explanation="",
                      aligned=list(aligned))
        return Candidate(None, "x", "x", "n", "FR", 0.85, "possible", "ror", source="ror", match=match)

    assert _words_agree(candidate(("universite", "university", 1.0), ("tampereen", "tampere", 0.9)))
    assert not _words_agree(candidate(("universite", "university", 1.0), ("anvers", "angers", 0.83)))



def test_a_name_that_names_its_country_is_read_in_it(tmp_path):
    db = registry_with_reference(tmp_path, [
        # 'Trev', four letters, is no word one institution alone carries (SOLE_WORD_LENGTH): since round names16 such a
        # word decides half way without a country too, which would answer before the country the text names is read;
        # and the name is a namesake's in SE, so that without the country no whole name begins the text as one's
        _record(12, "Trev Polytechnic University of Science and Technology", "Nordby", "NA"),
        _record(13, "Trev Polytechnic University of Science and Technology", "Ostby", "SE"),
        *ordinary_institutions("0ctry"),
    ])
    typed = "Trev Polytechnic University of Science and Technology Veldmoor"  # a whole name, then a word nobody has
    assert resolve(db, typed).status != "matched"  # two countries' name: passed over only in the country given
    found = resolve(db, f"{typed}, Namibia")  # the country column left empty, the text names it
    assert found.status == "matched" and found.best.reference_id == "0ctry0012", found.reason
    assert found.reason.startswith("the text names NA; read in NA:") and found.country is None
    assert resolve(db, f"{typed}, Finland").status != "matched"  # never another country's
    db.conn.close()


def test_a_name_of_kind_words_only_with_its_city_is_the_one_named_so_there(tmp_path):
    db = registry_with_reference(tmp_path, [
        _record(13, "College of Science and Technology", "Dunmarsh", "BT"),
        _record(14, "College of Science and Technology", "Kelport", "RW"),
        *ordinary_institutions("0ctry"),
    ])
    for typed, country in [("College of Science and Technology - Dunmarsh", "BT"),
                           ("College of Science and Technology Dunmarsh", None),
                           ("College of Science and Technology (Kelport, Rwanda)", None)]:
        found = resolve(db, typed, country)
        assert found.status == "matched", (typed, found.reason)
        assert found.best.reference_id == ("0ctry0013" if "Dunmarsh" in typed else "0ctry0014"), typed
    # no institution of that name in that city, or a country that is not the city's: never matched
    assert resolve(db, "College of Science and Technology - Orsk").status != "matched"
    assert resolve(db, "College of Science and Technology - Dunmarsh", "RW").status != "matched"
    db.conn.close()
