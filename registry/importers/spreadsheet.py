"""The CSV and XLSX import: a table's rows, read and recognised, as row outcomes."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from registry.importers.headers import map_headers, read_map
from registry.importers.kinds import Context
from registry.importers.row_kinds import kind_for
from registry.importers.outcome import ImportOptions, ReadResult
from registry.importers.table import read_table

DEFAULT_KIND = "agreements"


def read_file(db: sqlite_utils.Database, path: Path, options: ImportOptions) -> ReadResult:
    table = read_table(path, sheet=options.sheet)
    # A workbook exported with several sheets names each after its kind.
    kind = kind_for(options.kind or (table.sheet if table.sheet in ("agreements", "institutions") else DEFAULT_KIND))
    known = kind.header_names()
    mapping = read_map(options.mapping, known) if options.mapping else None
    headers = map_headers(table, known, mapping)
    ctx = Context(db, options, headers.header_of)
    outcomes = kind.build(kind.parse_rows(table, headers, mapping, ctx), ctx)
    details = {"rows": len(table.rows), "encoding": table.encoding, "delimiter": table.delimiter, "sheet": table.sheet}
    return ReadResult(outcomes, kind.name, {k: v for k, v in details.items() if v is not None})
