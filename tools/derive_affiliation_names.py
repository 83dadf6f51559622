"""Derive tests/data/names_affiliations.csv: a yardstick of short institution names as authors write them,
built from neither the charter list nor the world-universities list, used only for measuring.

tests/data/names_unseen.csv is drawn from the charter holders' and the world-universities list's names; once
those lists' names are indexed as aliases of the ROR records they belong to, it would measure its own labels
(the benchmark holds its names out of the index). This set keeps measuring honest from another source: the
affiliation strings of ROR's own matching test sets (Crossref, Springer, the matching logs; in
../shared/reference/ror-matching-eval, CC0), labelled there by hand with ROR ids.

Kept: texts of the held-out halves (the first byte of the text's SHA-1 is odd; the even halves were tuned
on), short enough to be a partner's name (at most 10 words, no digit, at most one comma), with exactly one
ROR id that is an active record of the shipped extract; its country is that record's. Run:
python tools/derive_affiliation_names.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import html
import json
import sys
from pathlib import Path

from derived_tables import ROR_EXTRACT as EXTRACT  # noqa: E402 (beside this script: on its path)
from derived_tables import write_table  # noqa: E402 (beside this script: on its path)

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "tests" / "data" / "names_affiliations.csv"
MAX_WORDS = 10


def extract_countries() -> dict[str, str]:
    countries = {}
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record.get("status") == "active" and record.get("country_code"):
                countries[record["id"].rsplit("/", 1)[-1]] = record["country_code"]
    return countries


def labelled_texts(folder: Path) -> list[tuple[str, list[str], str]]:
    """(text, ROR ids, set) of the three affiliation sets."""
    rows = []
    for name, file in (("crossref", "rorapi_dataset_affiliations_crossref_2024_02_19.json"),
                       ("springer", "rorapi_dataset_affiliations_springer_2023_10_31.json")):
        for row in json.loads((folder / file).read_text(encoding="utf-8")):
            rows.append((row["affiliation"], [i.rsplit("/", 1)[-1] for i in row["ror_ids"]], name))
    with (folder / "ame_20230903_affiliation_matching_logs.csv").open(encoding="utf-8-sig") as stream:
        for row in csv.DictReader(stream):
            ids = [] if row["ror_id"] == "NP" else [i.rsplit("/", 1)[-1] for i in row["ror_id"].split(";")]
            rows.append((row["affiliation"], ids, "logs"))
    return rows


def held_out(text: str) -> bool:
    return hashlib.sha1(text.encode("utf-8")).digest()[0] % 2 == 1


def name_like(text: str) -> bool:
    return len(text.split()) <= MAX_WORDS and not any(c.isdigit() for c in text) and text.count(",") <= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    folder = args.shared / "reference" / "ror-matching-eval"
    if not folder.is_dir():
        sys.exit(f"no ROR matching test sets at {folder}; give --shared")
    countries = extract_countries()
    picked, seen = [], set()
    for raw, ids, source in labelled_texts(folder):
        text = " ".join(html.unescape(raw).split())
        if len(ids) != 1 or ids[0] not in countries or text in seen or not held_out(raw) or not name_like(text):
            continue
        seen.add(text)
        picked.append((text, countries[ids[0]], ids[0], source))
    write_table(args.target, ["name", "country", "expected_ror", "category"], sorted(picked, key=lambda r: (r[3], r[1], r[0])))
    print(f"wrote {len(picked)} names ({len({r[1] for r in picked})} countries) to {args.target}")


if __name__ == "__main__":
    main()
