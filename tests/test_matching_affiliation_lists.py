"""Affiliation texts whose list lost its separators or wraps the institution in other words: a footnote mark opening the
text, a unit or a name run into the word before it, an acronym hyphenated to a name, a sentence about the author
("... is a doctoral student at ..."), and units written in other languages ("Wydział", "Fakültesi", "Laboratorium der
Universität"). Measured against an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.matching.affiliation_text import affiliation_commas
from registry.resolve import resolve


@invented_reference
def registry():
    return [
        ror_record("0list0001", "U.V. Geological Survey", "Tervallo", "US"),
        ror_record("0list0002", "École Polytechnique Fédérale de Quenmoor", "Quenmoor", "CH"),
        ror_record("0list0003", "Royal Dunmere Hospital", "Dunmere", "AU"),
        ror_record("0list0004", "Halden Fraser University", "Halden", "CA"),
        ror_record("0list0005", "Indian Institute of Tarnwick", "Tarnwick", "IN"),
        ror_record("0list0006", "Politechnika Belmoorska", "Belmoor", "PL"),
        ror_record("0list0007", "Yarrowdale University", "Yarrowdale", "TR"),
        ror_record("0list0008", "University of Ashwick", "Ashwick", "DE"),
        *ordinary_institutions("0list"),
    ]


@pytest.mark.parametrize("text, expected", [
    # a footnote mark opening the text: a lone small letter, a sign
    ("b U.V. Geological Survey, Woods Hole, Massachusetts", "0list0001"),
    # a list that lost its commas: words run together, a number run into the country
    ("Laboratory of Robotic SystemsÉcole Polytechnique Fédérale de QuenmoorQuenmoor1015Switzerland", "0list0002"),
    ("Department of Clinical PharmacologyRoyal Dunmere HospitalDunmere S.A. 5000", "0list0003"),
    # an acronym hyphenated to the name, before or after it
    ("Halden Fraser University-SIAT, Surrey, BC, Canada", "0list0004"),
    ("CSIR-Indian Institute of Tarnwick, Mohkampur, Tarnwick-248005, India.", "0list0005"),
    # a sentence about the author: the institution follows 'at'
    ("Is a mathematics education doctoral student at the Halden Fraser University.", "0list0004"),
    ("Professor of English at Halden Fraser University. He has recently published a study of novels.", "0list0004"),
    # units in other languages, after or before the university's name
    ("Politechnika Belmoorska Wydział Zarządzania", "0list0006"),
    ("YARROWDALE ÜNİVERSİTESİ İLETİŞİM FAKÜLTESİ HALKLA İLİŞKİLER VE TANITIM BÖLÜMÜ", "0list0007"),
    ("Metallographischen Laboratorium der Universität Ashwick; Ashwick", "0list0008"),
])
def test_an_institution_is_read_out_of_a_list_that_lost_its_separators(registry, text, expected):
    result = resolve(registry, text)
    assert result.status == "matched" and result.best.reference_id == expected, (result.reason, [
        (c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize("text, parted", [
    ("b Varnholt Geological Survey, Woods Hole", "Varnholt Geological Survey, Woods Hole"),
    ("1UT Quenmoor Medical Center, Dallas", "UT Quenmoor Medical Center, Dallas"),
    ("*Institute of Archaeology, Quenmoor", "Institute of Archaeology, Quenmoor"),
    ("Department of Physics, University of AshwickCollege of Medicine, Ashwick", "Department of Physics, University of "
     "Ashwick, College of Medicine, Ashwick"),
    ("CSIR-Indian Institute of Tarnwick", "CSIR, Indian Institute of Tarnwick"),
    ("Professor of English at Halden Fraser University. He has written", "Professor of English, Halden Fraser "
     "University, He has written"),
])
def test_commas_where_the_list_had_them(text, parted):
    assert affiliation_commas(text) == parted


@pytest.mark.parametrize("text", [
    "Shanghai JiaoTong University",  # a name in camel case: its first part is short
    "Univ. Agric. Sci. Quenmoor",  # words cut short keep their dots
    "University of Ashwick at Quenmoor, Quenmoor",  # a campus after 'at' names no other body
    "Quenmoor-Belmoor University of Technology",  # a hyphen inside a name, no acronym
    "a:1:{s:5:\"en_US\"}",  # no capital after the letter
    "Museu Paraense Varnholt. Coordenação de Ciências, Belém",  # a full stop ends a sentence about an author only
    "Inria Quenmoor Centre at Ashwick University",  # a body before 'at': a unit's name
    "QUEN-Wellmoor Programme",  # an acronym before a name that is no institute's or university's
    "Varnholtia-IPN",  # an acronym after a word that is no kind word
    "Quen FutureMoorings Group",  # camel case once: a company's name
    "Dunmere Hospital and Quenmoor HospitalAshwick",  # a capital run in once, in a text with no comma
    "4QU.ResearchData",  # a number that begins a name
])
def test_a_name_that_is_no_list_stays_as_written(text):
    assert affiliation_commas(text) == text
