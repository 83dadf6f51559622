"""Derive data/reference_institutions/world_universities_not_in_ror.json.gz: the universities of Hipo's
world-universities list that the shipped ROR extract lacks.

A university is left out when one of its domains is a ROR record's website host or domain, or when its
name, normalised as name matching does, is a name of a ROR record in the same country: ROR already
answers for it, with identifiers. What is left (Cairo University, University of Tehran ... in the partial
ROR snapshot) backs the extract, in Hipo's own format, so ``registry reference load`` reads it as Hipo.

Reads ../shared/reference/hipo-university-domains/world_universities_and_domains.json (MIT licence) and
data/reference_institutions/ror_education_healthcare_v2.9.jsonl.gz. Sorted output: a rerun writes the
same bytes. Run: python tools/derive_world_universities.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derived_tables import ROR_EXTRACT as EXTRACT  # noqa: E402 (beside this script: on its path)

from registry.matching import exact_key, normalize  # noqa: E402
from registry.matching.identifiers import web_host  # noqa: E402

FOLDER = ROOT / "data" / "reference_institutions"
TARGET = FOLDER / "world_universities_not_in_ror.json.gz"
KEPT = ("name", "alpha_two_code", "country", "state-province", "domains", "web_pages")


def ror_keys() -> tuple[set[str], set[tuple[str, str]]]:
    hosts, names = set(), set()
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            hosts.update(web_host(link["value"]) for link in record.get("links") or [])
            hosts.update(web_host(domain) for domain in record.get("domains") or [])
            for name in record.get("names") or []:
                if "acronym" not in (name.get("types") or []):
                    names.add((record.get("country_code"), exact_key(normalize(name["value"]).split())))
    return hosts - {None}, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    source = args.shared / "reference" / "hipo-university-domains" / "world_universities_and_domains.json"
    if not source.exists():
        sys.exit(f"no world-universities list at {source}; give --shared")
    hosts, names = ror_keys()
    kept = []
    for row in json.loads(source.read_text(encoding="utf-8")):
        own_hosts = {web_host(d) for d in row.get("domains") or []} | {web_host(u) for u in row.get("web_pages") or []}
        if own_hosts & hosts or (row.get("alpha_two_code"), exact_key(normalize(row["name"]).split())) in names:
            continue
        kept.append({key: row.get(key) for key in KEPT})
    kept.sort(key=lambda r: (r["alpha_two_code"] or "", r["name"]))
    text = json.dumps(kept, ensure_ascii=False, indent=0) + "\n"
    with gzip.GzipFile(TARGET, "wb", mtime=0) as stream:  # mtime 0: the same bytes on every run
        stream.write(text.encode("utf-8"))
    print(f"wrote {len(kept)} universities to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
