"""Derive data/screening/china_defence_universities.csv from the ASPI tracker's MISP galaxy file.

Keeps the facts screening needs (names, aliases, categories, supervising agencies, research
topics, the tracker page) and drops ASPI's descriptions, which are not openly licensed.
Usage: python tools/derive_aspi_list.py [SOURCE_JSON] [OUTPUT_CSV]
(default source: ../shared/reference/aspi-china-defence-universities/china-defence-universities.json)
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.importers.screening import aspi_entity  # noqa: E402

SOURCE = ROOT.parent / "shared" / "reference" / "aspi-china-defence-universities" / "china-defence-universities.json"
OUTPUT = ROOT / "data" / "screening" / "china_defence_universities.csv"
COLUMNS = ("uuid", "name", "aliases", "categories", "supervising_agencies", "topics", "ref")


def derive(source: Path, output: Path) -> int:
    galaxy = json.loads(source.read_text(encoding="utf-8"))
    rows = []
    for value in galaxy["values"]:
        entity = aspi_entity(value["value"], value["uuid"], value.get("meta", {}))  # description left out
        rows.append({
            "uuid": entity["entity_id"],
            "name": entity["name"],
            "aliases": "; ".join(a.replace(";", ",") for a in entity["aliases"]),
            "categories": "; ".join(entity["categories"]),
            "supervising_agencies": "; ".join(entity["supervising_agencies"]),
            "topics": "; ".join(entity["topics"]),
            "ref": entity["source_url"] or "",
        })
    rows.sort(key=lambda row: row["name"])
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    output = Path(sys.argv[2]) if len(sys.argv) > 2 else OUTPUT
    if not source.exists():
        sys.exit(f"{source} not found: pass the path of china-defence-universities.json")
    print(f"wrote {derive(source, output)} entities to {output}")
