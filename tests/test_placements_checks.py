"""The PL checks and AP20: each on a registry made to trigger it, next to records that must not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from placements_portfolio import portfolio, portfolio_file

from checks.registry import all_checks
from checks.run import run_checks
from registry import clock, i18n, placements
from registry import db as store
from registry.cli import cli
from registry.models import PlacementRound, RoundOffer

TODAY = clock.today()


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    """Every PL and AP20 finding on the test portfolio, by code, as {subject: finding}."""
    db = store.connect(portfolio_file(tmp_path_factory.mktemp("placement-checks") / "registry.db", TODAY))
    result = run_checks(db, families=["PL"], only=["AP20", "GDE20"], today=TODAY, actor="tester")
    by_code: dict[str, dict[str, dict]] = {}
    for finding in result.findings:
        by_code.setdefault(finding["code"], {})[f"{finding['subject_table']}/{finding['subject_id']}"] = finding
    db.conn.close()
    return by_code


def test_every_placement_check_is_registered_with_its_source():
    codes = {spec.code: spec for spec in all_checks() if spec.module == "checks.placements"}
    assert sorted(codes) == ["AP20", "GDE20", "PL01", "PL02", "PL03", "PL04", "PL05", "PL06", "PL07", "PL08", "PL09"]
    assert codes["PL02"].severity == "high" and codes["PL01"].severity == "low"
    assert all("Region Skåne" in spec.source for code, spec in codes.items() if code.startswith("PL"))


def test_pl01_capacity_outside_two_to_four_but_not_inactive_or_usual_units(findings):
    assert set(findings["PL01"]) == {"placement_hosts/paediatrics"}  # 6; retired-unit has 9 but is inactive
    evidence = findings["PL01"]["placement_hosts/paediatrics"]["evidence"]
    # the message's template (by its key) and values are kept with the evidence, for reading it in another language
    template = "{unit} offers {places} place(s) a year, outside the usual {min}-{max}."
    assert evidence.pop("message") == {"key": i18n.template_key(template),
                                       "values": {"unit": "Department of Paediatrics, Malmö", "places": 6, "min": 2, "max": 4}}
    assert evidence == {"places_per_year": 6, "min": 2, "max": 4}


def test_pl02_any_length_but_four_weeks_on_hosts_periods_and_placements(findings):
    assert set(findings["PL02"]) == {
        "placement_hosts/orthopaedics",  # offers 2 weeks
        "placement_periods/p-short",  # 21 days
        "placement_allocations/a-later",  # 21 days
    }  # not a-no-certificate (26 days, Monday to Friday), not a-ready (28 days)
    assert findings["PL02"]["placement_allocations/a-later"]["evidence"]["days"] == 21


def test_pl03_allocations_above_places_offered_not_counting_withdrawn_students(findings):
    assert set(findings["PL03"]) == {"round_offers/cardiology/p-soon"}  # paediatrics: 1 live + 1 withdrawn of 2
    evidence = findings["PL03"]["round_offers/cardiology/p-soon"]["evidence"]
    assert (evidence["allocated"], evidence["offered"]) == (2, 1)
    assert sorted(evidence["placements"]) == ["a-not-ready", "a-over-capacity"]


def test_pl04_host_without_supervisor(findings):
    assert set(findings["PL04"]) == {"placement_hosts/surgery"}


def test_pl06_checklist_incomplete_within_two_weeks_of_the_start(findings):
    # a-later is as incomplete but starts in 60 days; a-withdrawn does not count; a-ready is ready
    assert set(findings["PL06"]) == {"incoming_placements/a-not-ready"}
    evidence = findings["PL06"]["incoming_placements/a-not-ready"]["evidence"]
    assert evidence["days_to_start"] == 7
    assert [i["item"] for i in evidence["incomplete"]] == [
        "infection_control", "insurance", "confidentiality_agreement", "prior_education_review", "prerequisites"]


def test_pl07_certificate_missing_a_month_after_the_end(findings):
    assert set(findings["PL07"]) == {"incoming_placements/a-no-certificate"}  # a-certified has it


def test_pl08_host_outside_a_hospital(findings):
    assert set(findings["PL08"]) == {"placement_hosts/medtech-lab"}


def test_pl09_offer_outside_the_months_the_unit_can_supervise(findings):
    assert set(findings["PL09"]) == {"round_offers/paediatrics/p-soon"}  # cardiology can supervise all year


def test_ap20_programme_without_a_window_abroad(findings):
    # medicine has one; the doctoral programme is third cycle; an online course is not a period abroad
    assert set(findings["AP20"]) == {"programmes/biomedicine", "programmes/nursing"}
    assert "none in a mobility window abroad" in findings["AP20"]["programmes/biomedicine"]["message"]
    assert findings["AP20"]["programmes/nursing"]["evidence"]["opportunities"] == 0


def test_gde20_destination_under_an_agreement_not_in_force_or_not_its_party(findings):
    # ku-leuven under ex-leuven (active, a party) is fine; countries have no agreement
    assert set(findings["GDE20"]) == {
        "opportunity_destinations/bmed-research/karolinska-institutet",  # ex-ki-ended has expired
        "opportunity_destinations/med-elective/charite",  # ex-leuven does not name Charité
    }
    assert findings["GDE20"]["opportunity_destinations/bmed-research/karolinska-institutet"]["message"].endswith("which is expired.")
    assert findings["GDE20"]["opportunity_destinations/med-elective/charite"]["evidence"]["destination_is_party"] == 0


def test_no_commitment_change_is_found_in_a_fresh_load(findings):
    assert "PL05" not in findings


def without_offers_and_allocations() -> list:
    return [r for r in portfolio(TODAY) if r.table not in ("round_offers", "placement_allocations")]


def pl05(db) -> set[str]:
    return {f["subject_id"] for f in run_checks(db, only=["PL05"], today=TODAY, actor="tester").findings}


def test_pl05_offer_changed_or_removed_after_the_first_allocation_of_the_round(registry_db):
    records = without_offers_and_allocations()
    store.write_records(registry_db, records, actor="tester", source="fixture")
    placements.set_offer(registry_db, "cardiology", "p-soon", 2)
    placements.set_offer(registry_db, "cardiology", "p-soon", 3)  # changed before allocation: fine
    placements.set_offer(registry_db, "paediatrics", "p-later", 1)
    placements.set_offer(registry_db, "paediatrics", "p-soon", 1)
    assert pl05(registry_db) == set()
    placements.allocate(registry_db, "a-not-ready", host="cardiology", period="p-soon")
    placements.set_offer(registry_db, "cardiology", "p-soon", 1)  # cut after allocation
    placements.set_offer(registry_db, "orthopaedics", "p-later", 1)  # a new offer: breaks no promise
    with store.transaction(registry_db, actor="datasette-user", source="datasette"):
        registry_db.conn.execute("DELETE FROM round_offers WHERE host = 'paediatrics' AND period = 'p-later'")
    assert pl05(registry_db) == {"cardiology/p-soon", "paediatrics/p-later"}
    found = {f["subject_id"]: f for f in run_checks(registry_db, only=["PL05"], today=TODAY).findings}
    changes = found["paediatrics/p-later"]["evidence"]["changes"]
    assert [(c["operation"], c["places_before"], c["places_after"], c["actor"]) for c in changes] == [
        ("delete", 1, None, "datasette-user")]


def test_pl05_ignores_offers_of_other_rounds(registry_db):
    records = without_offers_and_allocations()
    other = PlacementRound(id="other", term="spring", year=TODAY.year + 2, call_opens_on=str(TODAY),
                           periods=[{"id": "o-1", "starts_on": str(TODAY + timedelta(days=400)),
                                     "ends_on": str(TODAY + timedelta(days=427))}])
    store.write_records(registry_db, [*records, other, RoundOffer(host="cardiology", period="p-soon", places=1),
                                      RoundOffer(host="cardiology", period="o-1", places=1)])
    placements.allocate(registry_db, "a-not-ready", host="cardiology", period="p-soon")
    placements.set_offer(registry_db, "cardiology", "o-1", 2)  # the other round has no allocation yet
    assert pl05(registry_db) == set()


def test_the_check_command_exits_1_on_a_high_placement_finding(tmp_path):
    path = portfolio_file(tmp_path / "cli.db", TODAY)
    runner = CliRunner()
    failing = runner.invoke(cli, ["check", "--db", str(path), "--only", "PL02", "--fail-on", "high"])
    assert failing.exit_code == 1, failing.output
    assert "p-short" in failing.output
    passing = runner.invoke(cli, ["check", "--db", str(path), "--only", "PL01", "--fail-on", "high"])
    assert passing.exit_code == 0, passing.output


def test_a_placement_dated_ready_after_the_fix_resolves_its_finding(registry_db):
    store.write_records(registry_db, portfolio(TODAY))
    assert {f["subject_id"] for f in run_checks(registry_db, only=["PL06"], today=TODAY).findings} == {"a-not-ready"}
    for item in ("infection_control", "insurance", "confidentiality_agreement", "prior_education_review"):
        placements.update_checklist_item(registry_db, "a-not-ready", item, "complete")
    placements.update_checklist_item(registry_db, "a-not-ready", "prerequisites", "complete", basis="base_placement")
    assert run_checks(registry_db, only=["PL06"], today=TODAY).findings == []


def test_a_placement_cut_short_stays_on_record_and_its_finding_can_be_waived(tmp_path):
    path = portfolio_file(tmp_path / "waive.db", TODAY)
    db = store.connect(path)
    run_checks(db, only=["PL02"], today=TODAY)
    db.conn.close()
    runner = CliRunner()
    until = str(TODAY + timedelta(days=90))
    waived = runner.invoke(cli, ["waive", "PL02", "placement_allocations/a-later", "--db", str(path),
                                 "--reason", "ended early: illness", "--until", until])
    assert waived.exit_code == 0, waived.output
    db = store.connect(path)
    after = {f["subject_id"]: f for f in run_checks(db, only=["PL02"], today=TODAY).findings}
    assert after["a-later"]["waiver_reason"] == "ended early: illness"
    assert after["p-short"]["waiver"] is None
