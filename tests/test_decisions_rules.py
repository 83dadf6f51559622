"""Decisions that mean what they say: a review is not dated after today and its next review
falls after it, at most five years on; a waiver runs at most as long as data/criteria.yml
allows; the same rules in the models, the command line and raw SQL (the store's triggers)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from registry import clock
from registry.models import Review, limits
from registry.models.diligence import Waiver


def years_on(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def review(**values):
    return {"id": "r", "institution": "x", "reviewer_role": "legal_counsel", "outcome": "approved",
            "reviewed_on": clock.today(), **values}


def test_the_criteria_give_the_limits():
    assert limits.review_next_due_years() == 5 and limits.waiver_years() == 3


def test_a_review_model_refuses_a_date_after_today_and_a_next_due_out_of_range():
    today = clock.today()
    assert Review(**review(next_review_due=years_on(today, 5))).next_review_due == years_on(today, 5)
    with pytest.raises(ValidationError, match="a review cannot be dated after today"):
        Review(**review(reviewed_on=today + timedelta(days=1)))
    with pytest.raises(ValidationError, match="due after the review itself"):
        Review(**review(next_review_due=today))
    with pytest.raises(ValidationError, match="at most 5 years after the review"):
        Review(**review(next_review_due=years_on(today, 5) + timedelta(days=1)))


def test_a_waiver_model_refuses_more_than_the_criteria_allow():
    today = clock.today()
    base = {"id": "w", "finding": "F", "reason": "r", "granted_on": today}
    assert Waiver(**base, until=years_on(today, 3)).until == years_on(today, 3)
    with pytest.raises(ValidationError, match="at most 3 years"):
        Waiver(**base, until=years_on(today, 3) + timedelta(days=1))
    with pytest.raises(ValidationError, match="cannot be granted after today"):
        Waiver(**{**base, "granted_on": today + timedelta(days=1)}, until=today + timedelta(days=2))


@pytest.fixture
def subject(registry_db):
    registry_db.conn.execute("INSERT INTO institutions (id, name, country) VALUES ('x', 'X University', 'NO')")
    return registry_db


@pytest.mark.parametrize(
    "reviewed_on, next_due, refusal",
    [
        (1, None, "reviews: a review cannot be dated after today"),
        (0, 0, "reviews: the next review is due after the review itself"),
        (-10, 5 * 366, "reviews: the next review is due at most 5 years"),
    ],
)
def test_raw_sql_meets_the_same_rules(subject, reviewed_on, next_due, refusal):
    today = clock.today()
    on = (today + timedelta(days=reviewed_on)).isoformat()
    due = None if next_due is None else (today + timedelta(days=reviewed_on + next_due)).isoformat()
    with pytest.raises(sqlite3.IntegrityError, match=refusal):
        subject.conn.execute(
            "INSERT INTO reviews (id, institution, reviewed_on, reviewer_role, outcome, next_review_due) "
            "VALUES ('r', 'x', ?, 'legal_counsel', 'approved', ?)", [on, due])
    assert subject.conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0


def test_raw_sql_updates_are_judged_only_on_the_fields_they_change(subject):
    today = clock.today()
    subject.conn.execute(
        "INSERT INTO reviews (id, institution, reviewed_on, reviewer_role, outcome) VALUES ('r', 'x', ?, 'legal_counsel', 'approved')",
        [today.isoformat()])
    with pytest.raises(sqlite3.IntegrityError, match="cannot be dated after today"):
        subject.conn.execute("UPDATE reviews SET reviewed_on = ? WHERE id = 'r'", [(today + timedelta(days=3)).isoformat()])
    with pytest.raises(sqlite3.IntegrityError, match="at most 5 years"):
        subject.conn.execute("UPDATE reviews SET next_review_due = ? WHERE id = 'r'", [years_on(today, 6).isoformat()])
    subject.conn.execute("UPDATE reviews SET notes = 'seen again' WHERE id = 'r'")
    assert subject.conn.execute("SELECT notes, next_review_due FROM reviews").fetchone() == ("seen again", None)


def test_raw_sql_waiver_longer_than_allowed_is_refused(subject):
    today = clock.today()
    subject.conn.execute("PRAGMA foreign_keys = OFF")  # no finding needed to meet the rule
    insert = "INSERT INTO waivers (id, finding, reason, granted_on, until) VALUES (?, 'F', 'r', ?, ?)"
    with pytest.raises(sqlite3.IntegrityError, match="waivers: a waiver runs at most 3 years"):
        subject.conn.execute(insert, ["w", today.isoformat(), "2999-12-31"])
    with pytest.raises(sqlite3.IntegrityError, match="waivers: a waiver cannot be granted after today"):
        subject.conn.execute(insert, ["w", (today + timedelta(days=1)).isoformat(), (today + timedelta(days=9)).isoformat()])
    subject.conn.execute(insert, ["w", today.isoformat(), years_on(today, 3).isoformat()])


# --- the command line: the login decides, its account says in what role -------------------------

from click.testing import CliRunner  # noqa: E402

from registry.cli import cli  # noqa: E402


def invoke(*args, input=None, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, env=env, catch_exceptions=False)


@pytest.fixture
def cli_db(subject, registry_path):
    return registry_path


def test_a_review_dated_after_today_is_refused_by_the_command_line(cli_db):
    later = clock.today() + timedelta(days=1)
    result = invoke("review", "x", "--db", cli_db, "--outcome", "approved", "--reviewer-role", "legal_counsel",
                    "--reviewed-on", later.isoformat())
    assert result.exit_code == 1 and "a review cannot be dated after today" in result.output
    result = invoke("review", "x", "--db", cli_db, "--outcome", "approved", "--reviewer-role", "legal_counsel",
                    "--next-due", years_on(clock.today(), 6).isoformat())
    assert result.exit_code == 1 and "at most 5 years" in result.output
    assert sqlite3.connect(cli_db).execute("SELECT count(*) FROM reviews").fetchone()[0] == 0


def test_the_command_line_records_the_login_and_its_accounts_reviewer_role(cli_db):
    env = {"REGISTRY_ACTOR": "rita"}
    assert invoke("user", "add", "rita", "--role", "reviewer", "--reviewer-role", "security_officer", "--password-stdin",
                  "--db", cli_db, input="rita-password-1\n").exit_code == 0
    claimed = invoke("review", "x", "--db", cli_db, "--outcome", "approved", "--reviewer-role", "legal_counsel", env=env)
    assert claimed.exit_code == 1 and "whose account decides as security_officer, not legal_counsel" in claimed.output
    recorded = invoke("review", "x", "--db", cli_db, "--outcome", "approved", "--json", env=env)
    assert recorded.exit_code == 0, recorded.output
    assert sqlite3.connect(cli_db).execute("SELECT reviewer_role, reviewed_by FROM reviews").fetchone() == ("security_officer", "rita")
    unknown = invoke("review", "x", "--db", cli_db, "--outcome", "approved", env={"REGISTRY_ACTOR": "nobody"})
    assert unknown.exit_code == 1 and "give --reviewer-role" in unknown.output


def test_a_waiver_is_granted_by_the_login_never_by_an_option(cli_db):
    result = invoke("waive", "DQ05", "x", "--db", cli_db, "--reason", "r", "--until", "2027-01-01", "--granted-by", "Head of Office")
    assert result.exit_code == 2 and "granted by your login" in result.output


# --- registry user ------------------------------------------------------------------------------


def test_a_name_with_a_newline_or_an_escape_is_refused_in_one_line(registry_path):
    for name in ("bad\nname", "bad\x1b[31mname"):
        added = invoke("user", "add", name, "--role", "viewer", "--password-stdin", "--db", registry_path,
                       input="vera-password-1\n")
        problem = [line for line in added.output.splitlines() if "invalid-value" in line]
        assert added.exit_code == 1 and len(problem) == 1, added.output
        assert f"account {repr(name)[1:-1]}: name:" in problem[0] and "\x1b[" not in added.output


def test_registry_user_add_list_passwd_remove(registry_path, monkeypatch):
    from registry import accounts, passwords

    db = registry_path
    # The accounts are made on one day and the password changed on the next, so the change's
    # timestamp differs whatever the clock's speed (within one second it would not).
    monkeypatch.setenv(clock.ENVIRONMENT_VARIABLE, "2026-11-30")
    added = invoke("user", "add", "Vera", "--role", "viewer", "--password-stdin", "--db", db, input="vera-password-1\n")
    assert added.exit_code == 0 and "added vera (viewer)" in added.output
    again = invoke("user", "add", "vera", "--role", "admin", "--password-stdin", "--db", db, input="vera-password-2\n")
    assert again.exit_code == 1 and "already an account 'vera'" in again.output
    weak = invoke("user", "add", "walt", "--role", "viewer", "--password-stdin", "--db", db, input="short\n")
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output
    bad_role = invoke("user", "add", "walt", "--role", "owner", "--password-stdin", "--db", db, input="walt-password-1\n")
    assert bad_role.exit_code == 2
    assert invoke("user", "add", "ada", "--role", "admin", "--password-stdin", "--db", db, input="ada-password-01\n").exit_code == 0
    listed = invoke("user", "list", "--db", db).output
    assert "vera" in listed and "viewer" in listed and "ada" in listed and "decides as due_diligence_reviewer" in listed
    conn = sqlite3.connect(db)
    first = conn.execute("SELECT password_hash FROM account_passwords WHERE account = 'vera'").fetchone()[0]
    assert first.startswith("$argon2id$") and passwords.verify_password("vera-password-1", first)
    monkeypatch.setenv(clock.ENVIRONMENT_VARIABLE, "2026-12-01")
    assert invoke("user", "passwd", "vera", "--password-stdin", "--db", db, input="vera-password-2\n").exit_code == 0
    second = conn.execute("SELECT password_hash FROM account_passwords WHERE account = 'vera'").fetchone()[0]
    assert passwords.verify_password("vera-password-2", second) and not passwords.verify_password("vera-password-1", second)
    assert invoke("user", "remove", "vera", "--db", db).exit_code == 0
    assert invoke("user", "remove", "vera", "--db", db).exit_code == 1
    assert conn.execute("SELECT count(*) FROM account_passwords WHERE account = 'vera'").fetchone()[0] == 0
    logged = conn.execute("SELECT operation, actor FROM changes WHERE table_name = 'accounts' AND row_key = 'vera' ORDER BY id").fetchall()
    assert [op for op, _ in logged] == ["insert", "update", "delete"]
    assert accounts.find(conn, "vera") is None and accounts.find(conn, "ada")[1].role == "admin"


def test_secrets_are_never_exported(registry_path, tmp_path):
    from registry import api

    api.user_add("ada", role="admin", password="ada-password-01", db_path=registry_path)
    out = tmp_path / "all.yml"
    api.export(out, registry_path, format_name="yaml")
    text = out.read_text()
    assert "accounts:" in text and "argon2" not in text and "account_passwords" not in text and "sessions" not in text
