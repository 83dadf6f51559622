"""Seed YAML through the import flow, so an exported YAML file can be imported (and diffed)
like a spreadsheet. The seed loader does the reading; every record is keyed by its id."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from registry.importers import seed
from registry.importers.outcome import MATCHED, ImportOptions, ReadResult, RowOutcome


def read_file(db: sqlite_utils.Database, path: Path, options: ImportOptions) -> ReadResult:
    outcomes = []
    for item in seed.read_seed([path], updates=not options.replace):
        line = item.where.rsplit(":", 1)[-1]
        key = f"{item.record.table}/{'/'.join(map(str, item.record.key()))}"
        outcomes.append(RowOutcome(item.where, int(line) if line.isdigit() else None, {}, MATCHED, [item.record], key, resolution="by id"))
    return ReadResult(outcomes, "seed")
