"""Reminders sent to a real SMTP server (aiosmtpd) started by each test: one digest per
recipient, each event once, STARTTLS and login, and a server that refuses or is down."""

from __future__ import annotations

import email
import socket
import ssl
import subprocess
from datetime import date
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner
from conftest import new_registry
from office_records import exchange, registry_file

from registry import db as store
from registry.cli import cli
from registry.models import Contact, Review
from registry.models.action_plan import ReminderRecipient
from registry.models.placements import PlacementRound
from registry.problems import ProblemsFound
from registry.reminders import MailError, remind

AS_OF = date(2026, 12, 5)


class Inbox:
    """An aiosmtpd handler that keeps what it accepts, or refuses given recipients."""

    def __init__(self, refuse: set[str] = frozenset()):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    started = []

    def start(**options) -> tuple[Inbox, int]:
        inbox = Inbox(options.pop("refuse", set()))
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


def registry(path: Path):
    return registry_file(path, [
        Contact(id="office", institution="lund", role="International coordinator", email="coordinator@example.org"),
        Contact(id="med-office", institution="lund", role="Programme office", email="medicine@example.org"),
        Contact(id="nurse-office", institution="lund", role="Programme office", email="nursing@example.org"),
        ReminderRecipient(id="coordinator", contact="office"),
        ReminderRecipient(id="med", contact="med-office", programme="med"),
        ReminderRecipient(id="nurse", contact="nurse-office", programme="nurse"),
        exchange("ending", "Exchange with Oslo", "2026-12-20"),
        exchange("notice", "Nursing with Oslo", "2027-06-20", "nurse", notice_months=6),
        exchange("ended", "Old exchange with Oslo", "2026-06-30", starts_on="2015-08-01"),
        exchange("later", "Far away", "2030-06-30", notice_months=6),
        Review(id="rev-oslo", institution="oslo", reviewed_on="2024-01-10", reviewer_role="due_diligence_reviewer",
               outcome="approved", next_review_due="2026-01-10"),
        PlacementRound(id="2027-autumn", term="autumn", year=2027, call_opens_on="2026-12-15"),
    ])


def test_one_digest_per_recipient_each_event_once(tmp_path, smtp_server):
    inbox, port = smtp_server()
    db = registry(tmp_path / "registry.db")
    outcome = remind(
        db,
        as_of=AS_OF,
        smtp=("127.0.0.1", port),
        sender="registry@example.org",
        base_url="https://registry.example.org",
        outbox=tmp_path / "outbox",
    )
    assert sorted(outcome.sent) == ["coordinator@example.org", "medicine@example.org", "nursing@example.org"]
    assert [a.id for a in outcome.expired] == ["ended"]
    assert db.conn.execute("SELECT status FROM agreements WHERE id = 'ended'").fetchone()[0] == "expired"
    assert len(inbox.messages) == 3
    coordinator = inbox.to("coordinator@example.org")[0].get_content()
    for expected in (
        "Exchange with Oslo ends on 2026-12-20.",
        "https://registry.example.org/registry/agreements/ending",
        "the notice period of 6 months begins on 2026-12-20",
        ("Old exchange with Oslo ended on 2026-06-30 and was marked expired by this run"),
        "review of University of Oslo was due on 2026-01-10 (overdue)",
        "call for autumn 2027 opens on 2026-12-15",
        "/registry/placement_rounds/2027-autumn",
    ):
        assert expected in coordinator, expected
    medicine = inbox.to("medicine@example.org")[0].get_content()
    assert "Exchange with Oslo ends" in medicine and "Nursing with Oslo" not in medicine
    assert "review of University of Oslo" in medicine  # the partner of the programme's agreements
    nursing = inbox.to("nursing@example.org")[0]
    assert "Nursing with Oslo" in nursing.get_content() and "Exchange with Oslo ends" not in nursing.get_content()
    assert nursing["From"] == "registry@example.org" and nursing["Subject"].startswith(
        "Registry reminders as of 2026-12-05"
    )
    recorded = db.conn.execute("SELECT count(*), count(DISTINCT recipient) FROM sent_reminders").fetchone()
    assert recorded[1] == 3 and recorded[0] == sum(len(d.items) for d in outcome.digests)

    again = remind(db, as_of=AS_OF, smtp=("127.0.0.1", port), sender="registry@example.org", outbox=tmp_path / "outbox")
    assert again.digests == [] and len(inbox.messages) == 3

    # a week on, only what is new is sent: the notice period of "later" is still years away
    later = remind(
        db,
        as_of=date(2026, 12, 12),
        smtp=("127.0.0.1", port),
        sender="registry@example.org",
        outbox=tmp_path / "outbox",
    )
    assert later.digests == []


def test_dry_run_sends_expires_and_records_nothing(tmp_path, smtp_server):
    inbox, port = smtp_server()
    db = registry(tmp_path / "registry.db")
    outcome = remind(db, as_of=AS_OF, dry_run=True, smtp=("127.0.0.1", port))
    assert len(outcome.digests) == 3 and inbox.messages == []
    assert "is still marked active" in outcome.digests[0].message.get_content()
    assert db.conn.execute("SELECT status FROM agreements WHERE id = 'ended'").fetchone()[0] == "active"
    assert db.conn.execute("SELECT count(*) FROM sent_reminders").fetchone()[0] == 0


def test_refused_recipient_keeps_its_digest_and_marks_nothing(tmp_path, smtp_server):
    inbox, port = smtp_server(refuse={"medicine@example.org"})
    path = tmp_path / "registry.db"
    registry(path).conn.close()
    result = CliRunner().invoke(
        cli,
        [
            "remind",
            "--db",
            str(path),
            "--as-of",
            "2026-12-05",
            "--smtp",
            f"127.0.0.1:{port}",
            "--from",
            "registry@example.org",
            "--outbox",
            str(tmp_path / "outbox"),
        ],
    )
    assert result.exit_code == 1
    assert f"127.0.0.1:{port}" in result.output and "mailbox unavailable" in result.output
    assert {m["To"] for m in inbox.messages} == {"coordinator@example.org", "nursing@example.org"}
    kept = list((tmp_path / "outbox").glob("*.eml"))
    assert [p.name for p in kept] == ["2026-12-05-medicine_at_example.org.eml"]
    assert (
        "Exchange with Oslo ends" in email.message_from_bytes(kept[0].read_bytes(), policy=default_policy).get_content()
    )
    db = store.connect(path)
    assert (
        db.conn.execute("SELECT count(*) FROM sent_reminders WHERE recipient = 'medicine@example.org'").fetchone()[0]
        == 0
    )
    assert (
        db.conn.execute("SELECT count(*) FROM sent_reminders WHERE recipient = 'nursing@example.org'").fetchone()[0] > 0
    )


def test_server_down_keeps_every_digest_and_exits_1(tmp_path):
    path = tmp_path / "registry.db"
    registry(path).conn.close()
    port = free_port()  # nothing listens there
    result = CliRunner().invoke(
        cli,
        [
            "remind",
            "--db",
            str(path),
            "--as-of",
            "2026-12-05",
            "--smtp",
            f"127.0.0.1:{port}",
            "--from",
            "registry@example.org",
            "--outbox",
            str(tmp_path / "outbox"),
        ],
    )
    assert result.exit_code == 1
    assert f"mail server 127.0.0.1:{port}" in result.output and "nothing was marked as sent" in result.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    db = store.connect(path)
    assert db.conn.execute("SELECT count(*) FROM sent_reminders").fetchone()[0] == 0


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


def test_starttls_and_login(tmp_path, smtp_server, monkeypatch):
    key, cert = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        accepted = auth_data.login == b"office" and auth_data.password == b"s3cret"
        return AuthResult(success=accepted, handled=False)  # not handled: aiosmtpd answers 235 or 535

    inbox, port = smtp_server(
        tls_context=context, require_starttls=True, authenticator=authenticator, auth_require_tls=True
    )
    monkeypatch.setenv("REGISTRY_SMTP_CAFILE", str(cert))
    monkeypatch.setenv("REGISTRY_SMTP_PASSWORD", "s3cret")
    db = registry(tmp_path / "registry.db")
    outcome = remind(
        db,
        as_of=AS_OF,
        smtp=("127.0.0.1", port),
        sender="registry@example.org",
        user="office",
        outbox=tmp_path / "outbox",
    )
    assert len(outcome.sent) == 3 and len(inbox.messages) == 3
    assert logins == [(b"office", b"s3cret", True)]

    monkeypatch.setenv("REGISTRY_SMTP_PASSWORD", "wrong")
    db.conn.execute("DELETE FROM sent_reminders")
    with pytest.raises(MailError, match=rf"127.0.0.1:{port}: .*535"):
        remind(
            db,
            as_of=AS_OF,
            smtp=("127.0.0.1", port),
            sender="registry@example.org",
            user="office",
            outbox=tmp_path / "outbox",
        )
    assert db.conn.execute("SELECT count(*) FROM sent_reminders").fetchone()[0] == 0


def test_an_address_that_is_not_an_address_is_refused_when_stored(tmp_path):
    db = store.connect(new_registry(tmp_path / "registry.db"))
    with pytest.raises(ValueError, match="is not an e-mail address"):
        Contact(id="x", institution="lund", role="Office", email="office@exa_mple.org")
    seed = tmp_path / "contacts.yml"
    seed.write_text(
        "institutions:\n  - {id: lund, name: Lund University, country: SE}\n"
        "contacts:\n  - {id: x, institution: lund, role: Office, email: 'office at example.org'}\n"
    )
    from registry.importers import seed as seeds

    with pytest.raises(ProblemsFound) as found:
        seeds.load(db, [seed])
    assert (
        "email" in str(found.value.problems[0]) and db.conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    )


def test_without_a_mail_server_nothing_happens(tmp_path):
    path = tmp_path / "registry.db"
    registry(path).conn.close()
    result = CliRunner().invoke(cli, ["remind", "--db", str(path), "--as-of", "2026-12-05"], env={"REGISTRY_SMTP": ""})
    assert result.exit_code == 2 and "no mail server" in result.output
    db = store.connect(path)
    assert db.conn.execute("SELECT status FROM agreements WHERE id = 'ended'").fetchone()[0] == "active"
