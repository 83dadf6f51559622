"""Derive data/matching/word_translations.csv: the English word a word of another script stands for, learnt from the
shipped ROR extract's own records that carry a name in that script beside their English name ("الأردنية" folded
'lardnyh' beside "Jordan" in three records or more: 'lardnyh' is jordan), so that a name ROR lists only in that
script ("جامعة العلوم والتكنولوجيا الأردنية") shares its words with the English names of the others.

A word of a name in Arabic, Persian, Hebrew, Cyrillic, Greek, Armenian, Georgian, Thai or an Indic script, folded as
matching folds it (its kind words already English), is kept where at least MIN_RECORDS records carry it and at least
SHARE of them carry the same English word (no function word, kind or the word itself), and no other English word as
often; never a word a name in Latin script uses ('hospital', 'tehran'), nor one of fewer than four letters.
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

from registry.matching import scripts, text  # noqa: E402

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
    scripts.NAME_SKELETONS.clear()  # nor the words read by their consonants (a word's meaning is learnt as written)
    carried: Counter[str] = Counter()
    latin: set[str] = set()  # the words names in Latin script use: English (or French ...) words, never translated
    together: dict[str, Counter[str]] = defaultdict(Counter)
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
    rows = []
    for word, records in carried.items():
        if records < MIN_RECORDS or not together[word] or len(word) < MIN_LETTERS or word in latin:
            continue
        (best, count), *rest = together[word].most_common(2) + [("", 0)]
        if count >= SHARE * records and count > rest[0][1] and best != word:
            rows.append((word, best, records))
    return sorted(rows)


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
