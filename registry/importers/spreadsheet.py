"""The CSV and XLSX import: a table's rows, read and recognised, as row outcomes.

Offices' sheets are read as they are: the header is found below title lines, blank rows and
a totals row ("Total", "Summa") are skipped, and the dry run says so and shows how each
header was read.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from registry.importers import values
from registry.importers.headers import locate_header, map_headers, read_map
from registry.importers.kinds import Context
from registry.importers.outcome import ImportOptions, ReadResult
from registry.importers.row_kinds import kind_for
from registry.importers.table import RawRow, RawTable, read_table
from registry.importers.vocabulary import loose_header_names, word_key

DEFAULT_KIND = "agreements"
TOTAL_WORDS = {"total", "totals", "totalt", "summa", "sum", "subtotal", "delsumma", "sammanlagt", "grand", "totalsumma"}


def read_file(db: sqlite_utils.Database, path: Path, options: ImportOptions) -> ReadResult:
    table = read_table(path, sheet=options.sheet)
    # A workbook exported with several sheets names each after its kind.
    kind = kind_for(options.kind or (table.sheet if table.sheet in ("agreements", "institutions") else DEFAULT_KIND))
    known = kind.header_names()
    loose = loose_header_names(kind.name)
    mapping = read_map(options.mapping, known) if options.mapping else None
    table = locate_header(table, known, loose)
    headers = map_headers(table, known, mapping, loose)
    skip_totals_and_blanks(table)
    ctx = Context(db, options, headers.header_of)
    outcomes = kind.build(kind.parse_rows(table, headers, mapping, ctx), ctx)
    details = {"rows": len(table.rows), "encoding": table.encoding, "delimiter": table.delimiter, "sheet": table.sheet,
               "columns": headers.describe(), "notes": table.notes}
    return ReadResult(outcomes, kind.name, {k: v for k, v in details.items() if v not in (None, [])})


def is_totals_row(row: RawRow) -> bool:
    """A row that sums the others: it starts with 'Total', 'Totalt', 'Summa' ... and holds
    nothing else but numbers."""
    cells = [cell.strip() for cell in row.cells if cell.strip()]
    if not cells or not word_key(cells[0]) or word_key(cells[0]).split()[0] not in TOTAL_WORDS:
        return False
    for cell in cells[1:]:
        try:
            values.parse_float(cell)
        except ValueError:
            return False
    return True


def skip_totals_and_blanks(table: RawTable) -> None:
    totals = [row for row in table.rows if is_totals_row(row)]
    if totals:
        skipped = {id(row) for row in totals}
        table.rows = [row for row in table.rows if id(row) not in skipped]
        shown = ", ".join(f"line {row.line} ({next(c.strip() for c in row.cells if c.strip())!r})" for row in totals)
        table.notes.append(f"skipped {len(totals)} totals row{'s' if len(totals) > 1 else ''}: {shown}")
    last = table.rows[-1].line if table.rows else 0
    blanks = [line for line in table.blank_lines if table.header_line < line < last]
    if blanks:
        lines = ", ".join(map(str, blanks[:10])) + (" ..." if len(blanks) > 10 else "")
        table.notes.append(f"skipped {len(blanks)} blank row{'s' if len(blanks) > 1 else ''} (line{'s' if len(blanks) > 1 else ''} {lines})")
