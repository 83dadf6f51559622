"""Decisions that mean what they say: a review is not dated after today and its next review
falls after it, at most five years on; a waiver runs at most as long as data/criteria.yml
allows; the same rules in the models, the command line and raw SQL (the store's triggers)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from registry import clock
from registry import db as store
from registry.models import Review
from registry.models import limits
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
