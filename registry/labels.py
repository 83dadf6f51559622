"""Codes in words on the pages, in the page's language: ``DE`` is "Germany" (Swedish
"Tyskland"), ``erasmus_iia`` is "Erasmus+ inter-institutional agreement".

The words are defined once, beside each code: the enumerations' members carry their English
label (``registry.schema_types.Labelled``) and country names come from Babel (the Unicode
CLDR). English labels go through the message catalogue (``registry.i18n``), so a translation
of "Student exchange" in ``messages.po`` shows on Swedish pages; country names come from
CLDR in each language. SQL reads the same English words from the ``labels`` table
(``registry.db.vocabulary``).

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

COUNTRY = "country"
# Columns that hold several codes, as the views write them ("DE,FR").
LISTS = {"countries": COUNTRY}


@functools.cache
def column_vocabularies() -> dict[str, tuple[str, ...]]:
    """Column name -> the vocabularies a column of that name holds codes of, in any table or view."""
    by_values = {tuple(member.value for member in enum): name for name, enum in vocabulary.enumerations().items()}
    found: dict[str, list[str]] = defaultdict(list)
    for spec in specs().values():
        for column in spec.columns:
            name = by_values.get(column.enum_values) if column.kind == "enum" else None
            if name and name not in found[column.name]:
                found[column.name].append(name)
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


def label(vocabulary_name: str, value: object, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """The words for code ``value`` of ``vocabulary_name``, in ``lang``; the value itself when none."""
    text = "" if value is None else str(value)
    if vocabulary_name == COUNTRY:
        return country_name(text, lang) if text else text
    english = _english().get(vocabulary_name, {}).get(text)
    return i18n.gettext(lang, english) if english else text


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
