"""Derive data/labels/country_names.csv: the names search finds each country by, from the Unicode CLDR.

The ``labels`` table (``registry.db.vocabulary``) gives every country its names in English, Swedish,
the languages most partners write in (``vocabulary.SEARCH_LANGUAGES``) and the country's own
official languages (CLDR's, and ``registry.countries.LOCAL_LANGUAGES``). Reading those from
Babel's locale data takes about a hundred locales and a second or two in every process that makes
a registry; this table holds the result, one row per country and language, in the order search
reads them (a name an earlier language already gave is not repeated). The registry reads the table;
Babel is needed only here.

Its first line names the CLDR and Babel versions it was derived with; tests/test_labels_data.py
checks that it equals what this script derives from the installed Babel of that version.

    python tools/derive_country_names.py            # write the table
    python tools/derive_country_names.py --check    # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import sys
from pathlib import Path

import babel
from babel import Locale, UnknownLocaleError, languages
from babel.core import get_cldr_version

from registry import countries
from registry.db import vocabulary

ROOT = Path(__file__).resolve().parent.parent
TARGET = vocabulary.COUNTRY_NAMES_FILE
HEADER = ["code", "language", "name"]


def source_line(date: str) -> str:
    return (f"# Unicode CLDR {get_cldr_version()} via Babel {babel.__version__} (Unicode License v3); "
            f"derived {date} by tools/derive_country_names.py")


def _territories(language: str, cache: dict[str, dict[str, str]]) -> dict[str, str]:
    if language not in cache:
        try:
            cache[language] = dict(Locale.parse(language).territories)
        except (ValueError, LookupError, UnknownLocaleError):  # a language CLDR has no locale for
            cache[language] = {}
    return cache[language]


def rows() -> list[list[str]]:
    """(code, language, name) for every country code the registry knows, as CLDR names it."""
    cache: dict[str, dict[str, str]] = {}
    found = []
    for code in vocabulary.country_codes():
        own = languages.get_official_languages(code, de_facto=True) + countries.LOCAL_LANGUAGES.get(code, ())
        seen: set[str] = set()
        for language in dict.fromkeys(("en", *vocabulary.SEARCH_LANGUAGES, *own)):
            name = _territories(language, cache).get(code)
            if name and name not in seen:
                seen.add(name)
                found.append([code, language, name])
    return found


def table_rows(text: str) -> list[list[str]]:
    """The rows of a table as written (its header and source line left out)."""
    return list(csv.reader(line for line in io.StringIO(text) if not line.startswith("#")))[1:]


def derive(date: str, found: list[list[str]]) -> str:
    out = io.StringIO()
    out.write(source_line(date) + "\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(found)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the table differs from what Babel gives")
    args = parser.parse_args()
    if args.check:
        shipped = TARGET.read_text(encoding="utf-8")
        if table_rows(shipped) != rows():
            sys.exit(f"{TARGET.relative_to(ROOT)} is out of date: run tools/derive_country_names.py")
        print(f"{TARGET.relative_to(ROOT)} is up to date")
        return
    found = rows()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(derive(datetime.date.today().isoformat(), found), encoding="utf-8")
    print(f"wrote {len(found)} rows to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
