"""Export, then import the export: nothing changes, for CSV, XLSX and seed YAML; formula
cells are neutralised on the way out and restored on the way in; richer stored terms that
a spreadsheet cannot show survive the trip."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner
from import_helpers import DATA, build_seeded, copy_of, run, write
from openpyxl import load_workbook

from registry import db as store
from registry.cli import cli
from registry.importers import seed

RICH = """
agreements:
  - id: oslo-rich-terms
    title: "=cmd|' /C calc'!A0 <script>alert(1)</script> (fictitious example)"
    kind: erasmus_iia
    status: active
    starts_on: 2024-09-01
    ends_on: 2029-08-31
    notes: "+46 46 222 00 00; @mention; -minus; tab"
    parties: [{institution: lund-university, role: home}, university-of-oslo]
    programmes: [medicine, nursing]
    mobility_terms:
      - {category: student_studies, direction: outgoing, places_per_year: 2, months_per_place: 5, eqf_levels: [7],
         subject_areas: [{isced_code: "0912"}]}
      - {category: student_studies, direction: outgoing, places_per_year: 1, months_per_place: 10, eqf_levels: [6],
         subject_areas: [{isced_code: "0913"}]}
      - {category: staff_teaching, direction: incoming, days_per_place: 5}
"""


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """The example registry after the Swedish spreadsheet and an agreement with terms no
    spreadsheet column shows, and text that looks like formulas and markup."""
    folder = tmp_path_factory.mktemp("filled")
    path = build_seeded(folder / "registry.db")
    db = store.connect(path)
    rich = write(folder, RICH, name="rich.yml")
    seed.load(db, [rich])
    report = run(db, DATA / "avtal-cp1252.csv", keep_valid=True, create_missing=True)
    assert report.written
    db.conn.close()
    return path


@pytest.fixture
def db(filled, tmp_path):
    db = copy_of(filled, tmp_path)
    yield db
    db.conn.close()


def export(db, tmp_path, name, *arguments):
    output = tmp_path / name
    db_path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(cli, ["export", "--db", db_path, "-o", str(output), *arguments])
    assert result.exit_code == 0, result.output
    return output


@pytest.mark.parametrize(
    "name, arguments, kind",
    [
        ("agreements.csv", [], None),
        ("agreements-semicolons.csv", ["--delimiter", ";"], None),
        ("institutions.csv", ["--kind", "institutions"], "institutions"),
        ("programmes.csv", ["--kind", "programmes"], "programmes"),
        ("agreements.xlsx", [], None),
        ("registry.yaml", [], None),
    ],
)
def test_importing_an_export_changes_nothing(db, tmp_path, name, arguments, kind):
    path = export(db, tmp_path, name, *arguments)
    report = run(db, path, kind=kind, dry_run=True)
    assert not report.refused, [o.reason for o in report.refused]
    assert report.plan.is_empty, [(c.table, c.key, c.changed_fields()) for c in report.plan.changes]
    assert len(report.outcomes) >= 3


def test_a_workbook_with_both_kinds_reads_each_sheet_as_its_kind(db, tmp_path):
    path = export(db, tmp_path, "both.xlsx", "--kind", "institutions", "--kind", "agreements")
    assert load_workbook(path, read_only=True).sheetnames == ["institutions", "agreements"]
    for sheet in ("institutions", "agreements"):
        report = run(db, path, sheet=sheet, dry_run=True)
        assert report.kind == sheet and report.plan.is_empty and not report.refused


def test_the_yaml_export_is_a_seed_file_that_load_takes(db, tmp_path):
    path = export(db, tmp_path, "registry.yml")
    assert store.write_records(db, [s.record for s in seed.read_seed([path])], dry_run=True).is_empty


def test_formula_cells_are_neutralised_in_csv_and_xlsx(db, tmp_path):
    with export(db, tmp_path, "agreements.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = {row["id"]: row for row in csv.DictReader(stream)}
    rich = rows["oslo-rich-terms"]
    assert rich["title"].startswith("'=cmd|")
    assert rich["notes"] == "'+46 46 222 00 00; @mention; -minus; tab"
    sheet = load_workbook(export(db, tmp_path, "agreements.xlsx")).active
    headers = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "oslo-rich-terms")
    title = row[headers.index("title")]
    assert title.data_type == "s" and title.value.startswith("'=cmd|")
    starts = row[headers.index("valid from")]
    assert starts.is_date  # dates are real date cells


def test_terms_a_spreadsheet_cannot_show_survive_an_edit(db, tmp_path):
    """The sheet shows 3 places out (2 + 1 over two terms); a user edits the notes only."""
    path = export(db, tmp_path, "agreements.csv")
    text = path.read_text(encoding="utf-8-sig").replace("-minus; tab", "-minus; edited")
    path.write_text(text, encoding="utf-8-sig")
    report = run(db, path)
    assert report.written
    changed = [(c.table, c.operation, c.changed_fields()) for c in report.plan.changes]
    assert changed == [("agreements", "update", [("notes", "+46 46 222 00 00; @mention; -minus; tab",
                                                   "+46 46 222 00 00; @mention; -minus; edited")])]
    assert db.conn.execute("SELECT count(*) FROM mobility_terms WHERE agreement = 'oslo-rich-terms'").fetchone()[0] == 3


def test_changing_places_split_over_two_terms_is_refused(db, tmp_path):
    path = export(db, tmp_path, "agreements.csv")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        if row["id"] == "oslo-rich-terms":
            assert row["places out"] == "3" and row["level"] == "first; second" and row["teacher mobility"] == "yes"
            row["places out"] = "4"
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = run(db, path, dry_run=True)
    assert [o.reason for o in report.refused] == [
        "the agreement has 2 outgoing student terms; change their places in YAML or EWP, not in a spreadsheet"]


def test_export_to_standard_output_and_usage_errors(db):
    db_path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "--db", db_path, "--kind", "institutions"])
    assert result.exit_code == 0 and result.output.splitlines()[0].lstrip("\ufeff").startswith("id,name,")
    assert runner.invoke(cli, ["export", "--db", db_path, "--format", "xlsx"]).exit_code == 2
    assert runner.invoke(cli, ["export", "--db", db_path, "--format", "pdf"]).exit_code == 2
    assert runner.invoke(cli, ["export", "--db", db_path, "--kind", "nonsense"]).exit_code == 2


@pytest.fixture(scope="module")
def example_registry(tmp_path_factory):
    """The shipped example data (reference data and fictitious example agreements)."""
    from registry.examples import DATA_DIR, SEED_DIRS, fresh_registry

    folders = [DATA_DIR / name for name in SEED_DIRS if (DATA_DIR / name).is_dir()]
    if not folders:
        pytest.skip("no example data in data/")
    path = tmp_path_factory.mktemp("examples") / "registry.db"
    seed.load(fresh_registry(path), folders)
    return path


@pytest.mark.parametrize("kind", ["agreements", "institutions", "programmes", "networks", "memberships", "mobility_flows"])
def test_the_example_registry_round_trips_through_csv(example_registry, tmp_path, kind):
    db = store.connect(example_registry)
    try:
        path = export(db, tmp_path, f"{kind}.csv", "--kind", kind)
        report = run(db, path, kind=kind, dry_run=True)
        assert not report.refused and report.plan.is_empty, [(c.table, c.key, c.changed_fields()) for c in report.plan.changes][:3]
    finally:
        db.conn.close()


def test_the_yaml_export_leaves_the_reference_out_unless_asked(db, tmp_path):
    import yaml

    from registry.models import ReferenceInstitution

    store.write_records(db, [ReferenceInstitution(id="ror:00x0x0x00", source="ror",
                                                  name="Invented University of the Test (fictitious)", country="SE")])
    everything = yaml.safe_load(export(db, tmp_path, "registry.yml").read_text(encoding="utf-8"))
    assert "agreements" in everything and "institutions" in everything
    assert "reference_institutions" not in everything
    asked = yaml.safe_load(export(db, tmp_path, "reference.yml", "--kind", "reference_institutions").read_text(encoding="utf-8"))
    assert [r["name"] for r in asked["reference_institutions"]
            if r["id"] == "ror:00x0x0x00"] == ["Invented University of the Test (fictitious)"]


def test_an_export_that_fails_half_way_leaves_the_earlier_file(db, tmp_path, monkeypatch):
    from registry.exporters import table

    earlier = export(db, tmp_path, "agreements.csv")
    before = earlier.read_bytes()
    real = table.table_cells

    def failing_after_two_rows(db, kind_name):
        headers, rows = real(db, kind_name)

        def some_rows():
            for number, row in enumerate(rows):
                if number == 2:
                    raise OSError("No space left on device")
                yield row
        return headers, some_rows()

    monkeypatch.setattr(table, "table_cells", failing_after_two_rows)
    db_path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(cli, ["export", "--db", db_path, "-o", str(earlier)])
    assert result.exit_code == 1 and result.output.strip().splitlines() == ["Error: No space left on device"]
    assert earlier.read_bytes() == before and len(before.splitlines()) > 3
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []
