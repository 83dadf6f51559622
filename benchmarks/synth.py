"""A deterministic synthetic registry of any size, for benchmarks.

Institution names are realistic and multilingual: place names from ISO 3166-2 (via
pycountry, in their own spelling with diacritics) in the naming patterns of each language
("Universität Tübingen", "Uniwersytet Medyczny w Łodzi", "Université de Lyon"). Agreements
carry parties, programmes, mobility terms and three academic years of flows. The same
arguments always give the same records, so figures from different runs compare.

    from benchmarks.synth import synthetic_records, synthetic_stream, build_synthetic
    build_synthetic("bench.db", institutions=200_000, agreements=1_000_000)  # streamed: any size
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pycountry

PATTERNS_BY_LANGUAGE = {
    "en": ["University of {place}", "{place} Medical University", "{place} Institute of Technology",
           "{place} University Hospital", "{place} College of Medicine"],
    "de": ["Universität {place}", "Medizinische Hochschule {place}", "Universitätsklinikum {place}"],
    "fr": ["Université de {place}", "Institut polytechnique de {place}", "Centre hospitalier universitaire de {place}"],
    "es": ["Universidad de {place}", "Universidad Politécnica de {place}", "Hospital Universitario de {place}"],
    "pl": ["Uniwersytet Medyczny w {place}", "Politechnika {place}"],
    "sv": ["{place} universitet", "{place} universitetssjukhus"],
    "it": ["Università degli Studi di {place}", "Politecnico di {place}"],
    "pt": ["Universidade de {place}", "Universidade Federal de {place}"],
}
LANGUAGE_BY_COUNTRY = {"DE": "de", "AT": "de", "CH": "de", "FR": "fr", "BE": "fr", "ES": "es", "MX": "es", "AR": "es",
                       "CO": "es", "CL": "es", "PL": "pl", "SE": "sv", "IT": "it", "PT": "pt", "BR": "pt"}
ACADEMIC_YEARS = ["2022/2023", "2023/2024", "2024/2025"]
KINDS = ["student_exchange", "erasmus_iia", "staff_mobility", "double_degree", "joint_degree", "joint_phd",
         "clinical_placement", "research", "framework_mou"]
STATUSES = ["active"] * 6 + ["draft", "negotiating", "suspended", "expired", "terminated"]
CATEGORIES = ["student_studies", "student_traineeship", "staff_teaching", "staff_training"]
PROGRAMMES = [("medicine", "Medicine", "Läkarprogrammet", "second"), ("nursing", "Nursing", "Sjuksköterskeprogrammet", "first"),
              ("physiotherapy", "Physiotherapy", "Fysioterapeutprogrammet", "first"),
              ("biomedicine", "Biomedicine", "Biomedicinprogrammet", "first"),
              ("public-health", "Public Health", "Folkhälsovetenskap", "second"),
              ("doctoral", "Doctoral studies in medical science", "Forskarutbildning", "third")]
HOME = "home-university"
# Units that make names unique again once every place and pattern has been used.
UNITS = ["Faculty of Medicine", "School of Nursing", "Institute of Public Health", "Dental School", "Children's Hospital",
         "Cancer Centre", "Research Institute", "Faculty of Health Sciences"]
# Networks of the sizes of the real ones (U21, EUGLOH, LERU, GAME), with members drawn at random.
NETWORKS = [("u21", "Universitas 21", "U21", 30), ("eugloh", "European University Alliance for Global Health", "EUGLOH", 9),
            ("leru", "League of European Research Universities", "LERU", 23), ("game", "Global Alliance for Medical Education", "GAME", 40)]


def _places() -> list[tuple[str, str]]:
    """(place name, country) pairs, stable across runs."""
    places = sorted({(re.sub(r"\s*\(.*?\)|\[.*?\]", "", s.name).strip(), s.country_code) for s in pycountry.subdivisions})
    return [(name, country) for name, country in places if 2 < len(name) < 40]


def _slug(text: str, taken: set[str]) -> str:
    from registry.text import fold

    base = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60] or "inst"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def synthetic_institutions(count: int, seed: int = 1) -> list[dict]:
    return list(iter_institutions(count, seed))


def iter_institutions(count: int, seed: int = 1) -> Iterator[dict]:
    """``count`` institutions, one at a time. Past the ~26,000 names the place names and patterns
    give, the same names come again as units ("..., School of Nursing"), so any count is unique."""
    rng = random.Random(seed)
    places = _places()
    taken: set[str] = {HOME}
    yield {"id": HOME, "name": "Home University", "country": "SE", "city": "Lund", "is_home": True}
    candidates = [(pattern, place, country, language)
                  for place, country in places
                  for language in sorted({"en", LANGUAGE_BY_COUNTRY.get(country, "en")})
                  for pattern in PATTERNS_BY_LANGUAGE[language]]
    rng.shuffle(candidates)
    units = itertools.chain([""], (f", {unit}" for unit in UNITS), (f", Campus {n}" for n in itertools.count(2)))
    wanted = count - 1
    for unit in units:
        for pattern, place, country, language in candidates[:wanted]:
            yield _institution(rng, pattern.format(place=place) + unit, place, country, language, taken)
        wanted -= min(wanted, len(candidates))
        if not wanted:
            return


def _institution(rng: random.Random, name: str, place: str, country: str, language: str, taken: set[str]) -> dict:
    institution = {"id": _slug(name, taken), "name": name, "country": country, "city": place,
                   "latitude": round(rng.uniform(-60, 70), 4), "longitude": round(rng.uniform(-170, 170), 4)}
    if language != "en":
        institution["local_name"] = name
        institution["name"] = PATTERNS_BY_LANGUAGE["en"][0].format(place=place) + (" " + str(rng.randint(2, 9)) if rng.random() < 0.3 else "")
    if rng.random() < 0.4:
        institution["acronym"] = "".join(w[0] for w in re.findall(r"\w+", name) if w[0].isupper())[:8] or None
    if rng.random() < 0.3:
        institution["names"] = [{"name": f"{place} {'Univ.' if rng.random() < 0.5 else 'Uni'}", "kind": "alias"}]
    return institution


def synthetic_agreements(count: int, partner_ids: list[str], seed: int = 1) -> Iterator[dict]:
    rng = random.Random(seed + 1)
    for number in range(count):
        start_year = rng.randint(2012, 2025)
        kind = rng.choice(KINDS)
        agreement = {
            "id": f"agr-{number:06d}",
            "title": f"{kind.replace('_', ' ').capitalize()} agreement {number}",
            "kind": kind,
            "status": rng.choice(STATUSES),
            "signed_on": f"{start_year - 1}-12-{rng.randint(1, 28):02d}",
            "starts_on": f"{start_year}-01-01",
            "ends_on": f"{start_year + rng.randint(1, 7)}-12-31",
            "notice_months": rng.choice([None, 6, 12]),
            "coordinator": rng.choice([None, "International coordinator, Faculty of Medicine"]),
            "parties": [{"institution": HOME, "role": "home"}, rng.choice(partner_ids)],
            "programmes": [rng.choice(PROGRAMMES)[0]],
            "mobility_terms": [
                {"category": category, "direction": direction, "places_per_year": rng.randint(0, 6),
                 "months_per_place": rng.choice([None, 5.0, 10.0]), "eqf_levels": [6, 7],
                 "subject_areas": [{"isced_code": rng.choice(["0912", "0913", "0915", "091"])}],
                 "language_skills": [{"language": "en", "cefr_level": "B2"}]}
                for category, direction in rng.sample(
                    [(c, d) for c in CATEGORIES[:3] for d in ("outgoing", "incoming")], k=rng.randint(1, 3))
            ],
            "flows": [
                {"academic_year": year, "direction": direction, "category": "student_studies",
                 "participants": rng.randint(0, 8)}
                for year in ACADEMIC_YEARS for direction in ("outgoing",) if rng.random() < 0.8
            ],
        }
        yield agreement


def synthetic_networks(partner_ids: list[str], seed: int = 1) -> list[dict]:
    rng = random.Random(seed + 2)
    return [{"id": network_id, "name": name, "acronym": acronym, "strategic": True,
             "members": [HOME, *rng.sample(partner_ids, min(size, len(partner_ids)))]}
            for network_id, name, acronym, size in NETWORKS]


def synthetic_records(institutions: int = 20_000, agreements: int = 100_000, seed: int = 1) -> dict[str, list[dict]]:
    """Seed-shaped records: {'institutions': [...], 'networks': [...], 'programmes': [...], 'agreements': [...]}"""
    tables: dict[str, list[dict]] = {}
    for table, item in synthetic_stream(institutions, agreements, seed):
        tables.setdefault(table, []).append(item)
    return tables


def synthetic_stream(institutions: int = 20_000, agreements: int = 100_000, seed: int = 1) -> Iterator[tuple[str, dict]]:
    """The same records as ``synthetic_records``, one (table, record) at a time: institutions,
    networks, programmes, agreements. Only the partners' ids are kept along the way."""
    partner_ids = []
    for institution in iter_institutions(institutions, seed):
        if institution["id"] != HOME:
            partner_ids.append(institution["id"])
        yield "institutions", institution
    for network in synthetic_networks(partner_ids, seed):
        yield "networks", network
    for programme_id, en, sv, cycle in PROGRAMMES:
        yield "programmes", {"id": programme_id, "name_en": en, "name_sv": sv, "cycle": cycle}
    for agreement in synthetic_agreements(agreements, partner_ids, seed):
        yield "agreements", agreement


def synthetic_models(institutions: int = 20_000, agreements: int = 100_000, seed: int = 1) -> Iterator[Any]:
    """The synthetic records validated by their models, one at a time."""
    from registry.models import by_table

    tables = by_table()
    for table, item in synthetic_stream(institutions, agreements, seed):
        yield tables[table].model_validate(item)


def build_synthetic(path: str | Path, institutions: int = 20_000, agreements: int = 100_000, seed: int = 1):
    """Write a synthetic registry through the library (validation, audit log, search index),
    streamed: memory holds a batch of records, whatever the size."""
    from registry import db as store
    from registry.examples import fresh_registry

    db = fresh_registry(path)
    store.write_records(db, synthetic_models(institutions, agreements, seed), actor="benchmark", source="benchmarks/synth.py")
    return db
