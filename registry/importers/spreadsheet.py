"""The CSV and XLSX import: a table's rows, read and recognised, as row outcomes.

Offices' sheets are read as they are: the sheet with the agreements is found behind a cover
sheet, the header below title lines; blank rows, a totals row ("Total", "Summa") and notes
below the table are skipped, and the dry run says so and shows how each header was read.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from registry.importers import values
from registry.importers.headers import best_header_row, locate_header, map_headers, read_map
from registry.importers.kinds import Context
from registry.importers.outcome import ImportOptions, ReadResult
from registry.importers.row_kinds import kind_for
from registry.importers.table import RawRow, RawTable, read_table, sheet_names
from registry.importers.vocabulary import loose_header_names, word_key
from registry.problems import ProblemsFound

DEFAULT_KIND = "agreements"
NOTE_WORDS = {"source", "kalla", "note", "notes", "not", "obs", "anm", "anmarkning", "updated", "uppdaterad", "exported",
              "exporterad", "generated", "created", "skapad", "last", "senast"}
NOTE_MARKS = ("*", "†", "#", "(")
TOTAL_WORDS = {"total", "totals", "totalt", "summa", "sum", "subtotal", "delsumma", "sammanlagt", "grand", "totalsumma"}


def read_file(db: sqlite_utils.Database, path: Path, options: ImportOptions) -> ReadResult:
    table = read_table(path, sheet=options.sheet)
    if table.format == "xlsx" and options.sheet is None:
        table = _sheet_with_a_header(path, table, options)
    # A workbook exported with several sheets names each after its kind.
    kind = kind_for(_kind_name(table, options))
    known = kind.header_names()
    loose = loose_header_names(kind.name)
    mapping = read_map(options.mapping, known) if options.mapping else None
    table = locate_header(table, known, loose)
    headers = map_headers(table, known, mapping, loose)
    skip_rows_that_are_no_records(table)
    ctx = Context(db, options, headers.header_of)
    outcomes = kind.outcomes(table, headers, mapping, ctx)  # read lazily, a batch of rows at a time
    details = {"rows": len(table.rows), "encoding": table.encoding, "delimiter": table.delimiter, "sheet": table.sheet,
               "columns": headers.describe(), "notes": table.notes}
    return ReadResult(outcomes, kind.name, {k: v for k, v in details.items() if v not in (None, [])})


def _kind_name(table: RawTable, options: ImportOptions) -> str:
    return options.kind or (table.sheet if table.sheet in ("agreements", "institutions") else DEFAULT_KIND)


def _sheet_with_a_header(path: Path, first: RawTable, options: ImportOptions) -> RawTable:
    """The first sheet, unless it names no known columns (a cover or instructions sheet) and a
    later one does: then the first sheet that names the most."""

    def score(table: RawTable) -> int:
        kind = kind_for(_kind_name(table, options))
        return best_header_row(table, kind.header_names(), loose_header_names(kind.name))[1]

    if score(first) >= 2:
        return first
    best, best_score = first, score(first)
    for name in sheet_names(path)[1:]:
        try:
            table = read_table(path, sheet=name)
        except ProblemsFound:  # an empty sheet, say: not the one
            continue
        if score(table) > best_score:
            best, best_score = table, score(table)
    if best is not first:
        best.notes.append(f"read sheet {best.sheet!r}: the first sheet, {first.sheet!r}, names no known columns "
                          "(--sheet chooses another)")
    return best


def is_totals_row(row: RawRow) -> bool:
    """A row that sums the others: it starts with 'Total', 'Totalt', 'Summa' ... and holds
    nothing else but numbers."""
    cells = [cell.strip() for cell in row.cells if cell.strip()]
    first_words = word_key(cells[0]).split(maxsplit=1) if cells else []
    if not first_words or first_words[0] not in TOTAL_WORDS:
        return False
    for cell in cells[1:]:
        try:
            values.parse_float(cell)
        except ValueError:
            return False
    return True


def is_note_row(row: RawRow) -> bool:
    """One cell that reads as a note about the table: 'Source: ...', 'Källa: ...', '* ...'."""
    cells = _filled(row)
    if len(cells) != 1:
        return False
    words = word_key(cells[0]).split()
    return cells[0].startswith(NOTE_MARKS) or bool(words) and words[0] in NOTE_WORDS


def _filled(row: RawRow) -> list[str]:
    return [cell.strip() for cell in row.cells if cell.strip()]


def skip_rows_that_are_no_records(table: RawTable) -> None:
    """Skip, and say so: totals rows, blank rows among the records, and single-cell notes below
    the last record ("Source: exported from ...", "* fictitious examples"). One pass over the
    rows, holding only the notes met since the last record and the totals rows."""
    totals: list[RawRow] = []
    notes: list[tuple[RawRow, bool]] = []  # (row, is totals) for the note rows since the last row that is not one
    last = 0  # the last row kept
    for row in table.rows:
        total = is_totals_row(row)
        if total:
            totals.append(row)
        if is_note_row(row):
            notes.append((row, total))
            continue
        last = max([last, *(note.line for note, note_total in notes if not note_total), 0 if total else row.line])
        notes = []
    if notes and len(notes) == len(table.rows):  # a table of nothing but notes keeps its first row
        (first, first_total), notes = notes[0], notes[1:]
        last = 0 if first_total else first.line
    trailing = {note.line for note, _ in notes}
    totals = [row for row in totals if row.line not in trailing]
    for note, _ in reversed(notes):
        table.notes.append(f"skipped a note below the table: line {note.line} ({_filled(note)[0][:80]!r})")
    if notes or totals:
        table.rows = table.rows.without([*trailing, *(row.line for row in totals)])
    if totals:
        shown = ", ".join(f"line {row.line} ({next(c.strip() for c in row.cells if c.strip())!r})" for row in totals)
        table.notes.append(f"skipped {len(totals)} totals row{'s' if len(totals) > 1 else ''}: {shown}")
    blanks = [line for line in table.blank_lines if table.header_line < line < last]
    if blanks:
        lines = ", ".join(map(str, blanks[:10])) + (" ..." if len(blanks) > 10 else "")
        table.notes.append(f"skipped {len(blanks)} blank row{'s' if len(blanks) > 1 else ''} (line{'s' if len(blanks) > 1 else ''} {lines})")
