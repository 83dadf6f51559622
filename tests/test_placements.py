"""Placements and opportunities: the models' rules, the library's verbs, and the CLI through
click's runner, each change read back from the audit log."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from placements_portfolio import ROUND, portfolio_file
from pydantic import ValidationError

from registry import clock, placements
from registry import db as store
from registry.cli import cli
from registry.integrity import verify
from registry.models import (
    AdmissionItem,
    Opportunity,
    OpportunityDestination,
    PlacementHost,
    PlacementRound,
)
from registry.problems import ProblemsFound

TODAY = clock.today()


@pytest.fixture(scope="module")
def loaded_path(tmp_path_factory):
    return portfolio_file(tmp_path_factory.mktemp("placements") / "registry.db", TODAY)


@pytest.fixture
def registry_copy(loaded_path, tmp_path):
    """A private copy of the loaded registry for tests that write."""
    path = tmp_path / "copy.db"
    source = sqlite3.connect(loaded_path)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    db = store.connect(path)
    yield db, path
    db.conn.close()


def last_change(db, table):
    row = db.conn.execute(
        "SELECT operation, before, after, actor, source FROM changes WHERE table_name = ? ORDER BY id DESC LIMIT 1", [table]
    ).fetchone()
    operation, before, after, actor, source = row
    return operation, json.loads(before) if before else None, json.loads(after), actor, source


# --- models ----------------------------------------------------------------------------------


def test_the_example_registry_verifies_clean(loaded_path):
    db = store.connect(loaded_path)
    assert verify(db) == []


@pytest.mark.parametrize(
    "term, year, opens, accepted",
    [
        ("autumn", 2027, "2027-04-01", True),
        ("autumn", 2027, "2027-08-01", False),  # the call must come before the term
        ("spring", 2027, "2026-10-01", True),
        ("spring", 2027, "2027-01-05", False),
    ],
)
def test_a_call_opens_before_its_term(term, year, opens, accepted):
    values = {"id": "r", "term": term, "year": year, "call_opens_on": opens}
    if accepted:
        assert PlacementRound(**values).call_opens_on == date.fromisoformat(opens)
    else:
        with pytest.raises(ValidationError, match="must open before"):
            PlacementRound(**values)


def test_a_period_may_not_start_before_its_call_or_end_before_it_starts():
    base = {"id": "r", "term": "autumn", "year": 2027, "call_opens_on": "2027-04-01"}
    with pytest.raises(ValidationError, match="before the call opens"):
        PlacementRound(**base, periods=[{"id": "p", "starts_on": "2027-03-01", "ends_on": "2027-03-28"}])
    with pytest.raises(ValidationError, match="ends_on .* is before starts_on"):
        PlacementRound(**base, periods=[{"id": "p", "starts_on": "2027-09-28", "ends_on": "2027-09-01"}])


def test_a_host_records_roles_and_months_and_defaults_to_four_weeks():
    host = PlacementHost(id="h", institution="sus", unit="Department of Cardiology", specialty="cardiology",
                         available_months=[9, 10], supervisor_role="Clinical supervisor")
    assert host.weeks_per_place == 4 and host.active
    with pytest.raises(ValidationError):
        PlacementHost(id="h", institution="sus", unit="U", specialty="cardiology", available_months=[13])
    with pytest.raises(ValidationError):
        PlacementHost(id="h", institution="sus", unit="U", specialty="Cardiology Dept")  # not a code


def test_prerequisites_are_complete_only_with_their_basis():
    base = {"placement": "a", "item": "prerequisites", "status_on": "2026-01-01"}
    assert AdmissionItem(**base, status="complete", basis="base_placement").basis == "base_placement"
    with pytest.raises(ValidationError, match="only with their basis"):
        AdmissionItem(**base, status="complete")
    with pytest.raises(ValidationError, match="prerequisites only"):
        AdmissionItem(placement="a", item="insurance", status="complete", status_on="2026-01-01", basis="final_year")


@pytest.mark.parametrize(
    "given, expected",
    [
        ("BE", {"country": "BE", "place": "BE"}),
        ("Belgium", {"country": "BE", "place": "BE"}),
        ("Tyskland", {"country": "DE", "place": "DE"}),
        ("ku-leuven", {"institution": "ku-leuven", "place": "ku-leuven"}),
        ({"country": "se"}, {"country": "SE", "place": "SE"}),
    ],
)
def test_a_destination_is_an_institution_or_a_country(given, expected):
    opportunity = Opportunity(id="o", programme="medicine", title="T", kind="elective", study_year=6, weeks=4,
                              destinations=[given])
    destination = opportunity.destinations[0].model_dump()
    assert {k: v for k, v in destination.items() if v is not None and k != "opportunity"} == expected


def test_a_destination_names_one_institution_or_one_country_not_both():
    with pytest.raises(ValidationError, match="exactly one of institution, country"):
        OpportunityDestination(opportunity="o", institution="ku-leuven", country="BE")


@pytest.mark.parametrize(
    "weeks, band",
    [({"weeks": 2}, "up to 4 weeks"), ({"weeks": 10}, "5-12 weeks"), ({"weeks_min": 16}, "13-20 weeks"),
     ({"weeks_min": 18, "weeks_max": 28}, "over 20 weeks")],
)
def test_duration_is_banded_by_the_longest_stay(weeks, band):
    opportunity = Opportunity(id="o", programme="p", title="T", kind="research_internship", study_year=3, **weeks)
    assert opportunity.duration == band
    assert opportunity.weeks_max >= opportunity.weeks_min


def test_a_week_range_may_not_run_backwards():
    with pytest.raises(ValidationError, match="weeks_max .* is before weeks_min"):
        Opportunity(id="o", programme="p", title="T", kind="elective", study_year=3, weeks_min=10, weeks_max=4)


def test_raw_sql_meets_the_same_rules(registry_copy):
    db, _ = registry_copy
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("UPDATE opportunities SET kind = 'gap_year' WHERE id = 'med-elective'")
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("UPDATE admission_checklist SET status = 'done' WHERE placement = 'a-ready'")
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("INSERT INTO opportunity_destinations (opportunity, institution, country, place) "
                        "VALUES ('med-elective', 'ku-leuven', 'BE', 'x')")


# --- library ---------------------------------------------------------------------------------


def test_four_week_periods_run_back_to_back_for_exactly_28_days():
    periods = placements.four_week_periods("2027-autumn", date(2027, 8, 30), 3)
    assert [p.id for p in periods] == ["2027-autumn-p1", "2027-autumn-p2", "2027-autumn-p3"]
    assert [(p.ends_on - p.starts_on).days + 1 for p in periods] == [28, 28, 28]
    assert periods[1].starts_on == periods[0].ends_on + timedelta(days=1)


def test_default_calls_are_april_for_autumn_and_october_before_spring():
    assert placements.default_call_dates("autumn", 2027) == (date(2027, 4, 1), date(2027, 4, 30))
    assert placements.default_call_dates("spring", 2027) == (date(2026, 10, 1), date(2026, 10, 31))


def test_capacity_counts_offers_and_allocations_but_not_withdrawn_students(loaded_path):
    db = store.connect(loaded_path)
    rows = {(r["host"], r["period"]): (r["offered"], r["allocated"], r["free"]) for r in placements.capacity(db, ROUND)}
    assert rows == {
        ("cardiology", "p-past"): (2, 2, 0),
        ("cardiology", "p-soon"): (1, 2, -1),
        ("cardiology", "p-later"): (2, 1, 1),
        ("paediatrics", "p-soon"): (2, 1, 1),
    }


def test_capacity_of_an_unknown_round_is_a_problem(loaded_path):
    with pytest.raises(ProblemsFound, match="no round has this id"):
        placements.capacity(store.connect(loaded_path), "no-such-round")


def test_readiness_lists_what_is_missing_before_the_start(loaded_path):
    rows = {r["placement"]: r for r in placements.readiness(store.connect(loaded_path), ROUND)}
    assert rows["a-ready"]["ready"] and rows["a-ready"]["host"] == "paediatrics"
    assert rows["a-not-ready"]["missing_before_start"] == [
        "infection_control", "insurance", "confidentiality_agreement", "prior_education_review", "prerequisites"]
    assert rows["a-unallocated"]["host"] is None
    assert rows["a-ready"]["checklist"]["prerequisites"] == {"status": "complete", "on": str(TODAY - timedelta(days=30)), "basis": "final_year"}
    assert set(rows["a-ready"]) >= {"placement", "round", "home_institution", "specialty"}


def test_opportunities_filter_by_programme_name_kind_and_country(loaded_path):
    db = store.connect(loaded_path)
    assert [r["id"] for r in placements.opportunities(db, programme="Läkar")] == ["med-exchange", "med-elective"]
    assert [r["id"] for r in placements.opportunities(db, country="BE")] == ["bmed-research", "med-exchange", "med-elective"]
    assert [r["id"] for r in placements.opportunities(db, kind="online_course")] == ["bmed-online"]
    research = placements.opportunities(db, programme="biomedicine", kind="research_internship")[0]
    assert research["countries"] == ["BE", "SE"] and research["weeks"] == "16-28 weeks"
    assert research["duration"] == "over 20 weeks" and research["agreements"] == ["ex-ki-ended"]


def test_opening_a_round_writes_it_with_its_periods_and_logs_it(registry_copy):
    db, _ = registry_copy
    periods = placements.four_week_periods("2099-autumn", date(2099, 9, 7), 2)
    opened = placements.open_round(db, "2099-autumn", term="autumn", year=2099, periods=periods, actor="coordinator")
    assert (opened.call_opens_on, opened.call_closes_on) == (date(2099, 4, 1), date(2099, 4, 30))
    assert db.conn.execute("SELECT count(*) FROM placement_periods WHERE round = '2099-autumn'").fetchone() == (2,)
    operation, _, after, actor, source = last_change(db, "placement_periods")
    assert (operation, actor, source) == ("insert", "coordinator", "registry placements open-round 2099-autumn")
    with pytest.raises(ProblemsFound, match="exists already"):
        placements.open_round(db, "2099-autumn", term="autumn", year=2099)


def test_allocation_fills_dates_from_the_period_and_is_logged(registry_copy):
    db, _ = registry_copy
    allocation = placements.allocate(db, "a-unallocated", host="cardiology", period="p-later", actor="coordinator")
    assert (allocation.ends_on - allocation.starts_on).days == 27
    operation, _, after, actor, source = last_change(db, "placement_allocations")
    assert operation == "insert" and actor == "coordinator"
    assert after["placement"] == "a-unallocated" and after["host"] == "cardiology"
    assert source == "registry placements allocate a-unallocated cardiology p-later"


@pytest.mark.parametrize(
    "reference, host, period, message",
    [
        ("nobody", "cardiology", "p-later", "no applicant has this reference code"),
        ("a-withdrawn", "cardiology", "p-later", "the applicant has withdrawn"),
        ("a-ready", "cardiology", "p-later", "assigned already"),
        ("a-unallocated", "cardiology", "p-soon", "offers 1 place\\(s\\) in this period and has no free one"),
        ("a-unallocated", "surgery", "p-later", "offers 0 place"),
        ("a-unallocated", "cardiology", "no-period", "no period has this id"),
    ],
)
def test_allocation_is_refused_when_the_routine_forbids_it(registry_copy, reference, host, period, message):
    db, _ = registry_copy
    before = db.conn.execute("SELECT count(*) FROM changes").fetchone()
    with pytest.raises(ProblemsFound, match=message):
        placements.allocate(db, reference, host=host, period=period)
    assert db.conn.execute("SELECT count(*) FROM changes").fetchone() == before


def test_allocation_to_a_period_of_another_round_is_refused(registry_copy):
    db, _ = registry_copy
    placements.open_round(db, "2099-autumn", term="autumn", year=2099,
                          periods=placements.four_week_periods("2099-autumn", date(2099, 9, 7), 1))
    placements.set_offer(db, "cardiology", "2099-autumn-p1", 2)
    with pytest.raises(ProblemsFound, match="belongs to round 2099-autumn, the applicant to test-round"):
        placements.allocate(db, "a-unallocated", host="cardiology", period="2099-autumn-p1")


def test_a_checklist_item_update_is_logged_with_before_and_after(registry_copy):
    db, _ = registry_copy
    placements.update_checklist_item(db, "a-not-ready", "insurance", "complete", on=date(2026, 5, 4), actor="coordinator")
    operation, before, after, actor, _ = last_change(db, "admission_checklist")
    assert operation == "update" and actor == "coordinator"
    assert (before["status"], after["status"], after["status_on"]) == ("pending", "complete", "2026-05-04")


def test_prerequisites_keep_their_basis_and_need_one(registry_copy):
    db, _ = registry_copy
    with pytest.raises(ProblemsFound, match="only with their basis"):
        placements.update_checklist_item(db, "a-not-ready", "prerequisites", "complete")
    placements.update_checklist_item(db, "a-not-ready", "prerequisites", "in_progress", basis="base_placement")
    entry = placements.update_checklist_item(db, "a-not-ready", "prerequisites", "complete")
    assert entry.basis == "base_placement"


def test_a_new_applicant_gets_every_checklist_item_pending(registry_copy):
    db, _ = registry_copy
    placements.register_applicant(db, "a-new", round_id=ROUND, home_institution="charite", specialty="surgery",
                                  on=date(2026, 10, 20))
    statuses = db.conn.execute("SELECT item, status, status_on FROM admission_checklist WHERE placement = 'a-new'").fetchall()
    assert len(statuses) == 6 and {(s, d) for _, s, d in statuses} == {("pending", "2026-10-20")}


# --- CLI ---------------------------------------------------------------------------------------


def run(path, *args):
    return CliRunner().invoke(cli, [*args, "--db", str(path)], env={"REGISTRY_ACTOR": "cli-tester"})


def test_cli_opens_a_round_records_offers_applicants_allocations_and_checklists(registry_copy):
    _, path = registry_copy
    result = run(path, "placements", "open-round", "2099-spring", "--term", "spring", "--year", "2099",
                 "--first-period", "2099-01-19", "--periods", "2")
    assert result.exit_code == 0, result.output
    assert "call 2098-10-01 to 2098-10-31, 2 period(s)" in result.output
    assert "2099-spring-p2: 2099-02-16 to 2099-03-15" in result.output
    assert run(path, "placements", "offer", "cardiology", "2099-spring-p1", "1").exit_code == 0
    result = run(path, "placements", "applicant", "cp-99v-001", "--round", "2099-spring",
                 "--home-institution", "charite", "--specialty", "cardiology")
    assert result.exit_code == 0, result.output
    result = run(path, "placements", "allocate", "cp-99v-001", "--host", "cardiology", "--period", "2099-spring-p1")
    assert result.exit_code == 0, result.output
    assert "allocated cp-99v-001 to cardiology, 2099-01-19 to 2099-02-15" in result.output
    result = run(path, "placements", "checklist", "cp-99v-001", "prerequisites", "complete", "--basis", "final_year",
                 "--on", "2098-12-01")
    assert result.exit_code == 0 and "prerequisites complete on 2098-12-01" in result.output
    actors = sqlite3.connect(path).execute(
        "SELECT DISTINCT table_name, actor FROM changes WHERE actor = 'cli-tester' ORDER BY 1").fetchall()
    assert [t for t, _ in actors] == [
        "admission_checklist", "incoming_placements", "placement_allocations", "placement_periods",
        "placement_rounds", "round_offers"]
    capacity = json.loads(run(path, "placements", "capacity", "2099-spring", "--json").output)
    assert [(r["period"], r["offered"], r["allocated"], r["free"]) for r in capacity] == [("2099-spring-p1", 1, 1, 0)]


def test_cli_warns_when_a_placement_is_not_four_weeks(registry_copy):
    _, path = registry_copy
    monday_to_friday = run(path, "placements", "allocate", "a-unallocated", "--host", "cardiology", "--period", "p-later",
                           "--ends-on", str(TODAY + timedelta(days=85)))
    assert monday_to_friday.exit_code == 0 and "warning" not in monday_to_friday.output
    sqlite3.connect(path).execute("DELETE FROM placement_allocations WHERE placement = 'a-unallocated'").connection.commit()
    result = run(path, "placements", "allocate", "a-unallocated", "--host", "cardiology", "--period", "p-later",
                 "--ends-on", str(TODAY + timedelta(days=73)))
    assert result.exit_code == 0
    assert "14 days is not the 4 weeks the routine allows" in result.output


def test_cli_refusals_exit_1_and_bad_usage_exits_2(registry_copy):
    _, path = registry_copy
    refused = run(path, "placements", "allocate", "a-unallocated", "--host", "surgery", "--period", "p-later")
    assert refused.exit_code == 1 and "not allocated:" in refused.output and "[no-free-place]" in refused.output
    assert run(path, "placements", "checklist", "a-ready", "visa", "complete").exit_code == 2
    assert run(path, "placements", "checklist", "a-ready", "insurance", "done").exit_code == 2
    assert run(path, "placements", "allocate", "a-ready", "--host", "x", "--period", "y", "--on", "May 4").exit_code == 2
    assert run(path, "opportunities", "--country", "Narnia").exit_code == 2


def test_cli_listings_take_json(loaded_path):
    readiness = json.loads(run(loaded_path, "placements", "readiness", "--round", ROUND, "--json").output)
    assert {r["placement"] for r in readiness if not r["ready"] and r["host"]} == {"a-not-ready", "a-later", "a-withdrawn"}
    text = run(loaded_path, "placements", "readiness").output
    assert "a-withdrawn" in text and "withdrawn" in text.split("a-withdrawn")[1].splitlines()[0]
    found = json.loads(run(loaded_path, "opportunities", "--programme", "medicine", "--country", "Germany", "--json").output)
    assert [o["id"] for o in found] == ["med-elective"]
    listing = run(loaded_path, "opportunities", "--programme", "biomedicine").output
    assert "Research internship (BE; Karolinska Institutet)" in listing
