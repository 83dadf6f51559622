"""The import flow on a registry with real institutions and a fictitious agreement: each row
matched, ambiguous, new or rejected; the dry-run diff; all or nothing; --keep-valid with
import_rejects; --create-missing; and every kind of bad value, each refused with its line."""

from __future__ import annotations

import io
import json
import sys

import pytest
from click.testing import CliRunner
from import_helpers import DATA, db, run, seeded, snapshot, write  # noqa: F401 (fixtures)

from registry import db as store
from registry.cli import cli
from registry.cli_import import progress_on_terminal
from registry.db import writes
from registry.importers.report import render

SWEDISH = DATA / "avtal-cp1252.csv"
HEADER = "id;Partner;Land;Avtalstyp;Status;Giltigt från;Giltigt till;Platser ut;Platser in;Lärarutbyte;Kommentar\n"


def sheet(tmp_path, *rows: str, header: str = HEADER):
    return write(tmp_path, header + "".join(row + "\n" for row in rows))


def reasons(report) -> dict[int, str]:
    return {o.line: o.reason for o in report.outcomes if o.reason}


def test_dry_run_prints_the_plan_as_a_diff_and_writes_nothing(db):
    before = snapshot(db)
    report = run(db, SWEDISH, dry_run=True)
    assert snapshot(db) == before
    assert report.counts() == {"matched": 3, "ambiguous": 1, "new": 1, "rejected": 0}
    by_line = {o.line: o for o in report.outcomes}
    assert by_line[2].key == "agreements/ucph-medicine-exchange"  # found by partner, type and start year
    assert by_line[2].score == 1.0
    assert by_line[6].status == "ambiguous" and len(by_line[6].candidates) == 2
    assert {c["institution_id"] for c in by_line[6].candidates} == {"university-college-london", "uclouvain"}
    assert by_line[7].status == "new" and "--create-missing" in by_line[7].reason
    text = "\n".join(render(report))
    assert "+ line 3  agreements/university-of-helsinki-erasmus_iia-2024" in text
    assert "~ line 2  agreements/ucph-medicine-exchange" in text
    assert "mobility_terms/ucph-medicine-exchange/1 places_per_year: 2 -> 3" in text
    assert "notes: None -> 'Fiktivt exempel; platser ändrade'" in text
    assert "? line 6: 'UCL' fits more than one institution" in text
    assert text.endswith("dry run: nothing written; 2 row(s) would stop the import unless --keep-valid")


def test_one_refused_row_stops_the_import(db):
    before = snapshot(db)
    report = run(db, SWEDISH)
    assert not report.written and report.plan is None
    assert snapshot(db) == before


def test_keep_valid_writes_the_rest_and_keeps_the_refused_rows(db):
    report = run(db, SWEDISH, keep_valid=True, create_missing=True, actor="coordinator")
    assert report.written
    rejects = [dict(r) for r in db.query("SELECT * FROM import_rejects")]
    assert len(rejects) == 1
    assert (rejects[0]["line"], rejects[0]["outcome"], rejects[0]["import_id"]) == (6, "ambiguous", report.import_id)
    assert json.loads(rejects[0]["raw_values"])["Partneruniversitet"] == "UCL"
    assert "fits more than one institution" in rejects[0]["reason"]
    bergen = db.conn.execute("SELECT name, country FROM institutions WHERE id = 'universitetet-i-bergen'").fetchone()
    assert bergen == ("Universitetet i Bergen", "NO")
    terms = db.conn.execute(
        "SELECT category, direction, places_per_year, eqf_levels FROM mobility_terms "
        "WHERE agreement = 'lmu-munich-double_degree-2023' ORDER BY term_no").fetchall()
    assert terms == [("student_studies", "outgoing", 1, "[7]"), ("student_studies", "incoming", 1, "[7]"),
                     ("staff_teaching", "outgoing", None, "[]")]
    lmu = db.conn.execute("SELECT status, starts_on, ends_on, notes FROM agreements WHERE id = 'lmu-munich-double_degree-2023'").fetchone()
    assert lmu == ("draft", "2023-08-15", "2028-08-14", "Fiktivt exempel,\nmed radbrytning")
    parties = db.conn.execute("SELECT institution, role FROM agreement_parties WHERE agreement = 'lmu-munich-double_degree-2023'").fetchall()
    assert sorted(parties) == [("lmu-munich", "partner"), ("lund-university", "home")]
    sources = {row[0] for row in db.conn.execute("SELECT DISTINCT actor || ' ' || source FROM changes WHERE actor = 'coordinator'")}
    assert sources == {f"coordinator import {SWEDISH}"}

    logged = snapshot(db)["changes"]
    again = run(db, SWEDISH, keep_valid=True, create_missing=True, dry_run=True)
    assert [o.key for o in again.outcomes if o.accepted] == [o.key for o in report.outcomes if o.accepted]
    assert again.plan.is_empty  # importing the same file again is a no-op
    assert snapshot(db)["changes"] == logged


def test_create_missing_needs_a_country(db, tmp_path):
    report = run(db, sheet(tmp_path, ";Universitetet i Tromsø;;utbyte;aktivt;2024-01-01;;;;;"), create_missing=True, dry_run=True)
    assert "'Universitetet i Tromsø' is new and the row gives no country" in reasons(report)[2]


def test_a_new_partner_from_the_reference_registry_carries_its_facts(db, tmp_path):
    from registry.reference import load_reference

    load_reference(db, DATA / "reference-ror.jsonl", progress=False)
    path = sheet(tmp_path, ";University of Bergen;NO;utbyte;aktivt;2024-01-01;;2;2;nej;")
    assert run(db, path, dry_run=True).outcomes[0].status == "new"
    before = snapshot(db)
    preview = run(db, path, dry_run=True, create_missing=True)
    assert [c.key for c in preview.plan.changes if c.table == "institutions"] == [("university-of-bergen",)]
    assert snapshot(db) == before  # the reference record became a record to write, not a write
    report = run(db, path, create_missing=True)
    assert report.written and report.outcomes[0].status == "new"
    row = db.conn.execute("SELECT id, name, ror, city, latitude FROM institutions WHERE ror = '03zga2b32'").fetchone()
    assert row == ("university-of-bergen", "University of Bergen", "03zga2b32", "Bergen", 60.39299)
    names = {n for (n,) in db.conn.execute("SELECT name FROM institution_names WHERE institution = 'university-of-bergen'")}
    assert {"Universitetet i Bergen", "UiB"} <= names
    partner = db.conn.execute("SELECT institution FROM agreement_parties WHERE role = 'partner' AND agreement LIKE 'university-of-bergen%'").fetchone()
    assert partner == ("university-of-bergen",)


@pytest.mark.parametrize(
    "row, reason",
    [
        (";University of Oslo;Norge;utbyte;aktivt;2025-02-30;;;;;", "Giltigt från: '2025-02-30' is not a real date (day is out of range for month)"),
        (";University of Oslo;Norge;utbyte;aktivt;2025-01-01;2024-12-31;;;;", "Giltigt till (2024-12-31) is before Giltigt från (2025-01-01)"),
        (";University of Oslo;Atlantis;utbyte;aktivt;2025-01-01;;;;;", "Land: unknown country 'Atlantis'"),
        (";University of Oslo;Norge;utbyte;aktivt;2025-01-01;;-2;1;;", "Platser ut: places cannot be negative (-2)"),
        (";University of Oslo;Norge;handslag;aktivt;2025-01-01;;;;;", "Avtalstyp: 'handslag' is not a known AgreementKind"),
        (";University of Oslo;Norge;utbyte;aktivt;2025-01-01;;;;kanske;", "Lärarutbyte: 'kanske' is not yes or no"),
        (";;Norge;utbyte;aktivt;2025-01-01;;;;;", "this row names no partner"),
        (";University of Oslo;Norge;utbyte;aktivt;2025-01-01;;;;;;extra", "12 cells but 11 headers"),
    ],
)
def test_bad_values_are_refused_with_line_and_reason(db, tmp_path, row, reason):
    before = snapshot(db)
    report = run(db, sheet(tmp_path, ";University of Copenhagen;DK;utbyte;aktivt;2024-01-01;;;;;", row))
    assert report.counts()["rejected"] == 1
    assert reason in reasons(report)[3], reasons(report)
    assert report.outcomes[1].where.endswith("sheet.csv:3")
    assert snapshot(db) == before  # one bad row: nothing written


def test_a_date_that_reads_two_ways_needs_dayfirst(db, tmp_path):
    path = sheet(tmp_path, ";University of Oslo;Norge;utbyte;aktivt;03/04/2025;;;;;")
    assert "reads two ways" in reasons(run(db, path, dry_run=True))[2]
    report = run(db, path, dayfirst=True)
    assert report.outcomes[0].records[0].starts_on.isoformat() == "2025-04-03"


def test_duplicate_ids_in_one_file(db, tmp_path):
    report = run(db, sheet(tmp_path, "x-1;University of Oslo;NO;utbyte;aktivt;2024-01-01;;;;;",
                           "x-1;University of Helsinki;FI;utbyte;aktivt;2024-01-01;;;;;"), keep_valid=True)
    assert reasons(report) == {3: "duplicate id 'x-1': the same record is already on " + str(report.outcomes[0].where)}
    assert db.conn.execute("SELECT count(*) FROM agreements WHERE id = 'x-1'").fetchone()[0] == 1


def test_rows_without_ids_get_stable_distinct_ids(db, tmp_path):
    row = ";University of Oslo;NO;utbyte;aktivt;2024-01-01;;;;;"
    report = run(db, sheet(tmp_path, row, row))
    assert [o.key for o in report.outcomes] == ["agreements/university-of-oslo-student_exchange-2024",
                                                "agreements/university-of-oslo-student_exchange-2024-2"]
    assert run(db, sheet(tmp_path, row, row), dry_run=True).plan.is_empty


def test_formula_strings_are_stored_as_text(db, tmp_path):
    report = run(db, sheet(tmp_path, 'f-1;University of Oslo;NO;utbyte;aktivt;2024-01-01;;;;;"=HYPERLINK(""http://example.org"")"',
                           "f-2;University of Oslo;NO;utbyte;aktivt;2024-01-01;;;;;'=1+1"))
    assert report.written
    notes = dict(db.conn.execute("SELECT id, notes FROM agreements WHERE id LIKE 'f-%'").fetchall())
    assert notes == {"f-1": '=HYPERLINK("http://example.org")', "f-2": "=1+1"}  # the apostrophe an export adds is taken off


def test_html_and_script_in_names_are_text_and_shown_escaped(db, tmp_path):
    from conftest import datasette_get

    name = '<script>alert("x")</script><b>Evil</b> University'
    path = write(tmp_path, f"name,country\n\"{name.replace(chr(34), chr(34) * 2)}\",SE\n")
    report = run(db, path, kind="institutions", create_missing=True)
    assert report.written
    ident = report.outcomes[0].key.split("/")[1]
    assert db.conn.execute("SELECT name FROM institutions WHERE id = ?", [ident]).fetchone()[0] == name
    db_path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    db.conn.close()
    response = datasette_get(db_path, f"/registry/institutions/{ident}")
    assert response.status_code == 200
    assert "&lt;script&gt;alert(" in response.text and "<script>alert(" not in response.text
    assert "<b>Evil</b>" not in response.text


def test_an_interrupted_import_leaves_the_registry_as_it_was(db, monkeypatch):
    before = snapshot(db)
    real_batches = writes._apply_batches

    def half_then_fail(database, plan):
        plan.changes = plan.changes[: len(plan.changes) // 2]
        real_batches(database, plan)
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(writes, "_apply_batches", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        run(db, SWEDISH, keep_valid=True, create_missing=True)
    monkeypatch.undo()
    assert snapshot(db) == before
    assert store.connect(db.conn.execute("PRAGMA database_list").fetchone()[2]).conn.execute(
        "SELECT count(*) FROM agreements").fetchone()[0] == before["agreements"]


def test_institutions_by_id_by_name_and_new(db, tmp_path):
    path = write(tmp_path, "id,name,land,ort,webbplats\n"
                 "university-of-oslo,University of Oslo,Norge,Oslo,https://www.uio.no\n"
                 ",Karolinska Inst.,Sverige,Solna,\n"
                 ",Aarhus Universitet,Danmark,Aarhus,https://international.au.dk\n")
    report = run(db, path, kind="institutions", create_missing=True)
    assert [o.status for o in report.outcomes] == ["matched", "matched", "new"]
    assert db.conn.execute("SELECT website FROM institutions WHERE id = 'university-of-oslo'").fetchone() == ("https://www.uio.no",)
    # matched by a typed name: the city changes, the name does not
    assert db.conn.execute("SELECT name, city FROM institutions WHERE id = 'karolinska-institutet'").fetchone() == (
        "Karolinska Institutet", "Solna")
    assert db.conn.execute("SELECT country, city FROM institutions WHERE id = 'aarhus-universitet'").fetchone() == ("DK", "Aarhus")


def test_any_table_by_its_fields(db, tmp_path):
    path = write(tmp_path, "name_en,name_sv,cycle,virtual_exchange\nPhysiotherapy Programme,Fysioterapeutprogrammet,grundnivå,ja\n")
    report = run(db, path, kind="programmes")
    assert report.outcomes[0].key == "programmes/physiotherapy-programme"
    row = db.conn.execute("SELECT name_sv, cycle, virtual_exchange FROM programmes WHERE id = 'physiotherapy-programme'").fetchone()
    assert row == ("Fysioterapeutprogrammet", "first", 1)


def test_the_cli_exit_status_and_json(seeded, tmp_path):
    db_file = tmp_path / "cli.db"
    db_file.write_bytes(seeded.read_bytes())
    runner = CliRunner()
    dry = runner.invoke(cli, ["import", str(SWEDISH), "--db", str(db_file), "--dry-run", "--json"])
    assert dry.exit_code == 1
    document = json.loads(dry.output)
    assert document["counts"] == {"matched": 3, "ambiguous": 1, "new": 1, "rejected": 0}
    assert document["rows"][0]["changes"][0]["fields"] == {"places_per_year": [2, 3]} or any(
        c["fields"] == {"places_per_year": [2, 3]} for c in document["rows"][0]["changes"])
    bad = runner.invoke(cli, ["import", str(SWEDISH), "--db", str(db_file), "--kind", "nonsense"])
    assert bad.exit_code == 2 and "unknown kind 'nonsense'" in bad.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = runner.invoke(cli, ["import", str(empty), "--db", str(db_file)])
    assert result.exit_code == 1 and "the file is empty" in result.output
    good = write(tmp_path, "Lärosäte,Land,Avtalstyp,Giltigt från\nUniversity of Oslo,Norge,utbyte,2024-01-01\n", name="ok.csv")
    done = runner.invoke(cli, ["import", str(good), "--db", str(db_file)])
    assert done.exit_code == 0, done.output
    assert "written: agreements 1 insert" in done.output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_for_large_imports_on_a_terminal(monkeypatch):
    items = list(range(10_001))
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress_on_terminal(items, len(items)) is items  # not a terminal: quiet
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert progress_on_terminal(items[:10_000], 10_000) == items[:10_000]  # small: quiet
    assert terminal.getvalue() == ""
    assert list(progress_on_terminal(items, len(items))) == items
    assert "importing rows" in terminal.getvalue()


def test_the_python_api_mirrors_the_cli(seeded, tmp_path):
    import registry

    db_file = tmp_path / "api.db"
    db_file.write_bytes(seeded.read_bytes())
    report = registry.import_file(SWEDISH, db_path=db_file, dry_run=True)
    assert report.counts() == {"matched": 3, "ambiguous": 1, "new": 1, "rejected": 0} and not report.written
    assert registry.export(tmp_path / "out.xlsx", db_path=db_file) == 1
    assert registry.import_file(tmp_path / "out.xlsx", db_path=db_file, dry_run=True).plan.is_empty


def test_a_partner_that_is_no_name_is_refused_never_created(db, tmp_path):
    report = run(db, sheet(tmp_path, ";University;SE;utbyte;aktivt;2024-01-01;;;;;"), create_missing=True, dry_run=True)
    assert report.outcomes[0].status == "ambiguous"
    assert "'University': too generic" in reasons(report)[2]
