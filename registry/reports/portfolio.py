"""The portfolio review pack: what a programme board (or the faculty) reads to review its agreements.

``gather`` collects the facts from the registry into plain values; ``registry.reports.render``
lays them out as HTML, PDF or Markdown in Swedish or English. Everything judged here is judged by
the checks (read from their recorded findings); this module only counts and arranges.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlite_utils

from registry import clock
from registry.models.action_plan import SDG_NAMES
from registry.reports.common import (
    GOALS,
    academic_year,
    academic_year_start,
    findings_on,
    goals_of_checks,
    last_run,
    months_before,
    rows,
)
from registry.reports.lookup import programme_id

YEARS_SHOWN = 5
UNUSED = "GDE01"
TEACHER_GAPS = ("AP01", "AP08", "AP09")
DECISION_WINDOW_DAYS = 90  # waivers and reviews coming due this soon go on the decisions page


def _agreements(db: sqlite_utils.Database, programme: str | None) -> list[dict[str, Any]]:
    where = "WHERE a.id IN (SELECT agreement FROM agreement_programmes WHERE programme = ?)" if programme else ""
    found = rows(
        db,
        f"""
        SELECT a.id, a.title, a.kind, a.status, a.starts_on, a.ends_on, a.notice_months, a.renewal,
               (SELECT json_group_array(json_object('id', i.id, 'name', i.name, 'country', i.country))
                FROM agreement_parties p JOIN institutions i ON i.id = p.institution AND i.is_home = 0
                WHERE p.agreement = a.id) AS partners
        FROM agreements a {where}
        ORDER BY CASE a.status WHEN 'active' THEN 0 WHEN 'negotiating' THEN 1 WHEN 'draft' THEN 2 ELSE 3 END,
                 a.ends_on IS NULL, a.ends_on, a.id
    """,
        [programme] if programme else [],
    )
    for agreement in found:
        agreement["partners"] = json.loads(agreement["partners"])
    return found


def _attention(agreement: dict[str, Any], today: date, ending_months: int) -> dict[str, Any] | None:
    """Whether the agreement's end calls for a decision now: past its end while in force, or within
    its notice period (or, with none recorded, within the months the portfolio checks use)."""
    if not agreement["ends_on"] or agreement["status"] not in ("active", "suspended"):
        return None
    ends = date.fromisoformat(agreement["ends_on"])
    if ends < today:
        # one that renews automatically has renewed itself (as check GDE05 and ``registry expire`` hold)
        return None if agreement["renewal"] == "automatic" else {"kind": "past_end", "ends_on": agreement["ends_on"]}
    months = agreement["notice_months"]
    if months is None:
        months = ending_months
    notice_from = months_before(ends, months)
    if today >= notice_from:
        return {
            "kind": "in_notice",
            "notice_from": notice_from.isoformat(),
            "ends_on": agreement["ends_on"],
            "months": months,
            "renewal": agreement["renewal"],
        }
    return None


def _quota(
    db: sqlite_utils.Database, ids: list[str], years: list[str], start_month: int
) -> tuple[list[dict], dict[str, dict]]:
    """Places agreed and people who went and came, per agreement and academic year, and totals."""
    by_agreement: dict[str, dict[str, dict[str, int]]] = {}
    marks = ", ".join("?" for _ in ids)
    if ids:
        for term in rows(
            db,
            f"""SELECT t.agreement, t.direction, t.places_per_year, t.first_academic_year,
                                        t.last_academic_year, a.starts_on, a.ends_on
                                 FROM mobility_terms t JOIN agreements a ON a.id = t.agreement
                                 WHERE t.agreement IN ({marks}) AND t.places_per_year IS NOT NULL""",
            ids,
        ):
            for year in years:
                applies = (term["first_academic_year"] or year) <= year <= (term["last_academic_year"] or year)
                if applies and _runs_in(term["starts_on"], term["ends_on"], year, start_month):
                    cell = by_agreement.setdefault(term["agreement"], {}).setdefault(year, _empty())
                    cell["places_out" if term["direction"] == "outgoing" else "places_in"] += term["places_per_year"]
        for flow in rows(
            db,
            f"""SELECT agreement, academic_year, direction, sum(participants) AS n FROM mobility_flows
                                 WHERE agreement IN ({marks}) GROUP BY 1, 2, 3""",
            ids,
        ):
            if flow["academic_year"] in years:
                cell = by_agreement.setdefault(flow["agreement"], {}).setdefault(flow["academic_year"], _empty())
                cell["went" if flow["direction"] == "outgoing" else "came"] += flow["n"]
    totals = {year: _empty() for year in years}
    for cells in by_agreement.values():
        for year, cell in cells.items():
            for key, value in cell.items():
                totals[year][key] += value
    table = [
        {"agreement": agreement, "years": {y: cells.get(y, _empty()) for y in years}}
        for agreement, cells in sorted(by_agreement.items())
    ]
    return table, totals


def _runs_in(starts_on: str | None, ends_on: str | None, year: str, month: int) -> bool:
    """Whether an agreement with these dates runs in some part of the academic year."""
    start = int(year[:4])
    first, last = f"{start:04d}-{month:02d}-01", f"{start + 1:04d}-{month:02d}-01"
    return (starts_on is None or starts_on < last) and (ends_on is None or ends_on >= first)


def _empty() -> dict[str, int]:
    return {"places_out": 0, "places_in": 0, "went": 0, "came": 0}


def _partners(db: sqlite_utils.Database, ids: list[str], today: date) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    found = rows(
        db,
        f"""
        SELECT i.id, i.name, i.country, r.tier, r.reasons,
               (SELECT json_group_array(coalesce(n.acronym, n.name) || CASE WHEN n.strategic THEN ' *' ELSE '' END)
                FROM memberships m JOIN networks n ON n.id = m.network
                WHERE m.institution = i.id AND (m.until IS NULL OR m.until >= ?)) AS networks,
               (SELECT count(DISTINCT p.agreement) FROM agreement_parties p WHERE p.institution = i.id
                  AND p.agreement IN ({marks})) AS agreements
        FROM institutions i LEFT JOIN country_risk r ON r.country = i.country
        WHERE i.is_home = 0 AND i.id IN (SELECT institution FROM agreement_parties WHERE agreement IN ({marks}))
        ORDER BY CASE r.tier WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'unknown' THEN 2 WHEN 'low' THEN 3 ELSE 4 END,
                 i.country, i.name
    """,
        [today.year, *ids, *ids],
    )
    for partner in found:
        partner["networks"] = json.loads(partner["networks"] or "[]")
        partner["reasons"] = json.loads(partner["reasons"] or "[]")
        partner["tier"] = partner["tier"] or "unknown"
    return found


def _goals(findings: list[dict], waived: list[dict], checks: Iterable[Any]) -> list[dict[str, Any]]:
    served = goals_of_checks(checks)
    goals = []
    for goal in GOALS:
        codes = {check["code"] for check in served[goal]}
        against = [f for f in findings if f["code"] in codes]
        goals.append(
            {
                "goal": goal,
                "met": not against,
                "findings": against,
                "waived": [f for f in waived if f["code"] in codes],
                "checks": served[goal],
            }
        )
    return goals


def _programme_goal_data(db: sqlite_utils.Database, programme: str | None, current: str) -> dict[str, Any]:
    where, params = ("WHERE programme = ?", [programme]) if programme else ("", [])
    components = rows(
        db,
        f"""SELECT c.*, g.name_en AS programme_name FROM programme_components c
                              JOIN programmes g ON g.id = c.programme {where.replace("programme", "c.programme")}
                              ORDER BY c.programme, c.kind, c.title""",
        params,
    )
    for component in components:
        component["current"] = component["until_year"] is None or component["until_year"] >= current
    named = rows(
        db,
        f"""SELECT n.programme, n.institution, i.name, i.country, n.named_on, n.reason,
                         EXISTS (SELECT 1 FROM agreement_parties p JOIN agreements a ON a.id = p.agreement
                                 AND a.status = 'active' JOIN mobility_terms t ON t.agreement = a.id
                                 AND t.category = 'staff_teaching' WHERE p.institution = n.institution) AS has_term
                         FROM programme_teacher_partners n JOIN institutions i ON i.id = n.institution
                         {where.replace("programme", "n.programme")} ORDER BY n.programme, i.name""",
        params,
    )
    activities = rows(
        db,
        f"""SELECT x.*, coalesce(w.acronym, w.name) AS network_name FROM network_activities x
                              JOIN networks w ON w.id = x.network {where.replace("programme", "x.programme")}
                              ORDER BY x.starts_on DESC""",
        params,
    )
    sdg_where = (
        "WHERE s.agreement IN (SELECT agreement FROM agreement_programmes WHERE programme = ?)" if programme else ""
    )
    sdgs = rows(
        db,
        f"""SELECT s.sdg, count(*) AS agreements, group_concat(s.agreement, ', ') AS ids
                        FROM agreement_sdgs s JOIN agreements a ON a.id = s.agreement AND a.status = 'active'
                        {sdg_where} GROUP BY s.sdg ORDER BY s.sdg""",
        params,
    )
    for sdg in sdgs:
        sdg["name"] = SDG_NAMES[sdg["sdg"]]
    return {"components": components, "teacher_partners": named, "activities": activities, "sdgs": sdgs}


def gather(
    db: sqlite_utils.Database,
    *,
    criteria: Mapping[str, Any],
    checks: Iterable[Any],
    programme: str | None = None,
    year: int | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The review pack's facts for one programme (id or name) or, without one, the whole faculty.
    ``criteria`` (data/criteria.yml) and ``checks`` (their specifications: which goal each serves)
    are the checks' own, handed in by ``registry.api``."""
    today = today or clock.today()
    start_month = criteria["portfolio"]["academic_year_starts_month"]
    programme_row = None
    if programme:
        programme = programme_id(db, programme)
        programme_row = rows(db, "SELECT * FROM programmes WHERE id = ?", [programme])[0]
    focus = year if year is not None else academic_year_start(today, start_month)
    years = [academic_year(start) for start in range(focus - YEARS_SHOWN + 1, focus + 1)]
    agreements = _agreements(db, programme)
    for agreement in agreements:
        agreement["attention"] = _attention(agreement, today, criteria["portfolio"]["ending_within_months"])
    ids = [a["id"] for a in agreements]
    quota, totals = _quota(db, ids, years, start_month)
    titles = {a["id"]: a["title"] for a in agreements}
    for line in quota:
        line["title"] = titles[line["agreement"]]
    partners = _partners(db, ids, today)
    subjects = None
    if programme:
        subjects = (
            [("programmes", programme)]
            + [("agreements", i) for i in ids]
            + [("institutions", p["id"]) for p in partners]
        )
        subjects += [
            ("programme_teacher_partners", f"{programme}/{row['institution']}")
            for row in rows(db, "SELECT institution FROM programme_teacher_partners WHERE programme = ?", [programme])
        ]
    every = findings_on(db, subjects)
    open_findings = [f for f in every if not f["waiver_id"]]
    waived = [f for f in every if f["waiver_id"]]
    goals = _goals(open_findings, waived, checks)
    pack = {
        "kind": "portfolio",
        "today": today.isoformat(),
        "programme": programme_row,
        "year": academic_year(focus),
        "years": years,
        "run": last_run(db),
        "agreements": agreements,
        "attention": [a for a in agreements if a["attention"]],
        "quota": quota,
        "totals": totals,
        "unused": [f for f in every if f["code"] == UNUSED],
        "teacher_gaps": [f for f in every if f["code"] in TEACHER_GAPS],
        "partners": partners,
        "open_findings": open_findings,
        "waived": waived,
        "goals": goals,
        "status_counts": _count(agreements, "status"),
        "tier_counts": _count(partners, "tier"),
        **_programme_goal_data(db, programme, academic_year(academic_year_start(today, start_month))),
    }
    pack["decisions"] = _decisions(db, pack, ids, today)
    return pack


def _count(items: list[dict], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item[key]] = counts.get(item[key], 0) + 1
    return counts


def _decisions(db: sqlite_utils.Database, pack: dict[str, Any], ids: list[str], today: date) -> list[dict[str, Any]]:
    """What the board must decide: each with the facts that make it due."""
    decisions: list[dict[str, Any]] = []
    for agreement in pack["attention"]:
        decisions.append(
            {
                "kind": agreement["attention"]["kind"],
                "subject": agreement["title"],
                "id": agreement["id"],
                **agreement["attention"],
            }
        )
    for finding in pack["unused"]:
        decisions.append(
            {
                "kind": "unused",
                "subject": finding["subject_label"] or finding["subject_id"],
                "id": finding["subject_id"],
                "message": finding["message"],
                "evidence": finding["evidence"],  # the message's template, for the pack's language
            }
        )
    for goal in pack["goals"]:
        if not goal["met"]:
            decisions.append(
                {"kind": "goal", "subject": goal["goal"], "id": goal["goal"], "count": len(goal["findings"])}
            )
    horizon = date.fromordinal(today.toordinal() + DECISION_WINDOW_DAYS).isoformat()
    for finding in pack["waived"]:
        if finding["waiver_until"] and finding["waiver_until"] <= horizon:
            decisions.append(
                {
                    "kind": "waiver_ends",
                    "subject": finding["subject_label"] or finding["subject_id"],
                    "id": finding["id"],
                    "until": finding["waiver_until"],
                    "message": finding["message"],
                    "evidence": finding["evidence"],
                }
            )
    partner_ids = [p["id"] for p in pack["partners"]]
    if ids or partner_ids:
        marks_a = ", ".join("?" for _ in ids) or "NULL"
        marks_p = ", ".join("?" for _ in partner_ids) or "NULL"
        for review in rows(
            db,
            f"""
                SELECT r.id, r.next_review_due, coalesce(i.name, a.title) AS subject FROM reviews r
                LEFT JOIN institutions i ON i.id = r.institution LEFT JOIN agreements a ON a.id = r.agreement
                WHERE (r.agreement IN ({marks_a}) OR r.institution IN ({marks_p}))
                  AND r.next_review_due <= ?
                  AND NOT EXISTS (SELECT 1 FROM reviews later WHERE later.reviewed_on > r.reviewed_on
                                  AND (later.institution = r.institution OR later.agreement = r.agreement))
                ORDER BY r.next_review_due""",
            [*ids, *partner_ids, horizon],
        ):
            decisions.append(
                {
                    "kind": "review_due",
                    "subject": review["subject"],
                    "id": review["id"],
                    "due": review["next_review_due"],
                    "overdue": review["next_review_due"] < today.isoformat(),
                }
            )
    return decisions
