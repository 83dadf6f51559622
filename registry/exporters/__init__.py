"""One module per target format: tables (CSV/XLSX), seed YAML and EWP XML; see ``registry.formats``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import sqlite_utils

from registry.formats import ExportOptions, format_for, format_named


def export_file(
    db: sqlite_utils.Database,
    destination: str | Path | IO[str] | None = None,
    *,
    format_name: str | None = None,
    kinds: Iterable[str] = (),
    delimiter: str = ",",
) -> int:
    """Write records to a file (format from ``format_name`` or the file's suffix, else CSV)
    or, for text formats, to a stream (standard output by default); the number of records.

    Raises LookupError for an unknown format or kind, ValueError for a combination the
    format cannot hold (several kinds in one CSV, a workbook to a stream)."""
    if isinstance(destination, str):
        destination = Path(destination)
    if format_name:
        file_format = format_named(format_name)
    elif isinstance(destination, Path):
        file_format = format_for(destination)
    else:
        file_format = format_named("csv")
    if file_format.binary and not isinstance(destination, Path):
        raise ValueError(f"{file_format.name} is written to a file: give -o FILE")
    writer = file_format.function("writer")
    return writer(db, destination if destination is not None else sys.stdout, ExportOptions(list(kinds), delimiter))
