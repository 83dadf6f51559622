"""Status follows the calendar: active agreements past their end date become ``expired``.

The same rule as check GDE05 (past its end, not renewing automatically, still active), applied:
each change goes through the store's logged write path, so ``registry history`` shows who expired
what, when and as of which date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlite_utils

from registry import clock
from registry import db as store
from registry.models import Agreement, Record


@dataclass(frozen=True)
class Expired:
    id: str
    title: str
    ends_on: str


PAST_END_SQL = """
    SELECT * FROM agreements
    WHERE status = 'active' AND ends_on < :as_of AND renewal <> 'automatic'
    ORDER BY ends_on, id
"""


def past_end(db: sqlite_utils.Database, as_of: date | None = None) -> list[dict]:
    """The stored rows of active agreements whose end date is before ``as_of`` (default today)."""
    as_of = as_of or clock.today()
    cursor = db.conn.execute(PAST_END_SQL, {"as_of": as_of.isoformat()})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def expire(
    db: sqlite_utils.Database, *, as_of: date | None = None, dry_run: bool = False, actor: str | None = None
) -> list[Expired]:
    """Mark expired every active agreement past its end (one logged transaction); the list of them.
    With ``dry_run`` nothing is written."""
    as_of = as_of or clock.today()
    spec = store.specs()["agreements"]
    rows = past_end(db, as_of)
    records: list[Record] = [Agreement(**{**store.decode(spec, row), "status": "expired"}) for row in rows]
    if records and not dry_run:
        store.write_records(
            db, records, actor=actor or store.default_actor(), source=f"registry expire (as of {as_of})"
        )
    return [Expired(row["id"], row["title"], row["ends_on"]) for row in rows]
