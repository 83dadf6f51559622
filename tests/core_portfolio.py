"""A small, fully known registry for testing the store, the views and the canned queries.

Dates are relative to today so that 'ending soon' and 'unused for years' keep meaning the
same thing whenever the tests run.
"""

from __future__ import annotations

from datetime import date, timedelta

from registry import clock
from registry.models import Agreement, Institution, Network, Programme


def academic_year(start: int) -> str:
    return f"{start}/{start + 1}"


def current_academic_year_start(today: date) -> int:
    return today.year if today.month >= 8 else today.year - 1


def portfolio(today: date | None = None) -> list:
    today = today or clock.today()
    this_year = current_academic_year_start(today)
    soon = today + timedelta(days=60)
    later = today + timedelta(days=900)
    past = today - timedelta(days=30)
    return [
        Institution(id="lund-university", name="Lund University", local_name="Lunds universitet", acronym="LU",
                    country="SE", city="Lund", is_home=True),
        Institution(id="ku", name="University of Copenhagen", local_name="Københavns Universitet", acronym="UCPH",
                    country="DK", city="København", latitude=55.68, longitude=12.57),
        Institution(id="umed-lodz", name="Medical University of Lodz", local_name="Uniwersytet Medyczny w Łodzi",
                    country="PL", city="Łódź"),
        Institution(id="gu", name="University of Gothenburg", local_name="Göteborgs universitet", country="SE",
                    city="Göteborg"),
        Institution(id="uq", name="The University of Queensland", acronym="UQ", country="AU", city="Brisbane"),
        Network(id="u21-hsg", name="Universitas 21 Health Sciences Group", acronym="U21 HSG", strategic=True,
                members=["lund-university", "uq", {"institution": "ku", "until": 2020, "since": 2010}]),
        Programme(id="medicine", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second"),
        Programme(id="nursing", name_en="Nursing", name_sv="Sjuksköterskeprogrammet", cycle="first"),
        Agreement(
            id="ex-ku-med", title="Student exchange in medicine with Copenhagen", kind="student_exchange",
            status="active", starts_on=str(today - timedelta(days=800)), ends_on=str(soon),
            parties=[{"institution": "lund-university", "role": "home"}, "ku"], programmes=["medicine"],
            mobility_terms=[
                {"category": "student_studies", "direction": "outgoing", "places_per_year": 4},
                {"category": "student_studies", "direction": "incoming", "places_per_year": 3},
                {"category": "staff_teaching", "direction": "outgoing", "places_per_year": 1},
            ],
            flows=[{"academic_year": academic_year(this_year - 1), "direction": "outgoing",
                    "category": "student_studies", "participants": 3}],
        ),
        Agreement(
            id="ex-lodz-nursing", title="Nursing exchange with Łódź", kind="erasmus_iia", status="active",
            starts_on=str(today - timedelta(days=2000)), ends_on=str(later),
            parties=[{"institution": "lund-university", "role": "home"}, "umed-lodz"], programmes=["nursing"],
            mobility_terms=[{"category": "student_studies", "direction": "outgoing", "places_per_year": 2}],
            flows=[{"academic_year": academic_year(this_year - 5), "direction": "outgoing",
                    "category": "student_studies", "participants": 2}],
        ),
        Agreement(
            id="ex-gu-expired", title="Old exchange with Gothenburg still marked active", kind="student_exchange",
            status="active", starts_on="2015-01-01", ends_on=str(past),
            parties=[{"institution": "lund-university", "role": "home"}, "gu"], programmes=["medicine"],
        ),
        Agreement(
            id="phd-uq", title="Joint PhD with Queensland", kind="joint_phd", status="active",
            starts_on=str(today - timedelta(days=100)), ends_on=str(later), confidential=True,
            parties=[{"institution": "lund-university", "role": "home"}, "uq"],
            degree_terms=[{"kind": "double_degree", "cycle": "third", "students_per_year": 2}],
        ),
        Agreement(
            id="draft-uq-nursing", title="Draft nursing exchange with Queensland", kind="student_exchange",
            status="draft", parties=[{"institution": "lund-university", "role": "home"}, "uq"],
            programmes=["nursing"],
        ),
    ]
