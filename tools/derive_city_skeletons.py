"""Derive data/matching/city_skeletons.csv: the consonants of the cities of the shipped ROR extract in the countries
that write Arabic, Persian, Pashto, Urdu or Hebrew, so that a name ROR lists only in those scripts ("جامعة بنغازي",
folded 'bnghzy'; "دانشگاه کردستان", 'krdstn') shares its place's word with the English name (Benghazi, Kurdistan).

These scripts leave most vowels unwritten: a word folded to ASCII is a run of consonants with w, y and a for the long
vowels. The city's English name less its vowels (``registry.matching.scripts.skeleton``: 'benghazi' -> 'bngz',
'bnghzy' -> 'bngz') is what both spellings share. Kept: a skeleton of at least four letters that exactly one city of
those countries has (in the extract) and that is no skeleton of a city elsewhere, with the city as the extract writes
it, one word.

Source: data/reference_institutions/ror_education_healthcare_v2.9.jsonl.gz (ROR, CC0), the countries' official
languages from the Unicode CLDR data Babel ships (Unicode licence v3). Sorted output: a rerun writes the same bytes.
Run: python tools/derive_city_skeletons.py [--target data/matching/city_skeletons.csv]
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.languages import get_official_languages  # noqa: E402
from derived_tables import ROR_EXTRACT as EXTRACT  # noqa: E402 (beside this script: on its path)
from derived_tables import derive_main  # noqa: E402 (beside this script: on its path)

from registry.matching.scripts import ABJAD_LANGUAGES, SHORTEST_SKELETON, skeleton  # noqa: E402
from registry.text import fold  # noqa: E402

TARGET = ROOT / "data" / "matching" / "city_skeletons.csv"


def derive() -> list[tuple[str, str, str]]:
    places: dict[str, set[tuple[str, str]]] = defaultdict(set)  # skeleton -> {(city, country)}
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            city, country = fold(record.get("city") or "").lower(), record.get("country_code") or ""
            if city.isalpha():
                places[skeleton(city)].add((city, country))
    rows = []
    for form, found in places.items():
        if len(form) < SHORTEST_SKELETON or len(found) != 1:
            continue
        (city, country), = found
        if ABJAD_LANGUAGES & set(get_official_languages(country)):
            rows.append((form, city, country))
    return sorted(rows)


def main() -> None:
    derive_main(__doc__ or "", TARGET, ["skeleton", "city", "country"], lambda _: derive(), "cities' skeletons")


if __name__ == "__main__":
    main()
