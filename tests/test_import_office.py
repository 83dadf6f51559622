"""The office's sheets as they are: a title line above the header, blank rows, a totals row,
headers like 'Programme(s)', 'Start' and 'End', the office's own agreement codes, and the words
offices write for kinds, levels and mobility programmes. A Swedish semicolon CSV (committed) and
an English XLSX (built here with openpyxl); both import, and importing either again is a no-op."""

from __future__ import annotations

from datetime import date

from import_helpers import DATA, db, run, seeded, snapshot, write  # noqa: F401 (fixtures)
from openpyxl import Workbook

from registry.importers.report import render

SWEDISH = DATA / "office-sv.csv"


def english_workbook(path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Export"
    sheet.append(["Faculty of Medicine - agreements export 2026-11-30 (fictitious examples)"])
    sheet.append([])
    sheet.append(["Agreement code", "Partner institution", "Country", "Type of agreement", "Programme(s)", "Level",
                  "Places out", "Places in", "Start", "End", "Status", "Comments"])
    sheet.append(["LU-MED-2024-001", "University of Helsinki", "Finland", "Erasmus+", "Programme in Medicine",
                  "first and second cycle", 2, 2, date(2024, 9, 1), date(2029, 8, 31), "Active", "Fictitious example"])
    sheet.append(["LU-MED-2024-002", "LMU München", "Germany", "Memorandum of Understanding (MoU)", None, "PhD",
                  None, None, date(2024, 1, 15), date(2029, 1, 14), "Active", "Fictitious example"])
    sheet.append([])
    sheet.append(["LU-MED-2023-007", "University of Oslo", "Norway", "Cooperation agreement", "Nordplus",
                  "third cycle", 1, 1, date(2023, 8, 1), date(2028, 7, 31), "Active", "Fictitious example"])
    sheet.append(["LU-MED-2022-011", "University College London", "United Kingdom", "Bilateral", "Nursing Programme",
                  "First cycle", 3, 3, 44743, 46568, "Active", "Fictitious example: Excel serial dates"])
    sheet.append(["Total", None, None, None, None, None, 6, 6])
    sheet.append([])
    sheet.append(["Source: the faculty's agreement list, exported 2026-11-30"])
    workbook.save(path)
    return path


def test_an_english_xlsx_export_with_a_title_blank_rows_and_totals(db, tmp_path):
    path = english_workbook(tmp_path / "agreements-export.xlsx")
    report = run(db, path, dry_run=True)
    assert [o.reason for o in report.outcomes if o.reason] == []
    assert len(report.outcomes) == 4
    text = "\n".join(render(report))
    assert "note: the header is on line 3; above it, skipped: line 1: 'Faculty of Medicine - agreements export" in text
    assert "note: skipped 1 totals row: line 9 ('Total')" in text
    assert "note: skipped 1 blank row (line 6)" in text
    assert "note: skipped a note below the table: line 11 (\"Source: the faculty's agreement list" in text
    assert "'Programme(s)' -> programmes (read without brackets or plural)" in text
    assert "'Start' -> starts_on (the only column that can be it)" in text and "'End' -> ends_on" in text
    assert "'Agreement code' -> agreement_code" in text
    assert "paired by" not in text  # every agreement is new in this registry
    assert "(new: no stored agreement has the agreement code 'LU-MED-2024-001')" in text
    by_code = {r.agreement_code: r for o in report.outcomes for r in o.records if r.table == "agreements"}
    assert by_code["LU-MED-2024-002"].kind == "framework_mou"
    assert by_code["LU-MED-2023-007"].kind == "framework_mou"  # the kind column wins over the programme's scheme
    assert by_code["LU-MED-2022-011"].kind == "student_exchange"
    assert by_code["LU-MED-2022-011"].starts_on == date(2022, 7, 1)  # Excel serial 44743
    assert {t.places_per_year for t in by_code["LU-MED-2024-001"].mobility_terms} == {2}
    assert by_code["LU-MED-2024-001"].mobility_terms[0].eqf_levels == [6, 7]
    assert by_code["LU-MED-2024-002"].mobility_terms[0].eqf_levels == [8]


def test_importing_the_office_xlsx_twice_is_a_no_op(db, tmp_path):
    path = english_workbook(tmp_path / "agreements-export.xlsx")
    first = run(db, path)
    assert first.written and not first.refused
    before = snapshot(db)
    second = run(db, path)
    assert not second.refused and second.plan.is_empty and snapshot(db) == before
    assert all(o.pairing.startswith("agreement code") for o in second.outcomes)


def test_a_swedish_semicolon_csv_with_the_offices_words(db):
    report = run(db, SWEDISH, create_missing=True)
    assert [o.reason for o in report.outcomes if o.reason] == []
    assert report.written and len(report.outcomes) == 5
    rows = {row[0]: row[1:] for row in db.conn.execute(
        "SELECT agreement_code, kind, status, title FROM agreements WHERE agreement_code LIKE 'LU-MED-%'")}
    assert rows["LU-MED-2022-014"][0] == "student_exchange"  # Utbytesavtal (bilateralt)
    assert rows["LU-MED-2023-021"][0] == "framework_mou"  # Samförståndsavtal (MoU)
    assert rows["LU-MED-2025-002"][0] == "framework_mou"  # samarbetsavtal
    assert rows["LU-MED-2024-003"][0] == "student_exchange" and rows["LU-MED-2024-003"][2].startswith("Nordplus")
    assert rows["LU-MED-2025-009"][1] == "negotiating" and rows["LU-MED-2025-009"][2].startswith("Linnaeus-Palme")
    levels = dict(db.conn.execute(
        "SELECT a.agreement_code, t.eqf_levels FROM mobility_terms t JOIN agreements a ON a.id = t.agreement "
        "WHERE a.agreement_code IN ('LU-MED-2023-021', 'LU-MED-2025-002', 'LU-MED-2025-009') AND t.direction = 'outgoing'"))
    assert levels == {"LU-MED-2023-021": "[8]", "LU-MED-2025-002": "[6,7]", "LU-MED-2025-009": "[8]"}
    # the stored Copenhagen agreement had no code: paired by partner + type + programme + start date, and it gets one
    copenhagen = next(o for o in report.outcomes if o.key == "agreements/ucph-medicine-exchange")
    assert copenhagen.pairing.startswith("partner + agreement type + programme(s) + start date")
    before = snapshot(db)
    again = run(db, SWEDISH, create_missing=True)
    assert not again.refused and again.plan.is_empty and snapshot(db) == before


def test_a_rows_problems_are_said_once_in_words_naming_the_files_column(db, tmp_path):
    path = write(tmp_path, "Id;Agreement code;Partner;Type;Start;Notice (months)\n"
                           "Bad Id!;X-1;University of Oslo;Exchange;2024-01-01;400\n")
    reason = run(db, path).outcomes[0].reason
    assert reason.count("is not a registry id") == 1, reason
    assert "Id: 'Bad Id!' is not a registry id" in reason
    assert "Notice (months): 400 is above 120, the most allowed" in reason
    assert "String should" not in reason and "parties" not in reason and "Value error" not in reason


def test_an_unknown_word_is_refused_with_the_closest_known_one(db, tmp_path):
    path = write(tmp_path, "Partner;Avtalstyp;Nivå;Giltigt från\nUniversity of Oslo;Utbytesavtall;forskarniva x;2024-01-01\n")
    reason = run(db, path).outcomes[0].reason
    assert "Avtalstyp: 'Utbytesavtall' is not a known AgreementKind" in reason
    assert "closest known: 'utbytesavtal' (student_exchange)" in reason
    assert "Nivå: 'forskarniva x' is not a level" in reason and "closest known: 'forskarniva' (third)" in reason


def test_a_cover_sheet_before_the_agreements_is_passed_over_and_said(db, tmp_path):
    path = english_workbook(tmp_path / "with-cover.xlsx")
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    cover = workbook.create_sheet("Read me", 0)
    cover.append(["How to use this workbook: one row per agreement (fictitious examples)"])
    cover.append(["Contact the international office with questions"])
    workbook.save(path)
    report = run(db, path, dry_run=True)
    assert [o.reason for o in report.outcomes if o.reason] == [] and len(report.outcomes) == 4
    assert "read sheet 'Export': the first sheet, 'Read me', names no known columns" in "\n".join(render(report))
