"""The calendar feed, built with icalendar and read back with its parser: from the command line,
and from the internal face's /-/calendar.ics for a logged-in account or a revocable token URL."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from icalendar import Calendar
from office_records import exchange, registry_file

from registry import calendar_feed, faces
from registry import db as store
from registry.cli import cli
from registry.models import Agreement, Review
from registry.models.placements import PlacementPeriod, PlacementRound


def registry(path: Path):
    period = PlacementPeriod(id="2027-autumn-p1", round="2027-autumn", starts_on="2027-09-06", ends_on="2027-10-01")
    return registry_file(path, [
        exchange("med-oslo", "Medicine with Oslo", "2027-06-30", notice_months=6),
        exchange("nurse-oslo", "Nursing with Oslo", "2028-01-31", "nurse"),
        exchange("old", "Old and ended", "2019-01-31", status="terminated", starts_on=None),
        Review(id="rev-1", institution="oslo", reviewed_on="2024-01-10", reviewer_role="due_diligence_reviewer",
               outcome="approved", next_review_due="2025-01-10"),
        Review(id="rev-2", institution="oslo", reviewed_on="2025-01-12", reviewer_role="due_diligence_reviewer",
               outcome="approved", next_review_due="2027-01-12"),
        PlacementRound(id="2027-autumn", term="autumn", year=2027, call_opens_on="2027-04-01",
                       call_closes_on="2027-04-30", periods=[period]),
    ])


def events(feed: bytes) -> dict[str, dict]:
    parsed = Calendar.from_ical(feed)
    return {
        str(e["UID"]): {
            "summary": str(e["SUMMARY"]),
            "start": e.decoded("DTSTART"),
            "end": e.decoded("DTEND"),
            "url": str(e.get("URL", "")),
        }
        for e in parsed.walk("VEVENT")
    }


def test_feed_has_every_kind_of_date_with_stable_uids(tmp_path):
    db = registry(tmp_path / "registry.db")
    found = events(calendar_feed.build(db, base_url="https://registry.example.org").to_ical())
    assert found["ends-med-oslo@partner-registry"]["start"] == date(2027, 6, 30)
    assert found["ends-med-oslo@partner-registry"]["end"] == date(2027, 7, 1)
    assert found["ends-med-oslo@partner-registry"]["url"] == "https://registry.example.org/registry/agreements/med-oslo"
    assert found["notice-med-oslo@partner-registry"]["start"] == date(2026, 12, 30)
    assert "notice-nurse-oslo@partner-registry" not in found  # no notice period recorded
    assert "ends-old@partner-registry" not in found  # terminated: nothing to remind of
    review = found["review-institutions-oslo@partner-registry"]  # the latest review only
    assert review["start"] == date(2027, 1, 12) and "University of Oslo" in review["summary"]
    assert found["round-opens-2027-autumn@partner-registry"]["start"] == date(2027, 4, 1)
    assert found["round-closes-2027-autumn@partner-registry"]["start"] == date(2027, 4, 30)
    period = found["placement-period-2027-autumn-p1@partner-registry"]
    assert (period["start"], period["end"]) == (date(2027, 9, 6), date(2027, 10, 2))

    # a changed end date keeps the UID, so a calendar program replaces the event
    store.write_records(
        db,
        [
            Agreement(
                id="med-oslo",
                title="Medicine with Oslo",
                kind="student_exchange",
                status="active",
                starts_on="2020-08-01",
                ends_on="2028-06-30",
                notice_months=6,
            )
        ],
        actor="test",
    )
    again = events(calendar_feed.build(db).to_ical())
    assert set(again) == set(found)
    assert again["ends-med-oslo@partner-registry"]["start"] == date(2028, 6, 30)


def test_programme_feed_and_command(tmp_path):
    path = tmp_path / "registry.db"
    registry(path).conn.close()
    out = tmp_path / "med.ics"
    result = CliRunner().invoke(cli, ["calendar", "--programme", "Medicine", "-o", str(out), "--db", str(path)])
    assert result.exit_code == 0, result.output
    found = events(out.read_bytes())
    assert "ends-med-oslo@partner-registry" in found and "ends-nurse-oslo@partner-registry" not in found
    assert "round-opens-2027-autumn@partner-registry" not in found  # medicine has no placement agreement here
    assert "review-institutions-oslo@partner-registry" in found  # a partner of the programme's agreements
    result = CliRunner().invoke(cli, ["calendar", "--programme", "medicne", "-o", str(out), "--db", str(path)])
    assert result.exit_code == 2 and "closest: med (Medicine)" in result.output


PASSWORD = "a long test password"


# One internal face per registry file, as a server keeps one: making a Datasette costs 0.25-0.45 s CPU.
_datasettes: dict[tuple[Path, bool], object] = {}


def get(path: Path, url: str, *, auth: bool = True, actor: str | None = None):
    """GET url from the internal face, anonymously or after logging in as ``actor`` through the login form."""
    if (path, auth) not in _datasettes:
        _datasettes[path, auth] = faces.internal_face(path, auth=auth).datasette()
    datasette = _datasettes[path, auth]

    async def fetch():
        cookies = {}
        if actor:
            form = await datasette.client.get("/-/login")
            cookies.update(form.cookies)
            token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
            login = await datasette.client.post(
                "/-/login", data={"username": actor, "password": PASSWORD, "csrftoken": token}, cookies=cookies)
            assert login.status_code == 302, login.text
            cookies.update(login.cookies)
        return await datasette.client.get(url, cookies=cookies)

    return asyncio.run(fetch())


@pytest.fixture
def account(monkeypatch):
    monkeypatch.setenv(f"{faces.ACCOUNT_PREFIX}OFFICE", faces.hash_password(PASSWORD))


def test_internal_face_serves_the_feed_behind_login_or_token(tmp_path, account):
    path = tmp_path / "registry.db"
    db = registry(path)
    anonymous = get(path, "/-/calendar.ics")
    assert anonymous.status_code == 403 and "log in" in anonymous.text

    logged_in = get(path, "/-/calendar.ics?programme=nurse", actor="office")
    assert logged_in.status_code == 200 and logged_in.headers["content-type"].startswith("text/calendar")
    found = events(logged_in.content)
    assert "ends-nurse-oslo@partner-registry" in found and "ends-med-oslo@partner-registry" not in found
    assert found["ends-nurse-oslo@partner-registry"]["url"].endswith("/registry/agreements/nurse-oslo")
    assert get(path, "/-/calendar.ics?programme=nope", actor="office").status_code == 404
    assert 'href="/-/calendar.ics"' in get(path, "/", actor="office").text

    token = calendar_feed.create_token(db, "office", programme="med")
    assert (
        db.conn.execute(
            "SELECT count(*) FROM calendar_tokens WHERE token_sha256 = ?", [calendar_feed.token_digest(token)]
        ).fetchone()[0]
        == 1
    )
    assert token not in str(db.conn.execute("SELECT * FROM calendar_tokens").fetchall())
    polled = get(path, f"/-/calendar.ics?token={token}")
    assert polled.status_code == 200 and "ends-med-oslo@partner-registry" in events(polled.content)
    assert "ends-nurse-oslo@partner-registry" not in events(polled.content)
    assert get(path, "/-/calendar.ics?token=not-a-token").status_code == 403

    result = CliRunner().invoke(cli, ["calendar-token", "revoke", "--account", "office", "--db", str(path)])
    assert result.exit_code == 0 and "revoked 1" in result.output
    assert get(path, f"/-/calendar.ics?token={token}").status_code == 403


def test_token_command_prints_a_url_once(tmp_path, account):
    path = tmp_path / "registry.db"
    registry(path).conn.close()
    result = CliRunner().invoke(
        cli,
        [
            "calendar-token",
            "create",
            "--account",
            "office",
            "--db",
            str(path),
            "--base-url",
            "https://registry.example.org",
        ],
    )
    assert result.exit_code == 0
    url = result.output.strip()
    assert url.startswith("https://registry.example.org/-/calendar.ics?token=")
    assert get(path, url.removeprefix("https://registry.example.org")).status_code == 200
