"""Reading spreadsheets as offices save them, and refusing what is not a table: encodings,
delimiters, quoted newlines, XLSX; empty, header-only, binary, invalid UTF-8, huge cells,
unknown headers."""

from __future__ import annotations

import pytest
from import_helpers import DATA, db, run, seeded, snapshot, write  # noqa: F401 (fixtures)
from openpyxl import Workbook

from registry.importers.table import read_table
from registry.problems import ProblemsFound

HEADER = "Partner;Land;Avtalstyp;Giltigt från\n"


def problem_of(call) -> str:
    with pytest.raises(ProblemsFound) as raised:
        call()
    return "\n".join(str(p) for p in raised.value.problems)


def test_cp1252_with_semicolons_and_a_quoted_newline():
    table = read_table(DATA / "avtal-cp1252.csv")
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert table.headers[0] == "Partneruniversitet" and table.headers[7] == "Lärarutbyte"
    assert list(table.rows)[0].cells[0] == "Københavns Universitet"
    lmu = list(table.rows)[2]
    assert lmu.cells[-1] == "Fiktivt exempel,\r\nmed radbrytning"
    assert [row.line for row in table.rows] == [2, 3, 4, 6, 7]  # the quoted newline takes a line
    assert [row.line for row in table.rows[:2]] == [2, 3]
    with pytest.raises(TypeError, match="only rows"):  # one row by position would read the file again each time
        table.rows[1]


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")])
def test_encodings_are_detected(tmp_path, encoding, expected):
    path = write(tmp_path, HEADER + "Göteborgs universitet;Sverige;utbyte;2024-01-01\n", encoding=encoding)
    table = read_table(path)
    assert table.encoding == expected
    assert table.headers == ["Partner", "Land", "Avtalstyp", "Giltigt från"]  # no BOM left on the first header
    assert list(table.rows)[0].cells[0] == "Göteborgs universitet"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(tmp_path, delimiter):
    rows = [["partner", "country", "notes"], ["University of Oslo", "NO", "a, b; c"]]
    text = "\n".join(delimiter.join(f'"{cell}"' if any(d in cell for d in ",;\t|") else cell for cell in row) for row in rows)
    table = read_table(write(tmp_path, text + "\n"))
    assert table.delimiter == delimiter
    assert list(table.rows)[0].cells == ["University of Oslo", "NO", "a, b; c"]


def test_excels_sep_line_names_the_delimiter(tmp_path):
    table = read_table(write(tmp_path, "sep=;\npartner;notes\nLund University;a, b\n"))
    assert (table.delimiter, table.headers, table.header_line, list(table.rows)[0].line) == (";", ["partner", "notes"], 2, 3)


def test_xlsx_first_sheet_or_the_named_one(tmp_path):
    from datetime import datetime

    workbook = Workbook()
    first = workbook.active
    first.title = "Avtal"
    first.append(["Lärosäte", "Land", "Giltigt från", "Platser ut", "Lärarutbyte"])
    first.append(["Universitetet i Oslo", "Norge", datetime(2024, 9, 1), 3, True])
    other = workbook.create_sheet("Övrigt")
    other.append(["Namn"])
    other.append(["Karolinska Institutet"])
    path = tmp_path / "avtal.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert (table.format, table.sheet) == ("xlsx", "Avtal")
    assert list(table.rows)[0].cells == ["Universitetet i Oslo", "Norge", "2024-09-01", "3", "yes"]
    assert list(table.rows)[0].line == 2
    assert list(read_table(path, sheet="Övrigt").rows)[0].cells == ["Karolinska Institutet"]
    assert "no sheet 'Saknas'; the workbook has Avtal, Övrigt" in problem_of(lambda: read_table(path, sheet="Saknas"))


def test_a_workbook_saved_with_a_csv_name_is_still_read(tmp_path):
    workbook = Workbook()
    workbook.active.append(["partner"])
    workbook.active.append(["Lund University"])
    workbook.save(tmp_path / "really.csv")
    assert read_table(tmp_path / "really.csv").format == "xlsx"


@pytest.mark.parametrize("content", [b"", b"  \r\n\r\n"])
def test_an_empty_file(tmp_path, content):
    (tmp_path / "empty.csv").write_bytes(content)
    assert "the file is empty" in problem_of(lambda: read_table(tmp_path / "empty.csv"))


def test_a_header_without_rows(tmp_path):
    message = problem_of(lambda: read_table(write(tmp_path, HEADER)))
    assert "sheet.csv:1: the file has a header row but no rows to import [no-rows]" in message


def test_a_binary_file(tmp_path):
    (tmp_path / "logo.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert "binary, not CSV text [binary-file]" in problem_of(lambda: read_table(tmp_path / "logo.csv"))


def test_a_damaged_workbook(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is no zip archive")
    assert "not a readable XLSX workbook" in problem_of(lambda: read_table(tmp_path / "broken.xlsx"))


def _workbook_with_part(tmp_path, part: str, xml: str):
    """A workbook saved by openpyxl with one of its XML parts replaced."""
    import zipfile

    workbook = Workbook()
    workbook.active.append(["Partner", "Land"])
    workbook.active.append(["Universitetet i Oslo", "Norge"])
    workbook.save(tmp_path / "saved.xlsx")
    path = tmp_path / "avtal.xlsx"
    with zipfile.ZipFile(tmp_path / "saved.xlsx") as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            target.writestr(name, xml if name == part else source.read(name))
    return path


LAUGHS = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcdef", "bcdefg", strict=True)) + "]>"
SHEET = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}</sheetData></worksheet>'
CELLS = '<row r="1"><c t="inlineStr"><is><t>Partner</t></is></c></row><row r="2"><c t="inlineStr"><is><t>{}</t></is></c></row>'


@pytest.mark.parametrize(("part", "xml"), [
    ("xl/workbook.xml", "<workbook><sheets>"),  # cut short
    ("xl/workbook.xml", LAUGHS + "<workbook>&g;</workbook>"),  # entities that grow a billion-fold
    ("xl/worksheets/sheet1.xml", SHEET.format(CELLS.format("x"))[:-40]),
    ("xl/worksheets/sheet1.xml", LAUGHS + SHEET.format(CELLS.format("&g;"))),
    ("xl/worksheets/sheet1.xml", '<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/hostname">]>' + SHEET.format(CELLS.format("&x;"))),
], ids=["workbook-cut", "workbook-entities", "sheet-cut", "sheet-entities", "sheet-external-entity"])
def test_a_workbook_with_damaged_or_hostile_xml_is_one_problem_and_writes_nothing(db, tmp_path, part, xml):
    path = _workbook_with_part(tmp_path, part, xml)
    before = snapshot(db)
    message = problem_of(lambda: run(db, path))
    assert message.startswith(f"{path}: not a readable XLSX workbook (")
    assert message.endswith("[unreadable-workbook]") and "\n" not in message
    assert snapshot(db) == before


def test_a_hidden_sheet_is_not_read_unless_named(tmp_path):
    workbook = Workbook()
    hidden = workbook.active
    hidden.title = "Gamla"
    hidden.append(["Partner", "Land"])
    hidden.append(["Universitetet i Oslo", "Norge"])
    hidden.sheet_state = "hidden"
    shown = workbook.create_sheet("Avtal")
    shown.append(["Partner", "Land"])
    shown.append(["Karolinska Institutet", "Sverige"])
    path = tmp_path / "avtal.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert table.sheet == "Avtal"
    assert list(table.rows)[0].cells == ["Karolinska Institutet", "Sverige"]
    assert list(read_table(path, sheet="Gamla").rows)[0].cells == ["Universitetet i Oslo", "Norge"]


def test_columns_without_a_header_are_read_through_once_not_once_each(db, tmp_path, monkeypatch):
    # A sheet saved with a whole row formatted has hundreds of empty columns; each was looked
    # for values by reading every row again, so 300 of them on 5,000 rows took minutes.
    from registry.importers import table

    passes = []
    records = table._csv_records
    monkeypatch.setattr(table, "_csv_records", lambda *args: passes.append(1) or records(*args))
    sheet = "Partner;Land" + ";" * 200 + "\n" + "".join(f"Universitetet i Oslo;NO{';' * 200}\n" for _ in range(3))
    assert "column 153 has values but no header" in problem_of(
        lambda: run(db, write(tmp_path, sheet + "Universitetet i Oslo;NO" + ";" * 151 + "x" + ";" * 49 + "\n"), dry_run=True))
    assert len(passes) < 10
    passes.clear()
    report = run(db, write(tmp_path, sheet, name="blank.csv"), dry_run=True)
    assert [outcome.status for outcome in report.outcomes] and len(passes) < 10


def test_invalid_utf8_in_a_utf8_file_names_the_line(tmp_path):
    data = (HEADER + "Göteborgs universitet;Sverige;utbyte;2024-01-01\n").encode() + b"Bad \xff\xfe name;Norge;utbyte;2024-01-01\n"
    (tmp_path / "mixed.csv").write_bytes(data)
    message = problem_of(lambda: read_table(tmp_path / "mixed.csv"))
    assert "mixed.csv:3: invalid UTF-8 (byte 0xff" in message and "save it again as 'CSV UTF-8'" in message


def test_a_utf8_byte_order_mark_before_latin_1_names_the_line(tmp_path):
    """The mark says UTF-8 and nothing else in the file is: the line, the byte and what to do, as for any mixed file."""
    data = "\ufeffpartner;country\n".encode() + "Université de Lyon;FR\n".encode("latin-1")
    (tmp_path / "marked.csv").write_bytes(data)
    message = problem_of(lambda: read_table(tmp_path / "marked.csv"))
    assert "marked.csv:2: invalid UTF-8 (byte 0xe9" in message and "save it again as 'CSV UTF-8'" in message


def test_a_ten_megabyte_cell_is_refused(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("partner,notes\nLund University," + "x" * 10_000_000 + "\n", encoding="utf-8")
    message = problem_of(lambda: read_table(path))
    assert "huge.csv:2: a cell is larger than 1 MB" in message


def test_an_unclosed_quote_is_a_syntax_error(tmp_path):
    message = problem_of(lambda: read_table(write(tmp_path, 'partner,notes\nLund University,"never closed\n')))
    assert "not valid CSV" in message


def test_unknown_headers_name_the_closest_and_not_the_whole_list(db, tmp_path):
    path = write(tmp_path, "Partner;Giltigt frn;Kontaktperson\nUniversity of Oslo;2024-01-01;x\n")
    before = snapshot(db)
    message = problem_of(lambda: run(db, path))
    assert "sheet.csv:1: Giltigt frn: unknown header 'Giltigt frn'; closest known header: 'giltigt från' (starts_on)" in message
    assert "unknown header 'Kontaktperson'" in message
    assert "docs/import.md lists every header recognised" in message
    assert "places out" not in message and "identifier" not in message  # no list of every known header
    assert snapshot(db) == before


def test_thousands_of_unknown_headers_give_twenty_lines_and_a_count(db, tmp_path):
    headers = ";".join(f"Extra {n}" for n in range(2_000))
    path = write(tmp_path, f"Partner;{headers}\nUniversity of Oslo;{';' * 1_999}\n")
    before = snapshot(db)
    message = problem_of(lambda: run(db, path))
    assert message.count("unknown header 'Extra ") == 20 and "unknown header 'Extra 19'" in message
    assert "unknown header 'Extra 20'" not in message
    assert "and 1,980 more unknown headers" in message
    assert snapshot(db) == before


def test_two_headers_for_one_column(db, tmp_path):
    message = problem_of(lambda: run(db, write(tmp_path, "Partner;Lärosäte\nA;B\n")))
    assert "headers 'Partner' and 'Lärosäte' both mean 'partner'" in message


def test_a_map_file_names_other_headers_and_defaults(db, tmp_path):
    sheet = write(tmp_path, "Universitet;Antal platser;Kontaktperson\nUniversity of Oslo;4;international-office@example.org\n")
    mapping = write(tmp_path, "columns:\n  Universitet: partner\n  Antal platser: places_out\n  Kontaktperson: null\n"
                    "defaults:\n  kind: utbytesavtal\n  starts_on: 2024-01-01\n", name="map.yml")
    report = run(db, sheet, mapping=mapping)
    assert [o.status for o in report.outcomes] == ["matched"]
    agreement = report.outcomes[0].records[0]
    assert (agreement.id, agreement.kind, agreement.mobility_terms[0].places_per_year) == (
        "university-of-oslo-student_exchange-2024", "student_exchange", 4)


def test_a_map_file_naming_an_unknown_column(db, tmp_path):
    mapping = write(tmp_path, "columns:\n  Universitet: partnr\n", name="map.yml")
    message = problem_of(lambda: run(db, write(tmp_path, "Universitet\nx\n"), mapping=mapping))
    assert "map.yml: partnr: unknown column 'partnr'" in message


@pytest.mark.parametrize(("value", "reason"), [("[" * 900 + "]" * 900, "nested too deeply"), ("9" * 5000, "4300 digits")])
def test_a_hostile_map_file_is_one_problem(db, tmp_path, value, reason):
    mapping = write(tmp_path, f"columns:\n  Universitet: {value}\n", name="map.yml")
    message = problem_of(lambda: run(db, write(tmp_path, "Universitet\nx\n"), mapping=mapping))
    assert message.startswith(f"{mapping}: not a readable YAML map file (") and reason in message


def test_a_loose_header_is_taken_only_when_no_other_column_claims_it(db, tmp_path):
    path = write(tmp_path, "Partner;Start date;Start;End\nUniversity of Oslo;2024-01-01;x;2025-01-01\n")
    message = problem_of(lambda: run(db, path))
    assert "header 'Start' could mean 'starts_on', but so could 'Start date'; name it in a --map file" in message
    assert "End" not in message  # 'End' alone names ends_on: no other header does
