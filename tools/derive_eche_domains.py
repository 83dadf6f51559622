"""Derive data/ewp/eche_domains.csv: web domain -> Erasmus code, PIC, country, legal name.

An EWP IIA names institutions by SCHAC code (hei-id), which is in practice the institution's
main web domain; the European Commission's list of Erasmus Charter (ECHE) holders gives each
holder's website, Erasmus code and PIC. Joining the two lets `registry ewp import` find an
institution the registry knows by Erasmus code or PIC but not yet by SCHAC code.

Reads ../shared/reference/erasmus-eche/eche_holders.csv (see its README) and keeps only the
facts needed. Run: python tools/derive_eche_domains.py [SOURCE_CSV]
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout, or ../../shared from a worktree in a folder of worktrees
SOURCES = [base / "shared" / "reference" / "erasmus-eche" / "eche_holders.csv" for base in ROOT.parents[:2]]
TARGET = ROOT / "data" / "ewp" / "eche_domains.csv"
EU_TO_ISO = {"EL": "GR", "UK": "GB"}  # the Commission's country codes that differ from ISO 3166
SCHAC_LIKE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")  # what a hei-id can be (no IDN, no ports)


def domain(website: str) -> str | None:
    website = website.strip()
    if not website:
        return None
    host = urlparse(website if "://" in website else f"http://{website}").hostname or ""
    host = host.replace(" ", "").lower().strip(".")
    host = host[4:] if host.startswith("www.") else host
    return host if SCHAC_LIKE.match(host) else None


def main(source: Path) -> None:
    rows = []
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            host = domain(row["website"])
            code = row["erasmus_code"].strip()
            if not host or not code:
                continue
            country = row["country_code_eu"].strip().upper()
            rows.append([host, code, row["pic"].strip(), EU_TO_ISO.get(country, country), row["legal_name"].strip()])
    rows.sort()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with TARGET.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["domain", "erasmus_code", "pic", "country", "legal_name"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    found = [Path(sys.argv[1])] if len(sys.argv) > 1 else [p for p in SOURCES if p.is_file()]
    if not found:
        sys.exit(f"no ECHE list at {' or '.join(map(str, SOURCES))}; pass its path")
    main(found[0])
