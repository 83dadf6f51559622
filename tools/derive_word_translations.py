"""Derive data/matching/word_translations.csv: the English word a word of another script stands for, learnt from the
shipped ROR extract's own records that carry a name in that script beside their English name ("الأردنية" folded
'lardnyh' beside "Jordan" in three records or more: 'lardnyh' is jordan), so that a name ROR lists only in that
script ("جامعة العلوم والتكنولوجيا الأردنية") shares its words with the English names of the others.

A word of a name in Arabic, Persian, Hebrew, Cyrillic, Greek, Armenian, Georgian, Thai or an Indic script, folded as
matching folds it (its kind words already English), is kept where at least MIN_RECORDS records carry it and at least
SHARE of them carry the same English word (no function word, kind or the word itself), and no other English word as
often; never a word a name in Latin script uses ('hospital', 'tehran'), nor one of fewer than four letters.
A word of a name in another language written in Latin script ('Nezavisni univerzitet', 'Universidad Adventista') is
learnt the same way beside the record's English names (``Latin``), so that a legal or local name ROR lacks shares its
words with the English label ROR has ('adventista' is adventist, 'azerbaycan' azerbaijan).
Source: data/reference_institutions/ror_education_healthcare_v2.9.jsonl.gz (ROR v2.9, CC0). Sorted output: a rerun
writes the same bytes. Run:
python tools/derive_word_translations.py [--target data/matching/word_translations.csv]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derived_tables import ROR_EXTRACT as EXTRACT  # noqa: E402 (beside this script: on its path)
from derived_tables import derive_main  # noqa: E402 (beside this script: on its path)

from registry.matching import text  # noqa: E402

TARGET = ROOT / "data" / "matching" / "word_translations.csv"
MIN_RECORDS = 3
SHARE = 0.8
MIN_LETTERS = 4  # 'pri' (при, at) or 'tov' (ТОВ, a legal form) beside an English word is no translation of it
# The scripts whose words anyascii folds to letters an English name never shares (not CJK or Hangul: matching reads
# those a syllable at a time).
_OTHER_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0530-\u058f\u0590-\u05ff\u0600-\u06ff\u0900-\u0dff"
                           r"\u0e00-\u0eff\u10a0-\u10ff]")


def _words(name: str) -> set[str]:
    return {t for t in text.tokens_of(text.fold_name(name))
            if len(t) >= 3 and t.isalpha() and t not in text.STOPWORDS and t not in text.GENERIC}


def derive(held_out: frozenset[tuple[str, str]] = frozenset()) -> list[tuple[str, str, int]]:
    """``held_out``: (ROR id, name) pairs left out, for measuring on a sample of the extract's own names
    (``derive_unseen_names.py --forms``) without learning from them."""
    text.TRANSLATIONS.clear()  # what the table gives is not read while it is derived
    carried: Counter[str] = Counter()
    latin: set[str] = set()  # the words names in Latin script use: English (or French ...) words, never translated
    together: dict[str, Counter[str]] = defaultdict(Counter)
    national = Latin()
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            ror = record["id"].rsplit("/", 1)[-1]
            names = [n for n in record.get("names") or [] if "acronym" not in n.get("types", ())
                     and (ror, n["value"]) not in held_out]
            english = set().union(*(_words(n["value"]) for n in names if not _OTHER_SCRIPT.search(n["value"])))
            native = set().union(*(_words(n["value"]) for n in names if _OTHER_SCRIPT.search(n["value"])))
            latin |= english
            for word in native - english:
                carried[word] += 1
                together[word].update(english - native)  # not a word the name in that script says already
            national.read(names, record.get("city"))
    rows = []
    for word, records in carried.items():
        if records < MIN_RECORDS or not together[word] or len(word) < MIN_LETTERS or word in latin:
            continue
        (best, count), *rest = together[word].most_common(2) + [("", 0)]
        if count >= SHARE * records and count > rest[0][1] and best != word:
            rows.append((word, best, records))
    known = {word for word, _, _ in rows}
    return sorted(rows + [row for row in national.rows() if row[0] not in known])


# Languages whose Latin-script names are romanised a syllable at a time ('yi yuan', 'byouin'): no word to learn.
_SYLLABLES = frozenset(["zh", "ja", "ko", "vi", "th", "lo", "km", "my"])


class Latin:
    """Words of a name in another language written in Latin script ('Nezavisni univerzitet', 'Pädagogische
    Hochschule') learnt from the records that carry it beside an English name (a label or alias whose language is
    'en'), as the other scripts' are: at least MIN_RECORDS records, SHARE of them with the same English word. Besides:
    never a word any English name uses; never where another word of the same records claims that English word as
    often ('rumah sakit', both 'hospital'; 'baile atha cliath', all 'dublin'); a place ('warszawie' for warsaw) only
    where it begins as the place does ('fakultet' is no Belgrade, where most of ROR's faculties are); never a legal
    form or another body's word either way ('privada', 'fondation': the rules that read a legal name read them)."""

    def __init__(self) -> None:
        self.carried: Counter[str] = Counter()
        self.together: dict[str, Counter[str]] = defaultdict(Counter)
        self.english: set[str] = set()
        self.places: set[str] = set()
        self.records: dict[str, list[int]] = defaultdict(list)  # the records (by their order) a word is carried by
        self.read_records = 0

    def read(self, names: list[dict], city: str | None) -> None:
        self.read_records += 1
        self.places |= _words(city or "")
        english = set().union(*(_words(n["value"]) for n in names if n.get("lang") == "en"))
        self.english |= english
        if not english:
            return
        local = set().union(*(_words(n["value"]) for n in names if n.get("lang") not in (None, "en")
                              and n.get("lang") not in _SYLLABLES and not _OTHER_SCRIPT.search(n["value"])))
        for word in local - english:
            self.carried[word] += 1
            self.together[word].update(english - local)
            self.records[word].append(self.read_records)

    def rows(self) -> list[tuple[str, str, int]]:
        found = {}
        for word, records in self.carried.items():
            if (records < MIN_RECORDS or len(word) < MIN_LETTERS or word in self.english or not word.isascii()
                    or word in text.OTHER_BODY):
                continue
            (best, count), *rest = self.together[word].most_common(2) + [("", 0)]
            if count < SHARE * records or count <= rest[0][1] or best == word or best in text.OTHER_BODY:
                continue
            if best in self.places and word[:3] != best[:3]:
                continue
            found[word] = (best, records)
        rivals: dict[str, list[str]] = defaultdict(list)
        for word, (best, _) in found.items():
            rivals[best].append(word)
        return [(word, best, records) for word, (best, records) in found.items()
                if not any(other != word and self._together(word, other) for other in rivals[best])]

    def _together(self, word: str, other: str) -> bool:
        """Two words mostly carried by the same records: one phrase ('rumah sakit'), neither the English word alone."""
        shared = len(set(self.records[word]) & set(self.records[other]))
        return shared * 2 >= min(len(self.records[word]), len(self.records[other]))


def _hold_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hold-out", type=Path, action="append", default=[],
                        help="a sample CSV whose held_out (ROR id|name) pairs are left out (measuring only)")


def _derive(args: argparse.Namespace) -> list[tuple[str, str, int]]:
    held_out = set()
    for path in args.hold_out:
        with path.open(encoding="utf-8", newline="") as stream:
            held_out |= {tuple(row["held_out"].split("|", 1)) for row in csv.DictReader(stream) if row.get("held_out")}
    return derive(frozenset(held_out))


def main() -> None:
    derive_main(__doc__ or "", TARGET, ["written", "english", "records"], _derive, "words", _hold_out)


if __name__ == "__main__":
    main()
