"""One import, whatever the format: read rows, plan them, write them all or nothing.

Every row ends matched, ambiguous, new or rejected (``outcome.py``). Without
``keep_valid`` one row that is not taken stops the import and nothing is written; with it
the rows that are taken are written and every other row is kept in ``import_rejects`` in
the same transaction, so the audit log and the rejects describe the same import.

A file is streamed (issue 19): its rows are read, built and handed to
``registry.db.write_records`` a batch at a time, inside one transaction, so memory holds a
batch, not the file. A refused row found in a later batch rolls back what the earlier ones
wrote. The report counts every row but keeps only the first ``KEPT_ROWS`` rows (and as many
refused ones) to show, and the records of the first batch's rows only.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlite_utils

from registry import clock
from registry import db as store
from registry.db import writes
from registry.formats import format_for
from registry.importers.outcome import STATUSES, ImportOptions, RowOutcome
from registry.importers.seen import scratch_file
from registry.models import RECORDS, ImportReject, Record, RejectOutcome
from registry.problems import Problem, ProblemsFound

# Formats whose records the flow writes, so that --replace can say how; the others write themselves.
REPLACEABLE_FORMATS = ("csv", "xlsx", "yaml")

# Rows a report keeps to show (and as many refused ones); the others are only counted.
KEPT_ROWS = 20_000


@dataclass
class ImportReport:
    file: str
    format: str
    kind: str
    outcomes: list[RowOutcome]  # the rows the report shows: all of a small file (see ``add``)
    details: dict[str, Any] = field(default_factory=dict)
    plan: store.Plan | None = None
    written: bool = False
    dry_run: bool = False
    import_id: str | None = None
    tally: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    not_listed: int = 0  # rows counted in ``tally`` but not kept in ``outcomes``
    refused_rows: int = 0  # every row not taken, listed or not

    def __post_init__(self) -> None:
        for outcome in self.outcomes:
            self.tally[outcome.status] += 1
            self.refused_rows += not outcome.accepted

    def add(self, outcome: RowOutcome) -> None:
        """Count a row, and keep it to show while there is room: the first KEPT_ROWS rows, and
        refused ones up to KEPT_ROWS more."""
        self.tally[outcome.status] += 1
        self.refused_rows += not outcome.accepted
        if len(self.outcomes) < KEPT_ROWS or (not outcome.accepted and len(self.outcomes) < 2 * KEPT_ROWS):
            self.outcomes.append(outcome)
        else:
            self.not_listed += 1

    @property
    def refused(self) -> list[RowOutcome]:
        """The refused rows kept to show (every one, unless there are more than KEPT_ROWS)."""
        return [o for o in self.outcomes if not o.accepted]

    @property
    def rows(self) -> int:
        return sum(self.tally.values())

    def counts(self) -> dict[str, int]:
        return dict(self.tally)

    def row_changes(self) -> list[tuple[RowOutcome, list[store.Change]]]:
        """Each taken row with the planned changes to its records (children included)."""
        root_of = _root_tables()
        owner: dict[tuple[str, Any], RowOutcome] = {}
        for outcome in self.outcomes:
            if outcome.accepted:
                for key in outcome.owned_keys():
                    owner.setdefault(key, outcome)
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
            "counts": self.counts(), "rows_not_listed": self.not_listed, "dry_run": self.dry_run, "written": self.written, "import_id": self.import_id,
            "plan": self.plan.counts() if self.plan else None, "rows": rows,
        }


def _root_tables() -> dict[str, str]:
    """child table -> the table of the record that owns it."""
    return {child.table: record.table for record in RECORDS for child, _ in record.children.values()}


def new_import_id(path: Path, now: datetime) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", path.name.lower()).strip("-")[:60] or "file"
    return f"{now.strftime('%Y%m%dt%H%M%S%f')}-{stem}"


def reject_record(outcome: RowOutcome, index: int, path: Path, import_id: str, now: datetime) -> ImportReject:
    """The ``index``-th refused row (from 1) as kept in import_rejects."""
    return ImportReject(
        import_id=import_id, file=str(path), line=outcome.line or index, raw_values=outcome.raw,
        outcome=outcome.status if outcome.status in RejectOutcome.__members__ else RejectOutcome.rejected,
        reason=outcome.reason or "not taken", imported_at=now,
    )


def import_file(db: sqlite_utils.Database, path: str | Path, options: ImportOptions | None = None) -> ImportReport:
    """Read, resolve, plan and (unless dry run, or a row is refused without keep_valid) write."""
    options = options or ImportOptions()
    path = Path(path)
    file_format = format_for(path, options.format)
    if options.replace and file_format.name not in REPLACEABLE_FORMATS:
        raise LookupError(f"--replace is for sheets and seed YAML; a {file_format.name} document is written as its format says")
    result = file_format.function("reader")(db, path, options)
    if result.write is not None:
        return _write_itself(result, path, file_format.name, options)
    report = ImportReport(str(path), file_format.name, result.kind, [], result.details, dry_run=options.dry_run)
    stream = _Stream(report, path, options)
    taken = itertools.tee(stream.records(result.outcomes), 3)
    try:
        report.plan = store.write_records(
            db, map(itemgetter(0), taken[0]), actor=options.actor, source=f"import {path}"[:500], dry_run=options.dry_run,
            locations=map(itemgetter(1), taken[1]), merge=not options.replace, complete=map(itemgetter(2), taken[2]),
            problems=stream.problems,
        )
    except ProblemsFound as found:
        if _STOPPED not in found.problems:
            raise
        report.plan = None  # one refused row stops the import: nothing is written
        return report
    finally:
        stream.close()
    report.written = not options.dry_run
    return report


def _write_itself(result: Any, path: Path, format_name: str, options: ImportOptions) -> ImportReport:
    """A format that writes itself (EWP): its reader refuses no row, it raises; the rows it takes
    come to the report as they are written."""
    report = ImportReport(str(path), format_name, result.kind, list(result.outcomes), result.details, dry_run=options.dry_run)
    report.plan = result.write(actor=options.actor, source=f"import {path}"[:500], dry_run=options.dry_run, on_row=report.add)
    report.written = not options.dry_run
    return report


# Said to the writer when a refused row stops the import: it writes nothing more and rolls back.
_STOPPED = Problem("row-refused", "", "a row was refused: nothing is written")


class _Stream:
    """The taken rows' records for the writer, read lazily, each with where it came from and the
    child lists it states in full; the refused rows counted into the report and, with
    keep_valid, kept in import_rejects after the taken ones (held meanwhile in a temporary
    SQLite file, not in memory)."""

    def __init__(self, report: ImportReport, path: Path, options: ImportOptions):
        self.report, self.path, self.options = report, path, options
        self.problems: list[Problem] = []
        self.now = clock.now()
        self.refused = 0
        self.rejects: sqlite3.Connection | None = None

    def records(self, outcomes: Iterable[RowOutcome]) -> Iterator[tuple[Record, str, tuple[str, ...]]]:
        keep_records = writes.BATCH_RECORDS  # rows that keep their records for the report: the first batch's
        for position, outcome in enumerate(outcomes):
            self.report.add(outcome)
            if outcome.accepted:
                for index, record in enumerate(outcome.records):
                    yield record, outcome.where, outcome.complete if index == 0 else ()
                if position >= keep_records:
                    outcome.settle()
            elif not self.options.dry_run:
                self._refuse(outcome)
        yield from self._rejects()

    def _refuse(self, outcome: RowOutcome) -> None:
        if not self.options.keep_valid:
            if not self.problems:
                self.problems.append(_STOPPED)
            return
        if self.rejects is None:
            self.report.import_id = new_import_id(self.path, self.now)
            self.rejects = scratch_file("CREATE TABLE rejects (line INTEGER, raw TEXT, status TEXT, reason TEXT, place TEXT)")
        self.refused += 1
        self.rejects.execute("INSERT INTO rejects VALUES (?, ?, ?, ?, ?)", [
            outcome.line or self.refused, json.dumps(outcome.raw), outcome.status, outcome.reason, outcome.where])

    def _rejects(self) -> Iterator[tuple[Record, str, tuple[str, ...]]]:
        if self.rejects is None or self.report.import_id is None:
            return
        for index, (line, raw, status, reason, place) in enumerate(self.rejects.execute("SELECT * FROM rejects ORDER BY rowid"), 1):
            outcome = RowOutcome(place, line, json.loads(raw), status, reason=reason)
            yield reject_record(outcome, index, self.path, self.report.import_id, self.now), place, ()

    def close(self) -> None:
        if self.rejects is not None:
            self.rejects.close()
