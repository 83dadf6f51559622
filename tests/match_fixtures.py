"""Registries for the matching tests: a few real partner institutions (facts from ROR, CC0)
with fictitious example agreements, and the shipped ROR extract as the reference."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest
from conftest import built_once, copy_registry, new_registry

from registry import db as store
from registry import name_indexes
from registry.models import Agreement, Institution, Network
from registry.models.core import Contact, Review
from registry.reference import load_reference

ROOT = Path(__file__).resolve().parent.parent
EXTRACT = ROOT / "data" / "reference_institutions" / "ror_education_healthcare_v2.9.jsonl.gz"
NAMES_CSV = Path(__file__).resolve().parent / "data" / "names.csv"

INSTITUTIONS = [
    Institution(id="lu", name="Lund University", local_name="Lunds universitet", acronym="LU", country="SE",
                city="Lund", ror="012a77v79", is_home=True),
    Institution(id="ucph", name="University of Copenhagen", local_name="Københavns Universitet", acronym="KU",
                country="DK", city="Copenhagen", ror="035b05819", website="https://www.ku.dk"),
    Institution(id="karolinska", name="Karolinska Institutet", acronym="KI", country="SE", city="Stockholm"),
    Institution(id="helsinki", name="University of Helsinki", local_name="Helsingin yliopisto", country="FI",
                city="Helsinki", ror="040af2s02"),
    Institution(id="uu", name="Uppsala University", country="SE", city="Uppsala"),
]
# the same university typed in again by someone else: what dedupe must find
DUPLICATE = Institution(id="kobenhavns-universitet", name="Kobenhavns Universitet", country="DK", city="København",
                        names=[{"name": "Copenhagen University", "kind": "alias"}])


def example_records() -> list:
    """The duplicate, and fictitious example agreements and decisions that refer to it."""
    return [
        DUPLICATE,
        Network(id="eugloh", name="EUGLOH (example membership)", members=["lu", "kobenhavns-universitet"]),
        Agreement(id="example-lu-ku-exchange", title="Student exchange (fictitious example)", kind="student_exchange",
                  status="active", parties=["lu", "kobenhavns-universitet"]),
        Agreement(id="example-lu-ucph-phd", title="Joint PhD (fictitious example)", kind="joint_phd", status="draft",
                  parties=["lu", "ucph", "kobenhavns-universitet"]),
        Contact(id="example-ku-office", institution="kobenhavns-universitet", role="international office",
                email="international@example.org"),
        Review(id="example-ku-review", institution="kobenhavns-universitet", reviewed_on=date(2025, 1, 15),
               reviewer_role="due_diligence_reviewer", outcome="approved"),
    ]


@pytest.fixture(scope="session")
def reference_registry_template(tmp_path_factory) -> Path:
    """A registry file with the institutions and the shipped extract, built once per run
    (``built_once``: loading the extract takes seconds); tests copy it. Its reference name index
    is built once too and kept beside it (``name_indexes.index_cache_path``), where a copy
    (``copy_of``) finds it as a second CLI call does: building it takes seconds as well."""

    def build(folder: Path) -> None:
        db = make_registry(folder / "registry.db", examples=False)
        name_indexes.reference_index(db)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()

    return built_once(tmp_path_factory, "reference-template", build) / "registry.db"


def copy_of(template: Path, folder: Path, *, examples: bool = False):
    """A copy of the template registry and its reference name index (with the example records
    added if asked)."""
    path = copy_registry(template, folder / "registry.db")
    db = store.connect(path)
    if examples:
        store.write_records(db, example_records(), actor="test", source="fixture")
    return db


def make_registry(path: Path, *, reference: bool = True, examples: bool = True):
    db = store.connect(new_registry(path))
    store.write_records(db, list(INSTITUTIONS), actor="test", source="fixture")
    if examples:
        store.write_records(db, example_records(), actor="test", source="fixture")
    if reference:
        load_reference(db, EXTRACT, actor="test", progress=False)
    return db


def extract_records(ids: set[str]) -> list[dict]:
    """Records of the shipped extract (normalized shape) by bare ROR id."""
    found = []
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record["id"].rsplit("/", 1)[1] in ids:
                found.append(record)
    return found


def as_schema_v2(record: dict) -> dict:
    """A normalized record in the shape of ROR's schema-v2 dump."""
    return {
        "id": record["id"],
        "names": record["names"],
        "status": record["status"],
        "types": record["types"],
        "established": record["established"],
        "links": record.get("links") or [],
        "relationships": record.get("relationships") or [],
        "locations": [{"geonames_id": 1, "geonames_details": {"name": record["city"], "country_code": record["country_code"],
                                                              "lat": record["lat"], "lng": record["lng"]}}],
        "external_ids": [],
        "domains": [],
        "admin": {"created": {"date": "2020-01-01", "schema_version": "1.0"},
                  "last_modified": {"date": "2026-06-23", "schema_version": "2.1"}},
    }
