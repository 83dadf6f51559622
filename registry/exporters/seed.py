"""Seed YAML out: the records of the registry as ``registry load`` reads them, children
nested under their records, so the whole registry (or some tables) can be kept as text."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import sqlite_utils
import yaml

from registry import clock
from registry.formats import ExportOptions
from registry.importers.stored import stored_records
from registry.models import RECORDS, by_table


def root_tables() -> list[str]:
    """Tables whose records stand alone (children are written inside their record); never secrets
    nor files (signed documents)."""
    children = {child.table for record in RECORDS for child, _ in record.children.values()}
    return [record.table for record in RECORDS if record.table not in children and not record.secret and record.as_text]


def seed_document(db: sqlite_utils.Database, tables: list[str]) -> dict:
    document: dict = {"about": {"exported_from": "registry", "exported_on": clock.today().isoformat()}}
    for table in tables:
        model = by_table()[table]
        records = list(stored_records(db, table, children=model.children).values())
        if records:
            document[table] = records
    return document


def write_yaml(db: sqlite_utils.Database, destination: Path | IO[str], options: ExportOptions) -> int:
    unknown = [t for t in options.kinds if t not in root_tables()]
    if unknown:
        raise ValueError(f"cannot export {unknown[0]!r} as seed YAML; tables: {', '.join(root_tables())}")
    document = seed_document(db, options.kinds or [t for t in root_tables() if by_table()[t].exported_unasked])
    # libyaml's emitter where PyYAML has it: the pure-Python one takes minutes for a reference's 80,000 rows
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120)
    if isinstance(destination, Path):
        destination.write_text(text, encoding="utf-8")
    else:
        destination.write(text)
    return sum(len(v) for k, v in document.items() if k != "about")
