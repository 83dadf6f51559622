"""What the EWP tests share: the crafted documents, the upstream examples (when the EWP
folder is on this machine) and small registries with a home institution."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from conftest import new_registry
from lxml import etree

from registry import db as store
from registry.ewp.schemas import schema_dir
from registry.models import Institution

EWP_DATA = Path(__file__).resolve().parent / "data" / "ewp"
# Lund's copy of a fictitious IIA with Bergen: the demo's example, shipped in data/ewp
OWN_COPY = Path(__file__).resolve().parent.parent / "data" / "ewp" / "example-iia-lund-bergen.xml"
PARTNER_COPY = EWP_DATA / "partner-copy.xml"  # Bergen's copy of it, different on purpose
# the same copy without the v6 flags (not-yet-defined, v6-value): one that may be approved
APPROVABLE_COPY = EWP_DATA / "approvable-copy.xml"
APPROVABLE_HASH = "8f317f161a698af067e412c65aeb6348b8fbb671959775f342fd2eacade4e552"
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
    db = store.connect(new_registry(path))
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


# --- EWP's official iia-hash stylesheet, run by Saxon-HE, as the oracle -----------------------

UPSTREAM = EWP_DATA / "upstream"  # third-party files, with their sources and licences in README.md
STYLESHEET = UPSTREAM / "transform_version_7.xsl"
THIRD_PARTY = {
    "partner-example": UPSTREAM / "get-response-v7-partner.xml",
    "xsltkit-v7": UPSTREAM / "registry-service-get-response-xsltkit-v7.xml",
    "endpoint-example-v7": UPSTREAM / "registry-service-get-response-example-v7.xml",
    "wrong-hash-v7": UPSTREAM / "registry-service-get-response-wrong-hash-v7.xml",
    "ulisboa-sample-v7": UPSTREAM / "ulisboa-iias-get-response-v7.xml",
}
WRONG_HASH = THIRD_PARTY["wrong-hash-v7"]  # the registry service's test: its stated hash is one digit off


@dataclass(frozen=True)
class Official:
    iia_id: str
    text_to_hash: str
    valid_for_approval: bool

    @property
    def iia_hash(self) -> str:
        return hashlib.sha256(self.text_to_hash.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _saxon():
    saxonche = pytest.importorskip("saxonche", reason="the official stylesheet runs on Saxon-HE (pip install saxonche)")
    processor = saxonche.PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(STYLESHEET))
    return processor, executable


def official(document: bytes | str | Path) -> list[Official]:
    """What EWP's transform_version_7.xsl says of each <iia> of a get response."""
    processor, executable = _saxon()
    if isinstance(document, Path):
        document = document.read_bytes()
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    result = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=text))
    found = []
    for iia in etree.fromstring(result.encode("utf-8")).iter("iia"):
        found.append(Official(iia.findtext("iia-id") or "", iia.findtext("text-to-hash") or "",
                              iia.findtext("valid-for-approval") != "false"))
    return found
