"""The example placements and opportunity catalogue load together with the example portfolio,
and show every placement check in the demo. The examples are written for 2026-11-21, so the
checks run as of that date, not the clock."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from checks.run import run_checks
from registry import examples
from registry.cli_placements import DEMO_OFFER_CUT, demo_step
from registry.importers import seed
from registry.integrity import verify

DATA = Path(__file__).resolve().parent.parent / "data"
WRITTEN_FOR = date(2026, 11, 21)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = examples.fresh_registry(tmp_path_factory.mktemp("placement-examples") / "registry.db")
    seed.load(db, [DATA / "reference", DATA / "examples"], actor="demo")
    demo_step(db)
    yield db
    db.conn.close()


@pytest.fixture(scope="module")
def findings(demo):
    result = run_checks(demo, families=["PL"], only=["AP20", "GDE20"], today=WRITTEN_FOR, actor="test")
    found: dict[str, set[str]] = {}
    for finding in result.findings:
        found.setdefault(finding["code"], set()).add(finding["subject_id"])
    return found


def test_the_examples_load_with_the_portfolio_and_verify(demo):
    assert verify(demo) == []
    counts = {table: demo[table].count for table in (
        "placement_hosts", "placement_rounds", "placement_periods", "round_offers", "incoming_placements",
        "admission_checklist", "placement_allocations", "opportunities", "opportunity_destinations")}
    assert counts == {"placement_hosts": 8, "placement_rounds": 2, "placement_periods": 8, "round_offers": 15,
                      "incoming_placements": 11, "admission_checklist": 66, "placement_allocations": 9,
                      "opportunities": 13, "opportunity_destinations": 44}


def test_applicants_are_reference_codes_and_hosts_name_roles_only(demo):
    assert all(re.fullmatch(r"cp-\d\d[hv]-\d{3}", ref) for (ref,) in demo.execute("select id from incoming_placements"))
    roles = [r for row in demo.execute("select supervisor_role, contact_role from placement_hosts") for r in row if r]
    assert roles and all(re.match(r"^(Clinical supervisor|Director of studies|Section head), ", r) for r in roles)


def test_the_demo_shows_every_placement_check(findings):
    host, period = DEMO_OFFER_CUT
    assert {code: findings.get(code, set()) for code in ("PL01", "PL02", "PL03", "PL04", "PL05", "PL06", "PL07", "PL09")} == {
        "PL01": {"sus-emergency-malmo"},
        "PL02": {"sus-orthopaedics-malmo", "cp-27v-004"},
        "PL03": {"sus-cardiology-lund/2027-spring-p1"},
        "PL04": {"sus-obstetrics-lund"},
        "PL05": {f"{host}/{period}"},
        "PL06": {"cp-26h-005"},
        "PL07": {"cp-26h-004"},
        "PL09": {"sus-emergency-malmo/2027-spring-p1"},
    }
    assert "PL08" not in findings  # every example host is a unit of Skåne University Hospital


def test_the_catalogue_flags_suspended_and_expired_agreements_and_programmes_without_a_window(findings):
    assert findings["GDE20"] == {
        "medicine-global-health-rotation/hanoi-medical-university",
        "biomedicine-research-internship/utrecht-university",
    }
    assert {"medicine", "nursing", "biomedicine-bachelor"}.isdisjoint(findings["AP20"])
    assert "doctoral-medical-science" not in findings["AP20"]  # third cycle
    assert "physiotherapy" in findings["AP20"]


def test_municipal_cooperation_of_the_city_of_lund_is_there(demo):
    rows = demo.execute("""select a.id from agreements a join agreement_parties p on p.agreement = a.id
                           where p.institution = 'city-of-lund' and a.kind in ('municipal_cooperation', 'twin_town')
                           and a.confidential = 0""").fetchall()
    partners = {r[0] for r in demo.execute("""select p.institution from agreement_parties p where p.agreement in
        (select agreement from agreement_parties where institution = 'city-of-lund') and p.institution != 'city-of-lund'""")}
    assert len(rows) >= 3 and {"city-of-hangzhou", "municipality-of-coimbra", "frederiksberg-municipality"} <= partners
