"""The indicator checks (GRE01-03) make their messages in SQLite, each country's part once in
Python (checks.responsible): what they record is exactly what registry_message's Python
function records for the same partner, country and indicator values."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import new_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checks.responsible as responsible
from checks.context import Context, load_criteria
from checks.found import copy_found, create_found_table
from checks.registry import select
from registry import db as store
from registry.models.core import Agreement, Institution
from registry.models.diligence import CountryClassification, CountryFreedom

FOUND = "temp.indicator_found"
CODES = ("GRE01", "GRE02", "GRE03")
# Read once: parsing the criteria file costs about 30 ms, and the property test records each code twice per example.
CRITERIA = load_criteria()[0]
SOURCE = {"source": "test fixture", "licence": "CC0"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    db = store.connect(new_registry(tmp_path_factory.mktemp("indicators") / "registry.db"))
    store.write_records(db, [
        Institution(id="lund", name="Lund University", country="SE", is_home=True),
        Institution(id="far", name="University far", country="HU"),
        Agreement(id="a", title="Agreement a", kind="student_exchange", status="active", parties=["lund", "far"]),
        CountryFreedom(country="HU", year=2022, academic_freedom=0.1, academic_freedom_band="E",
                       academic_freedom_change_5y=-0.5, liberal_democracy=0.1, **SOURCE),
        CountryClassification(country="HU", year=2025, name="Hungary", least_developed=False, income_level="high",
                              **SOURCE),
    ], actor="test")
    create_found_table(db.conn, FOUND)
    yield db
    db.conn.close()


def recorded(db, code: str) -> list[tuple]:
    ctx = Context(db, CRITERIA, date(2026, 12, 5))
    try:
        db.conn.execute(f"DELETE FROM {FOUND}")
        copy_found(ctx, select([code], [])[0], FOUND)
        return db.conn.execute(f"SELECT id, subject_label, message, evidence FROM {FOUND} ORDER BY id").fetchall()
    finally:
        ctx.close()


def by_python(db, code: str) -> list[tuple]:
    """The same rows with every message made by registry_message's Python function."""
    compiled = responsible._BY_PYTHON
    responsible._BY_PYTHON = "1"
    try:
        return recorded(db, code)
    finally:
        responsible._BY_PYTHON = compiled


index = st.one_of(st.floats(0, 1), st.integers(0, 1000).map(lambda n: n / 1000), st.sampled_from([0.1 + 0.2 - 0.3, 0.0]))
name = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(partner=st.one_of(name, st.sampled_from(['"quoted" \\ name', "Ö\n\t\x7f\u2028", "{country}"])),
       country=st.one_of(st.none(), name), afi=index, change=st.floats(-1, 0), ldi=index,
       band=st.sampled_from(["D", "E"]), year=st.integers(1900, 2100))
def test_an_indicator_check_records_what_python_would(db, partner, country, afi, change, ldi, band, year):
    db.conn.execute("UPDATE institutions SET name = ? WHERE id = 'far'", [partner])
    # no name for the country: its classification moves to another, and the message shows the code
    db.conn.execute("UPDATE country_classifications SET country = iif(?1 IS NULL, 'SE', 'HU'), "
                    "name = coalesce(?1, 'Sweden')", [country])
    db.conn.execute("UPDATE country_freedom SET academic_freedom = ?, academic_freedom_change_5y = ?, "
                    "liberal_democracy = ?, academic_freedom_band = ?, year = ? WHERE country = 'HU'",
                    [afi, change, ldi, band, year])
    for code in CODES:
        assert recorded(db, code) == by_python(db, code)


def test_a_partner_past_the_threshold_is_found_by_sql(db):
    db.conn.execute("UPDATE institutions SET name = 'University far' WHERE id = 'far'")
    db.conn.execute("UPDATE country_classifications SET country = 'HU', name = 'Hungary'")
    db.conn.execute("UPDATE country_freedom SET academic_freedom = 0.344, academic_freedom_band = 'D', year = 2022 "
                    "WHERE country = 'HU'")
    [(finding_id, label, message, evidence)] = recorded(db, "GRE01")
    assert finding_id == "GRE01:institutions:far" and label == "University far"
    assert message == ("University far is in Hungary, whose Academic Freedom Index is 0.344 (2022, band D), "
                       "below 0.4.")
    assert '"values":{"partner":"University far","country":"Hungary","index":0.344,"year":2022' in evidence


def test_a_message_that_does_not_begin_with_the_partner_is_refused():
    row = responsible.INDICATOR_THRESHOLDS[0]
    with pytest.raises(ValueError, match="must begin with"):
        responsible.indicator_check(responsible.IndicatorThreshold(**{**row.__dict__, "message": "In {country}."}))
