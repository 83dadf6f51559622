"""Today and now, read through one place so that an office, a test or CI can set them.

Every date the registry compares with "today" (what expires, what is overdue, when a review
or waiver was given) comes from :func:`today`; every timestamp it records comes from
:func:`now`, except the audit log's ``changed_at``, which SQLite stamps itself with the real
moment of the change, whichever client made it. ``REGISTRY_TODAY=YYYY-MM-DD`` in the environment sets the date (the time of day
stays the real one, so timestamps still order), which lets CI run the whole suite a year on
and a year back, and lets an office ask "what would the registry say on 1 March?".
SQL reads the same date through the ``registry_today()`` function that every connection of
the registry and of its Datasette faces registers (:func:`register_sql`).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, date, datetime

ENVIRONMENT_VARIABLE = "REGISTRY_TODAY"


class ClockError(ValueError):
    """REGISTRY_TODAY holds something that is not a date."""


def _set_date() -> date | None:
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ClockError(f"{ENVIRONMENT_VARIABLE}={value!r} is not a date: write YYYY-MM-DD, or unset it") from None


def today() -> date:
    """The registry's today: ``REGISTRY_TODAY`` when set, otherwise the machine's date."""
    return _set_date() or date.today()


def now() -> datetime:
    """The registry's present moment in UTC, to the second, on :func:`today`'s date."""
    moment = datetime.now(UTC).replace(microsecond=0)
    fixed = _set_date()
    return moment.replace(year=fixed.year, month=fixed.month, day=fixed.day) if fixed else moment


def now_text() -> str:
    """:func:`now` as ``YYYY-MM-DDTHH:MM:SSZ``, the form the registry stores timestamps in."""
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")


def register_sql(conn: sqlite3.Connection) -> None:
    """Give ``conn`` the SQL function ``registry_today()``: :func:`today` as ``YYYY-MM-DD``.

    Declared deterministic so that SQLite reads it once per statement run (a constant it
    factors out of the loop), not once per row: a view such as ``agreement_overview`` calls
    it for each of a million agreements otherwise. Each run of a statement reads it afresh,
    and no index, CHECK or generated column calls it (``schema_types.SqlRule`` uses triggers)."""
    conn.create_function("registry_today", 0, lambda: today().isoformat(), deterministic=True)
