"""YAML seeds: every problem reported at once with file, line, record, field, value and rule;
nothing written unless all is clean."""

from __future__ import annotations

import textwrap

import pytest
from conftest import new_registry

from registry import db as store
from registry.importers import seed
from registry.problems import ProblemsFound

GOOD = """
institutions:
  - id: lund-university
    name: Lund University
    country: Sverige
    is_home: true
  - id: uio
    name: University of Oslo
    country: NO
programmes:
  - {id: medicine, name_en: Medicine, name_sv: Läkarprogrammet, cycle: second}
agreements:
  - id: ex-uio
    title: Exchange with Oslo
    kind: student_exchange
    status: active
    starts_on: 2024-01-01
    ends_on: 2028-12-31
    parties: [lund-university, uio]
    programmes: [medicine]
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_problems(db, *paths):
    with pytest.raises(ProblemsFound) as raised:
        seed.load(db, paths)
    return raised.value.problems


def tables_are_empty(db):
    return all(db.conn.execute(f'select count(*) from "{t}"').fetchone()[0] == 0 for t in store.specs() if t != "labels")


def test_a_good_file_loads_and_a_second_load_changes_nothing(registry_db, tmp_path):
    path = write(tmp_path, "good.yml", GOOD)
    first = seed.load(registry_db, [path])
    assert first.counts()["agreements"] == {"insert": 1}
    assert registry_db.conn.execute("select country from institutions where id = 'uio'").fetchone() == ("NO",)
    logged = registry_db.conn.execute("select count(*) from changes").fetchone()[0]
    assert seed.load(registry_db, [tmp_path]).is_empty
    assert registry_db.conn.execute("select count(*) from changes").fetchone()[0] == logged


def test_each_bad_value_gets_one_message_naming_file_line_record_field_value_and_rule(registry_db, tmp_path):
    path = write(tmp_path, "bad.yml", GOOD.replace("country: Sverige", "country: Narnia")
                 .replace("status: active", "status: activ")
                 .replace("ends_on: 2028-12-31", "ends_on: 2023-12-31"))
    problems = load_problems(registry_db, path)
    rendered = [str(p) for p in problems]
    assert len(problems) == 3

    def one(start):
        return next(text for text in rendered if text.startswith(start))

    country = one(f"{path}:3: institutions/lund-university: country: unknown country 'Narnia'")
    assert country.endswith("(value 'Narnia') [invalid-value]")
    assert one(f"{path}:13: agreements/ex-uio: ends_on (2023-12-31) is before starts_on (2024-01-01)")
    assert one(f"{path}:13: agreements/ex-uio: status: Input should be 'draft'").endswith("(value 'activ') [invalid-value]")
    assert tables_are_empty(registry_db)


def test_errors_in_nested_children_point_at_the_child_line(registry_db, tmp_path):
    text = GOOD + textwrap.indent(textwrap.dedent("""\
        mobility_terms:
          - category: student_studies
            direction: outgoing
            places_per_year: -2
        """), "    ")
    path = write(tmp_path, "nested.yml", text)
    (problem,) = load_problems(registry_db, path)
    assert (problem.where, problem.field, problem.value) == (f"{path}:22", "mobility_terms.0.places_per_year", -2)


def test_unknown_referenced_ids_are_named(registry_db, tmp_path):
    path = write(tmp_path, "refs.yml", GOOD.replace("parties: [lund-university, uio]", "parties: [lund-university, uio, nowhere]"))
    (problem,) = load_problems(registry_db, path)
    assert problem.code == "unknown-reference"
    assert (problem.where, problem.field, problem.value) == (f"{path}:13", "institution", "nowhere")
    assert tables_are_empty(registry_db)


def test_duplicate_ids_across_files_are_refused(registry_db, tmp_path):
    first = write(tmp_path, "a.yml", GOOD)
    second = write(tmp_path, "b.yml", "institutions:\n  - {id: uio, name: Oslo again, country: Norway}\n")
    (problem,) = load_problems(registry_db, first, second)
    assert problem.code == "duplicate-id"
    assert problem.where == f"{second}:2" and f"{first}:7" in problem.message
    assert tables_are_empty(registry_db)


def test_malformed_yaml_names_the_line(registry_db, tmp_path):
    path = write(tmp_path, "broken.yml", "institutions:\n  - id: x\n    name: [unclosed\n  - id: y\n")
    (problem,) = load_problems(registry_db, path)
    assert problem.code == "yaml-syntax" and problem.where == f"{path}:4"


@pytest.mark.parametrize(("value", "reason"), [
    ("9" * 5000, "4300 digits"),  # Python refuses to read an int of over 4,300 digits
    ("[" * 900 + "]" * 900, "nested too deeply"),  # within libyaml's limit, past Python's recursion limit
])
def test_a_value_python_cannot_hold_names_the_line_and_writes_nothing(registry_db, tmp_path, value, reason):
    path = write(tmp_path, "hostile.yml", f"institutions:\n  - {{id: x, name: X, country: SE}}\n\n  - id: y\n    name: {value}\n")
    (problem,) = load_problems(registry_db, path)
    assert (problem.code, problem.where) == ("yaml-syntax", f"{path}:4") and reason in problem.message
    assert tables_are_empty(registry_db)


def test_unknown_tables_are_named_with_the_known_ones(registry_db, tmp_path):
    path = write(tmp_path, "tables.yml", "instituions:\n  - {id: x, name: X, country: SE}\n")
    (problem,) = load_problems(registry_db, path)
    assert problem.code == "unknown-table" and "institutions" in problem.message


def test_a_bad_file_among_good_ones_writes_nothing_at_all(registry_db, tmp_path):
    write(tmp_path, "a.yml", GOOD)
    write(tmp_path, "b.yml", "programmes:\n  - {id: nursing, name_en: Nursing, name_sv: Sjuksköterskeprogrammet, cycle: fourth}\n")
    load_problems(registry_db, tmp_path)
    assert tables_are_empty(registry_db)


def test_yaml_11_surprises_are_avoided(registry_db, tmp_path):
    path = write(tmp_path, "norway.yml", "institutions:\n  - {id: ntnu, name: NTNU, country: NO, is_home: false}\n")
    seed.load(registry_db, [path])
    assert registry_db.conn.execute("select country, is_home from institutions").fetchone() == ("NO", 0)


def test_a_file_that_is_not_utf8_is_named(registry_db, tmp_path):
    path = tmp_path / "latin1.yml"
    path.write_bytes("institutions:\n  - {id: x, name: Malm\xf6, country: SE}\n".encode("latin-1"))
    (problem,) = load_problems(registry_db, path)
    assert problem.code == "encoding" and problem.where == str(path)


def test_a_name_given_twice_is_a_problem_not_a_crash(registry_db, tmp_path):
    path = write(tmp_path, "twice.yml", "institutions:\n  - id: uio\n    name: University of Oslo\n    country: NO\n"
                 "    names: [Alias, 'Alias ']\n")
    (problem,) = load_problems(registry_db, path)
    assert problem.code == "invalid-value" and "names: 'Alias' is given twice" in problem.message
    assert tables_are_empty(registry_db)


def test_a_second_file_that_leaves_fields_out_keeps_them_and_replace_resets_them(tmp_path):
    from click.testing import CliRunner

    from registry.cli import cli

    db_file = tmp_path / "r.db"
    first = write(tmp_path, "good.yml", GOOD.replace("    programmes: [medicine]\n", "    programmes: [medicine]\n"
                                                     "    signed_on: 2023-11-02\n    notice_months: 6\n    renewal: automatic\n"
                                                     "    document_url: https://example.org/ex-uio.pdf\n"))
    runner = CliRunner()
    assert runner.invoke(cli, ["load", str(first), "--db", str(db_file)]).exit_code == 0
    partial = write(tmp_path, "partial.yml", """
        agreements:
          - {id: ex-uio, title: Exchange with Oslo, kind: student_exchange, status: suspended, parties: [uio]}
        """)
    merged = runner.invoke(cli, ["load", str(partial), "--db", str(db_file), "--dry-run"])
    assert "status: 'active' -> 'suspended'" in merged.output and "- agreement_parties" not in merged.output
    assert "signed_on" not in merged.output and "notice_months" not in merged.output
    replaced = runner.invoke(cli, ["load", str(partial), "--db", str(db_file), "--dry-run", "--replace"])
    assert "- agreement_parties/ex-uio/lund-university" in replaced.output
    assert "signed_on: '2023-11-02' -> None" in replaced.output and "notice_months: 6 -> None" in replaced.output
    assert "renewal: 'automatic' -> 'none'" in replaced.output and "document_url:" in replaced.output
    assert runner.invoke(cli, ["load", str(partial), "--db", str(db_file)]).exit_code == 0
    db = store.connect(db_file)
    assert db.conn.execute("SELECT status, signed_on, notice_months, renewal, document_url FROM agreements").fetchone() == (
        "suspended", "2023-11-02", 6, "automatic", "https://example.org/ex-uio.pdf")
    assert db.conn.execute("SELECT count(*) FROM agreement_parties WHERE agreement = 'ex-uio'").fetchone() == (2,)


def test_an_agreement_code_is_unique_searchable_and_exported(tmp_path):
    import sqlite3

    from registry.exporters import export_file

    db = store.connect(new_registry(tmp_path / "r.db"))
    seed.load(db, [write(tmp_path, "good.yml", GOOD.replace("    status: active\n", "    status: active\n"
                                                            "    agreement_code: LU-MED-2024-001\n"))])
    found = db.conn.execute("SELECT a.id FROM agreements_fts f JOIN agreements a ON a.rowid = f.rowid "
                            "WHERE agreements_fts MATCH ?", ['"LU-MED-2024-001"']).fetchall()
    assert found == [("ex-uio",)]
    with pytest.raises(sqlite3.IntegrityError):  # the store itself refuses a second holder of a code
        db.conn.execute("INSERT INTO agreements (id, title, kind, status, agreement_code) "
                        "VALUES ('other', 'Other', 'research', 'draft', 'LU-MED-2024-001')")
    clash = write(tmp_path, "clash.yml", """
        agreements:
          - {id: other, title: Other, kind: research, status: draft, agreement_code: LU-MED-2024-001}
        """)
    with pytest.raises(ProblemsFound) as raised:
        seed.load(db, [clash])
    assert "agreement_code 'LU-MED-2024-001' already belongs to agreements/ex-uio" in str(raised.value.problems[0])
    out = tmp_path / "agreements.csv"
    export_file(db, out, format_name="csv")
    header, row = out.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert "agreement code" in header.split(",") and "LU-MED-2024-001" in row
