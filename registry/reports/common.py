"""What the review pack and the dossier share: dates, the last check run, findings in words."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlite_utils

GOALS = ("1.1", "1.2", "2.2", "3.1", "3.2")
_GOAL = re.compile(r"(?<![\d.-])([1-3]\.[1-3])(?![\d-])")
PLAN_WORDS = "Action plan"


def rows(db: sqlite_utils.Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cursor = db.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it has fewer days)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def academic_year_start(day: date, start_month: int) -> int:
    """The first calendar year of the academic year ``day`` falls in (it starts in ``start_month``)."""
    return day.year if day.month >= start_month else day.year - 1


def academic_year(start: int) -> str:
    return f"{start}/{start + 1}"


def goals_of_checks(checks: Iterable[Any]) -> dict[str, list[dict[str, str]]]:
    """For each action-plan goal, the checks whose source names it: code, title, source. ``checks``
    are the check specifications (``checks.registry.all_checks()``), handed in by ``registry.api``:
    the library never imports the checks."""
    served: dict[str, list[dict[str, str]]] = {goal: [] for goal in GOALS}
    for spec in checks:
        if PLAN_WORDS.lower() not in spec.source.lower():
            continue
        for goal in dict.fromkeys(_GOAL.findall(spec.source)):
            if goal in served:
                served[goal].append({"code": spec.code, "title": spec.title, "source": spec.source})
    return served


def last_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    found = rows(db, "SELECT id, as_of, started_at FROM check_runs ORDER BY started_at DESC, id DESC LIMIT 1")
    return found[0] if found else None


def findings_on(db: sqlite_utils.Database, subjects: list[tuple[str, str]] | None, *, statuses=("open",)) -> list[dict]:
    """Findings on these (table, id) subjects (all when None), with their waiver, most severe first."""
    marks = ", ".join("?" for _ in statuses)
    found = rows(
        db,
        f"""
        SELECT f.id, f.code, f.family, f.severity, f.subject_table, f.subject_id, f.subject_label, f.message,
               f.evidence, f.status, f.first_seen, f.last_seen, f.resolved_on,
               w.id AS waiver_id, w.reason AS waiver_reason, w.until AS waiver_until, w.granted_by AS waiver_by
        FROM findings_seen f LEFT JOIN waivers w ON w.id = f.waiver
        WHERE f.status IN ({marks})
        ORDER BY CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END,
                 f.code, f.subject_id
    """,
        list(statuses),
    )
    if subjects is not None:
        wanted = set(subjects)
        found = [f for f in found if (f["subject_table"], f["subject_id"]) in wanted]
    for finding in found:
        finding["evidence"] = json.loads(finding["evidence"] or "{}")
    return found
