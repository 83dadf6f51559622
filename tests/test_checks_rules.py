"""Each check against a small registry made to trigger it and one that must not.

The registries are real SQLite files written with the core models; the date is fixed.
A case names the subjects the check must find in the first registry; in the second it must
find nothing. Near misses (just above a threshold, an expired agreement, a review on record)
go into the second.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from conftest import new_registry

from checks.registry import all_checks
from checks.run import run_checks
from registry import db as store
from registry.models import by_table
from registry.models.action_plan import (
    AgreementSdg,
    NetworkActivity,
    ProgrammeComponent,
    TeacherMobilityPartner,
)
from registry.models.core import Agreement, Institution, Membership, MobilityFlow, Network, Programme, Review
from registry.models.diligence import (
    CountryClassification,
    CountryFreedom,
    EuRestrictiveMeasure,
    GdprAdequacy,
    StateControl,
)

TODAY = date(2026, 11, 21)  # academic year 2026/2027; the last complete one is 2025/2026
SOURCE = {"source": "test fixture", "licence": "CC0"}
MY_MODULES = {"checks.responsible", "checks.strategic", "checks.action_plan", "checks.data_quality"}


def freedom(country, afi, band, change, ldi):
    return CountryFreedom(country=country, year=2022, academic_freedom=afi, academic_freedom_band=band,
                          academic_freedom_change_5y=change, liberal_democracy=ldi, **SOURCE)


def measure(country, kind, regime):
    return EuRestrictiveMeasure(country=country, regime=regime, kind=kind, legal_act="test act", year=2026, **SOURCE)


def classification(country, name, ldc=False, income="high"):
    return CountryClassification(country=country, year=2025, name=name, least_developed=ldc, income_level=income, **SOURCE)


def uni(id, country, **fields):
    return Institution(id=id, name=fields.pop("name", f"University {id}"), country=country, **fields)


def agreement(id, partners, status="active", kind="student_exchange", **fields):
    return Agreement(id=id, title=fields.pop("title", f"Agreement {id}"), kind=kind, status=status,
                     parties=["lund", *partners], **fields)


def review(id, institution, outcome="approved", due="2027-06-30", **answers):
    return Review(id=id, institution=institution, reviewed_on="2025-06-30", reviewer_role="due_diligence_reviewer",
                  outcome=outcome, next_review_due=due, **answers)


BASE = [
    Institution(id="lund", name="Lund University", country="SE", is_home=True),
    freedom("CN", 0.066, "E", -0.024, 0.043),
    freedom("HU", 0.344, "D", -0.146, 0.337),
    freedom("NO", 0.96, "A", 0.0, 0.85),
    freedom("RU", 0.235, "D", -0.127, 0.07),
    freedom("ET", 0.366, "D", -0.05, 0.134),
    freedom("US", 0.753, "B", -0.159, 0.765),
    measure("CN", "arms_embargo", "China"),
    measure("RU", "arms_embargo", "Russia"),
    measure("RU", "sectoral", "Russia"),
    GdprAdequacy(country="US", year=2023, scope="partial", scope_note="DPF-certified organisations",
                 decision="Decision 2023/1795", decided_on="2023-07-10", **SOURCE),
    GdprAdequacy(country="NZ", year=2012, scope="full", decision="Decision 2013/65/EU", decided_on="2012-12-19", **SOURCE),
    classification("ET", "Ethiopia", ldc=True, income="low"),
    classification("NO", "Norway"),
]


def staff_teaching(**fields):
    return {"category": "staff_teaching", "direction": "outgoing", **fields}


def studies(direction="outgoing", **fields):
    return {"category": "student_studies", "direction": direction, **fields}


def flows(agreement_id, year, out, came):
    return [
        MobilityFlow(agreement=agreement_id, academic_year=year, direction="outgoing", category="student_studies", participants=out),
        MobilityFlow(agreement=agreement_id, academic_year=year, direction="incoming", category="student_studies", participants=came),
    ]


def programme(id="med", cycle="second", **fields):
    return Programme(id=id, name_en=f"Programme {id}", name_sv=f"Programmet {id}", cycle=cycle, **fields)


def component(id, kind, programme="med", **fields):
    return ProgrammeComponent(id=id, programme=programme, kind=kind, title=f"Component {id}", **fields)


def named(institution, programme="med"):
    return TeacherMobilityPartner(programme=programme, institution=institution, named_on="2025-09-01")


def activity(id, programme, starts_on, **counts):
    return NetworkActivity(id=id, network="net", programme=programme, title=f"Activity {id}", starts_on=starts_on, **counts)


def incoming(agreement_id, year, participants):
    return MobilityFlow(agreement=agreement_id, academic_year=year, direction="incoming", category="student_studies",
                        participants=participants)


# code -> (records that trigger it, subjects it must find, records where it must find nothing)
CASES = {
    "GRE01": (
        [uni("hu", "HU"), agreement("a", ["hu"], status="draft")],
        {"hu"},
        [uni("hu", "HU"), agreement("a", ["hu"], status="expired"), uni("no", "NO"), agreement("b", ["no"])],
    ),
    "GRE02": ([uni("hu", "HU"), agreement("a", ["hu"])], {"hu"}, [uni("cn", "CN"), agreement("a", ["cn"])]),
    "GRE03": ([uni("cn", "CN"), agreement("a", ["cn"])], {"cn"}, [uni("hu", "HU"), agreement("a", ["hu"])]),
    "GRE04": ([uni("ru", "RU"), agreement("a", ["ru"])], {"ru"}, [uni("no", "NO"), agreement("a", ["no"])]),
    "GRE05": (
        [uni("agency", "RU", kind="agency"), uni("ru", "RU"), agreement("a", ["agency", "ru"]),
         StateControl(institution="ru", state_controlled=True, controlling_body="a ministry", source="test", recorded_on="2026-01-01")],
        {"agency", "ru"},
        [uni("ru", "RU"), uni("cn", "CN"), agreement("a", ["ru", "cn"]),
         StateControl(institution="ru", state_controlled=False, source="test", recorded_on="2026-01-01"),
         StateControl(institution="cn", state_controlled=True, source="test", recorded_on="2026-01-01")],
    ),
    "GRE06": (
        [uni("ru", "RU"), agreement("a", ["ru"])],
        {"ru"},
        [uni("ru", "RU"), uni("agency", "RU", kind="agency"), agreement("a", ["ru", "agency"]),
         StateControl(institution="ru", state_controlled=False, source="test", recorded_on="2026-01-01")],
    ),
    "GRE07": (
        [uni("cn", "CN"), uni("ru", "RU"),
         agreement("a", ["cn"], mobility_terms=[studies(subject_areas=[{"isced_code": "0512"}])]),
         agreement("b", ["ru"], kind="research", notes="Joint work on CRISPR screening")],
        {"a", "b"},
        [uni("cn", "CN"), uni("no", "NO"),
         agreement("a", ["cn"], mobility_terms=[studies(subject_areas=[{"isced_code": "0512"}])]),
         review("r1", "cn", export_control_assessed="yes"),
         agreement("b", ["no"], mobility_terms=[studies(subject_areas=[{"isced_code": "0512"}])]),
         agreement("c", ["cn"], mobility_terms=[studies(subject_areas=[{"isced_code": "0913"}])], title="Nursing exchange")],
    ),
    "GRE08": (
        [uni("cn", "CN"), agreement("a", ["cn"], personal_data=True)],
        {"a"},
        [uni("nz", "NZ"), uni("de", "DE"), uni("cn", "CN"), agreement("a", ["nz", "de"], personal_data=True),
         agreement("b", ["cn"], personal_data=False)],
    ),
    "GRE09": (
        [uni("us", "US"), agreement("a", ["us"], personal_data=True)],
        {"a"},
        [uni("nz", "NZ"), agreement("a", ["nz"], personal_data=True)],
    ),
    "GRE10": (
        [uni("cn", "CN"), uni("ru", "RU"), uni("et", "ET"), agreement("a", ["cn"]), agreement("b", ["ru"]),
         review("r1", "ru", due="2026-01-31"), agreement("c", ["et"]), review("r2", "et", outcome="escalated")],
        {"a", "b", "c"},
        [uni("cn", "CN"), uni("no", "NO"), agreement("a", ["cn"]), review("r1", "cn", outcome="approved_with_conditions"),
         agreement("b", ["no"]), uni("ru", "RU"), agreement("c", ["ru"], status="draft")],
    ),
    "GRE11": (
        [uni("no", "NO"), agreement("a", ["no"], exit_clause=False)],
        {"a"},
        [uni("no", "NO"), agreement("a", ["no"], notice_months=6), agreement("b", ["no"], exit_clause=True),
         agreement("c", ["no"], status="terminated")],
    ),
    "GRE12": (
        [uni("et", "ET"), agreement("a", ["et"])],
        {"a"},
        [uni("et", "ET"), agreement("a", ["et"], equitable_terms="Costs shared; joint authorship"),
         agreement("b", ["et"]), Review(id="r1", agreement="b", reviewed_on="2025-01-01", reviewer_role="due_diligence_reviewer",
                                        outcome="approved", equitable_terms="yes"),
         uni("no", "NO"), agreement("c", ["no"])],
    ),
    "GDE01": (
        [uni("no", "NO"), agreement("a", ["no"], starts_on="2015-01-01", flows=flows("a", "2019/2020", 2, 1)),
         agreement("b", ["no"], starts_on="2015-01-01")],
        {"a", "b"},
        [uni("no", "NO"), agreement("a", ["no"], starts_on="2015-01-01", flows=flows("a", "2024/2025", 1, 0)),
         agreement("b", ["no"], starts_on="2025-01-01"), agreement("c", ["no"], kind="research", starts_on="2015-01-01")],
    ),
    "GDE02": (
        [uni("no", "NO"),
         agreement("a", ["no"], flows=flows("a", "2023/2024", 10, 1) + flows("a", "2024/2025", 8, 2) + flows("a", "2025/2026", 7, 0))],
        {"a"},
        [uni("no", "NO"),
         agreement("a", ["no"], flows=flows("a", "2023/2024", 10, 1) + flows("a", "2024/2025", 5, 5) + flows("a", "2025/2026", 7, 0)),
         agreement("b", ["no"], flows=flows("b", "2023/2024", 2, 0) + flows("b", "2024/2025", 2, 0) + flows("b", "2025/2026", 3, 0)),
         agreement("c", ["no"], status="suspended",  # unbalanced, but not active
                   flows=flows("c", "2023/2024", 10, 1) + flows("c", "2024/2025", 8, 2) + flows("c", "2025/2026", 7, 0))],
    ),
    "GDE03": (
        [uni("no", "NO"), agreement("a", ["no"], mobility_terms=[studies(places_per_year=2)], flows=flows("a", "2025/2026", 5, 0))],
        {"a"},
        [uni("no", "NO"), agreement("a", ["no"], mobility_terms=[studies(places_per_year=2)], flows=flows("a", "2025/2026", 2, 9)),
         agreement("b", ["no"], mobility_terms=[studies(places_per_year=2)], flows=flows("b", "2019/2020", 5, 0))],
    ),
    "GDE04": (
        [uni("no", "NO"), agreement("a", ["no"], ends_on="2027-02-28")],
        {"a"},
        [uni("no", "NO"), agreement("a", ["no"], ends_on="2027-02-28"), agreement("a2", ["no"], status="negotiating"),
         uni("no2", "NO"), agreement("b", ["no2"], ends_on="2027-02-28", renewal="automatic"),
         agreement("c", ["no2"], ends_on="2028-12-31")],
    ),
    "GDE05": (
        [uni("no", "NO"), agreement("a", ["no"], ends_on="2026-10-31")],
        {"a"},
        [uni("no", "NO"), agreement("a", ["no"], ends_on="2026-10-31", renewal="automatic"),
         agreement("b", ["no"], ends_on="2026-10-31", status="expired"), agreement("c", ["no"], ends_on="2026-11-21")],
    ),
    "AP01": (
        [uni("no", "NO"), agreement("a", ["no"], mobility_terms=[studies()])],
        {"a"},
        [uni("no", "NO"), agreement("a", ["no"], mobility_terms=[studies(), staff_teaching()]),
         agreement("b", ["no"], kind="research")],
    ),
    "AP02": (
        [Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second"), uni("no", "NO"),
         agreement("a", ["no"], status="expired", programmes=["med"])],
        {"med"},
        [Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second"), uni("no", "NO"),
         agreement("a", ["no"], programmes=["med"])],
    ),
    "AP03": (
        [Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second")],
        {"med"},
        [Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second", virtual_exchange=True)],
    ),
    "AP04": (
        [Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second")],
        {"med"},
        [Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second", mobility_window="semester 9")],
    ),
    "AP05": (
        [uni("no", "NO"), uni("no2", "NO"), agreement("a", ["no2"], status="expired"),
         Network(id="u21", name="U21 Health Sciences", strategic=True, members=["no", "no2", "lund"])],
        {"no", "no2"},
        [uni("no", "NO"), uni("no2", "NO"), uni("no3", "NO"), agreement("a", ["no"]),
         Network(id="u21", name="U21 Health Sciences", strategic=True,
                 members=["no", Membership(network="u21", institution="no3", since=2010, until=2020)]),
         Network(id="other", name="Other network", members=["no2"])],
    ),
    "AP06": (
        [programme(), component("old", "cim_activity", until_year="2024/2025"), programme("phd", cycle="third")],
        {"med"},
        [programme(cim_activities=True), programme("nur", cycle="first"),
         component("now", "cim_activity", programme="nur", since_year="2020/2021", until_year="2026/2027"),
         programme("phd", cycle="third")],
    ),
    "AP07": (
        [programme(), component("old", "english_taught", until_year="2025/2026"), component("c", "cim_activity")],
        {"med"},
        [programme(english_components=True), programme("nur", cycle="first"), component("e", "english_taught", programme="nur")],
    ),
    "AP08": (
        [programme(), programme("phd", cycle="third")],
        {"med"},
        [programme(), uni("no", "NO"), named("no")],
    ),
    "AP09": (
        [programme(), uni("no", "NO"), named("no"), agreement("a", ["no"], mobility_terms=[studies()]),
         agreement("b", ["no"], status="expired", mobility_terms=[staff_teaching()])],
        {"med/no"},
        [programme(), uni("no", "NO"), named("no"), agreement("a", ["no"], mobility_terms=[studies(), staff_teaching()])],
    ),
    "AP10": (
        [programme(), programme("nur", cycle="first"), Network(id="net", name="A network"),
         activity("old", "med", "2025-07-31", students=3), activity("empty", "nur", "2026-09-01")],
        {"med", "nur"},
        [programme(), programme("phd", cycle="third"), Network(id="net", name="A network"),
         activity("recent", "med", "2025-08-01", teachers=1)],
    ),
    "AP11": (
        [programme(), uni("no", "NO"), agreement("a", ["no"], programmes=["med"]),
         agreement("b", ["no"], status="expired", programmes=["med"]), AgreementSdg(agreement="b", sdg=3),
         programme("nur", cycle="first"), agreement("c", ["no"], programmes=["nur"]), AgreementSdg(agreement="c", sdg=4)],
        {"med"},
        [programme(), programme("nur", cycle="first"), uni("no", "NO"), agreement("a", ["no"], programmes=["med"]),
         AgreementSdg(agreement="a", sdg=3)],
    ),
    "AP12": (
        [programme(), uni("no", "NO"), agreement("a", ["no"], programmes=["med"], flows=[incoming("a", "2025/2026", 2)]),
         component("old", "integration", until_year="2025/2026")],
        {"med"},
        [programme(), programme("nur", cycle="first"), uni("no", "NO"),
         agreement("a", ["no"], programmes=["med"], flows=[incoming("a", "2025/2026", 2)]),
         agreement("b", ["no"], programmes=["nur"], flows=[incoming("b", "2023/2024", 4)]),
         component("buddy", "integration", since_year="2024/2025")],
    ),
    "DQ01": (
        [uni("no", "NO")],
        {"no"},
        [uni("no", "NO", ror="056d84691"), uni("town", "NO", kind="municipality")],
    ),
    "DQ02": (
        [uni("no", "NO", latitude=59.9)],
        {"no"},
        [uni("no", "NO", latitude=59.9, longitude=10.7)],
    ),
    "DQ03": (
        [uni("a", "NO", name="Universitetet i Oslo"), uni("b", "NO", name="UNIVERSITETET I OSLO"),
         uni("c", "NO", name="Oslo uni", names=[{"name": "Universitetet i Oslo", "kind": "former"}])],
        {"b", "c"},
        [uni("a", "NO", name="Universitetet i Oslo", acronym="UIO"), uni("b", "DK", name="Universitetet i Oslo"),
         uni("c", "NO", name="Some other", acronym="UIO")],
    ),
    "DQ04": (
        [agreement("a", [])],
        {"a"},
        [uni("no", "NO"), agreement("a", ["no"])],
    ),
    "DQ05": (
        [uni("no", "NO"), agreement("a", ["no"])],
        {"a"},
        [uni("no", "NO"), Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second"),
         agreement("a", ["no"], programmes=["med"]), agreement("b", ["no"], kind="research"),
         agreement("c", ["no"], status="terminated")],
    ),
    "DQ06": (
        [uni("no", "NO"), agreement("a", ["no"])],
        {"a"},
        [uni("no", "NO"), agreement("a", ["no"], coordinator="International coordinator"), agreement("b", ["no"], status="draft")],
    ),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "empty.db"
    db = store.connect(new_registry(path))
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path


def registry_with(template, tmp_path, name, records):
    path = tmp_path / f"{name}.db"
    shutil.copy(template, path)
    db = store.connect(path)
    store.write_records(db, BASE + records, actor="test")
    return db


def found_subjects(db, code):
    result = run_checks(db, only=[code], today=TODAY, actor="test")
    return {f["subject_id"] for f in result.findings}, result


def subject_label(db, finding) -> str | None:
    """The label of a finding's subject, looked up in its table as the model names it."""
    column = by_table()[finding["subject_table"]].label_column
    if column is None:
        return None
    row = db.conn.execute(f'SELECT "{column}" FROM "{finding["subject_table"]}" WHERE id = ?',
                          [finding["subject_id"]]).fetchone()
    return row[0] if row else None


def test_every_check_here_has_a_case():
    mine = {spec.code for spec in all_checks() if spec.module in MY_MODULES}
    assert mine == set(CASES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_finds_what_it_must_and_nothing_else(code, template, tmp_path):
    triggering, expected, clean = CASES[code]
    found, result = found_subjects(registry_with(template, tmp_path, "trigger", triggering), code)
    assert found == expected
    for finding in result.findings:
        assert finding["code"] == code and finding["message"] and finding["evidence"]
        assert finding["subject_label"] == subject_label(result.db, finding)  # the check's own label, if it gives one
    nothing, _ = found_subjects(registry_with(template, tmp_path, "clean", clean), code)
    assert nothing == set()


def test_evidence_names_values_threshold_and_source(template, tmp_path):
    db = registry_with(template, tmp_path, "evidence", CASES["GRE01"][0])
    _, result = found_subjects(db, "GRE01")
    evidence = result.findings[0]["evidence"]
    assert evidence["academic_freedom"] == 0.344 and evidence["threshold"] == 0.4
    assert evidence["band"] == "D" and evidence["year"] == 2022 and evidence["source"] == "test fixture"
    assert evidence["agreements"] == ["a"]
    assert "0.344" in result.findings[0]["message"]


def test_the_partners_a_programme_could_name_come_in_the_order_its_agreements_were_linked(template, tmp_path):
    """AP08's evidence lists each partner once, active agreements with a teacher-mobility term
    of this programme only, in the order the agreements were linked to the programme."""
    def teaching(id, partners, ends_on, **fields):
        return agreement(id, partners, programmes=fields.pop("programmes", ["med"]), starts_on="2020-01-01",
                         ends_on=ends_on, mobility_terms=[staff_teaching()], **fields)

    records = [programme(), programme("nur", cycle="first"), *(uni(id, "NO") for id in ("x", "y", "z", "w", "v")),
               teaching("a", ["z"], "2030-06-30"), teaching("b", ["y"], "2028-06-30"), teaching("c", ["y", "x"], "2029-06-30"),
               teaching("d", ["w"], "2027-06-30", status="expired"), teaching("e", ["v"], "2027-06-30", programmes=["nur"]),
               agreement("f", ["w"], programmes=["med"], mobility_terms=[studies()])]
    _, result = found_subjects(registry_with(template, tmp_path, "teachers", records), "AP08")
    evidence = {f["subject_id"]: f["evidence"]["partners_with_teacher_mobility"] for f in result.findings}
    assert evidence == {"med": ["z", "y", "x"], "nur": ["v"]}


def test_a_partners_live_agreements_are_listed_once_in_the_order_they_were_recorded(template, tmp_path):
    """The live partners' agreements (checks.sql.live_partners, GRE01's evidence): live ones only,
    each once, in the order recorded, whatever their ids."""
    records = [uni("hu", "HU"), uni("hu2", "HU"), agreement("m", ["hu"]), agreement("b", ["hu", "hu2"], status="suspended"),
               agreement("x", ["hu"], status="expired"), agreement("a", ["hu"], status="draft"),
               agreement("n", ["hu2"], status="terminated")]
    _, result = found_subjects(registry_with(template, tmp_path, "live", records), "GRE01")
    assert {f["subject_id"]: f["evidence"]["agreements"] for f in result.findings} == {"hu": ["m", "b", "a"], "hu2": ["b"]}


def test_review_overdue_and_missing_are_told_apart(template, tmp_path):
    db = registry_with(template, tmp_path, "reviews", CASES["GRE10"][0])
    _, result = found_subjects(db, "GRE10")
    problems = {f["subject_id"]: f["evidence"]["partners"][0]["problem"] for f in result.findings}
    assert problems == {
        "a": "never reviewed",
        "b": "review overdue since 2026-01-31",
        "c": "latest review: escalated",
    }


def test_country_risk_tiers_have_reasons(template, tmp_path):
    db = registry_with(template, tmp_path, "risk", [uni("us", "US"), uni("se", "SE")])
    run_checks(db, only=["DQ01"], today=TODAY, actor="test")
    tiers = {row[0]: (row[1], row[2]) for row in db.conn.execute("SELECT country, tier, reasons FROM country_risk")}
    assert tiers["CN"][0] == "high" and "state actor" in tiers["CN"][1] and "arms embargo" in tiers["CN"][1]
    assert tiers["RU"][0] == "high"
    assert tiers["HU"][0] == "medium" and "Academic Freedom Index 0.344" in tiers["HU"][1]
    assert tiers["NO"][0] == "low" and tiers["US"][0] == "low"  # a decline alone does not raise the tier
    assert tiers["SE"][0] == "unknown"  # no indicator row in this registry


def test_ap03_counts_each_programmes_virtual_or_blended_terms_from_the_partial_index(template, tmp_path):
    """AP03's evidence counts the virtual or blended terms of the programme's agreements (of any
    status), each term once per programme it serves, read from the partial index of those terms."""
    virtual, blended = studies(virtual=True), studies(direction="incoming", blended=True)
    records = [programme(), programme("nur", cycle="first"), programme("phd", cycle="third", virtual_exchange=True),
               uni("no", "NO"),
               agreement("a", ["no"], programmes=["med", "nur"], mobility_terms=[virtual, studies(), blended]),
               agreement("b", ["no"], status="expired", programmes=["med"], mobility_terms=[studies(virtual=True, blended=True)]),
               agreement("c", ["no"], programmes=["phd"], mobility_terms=[virtual]),
               agreement("d", ["no"], programmes=["nur"], mobility_terms=[studies(), staff_teaching()])]
    db = registry_with(template, tmp_path, "virtual", records)
    _, result = found_subjects(db, "AP03")
    assert {f["subject_id"]: f["evidence"]["virtual_or_blended_terms"] for f in result.findings} == {"med": 3, "nur": 2}
    plan = " ".join(row[3] for row in db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT agreement FROM mobility_terms t WHERE t.virtual = 1 OR t.blended = 1"))
    assert "idx_mobility_terms_agreement_where_virtual_blended" in plan


def test_gre07_lists_an_agreements_sensitive_codes_once_each_in_the_criteria_order(template, tmp_path):
    """GRE07 tells each distinct code against the listed ones once; an agreement's codes still come
    in the order of the criteria's list (sensitive_subjects.isced), each once, unlisted ones left
    out, and its live partners only, as when each term's code was told against the list."""
    def areas(*codes):
        return studies(subject_areas=[{"isced_code": code} for code in codes])

    records = [uni("cn", "CN"), uni("cn2", "CN"),
               agreement("a", ["cn"], mobility_terms=[areas("0531", "0913", "0512"), areas("0511", "0531")]),
               agreement("b", ["cn", "cn2"], mobility_terms=[areas("0511"), areas("0913")]),
               agreement("c", ["cn2"], status="expired", mobility_terms=[areas("0511")])]
    _, result = found_subjects(registry_with(template, tmp_path, "codes", records), "GRE07")
    evidence = {f["subject_id"]: f["evidence"] for f in result.findings}
    assert {key: value["isced_codes"] for key, value in evidence.items()} == {"a": ["0511", "0512", "0531"], "b": ["0511"]}
    assert [p["institution"] for p in evidence["b"]["partners"]] == ["cn", "cn2"]


def test_gde02_lists_each_lasting_years_mobility_in_order_and_not_a_side_that_turned(template, tmp_path):
    """GDE02 first tells which agreements pass every year the same way, then sums and lists only
    theirs: the lasting one's years come in order, and one whose heavier side turned in a year,
    though each year passes the ratio, is not found."""
    records = [uni("no", "NO"),
               agreement("a", ["no"], flows=flows("a", "2023/2024", 10, 1) + flows("a", "2024/2025", 8, 2)
                         + flows("a", "2025/2026", 7, 0)),
               agreement("b", ["no"], flows=flows("b", "2023/2024", 10, 1) + flows("b", "2024/2025", 1, 9)
                         + flows("b", "2025/2026", 7, 0))]
    found, result = found_subjects(registry_with(template, tmp_path, "lasting", records), "GDE02")
    assert found == {"a"}
    evidence = result.findings[0]["evidence"]
    assert evidence["heavier"] == "outgoing"
    assert [year["year"] for year in evidence["years"]] == ["2023/2024", "2024/2025", "2025/2026"]
    assert [(year["outgoing"], year["incoming"]) for year in evidence["years"]] == [(10, 1), (8, 2), (7, 0)]


def test_gre07_reads_a_keyword_in_a_subject_areas_clarification_and_skips_null_ones(template, tmp_path):
    """GRE07 reads a term's areas one by one only when one may have a clarification: a keyword
    there is found; areas whose clarifications are all null give nothing to the text."""
    records = [uni("cn", "CN"),
               agreement("a", ["cn"], mobility_terms=[studies(subject_areas=[
                   {"isced_code": "0913", "clarification": None},
                   {"isced_code": "0912", "clarification": "CRISPR screening"}])]),
               agreement("b", ["cn"], mobility_terms=[studies(subject_areas=[
                   {"isced_code": "0913", "clarification": None}, {"isced_code": "0912"}])])]
    found, result = found_subjects(registry_with(template, tmp_path, "clarified", records), "GRE07")
    assert found == {"a"}
    assert result.findings[0]["evidence"]["keywords"] == ["crispr"]


def test_ap12s_first_year_as_text_keeps_every_year_its_number_keeps():
    """AP12 seeks the flows by ``academic_year >= _year_from(first)`` beside its condition on the
    year's number: the text must keep every year the number keeps, as SQLite reads it."""
    import sqlite3

    from checks.action_plan import _year_from

    conn = sqlite3.connect(":memory:")
    years = ["2024/2025", "2025/2026", "2025", "2030/2031", "999/1000", " 2025/2026", "+2025", "0999/1000", "abcd"]
    for first in (2025, 1000, 999, 10, 10000):
        for year in years:
            kept_by_number, kept_by_text = conn.execute(
                "SELECT CAST(substr(?1, 1, 4) AS INTEGER) >= ?2, ?1 >= ?3", [year, first, _year_from(first)]).fetchone()
            assert kept_by_text or not kept_by_number, (year, first)
    assert _year_from(2025) == "2025" and _year_from(999) == "" and _year_from(10000) == ""


def test_dq03_lists_a_later_records_earlier_ones_and_shared_names_once_each_in_order(template, tmp_path):
    """DQ03 groups the pairs before reading the later record's row: a record sharing two names with
    two earlier ones lists each earlier record and each shared name once, in the order the pairs
    come, and its message names them in that order."""
    records = [uni("a", "NO", name="Universitetet i Oslo", names=[{"name": "Oslo Universitet", "kind": "alias"}]),
               uni("b", "NO", name="Oslo Universitet"),
               uni("c", "NO", name="Universitetet i Oslo", names=[{"name": "Oslo Universitet", "kind": "former"}])]
    found, result = found_subjects(registry_with(template, tmp_path, "pairs", records), "DQ03")
    assert found == {"b", "c"}
    by_subject = {f["subject_id"]: f for f in result.findings}
    evidence = by_subject["c"]["evidence"]
    assert evidence["country"] == "NO" and evidence["same_as"] == ["a", "b"]
    assert sorted(evidence["shared_names"]) == ["oslo universitet", "universitetet i oslo"]
    assert "a,b" in by_subject["c"]["message"]
