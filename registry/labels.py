"""Codes in words on the pages, in the page's language: ``DE`` is "Germany" (Swedish
"Tyskland"), ``erasmus_iia`` is "Erasmus+ inter-institutional agreement".

The words are defined once, beside each code: the enumerations' members carry their English
label (``registry.schema_types.Labelled``) and country names come from Babel (the Unicode
CLDR). English labels go through the message catalogue (``registry.i18n``), so a translation
of "Student exchange" in ``messages.po`` shows on Swedish pages; country names come from
CLDR in each language. SQL reads the same English words from the ``labels`` table
(``registry.db.vocabulary``).

A field (a column) in words, as forms and the agreement page's history name it: its entry in
``FIELDS``, else its name in words (``ends_on`` is "End date", ``title`` is "Title").

Which codes a column holds is read from the models: every column whose type is an
enumeration, by its name (``kind`` holds an agreement's or an institution's kind; their codes
differ, so a value finds its words in whichever it belongs to), and ``country``/``countries``.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from babel import Locale

from registry import countries, i18n
from registry.db import specs, vocabulary
from registry.i18n import N_
from registry.schema_types import words_of

COUNTRY = "country"
# Columns that hold several codes, as the views write them ("DE,FR").
LISTS = {"countries": COUNTRY}

# Fields whose words are not the name's own (English; pages translate them).
FIELDS = {
    "ends_on": N_("End date"),
    "starts_on": N_("Start date"),
    "signed_on": N_("Signed on"),
    "notice_months": N_("Notice period (months)"),
    "exit_clause": N_("Exit clause"),
    "home_unit": N_("Home unit"),
    "document_url": N_("Link to the document"),
    "agreement_code": N_("Agreement code"),
    "ewp_iia_id": N_("EWP IIA id"),
    "personal_data": N_("Moves personal or health data"),
    "equitable_terms": N_("Equitable terms"),
    "places_per_year": N_("Places per year"),
    "months_per_place": N_("Months per place"),
    "days_per_place": N_("Days per place"),
    "first_academic_year": N_("First academic year"),
    "last_academic_year": N_("Last academic year"),
    "eqf_levels": N_("EQF levels"),
    "subject_areas": N_("Subject areas (ISCED-F codes)"),
    "language_skills": N_("Language skills"),
    "other_terms": N_("Other terms"),
    "next_review_due": N_("Next review due"),
    "reviewed_on": N_("Reviewed on"),
    "military_or_security_links": N_("Military or security links"),
    "funding_transparent": N_("Funding transparent"),
    "export_control_assessed": N_("Export control assessed"),
    "until": N_("Until"),
    "local_name": N_("Local name"),
    "erasmus_code": N_("Erasmus code"),
    "schac": N_("SCHAC code"),
    "pic": N_("PIC"),
    "ror": N_("ROR id"),
    "partner": N_("Partner"),
    "partner_unit": N_("Partner's unit"),
}


@functools.cache
def table_vocabularies() -> dict[tuple[str, str], str]:
    """(table, column) -> the vocabulary the column holds codes of (its enumeration, or countries)."""
    by_values = {tuple(member.value for member in enum): name for name, enum in vocabulary.enumerations().items()}
    found: dict[tuple[str, str], str] = {}
    for spec in specs().values():
        for column in spec.columns:
            name = by_values.get(column.enum_values) if column.kind == "enum" else None
            if name or column.name == COUNTRY:
                found[(spec.name, column.name)] = name or COUNTRY
    return found


@functools.cache
def column_vocabularies() -> dict[str, tuple[str, ...]]:
    """Column name -> the vocabularies a column of that name holds codes of, in any table or view."""
    found: dict[str, list[str]] = defaultdict(list)
    for (_, column), name in table_vocabularies().items():
        if name != COUNTRY and name not in found[column]:
            found[column].append(name)
    found[COUNTRY] = [COUNTRY]
    for list_column, vocabulary_name in LISTS.items():
        found[list_column] = [vocabulary_name]
    return {column: tuple(names) for column, names in found.items()}


@functools.cache
def _english() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for name, value, label, _ in vocabulary.rows():
        table[name][value] = label
    return table


def country_name(code: str, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """A country's name in ``lang`` (CLDR), or its code when it has none."""
    if lang != i18n.DEFAULT_LANGUAGE and (name := Locale.parse(i18n.known(lang)).territories.get(code)):
        return str(name)
    try:
        return countries.country_name(code)
    except ValueError:
        return code


def english(vocabulary_name: str, value: object) -> str:
    """The English words for code ``value`` of ``vocabulary_name`` (a page translates them); the value itself when none."""
    text = "" if value is None else str(value)
    return _english().get(vocabulary_name, {}).get(text) or text


def label(vocabulary_name: str, value: object, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """The words for code ``value`` of ``vocabulary_name``, in ``lang``; the value itself when none."""
    text = "" if value is None else str(value)
    if vocabulary_name == COUNTRY:
        return country_name(text, lang) if text else text
    english_words = _english().get(vocabulary_name, {}).get(text)
    return i18n.gettext(lang, english_words) if english_words else text


def value_label(table: str | None, column: str, value: object, lang: str = i18n.DEFAULT_LANGUAGE) -> object:
    """A value in words in ``lang`` when it is a code; else the value. A column of a registry
    table whose type names its vocabulary is read by it (an institution's ``kind`` is never
    taken for an agreement's); any other column, of a view or a query's result (``table``
    None) too, by its name (``column_label``)."""
    if not isinstance(value, str) or not value:
        return value
    name = table_vocabularies().get((table, column)) if table else None
    words = label(name, value, lang) if name else column_label(column, value, lang)
    return value if words is None else words


def field_words(name: str) -> str:
    """A field in English words: ``ends_on`` is "End date", ``title`` "Title"."""
    return FIELDS.get(name) or words_of(name)


def field_label(name: str, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """A field in words in ``lang``: its words translated, else (words the catalogue lacks) the
    column's name as the table pages give it in ``lang``."""
    words = field_words(name)
    translated = i18n.gettext(lang, words)
    if translated == words and i18n.known(lang) != i18n.DEFAULT_LANGUAGE:
        column = i18n.column_label(lang, name)
        return column if column != name else words
    return translated


def column_label(column: str, value: object, lang: str = i18n.DEFAULT_LANGUAGE) -> str | None:
    """The words for ``value`` in a column named ``column``, or None when the column holds no
    codes (or this value is none of them)."""
    names = column_vocabularies().get(column)
    if not names or not isinstance(value, str) or not value:
        return None
    if column in LISTS:
        return ", ".join(label(names[0], part.strip(), lang) for part in value.split(","))
    for name in names:
        if value in _english().get(name, {}):
            return label(name, value, lang)
    return None
