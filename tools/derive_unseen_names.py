"""Derive tests/data/names_unseen.csv: a labelled yardstick built differently from tests/data/names.csv,
used only for measuring, never for tuning.

The names are other lists' names, labelled by identifiers rather than by names, so no name was chosen
because the matcher gets it right:

- ``eche``: the legal name (often in capitals, in the local language) of Erasmus charter holders whose
  website host is the website or a domain of exactly one ROR record in the shipped extract;
- ``world``: the name in Hipo's world-universities list of a university one of whose domains is the
  website or a domain of exactly one ROR record in the shipped extract (200 countries);
- ``negative``: names that must match nothing, from tests/data/names_unseen_negatives.txt (companies,
  agencies, networks, municipalities, fictitious universities), written by hand.

Countries are taken round-robin, so small countries are represented as well as large ones. Run:
python tools/derive_unseen_names.py [--shared ../shared] [--per-source 300]

A tuning sample drawn the same way from other rows (to look at its failures, which this set's never are):
python tools/derive_unseen_names.py --seed 7 --exclude tests/data/names_unseen.csv --target /tmp/tuning.csv

``--messy SEED`` writes each name as people mistype it instead, one way per name, chosen at random: in lower
case, in title case, in capitals, with kind words abbreviated ("Univ.", "Inst.", "HS"), or with two letters of a
long word swapped. The lists' names are indexed as aliases (docs/matching.md), so a sample of them measures how
well the matcher finds a listed name typed carelessly.

``--forms SEED`` draws a sample of another kind, for tuning once the charter list is drawn out (every charter
holder labelled by its website is in names_unseen.csv or an earlier sample): names written as names_unseen.csv's
hardest kinds are, from the shipped ROR extract's own records (one name per record, countries round-robin), each
labelled with that record:

- ``forms-label``: a label in the national language (Pontificia Universidad Católica del Perú) of a record
  that has another label; the label is held out of the index when measured (column ``held_out``: the
  reference id and the name), so the record must be found by its other names, as a legal name ROR lacks;
- ``forms-alias``: an alias (another or former name: "Beijing University"), held out the same way;
- ``forms-display``: the record's name with what an office adds: its city, campus, country or acronym, after a
  comma, a dash or in brackets ("Universidad de Chile - Santiago", "... (UCH)", "..., Santiago campus");
- ``forms-acronym``: its acronym with its city ("UPM Madrid", "KTH, Stockholm").

A label or alias is written with such an addition two times in five. Measure with
``registry.name_indexes.hold_out_alias_names(names, labels)``, given the ``held_out`` column's names and pairs.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derived_tables import ROR_EXTRACT as EXTRACT  # noqa: E402 (beside this script: on its path)

from registry.matching.identifiers import web_host  # noqa: E402

ABBREVIATED = [(r"\bUniversity\b", "Univ."), (r"\bUNIVERSITY\b", "UNIV"), (r"\bInstitute\b", "Inst."),
               (r"\bTechnology\b", "Tech."), (r"\bUniversidad\b", "Univ."), (r"\bUniversität\b", "Uni"),
               (r"\bHochschule\b", "HS"), (r"\bCollege\b", "Coll.")]


def messy(name: str, rng: random.Random) -> str:
    """The name as someone might type it: one of five slips, chosen at random."""
    way = rng.choice(["lower", "title", "upper", "abbreviated", "typo"])
    if way == "lower":
        return name.lower()
    if way == "title":
        return name.title()
    if way == "upper":
        return name.upper()
    if way == "abbreviated":
        for pattern, short in ABBREVIATED:
            name = re.sub(pattern, short, name)
        return name
    words = name.split()
    long_words = [i for i, word in enumerate(words) if len(word) >= 7]
    if not long_words:
        return name
    i = rng.choice(long_words)
    k = rng.randrange(1, len(words[i]) - 2)
    words[i] = words[i][:k] + words[i][k + 1] + words[i][k] + words[i][k + 2:]  # two letters swapped
    return " ".join(words)

DECORATIONS = ["{name}, {city}", "{name} - {city}", "{name} ({acronym})", "{acronym} - {name}",
               "{name}, {city} campus", "{name} ({city}, {country})", "{name}, {country}", "{name} {city}"]


def decorated(name: str, record: dict, rng: random.Random) -> str:
    """The name with one of the additions an office writes: city, campus, country or acronym."""
    from registry.countries import country_name

    acronyms = [n["value"] for n in record["names"] if "acronym" in n["types"]]
    ways = [way for way in DECORATIONS if acronyms or "{acronym}" not in way]
    if not record.get("city"):
        ways = [way for way in ways if "{city}" not in way]
    way = rng.choice(ways)
    return way.format(name=name, city=record.get("city") or "", acronym=acronyms[0] if acronyms else "",
                      country=country_name(record["country_code"]))


def forms_sample(count: int, excluded: set[str], rng: random.Random) -> list[tuple]:
    """(name, country, ROR id, category, held out) rows from the extract's records: see ``--forms``."""
    rows = []
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record.get("status") != "active" or not record.get("country_code"):
                continue
            ident = record["id"].rsplit("/", 1)[-1]
            names = record["names"]
            labels = [n for n in names if "label" in n["types"]]
            display = next((n["value"] for n in names if "ror_display" in n["types"]), record["name"])
            own = {n["value"] for n in names}
            kinds = [("forms-display", display)]
            native = [n["value"] for n in labels if n.get("lang") not in (None, "en")]
            if native and len(labels) > 1:
                kinds.append(("forms-label", rng.choice(native)))
            aliases = [n["value"] for n in names if "alias" in n["types"] and len(n["value"].split()) > 1]
            if aliases:
                kinds.append(("forms-alias", rng.choice(aliases)))
            acronyms = [n["value"] for n in names if "acronym" in n["types"]]
            if acronyms and record.get("city"):
                kinds.append(("forms-acronym", acronyms[0]))
            category, name = rng.choice(kinds)
            if category == "forms-acronym":
                text = rng.choice(["{a} {c}", "{a}, {c}", "{a} ({c})"]).format(a=name, c=record["city"])
                held = ""
            elif category == "forms-display":
                text, held = decorated(name, record, rng), ""
            else:
                if len(own - {name}) == 0:
                    continue
                text = decorated(name, record, rng) if rng.random() < 0.4 else name
                held = f"{ident}|{name}"
            if text not in excluded and name not in excluded:
                rows.append((text, record["country_code"], ident, category, held))
    return round_robin(rows, count, rng)


ECHE = ROOT / "data" / "erasmus" / "eche_identifiers.csv"
NEGATIVES = ROOT / "tests" / "data" / "names_unseen_negatives.txt"
TARGET = ROOT / "tests" / "data" / "names_unseen.csv"
SEED = 20261205


def extract_hosts() -> dict[str, set[str]]:
    hosts: dict[str, set[str]] = defaultdict(set)
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record.get("status") != "active":
                continue
            ident = record["id"].rsplit("/", 1)[-1]
            for value in [link["value"] for link in record.get("links") or []] + list(record.get("domains") or []):
                host = web_host(value)
                if host:
                    hosts[host].add(ident)
    return hosts


def round_robin(rows: list[tuple], count: int, rng: random.Random) -> list[tuple]:
    """Up to ``count`` rows, one country at a time; rows are (country, ...)."""
    by_country: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_country[row[1]].append(row)
    for items in by_country.values():
        rng.shuffle(items)
    picked, countries = [], sorted(by_country)
    while len(picked) < count and any(by_country.values()):
        for country in countries:
            if by_country[country] and len(picked) < count:
                picked.append(by_country[country].pop())
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--per-source", type=int, default=300)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--exclude", type=Path, action="append", default=[], help="a CSV whose names are left out")
    parser.add_argument("--target", type=Path, default=TARGET)
    parser.add_argument("--messy", type=int, help="write the names mistyped, with this random seed (a sample only)")
    parser.add_argument("--forms", type=int, help="draw 2 x --per-source names of the ROR extract's own records "
                        "(national-language labels and aliases held out, names with a city, campus, country or "
                        "acronym added, acronyms with their city), with this random seed (a sample only)")
    args = parser.parse_args()
    excluded = set()
    for path in args.exclude:
        with path.open(encoding="utf-8", newline="") as stream:
            excluded.update(row["name"] for row in csv.DictReader(stream))
    hipo = args.shared / "reference" / "hipo-university-domains" / "world_universities_and_domains.json"
    if not hipo.exists():
        sys.exit(f"no world-universities list at {hipo}; give --shared")
    rng = random.Random(args.seed)
    if args.forms is not None:
        if args.target == TARGET:
            sys.exit("--forms writes a sample: give --target")
        picked = forms_sample(2 * args.per_source, excluded, random.Random(args.forms))
        with args.target.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(["name", "country", "expected_ror", "category", "held_out"])
            writer.writerows(sorted(picked, key=lambda r: (r[3], r[1] or "", r[0])))
        print(f"wrote {len(picked)} names ({len({r[1] for r in picked})} countries) to {args.target}")
        return
    hosts = extract_hosts()
    eche = []
    with ECHE.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            owners = hosts.get(row["schac"], set())
            if row["ror_basis"] == "website" and len(owners) == 1 and row["name"] not in excluded:
                eche.append((row["name"], row["country"], next(iter(owners)), "eche"))
    world, seen = [], set()
    for row in json.loads(hipo.read_text(encoding="utf-8")):
        owners = set().union(*(hosts.get(web_host(d), set()) for d in row.get("domains") or [])) if row.get("domains") else set()
        if len(owners) == 1 and row["name"] not in seen and row["name"] not in excluded:
            seen.add(row["name"])
            world.append((row["name"], row.get("alpha_two_code"), next(iter(owners)), "world"))
    picked = round_robin(eche, args.per_source, rng) + round_robin(world, args.per_source, rng)
    negatives = [line.strip() for line in NEGATIVES.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    for line in negatives:
        name, _, country = line.partition("|")
        picked.append((name.strip(), country.strip() or None, "", "negative"))
    if args.target != TARGET:  # a tuning sample: the negatives are the yardstick's
        picked = [row for row in picked if row[3] != "negative"]
        if args.messy is not None:
            typist = random.Random(args.messy)
            picked = [(messy(row[0], typist), *row[1:]) for row in sorted(picked, key=lambda r: (r[3], r[1] or "", r[0]))]
    elif args.messy is not None:
        sys.exit("--messy writes a sample: give --target")
    with args.target.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["name", "country", "expected_ror", "category"])
        writer.writerows(sorted(picked, key=lambda r: (r[3], r[1] or "", r[0])))
    negatives = [row for row in picked if row[3] == "negative"]
    countries = len({r[1] for r in picked if r[1]})
    print(f"wrote {len(picked)} names ({countries} countries, {len(negatives)} negatives) to {args.target}")


if __name__ == "__main__":
    main()
