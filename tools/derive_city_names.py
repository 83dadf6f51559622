"""Derive data/matching/city_names.csv: the names a city is written by in other languages ("Warszawa",
"Warschau", "Varsovie" for Warsaw; "Wien" for Vienna; "Kiev" for Kyiv), so that a partner name written with
one ("Technische Universität Wien") and a reference name with another ("Vienna University of Technology")
share the city's word.

Source: the exemplar cities of the time zones in the Unicode CLDR locale data that Babel ships
(``babel`` 2.19.0, CLDR 49; Unicode licence v3, https://www.unicode.org/license.txt), across its
languages (locales without a territory). The city's English name is the time zone's last part.
A name is kept when it is one word of at least four letters, written so in at least two languages or in an
official language of the zone's country (what the city's own people call it), is no
word matching treats otherwise (a kind, a function word, an abbreviation), names no other city here, and is
neither the city of an institution of the shipped ROR extract in another country ("Granada" is Grenada's in
Spanish, "Natal" Christmas Island's in Portuguese) nor a word of the name of an institution of another country
(a given name: "Maurice", "Sidney"), nor a common word (``WORDS``: "Room" is Rome's in Cornish, "Soul" Seoul's).
A name in another script is kept as matching folds it ("الخرطوم" is 'lkhrtwm', "Хартум" 'khartum'),
and only in an official language of the zone's country: a name ROR lists only natively ("جامعة الخرطوم") then
shares its city's word with the English name.
Multi-word names, and zones that are no place ("Etc/Unknown"), are left out. Sorted output: a rerun writes the
same bytes. Run:
python tools/derive_city_names.py [--target data/matching/city_names.csv]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import babel  # noqa: E402
from babel import Locale  # noqa: E402
from babel.core import get_global  # noqa: E402
from babel.languages import get_official_languages  # noqa: E402
from babel.localedata import locale_identifiers  # noqa: E402
from derived_tables import ROR_EXTRACT as EXTRACT  # noqa: E402 (beside this script: on its path)
from derived_tables import write_table  # noqa: E402 (beside this script: on its path)

from registry.matching.scripts import native_kinds  # noqa: E402
from registry.matching.text import ABBREVIATIONS, CANONICAL, GENERIC, QUALIFIERS, STOPWORDS  # noqa: E402
from registry.text import fold  # noqa: E402

TARGET = ROOT / "data" / "matching" / "city_names.csv"
MIN_LETTERS = 4
# Words the languages write a city as that are words in their own right (read by eye from the table).
WORDS = frozenset(["room", "soul", "tunes", "juno", "athena", "athene", "trol", "tule", "pert", "naso", "kata", "cita",
                   "gaja", "showa", "septe", "natal", "malte", "canaries", "kokos", "dominika", "madira", "rooma"])


def latin(text: str) -> bool:
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in text)


def as_matching_folds(text: str) -> str:
    """A name in any script folded as matching reads it, its kind words in English (not its places: those are what
    this table gives)."""
    return fold(native_kinds(text, places=False)).lower().replace("'", "").replace("`", "")


def one_word(text: str) -> str | None:
    folded = as_matching_folds(text)
    return folded if folded.isalpha() and len(folded) >= MIN_LETTERS else None


def elsewhere() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The countries each word is a city in, and the countries whose institutions' names carry it, in the extract."""
    cities: dict[str, set[str]] = defaultdict(set)
    words: dict[str, set[str]] = defaultdict(set)
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            country = record.get("country_code") or ""
            for word in fold(record.get("city") or "").lower().split():
                cities[word].add(country)
            for name in record.get("names") or []:
                for word in re.split(r"[^a-z]+", as_matching_folds(name["value"])):
                    words[word].add(country)
    return cities, words


def derive() -> list[tuple[str, str, str]]:
    territories = get_global("zone_territories")
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)  # (zone, written) -> languages
    for language in sorted(ident for ident in locale_identifiers() if "_" not in ident):
        zones = Locale.parse(language)._data.get("time_zones") or {}
        for zone in zones:
            city = zones[zone].get("city") if hasattr(zones[zone], "get") else None
            if city:
                seen[(zone, city)].add(language if latin(city) else f"native:{language}")
    cities_in, words_in = elsewhere()
    common = set(CANONICAL) | set(ABBREVIATIONS) | GENERIC | QUALIFIERS | STOPWORDS
    rows: dict[str, set[tuple[str, str]]] = defaultdict(set)  # written -> {(city, country)}
    for (zone, written), languages in seen.items():
        if zone.startswith("Etc/"):
            continue
        city = one_word(zone.rsplit("/", 1)[-1].replace("_", " "))
        country = territories.get(zone, "")
        variant = one_word(written)
        if not city or not variant or variant == city or variant in common:
            continue
        if cities_in.get(variant, set()) - {country} or words_in.get(variant, set()) - {country} or variant in WORDS:
            continue
        official = set(get_official_languages(country) if country else ())
        native = {language.removeprefix("native:") for language in languages if language.startswith("native:")}
        if native and native & official or len(languages - {f"native:{n}" for n in native}) >= 2 or languages & official:
            rows[variant].add((city, country))
    cities = {city for found in rows.values() for city, _ in found}
    return sorted((city, country, variant) for variant, found in rows.items() if len(found) == 1 and variant not in cities
                  for city, country in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    rows = derive()
    write_table(args.target, ["city", "country", "written"], rows)
    print(f"wrote {len(rows)} names of {len({r[0] for r in rows})} cities (Babel {babel.__version__}) to {args.target}")


if __name__ == "__main__":
    main()
