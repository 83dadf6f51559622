"""The due-diligence dossier of one partner: what a committee reads before it decides.

Identity, the country's indicators with their source and year, screening matches with the words
that aligned and the decisions taken, every agreement and its terms, subjects that touch export
control, reviews and their conditions, findings open and resolved, and the questions of the
Swedish and EU guidance that the record does not answer yet (``registry.reports.questions``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlite_utils

from registry import clock
from registry.reports.common import findings_on, last_run, rows
from registry.reports.questions import unanswered


def _indicators(db: sqlite_utils.Database, country: str, eea: list[str]) -> dict[str, Any]:
    def one(sql: str) -> dict[str, Any] | None:
        found = rows(db, sql, [country])
        return found[0] if found else None

    risk = one("SELECT tier, reasons, as_of FROM country_risk WHERE country = ?")
    if risk:
        risk["reasons"] = json.loads(risk["reasons"] or "[]")
    return {
        "freedom": one("SELECT * FROM country_freedom WHERE country = ?"),
        "development": one("SELECT * FROM country_development WHERE country = ?"),
        "classification": one("SELECT * FROM country_classifications WHERE country = ?"),
        "gdpr": one("SELECT * FROM gdpr_adequacy WHERE country = ?"),
        "measures": rows(
            db, "SELECT * FROM eu_restrictive_measures WHERE country = ? ORDER BY kind, regime", [country]
        ),
        "risk": risk,
        "eea": country in eea,
    }


def _screening(db: sqlite_utils.Database, partner: str) -> list[dict[str, Any]]:
    found = rows(
        db,
        """
        SELECT m.list, l.name AS list_name, l.source AS list_source, l.retrieved_on, m.entity_id, e.name AS entity,
               e.categories, m.score, m.band, m.institution_name, m.entity_name, m.explanation, m.current,
               d.decision, d.decided_on, d.reason AS decision_reason
        FROM risk_matches m JOIN risk_lists l ON l.id = m.list
        LEFT JOIN risk_entities e ON e.list = m.list AND e.entity_id = m.entity_id
        LEFT JOIN screening_decisions d
               ON d.list = m.list AND d.entity_id = m.entity_id AND d.institution = m.institution
        WHERE m.institution = ? ORDER BY m.current DESC, m.score DESC
    """,
        [partner],
    )
    for match in found:
        explanation = json.loads(match["explanation"] or "{}")
        match["aligned"] = [f"{a[0]} = {a[1]}" for a in explanation.get("aligned", [])]
        match["why"] = explanation.get("explanation", "")
        match["categories"] = json.loads(match["categories"] or "[]")
    return found


def _agreements(db: sqlite_utils.Database, partner: str) -> list[dict[str, Any]]:
    agreements = rows(
        db,
        """
        SELECT a.* FROM agreements a WHERE a.id IN (SELECT agreement FROM agreement_parties WHERE institution = ?)
        ORDER BY CASE a.status WHEN 'active' THEN 0 WHEN 'negotiating' THEN 1 WHEN 'draft' THEN 2 ELSE 3 END,
                 a.starts_on
    """,
        [partner],
    )
    for agreement in agreements:
        agreement["terms"] = rows(
            db, "SELECT * FROM mobility_terms WHERE agreement = ? ORDER BY term_no", [agreement["id"]]
        )
        for term in agreement["terms"]:
            term["subject_areas"] = json.loads(term["subject_areas"] or "[]")
        agreement["degree_terms"] = rows(
            db, "SELECT * FROM degree_terms WHERE agreement = ? ORDER BY term_no", [agreement["id"]]
        )
        agreement["programmes"] = [
            r["programme"]
            for r in rows(
                db,
                "SELECT programme FROM agreement_programmes WHERE agreement = ? ORDER BY programme",
                [agreement["id"]],
            )
        ]
        agreement["sdgs"] = [
            r["sdg"] for r in rows(db, "SELECT sdg FROM agreement_sdgs WHERE agreement = ?", [agreement["id"]])
        ]
    return agreements


def _sensitive(agreements: list[dict[str, Any]], rules: Mapping[str, Any]) -> list[dict[str, str]]:
    """Subjects of the agreements that the export-control criteria name: ISCED codes by prefix,
    keywords anywhere in a title, notes, other terms or a subject's clarification."""
    touched = []
    for agreement in agreements:
        texts = [agreement["title"], agreement.get("notes") or ""]
        for term in agreement["terms"]:
            texts.append(term.get("other_terms") or "")
            for area in term["subject_areas"]:
                texts.append(area.get("clarification") or "")
                for rule in rules["isced"]:
                    if str(area["isced_code"]).startswith(rule["code"]):
                        touched.append(
                            {
                                "agreement": agreement["id"],
                                "subject": f"ISCED {area['isced_code']} {rule['field']}",
                                "area": rule["area"],
                            }
                        )
        haystack = " ".join(texts).lower()
        for keyword in rules["keywords"]:
            if keyword.lower() in haystack:
                touched.append({"agreement": agreement["id"], "subject": keyword, "area": rules["source"]})
    unique = {(t["agreement"], t["subject"]): t for t in touched}
    return list(unique.values())


def gather(
    db: sqlite_utils.Database, partner: str, *, criteria: Mapping[str, Any], today: date | None = None
) -> dict[str, Any]:
    """The dossier's facts for one institution id (resolve a name with ``lookup.partner_id`` first).
    ``criteria`` is data/criteria.yml as the checks read it, handed in by ``registry.api``."""
    today = today or clock.today()
    institution = rows(db, "SELECT * FROM institutions WHERE id = ?", [partner])[0]
    names = rows(
        db, "SELECT name, kind, language FROM institution_names WHERE institution = ? ORDER BY kind, name", [partner]
    )
    state = rows(db, "SELECT * FROM state_control WHERE institution = ?", [partner])
    agreements = _agreements(db, partner)
    ids = [a["id"] for a in agreements]
    marks = ", ".join("?" for _ in ids) or "NULL"
    reviews = rows(
        db,
        f"""SELECT * FROM reviews WHERE institution = ? OR agreement IN ({marks})
                           ORDER BY reviewed_on DESC""",
        [partner, *ids],
    )
    networks = rows(
        db,
        """SELECT coalesce(n.acronym, n.name) AS name, n.strategic, m.role, m.since, m.until
                           FROM memberships m JOIN networks n ON n.id = m.network WHERE m.institution = ?
                           ORDER BY n.name""",
        [partner],
    )
    subjects = [("institutions", partner)] + [("agreements", i) for i in ids]
    findings = findings_on(db, subjects, statuses=("open", "resolved"))
    sensitive = _sensitive(agreements, criteria["sensitive_subjects"])
    dossier = {
        "kind": "dossier",
        "today": today.isoformat(),
        "run": last_run(db),
        "institution": institution,
        "names": names,
        "state_control": state[0] if state else None,
        "networks": networks,
        "indicators": _indicators(db, institution["country"], criteria["personal_data"]["eea"]),
        "screening": _screening(db, partner),
        "agreements": agreements,
        "sensitive": sensitive,
        "reviews": reviews,
        "open_findings": [f for f in findings if f["status"] == "open"],
        "resolved_findings": [f for f in findings if f["status"] == "resolved"],
    }
    dossier["questions"] = unanswered(dossier, today)
    return dossier
