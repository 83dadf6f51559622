"""Write records in one logged transaction, planned first.

Writes are computed as a plan first (insert, update, delete per row, by comparing with
what is stored), so that loading the same data twice writes nothing and logs nothing, and
so that an import can show its plan before it writes. The audit log itself is kept by
triggers (see ``schema.py``): this module only tells them who writes and from where.

A large input is streamed: it is planned and written ``BATCH_RECORDS`` records at a time inside
one transaction, so memory holds one batch, not the input, and a problem anywhere still leaves
the file as it was. What needs the whole input (a reference to a record further on) waits in
a temporary table until the end. A caller whose input has no other effect can have it read
(validated and split into rows) by a second process meanwhile (``read_ahead``, ``registry.db.reader``):
checks and plans read those rows, so the batches cross the pipe as plain data.

Where a large write's time goes (issue 19; ``benchmarks/load.py`` compares it with raw
``executemany`` using the same bulk technique): the inserts go tens of rows to a statement
(``_insert_rows``: one statement journal per statement, not per row) with the CHECKs the models
already enforced set aside (``checks_set_aside``); the collector runs once per batch,
not every 700 allocations; secondary indexes, the search index and the statistics are built
once at the end (``BulkWrite``). The search index's rebuild is the end's largest step, 55-75 µs
an agreement, about 60 % of it computing the rows (the partners' names, the topics) and 40 %
indexing them: a streamed write computes them on its connection and indexes them on a second
thread into a file of its own, copied in whole (``registry.db.search_build``).
"""

from __future__ import annotations

import gc
import itertools
import logging
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from typing import Any

import sqlite_utils
from pydantic import ValidationError

from registry import schema
from registry.collector import collector_paused
from registry.db import reader
from registry.db.connection import default_actor, specs, transaction
from registry.db.journal import rollback_journal
from registry.db.rows import decode, encode_values
from registry.db.search_build import SearchBuild
from registry.db.upkeep import rebuild_search, refresh_statistics
from registry.models import Record
from registry.problems import Problem, ProblemsFound

_CHUNK = 500

# ``registry.db.writes`` at DEBUG: each streamed batch's time and the end's steps, to see what
# grows with the size of a load (issue 19).
log = logging.getLogger(__name__)

# Records planned and written together when an input is streamed: big enough that the
# per-statement costs vanish, small enough that one batch's rows, plans and audit entries
# stay a few tens of megabytes whatever the input's size.
BATCH_RECORDS = 2_000

# A streamed write keeps this many of its changes to show (``--verbose``, an import's diff);
# the rest are only counted.
KEPT_CHANGES = 20_000


@dataclass(slots=True)  # one per row a write changes: a million agreements make nine million
class Change:
    table: str
    key: tuple[Any, ...]
    operation: str  # insert, update, delete
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def row(self) -> dict[str, Any]:
        """The row an insert or an update writes."""
        if self.after is None:
            raise ValueError(f"a {self.operation} of {self.table}/{self.key} has no row to write")
        return self.after

    def changed_fields(self) -> list[tuple[str, Any, Any]]:
        before, after = self.before or {}, self.after or {}
        return [(name, before.get(name), after.get(name)) for name in after if before.get(name) != after.get(name)]


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # (table, operation) -> changes made but not kept in ``changes`` (a streamed write keeps KEPT_CHANGES)
    not_kept: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def counts(self) -> dict[str, dict[str, int]]:
        summary: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for change in self.changes:
            summary[change.table][change.operation] += 1
        for (table, operation), count in self.not_kept.items():
            summary[table][operation] += count
        for table, count in self.unchanged.items():
            summary[table]["unchanged"] += count
        return {table: dict(ops) for table, ops in summary.items()}

    @property
    def changed(self) -> int:
        """Rows inserted, updated or deleted, kept or not."""
        return len(self.changes) + sum(self.not_kept.values())

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.not_kept

    def absorb(self, batch: Plan) -> None:
        """Add a batch's plan to this one, keeping at most KEPT_CHANGES changes and counting the rest."""
        room = max(0, KEPT_CHANGES - len(self.changes))
        self.changes += batch.changes[:room]
        for change in batch.changes[room:]:
            self.not_kept[(change.table, change.operation)] += 1
        for table, count in batch.unchanged.items():
            self.unchanged[table] += count


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects that all stay alive:
    its repeated full passes over them would double the time of a large load.

    After a large pause the objects are frozen (moved out of the collector's generations)
    before it resumes: its first pass would otherwise walk every one of them only to find
    them alive, 2-3 s at 100,000 agreements. Frozen objects are still freed when their last
    reference goes; only a reference cycle made during the pause outlives its use."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_count()[0] > FREEZE_AFTER_OBJECTS:
                gc.freeze()
            gc.enable()


# Allocations during a pause above which the survivors are frozen rather than walked.
FREEZE_AFTER_OBJECTS = 100_000


@contextmanager
def young_collections() -> Iterator[Callable[[], object]]:
    """The cyclic collector's automatic passes paused during a streamed write; the caller
    collects the young generations once per batch instead (the function yielded).

    A batch makes some hundred thousand objects that die by reference count alone; the
    automatic passes (one per 700 allocations, every tenth also walking the survivors of the
    earlier ones) took 14 % of a load's CPU over them. One young pass per batch still frees
    any reference cycle a batch made, so memory stays bounded by a batch."""
    with collector_paused():
        yield lambda: gc.collect(1)


@dataclass
class _Flat:
    """Records split into rows per table, with what each row's source gave (None: all of it) and
    which record of the input (its position) each row came from. Everything a write checks and
    plans reads these rows, not the models: a reader in another process (``registry.db.reader``)
    sends them, plain data, where the models would cost more to send than to validate again."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    given: dict[str, list[Collection[str] | None]] = field(default_factory=lambda: defaultdict(list))
    complete: dict[str, set[tuple[str, Any]]] = field(default_factory=lambda: defaultdict(set))
    origin: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    records: int = 0


def flatten_records(records: Iterable[Record], *, merge: bool = False,
                    complete: Sequence[Collection[str]] | None = None) -> _Flat:
    """The records' rows per table (see ``plan_changes`` for ``merge`` and ``complete``)."""
    flat = _Flat()
    for index, record in enumerate(records):
        lists = complete[index] if complete is not None else ()
        _flatten(record, flat, index, merge=merge, complete_lists=lists)
        flat.records = index + 1
    return flat


def _flatten(
    record: Record,
    flat: _Flat,
    index: int,
    *,
    merge: bool,
    complete_lists: Collection[str] = (),
    dumped: dict[str, Any] | None = None,
) -> None:
    """Split a record and its children into rows per table, from one dump of the whole tree.

    Replacing (``merge`` False), a child list the record was given is complete. Merging, only
    the lists named in ``complete_lists`` are, and each row keeps what its source gave."""
    if dumped is None:
        dumped = record.model_dump(mode="json")
    # a record without children is its dump (most rows of a load: copying each was 2 % of it)
    flat.rows[record.table].append({k: v for k, v in dumped.items() if k not in record.children} if record.children else dumped)
    # the record's own set, not a copy: only a stored row's merge reads it (most rows of an import are new)
    flat.given[record.table].append(record.model_fields_set if merge else None)
    flat.origin[record.table].append(index)
    for field_name, (child_cls, parent_field) in record.children.items():
        if field_name in (complete_lists if merge else record.model_fields_set):
            flat.complete[child_cls.table].add((parent_field, getattr(record, record.primary_key[0])))
        children, dumps = getattr(record, field_name), dumped[field_name]
        if not child_cls.children:  # most rows of a load: each child's dump is its row, all at once
            if len(children) != len(dumps):
                raise ValueError(f"{record.table}.{field_name}: {len(children)} children dumped as {len(dumps)}")
            flat.rows[child_cls.table] += dumps
            flat.given[child_cls.table] += [child.model_fields_set for child in children] if merge else [None] * len(dumps)
            flat.origin[child_cls.table] += [index] * len(dumps)
            continue
        for child, child_dump in zip(children, dumps, strict=True):
            _flatten(child, flat, index, merge=merge, dumped=child_dump)


def _merged(spec: schema.TableSpec, before: dict[str, Any], after: dict[str, Any], given: Collection[str],
            where: str | None = None) -> dict[str, Any]:
    """The stored row with the fields its source gave laid over it, validated again as a
    whole (a given end date against a kept start date; computed columns recomputed)."""
    merged = {name: (after[name] if name in given else before.get(name)) for name in after}
    if merged == after:
        return after
    model = spec.record
    inputs = {c.name: merged[c.name] for c in spec.columns if not c.computed and merged.get(c.name) is not None}
    try:
        return model.model_validate(inputs).columns()
    except ValidationError as error:
        key = "/".join(str(after[k]) for k in model.primary_key)
        reasons = "; ".join(d["msg"].removeprefix("Value error, ") for d in error.errors())
        raise ProblemsFound([Problem(
            "merged-record-invalid", where or f"{spec.name}/{key}",
            f"with the stored values this source does not give, the record breaks a rule: {reasons}; "
            "give those fields too, or replace the whole record (--replace)", f"{spec.name}/{key}" if where else None,
        )]) from None


@cache
def _required(table: str) -> frozenset[str]:
    """The fields a new record of the table must give (its model's required fields)."""
    return frozenset(name for name, info in specs()[table].record.model_fields.items() if info.is_required())


def _lacking(table: str, key: tuple[Any, ...], given: Collection[str], where: str | None) -> Problem:
    """A merging source's record of no stored row that leaves out required fields."""
    missing = sorted(_required(table) - set(given))
    return Problem("missing-field", where or f"{table}/{'/'.join(map(str, key))}",
                   f"no stored record has this id, and a new one needs {', '.join(missing)}",
                   f"{table}/{'/'.join(map(str, key))}", missing[0])


def _fetch(db: sqlite_utils.Database, table: str, column: str, values: Iterable[Any]) -> list[dict[str, Any]]:
    values = list(values)
    found: list[dict[str, Any]] = []
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        cursor = db.conn.execute(f"SELECT * FROM {schema.quote(table)} WHERE {schema.quote(column)} IN ({marks})", chunk)
        names = [d[0] for d in cursor.description]
        found.extend(dict(zip(names, row, strict=True)) for row in cursor)
    return found


def _stored_values(db: sqlite_utils.Database, table: str, column: str, values: Iterable[Any]) -> set[Any]:
    """Which of these values the column holds (only the column read, not the rows)."""
    values = list(values)
    found: set[Any] = set()
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        found.update(row[0] for row in db.conn.execute(
            f"SELECT {schema.quote(column)} FROM {schema.quote(table)} WHERE {schema.quote(column)} IN ({marks})", chunk))
    return found


def _existing_rows(db: sqlite_utils.Database, spec: schema.TableSpec, new_rows: list[dict[str, Any]],
                   complete: set[tuple[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    pk = spec.record.primary_key
    existing: dict[tuple[Any, ...], dict[str, Any]] = {}
    if db.conn.execute(f"SELECT 1 FROM {schema.quote(spec.name)} LIMIT 1").fetchone() is None:
        return existing  # a first load: nothing to look up, row by row
    key_of = _key_of(spec.name)
    by_parent: dict[str, set[Any]] = defaultdict(set)
    for parent_field, parent_id in complete:
        by_parent[parent_field].add(parent_id)
    for parent_field, parent_ids in by_parent.items():
        for row in _fetch(db, spec.name, parent_field, parent_ids):
            existing[key_of(row)] = row
    # a child keyed by its parent first, whose parent's rows were all read above, is not
    # looked up again (every row of a load's children was, for nothing)
    read = by_parent.get(pk[0], set())
    missing = {row[pk[0]] for row in new_rows if row[pk[0]] not in read and key_of(row) not in existing}
    if missing:
        for row in _fetch(db, spec.name, pk[0], missing):
            existing.setdefault(key_of(row), row)
    return existing


@cache
def _key_of(table: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function giving a row's primary key as a tuple: asked for every row a write plans."""
    pk = specs()[table].record.primary_key
    getter = itemgetter(*pk)
    if len(pk) == 1:
        return lambda row: (getter(row),)
    return getter


def plan_changes(
    db: sqlite_utils.Database,
    records: Iterable[Record],
    *,
    merge: bool = False,
    complete: Sequence[Collection[str]] | None = None,
) -> Plan:
    """What writing these records would change.

    Replacing (the default), each record is written whole: fields it does not give take
    their defaults, and a child list it gives is complete (stored children missing from it
    are planned for deletion). Merging (a source such as an import or a seed file), what a
    record does not give is left as stored: fields it was not given (pydantic's
    ``model_fields_set``) keep their stored values, and children are added or updated but
    only deleted from the lists ``complete[i]`` names for record ``i``."""
    return _plan_flat(db, flatten_records(records, merge=merge, complete=complete))


def _plan_flat(db: sqlite_utils.Database, flat: _Flat, locations: Sequence[str] | None = None) -> Plan:
    """``plan_changes`` of records already split into rows; ``locations`` (file and line of
    each record) name where a merge went wrong. Every problem of the rows is raised at once."""
    plan = Plan()
    problems: list[Problem] = []
    for table in list(flat.rows) + [t for t in flat.complete if t not in flat.rows]:
        spec = specs()[table]
        pk = spec.record.primary_key
        key_of = _key_of(table)
        new_rows = flat.rows.get(table, [])
        existing = _existing_rows(db, spec, new_rows, flat.complete.get(table, set()))
        required = _required(table)
        origins = flat.origin.get(table, [])
        seen = set()
        for position, (after, given) in enumerate(zip(new_rows, flat.given.get(table, []), strict=True)):
            key = key_of(after)
            stored = existing.get(key) if existing else None
            if stored is None:
                if given is not None and not required.issubset(given):  # an update of nothing (seed.load's records)
                    problems.append(_lacking(table, key, given, locations[origins[position]] if locations else None))
                    continue
                plan.changes.append(Change(table, key, "insert", None, after))
                continue
            seen.add(key)  # only a stored row can be missing from the input (deleted below)
            before = decode(spec, stored)
            if given is not None:
                try:
                    after = _merged(spec, before, after, {*given, *pk}, locations[origins[position]] if locations else None)
                except ProblemsFound as error:
                    problems += error.problems
                    continue
            if before == after:
                plan.unchanged[table] += 1
            else:
                plan.changes.append(Change(table, key, "update", before, after))
        parents = flat.complete.get(table, set())
        for key, stored in existing.items():
            if key not in seen and any(stored[f] == v for f, v in parents):
                plan.changes.append(Change(table, key, "delete", decode(spec, stored), None))
    if problems:
        raise ProblemsFound(problems)
    return plan


# Above this many changed rows, keeping the search index row by row (a join per party or
# name) costs more than rebuilding it once, inside the same transaction.
BULK_SEARCH_REBUILD = 5000


def apply_plan(db: sqlite_utils.Database, plan: Plan) -> None:
    """Execute a plan inside the caller's transaction, batched per table and operation, with
    its audit log (see ``BulkWrite``)."""
    bulk = BulkWrite(db)
    bulk.apply(plan)
    bulk.finish()


class BulkWrite:
    """The plans of one write applied one after another inside the caller's transaction.

    The triggers stand aside meanwhile and the log is written in batches instead: inserted
    rows with one INSERT ... SELECT per table, using the triggers' own SQL expressions, and
    updates and deletes from the before and after the plan holds. The result is the same log
    the triggers write for any other client (a test holds the two to the same output).

    What pays only for a large write starts once the write is large enough, and ``finish``
    completes it: a table whose rows this write at least doubles gets its (non-unique)
    secondary indexes built once at the end, a sort, rather than row by row; above
    BULK_SEARCH_REBUILD changed rows the search index is rebuilt once rather than kept row by
    row, and the query planner's statistics are refreshed.
    """

    def __init__(self, db: sqlite_utils.Database, search_build: SearchBuild | None = None):
        self.db = db
        self.search_build = search_build
        self.inserted: dict[str, int] = defaultdict(int)
        self.changed = 0
        self.dropped_indexes: list[tuple[str, str]] = []
        self.indexes_dropped: set[str] = set()
        self.held_before: dict[str, int] = {}
        self.dropped_triggers: list[tuple[str, str]] | None = None

    def apply(self, plan: Plan) -> None:
        conn = self.db.conn
        batch_inserts: dict[str, int] = defaultdict(int)
        for change in plan.changes:
            if change.operation == "insert":
                batch_inserts[change.table] += 1
        batch_inserts[schema.AUDIT_TABLE] = len(plan.changes)
        for table, count in batch_inserts.items():
            self._drop_indexes_for_bulk(table, count)
            self.inserted[table] += count
        self.changed += len(plan.changes)
        if self.changed > BULK_SEARCH_REBUILD and self.dropped_triggers is None:
            self.dropped_triggers = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%fts%'"
            ).fetchall()
            for name, _ in self.dropped_triggers:
                conn.execute(f"DROP TRIGGER {schema.quote(name)}")
        _apply_logged(self.db, plan)

    def _drop_indexes_for_bulk(self, table: str, coming: int) -> None:
        """Drop a table's non-unique indexes once this write's inserts at least double it; unique
        ones stay (the batches still to come look their values up)."""
        inserts = self.inserted[table] + coming
        if table in self.indexes_dropped or inserts < BULK_SEARCH_REBUILD:
            return
        conn = self.db.conn
        if table not in self.held_before:  # what the table held before this write's inserts
            held = conn.execute(f"SELECT count(*) FROM {schema.quote(table)}").fetchone()[0]
            self.held_before[table] = held - self.inserted[table]
        if inserts < self.held_before[table]:
            return
        self.indexes_dropped.add(table)
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
            "AND sql NOT LIKE 'CREATE UNIQUE%'", [table]
        ).fetchall()
        for name, sql in indexes:
            conn.execute(f"DROP INDEX {schema.quote(name)}")
            self.dropped_indexes.append((name, sql))

    def finish(self) -> None:
        conn = self.db.conn
        started = time.process_time()
        for _, sql in self.dropped_indexes:
            conn.execute(sql)
        log.debug("%d indexes rebuilt: %.3f s CPU", len(self.dropped_indexes), time.process_time() - started)
        self.dropped_indexes = []
        if self.dropped_triggers is not None:
            started, wall = time.process_time(), time.perf_counter()
            if self.search_build is not None:
                self.search_build.rebuild()
            else:
                rebuild_search(self.db)
            for _, sql in self.dropped_triggers:
                conn.execute(sql)
            self.dropped_triggers = None
            log.debug("search index rebuilt: %.3f s CPU", time.process_time() - started)  # both threads'
            log.debug("search index rebuilt in %.3f s", time.perf_counter() - wall)
        if self.changed > BULK_SEARCH_REBUILD:
            # Fresh statistics after a bulk write: without them SQLite may look terms up by their
            # category instead of their agreement, and a canned query takes minutes, not ms.
            # Sampled: estimates from ANALYSIS_ROWS rows per index plan as well as exact counts,
            # and take seconds, not a minute, over the millions of rows of a large registry.
            started = time.process_time()
            refresh_statistics(conn)
            log.debug("statistics refreshed: %.3f s CPU", time.process_time() - started)


def _apply_logged(db: sqlite_utils.Database, plan: Plan) -> None:
    conn = db.conn
    context = schema.AUDIT_CONTEXT_TABLE
    # in the plan's order (a set's would change with each process's string hashing, and the log's with it)
    inserted_tables = dict.fromkeys(c.table for c in plan.changes if c.operation == "insert" and specs()[c.table].record.audited)
    # rows inserted now get rowids above the table's current maximum
    last_rowids = {t: conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {schema.quote(t)}").fetchone()[0] for t in inserted_tables}
    conn.execute(f"UPDATE {context} SET logged_by_caller = 1 WHERE id = 1")
    try:
        with checks_set_aside(conn):
            _apply_batches(db, plan)
            for table, last_rowid in last_rowids.items():
                conn.execute(schema.audit_inserted_rows_sql(specs()[table]), [last_rowid])
            conn.executemany(
                f"INSERT INTO {schema.AUDIT_TABLE} (table_name, row_key, record_id, operation, before, after, actor, source) "
                f"SELECT ?, ?, ?, ?, ?, ?, actor, source FROM {context} WHERE id = 1",
                _audit_rows(plan),
            )
    finally:
        conn.execute(f"UPDATE {context} SET logged_by_caller = 0 WHERE id = 1")


@contextmanager
def checks_set_aside(conn: sqlite3.Connection) -> Iterator[None]:
    """SQLite's CHECK constraints set aside while the library writes a plan's rows and their log.

    Every row a plan writes is a record its model validated (``_merged`` validates a merge
    again), and the CHECKs are derived from those very models (``registry.schema``: their
    enums, ranges, patterns, JSON columns), so SQLite testing them again on every row only
    repeated the same rules: half of an insert's SQL time (4-5 µs of 9 a row at 50,000
    agreements, issue 19). The log's rows are the library's own SQL over those rows. NOT
    NULL, UNIQUE, foreign keys and the rule triggers still hold; every other writer keeps
    every CHECK (the pragma is this connection's, and restored here), and ``registry verify``
    reads every row against the CHECKs (integrity_check) and its model (registry/integrity.py)."""
    was_ignored = conn.execute("PRAGMA ignore_check_constraints").fetchone()[0]
    if was_ignored:
        yield
        return
    conn.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        conn.execute("PRAGMA ignore_check_constraints = OFF")


def _audit_rows(plan: Plan) -> Iterator[tuple[Any, ...]]:
    """Log rows for the plan's updates and deletes (inserts are logged from the table)."""
    for change in plan.changes:
        spec = specs()[change.table]
        if not spec.record.audited or change.operation == "insert":
            continue
        yield (
            change.table,
            schema.audit_key(spec, change.key),
            change.key[0],
            change.operation,
            schema.audit_json(spec, change.before),
            schema.audit_json(spec, change.after),
        )


def _apply_batches(db: sqlite_utils.Database, plan: Plan) -> None:
    batches: dict[tuple[str, str], list[Change]] = defaultdict(list)
    for change in plan.changes:
        batches[(change.table, change.operation)].append(change)
    conn = db.conn
    for (table, operation), changes in batches.items():
        spec = specs()[table]
        q = schema.quote(table)
        pk = spec.record.primary_key
        where = " AND ".join(f"{schema.quote(k)} = ?" for k in pk)
        cols = spec.stored_columns
        if operation == "insert":
            _insert_rows(conn, spec, [encode_values(spec, c.row) for c in changes])
        elif operation == "update":
            sets = ", ".join(f"{schema.quote(c)} = ?" for c in cols)
            sql = f"UPDATE {q} SET {sets} WHERE {where}"
            conn.executemany(sql, [encode_values(spec, c.row) + list(c.key) for c in changes])
        else:
            conn.executemany(f"DELETE FROM {q} WHERE {where}", [list(c.key) for c in changes])


# Bound values per INSERT statement: SQLite's smallest limit (999 before 3.32) holds everywhere.
_VALUES_PER_STATEMENT = 999


def _insert_rows(conn: sqlite3.Connection, spec: schema.TableSpec, rows: list[list[Any]]) -> None:
    """Insert rows, in order, many per statement: a statement's fixed costs (the lists its CHECKs
    test values against are built once per statement execution, the statement journal opened
    and closed) are paid once for tens of rows, not once per row as ``executemany`` pays them:
    half the time of an agreements insert."""
    cols = spec.stored_columns
    head = f"INSERT INTO {schema.quote(spec.name)} ({', '.join(schema.quote(c) for c in cols)}) VALUES "
    one = "(" + ", ".join("?" for _ in cols) + ")"
    per = max(1, _VALUES_PER_STATEMENT // len(cols))
    whole = len(rows) - len(rows) % per
    if whole:
        sql = head + ", ".join([one] * per)
        for start in range(0, whole, per):
            conn.execute(sql, list(itertools.chain.from_iterable(rows[start : start + per])))
    if whole < len(rows):
        conn.executemany(head + one, rows[whole:])


@cache
def _reference_columns(table: str) -> tuple[tuple[str, str], ...]:
    return tuple((c.name, c.ref.table) for c in specs()[table].columns if c.ref)


def missing_references(db: sqlite_utils.Database, records: Sequence[Record]) -> list[tuple[int, str, str, Any, str]]:
    """(index, record, field, value, table) for every reference to an id that exists
    neither in these records nor in the store; the record (or child) that makes it is named
    ``table/key``."""
    return _missing_in(db, flatten_records(records))


def _missing_in(db: sqlite_utils.Database, flat: _Flat) -> list[tuple[int, str, str, Any, str]]:
    """``missing_references`` of records already split into rows."""
    provided: dict[str, set[Any]] = {}
    referenced: dict[str, set[Any]] = defaultdict(set)
    for table, rows in flat.rows.items():
        pk = specs()[table].record.primary_key
        if len(pk) == 1:
            provided[table] = set(map(itemgetter(pk[0]), rows))
        for name, target in _reference_columns(table):
            referenced[target].update(map(itemgetter(name), rows))
    # A first pass gathers ids cheaply; only when some are unknown does a second pass find
    # every place that names them, for the error messages.
    unknown: set[tuple[str, Any]] = set()
    for target, values in referenced.items():
        values.discard(None)
        candidates = values - provided.get(target, set())
        stored = _stored_values(db, target, "id", candidates) if candidates else set()
        unknown.update((target, value) for value in candidates - stored)
    if not unknown:
        return []
    places = []
    for table, rows in flat.rows.items():
        references = _reference_columns(table)
        key_of = _key_of(table)
        for row, index in zip(rows, flat.origin[table], strict=True):
            for name, target in references:
                if (target, row[name]) in unknown:
                    places.append((index, f"{table}/{key_of(row)[0]}", name, row[name], target))
    return sorted(places, key=lambda place: place[0])


def unique_clashes(db: sqlite_utils.Database, flat: _Flat, locations: list[str] | None = None) -> list[Problem]:
    """A value of a unique column (an office's agreement code) that another record holds,
    in this input or in the store: the store would refuse it, said here in words."""
    problems = []
    for table, names in _unique_columns().items():
        rows = flat.rows.get(table, [])
        key_of = _key_of(table)
        pk = specs()[table].record.primary_key[0]
        holders: dict[tuple[str, Any], tuple[int, tuple[Any, ...]]] = {}
        for row, index in zip(rows, flat.origin.get(table, []), strict=True):
            key = key_of(row)
            for name in names:
                value = row[name]
                if value is None:
                    continue
                first = holders.setdefault((name, value), (index, key))
                where = locations[index] if locations else f"record {index + 1}"
                if first[1] != key:
                    problems.append(Problem("duplicate-value", where, f"{name} {value!r} is also given to "
                                            f"{table}/{first[1][0]} ({locations[first[0]] if locations else 'this input'})",
                                            f"{table}/{key[0]}", name, value))
                    continue
                stored = db.conn.execute(
                    f"SELECT {schema.quote(pk)} FROM {schema.quote(table)} WHERE {schema.quote(name)} = ? AND {schema.quote(pk)} != ?",
                    [value, key[0]],
                ).fetchone()
                if stored and not any(key_of(other) == (stored[0],) and other[name] != value for other in rows):
                    problems.append(Problem("duplicate-value", where, f"{name} {value!r} already belongs to {table}/{stored[0]}; "
                                            "one code names one record", f"{table}/{key[0]}", name, value))
    return problems


@cache
def _unique_columns() -> dict[str, tuple[str, ...]]:
    found = {name: tuple(c.name for c in spec.columns if c.unique) for name, spec in specs().items()}
    return {name: columns for name, columns in found.items() if columns}


@dataclass
class _Batch:
    flat: _Flat = field(default_factory=_Flat)
    locations: list[str] = field(default_factory=list)


def _batches(records: Iterable[Record], locations: Iterable[str] | None,
             complete: Iterable[Collection[str]] | None, *, merge: bool) -> Iterator[_Batch]:
    """The input BATCH_RECORDS records at a time, read lazily and split into rows; a record
    without a given location is named by its position ("record 3")."""
    places = itertools.chain(locations, itertools.repeat(None)) if locations is not None else itertools.repeat(None)
    lists = iter(complete) if complete is not None else None
    position = 0
    items = iter(records)
    while chunk := list(itertools.islice(items, BATCH_RECORDS)):
        where = [place or f"record {position + index + 1}" for index, place in enumerate(itertools.islice(places, len(chunk)))]
        position += len(chunk)
        flat = flatten_records(chunk, merge=merge,
                               complete=list(itertools.islice(lists, len(chunk))) if lists is not None else None)
        # handed over without a reference left in this frame: the rows die when the writer is
        # done with them, before its collection, which otherwise walked every row of the batch,
        # alive in ``flat`` here (55 ms a batch, 7 % of a load's CPU)
        handed = [_Batch(flat, where)]
        del chunk, where, flat
        yield handed.pop()


def write_records(
    db: sqlite_utils.Database,
    records: Iterable[Record],
    *,
    actor: str | None = None,
    source: str | None = None,
    dry_run: bool = False,
    locations: Iterable[str] | None = None,
    merge: bool = False,
    complete: Iterable[Collection[str]] | None = None,
    problems: list[Problem] | None = None,
    read_ahead: bool = False,
) -> Plan:
    """Check references, plan, and (unless dry_run) apply the plan in one logged transaction.

    ``locations`` names where each record came from (file and line) for error messages;
    ``merge`` and ``complete`` as for ``plan_changes``. All three are read lazily, alongside:
    an input of more than BATCH_RECORDS records is streamed (planned and written a batch at a
    time in one transaction; a dry run is written and rolled back). ``problems`` is the
    reader's list of what it refused on the way: if it is not empty at the end, nothing is
    written and ProblemsFound is raised with them.

    ``read_ahead``: a streamed input's batches after the first two are read (validated and split
    into rows) by a second process while this one writes (``registry.db.reader``), for a caller
    whose ``records`` and ``locations`` have no effect this process needs besides ``problems``.
    """
    found = problems if problems is not None else []
    batches = _batches(records, locations, complete, merge=merge)
    first = next(batches, _Batch())
    second = next(batches, None)
    if second is None:
        return _write_whole(db, first, found, actor=actor, source=source, dry_run=dry_run)
    head = [first, second]
    del first, second
    with (reader.read_ahead(batches, found) if read_ahead else nullcontext(batches)) as rest:
        return _write_streamed(db, _handed_over(head, rest), found, actor=actor, source=source, dry_run=dry_run)


def _handed_over(head: list[_Batch], rest: Iterator[_Batch]) -> Iterator[_Batch]:
    """The batches read ahead, then the rest, each let go of once handed over: a batch is freed
    as soon as the writer is done with it, not walked by each collection after it."""
    while head:
        yield head.pop(0)
    yield from rest


def _batch_problems(db: sqlite_utils.Database, batch: _Batch) -> list[Problem]:
    problems = [
        _unknown_reference(batch.locations[index], record, name, value, table)
        for index, record, name, value, table in _missing_in(db, batch.flat)
    ]
    return problems + unique_clashes(db, batch.flat, batch.locations)


def _unknown_reference(where: str, record: str, name: str, value: Any, table: str) -> Problem:
    return Problem("unknown-reference", where, f"no record in {table} has this id (neither in this input nor in the registry)",
                   record, name, value)


def _write_whole(db: sqlite_utils.Database, batch: _Batch, found: list[Problem], *, actor: str | None,
                 source: str | None, dry_run: bool) -> Plan:
    """An input that fits one batch: checked, then planned, then written."""
    if not found:  # a reference to a record the reader refused is no news
        found += _batch_problems(db, batch)
    if found:
        raise ProblemsFound(found)
    with gc_paused():
        if dry_run:
            return _plan_flat(db, batch.flat, batch.locations)
        with transaction(db, actor=actor or default_actor(), source=source):
            plan = _plan_flat(db, batch.flat, batch.locations)
            apply_plan(db, plan)
    return plan


# SQLite's page cache during a streamed write, in KiB (its default is 2 MB). Past a few tens
# of thousands of institutions, the random lookups of a load (its references' parents, each
# partner's names when the search index is rebuilt at the end) no longer fit 2 MB, and every
# one becomes a read from the file; this keeps them in memory, well under the 1 GB a load may
# take. The connection's own size comes back afterwards.
STREAMED_CACHE_KIB = 256 * 1024


@contextmanager
def larger_cache(conn: sqlite3.Connection, kib: int = STREAMED_CACHE_KIB) -> Iterator[None]:
    """The connection's page cache at least ``kib`` KiB meanwhile."""
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    held = -before if before < 0 else before * page_size // 1024
    if held >= kib:
        yield
        return
    conn.execute(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {before}")


class _DryRun(Exception):
    """Rolls a streamed dry run back once it is planned."""


def _write_streamed(db: sqlite_utils.Database, batches: Iterable[_Batch], found: list[Problem], *, actor: str | None,
                    source: str | None, dry_run: bool) -> Plan:
    """Each batch checked, planned against what the earlier ones wrote, and applied, in one
    transaction. A reference not found yet may be to a record further on: it waits in a
    temporary table (the foreign keys are checked at commit) and is looked up at the end.
    After the first problem nothing more is written, but the input is still read to the end
    so that every problem is reported at once; the transaction is then rolled back."""
    total = Plan()
    try:
        with young_collections() as collect, larger_cache(db.conn), rollback_journal(db.conn) as rollback, \
                SearchBuild(db) as search_build, transaction(db, actor=actor or default_actor(), source=source), \
                _PendingReferences(db) as pending:
            log.debug("journal: %s", "rollback" if rollback else "write-ahead log")
            bulk = BulkWrite(db, search_build)
            number = 0
            for batch in batches:  # not enumerate: its reused result tuple kept the last batch alive
                number += 1
                if found:
                    continue
                started = time.process_time()
                clashes = unique_clashes(db, batch.flat, batch.locations)
                if clashes:
                    found += clashes
                    continue
                pending.add(batch, _missing_in(db, batch.flat))
                try:
                    plan = _plan_flat(db, batch.flat, batch.locations)
                except ProblemsFound as error:
                    found += error.problems
                    continue
                bulk.apply(plan)
                total.absorb(plan)
                log.debug("batch %d: %d records, %d changes, %.3f s CPU", number, batch.flat.records, len(plan.changes),
                          time.process_time() - started)
                del batch, plan  # dead before the collector looks: it walks only what survives
                collect()
            if not found:
                found += pending.unresolved()
            if found:
                raise ProblemsFound(found)
            if dry_run:  # rolled back, dropped indexes and search triggers included: nothing to rebuild
                raise _DryRun
            bulk.finish()
            finished = time.process_time()
        # the commit: the pages still in the cache written to the file (or to the WAL, then
        # checkpointed into the file), and the journal back to WAL
        log.debug("committed: %.3f s CPU", time.process_time() - finished)
    except _DryRun:
        pass
    return total


class _PendingReferences:
    """References to ids not stored yet, with where they were made, in a temporary table."""

    TABLE = "temp.registry_pending_references"

    def __init__(self, db: sqlite_utils.Database):
        self.conn = db.conn

    def __enter__(self) -> _PendingReferences:
        self.conn.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        self.conn.execute(f"CREATE TABLE {self.TABLE} (position INTEGER PRIMARY KEY, target TEXT, value ANY, "
                          "location TEXT, record TEXT, field TEXT)")
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {self.TABLE}")

    def add(self, batch: _Batch, missing: list[tuple[int, str, str, Any, str]]) -> None:
        self.conn.executemany(
            f"INSERT INTO {self.TABLE} (target, value, location, record, field) VALUES (?, ?, ?, ?, ?)",
            [(table, value, batch.locations[index], record, name) for index, record, name, value, table in missing],
        )

    def unresolved(self) -> list[Problem]:
        targets = [row[0] for row in self.conn.execute(f"SELECT DISTINCT target FROM {self.TABLE}")]
        rows = []
        for target in targets:
            rows += self.conn.execute(
                f"SELECT position, target, value, location, record, field FROM {self.TABLE} "
                f"WHERE target = ? AND value NOT IN (SELECT id FROM {schema.quote(target)})", [target]
            ).fetchall()
        return [_unknown_reference(location, record, name, value, target)
                for _, target, value, location, record, name in sorted(rows)]


def delete_record(db: sqlite_utils.Database, table: str, key: str, *, actor: str | None = None, source: str | None = None) -> bool:
    """Delete one record and (by cascade) its children; the audit log keeps every row."""
    with transaction(db, actor=actor or default_actor(), source=source):
        cursor = db.conn.execute(f"DELETE FROM {schema.quote(table)} WHERE id = ?", [key])
    return cursor.rowcount > 0
