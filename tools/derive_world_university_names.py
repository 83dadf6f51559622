"""Derive data/reference_institutions/world_universities_ror_names.csv: the names Hipo's world-universities
list gives universities the shipped ROR extract holds, found by web domain, to index as aliases of the ROR
record ("Norwegian University of Sport and Physical Education" for the Norwegian School of Sport Sciences).

A name is kept when one of the university's domains is the website host or a domain of exactly one active
record of the extract, in the same country, that no other university of the list reaches (a domain shared by
several universities is their owner's, not one's), and the name, normalised as name matching does, is none
of that record's names already.

Source: Hipo, university-domains-list, GitHub ``Hipo/university-domains-list``, commit
``bb07faf064e1c68be9b26fb71de31f01e361f974`` (2026-06-20), ``world_universities_and_domains.json``
(../shared/reference/hipo-university-domains), MIT licence (see data/reference_institutions/README.md).
Sorted output: a rerun writes the same bytes. Run: python tools/derive_world_university_names.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derived_tables import ROR_EXTRACT as EXTRACT  # noqa: E402 (beside this script: on its path)
from derived_tables import write_table  # noqa: E402 (beside this script: on its path)

from registry.matching import exact_key, normalize  # noqa: E402
from registry.matching.identifiers import web_host  # noqa: E402

FOLDER = ROOT / "data" / "reference_institutions"
TARGET = FOLDER / "world_universities_ror_names.csv"


def extract_records() -> tuple[dict[str, set[str]], dict[str, str], dict[str, set[str]]]:
    """Hosts to active education records' ROR ids, each id's country, each id's names as name matching keys them."""
    hosts: dict[str, set[str]] = defaultdict(set)
    countries, names = {}, defaultdict(set)
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record.get("status") != "active" or "education" not in (record.get("types") or []):
                continue  # a university's name is no hospital's, though they share the domain
            ident = record["id"].rsplit("/", 1)[-1]
            countries[ident] = record.get("country_code")
            for value in [link["value"] for link in record.get("links") or []] + list(record.get("domains") or []):
                host = web_host(value)
                if host:
                    hosts[host].add(ident)
            for name in record.get("names") or []:
                names[ident].add(exact_key(normalize(name["value"]).split()))
    return hosts, countries, names


def derive(source: Path) -> list[tuple[str, str, str]]:
    hosts, countries, names = extract_records()
    reached: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in json.loads(source.read_text(encoding="utf-8")):
        owners = set().union(*(hosts.get(web_host(d) or "", set()) for d in row.get("domains") or []))
        if len(owners) == 1:
            reached[next(iter(owners))].append((row["name"], row.get("alpha_two_code") or ""))
    kept = set()
    for ident, rows in reached.items():
        if len({name for name, _ in rows}) != 1:
            continue
        name, country = rows[0]
        if country == countries[ident] and exact_key(normalize(name).split()) not in names[ident]:
            kept.add((ident, country, name))
    return sorted(kept, key=lambda r: (r[1], r[2], r[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    source = args.shared / "reference" / "hipo-university-domains" / "world_universities_and_domains.json"
    if not source.exists():
        sys.exit(f"no world-universities list at {source}; give --shared")
    rows = derive(source)
    write_table(args.target, ["ror", "country", "name"], rows)
    print(f"wrote {len(rows)} names to {args.target}")


if __name__ == "__main__":
    main()
