"""Numbers written in Roman numerals or as a French ordinal, and an exact match on a part of the text against a close
candidate read on the whole (round names17); measured against an invented reference (no real institution)."""

from __future__ import annotations

import pytest
from conftest import registry_with_reference, ror_record

from registry.matching.text import normalize
from registry.resolve import resolve


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    db = registry_with_reference(tmp_path_factory.mktemp("numerals"), [
        ror_record("0num00001", "Université Belcourt 12", "Belcourt", "FR"),
        ror_record("0num00002", "Université Belcourt 3", "Belcourt", "FR"),
        ror_record("0num00003", "Université Zarouf 1er", "Oued Tamra", "MA"),
        ror_record("0num00004", "Zarouf II University", "Ain Sebta", "MA"),
    ])
    yield db
    db.conn.close()


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
