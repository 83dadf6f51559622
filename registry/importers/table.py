"""Read a spreadsheet (CSV or XLSX) into a header and rows of text cells, with line numbers.

Offices save CSV from Excel in whatever their machine does: UTF-8 with or without a BOM,
Windows-1252, semicolons in a Swedish locale, commas elsewhere, tabs from a copy-paste.
This module finds the encoding and the delimiter, refuses what is not a table (binary
data, a cell over 1 MB, text mixing two encodings) with a sentence that says so, and hands
on every cell as text, so that CSV and XLSX go through the same value rules
(``values.py``). What the rows mean is ``kinds.py``'s business.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
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


Records = Callable[[], Iterator[tuple[int, list[str]]]]
"""Reads a file's records afresh, blank ones included, as (line, cells)."""


class Rows:
    """The non-blank rows of a table below its header, read from the file each time they are
    gone through, so that a file of any size is never held whole (issue 19). ``len`` is known
    from the reading that checked the file; ``rows[:n]`` reads only as far as it needs."""

    def __init__(self, records: Records, *, after: int, count: int, skipped: frozenset[int] = frozenset()):
        self.records, self.after_line, self.count, self.skipped = records, after, count, skipped

    def __iter__(self) -> Iterator[RawRow]:
        for line, cells in self.records():
            if line > self.after_line and line not in self.skipped and any(cell.strip() for cell in cells):
                yield RawRow(line, cells)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: slice) -> list[RawRow]:
        """``rows[:n]``, the first n rows. A single row by position is not offered: each would
        read the file from the start again, so a loop over positions would read it n times;
        go through the rows instead."""
        if not isinstance(index, slice) or index.start or index.step or index.stop is None or index.stop < 0:
            raise TypeError("rows are read from the start: only rows[:n], or go through them")
        return list(itertools.islice(self, index.stop))

    def below(self, line: int, dropped: int) -> Rows:
        """The rows below ``line`` (a header found lower down), ``dropped`` of these fewer."""
        return Rows(self.records, after=line, count=self.count - dropped, skipped=self.skipped)

    def without(self, lines: Iterable[int]) -> Rows:
        lines = frozenset(lines)
        return Rows(self.records, after=self.after_line, count=self.count - len(lines), skipped=self.skipped | lines)


@dataclass
class RawTable:
    path: Path
    headers: list[str]
    header_line: int
    rows: Rows
    format: str  # csv or xlsx
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)  # empty rows after the first non-empty one

    def where(self, line: int | None = None) -> str:
        return f"{self.path}:{line}" if line else str(self.path)


def read_table(path: str | Path, *, sheet: str | None = None) -> RawTable:
    """Read CSV or XLSX, chosen by content (a workbook is a ZIP file) rather than name.

    The file is read through once here, to find its header and every problem that stops the
    import (encoding, CSV syntax, a cell too large); its rows are read again, lazily, by
    whoever goes through ``rows``."""
    path = Path(path)
    with path.open("rb") as stream:
        magic = stream.read(len(ZIP_MAGIC))
    if magic == ZIP_MAGIC:
        return read_xlsx(path, sheet=sheet)
    if sheet:
        raise ProblemsFound([Problem("not-a-workbook", str(path), f"--sheet {sheet!r} was given but the file is not an XLSX workbook")])
    return read_csv(path)


# --- CSV ---------------------------------------------------------------------------------

_CHUNK_BYTES = 1 << 20
# What charset_normalizer is shown of a file that is not UTF-8 (it samples a few spots anyway)
_DETECT_BYTES = 4 << 20


@dataclass
class _Scan:
    """What one pass over a file's bytes finds, for the encoding's verdict."""

    encoding: str
    empty: bool = True
    nul_line: int | None = None
    bad_offset: int | None = None  # the first byte that is not valid UTF-8
    bad_line: int | None = None
    bad_reason: str = ""
    utf8_sequence: bool = False  # a valid multi-byte UTF-8 sequence somewhere
    head: bytes = b""


def _scan(path: Path) -> _Scan:
    """One pass over the bytes, a chunk at a time: BOM, NUL bytes, the first invalid UTF-8 byte."""
    with path.open("rb") as stream:
        first = stream.read(_CHUNK_BYTES)
        if first.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        elif first.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        else:
            encoding = "utf-8"
        found = _Scan(encoding)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset, lines, tail, chunk = 0, 0, b"", first
        while True:
            final = not chunk
            if found.empty and chunk.strip():
                found.empty = False
            if found.nul_line is None and encoding != "utf-16" and b"\x00" in chunk:
                found.nul_line = lines + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
            if encoding != "utf-16" and found.bad_offset is None:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk, final)
                except UnicodeDecodeError as error:
                    found.bad_offset = max(offset, offset - pending + error.start)
                    found.bad_line = lines + chunk.count(b"\n", 0, found.bad_offset - offset) + 1
                    found.bad_reason = error.reason
            if not found.utf8_sequence and _UTF8_SEQUENCE.search(tail + chunk):
                found.utf8_sequence = True
            if final:
                break
            if len(found.head) < _DETECT_BYTES:
                found.head += chunk[: _DETECT_BYTES - len(found.head)]
            lines += chunk.count(b"\n")
            offset += len(chunk)
            tail = chunk[-3:]
            chunk = stream.read(_CHUNK_BYTES)
    return found


def detect_encoding(path: Path) -> str:
    """The encoding to read the file with; ProblemsFound when the file is empty, binary, or
    in no one encoding."""
    found = _scan(path)
    if found.empty:
        raise ProblemsFound([Problem("empty-file", str(path), "the file is empty: expected a header row and then rows")])
    if found.nul_line is not None:
        where = f"{path}:{found.nul_line}"
        raise ProblemsFound([Problem("binary-file", where, "the file holds NUL bytes: it is binary, not CSV text")])
    if found.encoding == "utf-16" or found.bad_offset is None:
        return found.encoding
    where = f"{path}:{found.bad_line}"
    if found.utf8_sequence or found.encoding == "utf-8-sig":  # a UTF-8 byte-order mark says UTF-8 too
        raise ProblemsFound([Problem(
            "invalid-utf8", where,
            f"invalid UTF-8 (byte 0x{_byte_at(path, found.bad_offset):02x} at offset {found.bad_offset}) in a file that is "
            "otherwise UTF-8: it mixes two encodings; open it in a spreadsheet and save it again as 'CSV UTF-8'",
        )])
    from charset_normalizer import from_bytes  # only files that are not UTF-8 pay for the import

    best = from_bytes(found.head, cp_isolation=LEGACY_ENCODINGS).best()
    encoding = best.encoding if best is not None else "cp1252"
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", True)
    except UnicodeDecodeError:
        raise ProblemsFound([Problem(
            "encoding", where, "neither UTF-8 nor a Windows or Mac encoding: save the file again as 'CSV UTF-8'",
        )]) from None
    return encoding


def _byte_at(path: Path, offset: int) -> int:
    with path.open("rb") as stream:
        stream.seek(offset)
        return stream.read(1)[0]


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
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


@contextmanager
def _text(path: Path, encoding: str) -> Iterator[io.TextIOWrapper]:
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
        yield text


def _csv_records(path: Path, encoding: str, delimiter: str, declared: bool) -> Iterator[tuple[int, list[str]]]:
    """Every record of the file, blank ones included, with the line it starts on."""
    with _text(path, encoding) as stream, _field_limit(MAX_FIELD_BYTES):
        if declared:
            stream.readline()
        reader = csv.reader(stream, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        start = 2 if declared else 1
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
            except UnicodeDecodeError as error:
                raise ProblemsFound([Problem("encoding", f"{path}:{start}", f"not valid {encoding} ({error.reason})")]) from None
            line, start = start, reader.line_num + 1 + bool(declared)
            yield line, cells


def read_csv(path: Path) -> RawTable:
    encoding = detect_encoding(path)
    try:
        with _text(path, encoding) as stream:
            head = stream.read(_SNIFF_BYTES)
    except UnicodeDecodeError as error:
        raise ProblemsFound([Problem("encoding", str(path), f"not valid {encoding} ({error.reason})")]) from None
    if len(_CONTROL.findall(head)) > max(3, len(head) // 100):
        raise ProblemsFound([Problem("binary-file", str(path), "the file is full of control characters: binary, not CSV text")])
    declared = _SEP_LINE.match(head)  # Excel's own hint, "sep=;", on a line of its own
    delimiter = declared[1] if declared else sniff_delimiter(head)
    return _surveyed(path, lambda: _csv_records(path, encoding, delimiter, bool(declared)), "csv",
                     encoding=encoding, delimiter=delimiter)


def _surveyed(path: Path, records: Records, file_format: str, **about: Any) -> RawTable:
    """The table, its header found and its rows counted by reading the file through once (which
    also finds what makes it unreadable); the rows themselves are read again when needed."""
    headers: list[str] | None = None
    header_line = count = 0
    blank_lines: list[int] = []
    for line, cells in records():
        if not any(cell.strip() for cell in cells):
            blank_lines.append(line)
        elif headers is None:
            headers, header_line = [cell.strip() for cell in cells], line
        else:
            count += 1
    if file_format == "xlsx":
        while headers and not headers[-1]:  # read-only sheets often report trailing empty columns
            headers.pop()
    if not headers:
        raise ProblemsFound([Problem("empty-file", str(path), "the file has no header row")])
    if not count:
        raise ProblemsFound([Problem("no-rows", f"{path}:{header_line}", "the file has a header row but no rows to import")])
    return RawTable(path, headers, header_line, Rows(records, after=header_line, count=count), file_format,
                    blank_lines=[line for line in blank_lines if line > header_line], **about)


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
    """The visible sheets of a workbook, in order (none for a CSV file)."""
    with Path(path).open("rb") as stream:
        if stream.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            return []
    with _workbook(Path(path)) as workbook:
        return _visible(workbook)


def _visible(workbook: Any) -> list[str]:
    # A hidden sheet (old rows, lookup lists) is not what the office sees, so only --sheet reads it.
    return [sheet.title for sheet in workbook.worksheets if sheet.sheet_state == "visible"] or workbook.sheetnames[:1]


def read_xlsx(path: Path, *, sheet: str | None = None) -> RawTable:
    """A workbook's sheet, read in openpyxl's read-only mode (row by row, never the whole sheet)."""
    with _workbook(path) as workbook:
        if sheet is None:
            title = _visible(workbook)[0]
        elif sheet in workbook.sheetnames:
            title = sheet
        else:
            raise ProblemsFound([Problem("unknown-sheet", str(path), f"no sheet {sheet!r}; the workbook has {', '.join(workbook.sheetnames)}")])
    return _surveyed(path, lambda: _xlsx_records(path, title), "xlsx", sheet=title)


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    from openpyxl import load_workbook  # only workbooks pay for the import
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as stream:  # a stream, not a name: openpyxl would refuse a workbook saved as .csv
        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        # SyntaxError: the XML parsers' errors (ElementTree's ParseError, lxml's XMLSyntaxError),
        # also for a part cut short or entities that would grow without end
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, InvalidFileException) as error:
            raise _unreadable(path, error) from None
        try:
            yield workbook
        finally:
            workbook.close()


def _unreadable(path: Path, error: Exception) -> ProblemsFound:
    reason = " ".join(str(error).split())[:200]
    return ProblemsFound([Problem("unreadable-workbook", str(path), f"not a readable XLSX workbook ({reason})")])


def _xlsx_records(path: Path, title: str) -> Iterator[tuple[int, list[str]]]:
    with _workbook(path) as workbook:
        rows = enumerate(workbook[title].iter_rows(values_only=True), start=1)
        while True:
            try:  # the sheet's XML is parsed as the rows are read
                number, values = next(rows)
            except StopIteration:
                return
            except (zipfile.BadZipFile, OSError, ValueError, SyntaxError) as error:
                raise _unreadable(path, error) from None
            cells = [cell_text(value) for value in values]
            if any(len(cell.encode("utf-8")) > MAX_FIELD_BYTES for cell in cells):
                raise ProblemsFound([Problem("field-too-large", f"{path}:{number}", "a cell is larger than 1 MB, the most one cell may hold")])
            yield number, cells
