"""Read a spreadsheet (CSV or XLSX) into a header and rows of text cells, with line numbers.

Offices save CSV from Excel in whatever their machine does: UTF-8 with or without a BOM,
Windows-1252, semicolons in a Swedish locale, commas elsewhere, tabs from a copy-paste.
This module finds the encoding and the delimiter, refuses what is not a table (binary
data, a cell over 1 MB, text mixing two encodings) with a sentence that says so, and hands
on every cell as text, so that CSV and XLSX go through the same value rules
(``values.py``). What the rows mean is ``kinds.py``'s business.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from registry.problems import Problem, ProblemsFound

MAX_FIELD_BYTES = 1_048_576  # one cell; Excel itself stops at 32,767 characters
DELIMITERS = ",;\t|"
ZIP_MAGIC = b"PK\x03\x04"
LEGACY_ENCODINGS = ["cp1252", "mac_roman", "cp850", "iso8859_15"]
_SNIFF_BYTES = 65_536
_HEADER_SEARCH_LINES = 20
# A byte sequence that is valid multi-byte UTF-8: seeing one next to invalid bytes means the
# file mixes encodings (pasted text), which no single encoding reads correctly.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_SEP_LINE = re.compile(r"^sep=(.)\r?\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class RawRow:
    line: int  # where the record starts (CSV physical line, XLSX row number)
    cells: list[str]


@dataclass
class RawTable:
    path: Path
    headers: list[str]
    header_line: int
    rows: list[RawRow]
    format: str  # csv or xlsx
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)  # empty rows after the first non-empty one

    def where(self, line: int | None = None) -> str:
        return f"{self.path}:{line}" if line else str(self.path)


def read_table(path: str | Path, *, sheet: str | None = None) -> RawTable:
    """Read CSV or XLSX, chosen by content (a workbook is a ZIP file) rather than name."""
    path = Path(path)
    data = path.read_bytes()
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(path, sheet=sheet)
    if sheet:
        raise ProblemsFound([Problem("not-a-workbook", str(path), f"--sheet {sheet!r} was given but the file is not an XLSX workbook")])
    return read_csv_bytes(path, data)


# --- CSV ---------------------------------------------------------------------------------


def _line_of_byte(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    if b"\x00" in data and encoding != "utf-16":
        nul = data.index(b"\x00")
        where = f"{path}:{_line_of_byte(data, nul)}"
        raise ProblemsFound([Problem("binary-file", where, "the file holds NUL bytes: it is binary, not CSV text")])
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as error:
        if encoding != "utf-8":
            raise ProblemsFound([Problem("encoding", str(path), f"not valid {encoding} ({error.reason})")]) from None
        bad = error.start
    if _UTF8_SEQUENCE.search(data):
        raise ProblemsFound([Problem(
            "invalid-utf8",
            f"{path}:{_line_of_byte(data, bad)}",
            f"invalid UTF-8 (byte 0x{data[bad]:02x} at offset {bad}) in a file that is otherwise UTF-8: "
            "it mixes two encodings; open it in a spreadsheet and save it again as 'CSV UTF-8'",
        )])
    from charset_normalizer import from_bytes  # only files that are not UTF-8 pay for the import

    best = from_bytes(data, cp_isolation=LEGACY_ENCODINGS).best()
    encoding = best.encoding if best is not None else "cp1252"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        raise ProblemsFound([Problem(
            "encoding", f"{path}:{_line_of_byte(data, bad)}",
            "neither UTF-8 nor a Windows or Mac encoding: save the file again as 'CSV UTF-8'",
        )]) from None


def sniff_delimiter(text: str) -> str:
    """csv.Sniffer's choice when the header line agrees, else the delimiter the header uses most.
    The header is the line among the first few with the most delimiters: a title line above it
    ("Faculty of Medicine - agreements") has none."""
    lines = [line for line in text[:_SNIFF_BYTES].split("\n")[:_HEADER_SEARCH_LINES] if line.strip()] or [""]
    header = max(lines, key=lambda line: sum(line.count(d) for d in DELIMITERS))
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed and counts.get(sniffed):
        return sniffed
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def read_csv_bytes(path: Path, data: bytes) -> RawTable:
    if not data.strip():
        raise ProblemsFound([Problem("empty-file", str(path), "the file is empty: expected a header row and then rows")])
    text, encoding = decode(path, data)
    if len(_CONTROL.findall(text[:_SNIFF_BYTES])) > max(3, len(text[:_SNIFF_BYTES]) // 100):
        raise ProblemsFound([Problem("binary-file", str(path), "the file is full of control characters: binary, not CSV text")])
    declared = _SEP_LINE.match(text)  # Excel's own hint, "sep=;", on a line of its own
    if declared:
        text = text[declared.end():]
    delimiter = declared[1] if declared else sniff_delimiter(text)
    start = 2 if declared else 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    rows: list[RawRow] = []
    blank_lines: list[int] = []
    headers: list[str] | None = None
    header_line = 0
    with _field_limit(MAX_FIELD_BYTES):
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                message = str(error)
                if "field larger than field limit" in message:
                    raise ProblemsFound([Problem(
                        "field-too-large", f"{path}:{start}",
                        f"a cell is larger than {MAX_FIELD_BYTES // 1_048_576} MB, the most one cell may hold "
                        "(a damaged file, or a quote that is never closed?)",
                    )]) from None
                raise ProblemsFound([Problem("csv-syntax", f"{path}:{reader.line_num}", f"not valid CSV: {message}")]) from None
            line, start = start, reader.line_num + 1 + bool(declared)
            if not any(cell.strip() for cell in cells):
                blank_lines.append(line)
                continue
            if headers is None:
                headers, header_line = [cell.strip() for cell in cells], line
            else:
                rows.append(RawRow(line, cells))
    return _finish(RawTable(path, headers or [], header_line, rows, "csv", encoding=encoding, delimiter=delimiter,
                            blank_lines=blank_lines))


def _finish(table: RawTable) -> RawTable:
    if not table.headers:
        raise ProblemsFound([Problem("empty-file", str(table.path), "the file has no header row")])
    if not table.rows:
        raise ProblemsFound([Problem("no-rows", table.where(table.header_line), "the file has a header row but no rows to import")])
    return table


# --- XLSX --------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """An XLSX cell's value as the text a CSV would have held."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order (none for a CSV file)."""
    from openpyxl import load_workbook

    if not Path(path).read_bytes()[:4] == ZIP_MAGIC:
        return []
    with Path(path).open("rb") as stream:
        workbook = load_workbook(stream, read_only=True)
        try:
            return list(workbook.sheetnames)
        finally:
            workbook.close()


def read_xlsx(path: Path, *, sheet: str | None = None) -> RawTable:
    from openpyxl import load_workbook  # only workbooks pay for the import
    from openpyxl.utils.exceptions import InvalidFileException

    stream = path.open("rb")  # a stream, not a name: openpyxl would refuse a workbook saved as .csv
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException) as error:
        stream.close()
        raise ProblemsFound([Problem("unreadable-workbook", str(path), f"not a readable XLSX workbook ({error})")]) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise ProblemsFound([Problem("unknown-sheet", str(path), f"no sheet {sheet!r}; the workbook has {', '.join(workbook.sheetnames)}")])
        headers: list[str] | None = None
        header_line = 0
        rows: list[RawRow] = []
        blank_lines: list[int] = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            if not any(cell.strip() for cell in cells):
                blank_lines.append(number)
                continue
            too_large = next((cell for cell in cells if len(cell.encode("utf-8")) > MAX_FIELD_BYTES), None)
            if too_large is not None:
                raise ProblemsFound([Problem("field-too-large", f"{path}:{number}", "a cell is larger than 1 MB, the most one cell may hold")])
            if headers is None:
                headers, header_line = [cell.strip() for cell in cells], number
            else:
                rows.append(RawRow(number, cells))
        while headers and not headers[-1]:  # read-only sheets often report trailing empty columns
            headers.pop()
        return _finish(RawTable(path, headers or [], header_line, rows, "xlsx", sheet=worksheet.title, blank_lines=blank_lines))
    finally:
        workbook.close()
        stream.close()
