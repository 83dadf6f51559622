"""Cell values as offices type them: dates, numbers, yes/no, kinds, statuses, levels,
countries by their own names; and the vocabulary that names them, kept in step with the
models and with docs/import.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.countries import country_code
from registry.importers import values, vocabulary, vocabulary_docs
from registry.importers.agreements import parse_levels
from registry.importers.row_kinds import kind_for
from registry.models import AgreementKind, AgreementStatus

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-03-04", "2025-03-04"),
        ("2025-3-4", "2025-03-04"),
        ("2025-03-04 00:00:00", "2025-03-04"),
        ("04.03.2025", "2025-03-04"),  # dotted dates are always day first
        ("13/03/2025", "2025-03-13"),  # 13 cannot be a month
        ("03/13/2025", "2025-03-13"),  # ... nor here
        ("04/04/2025", "2025-04-04"),  # reads the same both ways
        ("2025/03/04", "2025-03-04"),
        ("4 mars 2025", "2025-03-04"),
        ("4 March 2025", "2025-03-04"),
        ("45720", "2025-03-04"),  # an Excel serial
        ("45720.0", "2025-03-04"),  # ... as a number column saves it
        ("4-Mar-2025", "2025-03-04"),  # Excel's d-mmm-yyyy
        ("04-Mar-25", "2025-03-04"),  # Excel's dd-mmm-yy, saved as CSV as shown
        ("March 4, 2025", "2025-03-04"),
        ("Mar 4 2025", "2025-03-04"),
        ("4th March 2025", "2025-03-04"),
        ("den 4 mars 2025", "2025-03-04"),
        ("4:e mars 2025", "2025-03-04"),
        ("1 sept. 2025", "2025-09-01"),
        ("20250304", "2025-03-04"),  # compact ISO, as systems export it
    ],
)
def test_dates_in_the_forms_offices_write(text, expected):
    assert values.parse_date(text) == expected


def test_a_date_that_reads_two_ways_is_refused_unless_dayfirst():
    with pytest.raises(ValueError, match=r"reads two ways \(2025-04-03 or 2025-03-04\).*--dayfirst"):
        values.parse_date("03/04/2025")
    assert values.parse_date("03/04/2025", dayfirst=True) == "2025-04-03"


@pytest.mark.parametrize("text", ["2025-02-30", "30.02.2025", "31/04/2025", "2025-13-01"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(ValueError, match="not a real date"):
        values.parse_date(text)


@pytest.mark.parametrize("text", ["soon", "2025", "12", "Q3 2025", "4 Mar 25 12", "March 2025", "12345678", "4.3.25"])
def test_text_that_is_no_date(text):
    with pytest.raises(ValueError, match="is not a date"):
        values.parse_date(text)


@pytest.mark.parametrize("parse", [values.parse_int, values.parse_float, values.parse_date, values.parse_bool])
def test_a_long_refused_cell_is_clipped_in_its_message(parse):
    with pytest.raises(ValueError) as raised:
        parse("9" * 5000 + "x")
    assert str(raised.value).startswith("'" + "9" * 60 + "'... (5,001 characters)") and len(str(raised.value)) < 200


def test_numbers_with_decimal_commas_and_spaces():
    assert values.parse_int("3") == 3
    assert values.parse_int("3.0") == 3  # what Excel hands over
    assert values.parse_int("1 200") == 1200
    assert values.parse_float("55,7") == 55.7
    assert values.parse_float("-33.86") == -33.86
    with pytest.raises(ValueError, match="not a whole number"):
        values.parse_int("2,5")
    with pytest.raises(ValueError, match="not a whole number"):
        values.parse_int("two")


@pytest.mark.parametrize("text, expected", [("Ja", True), ("x", True), ("YES", True), ("nej", False), ("No", False), ("0", False)])
def test_yes_and_no_in_both_languages(text, expected):
    assert values.parse_bool(text) is expected


def test_maybe_is_not_yes_or_no():
    with pytest.raises(ValueError, match="not yes or no"):
        values.parse_bool("kanske")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Utbytesavtal", "student_exchange"),
        ("Erasmus+", "erasmus_iia"),
        ("dubbelexamen", "double_degree"),
        ("Samförståndsavtal", "framework_mou"),
        ("student exchange", "student_exchange"),
        ("STUDENT_EXCHANGE", "student_exchange"),
    ],
)
def test_agreement_kinds_by_swedish_and_english_names(text, expected):
    assert values.parse_enum(AgreementKind, text) == expected


@pytest.mark.parametrize("text, expected", [("aktivt", "active"), ("Utkast", "draft"), ("avslutat", "terminated"), ("Expired", "expired")])
def test_statuses_by_swedish_and_english_names(text, expected):
    assert values.parse_enum(AgreementStatus, text) == expected


def test_an_unknown_kind_lists_the_known_ones():
    with pytest.raises(ValueError, match="not a known AgreementKind.*student_exchange"):
        values.parse_enum(AgreementKind, "handslag")


def test_levels_by_name_and_eqf_number():
    assert parse_levels("Grundnivå") == [6]
    assert parse_levels("grundnivå och avancerad nivå") == [6, 7]
    assert parse_levels("Forskarnivå; master") == [7, 8]
    assert parse_levels("EQF 5") == [5]
    with pytest.raises(ValueError, match="not a level"):
        parse_levels("gymnasium")


def test_formula_cells_are_neutralised_and_restored():
    for text in ["=HYPERLINK(\"http://x\")", "+46 46 222", "-2+3", "@SUM(A1)", "\tx", "\rx"]:
        assert values.neutralise(text) == "'" + text
        assert values.unneutralise(values.neutralise(text)) == text
    assert values.neutralise("Lund") == "Lund"
    assert values.unneutralise("'s-Hertogenbosch") == "'s-Hertogenbosch"  # an apostrophe that is part of a name


@pytest.mark.parametrize(
    "name, code",
    [("Danmark", "DK"), ("Deutschland", "DE"), ("España", "ES"), ("Suomi", "FI"), ("Norge", "NO"), ("Österreich", "AT"),
     ("Polska", "PL"), ("Nederland", "NL"), ("Ελλάδα", "GR"), ("Schweiz", "CH"), ("Suisse", "CH"), ("Tyskland", "DE"),
     ("Germany", "DE"), ("DEU", "DE")],
)
def test_countries_by_their_own_names(name, code):
    assert country_code(name) == code


def test_an_unknown_country_is_still_refused():
    with pytest.raises(ValueError, match="unknown country 'Atlantis'"):
        country_code("Atlantis")


def test_header_keys_ignore_case_accents_spacing_and_punctuation():
    assert vocabulary.word_key(" Giltigt  FRÅN ") == vocabulary.word_key("giltigt_fran") == "giltigt fran"


def test_vocabulary_names_real_enum_members_and_model_fields():
    for enum in vocabulary.enums_with_names():
        members = {member.value for member in enum}
        assert set(vocabulary.value_names(enum)) <= members, enum.__name__
    for kind_name in vocabulary.header_kinds():
        kind = kind_for(kind_name)
        assert set(vocabulary.header_names(kind_name, common=False)) <= set(kind.columns), kind_name


def test_no_header_or_value_name_means_two_things():
    for kind_name in vocabulary.header_kinds():
        seen: dict[str, str] = {}
        for column, names in kind_for(kind_name).header_names().items():
            for name in names:
                key = vocabulary.word_key(name)
                assert seen.setdefault(key, column) == column, f"{kind_name}: {name!r} is {seen[key]} and {column}"
    for enum in vocabulary.enums_with_names():
        seen = {}
        for member, names in vocabulary.value_names(enum).items():
            for name in [member, *names]:
                key = vocabulary.word_key(name)
                assert seen.setdefault(key, member) == member, f"{enum.__name__}: {name!r}"


def test_the_documentation_lists_the_vocabulary_as_it_is():
    text = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    start = text.index(vocabulary_docs.DOCS_START.split("`")[0])
    end = text.index(vocabulary_docs.DOCS_END) + len(vocabulary_docs.DOCS_END)
    assert text[start:end] == vocabulary_docs.markdown(), "run: python -m registry.importers.vocabulary_docs docs/import.md"
