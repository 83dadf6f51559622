"""The ``labels`` table (``registry.models.labels``): every code the registry stores, in words.

Country names: English for the label (``registry.countries``); for search, the names in English,
Swedish, the country's own official languages and the languages most partners write in, so that
"japan", "Japon", "Tyskland" and "日本" (folded, "riben") all find their country, and pycountry's
ISO names and the everyday names ``registry.countries`` accepts ("UK", "Holland", "Nihon"). The
names in many languages come from the Unicode CLDR, derived once into data/labels/country_names.csv
by tools/derive_country_names.py: reading them from Babel's locale data took a hundred locales and
a second or two in every process that made a registry. Kinds, statuses and roles come from the
enumerations of ``registry.models`` (``Labelled`` members carry their words), found also by their
words in every language of the message catalogue ("dubbelexamen"). ISCED-F field names come from
data/isced/isced_f_2013.csv.

Written whole when a registry is made or migrated and into every public copy; the search
index reads it, so it is rebuilt after.
"""

from __future__ import annotations

import csv
import functools
import importlib
import inspect
import pkgutil
import re
import sqlite3
from collections.abc import Iterator
from enum import Enum, StrEnum
from pathlib import Path

import pycountry

from registry import countries, i18n, models
from registry.schema_types import words_of
from registry.text import fold

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
ISCED_FILE = DATA_DIR / "isced" / "isced_f_2013.csv"
COUNTRY_NAMES_FILE = DATA_DIR / "labels" / "country_names.csv"
# The languages whose country names search knows besides English, Swedish and the country's own
# (tools/derive_country_names.py reads them; re-run it after changing them).
SEARCH_LANGUAGES = ("sv", "fr", "de", "es", "it", "pt", "nl", "pl", "da", "nb", "fi", "ru", "zh", "ja", "ko", "ar")
# Everything search finds a partner with a medical or health faculty by (English and Swedish).
MEDICAL_FACULTY_WORDS = (
    "medical school, medical faculty, faculty of medicine, school of medicine, medicine, health sciences, "
    "faculty of health sciences, health faculty, nursing, hospital, medicinsk fakultet, medicinska fakulteten, "
    "läkarutbildning, hälsovetenskap"
)
# The table the words are written to (``registry.models.labels``).
TABLE = "labels"
# The vocabulary of the medical-faculty flag: one code, 'yes'.
MEDICAL_FACULTY = "medical_faculty"


def vocabulary_name(enum: type[StrEnum]) -> str:
    """``AgreementKind`` -> ``agreement_kind``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.__name__).lower()


@functools.cache
def enumerations() -> dict[str, type[StrEnum]]:
    """Every enumeration the models declare, by vocabulary name."""
    found: dict[str, type[StrEnum]] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(models.__path__)):
        loaded = importlib.import_module(f"registry.models.{module}")
        for _, value in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(value, StrEnum) and value is not StrEnum and value.__module__.startswith("registry.models"):
                found[vocabulary_name(value)] = value
    return found


def label_of(member: Enum) -> str:
    """A member's English words: its ``label`` (``registry.schema_types.Labelled``), else its value in words."""
    return getattr(member, "label", None) or words_of(str(member.value))


def _words(*names: str) -> str:
    """The folded words of ``names``, each once, in order."""
    seen: dict[str, None] = {}
    for name in names:
        for word in fold(name).replace(",", " ").split():
            seen.setdefault(word, None)
    return " ".join(seen)


def country_codes() -> list[str]:
    """Every country code the registry knows (ISO 3166-1 and the few others it accepts)."""
    return sorted({c.alpha_2 for c in pycountry.countries} | set(countries.EXTRA_CODES))


@functools.cache
def cldr_country_names() -> dict[str, tuple[str, ...]]:
    """Country code -> its CLDR names, in the order search reads them (data/labels/country_names.csv)."""
    found: dict[str, list[str]] = {}
    with COUNTRY_NAMES_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            found.setdefault(row["code"], []).append(row["name"])
    return {code: tuple(names) for code, names in found.items()}


def country_names(code: str) -> list[str]:
    """Every name search finds country ``code`` by: English first."""
    names = [countries.country_name(code), *cldr_country_names().get(code, ())]
    country = pycountry.countries.get(alpha_2=code)
    if country is not None:
        names += [getattr(country, attribute) for attribute in ("name", "common_name", "official_name") if hasattr(country, attribute)]
    names += countries.everyday_names(code)
    return names


def isced_names() -> dict[str, str]:
    with ISCED_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


@functools.cache
def rows() -> tuple[tuple[str, str, str, str], ...]:
    """(vocabulary, value, label, words) for every code, worked out once per process."""
    return tuple(_rows())


def _rows() -> Iterator[tuple[str, str, str, str]]:
    for code in country_codes():
        names = country_names(code)
        yield "country", code, names[0], _words(*names)
    for vocabulary, enum in enumerations().items():
        for member in enum:
            english = label_of(member)
            words = [english, member.value.replace("_", " ")] + [i18n.gettext(lang, english) for lang in i18n.LANGUAGES]
            yield vocabulary, member.value, english, _words(*words)
    isced = isced_names()
    for code, name in isced.items():
        broader = [isced[code[:size]] for size in (3, 2) if size < len(code) and code[:size] in isced]
        yield "isced", code, name, _words(name, *broader)
    yield MEDICAL_FACULTY, "yes", "Medical or health faculty", _words(MEDICAL_FACULTY_WORDS)


def fill(conn: sqlite3.Connection, table: str = TABLE) -> None:
    """Write the labels table whole (``table`` may be schema-qualified)."""
    conn.execute(f"DELETE FROM {table}")
    conn.executemany(f"INSERT INTO {table} (vocabulary, value, label, words) VALUES (?, ?, ?, ?)", rows())


def isced_label(code: str) -> str | None:
    """An ISCED-F code's field name; a code the list lacks (08x8, 0919) reads as its broader field."""
    names = isced_names()
    for size in (len(code), 3, 2):
        if code[:size] in names:
            return names[code[:size]]
    return None
