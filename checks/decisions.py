"""What people decide about findings: reviews of a partner or an agreement, and waivers.

Both are records written with the audit log (``registry.db.write_records``), so who decided
what and when stays in ``changes`` as well as in the rows themselves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlite_utils

from checks.run import refresh_waivers
from registry import clock
from registry import db as store
from registry.models import Review
from registry.models.diligence import Waiver
from registry.problems import Problem, ProblemsFound, validation_problems
from registry.text import slugify, unique_id

SUBJECT_TABLES = ("institutions", "agreements")


def resolve_subject(db: sqlite_utils.Database, subject: str, tables: tuple[str, ...] = SUBJECT_TABLES) -> tuple[str, str]:
    """``institutions/x``, ``agreements/y`` or a bare id found in exactly one of ``tables``."""
    if "/" in subject:
        table, _, key = subject.partition("/")
        candidates = [table] if table in tables else []
    else:
        key, candidates = subject, list(tables)
    hits = [t for t in candidates if db.conn.execute(f'SELECT 1 FROM "{t}" WHERE id = ?', [key]).fetchone()]
    if len(hits) == 1:
        return hits[0], key
    where = "both " + " and ".join(hits) if hits else " or ".join(candidates or tables)
    message = (
        f"{key!r} is in {where}: write table/id, e.g. {hits[0]}/{key}"
        if len(hits) > 1
        else f"no record {key!r} in {where}"
    )
    raise ProblemsFound([Problem("unknown-subject", "arguments", message, field="SUBJECT", value=subject)])


def _unique_id(db: sqlite_utils.Database, table: str, base: str) -> str:
    return unique_id(slugify(base), lambda candidate: bool(db.conn.execute(f'SELECT 1 FROM "{table}" WHERE id = ?', [candidate]).fetchone()))


def record_review(
    db: sqlite_utils.Database,
    subject: str,
    *,
    outcome: str,
    reviewer_role: str,
    next_due: date | None,
    reviewed_on: date | None = None,
    conditions: str | None = None,
    notes: str | None = None,
    answers: dict[str, str | None] | None = None,
    actor: str | None = None,
    source: str = "registry review",
) -> Review:
    """Record a due-diligence decision on an institution or agreement.

    ``answers`` holds the review questions (military_or_security_links,
    funding_transparent, export_control_assessed, equitable_terms): yes, no, unknown or
    not_applicable. Raises ``ProblemsFound`` for an unknown subject or an invalid value."""
    table, key = resolve_subject(db, subject)
    actor = actor or store.default_actor()  # who reviewed: the login, never a value of its own
    reviewed_on = reviewed_on or clock.today()
    values: dict[str, Any] = {
        "id": _unique_id(db, "reviews", f"{key}-{reviewed_on.isoformat()}"),
        "institution" if table == "institutions" else "agreement": key,
        "reviewed_on": reviewed_on,
        "reviewer_role": reviewer_role,
        "outcome": outcome,
        "conditions": conditions,
        "next_review_due": next_due,
        "notes": notes,
        "reviewed_by": actor,
        **{name: value for name, value in (answers or {}).items() if value is not None},
    }
    review = _validated(Review, values, "review")
    store.write_records(db, [review], actor=actor, source=source)
    return review


def waive(
    db: sqlite_utils.Database,
    code: str,
    subject: str,
    *,
    reason: str,
    until: date | str,
    granted_on: date | None = None,
    actor: str | None = None,
    source: str = "registry waive",
) -> Waiver:
    """Accept one finding (check ``code`` on ``subject``) for ``reason`` until a date, granted
    by ``actor`` (the login; default: REGISTRY_ACTOR or the user's name).

    The finding must exist (run the checks first); it stays listed, marked waived, and
    counts again the day after ``until``."""
    actor = actor or store.default_actor()
    code = code.upper()
    if "/" in subject:
        table, _, key = subject.partition("/")
        rows = db.conn.execute(
            "SELECT id FROM findings WHERE code = ? AND subject_table = ? AND subject_id = ?", [code, table, key]
        ).fetchall()
    else:
        rows = db.conn.execute("SELECT id FROM findings WHERE code = ? AND subject_id = ?", [code, subject]).fetchall()
    if len(rows) != 1:
        message = (
            f"no finding of {code} on {subject!r}; run 'registry check' first, and give the subject as the finding names it"
            if not rows
            else f"{subject!r} names findings on several tables: write table/id"
        )
        raise ProblemsFound([Problem("unknown-finding", "arguments", message, field="SUBJECT", value=subject)])
    finding = rows[0][0]
    granted_on = granted_on or clock.today()
    values = {
        "id": _unique_id(db, "waivers", f"{code}-{finding.split(':', 2)[2]}-{granted_on.isoformat()}"),
        "finding": finding,
        "reason": reason,
        "granted_on": granted_on,
        "until": until,
        "granted_by": actor,
    }
    waiver = _validated(Waiver, values, "waiver")
    with store.transaction(db, actor=actor, source=source):
        store.write_records(db, [waiver], actor=actor, source=source)
        refresh_waivers(db, granted_on)
    return waiver


def _validated(model, values: dict[str, Any], what: str):
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ProblemsFound(validation_problems(error, "arguments", what)) from error
