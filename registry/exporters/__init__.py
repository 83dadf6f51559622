"""One module per target format: tables (CSV/XLSX), seed YAML and EWP XML; see ``registry.formats``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import sqlite_utils

from registry import db as store
from registry.formats import FORMATS, ExportOptions, format_for, format_named


def export_file(
    db: sqlite_utils.Database,
    destination: str | Path | IO[str] | None = None,
    *,
    format_name: str | None = None,
    kinds: Iterable[str] = (),
    delimiter: str = ",",
    agreements: Iterable[str] = (),
) -> int:
    """Write records to a file (format from ``format_name`` or the file's suffix, else CSV)
    or, for text formats, to a stream (standard output by default); the number of records.

    ``agreements`` chooses the agreements a format that selects them writes (ewp).
    Raises LookupError for an unknown format or kind, ValueError for a combination the
    format cannot hold (several kinds in one CSV, a workbook to a stream, agreements chosen
    for a format that writes whole tables), ProblemsFound for records it cannot write."""
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
    agreements = list(agreements)
    if agreements and not file_format.selects_agreements:
        chosen = ", ".join(f.name for f in FORMATS.values() if f.selects_agreements)
        raise ValueError(f"the {file_format.name} format writes whole tables; choosing agreements is for {chosen}")
    writer = file_format.function("writer")
    options = ExportOptions(list(kinds), delimiter, agreements)
    if not isinstance(destination, Path):
        return writer(db, destination if destination is not None else sys.stdout, options)
    with store.written_whole(destination) as partial:
        return writer(db, partial, options)
