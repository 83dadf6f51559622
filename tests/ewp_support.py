"""What the EWP tests share: the crafted documents, the upstream examples (when the EWP
folder is on this machine) and small registries with a home institution."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry import db as store
from registry.ewp.schemas import schema_dir
from registry.models import Institution

EWP_DATA = Path(__file__).resolve().parent / "data" / "ewp"
# Lund's copy of a fictitious IIA with Bergen: the demo's example, shipped in data/ewp
OWN_COPY = Path(__file__).resolve().parent.parent / "data" / "ewp" / "example-iia-lund-bergen.xml"
PARTNER_COPY = EWP_DATA / "partner-copy.xml"  # Bergen's copy of it, different on purpose
OWN_COPY_HASH = "e73507adbe829b7e43c82f3f860fe4adad4afcf2304fe232c10c4878486c859b"

SCHEMAS = schema_dir()
requires_ewp = pytest.mark.skipif(
    SCHEMAS is None,
    reason="needs the EWP XSDs and examples (../shared/ewp or EWP_SCHEMA_DIR), which are not on this machine",
)
EXAMPLES = {
    "get-response-example": (SCHEMAS / "iias/endpoints/get-response-example.xml") if SCHEMAS else None,
    "get-response-v7": (SCHEMAS / "iias/resources/xsltKit/get-response-v7.xml") if SCHEMAS else None,
}

LUND = Institution(id="lund-university", name="Lund University", country="SE", schac="lu.se", is_home=True)
# known by website only: the import must find it by its host name and record the SCHAC code
BERGEN = Institution(id="university-of-bergen", name="University of Bergen", country="NO", website="https://www.uib.no/")
# the upstream examples' institutions, by SCHAC code
WARSAW = Institution(id="university-of-warsaw", name="University of Warsaw", country="PL", schac="uw.edu.pl")
BODO = Institution(id="hibo", name="Bodø University College", country="NO", schac="hibo.no")


def make_registry(path: Path, institutions: list[Institution]) -> Path:
    db = store.connect(path)
    store.ensure_schema(db)
    store.write_records(db, institutions, actor="test", source="test setup")
    db.conn.close()
    return path


def copy_registry(template: Path, target: Path) -> Path:
    shutil.copyfile(template, target)
    return target


def table(db, name: str, order: str) -> list[dict]:
    return [dict(row) for row in db.query(f"SELECT * FROM {name} ORDER BY {order}")]


def stored_terms(db) -> dict[str, list[dict]]:
    """What an IIA import stores, without the agreement ids (which differ between registries)."""
    rows = {
        "mobility_terms": table(db, "mobility_terms", "term_no"),
        "ewp_iia_conditions": table(db, "ewp_iia_conditions", "term_no"),
        "ewp_iia_partners": table(db, "ewp_iia_partners", "position"),
    }
    for entries in rows.values():
        for entry in entries:
            entry.pop("agreement")
    return rows


def change_count(db) -> int:
    return db.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
