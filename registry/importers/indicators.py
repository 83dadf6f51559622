"""Country indicator tables: ``data/indicators/<table>.csv`` into the registry.

Each CSV is named after its table (``country_freedom.csv`` ...) and its columns are the
model's fields, every row carrying source, year and licence. A file replaces its table:
rows no longer in the file (a lifted sanctions regime) are deleted, with the audit log
keeping them. All files load in one transaction or not at all.
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlite_utils
from pydantic import ValidationError

from registry import db as store
from registry import schema
from registry.models.diligence import (
    CountryClassification,
    CountryDevelopment,
    CountryFreedom,
    EuRestrictiveMeasure,
    GdprAdequacy,
)
from registry.problems import Problem, ProblemsFound

INDICATOR_MODELS = {
    model.table: model
    for model in (CountryFreedom, CountryDevelopment, CountryClassification, GdprAdequacy, EuRestrictiveMeasure)
}
DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "indicators"


def read_indicator_file(path: Path) -> tuple[list, list[Problem]]:
    model = INDICATOR_MODELS[path.stem]
    records, problems = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        unknown = set(reader.fieldnames or []) - set(model.model_fields)
        if unknown:
            problems.append(Problem("unknown-column", str(path), f"{model.table} has no such field", field=", ".join(sorted(unknown))))
            return [], problems
        for row in reader:
            values = {name: value for name, value in row.items() if value not in ("", None)}
            try:
                records.append(model.model_validate(values))
            except ValidationError as error:
                where = f"{path}:{reader.line_num}"
                for detail in error.errors():
                    problems.append(
                        Problem(
                            "invalid-value",
                            where,
                            detail["msg"].removeprefix("Value error, "),
                            f"{model.table}/{values.get('country')}",
                            ".".join(str(p) for p in detail["loc"]) or None,
                            detail.get("input"),
                        )
                    )
    return records, problems


def load_indicators(
    db: sqlite_utils.Database, directory: Path | str = DEFAULT_DIR, *, actor: str | None = None
) -> dict[str, int]:
    """Load every ``<table>.csv`` of an indicator table found in ``directory``; returns rows
    per table. Raises ``ProblemsFound`` (writing nothing) if any row is invalid."""
    directory = Path(directory)
    files = sorted(p for p in directory.glob("*.csv") if p.stem in INDICATOR_MODELS)
    if not files:
        raise ProblemsFound(
            [Problem("no-files", str(directory), f"no indicator CSV here (expected {', '.join(INDICATOR_MODELS)}.csv)")]
        )
    loaded: dict[str, list] = {}
    problems: list[Problem] = []
    for path in files:
        records, found = read_indicator_file(path)
        loaded[path.stem] = records
        problems.extend(found)
    if problems:
        raise ProblemsFound(problems)
    source = f"indicators:{directory.name}"
    with store.transaction(db, actor=actor or store.default_actor(), source=source):
        for table, records in loaded.items():
            store.write_records(db, records, actor=actor, source=source)
            keys = {record.key() for record in records}
            pk = INDICATOR_MODELS[table].primary_key
            columns = ", ".join(schema.quote(k) for k in pk)
            stale = [row for row in db.conn.execute(f"SELECT {columns} FROM {schema.quote(table)}") if tuple(row) not in keys]
            where = " AND ".join(f"{schema.quote(k)} = ?" for k in pk)
            db.conn.executemany(f"DELETE FROM {schema.quote(table)} WHERE {where}", stale)
    return {table: len(records) for table, records in loaded.items()}
