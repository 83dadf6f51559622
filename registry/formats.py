"""File formats that ``registry import`` reads and ``registry export`` writes, by name.

A format names its file suffixes, a reader and a writer as "module:function" strings, so
this table imports nothing until a format is used, and a new format is one line here:

    reader(db, path, options: ImportOptions) -> ReadResult      (registry.importers.outcome)
    writer(db, destination: Path | text stream, options: ExportOptions) -> int  (records written)

The import flow (plan, --dry-run diff, --keep-valid, import_rejects) is the same for all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TABLE_READER = "registry.importers.spreadsheet:read_file"


@dataclass(frozen=True)
class FileFormat:
    name: str
    suffixes: tuple[str, ...]
    reader: str | None = None
    writer: str | None = None
    binary: bool = False  # the writer needs a file (-o), not standard output
    selects_agreements: bool = False  # the writer exports only ExportOptions.agreements when given
    description: str = ""

    def function(self, which: str) -> Callable[..., Any]:
        target = getattr(self, which)
        if target is None:
            raise LookupError(f"the {self.name} format cannot be {'read' if which == 'reader' else 'written'}")
        module, name = target.split(":")
        return getattr(importlib.import_module(module), name)


FORMATS: dict[str, FileFormat] = {
    "csv": FileFormat("csv", (".csv", ".tsv", ".txt"), TABLE_READER, "registry.exporters.table:write_csv",
                      description="comma, semicolon or tab separated text (UTF-8, cp1252 ...)"),
    "xlsx": FileFormat("xlsx", (".xlsx", ".xlsm"), TABLE_READER, "registry.exporters.table:write_xlsx", binary=True,
                       description="Excel workbook (first sheet, or --sheet)"),
    "yaml": FileFormat("yaml", (".yml", ".yaml"), "registry.importers.seed_rows:read_file", "registry.exporters.seed:write_yaml",
                       description="seed YAML, as 'registry load' reads it"),
    "ewp": FileFormat("ewp", (".xml",), "registry.importers.ewp:read_file", "registry.exporters.ewp:write_file",
                      selects_agreements=True,
                      description="Erasmus Without Paper: IIAs API v7 get response (in and out); Institutions API v2 "
                                  "and IIA Approval API v2 responses (in)"),
}


@dataclass
class ExportOptions:
    kinds: list[str] = field(default_factory=list)  # empty: the format's default
    delimiter: str = ","
    agreements: list[str] = field(default_factory=list)  # empty: all (formats that select agreements)


def format_named(name: str) -> FileFormat:
    if name not in FORMATS:
        raise LookupError(f"unknown format {name!r}; formats: {', '.join(FORMATS)}")
    return FORMATS[name]


def format_for(path: str | Path, name: str | None = None) -> FileFormat:
    """The format called ``name``, or the one whose suffix the file has."""
    if name:
        return format_named(name)
    suffix = Path(path).suffix.lower()
    for file_format in FORMATS.values():
        if suffix in file_format.suffixes:
            return file_format
    known = ", ".join(s for f in FORMATS.values() for s in f.suffixes)
    raise LookupError(f"cannot tell the format of {Path(path).name!r} from its suffix ({known}); give --format")
