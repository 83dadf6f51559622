"""A registry institution made from a reference record (ROR or the world-universities list): its
ROR id, country, city, coordinates, website, Erasmus code and every name; an inactive record
replaced by its successor, whose former names it keeps."""

from __future__ import annotations

import json

import sqlite_utils

from registry import db as store
from registry.countries import LOCAL_LANGUAGES
from registry.identifier_index import erasmus_identifiers
from registry.models import Institution, InstitutionName
from registry.problems import Problem, ProblemsFound
from registry.reference import ror_id
from registry.text import fold, slugify, unique_id

_KIND_BY_TYPE = (("education", "university"), ("government", "agency"), ("company", "company"))


def _slug(text: str) -> str:
    try:
        return slugify(text, limit=60)
    except ValueError:
        return "institution"


def _institution_kind(name: str, types: list[str]) -> str:
    if "healthcare" in types and "education" not in types:
        return "university_hospital" if "univers" in fold(name) else "other"
    for ror_type, kind in _KIND_BY_TYPE:
        if ror_type in types:
            return kind
    return "other"


def create_institution_from_reference(
    db: sqlite_utils.Database,
    reference_id: str,
    *,
    institution_id: str | None = None,
    kind: str | None = None,
    actor: str | None = None,
    follow_successor: bool = True,
) -> Institution:
    """Create a registry institution from a reference record, with its ROR id, country, city,
    coordinates, website and every name, in one logged transaction. An inactive record is
    replaced by its successor (its own names kept as former names) unless told otherwise."""
    institution, source_id = _from_reference(db, reference_id, institution_id, kind, follow_successor)
    store.write_records(db, [institution], actor=actor, source=f"reference {source_id}")
    return institution


def institution_from_reference(
    db: sqlite_utils.Database,
    reference_id: str,
    institution_id: str | None = None,
    *,
    kind: str | None = None,
    follow_successor: bool = True,
) -> Institution:
    """The institution ``create_institution_from_reference`` would create, not written: an
    import adds it to its own transaction (or, on a dry run, only shows it). Its id is unique
    among the stored institutions, not among others the caller has yet to write."""
    return _from_reference(db, reference_id, institution_id, kind, follow_successor)[0]


def _from_reference(
    db: sqlite_utils.Database, reference_id: str, institution_id: str | None, kind: str | None, follow_successor: bool
) -> tuple[Institution, str]:
    """The institution and the id of the reference record it was made from (a successor's)."""
    reference_id = ror_id(reference_id)
    conn = db.conn

    def fetch(ident: str) -> dict | None:
        cursor = conn.execute("SELECT * FROM reference_institutions WHERE id = ?", [ident])
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    record = fetch(reference_id)
    if record is None:
        raise ProblemsFound([Problem("unknown-reference", "reference_institutions", "no reference record has this id",
                                     f"reference_institutions/{reference_id}", "id", reference_id)])
    former: list[dict] = []
    while record["status"] != "active" and follow_successor and record["successor"]:
        successor = fetch(record["successor"])
        if successor is None:
            break
        former.append(record)
        record = successor
    if record["status"] != "active":
        raise ProblemsFound([Problem("inactive-reference", "reference_institutions",
                                     f"the record is {record['status']} and has no loaded successor; choose another",
                                     f"reference_institutions/{record['id']}", "status", record["status"])])
    existing = conn.execute("SELECT id FROM institutions WHERE ror = ?", [record["id"]]).fetchone() if record["source"] == "ror" else None
    if existing:
        raise ProblemsFound([Problem("already-in-registry", "institutions", f"already in the registry as {existing[0]}",
                                     f"institutions/{existing[0]}", "ror", record["id"])])
    names = conn.execute("SELECT name, kind, language FROM reference_names WHERE reference = ? ORDER BY kind, name",
                         [record["id"]]).fetchall()
    english = next((n for n, k, lang in names if k in ("official", "local") and lang == "en"), None)
    display = english or record["name"]
    local_languages = LOCAL_LANGUAGES.get(record["country"] or "", ())
    local = next((n for n, k, lang in names if k in ("official", "local") and lang in local_languages and n != display), None)
    acronym = next((n for n, k, _ in names if k == "acronym" and len(n) <= 40), None)
    institution_id = institution_id or _unique_id(conn, _slug(display))
    name_rows = [InstitutionName(institution=institution_id, name=n, kind=_registry_kind(k, n, display),
                                 language=lang if lang and len(lang) in (2, 3) and lang.isalpha() else None)
                 for n, k, lang in names]
    known = {n.name for n in name_rows}
    for old in former:
        for (old_name,) in conn.execute("SELECT name FROM reference_names WHERE reference = ? AND kind != 'acronym'", [old["id"]]):
            if old_name not in known:
                name_rows.append(InstitutionName(institution=institution_id, name=old_name, kind="former"))
                known.add(old_name)
    website = record["website"]
    holder = erasmus_identifiers(record["id"] if record["source"] == "ror" else None, website)
    if holder is not None and holder.country != record["country"]:
        holder = None
    values = {
        "id": institution_id,
        "name": display,
        "local_name": local,
        "acronym": acronym,
        "kind": kind or _institution_kind(display, json.loads(record["types"] or "[]")),
        "country": record["country"],
        "city": record["city"],
        "website": website if website and website.startswith(("http://", "https://")) else None,
        "ror": record["id"] if record["source"] == "ror" else None,
        "erasmus_code": holder.erasmus_code if holder else None,
        "pic": holder.pic if holder else None,
        "schac": holder.schac if holder else None,
        "latitude": record["latitude"],
        "longitude": record["longitude"],
        "names": name_rows,
    }
    try:
        institution = Institution.model_validate(values)
    except Exception:  # a website the registry's stricter URL rule refuses is left out
        values["website"] = None
        institution = Institution.model_validate(values)
    return institution, record["id"]


def _registry_kind(kind: str, name: str, display: str) -> str:
    if kind == "official" and name != display:
        return "local"
    return kind


def _unique_id(conn, base: str) -> str:
    return unique_id(base, lambda candidate: bool(conn.execute("SELECT 1 FROM institutions WHERE id = ?", [candidate]).fetchone()))
