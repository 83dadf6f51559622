"""Reminders by e-mail: one digest per recipient of what comes due, each event sent once.

Events, as of a date and within a horizon of days: an agreement's notice period begins (or has
begun and it has not ended), an agreement ends, an agreement past its end is still active (``remind``
runs ``registry expire`` first, so such an agreement is reported as expired by this run), a
due-diligence review is due or overdue, a waiver ends, a placement call round opens.

Recipients are role addresses the registry holds: the coordinators (``reminder_recipients`` without
a programme) receive everything; a programme's contacts receive what concerns the programme's
agreements; a home-side contact named on an agreement receives that agreement's. Each event's key
(``ends:agreement-id:2027-06-30``) and recipient go into ``sent_reminders`` once the mail server has
accepted the digest, so the next run leaves them out. A digest the server does not accept is
written to the outbox folder as an .eml file and nothing of it is marked as sent.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from registry import clock
from registry import db as store
from registry.expiry import Expired, expire, past_end
from registry.models import Record
from registry.models.action_plan import SentReminder
from registry.problems import UsageProblem
from registry.reports.common import months_before, rows

DEFAULT_HORIZON_DAYS = 30
DEFAULT_BASE_URL = "http://127.0.0.1:8001"
PASSWORD_VARIABLE = "REGISTRY_SMTP_PASSWORD"  # never on the command line, where ps shows it
CAFILE_VARIABLE = "REGISTRY_SMTP_CAFILE"  # a private CA's certificate, for a server the system does not trust


@dataclass(frozen=True)
class Item:
    event: str  # stable key: kind:id:date
    kind: str
    text: str
    link: str
    day: str
    agreements: tuple[str, ...] = ()  # whose programmes' and contacts' recipients it concerns


@dataclass
class Digest:
    recipient: str
    items: list[Item]
    message: EmailMessage


@dataclass
class Outcome:
    digests: list[Digest] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # recipient -> the server's error
    kept: list[Path] = field(default_factory=list)
    expired: list[Any] = field(default_factory=list)


class MailError(RuntimeError):
    """The mail server could not be reached or refused to talk (before any digest went)."""


def database_name(db: sqlite_utils.Database) -> str:
    """The name the internal face serves the registry under: its file name without suffix."""
    path = store.file_path(db.conn)
    return Path(path).stem if path else "registry"


def page_url(base_url: str, table: str, key: str, database: str = "registry") -> str:
    """The record's page on the internal face (Datasette's row page)."""
    return f"{base_url.rstrip('/')}/{quote(database)}/{table}/{quote(key, safe='')}"


def collect(
    db: sqlite_utils.Database, as_of: date, horizon_days: int, base_url: str, expired_now: Sequence[Any] = ()
) -> list[Item]:
    """Every event due within the horizon (or overdue), as items with a link to their page."""
    database = database_name(db)
    until = (as_of + timedelta(days=horizon_days)).isoformat()
    today = as_of.isoformat()
    items: list[Item] = []
    for agreement in rows(
        db,
        """SELECT id, title, ends_on, notice_months FROM agreements
                                 WHERE status IN ('active', 'suspended') AND ends_on IS NOT NULL AND ends_on >= ?""",
        [today],
    ):
        link = page_url(base_url, "agreements", agreement["id"], database)
        if agreement["notice_months"]:
            notice_from = months_before(
                date.fromisoformat(agreement["ends_on"]), agreement["notice_months"]
            ).isoformat()
            if notice_from <= until:
                verb = "begins" if notice_from >= today else "began"
                items.append(
                    Item(
                        f"notice:{agreement['id']}:{notice_from}",
                        "notice",
                        f"{agreement['title']}: the notice period of {agreement['notice_months']} months {verb} "
                        f"on {notice_from}; it ends on {agreement['ends_on']}.",
                        link,
                        notice_from,
                        (agreement["id"],),
                    )
                )
        if agreement["ends_on"] <= until:
            items.append(
                Item(
                    f"ends:{agreement['id']}:{agreement['ends_on']}",
                    "ends",
                    f"{agreement['title']} ends on {agreement['ends_on']}.",
                    link,
                    agreement["ends_on"],
                    (agreement["id"],),
                )
            )
    past = list(expired_now) or [Expired(row["id"], row["title"], row["ends_on"]) for row in past_end(db, as_of)]
    marked = bool(expired_now)
    for agreement in past:
        state = "was marked expired by this run" if marked else "is still marked active"
        items.append(
            Item(
                f"past_end:{agreement.id}:{agreement.ends_on}",
                "past_end",
                f"{agreement.title} ended on {agreement.ends_on} and {state}.",
                page_url(base_url, "agreements", agreement.id, database),
                agreement.ends_on,
                (agreement.id,),
            )
        )
    for review in rows(
        db,
        """
            SELECT r.id, r.agreement, r.institution, r.next_review_due, coalesce(i.name, a.title) AS subject
            FROM reviews r LEFT JOIN institutions i ON i.id = r.institution LEFT JOIN agreements a ON a.id = r.agreement
            WHERE r.next_review_due <= ?
              AND NOT EXISTS (SELECT 1 FROM reviews later WHERE later.reviewed_on > r.reviewed_on
                              AND (later.institution = r.institution OR later.agreement = r.agreement))""",
        [until],
    ):
        overdue = review["next_review_due"] < today
        concerns = (
            (review["agreement"],)
            if review["agreement"]
            else tuple(
                r["agreement"]
                for r in rows(
                    db,
                    """SELECT p.agreement FROM agreement_parties p JOIN agreements a
                                                ON a.id = p.agreement
                                                AND a.status IN ('draft', 'negotiating', 'active', 'suspended')
                                                WHERE p.institution = ?""",
                    [review["institution"]],
                )
            )
        )
        when = (
            f"was due on {review['next_review_due']} (overdue)" if overdue else f"is due on {review['next_review_due']}"
        )
        items.append(
            Item(
                f"review:{review['id']}:{review['next_review_due']}",
                "review",
                f"The due-diligence review of {review['subject']} {when}.",
                page_url(base_url, "reviews", review["id"], database),
                review["next_review_due"],
                concerns,
            )
        )
    for waiver in rows(
        db,
        """SELECT w.id, w.until, w.reason, f.message, f.subject_table, f.subject_id FROM waivers w
                              JOIN findings f ON f.id = w.finding WHERE w.until >= ? AND w.until <= ?""",
        [today, until],
    ):
        concerns = (waiver["subject_id"],) if waiver["subject_table"] == "agreements" else ()
        items.append(
            Item(
                f"waiver:{waiver['id']}:{waiver['until']}",
                "waiver",
                f"A waiver ends on {waiver['until']}: {waiver['message']} (accepted because: {waiver['reason']})",
                page_url(base_url, "waivers", waiver["id"], database),
                waiver["until"],
                concerns,
            )
        )
    for round_ in rows(
        db,
        """SELECT id, term, year, call_opens_on, call_closes_on FROM placement_rounds
                              WHERE call_opens_on >= ? AND call_opens_on <= ?""",
        [today, until],
    ):
        closes = f", closing on {round_['call_closes_on']}" if round_["call_closes_on"] else ""
        items.append(
            Item(
                f"round:{round_['id']}:{round_['call_opens_on']}",
                "round",
                f"The clinical placement call for {round_['term']} {round_['year']} opens on "
                f"{round_['call_opens_on']}{closes}.",
                page_url(base_url, "placement_rounds", round_["id"], database),
                round_["call_opens_on"],
            )
        )
    return sorted(items, key=lambda item: (item.day, item.event))


def recipients_of(db: sqlite_utils.Database, items: list[Item]) -> dict[str, list[Item]]:
    """Each address with the items it should receive."""
    coordinators = [
        r["email"]
        for r in rows(
            db,
            """SELECT c.email FROM reminder_recipients r
                                                   JOIN contacts c ON c.id = r.contact
                                                   WHERE r.programme IS NULL AND c.email IS NOT NULL""",
        )
    ]
    by_agreement: dict[str, set[str]] = defaultdict(set)
    for row in rows(
        db,
        """SELECT ap.agreement, c.email FROM reminder_recipients r JOIN contacts c ON c.id = r.contact
                           JOIN agreement_programmes ap ON ap.programme = r.programme WHERE c.email IS NOT NULL
                           UNION
                           SELECT c.agreement, c.email FROM contacts c JOIN institutions i ON i.id = c.institution
                           WHERE i.is_home = 1 AND c.agreement IS NOT NULL AND c.email IS NOT NULL""",
    ):
        by_agreement[row["agreement"]].add(row["email"])
    wanted: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        addresses = set(coordinators)
        for agreement in item.agreements:
            addresses |= by_agreement.get(agreement, set())
        for address in sorted(addresses):
            wanted[address].append(item)
    return dict(wanted)


def _coordinator_address(db: sqlite_utils.Database) -> str | None:
    """The first coordinator's role address: the sender when none is given."""
    found = db.conn.execute("""SELECT c.email FROM reminder_recipients r JOIN contacts c ON c.id = r.contact
                               WHERE r.programme IS NULL AND c.email IS NOT NULL ORDER BY r.id LIMIT 1""").fetchone()
    return found[0] if found else None


def _already_sent(db: sqlite_utils.Database) -> set[tuple[str, str]]:
    return {(row[0], row[1]) for row in db.conn.execute("SELECT event, recipient FROM sent_reminders")}


HEADINGS = {
    "past_end": "Past their end date",
    "notice": "Notice periods",
    "ends": "Agreements ending",
    "review": "Due-diligence reviews due",
    "waiver": "Waivers ending",
    "round": "Placement call rounds opening",
}


def compose(recipient: str, items: list[Item], sender: str, as_of: date) -> EmailMessage:
    message = EmailMessage()
    count = len(items)
    message["Subject"] = f"Registry reminders as of {as_of}: {count} item{'s' if count != 1 else ''}"
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    lines = [f"Reminders from the agreement registry as of {as_of}.", ""]
    for kind, heading in HEADINGS.items():
        mine = [item for item in items if item.kind == kind]
        if mine:
            lines += [heading, "-" * len(heading)]
            for item in mine:
                lines += [f"* {item.text}", f"  {item.link}"]
            lines.append("")
    lines.append("Each event is sent once; the registry records what was sent (table sent_reminders).")
    message.set_content("\n".join(lines))
    return message


def _keep(outbox: Path, digest: Digest, as_of: date) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{as_of}-{digest.recipient.replace('@', '_at_')}.eml"
    path.write_bytes(bytes(digest.message))
    return path


def _connect(host: str, port: int, *, starttls: bool | None, user: str | None) -> smtplib.SMTP:
    """A session with the server: STARTTLS when asked (or offered, unless refused), then login."""
    try:
        session = smtplib.SMTP(host, port, timeout=30)
        session.ehlo()
        if starttls or (starttls is None and session.has_extn("starttls")):
            session.starttls(context=ssl.create_default_context(cafile=os.environ.get(CAFILE_VARIABLE) or None))
            session.ehlo()
        if user:
            session.login(user, os.environ.get(PASSWORD_VARIABLE, ""))
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"mail server {host}:{port}: {error}") from error
    return session


def remind(
    db: sqlite_utils.Database,
    *,
    as_of: date | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    dry_run: bool = False,
    smtp: tuple[str, int] | None = None,
    sender: str | None = None,
    starttls: bool | None = None,
    user: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    outbox: Path = Path("reminders-outbox"),
    actor: str | None = None,
) -> Outcome:
    """Expire what is past its end, then send each recipient the events not yet sent to it.
    ``dry_run`` composes the digests and changes nothing. Raises MailError when the server cannot be
    reached; the digests are then in the outbox and nothing is marked sent."""
    as_of = as_of or clock.today()
    if smtp is None and not dry_run:
        raise UsageProblem("no mail server: give --smtp HOST:PORT (or set REGISTRY_SMTP), or --dry-run")
    outcome = Outcome()
    if not dry_run:
        outcome.expired = expire(db, as_of=as_of, actor=actor)
    items = collect(db, as_of, horizon_days, base_url, outcome.expired)
    done = _already_sent(db)
    sender = sender or _coordinator_address(db) or "registry@localhost"
    for recipient, wanted in recipients_of(db, items).items():
        fresh = [item for item in wanted if (item.event, recipient) not in done]
        if fresh:
            outcome.digests.append(Digest(recipient, fresh, compose(recipient, fresh, sender, as_of)))
    if dry_run or not outcome.digests:
        return outcome
    try:
        assert smtp is not None  # refused above unless dry_run
        session = _connect(smtp[0], smtp[1], starttls=starttls, user=user)
    except MailError:
        outcome.kept = [_keep(outbox, digest, as_of) for digest in outcome.digests]
        raise
    with session:
        for digest in outcome.digests:
            try:
                session.send_message(digest.message)
            except (smtplib.SMTPException, OSError) as error:
                outcome.failed[digest.recipient] = f"{smtp[0]}:{smtp[1]}: {error}"
                outcome.kept.append(_keep(outbox, digest, as_of))
                continue
            _record(db, digest, actor)
            outcome.sent.append(digest.recipient)
    return outcome


def _record(db: sqlite_utils.Database, digest: Digest, actor: str | None) -> None:
    sent_at = clock.now_text()
    records: list[Record] = [
        SentReminder(
            event=item.event, recipient=digest.recipient, sent_at=sent_at, subject=str(digest.message["Subject"])
        )
        for item in digest.items
    ]
    store.write_records(db, records, actor=actor or store.default_actor(), source="registry remind")
