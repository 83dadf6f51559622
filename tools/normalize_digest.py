"""The SHA-256 of normalize() over every shipped reference name and every name of the test sets: a change meant
only to make normalising faster must leave it as it was (run it on both trees, each in a fresh process).

Names: both shipped reference files as the loader converts them, tests/data/names*.csv, names_unseen_negatives.txt.

    PYTHONPATH=. .venv/bin/python tools/normalize_digest.py   # -> names, distinct names, digest
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from registry.matching.text import normalize
from registry.reference import SHIPPED, SHIPPED_FOLDER, from_hipo, from_ror, open_reference

ROOT = Path(__file__).resolve().parent.parent


def names() -> list[str]:
    found = []
    for _, file in SHIPPED:
        reference = open_reference(SHIPPED_FOLDER / file)
        convert = from_hipo if reference.source == "hipo" else from_ror
        for row in reference.rows:
            found += [name["name"] for name in convert(row, reference.release)["names"]]
    for path in sorted((ROOT / "tests" / "data").glob("names*.csv")):
        with path.open(encoding="utf-8", newline="") as stream:
            found += [row["name"] for row in csv.DictReader(stream)]
    return found + (ROOT / "tests" / "data" / "names_unseen_negatives.txt").read_text(encoding="utf-8").splitlines()


def main() -> None:
    every = names()
    digest = hashlib.sha256()
    for name in every:
        digest.update(name.encode() + b"\0" + normalize(name).encode() + b"\n")
    print(len(every), len(set(every)), digest.hexdigest())


if __name__ == "__main__":
    main()
