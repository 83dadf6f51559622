"""A partner's legal name closing with its owner's legal form, in any country's abbreviation
(data/matching/legal_forms.csv, from the ISO 20275 list): the form is taken off, not read as a word of the name.
Against an invented reference (no real institution or person)."""

from __future__ import annotations

import csv

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.matching.text import (
    GENERIC,
    LEGAL_FORMS,
    LEGAL_FORMS_ABROAD,
    LEGAL_FORMS_FILE,
    STOPWORDS,
    closing_legal_form_off,
    exact_key,
    fold_name,
    tokens_of,
)
from registry.resolve import resolve


@invented_reference
def registry():
    return [
        # 'Polder' is a word of three names: the form, read as a word, outweighed it
        ror_record("0lgf00001", "Polder University", "Varnik", "AL"),
        ror_record("0lgf00004", "Polder Institute of Arts", "Tirel", "AL"),
        ror_record("0lgf00005", "Polder Medical Centre", "Sorn", "NL"),
        ror_record("0lgf00002", "Tessaly School of Economics in Morvane", "Morvane", "LV"),
        ror_record("0lgf00006", "Morvane Technical University", "Morvane", "LV"),
        ror_record("0lgf00003", "Kestrelmoor University", "Kestrelmoor", "FI"),
        *ordinary_institutions("0lgf"),
    ]


@pytest.mark.parametrize("text, country, expected", [
    ("UNIVERSITETI POLDER SHPK", "AL", "0lgf00001"),  # the Kosovar sh.p.k.: 'new' without the table
    ("UNIVERSITETI POLDER SHPK", None, "0lgf00001"),
    ("Polder University Sh.p.k.", None, "0lgf00001"),
    ("TESSALY SCHOOL OF ECONOMICS IN MORVANE SIA", "LV", "0lgf00002"),  # Latvian SIA
    ("Kestrelmoor University Oyj", "FI", "0lgf00003"),
])
def test_a_legal_form_of_any_country_is_not_a_word_of_the_name(registry, text, country, expected):
    result = resolve(registry, text, country)
    assert result.status == "matched" and result.best.reference_id == expected, (result.reason, [
        (c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize("text, country", [
    ("Polder Ndertim SHPK", "AL"),  # a building company of the town: a legal form takes nothing away from that
    ("Morvane Logistika SIA", "LV"),
    ("SIA", "LV"),
])
def test_a_company_with_a_legal_form_is_still_no_institution(registry, text, country):
    result = resolve(registry, text, country)
    assert result.status != "matched", (result.reason, result.best and result.best.name)


def test_the_table_holds_abbreviations_only_and_no_word_a_name_needs():
    with LEGAL_FORMS_FILE.open(encoding="utf-8", newline="") as stream:
        forms = [row["form"] for row in csv.DictReader(stream)]
    assert forms == sorted(forms) and {"shpk", "sia", "oyj"} <= set(forms)
    assert all(3 <= len(form) <= 5 and form.isalpha() for form in forms)
    assert not set(forms) & (GENERIC | STOPWORDS)
    assert set(forms) - LEGAL_FORMS == LEGAL_FORMS_ABROAD
    # public bodies and words of many names stay words: a municipality is no school's owner, 'sha' a Chinese syllable
    assert not {"gemeinde", "kanton", "commune", "kunta", "sha", "sas"} & set(forms)


def test_only_a_closing_form_of_a_typed_text_is_read_so():
    assert closing_legal_form_off("Universiteti Polder Sh.p.k.") == "Universiteti Polder"
    assert closing_legal_form_off("Tessaly School of Economics in Morvane, SIA") == "Tessaly School of Economics in Morvane"
    assert closing_legal_form_off("Polder SIA") == "Polder SIA"  # one word would be left: a company's name
    assert closing_legal_form_off("SIA Polder University") == "SIA Polder University"
    assert closing_legal_form_off("Polder Research Centre (CRC)") == "Polder Research Centre (CRC)"  # its acronym
    # a reference name keeps such a word in its exact key: it is an acronym there as often ('CRC MINES ParisTech')
    assert exact_key(tokens_of(fold_name("CRC Polder Mines"))) == "crc polder mines"
