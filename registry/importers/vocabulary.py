"""The words spreadsheets use for the registry's columns and values (``vocabulary.yml``).

Header names and value names are compared by ``word_key``: case, accents, spacing and
punctuation do not count. Enum values come from the models, so a value the model accepts
is always accepted; the YAML adds the English and Swedish names people type.

``python -m registry.importers.vocabulary_docs docs/import.md`` rewrites the generated part
of the import documentation from it; a test fails when it is out of date.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import cache, lru_cache
from pathlib import Path

import yaml

from registry import models
from registry.text import fold

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yml")
COMMON = "common"
BOOLEAN = "boolean"

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def word_key(text: str) -> str:
    """'Giltigt från', 'GILTIGT_FRAN' and ' giltigt-från ' -> 'giltigt fran'."""
    return _NOT_WORD.sub(" ", fold(text)).strip()


@lru_cache(maxsize=1)
def _document() -> dict:
    # BaseLoader keeps every scalar a string: 'no' and 'yes' are words here, not booleans.
    return yaml.load(VOCABULARY_FILE.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def header_names(kind: str, *, common: bool = True) -> dict[str, list[str]]:
    """column -> its header names (the export header first) for a kind of table; with
    ``common``, also the columns many tables have (id, notes), for the kinds that have them."""
    document = _document()["headers"]
    names = {column: list(values) for column, values in document.get(kind, {}).items()}
    for column, values in document.get(COMMON, {}).items() if common else ():
        names.setdefault(column, list(values))
    return names


def loose_header_names(kind: str) -> dict[str, list[str]]:
    """column -> names that claim it only when no other header of the file does ("Start")."""
    return {column: list(values) for column, values in _document().get("loose_headers", {}).get(kind, {}).items()}


def header_kinds() -> list[str]:
    return [kind for kind in _document()["headers"] if kind != COMMON]


def enum_class(name: str) -> type[Enum]:
    found = getattr(models, name, None)
    if not (isinstance(found, type) and issubclass(found, Enum)):
        raise LookupError(f"vocabulary.yml names {name!r}, which is not an enumeration in registry.models")
    return found


def value_names(enum: type[Enum]) -> dict[str, list[str]]:
    """member value -> the names the vocabulary adds for it."""
    return {member: list(names) for member, names in _document()["values"].get(enum.__name__, {}).items()}


@cache
def enum_lookup(enum: type[Enum]) -> dict[str, str]:
    """word_key of every accepted name -> the member's value."""
    table: dict[str, str] = {}
    for member in enum:
        table[word_key(member.value)] = member.value
    for value, names in value_names(enum).items():
        for name in names:
            table.setdefault(word_key(name), enum(value).value)
    return table


def boolean_names() -> dict[str, list[str]]:
    """'true' and 'false' -> the words that mean them."""
    return _document()["values"][BOOLEAN]


@lru_cache(maxsize=1)
def boolean_lookup() -> dict[str, bool]:
    names = boolean_names()
    return {word_key(name): truth == "true" for truth in ("true", "false") for name in names[truth]}


def enums_with_names() -> list[type[Enum]]:
    return [enum_class(name) for name in _document()["values"] if name != BOOLEAN]
