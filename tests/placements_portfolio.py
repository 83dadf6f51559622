"""A small, fully known registry of placements, opportunities and municipal cooperation.

Fictitious test data. Dates are relative to today, so 'starts within two weeks' and 'ended a
month ago' mean the same whenever the tests run. Each record is here to trigger one rule, or
to stand next to it as the case that must not.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from conftest import new_registry

from registry import clock
from registry import db as store
from registry.models import (
    Agreement,
    IncomingPlacement,
    Institution,
    Opportunity,
    PlacementAllocation,
    PlacementHost,
    PlacementRound,
    Programme,
    RoundOffer,
)
from registry.models.placements import ChecklistItem

ROUND = "test-round"


def days(today: date, offset: int) -> str:
    return str(today + timedelta(days=offset))


def checklist(today: date, *, done: bool, certificate: bool = False) -> list[dict]:
    items = []
    for item in ChecklistItem:
        if item is ChecklistItem.course_certificate:
            status = "complete" if certificate else "pending"
        else:
            status = "complete" if done else "pending"
        entry = {"item": item.value, "status": status, "status_on": days(today, -30)}
        if item is ChecklistItem.prerequisites and status == "complete":
            entry["basis"] = "final_year"
        items.append(entry)
    return items


def portfolio(today: date | None = None) -> list:
    today = today or clock.today()
    supervisor = "Clinical supervisor, Department of {}"
    host = dict(institution="sus", available_months=list(range(1, 13)))
    soon_months = {(today + timedelta(days=7)).month, (today + timedelta(days=34)).month}
    return [
        Institution(id="lund-university", name="Lund University", country="SE", is_home=True),
        Institution(id="sus", name="Skåne University Hospital", country="SE", kind="university_hospital", city="Lund"),
        Institution(id="charite", name="Charité – Universitätsmedizin Berlin", country="DE", kind="university_hospital"),
        Institution(id="ku-leuven", name="KU Leuven", country="BE"),
        Institution(id="karolinska-institutet", name="Karolinska Institutet", country="SE"),
        Institution(id="medtech-ab", name="Medtech AB", country="SE", kind="company"),
        Institution(id="city-of-lund", name="City of Lund", local_name="Lunds kommun", country="SE", kind="municipality"),
        Institution(id="city-of-hangzhou", name="City of Hangzhou", country="CN", kind="municipality"),
        Institution(id="frederiksberg", name="Frederiksberg Municipality", country="DK", kind="municipality"),
        Programme(id="medicine", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second"),
        Programme(id="biomedicine", name_en="Biomedicine", name_sv="Biomedicinprogrammet", cycle="first"),
        Programme(id="nursing", name_en="Nursing", name_sv="Sjuksköterskeprogrammet", cycle="first"),
        Programme(id="phd-medicine", name_en="Doctoral studies in medical science", name_sv="Forskarutbildning", cycle="third"),
        Agreement(id="ex-leuven", title="Student exchange with KU Leuven", kind="student_exchange", status="active",
                  parties=[{"institution": "lund-university", "role": "home"}, "ku-leuven"], programmes=["medicine"]),
        Agreement(id="ex-ki-ended", title="Research training with Karolinska Institutet", kind="student_exchange",
                  status="expired", parties=[{"institution": "lund-university", "role": "home"}, "karolinska-institutet"]),
        Agreement(id="lund-hangzhou", title="Cooperation agreement Lund-Hangzhou", kind="municipal_cooperation",
                  status="active", parties=[{"institution": "city-of-lund", "role": "home"}, "city-of-hangzhou"]),
        Agreement(id="lund-frederiksberg", title="Cooperation agreement Lund-Frederiksberg", kind="municipal_cooperation",
                  status="active", confidential=True, parties=["city-of-lund", "frederiksberg"]),
        # hosts: one by the routine, one with too many places, one without supervisor,
        # one offering 2-week placements, one that is not a hospital
        PlacementHost(id="cardiology", unit="Department of Cardiology, Lund", specialty="cardiology", places_per_year=3,
                      supervisor_role=supervisor.format("Cardiology"), contact_role="Director of studies", **host),
        PlacementHost(id="paediatrics", unit="Department of Paediatrics, Malmö", specialty="paediatrics", places_per_year=6,
                      supervisor_role=supervisor.format("Paediatrics"), institution="sus",
                      available_months=[m for m in range(1, 13) if m not in soon_months]),  # but offers in p-soon
        PlacementHost(id="surgery", unit="Department of Surgery, Lund", specialty="surgery", places_per_year=2, **host),
        PlacementHost(id="orthopaedics", unit="Department of Orthopaedics, Lund", specialty="orthopaedics",
                      places_per_year=2, weeks_per_place=2, supervisor_role=supervisor.format("Orthopaedics"), **host),
        PlacementHost(id="medtech-lab", institution="medtech-ab", unit="Device laboratory", specialty="biomedical-engineering",
                      places_per_year=2, supervisor_role="Laboratory supervisor"),  # no months recorded: not judged
        PlacementHost(id="retired-unit", unit="Former clinic", specialty="dermatology", places_per_year=9, active=False,
                      institution="sus"),
        PlacementRound(
            id=ROUND, term="spring", year=today.year + 1, call_opens_on=days(today, -120), status="allocated",
            periods=[
                {"id": "p-past", "starts_on": days(today, -61), "ends_on": days(today, -34)},  # ended over 30 days ago
                {"id": "p-soon", "starts_on": days(today, 7), "ends_on": days(today, 34)},  # starts within 14 days
                {"id": "p-later", "starts_on": days(today, 60), "ends_on": days(today, 87)},
                {"id": "p-short", "starts_on": days(today, 90), "ends_on": days(today, 110)},  # 3 weeks
            ],
        ),
        RoundOffer(host="cardiology", period="p-soon", places=1),
        RoundOffer(host="cardiology", period="p-later", places=2),
        RoundOffer(host="cardiology", period="p-past", places=2),
        RoundOffer(host="paediatrics", period="p-soon", places=2),
        IncomingPlacement(id="a-not-ready", round=ROUND, home_institution="charite", specialty="cardiology",
                          checklist=checklist(today, done=False)),
        IncomingPlacement(id="a-ready", round=ROUND, home_institution="charite", specialty="paediatrics",
                          checklist=checklist(today, done=True)),
        IncomingPlacement(id="a-later", round=ROUND, home_institution="ku-leuven", specialty="cardiology",
                          checklist=checklist(today, done=False)),
        IncomingPlacement(id="a-over-capacity", round=ROUND, home_institution="ku-leuven", specialty="cardiology",
                          checklist=checklist(today, done=True)),
        IncomingPlacement(id="a-no-certificate", round=ROUND, home_institution="charite", specialty="cardiology",
                          checklist=checklist(today, done=True)),
        IncomingPlacement(id="a-certified", round=ROUND, home_institution="charite", specialty="cardiology",
                          checklist=checklist(today, done=True, certificate=True)),
        IncomingPlacement(id="a-withdrawn", round=ROUND, home_institution="charite", specialty="cardiology",
                          withdrawn=True, checklist=checklist(today, done=False)),
        IncomingPlacement(id="a-unallocated", round=ROUND, home_institution="charite", specialty="surgery",
                          checklist=checklist(today, done=False)),
        allocation("a-not-ready", "cardiology", "p-soon", today, 7, 34),
        allocation("a-over-capacity", "cardiology", "p-soon", today, 7, 34),  # cardiology offers 1 in p-soon
        allocation("a-ready", "paediatrics", "p-soon", today, 7, 34),
        allocation("a-later", "cardiology", "p-later", today, 60, 80),  # 3 weeks, not 4
        allocation("a-no-certificate", "cardiology", "p-past", today, -61, -36),  # 26 days: Monday to Friday is 4 weeks
        allocation("a-certified", "cardiology", "p-past", today, -61, -34),
        allocation("a-withdrawn", "paediatrics", "p-soon", today, 7, 34),
        # the catalogue: medicine has a mobility window, biomedicine has opportunities but no
        # window, nursing has none at all, the doctoral programme is not first or second cycle
        Opportunity(id="med-exchange", programme="medicine", title="Exchange semester at KU Leuven", kind="courses",
                    study_year=5, semester=1, weeks_min=18, weeks_max=20, mobility_window=True,
                    destinations=[{"institution": "ku-leuven", "agreement": "ex-leuven"}]),
        Opportunity(id="med-elective", programme="medicine", title="Elective abroad", kind="elective",
                    study_year=6, weeks=10, own_choice=True,
                    destinations=["BE", "Germany", {"institution": "charite", "agreement": "ex-leuven"}]),  # not its party
        Opportunity(id="bmed-research", programme="biomedicine", title="Research internship", kind="research_internship",
                    study_year=3, weeks_min=16, weeks_max=28,
                    destinations=[{"institution": "karolinska-institutet", "agreement": "ex-ki-ended"}, "BE"]),
        Opportunity(id="bmed-online", programme="biomedicine", title="Online course in global health", kind="online_course",
                    study_year=2, weeks=3, mobility_window=True),  # online: not a period abroad
    ]


def allocation(placement: str, host: str, period: str, today: date, start: int, end: int) -> PlacementAllocation:
    return PlacementAllocation(placement=placement, host=host, period=period, starts_on=days(today, start),
                               ends_on=days(today, end), allocated_on=days(today, -50))


def portfolio_file(path: Path, today: date | None = None) -> Path:
    """A registry file at ``path`` holding the portfolio, written by 'tester' from 'fixture'."""
    db = store.connect(new_registry(path))
    store.write_records(db, portfolio(today), actor="tester", source="fixture")
    db.conn.close()
    return path
