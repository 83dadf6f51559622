"""Clinical placements and outgoing opportunities: the verbs behind ``registry placements`` and
``registry opportunities``.

Every write goes through ``registry.db.write_records``, so it is validated by the models,
refused whole when something is wrong, and logged in the audit log with actor and source.
The routine's hard limits that can only be known from the store (the period belongs to the
student's round, the unit has a free place) are checked here before writing; the routine's
expectations (2-4 places a year, exactly 4 weeks) are left to the PL checks, which also see
data that arrives by other paths (YAML, Datasette, raw SQL).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml
from pydantic import ValidationError

from registry import clock
from registry import db as store
from registry.models.base import Record
from registry.models.placements import (
    CHECKLIST_BEFORE_START,
    ITEM_DONE,
    AdmissionItem,
    ChecklistItem,
    IncomingPlacement,
    PlacementAllocation,
    PlacementPeriod,
    PlacementRound,
    RoundOffer,
    Term,
)
from registry.problems import Problem, ProblemsFound

PLACEMENT_DAYS = 28  # the periods the registry makes run Monday to Sunday of the fourth week
CRITERIA_FILE = Path(__file__).resolve().parent.parent / "data" / "criteria.yml"


def _rows(db: sqlite_utils.Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cursor = db.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _one(db: sqlite_utils.Database, sql: str, params: Any = ()) -> dict[str, Any] | None:
    found = _rows(db, sql, params)
    return found[0] if found else None


def _source(verb: str, *details: object) -> str:
    return " ".join(["registry placements", verb, *map(str, details)])


def _build(model: type[Record], label: str, **values: Any) -> Any:
    """The validated record, or ProblemsFound naming each field and rule it breaks."""
    try:
        return model(**values)
    except ValidationError as error:
        raise ProblemsFound([
            Problem("invalid-value", model.table, detail["msg"].removeprefix("Value error, "), label,
                    ".".join(map(str, detail["loc"])) or None, detail.get("input") if detail["loc"] else None)
            for detail in error.errors()
        ]) from None


# --- call rounds ------------------------------------------------------------------------


def default_call_dates(term: str, year: int) -> tuple[date, date]:
    """The routine's call months: April for the autumn term, October (of the year before) for
    the spring term; the call runs the whole month."""
    if Term(term) == Term.autumn:
        return date(year, 4, 1), date(year, 4, 30)
    return date(year - 1, 10, 1), date(year - 1, 10, 31)


def four_week_periods(round_id: str, first_starts_on: date, count: int) -> list[PlacementPeriod]:
    """``count`` back-to-back periods of exactly 4 weeks, named ``<round>-p1``, ``-p2`` ..."""
    return [
        PlacementPeriod(
            id=f"{round_id}-p{number}",
            round=round_id,
            starts_on=first_starts_on + timedelta(days=PLACEMENT_DAYS * (number - 1)),
            ends_on=first_starts_on + timedelta(days=PLACEMENT_DAYS * number - 1),
        )
        for number in range(1, count + 1)
    ]


def open_round(
    db: sqlite_utils.Database,
    round_id: str,
    *,
    term: str,
    year: int,
    periods: list[PlacementPeriod] | None = None,
    call_opens_on: date | None = None,
    call_closes_on: date | None = None,
    actor: str | None = None,
) -> PlacementRound:
    """Open a call round with its periods. Refused if the round exists already, so that an
    open round's periods are never silently replaced."""
    if _one(db, "SELECT id FROM placement_rounds WHERE id = ?", [round_id]):
        raise ProblemsFound([Problem("duplicate-id", "placement_rounds", "this round exists already", f"placement_rounds/{round_id}", "id", round_id)])
    opens, closes = default_call_dates(term, year)
    placement_round = _build(
        PlacementRound,
        f"placement_rounds/{round_id}",
        id=round_id,
        term=term,
        year=year,
        call_opens_on=call_opens_on or opens,
        call_closes_on=call_closes_on or (closes if call_opens_on is None else None),
        status="open",
        periods=[p.model_dump() for p in periods or []],
    )
    store.write_records(db, [placement_round], actor=actor, source=_source("open-round", round_id))
    return placement_round


def set_offer(db: sqlite_utils.Database, host: str, period: str, places: int, *, actor: str | None = None) -> RoundOffer:
    """Record (or change) how many students a unit takes in a period. A change after students
    are assigned is written, because it happened, and the PL checks report it."""
    offer = _build(RoundOffer, f"round_offers/{host}/{period}", host=host, period=period, places=places)
    store.write_records(db, [offer], actor=actor, source=_source("offer", host, period, places))
    return offer


# --- incoming students ----------------------------------------------------------------------


def register_applicant(
    db: sqlite_utils.Database,
    reference: str,
    *,
    round_id: str,
    home_institution: str,
    specialty: str,
    on: date | None = None,
    actor: str | None = None,
) -> IncomingPlacement:
    """Register an applicant by reference code, with every checklist item pending."""
    if _one(db, "SELECT id FROM incoming_placements WHERE id = ?", [reference]):
        raise ProblemsFound([Problem("duplicate-id", "incoming_placements", "this applicant is registered already",
                                     f"incoming_placements/{reference}", "id", reference)])
    on = on or clock.today()
    placement = _build(
        IncomingPlacement,
        f"incoming_placements/{reference}",
        id=reference,
        round=round_id,
        home_institution=home_institution,
        specialty=specialty,
        checklist=[{"item": item.value, "status": "pending", "status_on": on} for item in ChecklistItem],
    )
    store.write_records(db, [placement], actor=actor, source=_source("applicant", reference))
    return placement


def _placement(db: sqlite_utils.Database, reference: str) -> dict[str, Any]:
    found = _one(db, "SELECT * FROM incoming_placements WHERE id = ?", [reference])
    if found is None:
        raise ProblemsFound([Problem("unknown-reference", "incoming_placements", "no applicant has this reference code",
                                     f"incoming_placements/{reference}", "placement", reference)])
    return found


def allocate(
    db: sqlite_utils.Database,
    reference: str,
    *,
    host: str,
    period: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
    allocated_on: date | None = None,
    actor: str | None = None,
) -> PlacementAllocation:
    """Assign an applicant to a unit and period. Refused when the applicant is unknown,
    withdrawn or assigned already, when the period is not in the applicant's round, or when
    the unit has no free place in that period. Dates default to the period's."""
    placement = _placement(db, reference)
    label = f"placement_allocations/{reference}"
    problems = []
    if placement["withdrawn"]:
        problems.append(Problem("withdrawn", "incoming_placements", "the applicant has withdrawn", label, "placement", reference))
    if _one(db, "SELECT placement FROM placement_allocations WHERE placement = ?", [reference]):
        problems.append(Problem("allocated-already", "placement_allocations",
                                "the applicant is assigned already; admission is binding", label, "placement", reference))
    found_period = _one(db, "SELECT * FROM placement_periods WHERE id = ?", [period])
    if found_period is None:
        problems.append(Problem("unknown-reference", "placement_periods", "no period has this id", label, "period", period))
    elif found_period["round"] != placement["round"]:
        problems.append(Problem("wrong-round", "placement_periods",
                                f"the period belongs to round {found_period['round']}, the applicant to {placement['round']}",
                                label, "period", period))
    slot = next((row for row in capacity(db, placement["round"]) if (row["host"], row["period"]) == (host, period)), None)
    if found_period is not None and (slot is None or slot["free"] <= 0):
        offered = 0 if slot is None else slot["offered"]
        problems.append(Problem("no-free-place", "round_offers", f"the unit offers {offered} place(s) in this period and has no free one", label, "host", host))
    if problems:
        raise ProblemsFound(problems)
    assert found_period is not None  # a missing period is one of the problems above
    allocation = _build(
        PlacementAllocation,
        label,
        placement=reference,
        host=host,
        period=period,
        starts_on=starts_on or found_period["starts_on"],
        ends_on=ends_on or found_period["ends_on"],
        allocated_on=allocated_on or clock.today(),
    )
    store.write_records(db, [allocation], actor=actor, source=_source("allocate", reference, host, period))
    return allocation


def placement_days(allocation: PlacementAllocation) -> int:
    return (allocation.ends_on - allocation.starts_on).days + 1


def four_weeks_in_days() -> tuple[int, int]:
    """The span of days (first and last counted) that is 4 weeks, as PL02 reads it from the criteria."""
    days = yaml.safe_load(CRITERIA_FILE.read_text(encoding="utf-8"))["placements"]["days"]
    return days["min"], days["max"]


def update_checklist_item(
    db: sqlite_utils.Database,
    reference: str,
    item: str,
    status: str,
    *,
    on: date | None = None,
    basis: str | None = None,
    actor: str | None = None,
) -> AdmissionItem:
    """Set one checklist item's status and date (and, for prerequisites, its basis)."""
    _placement(db, reference)
    if basis is None and item == ChecklistItem.prerequisites:
        stored = _one(db, "SELECT basis FROM admission_checklist WHERE placement = ? AND item = ?", [reference, item])
        basis = stored["basis"] if stored else None
    entry = _build(
        AdmissionItem, f"admission_checklist/{reference}/{item}",
        placement=reference, item=item, status=status, status_on=on or clock.today(), basis=basis,
    )
    store.write_records(db, [entry], actor=actor, source=_source("checklist", reference, item, status))
    return entry


# --- reading -----------------------------------------------------------------------------------

# The canned queries in the Datasette fragment are the one definition of these read-outs.
QUERIES = yaml.safe_load((Path(__file__).parent / "metadata.d" / "placements.yml").read_text(encoding="utf-8"))[
    "databases"]["registry"]["queries"]


def capacity(db: sqlite_utils.Database, round_id: str) -> list[dict[str, Any]]:
    """Places offered and allocated per unit and period of a round (``free`` may go negative
    when a unit withdrew places after assignment: that is what PL checks report)."""
    if not _one(db, "SELECT id FROM placement_rounds WHERE id = ?", [round_id]):
        raise ProblemsFound([Problem("unknown-reference", "placement_rounds", "no round has this id", f"placement_rounds/{round_id}", "round", round_id)])
    return _rows(db, QUERIES["placement_capacity"]["sql"], {"round": round_id})


def readiness(db: sqlite_utils.Database, round_id: str | None = None) -> list[dict[str, Any]]:
    """Each applicant's checklist, with where they are placed and whether everything due before
    the start is done. Reference codes only: nothing here identifies a person."""
    rows = _rows(
        db,
        """SELECT ip.id AS placement, ip.round, ip.home_institution, ip.specialty, ip.withdrawn,
                  a.host, a.period, a.starts_on, a.ends_on
           FROM incoming_placements ip LEFT JOIN placement_allocations a ON a.placement = ip.id
           WHERE :round IS NULL OR ip.round = :round
           ORDER BY ip.round, a.starts_on, ip.id""",
        {"round": round_id},
    )
    items: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in _rows(db, "SELECT placement, item, status, status_on, basis FROM admission_checklist"):
        items.setdefault(entry["placement"], {})[entry["item"]] = {
            "status": entry["status"], "on": entry["status_on"], **({"basis": entry["basis"]} if entry["basis"] else {})
        }
    for row in rows:
        checklist = items.get(row["placement"], {})
        row["withdrawn"] = bool(row["withdrawn"])
        row["checklist"] = {item.value: checklist.get(item.value, {"status": "missing"}) for item in ChecklistItem}
        row["missing_before_start"] = [
            item for item in CHECKLIST_BEFORE_START if row["checklist"][item]["status"] not in ITEM_DONE
        ]
        row["ready"] = not row["missing_before_start"]
    return rows


def opportunities(
    db: sqlite_utils.Database, *, programme: str | None = None, kind: str | None = None, country: str | None = None
) -> list[dict[str, Any]]:
    """The catalogue of outgoing opportunities, filtered by programme (its id, or else part of
    its English or Swedish name: 'medicine' is not also Biomedicine), kind and destination country."""
    rows = _rows(
        db,
        """SELECT c.* FROM opportunity_catalogue c JOIN programmes p ON p.id = c.programme_id
           WHERE (:programme IS NULL OR p.id = :programme
                  OR (NOT EXISTS (SELECT 1 FROM programmes WHERE id = :programme)
                      AND (p.name_en LIKE '%' || :programme || '%' OR p.name_sv LIKE '%' || :programme || '%')))
             AND (:kind IS NULL OR c.kind = :kind)
             AND (:country IS NULL OR EXISTS (SELECT 1 FROM json_each(c.countries) WHERE value = :country))
           ORDER BY c.programme, c.study_year, c.semester, c.kind, c.title""",
        {"programme": programme, "kind": kind, "country": country},
    )
    for row in rows:
        row["countries"] = json.loads(row["countries"])
        row["agreements"] = json.loads(row["agreements"])
        row["mobility_window"] = bool(row["mobility_window"])
        row["own_choice"] = bool(row["own_choice"])
    return rows


__all__ = [
    "PLACEMENT_DAYS",
    "allocate",
    "capacity",
    "default_call_dates",
    "four_week_periods",
    "four_weeks_in_days",
    "open_round",
    "opportunities",
    "placement_days",
    "readiness",
    "register_applicant",
    "set_offer",
    "update_checklist_item",
]
