"""Import identity: a row updates a stored agreement only when it is the same agreement (by id,
the office's agreement code, the EWP IIA id, or partner + type + programmes + start date); a
row that fits two is ambiguous and never applied; importing a file twice changes nothing."""

from __future__ import annotations

import textwrap

import pytest
from import_helpers import DATA, db, run, seeded, snapshot, write  # noqa: F401 (fixtures)

from registry.importers import seed
from registry.importers.report import render

# Two fictitious agreements with one partner, one type and one start date: only the programme
# tells them apart (the case that rewrote Helsinki biomedicine from a medicine row).
HELSINKI = textwrap.dedent("""\
    agreements:
      - id: helsinki-biomedicine
        title: Erasmus+ in biomedicine with Helsinki (fictitious example)
        kind: erasmus_iia
        status: active
        starts_on: 2024-09-01
        ends_on: 2029-08-31
        signed_on: 2024-05-02
        parties: [{institution: lund-university, role: home}, university-of-helsinki]
        programmes: [biomedicine]
        mobility_terms:
          - {category: student_studies, direction: outgoing, places_per_year: 2, eqf_levels: [6]}
      - id: helsinki-medicine
        title: Erasmus+ in medicine with Helsinki (fictitious example)
        kind: erasmus_iia
        status: active
        starts_on: 2024-09-01
        ends_on: 2029-08-31
        parties: [{institution: lund-university, role: home}, university-of-helsinki]
        programmes: [medicine]
        mobility_terms:
          - {category: student_studies, direction: outgoing, places_per_year: 4, eqf_levels: [7]}
    """)
HEADER = "Partner;Land;Avtalstyp;Utbildningsprogram;Giltigt från;Giltigt till;Platser ut\n"


def with_helsinki(db, tmp_path):
    seed.load(db, [write(tmp_path, HELSINKI, "helsinki.yml")], actor="test")
    return db


def agreement(db, ident):
    row = db.conn.execute("SELECT title, signed_on, agreement_code FROM agreements WHERE id = ?", [ident]).fetchone()
    programmes = {r[0] for r in db.conn.execute("SELECT programme FROM agreement_programmes WHERE agreement = ?", [ident])}
    places = db.conn.execute(
        "SELECT places_per_year FROM mobility_terms WHERE agreement = ? AND direction = 'outgoing'", [ident]).fetchone()
    return row, programmes, places[0] if places else None


def test_the_programme_tells_two_agreements_with_one_partner_apart(db, tmp_path):
    with_helsinki(db, tmp_path)
    biomedicine = agreement(db, "helsinki-biomedicine")
    path = write(tmp_path, HEADER + "Helsingin yliopisto;Suomi;Erasmus+;Läkarprogrammet;2024-09-01;2029-08-31;5\n")
    report = run(db, path)
    assert report.written and report.outcomes[0].key == "agreements/helsinki-medicine"
    assert report.outcomes[0].pairing == "partner + agreement type + programme(s) + start date"
    assert agreement(db, "helsinki-medicine")[2] == 5
    assert agreement(db, "helsinki-biomedicine") == biomedicine  # untouched


def test_a_row_that_fits_two_agreements_is_ambiguous_and_names_both(db, tmp_path):
    with_helsinki(db, tmp_path)
    before = snapshot(db)
    path = write(tmp_path, "Partner;Avtalstyp;Giltigt från;Platser ut\nHelsingin yliopisto;Erasmus+;2024-09-01;9\n")
    report = run(db, path, keep_valid=True)
    outcome = report.outcomes[0]
    assert outcome.status == "ambiguous"
    assert {c.table for c in report.plan.changes} == {"import_rejects"}
    assert "'helsinki-biomedicine'" in outcome.reason and "'helsinki-medicine'" in outcome.reason
    assert "Add an agreement code (or id) column" in outcome.reason
    assert {c["agreement_id"] for c in outcome.candidates} == {"helsinki-biomedicine", "helsinki-medicine"}
    after = snapshot(db)
    assert after["mobility_terms"] == before["mobility_terms"] and after["agreements"] == before["agreements"]
    assert agreement(db, "helsinki-medicine")[2] == 4 and agreement(db, "helsinki-biomedicine")[2] == 2


def test_a_new_programme_or_start_date_is_a_new_agreement(db, tmp_path):
    with_helsinki(db, tmp_path)
    path = write(tmp_path, HEADER + "Helsingin yliopisto;Suomi;Erasmus+;Sjuksköterskeprogrammet;2024-09-01;2029-08-31;1\n"
                 "Helsingin yliopisto;Suomi;Erasmus+;Läkarprogrammet;2030-09-01;2035-08-31;1\n")
    report = run(db, path)
    keys = [o.key for o in report.outcomes]
    assert keys == ["agreements/university-of-helsinki-erasmus_iia-2024", "agreements/university-of-helsinki-erasmus_iia-2030"]
    assert all(o.pairing.startswith("new: no stored agreement has this partner") for o in report.outcomes)
    assert agreement(db, "helsinki-medicine")[2] == 4  # neither row touched a stored agreement


def test_the_office_code_pairs_and_a_stored_agreement_without_one_gets_it(db, tmp_path):
    with_helsinki(db, tmp_path)
    header = "Agreement code;Partner;Agreement type;Programme;Start date;Places out\n"
    first = write(tmp_path, header + "LU-MED-2024-001;University of Helsinki;Erasmus+;Programme in Medicine;2024-09-01;4\n"
                  "LU-MED-2024-002;University of Helsinki;Erasmus+;Nursing Programme;2024-09-01;1\n")
    report = run(db, first)
    assert report.written, [o.reason for o in report.outcomes]
    medicine, new = report.outcomes
    assert medicine.key == "agreements/helsinki-medicine"
    assert "the stored agreement had no code; it gets 'LU-MED-2024-001'" in medicine.pairing
    assert new.key == "agreements/lu-med-2024-002" and new.pairing == "new: no stored agreement has the agreement code 'LU-MED-2024-002'"
    assert agreement(db, "helsinki-medicine")[0][2] == "LU-MED-2024-001"
    # From now on the code alone pairs, even when the row's other facts change.
    second = write(tmp_path, header + "lu-med-2024-001 ;University of Helsinki;Erasmus+;Programme in Medicine;2025-01-01;6\n",
                   name="second.csv")
    report = run(db, second)
    assert report.outcomes[0].key == "agreements/helsinki-medicine"
    assert report.outcomes[0].pairing == "agreement code 'lu-med-2024-001'"
    assert agreement(db, "helsinki-medicine")[2] == 6


def test_an_id_column_holding_office_codes_is_read_as_agreement_codes(db, tmp_path):
    path = write(tmp_path, "ID;Partner;Country;Type;Start;End\nLU-MED-2024-007;University of Oslo;Norway;Exchange;2024-08-01;2029-07-31\n")
    report = run(db, path)
    assert report.written, report.outcomes[0].reason
    assert db.conn.execute("SELECT agreement_code FROM agreements WHERE id = 'lu-med-2024-007'").fetchone() == ("LU-MED-2024-007",)


def test_importing_the_same_file_twice_changes_nothing_and_refuses_nothing(db, tmp_path):
    with_helsinki(db, tmp_path)
    path = write(tmp_path, HEADER + "Helsingin yliopisto;Suomi;Erasmus+;Läkarprogrammet;2024-09-01;2029-08-31;5\n"
                 "Helsingin yliopisto;Suomi;Erasmus+;;2026-01-01;2030-12-31;1\n"
                 "Helsingin yliopisto;Suomi;Erasmus+;;2026-01-01;2030-12-31;1\n"
                 "University of Oslo;Norge;Utbytesavtal;Läkarprogrammet;2025-01-01;;2\n")
    first = run(db, path)
    assert first.written and not first.refused
    before = snapshot(db)
    second = run(db, path)
    assert not second.refused and second.plan.is_empty
    assert snapshot(db) == before
    assert [o.key for o in second.outcomes] == [o.key for o in first.outcomes]


def test_the_dry_run_says_which_key_paired_each_row(db, tmp_path):
    with_helsinki(db, tmp_path)
    path = write(tmp_path, "id;Partner;Avtalstyp;Utbildningsprogram;Giltigt från;Platser ut\n"
                 "helsinki-biomedicine;;;;;3\n"
                 ";Helsingin yliopisto;Erasmus+;Läkarprogrammet;2024-09-01;5\n"
                 ";University of Oslo;Utbytesavtal;;2025-01-01;1\n")
    text = "\n".join(render(run(db, path, dry_run=True)))
    assert "~ line 2  agreements/helsinki-biomedicine  paired by id 'helsinki-biomedicine'" in text
    assert "~ line 3  agreements/helsinki-medicine  paired by partner + agreement type + programme(s) + start date" in text
    assert ("+ line 4  agreements/university-of-oslo-student_exchange-2025  (new: no stored agreement has this partner + "
            "agreement type + programme(s) + start date)") in text


def test_the_json_report_carries_the_pairing_and_the_header_mapping(db, tmp_path):
    with_helsinki(db, tmp_path)
    path = write(tmp_path, HEADER + "Helsingin yliopisto;Suomi;Erasmus+;Läkarprogrammet;2024-09-01;2029-08-31;5\n")
    document = run(db, path, dry_run=True).as_dict()
    assert document["rows"][0]["pairing"] == "partner + agreement type + programme(s) + start date"
    assert "'Utbildningsprogram' -> programmes" in document["details"]["columns"]


def test_replace_is_refused_for_a_format_that_writes_itself(db):
    ewp = DATA.parent / "ewp" / "partner-copy.xml"
    with pytest.raises(LookupError, match="--replace is for sheets and seed YAML"):
        run(db, ewp, replace=True, dry_run=True)


def test_a_code_given_twice_or_held_by_another_agreement_refuses_the_row_not_the_file(db, tmp_path):
    with_helsinki(db, tmp_path)
    run(db, write(tmp_path, "id;Agreement code\nhelsinki-medicine;LU-MED-1\n", name="code.csv"))
    path = write(tmp_path, "id;Agreement code;Partner;Type;Start\n"
                           "helsinki-biomedicine;lu-med-1;;;\n"
                           ";LU-MED-9;University of Oslo;Exchange;2024-01-01\n"
                           ";LU-MED-9;University of Oslo;Exchange;2025-01-01\n")
    report = run(db, path, keep_valid=True)
    reasons = {o.line: o.reason for o in report.outcomes}
    assert reasons[2] == "Agreement code: 'lu-med-1' already belongs to agreements/helsinki-medicine; one code names one agreement"
    assert reasons[3] is None and reasons[4].startswith("Agreement code: 'LU-MED-9' is given on ")
    assert report.written
