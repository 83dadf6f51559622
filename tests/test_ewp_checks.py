"""DQ30 (Erasmus agreement not ready for IIA v7) and DQ31 (changed since its IIA was
approved), each on a registry made to trigger it and on near misses that must not."""

from __future__ import annotations

import json
from datetime import date

import pytest
from ewp_support import APPROVABLE_COPY, BERGEN, LUND, OWN_COPY, PARTNER_COPY, copy_registry, make_registry, table

from checks.run import run_checks
from registry import db as store
from registry.importers import ewp as importer
from registry.models.core import Agreement, Institution
from registry.problems import ProblemsFound

TODAY = date(2026, 11, 21)
IMPORTED = "iia-uib.no-lu-iia-0001"
COPENHAGEN = Institution(id="ku", name="University of Copenhagen", country="DK")  # no SCHAC code


def findings(db, code: str) -> dict[str, dict]:
    run_checks(db, only=[code], today=TODAY, actor="test")
    return {row["subject_id"]: row for row in db.query("SELECT * FROM findings WHERE code = ? AND status = 'open'", [code])}


def erasmus(ident: str, status: str = "active", kind: str = "erasmus_iia", partner: str = "ku", dates: dict | None = None,
            **term) -> Agreement:
    base = {"category": "student_studies", "direction": "outgoing", "places_per_year": 2, "first_academic_year": "2025/2026",
            "last_academic_year": "2027/2028", "language_skills": [{"language": "en", "cefr_level": "B2"}],
            "subject_areas": [{"isced_code": "0912"}]}
    return Agreement(id=ident, title=f"Agreement {ident}", kind=kind, status=status, parties=["lund-university", partner],
                     mobility_terms=[{**base, **term}], **(dates or {}))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_registry(tmp_path_factory.mktemp("ewp-checks") / "template.db", [LUND, BERGEN, COPENHAGEN])


@pytest.fixture
def db(template, tmp_path):
    connection = store.connect(copy_registry(template, tmp_path / "registry.db"))
    yield connection
    connection.conn.close()


def test_dq30_finds_each_v7_gap_and_only_on_live_erasmus_agreements(db):
    store.write_records(db, [
        erasmus("three-digit-isced", subject_areas=[{"isced_code": "091"}]),
        erasmus("no-language", language_skills=[]),
        erasmus("teaching-no-language", category="staff_teaching", language_skills=[]),
        erasmus("no-places", places_per_year=None, first_academic_year=None),
        # near misses: the same gaps on an expired Erasmus agreement and on another kind
        erasmus("expired", status="expired", subject_areas=[{"isced_code": "091"}]),
        erasmus("bilateral", kind="student_exchange", language_skills=[]),
        # a traineeship needs no language skill
        erasmus("traineeship", category="student_traineeship", language_skills=[]),
    ], actor="test")
    importer.import_file(db, APPROVABLE_COPY)  # complete for v7 (and both institutions get their SCHAC codes)
    found = findings(db, "DQ30")
    assert set(found) == {"three-digit-isced", "no-language", "teaching-no-language", "no-places", "traineeship"}
    gaps = {key: sorted(g["gap"] for g in json.loads(row["evidence"])["gaps"]) for key, row in found.items()}
    assert gaps["three-digit-isced"] == ["ISCED-F code not four digits", "institution without SCHAC code"]
    assert gaps["no-language"] == ["institution without SCHAC code", "no recommended language skill for student_studies"]
    assert gaps["teaching-no-language"] == ["institution without SCHAC code", "no recommended language skill for staff_teaching"]
    assert gaps["no-places"] == ["academic years missing", "institution without SCHAC code", "no mobilities per year"]
    assert gaps["traineeship"] == ["institution without SCHAC code"]
    assert "is not ready for IIA v7: ISCED-F code not four digits" in found["three-digit-isced"]["message"]
    titles = dict(db.execute("SELECT id, title FROM agreements").fetchall())
    assert {key: row["subject_label"] for key, row in found.items()} == {key: titles[key] for key in found}


def test_dq31_silent_after_approval_and_an_identical_reimport(db):
    importer.import_file(db, OWN_COPY, approved=True)
    importer.import_file(db, OWN_COPY)
    assert findings(db, "DQ31") == {}


def test_dq31_finds_a_newer_copy_after_approval(db):
    importer.import_file(db, OWN_COPY, approved=True)
    importer.import_file(db, PARTNER_COPY)
    found = findings(db, "DQ31")
    assert list(found) == [IMPORTED]
    evidence = json.loads(found[IMPORTED]["evidence"])
    assert evidence["approved_hash"] != evidence["iia_hash"]
    assert evidence["changes_since"] > 0 and "mobility_terms" in evidence["tables"]
    assert "the stored copy has another iia-hash" in found[IMPORTED]["message"]


def test_dq31_finds_a_local_edit_after_approval(db):
    importer.import_file(db, APPROVABLE_COPY)
    importer.approve(db, IMPORTED)
    [term] = [store.record_from_row("mobility_terms", r) for r in db.query(
        "SELECT * FROM mobility_terms WHERE agreement = ? AND term_no = 1", [IMPORTED])]
    store.write_records(db, [term.model_copy(update={"places_per_year": 6})], actor="someone", source="hand edit")
    found = findings(db, "DQ31")
    assert list(found) == [IMPORTED]
    assert "1 change(s) to its terms" in found[IMPORTED]["message"]


def test_approve_refuses_a_copy_that_must_not_be_approved_and_dq30_flags_it(db):
    importer.import_file(db, OWN_COPY)  # condition 5 carries not-yet-defined and a v6-value
    with pytest.raises(ProblemsFound) as raised:
        importer.approve(db, IMPORTED)
    [problem] = raised.value.problems
    assert problem.code == "not-valid-for-approval"
    assert "<mobilities-per-year> is not-yet-defined in condition 5 (staff-teacher-mobility-spec)" in problem.message
    assert "<isced-f-code> 0912 has v6-value 091 in condition 5" in problem.message
    assert db.conn.execute("SELECT approved_hash FROM ewp_iias").fetchone()[0] is None
    gaps = json.loads(findings(db, "DQ30")[IMPORTED]["evidence"])["gaps"]
    assert {(g["term_no"], g["gap"], g["value"]) for g in gaps} == {
        (5, "not valid for approval: mobilities per year not-yet-defined", None),
        (5, "not valid for approval: ISCED-F code with a v6-value", "0912 (v6: 091)")}


def test_approve_records_the_stored_copy(db):
    importer.import_file(db, APPROVABLE_COPY)
    importer.approve(db, IMPORTED)
    [copy] = table(db, "ewp_iias", "agreement")
    assert copy["approved_hash"] == copy["iia_hash"] and copy["approved_at"].endswith("Z")
    assert copy["approved_watermark"] == db.conn.execute(
        "SELECT max(id) FROM changes WHERE table_name != 'ewp_iias'").fetchone()[0]


def test_export_takes_the_agreements_years_for_a_term_without_them(db):
    from registry.ewp import copies as exporter

    assert exporter.academic_year("2021-06-01") == "2020/2021" and exporter.academic_year("2021-08-01") == "2021/2022"
    dated = erasmus("dated", partner="university-of-bergen", dates={"starts_on": "2021-08-15", "ends_on": "2027-07-31"},
                    first_academic_year=None, last_academic_year=None)
    store.write_records(db, [dated, BERGEN.model_copy(update={"schac": "uib.no"})], actor="test")
    assert "dated" not in findings(db, "DQ30")
    copy = exporter.stored_copy(db, "dated", home_first=True)
    assert (copy.conditions[0].first_academic_year, copy.conditions[0].last_academic_year) == ("2021/2022", "2026/2027")
