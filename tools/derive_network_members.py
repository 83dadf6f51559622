"""Derive the institution records of network members and example partners from ROR.

Two small hand-kept tables say *who*:

- ``tools/institutions.csv``: one row per institution with our id, the English name the office
  uses, country and kind, plus hand-kept facts for what ROR lacks or gets wrong (local name,
  acronym, city, website, coordinates, former names, SCHAC code; ``ror`` pins a record when a name is
  ambiguous);
- ``tools/network_members.csv``: network, institution id, role, year joined.

The ROR extract in ``../shared/reference/ror/ror_education_healthcare.jsonl`` (CC0) says the
rest: ROR id, city, coordinates, website and every name with its language. The script writes

- ``data/reference/networks.yml``: the networks and every member institution;
- ``data/examples/partner_institutions.yml``: the other real institutions that the fictitious
  example agreements name (partners outside the networks, a hospital, municipalities).

The home institution (``lund-university``) is kept by hand in ``data/reference/home.yml``.
Where an institution is not in the ROR extract, the hand-kept facts stand alone and ``ror`` is
left empty, for a data-quality check to flag.

    python tools/derive_network_members.py            # write both files
    python tools/derive_network_members.py --check    # exit 1 if they are out of date
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from registry.text import fold

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
# ../shared beside the checkout (or beside the folder of worktrees that holds it)
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "reference").is_dir()), ROOT.parent / "shared")
ROR_EXTRACT = SHARED / "reference" / "ror" / "ror_education_healthcare.jsonl"
NETWORKS_OUT = ROOT / "data" / "reference" / "networks.yml"
PARTNERS_OUT = ROOT / "data" / "examples" / "partner_institutions.yml"
HOME_ID = "lund-university"
RETRIEVED_ON = "2026-11-21"
ROR_SOURCE = "ROR data (Research Organization Registry), ror-community/ror-records up to release v2.9, 2026-06-23"

# Languages whose ROR labels count as an institution's local-language name, by country.
LOCAL_LANGUAGES = {
    "AT": ["de"], "BE": ["nl", "fr"], "BR": ["pt"], "CH": ["de", "fr", "it"], "CL": ["es"],
    "CN": ["zh"], "CZ": ["cs"], "DE": ["de"], "DK": ["da"], "EE": ["et"], "ES": ["es"],
    "FI": ["fi", "sv"], "FR": ["fr"], "HK": ["zh"], "HU": ["hu"], "ID": ["id"], "IS": ["is"],
    "IT": ["it"], "JP": ["ja"], "KR": ["ko"], "MX": ["es"], "NL": ["nl"], "NO": ["nb", "no", "nn"],
    "PL": ["pl"], "PT": ["pt"], "RS": ["sr"], "RU": ["ru"], "SE": ["sv"], "SI": ["sl"],
    "TH": ["th"], "VN": ["vi"],
}

NETWORKS = {
    "u21": {
        "name": "Universitas 21",
        "acronym": "U21",
        "description": (
            "Global network of research-intensive universities, founded in Melbourne in 1997. Its own pages "
            "gave 29 members in 2021 and 28 in 2022; Universitas Gadjah Mada joined in 2023. This list holds the "
            "28 members we could confirm from public pages: check universitas21.com for the current list."
        ),
        "website": "https://universitas21.com",
        "strategic": False,
        "source_url": "https://universitas21.com",
    },
    "u21-hsg": {
        "name": "Universitas 21 Health Sciences Group",
        "acronym": "U21 HSG",
        "description": (
            "The health-sciences faculties of U21 members (medicine, nursing and midwifery, dentistry, "
            "pharmacy, health and rehabilitation sciences, public health), founded in 2000. The Faculty of "
            "Medicine's page counts 19 universities and u21health.org 20; no public page lists them, so this "
            "list holds only the U21 members with public evidence of taking part (hosting the group's annual "
            "meeting or its founding meeting, or a faculty page naming the membership)."
        ),
        "website": "https://u21health.org",
        "strategic": True,
        "source_url": "https://u21health.org",
    },
    "eugloh": {
        "name": "European University Alliance for Global Health",
        "acronym": "EUGLOH",
        "description": (
            "European University alliance under the European Universities Initiative, founded in 2019 by "
            "five universities (Paris-Saclay, Lund, LMU Munich, Porto, Szeged); Alcalá, Hamburg, Novi Sad and UiT "
            "joined in its second phase."
        ),
        "website": "https://www.eugloh.eu",
        "strategic": True,
        "source_url": "https://www.eugloh.eu/about-eugloh/",
    },
    "leru": {
        "name": "League of European Research Universities",
        "acronym": "LERU",
        "description": "Network of 23 research-intensive European universities, founded in 2002.",
        "website": "https://www.leru.org",
        "strategic": False,
        "source_url": "https://www.leru.org/members",
    },
    "game": {
        "name": "Global Alliance of Medical Excellence",
        "acronym": "GAME",
        "description": (
            "Network of medical schools for joint research projects and medical education, founded in 2017 at "
            "the Chinese University of Hong Kong by nine core institutions. Members here are those named on "
            "game-med.net's project and meeting pages, plus Lund University, whose Faculty of Medicine names "
            "GAME among its strategic networks (action plan 2025-2027); the alliance spoke of eight members "
            "in 2023 and 2025, so this list may not match its current membership exactly."
        ),
        "website": "https://www.game-med.net",
        "strategic": True,
        "source_url": "https://www.game-med.net",
    },
}

SCHAC_NOTE = (
    "SCHAC codes (EWP hei-ids) of the Erasmus partners are hand-kept in tools/institutions.csv: the institution's "
    "domain in the Erasmus Charter for Higher Education holders list (European Commission/EACEA, 2021-2027; "
    "data/erasmus/eche_identifiers.csv)."
)

NETWORKS_ABOUT = {
    "title": "University networks relevant to the Faculty of Medicine and their member institutions",
    "source_url": "https://universitas21.com",
    "retrieved_on": RETRIEVED_ON,
    "licence": "Facts (memberships) from public pages; institution data from ROR, CC0 1.0",
    "note": (
        "Membership lists were compiled on 2026-11-21 from the networks' public member pages: "
        "https://universitas21.com (U21), https://u21health.org and the Lund University Faculty of Medicine's "
        "'International collaborations' page at https://www.medicine.lu.se (U21 HSG: 19 universities), "
        "https://www.eugloh.eu/about-eugloh/ (EUGLOH: 9), https://www.leru.org/members (LERU: 23) and "
        "https://www.game-med.net (GAME). Memberships change: check these pages before relying on a list. "
        "Each network's description says where its list is incomplete. Institution ids, English names and "
        "kinds are ours; ROR ids, cities, coordinates (city level), websites and names come from "
        f"{ROR_SOURCE}, CC0 1.0. Generated by tools/derive_network_members.py from tools/institutions.csv "
        "and tools/network_members.csv: edit those and re-run, do not edit this file by hand. " + SCHAC_NOTE
    ),
}

PARTNERS_ABOUT = {
    "title": "Real institutions named by the fictitious example agreements",
    "source_url": "https://ror.org",
    "retrieved_on": RETRIEVED_ON,
    "licence": "ROR data, CC0 1.0; municipal facts from the municipalities' own websites",
    "note": (
        "These institutions are real, and so are their facts; the agreements in data/examples/ that name "
        "them are FICTITIOUS examples. Universities and hospitals: ROR ids, cities, coordinates (city level), "
        f"websites and names from {ROR_SOURCE}, CC0 1.0. Municipalities are not in ROR: names, websites and "
        "city-centre coordinates are hand-kept in tools/institutions.csv (City of Lund's cooperation "
        "partners and twin towns as listed on https://lund.se). An institution missing from the ROR extract "
        "keeps an empty ror. Generated by tools/derive_network_members.py: edit tools/institutions.csv and "
        "re-run, do not edit this file by hand. " + SCHAC_NOTE
    ),
}


def normalise(text: str) -> str:
    """Letters and digits only, transliterated to lower-case ASCII: the key names are matched on."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


class RorIndex:
    def __init__(self, path: Path):
        self.by_id: dict[str, dict] = {}
        self.by_name: dict[tuple[str, str], list[dict]] = defaultdict(list)
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                ror_id = record["id"].rsplit("/", 1)[-1]
                self.by_id[ror_id] = record
                for name in {n["value"] for n in record["names"]}:
                    self.by_name[(record["country_code"], normalise(name))].append(record)

    def find(self, row: dict[str, str]) -> dict | None:
        """The one active ROR record for a row; an error if the row's names are ambiguous."""
        if row["ror"]:
            if row["ror"] not in self.by_id:
                raise SystemExit(f"{row['id']}: pinned ROR id {row['ror']} is not in the extract")
            return self.by_id[row["ror"]]
        candidates: dict[str, dict] = {}
        for name in (row["name"], row["local_name"]):
            for record in self.by_name.get((row["country"], normalise(name)), []) if name else []:
                if record["status"] == "active":
                    candidates[record["id"]] = record
        if len(candidates) > 1:
            found = ", ".join(f"{r['id']} ({r['name']})" for r in candidates.values())
            raise SystemExit(f"{row['id']}: several ROR records match {row['name']!r}: {found}; pin one in the ror column")
        return next(iter(candidates.values()), None)


def website_of(record: dict) -> str | None:
    return next((link["value"] for link in record["links"] if link["type"] == "website"), None)


def local_name_of(record: dict, row: dict[str, str]) -> str | None:
    languages = LOCAL_LANGUAGES.get(row["country"], [])
    labels = [n for n in record["names"] if {"label", "ror_display"} & set(n["types"]) and n["lang"] in languages]
    labels.sort(key=lambda n: languages.index(n["lang"]))
    for label in labels:
        if label["value"] != row["name"]:
            return label["value"]
    return None


def institution(row: dict[str, str], record: dict | None) -> dict:
    """The institution mapping as the seed loader reads it: hand-kept facts win over ROR's."""
    former = [name for name in row["former_names"].split(";") if name]
    names: list[dict] = []
    out: dict = {"id": row["id"], "name": row["name"]}
    if record is not None:
        out["local_name"] = row["local_name"] or local_name_of(record, row)
        acronyms = [n["value"] for n in record["names"] if "acronym" in n["types"]]
        out["acronym"] = row["acronym"] or (acronyms[0] if acronyms else None)
        out.update(
            kind=row["kind"],
            country=row["country"],
            city=row["city"] or record["city"],
            website=row["website"] or website_of(record),
            schac=row["schac"] or None,
            ror=record["id"].rsplit("/", 1)[-1],
            latitude=float(row["latitude"]) if row["latitude"] else record["lat"],
            longitude=float(row["longitude"]) if row["longitude"] else record["lng"],
        )
        local_languages = LOCAL_LANGUAGES.get(row["country"], [])
        for name in record["names"]:
            value, types, language = " ".join(name["value"].split()), name["types"], name["lang"]
            if value in former or value == row["name"]:
                continue
            if "acronym" in types:
                kind = "acronym"
            elif value == out["local_name"] or ("label" in types and language in local_languages):
                kind = "local"
            else:
                kind = "alias"
            names.append({"name": value, "kind": kind, "language": language})
    else:
        out.update(
            local_name=row["local_name"] or None,
            acronym=row["acronym"] or None,
            kind=row["kind"],
            country=row["country"],
            city=row["city"] or None,
            website=row["website"] or None,
            schac=row["schac"] or None,
            ror=None,
            latitude=float(row["latitude"]) if row["latitude"] else None,
            longitude=float(row["longitude"]) if row["longitude"] else None,
        )
    names += [{"name": value, "kind": "former", "language": None} for value in former]
    seen: set[str] = set()
    unique = []
    for name in names:
        if name["name"] not in seen:
            seen.add(name["name"])
            unique.append({k: v for k, v in name.items() if v is not None})
    out = {k: v for k, v in out.items() if v is not None}
    if unique:
        out["names"] = unique
    return out


class _Flow(dict):
    """A mapping written on one line, so a name list reads as a list."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))


def dump(document: dict) -> str:
    def flow_names(item: dict) -> dict:
        if "names" in item:
            item = dict(item, names=[_Flow(n) for n in item["names"]])
        if "members" in item:
            item = dict(item, members=[_Flow(m) for m in item["members"]])
        return item

    document = {key: [flow_names(i) for i in value] if isinstance(value, list) else value for key, value in document.items()}
    header = "# Generated by tools/derive_network_members.py; edit tools/*.csv and re-run.\n"
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=200, default_flow_style=False)


def derive(ror_path: Path = ROR_EXTRACT) -> dict[Path, str]:
    """The text of each output file."""
    index = RorIndex(ror_path)
    rows = read_csv(TOOLS / "institutions.csv")
    memberships = read_csv(TOOLS / "network_members.csv")
    known = {row["id"] for row in rows} | {HOME_ID}
    for membership in memberships:
        if membership["network"] not in NETWORKS:
            raise SystemExit(f"network_members.csv: unknown network {membership['network']!r}")
        if membership["institution"] not in known:
            raise SystemExit(f"network_members.csv: unknown institution {membership['institution']!r}")
    members = {m["institution"] for m in memberships}
    network_institutions, partner_institutions, missing = [], [], []
    for row in rows:
        record = index.find(row)
        if record is None:
            missing.append(row["id"])
        (network_institutions if row["id"] in members else partner_institutions).append(institution(row, record))
    networks = []
    for network_id, facts in NETWORKS.items():
        listed = [m for m in memberships if m["network"] == network_id]
        entry = {"id": network_id, **facts, "retrieved_on": RETRIEVED_ON}
        entry["members"] = [
            {k: v for k, v in {"institution": m["institution"], "role": m["role"], "since": int(m["since"]) if m["since"] else None}.items() if v is not None}
            for m in listed
        ]
        networks.append(entry)
    if missing:
        print(f"not in the ROR extract (ror left empty): {', '.join(missing)}", file=sys.stderr)
    return {
        NETWORKS_OUT: dump({"about": NETWORKS_ABOUT, "institutions": network_institutions, "networks": networks}),
        PARTNERS_OUT: dump({"about": PARTNERS_ABOUT, "institutions": partner_institutions}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ror", type=Path, default=ROR_EXTRACT, help="ROR extract (JSON lines)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files differ")
    args = parser.parse_args()
    outputs = derive(args.ror)
    stale = [path for path, text in outputs.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run tools/derive_network_members.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
