"""One import, whatever the format: read rows, plan them, write them all or nothing.

Every row ends matched, ambiguous, new or rejected (``outcome.py``). Without
``keep_valid`` one row that is not taken stops the import and nothing is written; with it
the rows that are taken are written and every other row is kept in ``import_rejects`` in
the same transaction, so the audit log and the rejects describe the same import.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from registry import clock
from registry import db as store
from registry.formats import format_for
from registry.importers.outcome import STATUSES, ImportOptions, RowOutcome
from registry.models import RECORDS, ImportReject, RejectOutcome

# Formats whose records the flow writes, so that --replace can say how; the others write themselves.
REPLACEABLE_FORMATS = ("csv", "xlsx", "yaml")


@dataclass
class ImportReport:
    file: str
    format: str
    kind: str
    outcomes: list[RowOutcome]
    details: dict[str, Any] = field(default_factory=dict)
    plan: store.Plan | None = None
    written: bool = False
    dry_run: bool = False
    import_id: str | None = None

    @property
    def refused(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if not o.accepted]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    def row_changes(self) -> list[tuple[RowOutcome, list[store.Change]]]:
        """Each taken row with the planned changes to its records (children included)."""
        root_of = _root_tables()
        owner: dict[tuple[str, Any], RowOutcome] = {}
        for outcome in self.outcomes:
            if outcome.accepted:
                for record in outcome.records:
                    owner.setdefault((record.table, record.key()[0]), outcome)
        changes: dict[int, list[store.Change]] = defaultdict(list)
        for change in self.plan.changes if self.plan else []:
            owning = owner.get((root_of.get(change.table, change.table), change.key[0]))
            if owning is not None:
                changes[id(owning)].append(change)
        return [(o, changes.get(id(o), [])) for o in self.outcomes if o.accepted]

    def as_dict(self) -> dict[str, Any]:
        rows = []
        changes = {id(o): c for o, c in self.row_changes()}
        for outcome in self.outcomes:
            entry = {
                "where": outcome.where, "line": outcome.line, "status": outcome.status, "record": outcome.key,
                "score": outcome.score, "resolution": outcome.resolution, "pairing": outcome.pairing, "reason": outcome.reason,
                "candidates": outcome.candidates, "raw": outcome.raw,
            }
            if outcome.accepted:
                entry["changes"] = [
                    {"table": c.table, "key": list(c.key), "operation": c.operation,
                     "fields": {name: [old, new] for name, old, new in c.changed_fields()} if c.operation == "update" else None}
                    for c in changes.get(id(outcome), [])
                ]
            rows.append(entry)
        return {
            "file": self.file, "format": self.format, "kind": self.kind, "details": self.details,
            "counts": self.counts(), "dry_run": self.dry_run, "written": self.written, "import_id": self.import_id,
            "plan": self.plan.counts() if self.plan else None, "rows": rows,
        }


def _root_tables() -> dict[str, str]:
    """child table -> the table of the record that owns it."""
    return {child.table: record.table for record in RECORDS for child, _ in record.children.values()}


def new_import_id(path: Path, now: datetime) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", path.name.lower()).strip("-")[:60] or "file"
    return f"{now.strftime('%Y%m%dt%H%M%S%f')}-{stem}"


def reject_records(outcomes: list[RowOutcome], path: Path, import_id: str, now: datetime) -> list[ImportReject]:
    return [
        ImportReject(
            import_id=import_id, file=str(path), line=outcome.line or index, raw_values=outcome.raw,
            outcome=outcome.status if outcome.status in RejectOutcome.__members__ else RejectOutcome.rejected,
            reason=outcome.reason or "not taken", imported_at=now,
        )
        for index, outcome in enumerate(outcomes, start=1)
    ]


def import_file(db: sqlite_utils.Database, path: str | Path, options: ImportOptions | None = None) -> ImportReport:
    """Read, resolve, plan and (unless dry run, or a row is refused without keep_valid) write."""
    options = options or ImportOptions()
    path = Path(path)
    file_format = format_for(path, options.format)
    if options.replace and file_format.name not in REPLACEABLE_FORMATS:
        raise LookupError(f"--replace is for sheets and seed YAML; a {file_format.name} document is written as its format says")
    result = file_format.function("reader")(db, path, options)
    report = ImportReport(str(path), file_format.name, result.kind, result.outcomes, result.details, dry_run=options.dry_run)
    taken = [o for o in result.outcomes if o.accepted]
    refused = report.refused
    records = [record for outcome in taken for record in outcome.records]
    locations = [outcome.where for outcome in taken for _ in outcome.records]
    complete = [outcome.complete if position == 0 else () for outcome in taken for position in range(len(outcome.records))]
    if refused and not options.keep_valid and not options.dry_run:
        return report  # one refused row stops the import: nothing is written
    if refused and options.keep_valid and not options.dry_run:
        now = clock.now()
        report.import_id = new_import_id(path, now)
        rejects = reject_records(refused, path, report.import_id, now)
        records += rejects
        locations += [o.where for o in refused]
        complete += [()] * len(rejects)
    if result.write is not None:
        report.plan = result.write(actor=options.actor, source=f"import {path}"[:500], dry_run=options.dry_run)
    else:
        report.plan = store.write_records(
            db, records, actor=options.actor, source=f"import {path}"[:500], dry_run=options.dry_run, locations=locations,
            merge=not options.replace, complete=complete,
        )
    report.written = not options.dry_run
    return report
