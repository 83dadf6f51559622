"""Derive data/matching/name_skeletons.csv: the consonants of the words of the names ROR's shipped extract gives, in
Latin letters, to the institutions of the countries that write Arabic, Persian, Pashto, Urdu or Hebrew, so that a name
typed in those scripts ("جامعة تبوك", folded 'university tbwk') shares its own word with the English name (University
of Tabuk), as data/matching/city_skeletons.csv does for cities.

A word's skeleton is ``registry.matching.scripts.skeleton`` ('tabuk' and 'tbwk' are 'tbk'), its head whether it begins
with a vowel or which consonant (``skeleton_head``: a vowel the scripts write as alif or ayn, 'idlib' and 'إدلب' both
'V'). Kept: words of at least four letters that are no kind, qualifier or function word, keyed by head and a skeleton
of at least three letters that exactly one such word has and that is no city's skeleton (the city table reads first),
unless the extract's records that write a native word with that head and those consonants (at least three) never carry
the Latin word; a native word whose records lack the Latin word more often than they carry it is listed beside the key
(not_for: 'bhwth', بحوث, research, is no 'bhutto'; 'sydlh', صيدلة, pharmacy, no 'chadli').

Source: data/reference_institutions/ror_education_healthcare_v2.9.jsonl.gz (ROR, CC0), the countries' official
languages from the Unicode CLDR data Babel ships (Unicode licence v3). Sorted output: a rerun writes the same bytes.
Run: python tools/derive_name_skeletons.py [--target data/matching/name_skeletons.csv]
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.languages import get_official_languages  # noqa: E402
from derived_tables import ROR_EXTRACT as EXTRACT  # noqa: E402 (beside this script: on its path)
from derived_tables import derive_main  # noqa: E402 (beside this script: on its path)

from registry.matching.scripts import (  # noqa: E402
    ABJAD_LANGUAGES,
    ABJAD_WORD,
    SHORTEST_NAME_SKELETON,
    city_skeletons,
    native_kinds,
    native_letters,
    native_word_key,
    skeleton,
    skeleton_head,
)
from registry.matching.text import GENERIC, QUALIFIERS, STOPWORDS  # noqa: E402
from registry.text import fold  # noqa: E402

TARGET = ROOT / "data" / "matching" / "name_skeletons.csv"
SHORTEST_WORD = 4  # letters: shorter words are articles, particles and acronyms
OTHER_WORDS_RECORDS = 3  # records writing native words with a key's consonants, none its Latin word: the key is left out


def derive() -> list[tuple[str, str, str]]:
    words: dict[tuple[str, str], set[str]] = defaultdict(set)  # (head, skeleton) -> {word}
    abjad: dict[str, bool] = {}
    written: list[tuple[set[str], set[tuple[tuple[str, str], str]]]] = []  # a record's Latin words, its native words' keys
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            country = record.get("country_code") or ""
            if country not in abjad:
                abjad[country] = bool(ABJAD_LANGUAGES & set(get_official_languages(country)))
            latin: set[str] = set()
            native: set[tuple[tuple[str, str], str]] = set()  # (key, the native word as folded)
            for name in record.get("names") or []:
                if ABJAD_WORD.search(name["value"]):
                    native.update((key, native_letters(word)) for word in
                                  ABJAD_WORD.findall(native_kinds(name["value"], places=False))
                                  if (key := native_word_key(word)))
                    continue
                latin.update(re.findall(r"[a-z]+", fold(name["value"]).lower()))
            if native:
                written.append((latin, native))
            if not abjad[country]:
                continue
            for word in latin:
                if len(word) < SHORTEST_WORD or word in GENERIC or word in QUALIFIERS or word in STOPWORDS:
                    continue
                form = skeleton(word)
                if len(form) >= SHORTEST_NAME_SKELETON:
                    words[(skeleton_head(word), form)].add(word)
    cities = city_skeletons()
    table = {key: next(iter(found)) for key, found in words.items() if len(found) == 1 and key[1] not in cities}
    # the records that write a native word with those consonants: a native word that more of its records write without
    # the Latin word than with it is another word, named beside the key ('صيدلة', pharmacy, is no 'chadli'; 'بحوث',
    # research, no 'bhutto'); a key that such records only ever write without it is left out
    agree: Counter[tuple[str, str]] = Counter()
    disagree: Counter[tuple[str, str]] = Counter()
    by_word: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)  # key -> native word -> agree - disagree
    for latin, native in written:
        for key, word in native:
            if key in table:
                said = table[key] in latin
                (agree if said else disagree)[key] += 1
                by_word[key][word] += 1 if said else -1
    return sorted((head, form, word, " ".join(sorted(w for w, n in by_word[(head, form)].items() if n < 0)))
                  for (head, form), word in table.items()
                  if agree[(head, form)] or disagree[(head, form)] < OTHER_WORDS_RECORDS)


def main() -> None:
    derive_main(__doc__ or "", TARGET, ["head", "skeleton", "word", "not_for"], lambda _: derive(), "names' word skeletons")


if __name__ == "__main__":
    main()
