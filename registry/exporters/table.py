"""Tables out: the same columns the importer reads, so that importing an export changes
nothing. Text cells that a spreadsheet would run as a formula (= + - @, tab, CR) get an
apostrophe in front; the importer takes it off again."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from registry.formats import ExportOptions
from registry.importers.kinds import Context
from registry.importers.row_kinds import kind_for
from registry.importers.values import neutralise

DEFAULT_KIND = "agreements"


def table_cells(db: sqlite_utils.Database, kind_name: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The header row and the rows (cell values: text, numbers, dates) of a kind."""
    kind = kind_for(kind_name)
    order = kind.export_order()
    ctx = Context(db)

    def rows() -> Iterator[list[Any]]:
        for values in kind.export_rows(ctx):
            yield [kind.columns[column].to_cell(values[column]) for column in order]

    return [kind.export_header(column) for column in order], rows()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    return value.isoformat() if isinstance(value, date) else value


def _one_kind(options: ExportOptions) -> str:
    if len(options.kinds) > 1:
        raise ValueError("a CSV file holds one kind of record; export each kind to its own file, or use xlsx")
    return options.kinds[0] if options.kinds else DEFAULT_KIND


def write_csv(db: sqlite_utils.Database, destination: Path | IO[str], options: ExportOptions) -> int:
    headers, rows = table_cells(db, _one_kind(options))
    with (open(destination, "w", encoding="utf-8-sig", newline="") if isinstance(destination, Path)
          else contextlib.nullcontext(destination)) as stream:
        writer = csv.writer(stream, delimiter=options.delimiter, lineterminator="\r\n")
        writer.writerow(headers)
        count = 0
        for row in rows:
            writer.writerow([_csv_cell(value) for value in row])
            count += 1
    return count


def _xlsx_cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def write_xlsx(db: sqlite_utils.Database, destination: Path, options: ExportOptions) -> int:
    """One sheet per kind, named after it (the importer reads a sheet's kind from its name)."""
    from openpyxl import Workbook

    if not isinstance(destination, Path):
        raise ValueError("an XLSX workbook is written to a file: give -o FILE.xlsx")
    workbook = Workbook(write_only=True)
    count = 0
    for kind_name in options.kinds or [DEFAULT_KIND]:
        headers, rows = table_cells(db, kind_name)
        sheet = workbook.create_sheet(kind_name[:31])
        sheet.append(headers)
        for row in rows:
            sheet.append([_xlsx_cell(value) for value in row])
            count += 1
    workbook.save(destination)
    return count
