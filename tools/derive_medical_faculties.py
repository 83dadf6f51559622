"""Derive data/reference_institutions/medical_faculties.csv: which organisations in ROR have a
unit (faculty, school, hospital, institute) of medicine or the health sciences, and which one.

ROR links a university to its units with parent/child relationships, and to its university
hospital often only as "related"; a unit counts when ROR types it ``healthcare`` (a hospital:
as child or related) or its names say medicine or health (as child)
(registry.models.health.py). An organisation whose own names say so counts too. Reads the
all-types ROR snapshot in ../shared (ror_records_normalized.jsonl.gz, ROR v2.9, CC0 1.0) and
writes one row per organisation, sorted, so the output is reproducible.

    python tools/derive_medical_faculties.py --shared ../shared
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
from pathlib import Path

from registry.models.health import names_say_health

OUT = Path(__file__).resolve().parent.parent / "data" / "reference_institutions" / "medical_faculties.csv"


def _short(ror_url: str) -> str:
    return ror_url.rsplit("/", 1)[-1]


def derive(records: list[dict]) -> dict[str, tuple[str, str]]:
    """ROR id -> (the unit that shows it, that unit's ROR id), for every organisation with one.
    A hospital unit is preferred to one whose name says so, and among equals the first by id."""
    by_id = {_short(r["id"]): r for r in records}
    found: dict[str, tuple[int, str, str]] = {}

    def health_unit(record: dict) -> tuple[int, str] | None:
        if "healthcare" in record.get("types", []):
            return 0, record["name"]
        named = names_say_health([record["name"]] + [n["value"] for n in record.get("names", [])])
        return (1, named) if named else None

    def offer(ror: str, rank: int, unit: str, unit_ror: str) -> None:
        if ror not in found or rank < found[ror][0]:
            found[ror] = (rank, unit, unit_ror)

    for ror, record in sorted(by_id.items()):
        types = record.get("types", [])
        if ("education" in types or "healthcare" in types) and (own := health_unit(record)):
            offer(ror, own[0], own[1], ror)
        for relation in record.get("relationships", []):
            other = _short(relation["id"])
            unit = health_unit(record)
            if relation["type"] == "parent" and unit:
                offer(other, unit[0], unit[1], ror)  # this unit shows that its parent has one
            elif relation["type"] == "related" and unit and unit[0] == 0:
                offer(other, 1, unit[1], ror)  # a hospital ROR relates to it: its university hospital
            elif relation["type"] == "child" and names_say_health([relation.get("label") or ""]):
                offer(ror, 2, relation["label"], other)
    return {ror: (unit, unit_ror) for ror, (_, unit, unit_ror) in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True)
    args = parser.parse_args()
    source = args.shared / "reference" / "ror" / "ror_records_normalized.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    found = derive(records)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["ror", "unit", "unit_ror"])
        for ror, (unit, unit_ror) in sorted(found.items()):
            writer.writerow([ror, unit, unit_ror])
    print(f"{len(found)} organisations with a medical or health unit -> {OUT}")


if __name__ == "__main__":
    main()
