"""Derive data/matching/word_translations.csv: the English word a word of another script stands for, learnt from the
shipped ROR extract's own records that carry a name in that script beside their English name ("الأردنية" folded
'lardnyh' beside "Jordan" in three records or more: 'lardnyh' is jordan), so that a name ROR lists only in that
script ("جامعة العلوم والتكنولوجيا الأردنية") shares its words with the English names of the others.

A word of a name in Arabic, Persian, Hebrew, Cyrillic, Greek, Armenian, Georgian, Thai or an Indic script, folded as
matching folds it (its kind words already English), is kept where at least MIN_RECORDS records carry it and at least
SHARE of them carry the same English word (no function word, kind or the word itself), and no other English word as
often; never a word a name in Latin script uses ('hospital', 'tehran'), nor one of fewer than four letters.

So too a word of a Latin-script label that ROR tags with another language than English (round names20: 'eesti'
Estonian, 'recherche' and 'investigacion' research, 'llundain' London), learnt the same way from the records that carry
such a label beside an English one (labels only: an alias may be a brand, 'Milenium' for a chain's medical centres),
where no name tagged English anywhere uses the word, and the English word is carried back: of the records with a label
in that language whose English label has the word and that label not, at least REVERSE_SHARE carry the word
('milenium' is not what the Spanish names of medical bodies say). Kinds are counted on both sides (a kind the label
says already is no partner of its other words). A word beside a kind is that kind only where MIN_KIND_RECORDS records
or more say so ('prifysgol', 'kikuu', 'colaiste', 'etat'), never the word for a faculty (a unit), nor a word the
normaliser reads already (a legal form, wrapper, function word, a level of body). Not the languages written in Latin
letters only as a romanisation (Chinese, Japanese, Korean, Vietnamese: 'yuan', 'bing' beside 'hospital').
Source: data/reference_institutions/ror_education_healthcare_v2.9.jsonl.gz (ROR v2.9, CC0). Sorted output: a rerun
writes the same bytes. Run:
python tools/derive_word_translations.py [--target data/matching/word_translations.csv]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

# The kinds the table gives are read as kinds when registry.matching is imported (text.LEARNT_KINDS), and their
# spellings with them: the table is learnt from the words as written, whatever it said before.
os.environ["REGISTRY_DERIVING_TRANSLATIONS"] = "1"
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


REVERSE_SHARE = 0.3
# A kind learnt so needs more records: three Irish labels of Dublin's colleges put 'baile' (town) beside 'college'.
MIN_KIND_RECORDS = 5
# A faculty is a unit: a Brazilian 'faculdade' is an institution (round names9), so the word is not read as the unit.
_UNITS = frozenset(["faculty", "department"])
# Languages ROR tags names with that are written in Latin letters here only as a romanisation of another script.
_ROMANISED = frozenset(["zh", "ja", "ko", "vi"])


# Words the normaliser gives a part of their own: a legal form or wrapper ('privada' is no 'private' university's word),
# a word that says a level of body ('hospitalier' says care), a function word.
_READ_ALREADY = text.LEGAL_FORMS | text.WRAPPERS | text.STOPWORDS | text.levels_words()


def _words(name: str) -> set[str]:
    return {t for t in text.tokens_of(text.fold_name(name))
            if len(t) >= 3 and t.isalpha() and t not in text.STOPWORDS and t not in text.GENERIC}


def derive(held_out: frozenset[tuple[str, str]] = frozenset()) -> list[tuple[str, str, int]]:
    """``held_out``: (ROR id, name) pairs left out, for measuring on a sample of the extract's own names
    (``derive_unseen_names.py --forms``) without learning from them."""
    text.TRANSLATIONS.clear()  # what the table gives is not read while it is derived (nor the kinds: set above)
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
    rows = _latin_rows(held_out)
    for word, records in carried.items():
        if records < MIN_RECORDS or not together[word] or len(word) < MIN_LETTERS or word in latin:
            continue
        (best, count), *rest = together[word].most_common(2) + [("", 0)]
        if count >= SHARE * records and count > rest[0][1] and best != word:
            rows.append((word, best, records))
    return sorted(rows)


def _kinds(name: str) -> set[str]:
    return {t for t in text.tokens_of(text.fold_name(name)) if t in text.GENERIC}


def _latin_rows(held_out: frozenset[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Words of Latin-script names tagged with another language than English, read as the English word (above)."""
    english_words: set[str] = set()  # every word of a name tagged English: never translated
    carried: Counter[str] = Counter()
    together: dict[str, Counter[str]] = defaultdict(Counter)
    lacking: Counter[tuple[str, str]] = Counter()  # (language, English word): records whose name in it lacks the word
    native_words: dict[str, Counter[str]] = defaultdict(Counter)  # (language, English word) -> words of those names
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            ror = record["id"].rsplit("/", 1)[-1]
            names = [n for n in record.get("names") or [] if "acronym" not in n.get("types", ())
                     and (ror, n["value"]) not in held_out]
            english_names = [n["value"] for n in names if n.get("lang") == "en"]
            english = set().union(*(_words(n) for n in english_names))
            english_words |= english
            english_names = [n["value"] for n in names if n.get("lang") == "en" and "label" in n["types"]]
            if not english_names:
                continue
            english = set().union(*(_words(n) for n in english_names))
            kinds = set().union(*(_kinds(n) for n in english_names))
            by_language: dict[str, set[str]] = defaultdict(set)
            for n in names:
                if "label" in n["types"] and n.get("lang") not in (None, "en") and n["lang"] not in _ROMANISED and not _OTHER_SCRIPT.search(n["value"]):
                    by_language[n["lang"]] |= _words(n["value"]) | _kinds(n["value"])
            english |= kinds
            for language, native in by_language.items():
                for word in native - english:
                    carried[word] += 1
                    together[word].update(english - native)
                for meaning in english - native:
                    lacking[language, meaning] += 1
                    native_words[language, meaning].update(native - english)
    languages: dict[str, Counter[str]] = defaultdict(Counter)
    for (language, meaning), words in native_words.items():
        for word, count in words.items():
            languages[word][language, meaning] += count
    rows = []
    for word, records in carried.items():
        if records < MIN_RECORDS or not together[word] or len(word) < MIN_LETTERS or word in english_words:
            continue
        (best, count), *rest = together[word].most_common(2) + [("", 0)]
        if count < SHARE * records or count <= rest[0][1] or best == word or word in _READ_ALREADY or (
                best in text.GENERIC and (records < MIN_KIND_RECORDS or best in _UNITS)):
            continue
        back = max((n / lacking[key] for key, n in languages[word].items() if key[1] == best), default=0.0)
        if back >= REVERSE_SHARE:
            rows.append((word, best, records))
    return rows


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
