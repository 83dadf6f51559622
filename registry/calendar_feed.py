"""The calendar feed: the registry's dates as iCalendar events (RFC 5545), built with ``icalendar``.

End dates and the start of notice periods of agreements in force or in preparation, the next
due-diligence review of each subject, waivers' last days, placement call rounds opening and
closing, and placement periods. Every event's UID is made of its kind and its record's key, so
a calendar program that polls the feed replaces an event when its date or text changes instead
of adding a second one. ``registry calendar`` writes the feed to a file; the internal face serves
it at ``/-/calendar.ics`` to a logged-in account or to a revocable token URL (``calendar_tokens``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

import sqlite_utils
from icalendar import Calendar, Event

from registry import clock
from registry import db as store
from registry.models import Record
from registry.models.action_plan import CalendarToken
from registry.reminders import DEFAULT_BASE_URL, database_name, page_url
from registry.reports.common import months_before, rows

UID_DOMAIN = "partner-registry"
PRODID = "-//partner-registry//agreement calendar//EN"
IN_FORCE = ("draft", "negotiating", "active", "suspended")


def _event(
    uid: str,
    summary: str,
    start: str,
    end: str | None = None,
    *,
    url: str | None = None,
    description: str | None = None,
    category: str,
) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", clock.now())
    event.add("summary", summary)
    first = date.fromisoformat(start)
    last = date.fromisoformat(end) if end else first
    event.add("dtstart", first)
    event.add("dtend", last + timedelta(days=1))  # all-day events end the day after (exclusive)
    event.add("categories", [category])
    event.add("transp", "TRANSPARENT")
    if url:
        event.add("url", url)
    if description:
        event.add("description", description)
    return event


def _scope(db: sqlite_utils.Database, programme: str | None) -> tuple[str, list]:
    if programme is None:
        return "", []
    return "AND a.id IN (SELECT agreement FROM agreement_programmes WHERE programme = ?)", [programme]


def build(
    db: sqlite_utils.Database,
    *,
    programme: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    database: str | None = None,
) -> Calendar:
    """The feed of the whole registry, or of one programme's agreements (and, for a programme with
    clinical placement agreements, the placement rounds and periods)."""
    database = database or database_name(db)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Agreement registry{f': {programme}' if programme else ''}")
    where, params = _scope(db, programme)
    agreements = rows(
        db,
        f"""SELECT a.id, a.title, a.status, a.ends_on, a.notice_months, a.renewal FROM agreements a
                              WHERE a.status IN {IN_FORCE} AND a.ends_on IS NOT NULL {where} ORDER BY a.id""",
        params,
    )
    for a in agreements:
        link = page_url(base_url, "agreements", a["id"], database)
        calendar.add_component(
            _event(
                f"ends-{a['id']}",
                f"Agreement ends: {a['title']}",
                a["ends_on"],
                url=link,
                description=f"Status {a['status']}; renewal {a['renewal']}.",
                category="agreement end",
            )
        )
        if a["notice_months"]:
            notice_from = months_before(date.fromisoformat(a["ends_on"]), a["notice_months"]).isoformat()
            calendar.add_component(
                _event(
                    f"notice-{a['id']}",
                    f"Notice period begins: {a['title']}",
                    notice_from,
                    url=link,
                    description=f"{a['notice_months']} months' notice before the end on {a['ends_on']}: "
                    "renew, renegotiate "
                    "or give notice.",
                    category="notice deadline",
                )
            )
    ids = [a["id"] for a in rows(db, f"SELECT a.id FROM agreements a WHERE 1 {where}", params)]
    for review in _reviews(db, programme, ids):
        calendar.add_component(
            _event(
                f"review-{review['subject_table']}-{review['subject_id']}",
                f"Due-diligence review due: {review['label']}",
                review["next_review_due"],
                url=page_url(base_url, "reviews", review["id"], database),
                category="review",
                description=f"Last reviewed on {review['reviewed_on']} ({review['outcome']}).",
            )
        )
    for waiver in _waivers(db, programme, ids):
        calendar.add_component(
            _event(
                f"waiver-{waiver['id']}",
                f"Waiver ends: {waiver['code']} {waiver['label']}",
                waiver["until"],
                url=page_url(base_url, "waivers", waiver["id"], database),
                category="waiver end",
                description=f"{waiver['message']} Accepted because: {waiver['reason']}",
            )
        )
    if programme is None or _has_placements(db, programme):
        _placements(db, calendar, base_url, database)
    return calendar


def _reviews(db: sqlite_utils.Database, programme: str | None, ids: list[str]) -> list[dict]:
    """The latest review of each subject that names a next review date."""
    latest = rows(
        db,
        """
        SELECT r.id, r.reviewed_on, r.outcome, r.next_review_due, r.institution, r.agreement,
               CASE WHEN r.agreement IS NULL THEN 'institutions' ELSE 'agreements' END AS subject_table,
               coalesce(r.agreement, r.institution) AS subject_id, coalesce(i.name, a.title) AS label
        FROM reviews r LEFT JOIN institutions i ON i.id = r.institution LEFT JOIN agreements a ON a.id = r.agreement
        WHERE r.next_review_due IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM reviews later WHERE later.reviewed_on > r.reviewed_on
                          AND (later.institution = r.institution OR later.agreement = r.agreement))
        ORDER BY r.id""",
    )
    if programme is None:
        return latest
    marks = ", ".join("?" for _ in ids) or "NULL"
    partners = {
        r["institution"]
        for r in rows(db, f"SELECT institution FROM agreement_parties WHERE agreement IN ({marks})", ids)
    }
    return [r for r in latest if r["agreement"] in ids or r["institution"] in partners]


def _waivers(db: sqlite_utils.Database, programme: str | None, ids: list[str]) -> list[dict]:
    found = rows(
        db,
        """SELECT w.id, w.until, w.reason, f.code, f.message, f.subject_table, f.subject_id,
                               coalesce(f.subject_label, f.subject_id) AS label
                        FROM waivers w JOIN findings f ON f.id = w.finding ORDER BY w.id""",
    )
    if programme is None:
        return found
    return [
        w
        for w in found
        if (w["subject_table"], w["subject_id"]) in {("programmes", programme), *(("agreements", i) for i in ids)}
    ]


def _has_placements(db: sqlite_utils.Database, programme: str) -> bool:
    return bool(
        rows(
            db,
            """SELECT 1 FROM agreement_programmes ap JOIN agreements a ON a.id = ap.agreement
                            WHERE ap.programme = ? AND a.kind = 'clinical_placement' LIMIT 1""",
            [programme],
        )
    )


def _placements(db: sqlite_utils.Database, calendar: Calendar, base_url: str, database: str) -> None:
    for r in rows(db, "SELECT * FROM placement_rounds ORDER BY id"):
        link = page_url(base_url, "placement_rounds", r["id"], database)
        calendar.add_component(
            _event(
                f"round-opens-{r['id']}",
                f"Placement call opens: {r['term']} {r['year']}",
                r["call_opens_on"],
                url=link,
                category="call round",
            )
        )
        if r["call_closes_on"]:
            calendar.add_component(
                _event(
                    f"round-closes-{r['id']}",
                    f"Placement call closes: {r['term']} {r['year']}",
                    r["call_closes_on"],
                    url=link,
                    category="call round",
                )
            )
    for p in rows(db, "SELECT * FROM placement_periods ORDER BY id"):
        calendar.add_component(
            _event(
                f"placement-period-{p['id']}",
                f"Clinical placement period {p['id']}",
                p["starts_on"],
                p["ends_on"],
                url=page_url(base_url, "placement_periods", p["id"], database),
                category="placement period",
            )
        )


# --- tokens for calendar programs that cannot log in ------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    db: sqlite_utils.Database, account: str, *, programme: str | None = None, actor: str | None = None
) -> str:
    """A new secret for ``/-/calendar.ics?token=...``; only its digest is stored. Returns the token."""
    token = secrets.token_urlsafe(24)
    store.write_records(
        db,
        [
            CalendarToken(
                token_sha256=token_digest(token), account=account, programme=programme, created_on=clock.today()
            )
        ],
        actor=actor or account,
        source="registry calendar-token",
    )
    return token


def revoke_tokens(
    db: sqlite_utils.Database, *, account: str | None = None, token: str | None = None, actor: str | None = None
) -> int:
    """Revoke the account's tokens, or one token; the number revoked."""
    where, value = ("token_sha256", token_digest(token)) if token else ("account", account)
    found = rows(db, f"SELECT * FROM calendar_tokens WHERE {where} = ? AND revoked_on IS NULL", [value])
    records: list[Record] = [CalendarToken(**{**row, "revoked_on": clock.today()}) for row in found]
    if records:
        store.write_records(db, records, actor=actor or store.default_actor(), source="registry calendar-token revoke")
    return len(records)


def token_scope(db: sqlite_utils.Database, token: str) -> dict | None:
    """The account and programme of a token in force, or None."""
    found = rows(
        db,
        "SELECT account, programme FROM calendar_tokens WHERE token_sha256 = ? AND revoked_on IS NULL",
        [token_digest(token)],
    )
    return found[0] if found else None
