"""Derive data/erasmus/eche_identifiers.csv: every Erasmus charter holder's identifiers, with its ROR id
where the website or the name agrees.

One row per holder of the Erasmus Charter for Higher Education: Erasmus code (as the Commission writes
it, country prefix padded to three characters), PIC, SCHAC code (the website's host without 'www.', as
EWP uses it), ISO country, city, legal name, and the ROR id of the same organisation when

- ``website``: the ROR record's website or one of its domains has the same host (one ROR record only), or
- ``name``: the legal name, normalised as name matching does, is a name of exactly one ROR record of the
  same country.

Reads ../shared/reference/erasmus-eche/eche_holders.csv and ../shared/reference/ror/
ror_records_normalized.jsonl.gz (see their READMEs). The output is sorted, so a rerun on the same
sources writes the same bytes. Run: python tools/derive_erasmus_identifiers.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.matching import exact_key, normalize  # noqa: E402
from registry.matching.identifiers import erasmus_code, web_host  # noqa: E402

TARGET = ROOT / "data" / "erasmus" / "eche_identifiers.csv"
EU_TO_ISO = {"EL": "GR", "UK": "GB"}  # the Commission's country codes that differ from ISO 3166
COLUMNS = ["erasmus_code", "pic", "schac", "country", "city", "name", "ror", "ror_basis"]


def ror_keys(path: Path) -> tuple[dict[str, set[str]], dict[tuple[str, str], set[str]]]:
    """(host -> ROR ids, (country, name key) -> ROR ids) over the active records."""
    by_host: dict[str, set[str]] = defaultdict(set)
    by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record.get("status", "active") != "active":
                continue
            ident = record["id"].rsplit("/", 1)[-1]
            hosts = {web_host(link["value"]) for link in record.get("links") or [] if link.get("type") == "website"}
            hosts |= {web_host(domain) for domain in record.get("domains") or []}
            for host in hosts - {None}:
                by_host[host].add(ident)
            for name in record.get("names") or []:
                if "acronym" not in (name.get("types") or []):
                    by_name[(record.get("country_code"), exact_key(normalize(name["value"]).split()))].add(ident)
    return by_host, by_name


def charter_host(website: str) -> str | None:
    """The holder's web host, its SCHAC code in practice: the website's, else the first of a list
    ('www.uoi.gr / www.rc.uoi.gr') with stray spaces taken out ('www. hopitaux-st-maurice.fr')."""
    return web_host(website) or web_host(website.split(" / ")[0].replace(" ", ""))


def derive(shared: Path) -> list[list[str]]:
    by_host, by_name = ror_keys(shared / "reference" / "ror" / "ror_records_normalized.jsonl.gz")
    rows = []
    with (shared / "reference" / "erasmus-eche" / "eche_holders.csv").open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            code = erasmus_code(row["erasmus_code"])
            if not code:
                continue
            country = row["country_code_eu"].strip().upper()
            country = EU_TO_ISO.get(country, country)
            host = charter_host(row["website"])
            name = " ".join(row["legal_name"].split())
            ror, basis = "", ""
            if host and len(by_host.get(host, ())) == 1:
                ror, basis = next(iter(by_host[host])), "website"
            else:
                owners = by_name.get((country, exact_key(normalize(name).split())), set())
                if len(owners) == 1:
                    ror, basis = next(iter(owners)), "name"
            pic = row["pic"].strip()
            rows.append([code, pic if pic.isdigit() else "", host or "", country, " ".join(row["city"].split()).title(),
                         name, ror, basis])
    return sorted(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    if not (args.shared / "reference" / "erasmus-eche").is_dir():
        sys.exit(f"no ECHE list under {args.shared}; give --shared")
    rows = derive(args.shared)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with TARGET.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    joined = sum(1 for r in rows if r[6])
    print(f"wrote {len(rows)} holders to {TARGET.relative_to(ROOT)}; {joined} with a ROR id")


if __name__ == "__main__":
    main()
