"""What every importer hands the import flow: one outcome per row (or record) read.

A format (CSV/XLSX tables, YAML seeds, EWP XML) turns its input into ``RowOutcome`` s; the
flow (``flow.py``) plans them against the store, prints the diff, writes them in one
transaction and keeps the rows it could not take. A new format only has to produce these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.models import Record

MATCHED, AMBIGUOUS, NEW, REJECTED = "matched", "ambiguous", "new", "rejected"
STATUSES = (MATCHED, AMBIGUOUS, NEW, REJECTED)

Progress = Callable[[Iterable[Any], int], Iterable[Any]]
"""Wraps the rows being converted (iterable, count) and yields them, showing progress."""


def no_progress(items: Iterable[Any], count: int) -> Iterable[Any]:
    return items


@dataclass
class ImportOptions:
    kind: str | None = None  # None: the format's own default (tables: agreements)
    format: str | None = None  # None: chosen by the file's suffix
    mapping: Path | None = None
    dry_run: bool = False
    keep_valid: bool = False
    dayfirst: bool = False
    create_missing: bool = False
    replace: bool = False  # write each record whole, as the source gives it (else: merge into what is stored)
    sheet: str | None = None
    actor: str | None = None
    progress: Progress = no_progress


@dataclass
class RowOutcome:
    """One row read: how its partner or key was resolved, the records it becomes, or why not.

    ``status`` is matched (by id or name, with ``score``), ambiguous (``candidates``), new
    (a partner not in the registry: ``records`` holds it when --create-missing was given)
    or rejected (``reason``).
    """

    where: str  # file:line
    line: int | None
    raw: dict[str, str]
    status: str = MATCHED
    records: list[Record] = field(default_factory=list)
    key: str | None = None  # "agreements/<id>": the record the row is about
    score: float | None = None
    resolution: str | None = None  # how the partner or key was found, in one line
    pairing: str | None = None  # which key paired the row with a stored record, or why it is new
    reason: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    # child lists of the row's first record that the row states in full (it was read with the
    # stored ones): a child missing from them was removed on purpose, and is deleted
    complete: tuple[str, ...] = ()
    # (table, first key) of the records once they are handed on and let go (``settle``)
    owned: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status in (MATCHED, NEW) and bool(self.records or self.owned) and not self.reason

    def owned_keys(self) -> list[tuple[str, Any]]:
        """(table, first key) of each record the row becomes."""
        return self.owned or [(record.table, record.key()[0]) for record in self.records]

    def settle(self) -> None:
        """Let go of the records (written, or on their way), keeping their keys for the report:
        a large import's report keeps thousands of rows, not their records."""
        if self.records:
            self.owned, self.records = self.owned_keys(), []

    def reject(self, reason: str, status: str = REJECTED) -> RowOutcome:
        self.status, self.reason, self.records, self.owned = status, reason, [], []
        return self


@dataclass
class ReadResult:
    # in file order; a table's are read lazily, a batch of rows at a time, as they are taken
    outcomes: Iterable[RowOutcome]
    kind: str
    details: dict[str, Any] = field(default_factory=dict)  # encoding, delimiter, sheet, notes ...
    # A format whose import is more than upserting its rows' records (EWP: contacts a copy no
    # longer names are deleted, approvals note the audit log's position) writes itself:
    # write(actor=, source=, dry_run=, on_row=) -> store.Plan, in one transaction, handing each
    # row it takes to on_row (an IIAs response is read while it is written). Its reader raises
    # ProblemsFound rather than refuse a row, so the flow calls it with every row taken.
    write: Callable[..., Any] | None = None
