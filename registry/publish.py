"""The public database: a minimised copy of the registry, written by construction.

Nothing is copied and then hidden. The copy is built in a new file from an explicit allow-list
of tables (``PUBLIC_TABLES``), each with the rows and columns that may be public; what is left
out after it was written is overwritten with zeros (``secure_delete``) and the file compacted, so
no deleted page of anything else can linger in it. Tables not named here (contacts, reviews,
findings, screening matches, the audit log, waivers, import rejects ...) never reach it,
whoever adds them later.

References decide the rest, read from the models' ``Ref`` markers: a row pointing at a row
that was not published is left out (or, where the reference is optional, published without
it), and an institution is published only when something published points at it (or it is
the home institution), so a partner named only in a confidential agreement stays out.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, overload

from registry import clock, schema, views
from registry import db as store
from registry.db import migration_plan, search_build, upkeep
from registry.progress import NO_PROGRESS, Progress
from registry.publish_workers import CopyBeside, SearchRanges, SearchRows, SourceCheck

# Page cache of the connection building the copy: most of a copy of a million agreements.
BUILD_CACHE_KIB = 1024 * 1024
# Pages of the public copy: a quarter as many pages to write, link and index as SQLite's 4 KiB
# (at a million agreements, 2026-12-06, idle: 57.0 and 59.6 s against 64.2 and 73.5 s, 89-92 s of
# CPU against 98-116). Its planner statistics, sampled by page, estimate rows a little differently.
COPY_PAGE_BYTES = 16 * 1024
# Tables copied (and indexed) on a second connection while the building one copies the others
# (``_copy_public_rows``): the agreements' terms and counts, about half the rows to copy and index.
BESIDE_TABLES = frozenset({"agreement_programmes", "mobility_terms", "degree_terms", "mobility_flows"})
# Page cache of that connection.
BESIDE_CACHE_KIB = 256 * 1024
# Agreements whose search rows are made in one go, by one of the two connections.
SEARCH_RANGE_ROWS = 20_000


@dataclass(frozen=True)
class PublicTable:
    """One table of the public database.

    ``columns``: the columns whose values are copied; every other column of the model stays
    empty (NULL or its default), so views, search and canned queries written for the
    registry still run on the copy. ``None`` copies every column: only for records that
    hold nothing private by their nature (names, memberships, terms, counts).
    ``where``: which rows may be public, as SQL over the source row ``t``.
    ``required_refs``: optional references without which the row says too much.
    """

    table: str
    columns: tuple[str, ...] | None = None
    where: str = "1"
    # Optional references that, when set, must point at something published or the row stays
    # out (instead of being published without them): a destination offered through a
    # confidential agreement would name the partner of that agreement.
    required_refs: tuple[str, ...] = ()
    # A child table without whose rows a row that had some says too much: an opportunity whose
    # every destination was withheld would still name them in its title and description.
    needs_children: str | None = None


# Agreements still being drafted or negotiated are not public commitments yet.
PUBLIC_AGREEMENT = "t.confidential = 0 AND t.status NOT IN ('draft', 'negotiating')"

PUBLIC_TABLES: tuple[PublicTable, ...] = (
    PublicTable("institutions"),
    PublicTable("institution_names"),
    PublicTable("networks"),
    PublicTable("memberships"),
    PublicTable("programmes"),
    PublicTable("labels"),  # country names and kinds in words, for the views and search
    PublicTable(
        "agreements",
        columns=(
            "id", "title", "kind", "status", "signed_on", "starts_on", "ends_on", "renewal",
            "notice_months", "home_unit", "coordinator", "confidential",
        ),
        where=PUBLIC_AGREEMENT,
    ),
    PublicTable("agreement_parties", columns=("agreement", "institution", "role", "unit")),
    PublicTable("agreement_programmes"),
    PublicTable("mobility_terms"),
    PublicTable("degree_terms"),
    PublicTable("mobility_flows"),
    # The outgoing opportunities students browse (the placements capability), when present.
    PublicTable("opportunities", needs_children="opportunity_destinations"),
    PublicTable("opportunity_destinations", required_refs=("agreement",)),
)


@dataclass
class Publication:
    path: Path
    rows: dict[str, int]
    withheld: dict[str, int]

    def as_dict(self) -> dict:
        return {"path": str(self.path), "rows": self.rows, "withheld": self.withheld}


def _published_specs(source: sqlite3.Connection) -> list[tuple[PublicTable, schema.TableSpec]]:
    present = {row[0] for row in source.execute("SELECT name FROM src.sqlite_master WHERE type = 'table'")}
    specs = store.specs()
    return [(entry, specs[entry.table]) for entry in PUBLIC_TABLES if entry.table in specs and entry.table in present]


def _copy_rows(conn: sqlite3.Connection, entry: PublicTable, spec: schema.TableSpec, copied: set[str]) -> set[str]:
    """Copy the rows of ``entry`` that may be public, in SQLite (no row passes through Python).
    A row whose required reference points at a row of an already copied table (``copied``) that
    was not copied is left out here, so it is never written and then deleted. Returns the
    columns whose references were so enforced."""
    columns = list(entry.columns) if entry.columns is not None else spec.stored_columns
    unknown = set(columns) - set(spec.stored_columns)
    if unknown:
        raise ValueError(f"PUBLIC_TABLES names columns {sorted(unknown)} that {entry.table} does not have")
    names = ", ".join(schema.quote(c) for c in columns)
    selected = ", ".join(f"t.{schema.quote(c)}" for c in columns)
    enforced = [c for c in spec.columns
                if c.ref is not None and c.ref.table in copied and (not c.nullable or c.name in entry.required_refs)]
    where = [f"({entry.where})"] + [
        # a reference is to its table's primary key, so each is one index lookup
        f"(t.{schema.quote(c.name)} IS NULL OR EXISTS (SELECT 1 FROM main.{schema.quote(c.ref.table)} AS target "
        f"WHERE target.{schema.quote(c.ref.column)} = t.{schema.quote(c.name)}))"
        for c in enforced if c.ref is not None
    ]
    conn.execute(f"INSERT INTO main.{schema.quote(spec.name)} ({names}) SELECT {selected} "
                 f"FROM src.{schema.quote(spec.name)} t WHERE {' AND '.join(where)}")
    return {c.name for c in enforced}


def _drop_dangling(conn: sqlite3.Connection, published: list[tuple[PublicTable, schema.TableSpec]],
                   changed: set[str] | None, enforced: frozenset[tuple[str, str]] = frozenset(),
                   only: set[str] | None = None) -> set[str]:
    """Leave out rows that point at unpublished rows; forget optional references to them
    (unless the table requires them). NOT EXISTS, never NOT IN: a NULL in the list makes NOT IN
    unknown for every row, and nothing would ever be left out. Only references to the tables in
    ``changed`` (``None``: all but the ``enforced`` (table, column)s, which ``_copy_rows`` only
    copied where they pointed at a copied row) can have begun to dangle; only the rows of the
    tables ``only`` (``None``: all) are looked at. Returns the tables this changed."""
    names = {spec.name for _, spec in published}
    touched = set()
    for entry, spec in published:
        if only is not None and spec.name not in only:
            continue
        table = schema.quote(spec.name)
        for column in spec.columns:
            if column.ref is None or (changed is not None and column.ref.table not in changed):
                continue
            if changed is None and (spec.name, column.name) in enforced:
                continue
            q, target = schema.quote(column.name), column.ref
            missing = f"{table}.{q} IS NOT NULL AND " + (
                f"NOT EXISTS (SELECT 1 FROM main.{schema.quote(target.table)} AS target "
                f"WHERE target.{schema.quote(target.column)} = {table}.{q})"
                if target.table in names
                else "1"
            )
            if column.nullable and column.name not in entry.required_refs:
                sql = f"UPDATE main.{schema.quote(spec.name)} SET {q} = NULL WHERE {missing}"
            else:
                sql = f"DELETE FROM main.{schema.quote(spec.name)} WHERE {missing}"
            if conn.execute(sql).rowcount:
                touched.add(spec.name)
    return touched


def _drop_emptied(conn: sqlite3.Connection, published: list[tuple[PublicTable, schema.TableSpec]],
                  changed: set[str] | None) -> set[str]:
    """Leave out rows that had children in the registry and kept none in the copy (only
    children in ``changed`` tables, ``None``: all, can have gone); returns the tables changed."""
    specs = {spec.name: spec for _, spec in published}
    touched = set()
    for entry, spec in published:
        child = specs.get(entry.needs_children or "")
        if child is None or (changed is not None and child.name not in changed):
            continue
        for column in child.columns:
            if column.ref is not None and column.ref.table == spec.name:
                table, key, ref = schema.quote(spec.name), schema.quote(column.ref.column), schema.quote(column.name)
                children = f"{{}}.{schema.quote(child.name)} AS child WHERE child.{ref} = main.{table}.{key}"
                if conn.execute(
                    f"DELETE FROM main.{table} WHERE EXISTS (SELECT 1 FROM {children.format('src')}) "
                    f"AND NOT EXISTS (SELECT 1 FROM {children.format('main')})"
                ).rowcount:
                    touched.add(spec.name)
    return touched


def _drop_unpublishable(conn: sqlite3.Connection, tables: list[tuple[PublicTable, schema.TableSpec]],
                        enforced: frozenset[tuple[str, str]]) -> None:
    """Leave out, until nothing changes, what points at something left out, then the institutions
    nothing public names and what points at them. Each round looks only at references to the
    tables the round before changed, the first one at none of the references ``enforced`` while
    copying (nothing has been left out since): the first rounds over every reference of a
    million agreements cost more than all the copying."""
    changed: set[str] | None = None
    while changed is None or changed:
        changed = _drop_dangling(conn, tables, changed, enforced) | _drop_emptied(conn, tables, changed)
    published = [spec for _, spec in tables]
    if any(spec.name == "institutions" for spec in published) and _drop_unreferenced_institutions(conn, published):
        # Only an institution nothing else published names was left out: what can name it now are
        # its own children and institutions (at a million agreements, the agreements' 1.6 million
        # parties were read again for nothing).
        changed = _drop_dangling(conn, tables, {"institutions"}, only=_institutions_own_children() | {"institutions"})
        while changed:
            changed = _drop_dangling(conn, tables, changed)


def _institutions_own_children() -> set[str]:
    """The tables whose rows are part of an institution's record (its names, memberships ...)."""
    return {child.table for child, _ in store.specs()["institutions"].record.children.values()}


def _drop_unreferenced_institutions(conn: sqlite3.Connection, published: list[schema.TableSpec]) -> int:
    """An institution is public when something public names it: a membership of a published
    network, a party to a published agreement, a published opportunity's destination. Its own
    names do not count, and neither does another institution. NOT EXISTS rather than NOT IN:
    a destination that is a country has a NULL institution, and one NULL in a NOT IN list
    made the condition unknown for every row, so every institution was kept."""
    own_children = _institutions_own_children()
    anchors = [
        f"EXISTS (SELECT 1 FROM main.{schema.quote(spec.name)} AS anchor "
        f"WHERE anchor.{schema.quote(c.name)} = main.institutions.id)"
        for spec in published
        if spec.name not in own_children and spec.name != "institutions"
        for c in spec.columns
        if c.ref is not None and c.ref.table == "institutions"
    ]
    named = " OR ".join(anchors) if anchors else "0"
    return conn.execute(f"DELETE FROM main.institutions WHERE is_home = 0 AND NOT ({named})").rowcount


def _add_search(conn: sqlite3.Connection, build: Path, folder: Path, taken: bool, indexed: Path | None) -> None:
    """The registry's own search tables, filled once; the copy is read-only, so no triggers.

    Both are built in a file of their own (``search_build``, attached from ``folder`` by
    ``_attach_search_build``) and their shadow tables then copied into the copy as they are:
    nothing of the index is written twice (to a log, then to the file). Unless the copy's
    transaction ``taken`` them already from the registry's own rows (``_take_search_rows``),
    the rows are made here from the copy's tables (``_make_search_rows``). The agreements' index
    ``indexed`` beside (``_index_beside``), when given, is copied from its file instead."""
    for statement in search_build.search_tables_sql():
        conn.execute(statement)
    if not taken:
        _make_search_rows(conn, build, folder)
    if indexed is not None:
        conn.execute("ATTACH DATABASE ? AS agreements_index", [str(indexed)])
        store.map_for_reading(conn, "agreements_index")
    with _transaction(conn):
        if indexed is None:
            search_build.copy_search_build(conn, "search_build")
        else:
            search_build.copy_search_build(conn, "search_build", [t for t in schema.SEARCH_TABLES if t != "agreements_fts"])
            search_build.copy_search_build(conn, "agreements_index", ["agreements_fts"])
    if indexed is not None:
        conn.execute("DETACH DATABASE agreements_index")
    conn.execute("DETACH DATABASE search_build")


def _registry_rows_hold(conn: sqlite3.Connection, withheld: Counter[str]) -> bool:
    """Whether the registry's search rows of every published agreement (the registry ``src`` of
    ``conn``, read in the copy's transaction) are, but for the columns read from the agreement's
    own row (which ``stored_agreement_search_rows`` reads in the copy), the rows the copy's
    tables make:

    - the registry keeps them current: its search tables and triggers are this release's
      (``schema.SEARCH_SQL``: every table a row is made from, ``labels`` included, refreshes
      the rows it touches), which a migration or a bulk write's rebuild leaves them too;
    - the copy holds, of every published agreement, what its row is made from, as the registry
      has it: each table it reads is published with every column it reads (the agreements' but
      those of their own columns) and every row (no ``where``), and no row was withheld from a table
      it reads that is no agreement's or institution's record (``withheld``). A row of an
      agreement's record (its parties, terms, programmes) is then left out only with its
      agreement, and a row of an institution's (names, memberships) only with its institution,
      which is published whenever a published agreement names it.

    Otherwise the rows are made (``_make_search_rows``), as they always were."""
    expected = upkeep.master(upkeep.reference())
    search_objects = [("trigger", name) for name in migration_plan.search_triggers()] + [
        (kind, name) for kind, name in expected if kind == "table" and name in schema.SEARCH_TABLES]
    for kind, name in search_objects:
        found = conn.execute("SELECT sql FROM src.sqlite_master WHERE type = ? AND name = ?", [kind, name]).fetchone()
        if found is None or found[0] != expected.get((kind, name)):
            return False
    entries = {entry.table: entry for entry in PUBLIC_TABLES}
    specs = store.specs()
    records = {"agreements", "institutions"}
    for table, read in migration_plan.search_sources("agreements_fts").items():
        entry = entries.get(table)
        own = schema.AGREEMENT_OWN_COLUMNS if table == "agreements" else frozenset()
        if entry is None or not set(read) - own <= set(entry.columns or specs[table].stored_columns):
            return False
        if table == "agreements":
            continue
        if entry.where != "1" or entry.required_refs or entry.needs_children:
            return False
        part_of_record = any(c.ref is not None and c.ref.table in records for c in specs[table].columns)
        if table not in records and not part_of_record and withheld.get(table, 0):
            return False
    return True


def _take_search_rows(conn: sqlite3.Connection, copier: CopyBeside) -> bool:
    """Fill ``search_build``'s tables, in the copy's transaction (so the registry ``src`` is read
    as the copy was): the institutions' rows made from the copy (while ``copier`` may still be
    indexing), the agreements' taken from the registry's (``schema.stored_agreement_search_rows``),
    in rowid order in one transaction (FTS5 then appends to its segments instead of merging them:
    at a million agreements 21 s of CPU against 29-30 s a range at a time), unless ``copier``
    indexed them beside as they would be here (``_indexed_beside_holds``). Returns whether it did."""
    conn.execute(f"INSERT INTO search_build.institutions_fts ({schema.INSTITUTION_SEARCH_COLUMNS}) "
                 f"{schema.institution_search_rows()}")
    copier.result()
    if _indexed_beside_holds(conn, copier):
        return True
    conn.execute(f"INSERT INTO search_build.agreements_fts ({schema.AGREEMENT_SEARCH_COLUMNS}) "
                 f"{schema.stored_agreement_search_rows('src')}")
    return False


def _make_search_rows(conn: sqlite3.Connection, build: Path, folder: Path) -> None:
    """Fill ``search_build``'s tables with rows made from the copy's tables. The agreements' rows
    are made a range at a time, from both ends, by this connection and by a worker on a second
    connection (``SearchRows``), which reads the copy's file without write-ahead logging (nothing
    writes it meanwhile); this connection indexes its own ranges as it makes them and the worker's
    as they are finished, each in a transaction of its own (which reads the worker's file afresh),
    and reads the institutions' part of the rows (``SearchRows.INSTITUTION_TEXT``) once the worker
    has it."""
    bounds = [row[0] for row in conn.execute(
        "SELECT rowid FROM (SELECT rowid, row_number() OVER (ORDER BY rowid) AS n FROM agreements) "
        "WHERE n % ? = 0", [SEARCH_RANGE_ROWS])]
    ranges = SearchRanges(bounds)
    columns = schema.AGREEMENT_SEARCH_COLUMNS
    rows = SearchRows(build, folder / "rows.db", ranges)
    conn.execute("ATTACH DATABASE ? AS scratch", [str(rows.scratch)])
    store.map_for_reading(conn, "scratch")  # each range reads the institutions' text there
    rows.start()
    try:
        with _transaction(conn):
            conn.execute(f"INSERT INTO search_build.institutions_fts ({schema.INSTITUTION_SEARCH_COLUMNS}) "
                         f"{schema.institution_search_rows()}")
        institution_text: str | None = None
        subject_words: str | None = None
        worker_done = False
        # A transaction per range: each reads the worker's file afresh, so it sees the tables
        # finished since; in a file of its own, without a journal, a commit costs nothing more.
        while not worker_done:
            try:
                table = rows.ready.get_nowait()
            except queue.Empty:
                if (span := ranges.take_low()) is not None:
                    made = schema.agreement_search_rows(SearchRanges.where(span), institution_text=institution_text,
                                                        subject_words=subject_words)
                    with _transaction(conn):
                        conn.execute(f"INSERT INTO search_build.agreements_fts ({columns}) {made}")
                    continue
                table = rows.ready.get()
            if table is None:
                worker_done = True
            elif table == SearchRows.INSTITUTION_TEXT:
                institution_text, subject_words = f"scratch.{table}", f"scratch.{SearchRows.SUBJECT_WORDS}"
            else:
                with _transaction(conn):
                    conn.execute(f"INSERT INTO search_build.agreements_fts ({columns}) SELECT * FROM scratch.{table}")
        rows.result()
    except BaseException:
        ranges.drop_all()
        raise
    finally:
        rows.join()
    conn.execute("DETACH DATABASE scratch")


def _attach_search_build(conn: sqlite3.Connection, path: Path) -> None:
    """Attach a new file ``search_build`` holding empty search tables like the copy's (``registry.db.search_build``)."""
    conn.execute("ATTACH DATABASE ? AS search_build", [str(path)])
    # It takes the main database's secure_delete when attached: it holds only public text, and
    # is deleted whole.
    conn.execute("PRAGMA search_build.secure_delete = OFF")
    search_build.prepare_search_build(conn, "search_build", BUILD_CACHE_KIB)


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _add_views(conn: sqlite3.Connection) -> None:
    # The copy is for anyone, read by any SQLite tool, which has no registry_today(): its views
    # count days from the reader's calendar.
    for statement in store.split_sql(views.create_views_sql().replace("registry_today()", "date('now')")):
        conn.execute(statement)
    # A view over tables the copy does not hold (placement rounds ...) would only fail when opened.
    for (view,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
        try:
            conn.execute(f"SELECT * FROM {schema.quote(view)} LIMIT 0")
        except sqlite3.OperationalError:
            conn.execute(f"DROP VIEW {schema.quote(view)}")
    conn.execute(
        "CREATE TABLE publication (id INTEGER PRIMARY KEY CHECK (id = 1), published_at TEXT NOT NULL, note TEXT NOT NULL)"
    )
    conn.execute(
        "INSERT INTO publication VALUES (1, ?, ?)",
        [
            clock.now_text(),
            "The public copy of the registry: institutions, networks, programmes and non-confidential "
            "agreements with their terms and mobility counts. No contacts, reviews, findings or audit log.",
        ],
    )


def is_public_copy(path: str | Path) -> bool:
    """Whether ``path`` is a public copy ``publish`` wrote: a SQLite file with the publication
    table and nothing but the published tables, their search tables and SQLite's statistics."""
    published = {entry.table for entry in PUBLIC_TABLES}
    try:
        conn = sqlite3.connect(store.read_only_uri(path), uri=True)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    others = {t for t in tables if t not in published and not any(t.startswith(p + "_fts") for p in published)}
    return "publication" in tables and others <= {"publication", "sqlite_stat1", "sqlite_stat4"}


class WouldOverwrite(ValueError):
    """The output file exists and is not a public copy: replacing it could destroy a registry."""


@overload
def publish(source_path: str | Path, out: str | Path, *, force: bool = ..., progress: Progress = ...,
            if_changed: Literal[False] = ...) -> Publication: ...


@overload
def publish(source_path: str | Path, out: str | Path, *, force: bool = ..., progress: Progress = ...,
            if_changed: bool) -> Publication | None: ...


def publish(source_path: str | Path, out: str | Path, *, force: bool = False,
            progress: Progress = NO_PROGRESS, if_changed: bool = False) -> Publication | None:
    """Write the public database ``out`` from the registry at ``source_path``. An existing
    ``out`` is replaced only when it is an earlier public copy, or with ``force``. With
    ``if_changed``, nothing is written (``None``) when ``out`` already holds the registry as it
    is now: no change has reached its audit log since (``source_state``)."""
    source_path, out = Path(source_path), Path(out)
    if out.resolve() == source_path.resolve():
        raise ValueError("the public database must be a new file, not the registry itself")
    if out.is_dir():
        raise WouldOverwrite(f"{out} is a folder: give the public database a file name, e.g. {out / 'public.db'}")
    if out.exists() and not force and not is_public_copy(out):
        raise WouldOverwrite(
            f"{out} exists and is not a public copy made by 'registry publish'; nothing was written: "
            "choose another --out, or pass --force to replace it"
        )
    # A registry of this release's schema (and undamaged: _build checks beside the copy, as a copy
    # of a damaged file would publish the damage).
    store.open_registry(source_path, read_only=True).conn.close()
    store.require_folder(out, "the public copy")
    # Read and write under one lock: a publish that read older rows must not replace a newer copy.
    with publishing(out) as lock:
        # Read before the copy is made: a change meanwhile is in the copy or makes the next publish.
        state = source_state(source_path)
        if if_changed and _recorded_state(lock) == state and is_public_copy(out):
            return None
        publication = _build(source_path, out, progress)
        _record_state(lock, state)
        return publication


def source_state(source_path: Path) -> dict[str, Any]:
    """What a public copy of the registry at ``source_path`` depends on: the registry, the last
    entry of its audit log (every change to anything the copy holds is logged there) and its
    schema's version."""
    conn = sqlite3.connect(store.read_only_uri(source_path), uri=True)
    try:
        last = conn.execute(f"SELECT max(id) FROM {schema.AUDIT_TABLE}").fetchone()[0]
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
    finally:
        conn.close()
    return {"registry": str(source_path.resolve()), "last_change": last, "schema_version": version}


def _recorded_state(lock: IO[bytes]) -> dict[str, Any] | None:
    lock.seek(0)
    try:
        return json.loads(lock.read() or b"null")
    except ValueError:
        return None


def _record_state(lock: IO[bytes], state: dict[str, Any]) -> None:
    lock.seek(0)
    lock.truncate()
    lock.write(json.dumps(state).encode())
    lock.flush()


def _build(source_path: Path, out: Path, progress: Progress) -> Publication:
    """Build the copy in a new file beside ``out`` and swap it in. The source's quick check runs
    meanwhile on a second connection; the copy is put in place only once it found the file sound."""
    handle, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".build.db", dir=out.parent)
    os.close(handle)
    build = Path(name)
    build.unlink()  # SQLite makes it anew, readable as any file it makes (mkstemp's is the owner's only)
    source_check = SourceCheck(source_path)
    source_check.start()
    try:
        with closing(sqlite3.connect(build, isolation_level=None)) as conn:
            return _build_in(conn, source_path, build, out, progress, source_check)
    except Exception as error:
        # A damaged file fails in odd ways (malformed pages, a wrong count): say what it is.
        if source_check.damaged() and source_check.error is not error:
            raise source_check.error from error  # type: ignore[misc]
        raise
    finally:
        source_check.join()
        for path in (build, build.with_name(build.name + "-wal"), build.with_name(build.name + "-shm"), beside_path(build)):
            path.unlink(missing_ok=True)


def _build_in(conn: sqlite3.Connection, source_path: Path, build: Path, out: Path, progress: Progress,
              source_check: SourceCheck) -> Publication:
    # A new file, swapped in only whole once finished (_swap_in): nothing to roll back or make
    # durable until then.
    _prepare_copy_file(conn, source_path, BUILD_CACHE_KIB)
    # A row left out after it was written is overwritten with zeros, and _finish hands every page
    # it freed back (incremental vacuum): the file must not keep a trace of what is not public.
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    conn.execute("PRAGMA secure_delete = ON")
    with tempfile.TemporaryDirectory(prefix=f"{build.name}-search-", dir=build.parent) as folder:
        _attach_search_build(conn, Path(folder) / "index.db")  # attached outside a transaction
        beside_index = Path(folder) / "agreements.db"
        # Whether the registry changed while the copy's transaction and the worker's read it
        # (``_index_beside``): read before either does.
        with closing(sqlite3.connect(store.read_only_uri(source_path), uri=True, check_same_thread=False)) as watch:
            version = watch.execute("PRAGMA data_version").fetchone()[0]
            conn.execute("BEGIN")
            tables = _published_specs(conn)  # the copy's transaction reads the registry from here on
            # Started after: its reading of the registry begins later than the copy's.
            copier = CopyBeside(lambda worker: _copy_beside(worker, source_path, beside_path(build), tables,
                                                            beside_index, watch, version))
            copier.start()
            try:
                enforced = _copy_public_rows(conn, tables, copier, beside_path(build), progress)
                published = [spec for _, spec in tables]
                _drop_unpublishable(conn, tables, enforced)
                rows = {spec.name: conn.execute(f"SELECT count(*) FROM main.{schema.quote(spec.name)}").fetchone()[0]
                        for spec in published}
                withheld = Counter(
                    {spec.name: conn.execute(f"SELECT count(*) FROM src.{schema.quote(spec.name)}").fetchone()[0] - rows[spec.name]
                     for spec in published}
                )
                taken = _registry_rows_hold(conn, withheld)
                indexed = bool(_take_search_rows(conn, copier)) if taken else False
                copier.result()
            finally:
                copier.stop.set()
                copier.join()
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")  # from here on, unqualified names can only mean the copy
        conn.execute("DETACH DATABASE beside")
        # What is freed from here on (the empty search tables' first pages) held only public text.
        conn.execute("PRAGMA secure_delete = OFF")
        # Before the search: its worker reads the copy, and nothing writes it until the worker is done.
        conn.execute("BEGIN")
        _add_views(conn)
        conn.execute("COMMIT")
        _add_search(conn, build, Path(folder), taken, beside_index if indexed else None)
    # After the search: the planner's statistics would change the order its rows list networks in.
    store.refresh_statistics(conn, [spec.name for spec in published])
    _finish(conn)
    conn.close()
    _swap_in(build, out, before_swap=source_check.result)
    return Publication(out, rows, {name: count for name, count in withheld.items() if count})


def _copy_public_rows(conn: sqlite3.Connection, tables: list[tuple[PublicTable, schema.TableSpec]],
                      copier: CopyBeside, side: Path, progress: Progress) -> frozenset[tuple[str, str]]:
    """Copy the public rows of ``tables`` into the copy (``conn``, in its transaction) and index
    them; returns the references (table, column) enforced on the way (``_copy_rows``).

    The tables of ``BESIDE_TABLES`` are copied and indexed meanwhile by ``copier`` (started, on
    a second connection) into the file ``side`` (``_copy_beside``), then transferred into the
    copy whole, records and index entries as they are (SQLite's transfer of a table into an
    empty one with the same indexes): this connection copies and indexes the others meanwhile.
    The side file stays attached as ``beside`` (a database is detached only outside a transaction)."""
    for _, spec in tables:
        conn.execute(schema.create_table_sql(spec))
    beside = {spec.name for _, spec in tables if spec.name in BESIDE_TABLES}
    # The rows were checked by these very constraints on their way into the registry (whose schema
    # open_registry found to be this release's), and a column left out is NULL or its default,
    # which no check refuses: checking again cost more than copying. integrity_check on the
    # public copy checks them all (tests/test_publish.py).
    conn.execute("PRAGMA ignore_check_constraints = ON")
    copied: set[str] = set()
    enforced: set[tuple[str, str]] = set()
    for entry, spec in progress.iterate(tables, len(tables), "copying public tables"):
        if spec.name not in beside:
            enforced.update((spec.name, column) for column in _copy_rows(conn, entry, spec, copied))
            copied.add(spec.name)
    # Indexes first: every reference is indexed, and the checks that follow look rows up by
    # reference (without them, 20,000 institutions each scanned 200,000 agreement parties).
    for _, spec in tables:
        if spec.name not in beside:
            for statement in schema.index_sql(spec):
                conn.execute(statement)
    copier.wait_copied()
    enforced.update(copier.enforced)
    if not copier.same_registry:
        for number, (entry, spec) in enumerate(tables):
            if spec.name in beside:  # as if copied in its turn: referring to the tables before it
                before = {earlier.name for _, earlier in tables[:number]}
                enforced.update((spec.name, column) for column in _copy_rows(conn, entry, spec, before))
        for _, spec in tables:
            if spec.name in beside:
                for statement in schema.index_sql(spec):
                    conn.execute(statement)
        beside = set()
    conn.execute("ATTACH DATABASE ? AS beside", [str(side)])
    store.map_for_reading(conn, "beside")
    for _, spec in tables:
        if spec.name in beside:
            # Empty indexes like the side file's, so the transfer copies their entries too.
            for statement in schema.index_sql(spec):
                conn.execute(statement)
            table = schema.quote(spec.name)
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM beside.{table}")
    conn.execute("PRAGMA ignore_check_constraints = OFF")
    return frozenset(enforced)


def _copy_beside(copier: CopyBeside, source_path: Path, side: Path, tables: list[tuple[PublicTable, schema.TableSpec]],
                 index: Path, watch: sqlite3.Connection, version: int) -> None:
    """Copy the public rows of the tables of ``BESIDE_TABLES`` into the new file ``side`` and
    index them, as ``_copy_public_rows`` would in the copy: with them, the tables they refer to
    (in the order of ``tables``), so the same references are enforced while copying and the same
    rows copied; the agreements always. Hands the references so enforced of the ``BESIDE_TABLES``
    over to ``copier`` once committed, then indexes the agreements' search rows into the new file
    ``index`` (``_index_beside``) unless the registry's rows cannot be taken anyway. Copies
    nothing when ``watch`` finds the registry changed since it read ``version`` (before the copy's
    transaction began): the building connection copies those tables then."""
    beside = {spec.name for _, spec in tables if spec.name in BESIDE_TABLES}
    references = {spec.name: {c.ref.table for c in spec.columns if c.ref is not None} for _, spec in tables}
    needed = beside | ({"agreements"} & references.keys())
    while grown := set().union(*(references[name] for name in needed)) & references.keys() - needed:
        needed |= grown
    with closing(sqlite3.connect(side, isolation_level=None)) as conn:
        # A new file of this publish only, deleted with the build whatever happens.
        _prepare_copy_file(conn, source_path, BESIDE_CACHE_KIB)
        conn.execute("BEGIN")
        conn.execute("SELECT 1 FROM src.sqlite_master LIMIT 1")  # this transaction's reading of the registry begins
        if watch.execute("PRAGMA data_version").fetchone()[0] != version:
            # The registry changed since the copy's transaction began reading it: these rows could
            # be of another state of it. The building connection copies them itself.
            conn.execute("ROLLBACK")
            copier.copied(set(), same_registry=False)
            return
        conn.execute("PRAGMA ignore_check_constraints = ON")  # as in _copy_public_rows
        copied: set[str] = set()
        enforced: set[tuple[str, str]] = set()
        for entry, spec in tables:
            if spec.name in needed:
                conn.execute(schema.create_table_sql(spec))
                enforced.update((spec.name, column) for column in _copy_rows(conn, entry, spec, copied))
                copied.add(spec.name)
        for _, spec in tables:
            if spec.name in beside:
                for statement in schema.index_sql(spec):
                    conn.execute(statement)
        conn.execute("COMMIT")
        copier.copied({(table, column) for table, column in enforced if table in beside})
        # Of the registry's rows, only whether its search objects are this release's is known
        # here: the building connection decides the rest (``_registry_rows_hold``).
        if "agreements" in copied and not copier.stop.is_set() and _registry_rows_hold(conn, Counter()):
            copier.indexed = _index_beside(conn, index, watch, version)


def _index_beside(conn: sqlite3.Connection, index: Path, watch: sqlite3.Connection, version: int) -> bool:
    """Index the registry's search rows of the agreements copied into ``conn``'s main file (by
    ``_copy_beside``, as the copy's own were before anything was left out) into the new file
    ``index``, as ``_take_search_rows`` would (in rowid order in one transaction): while the
    building connection copies, not after. Whether every agreement had a row and the registry
    read is the one the copy's transaction reads: ``watch`` saw no change since it read
    ``version``, before the copy's transaction and after this one began reading the registry
    (so the copy beside, committed before, read it too). The building connection takes the
    index only where no agreement was left out (``_indexed_beside_holds``): FTS5 keeps a deleted
    row's words in its segments, which would put what is not public in the copy's file."""
    conn.execute("ATTACH DATABASE ? AS agreements_index", [str(index)])
    search_build.prepare_search_build(conn, "agreements_index", BUILD_CACHE_KIB)  # as the building connection's
    with _transaction(conn):
        conn.execute("SELECT 1 FROM src.sqlite_master LIMIT 1")  # this transaction's reading of the registry begins
        if watch.execute("PRAGMA data_version").fetchone()[0] != version:
            return False
        conn.execute(f"INSERT INTO agreements_index.agreements_fts ({schema.AGREEMENT_SEARCH_COLUMNS}) "
                     f"{schema.stored_agreement_search_rows('src', made=False)}")
        indexed = conn.execute("SELECT count(*) FROM agreements_index.agreements_fts_docsize").fetchone()[0]
        complete: bool = indexed == conn.execute("SELECT count(*) FROM main.agreements").fetchone()[0]
    conn.execute("DETACH DATABASE agreements_index")
    return complete


def _indexed_beside_holds(conn: sqlite3.Connection, copier: CopyBeside) -> bool:
    """Whether the index ``copier`` made (finished) holds the rows ``_take_search_rows`` would
    take in the copy's transaction (``conn``, with the side file attached as ``beside``): it made
    one, and the copy holds every agreement copied beside with the same rowid and own columns."""
    if not copier.indexed:
        return False
    same = " AND ".join(["b.rowid = a.rowid", "b.id = a.id"] + [
        f"b.{schema.quote(c)} IS a.{schema.quote(c)}" for c in sorted(schema.AGREEMENT_OWN_COLUMNS - {"ROWID"})])
    counts = [conn.execute(sql).fetchone()[0] for sql in (
        "SELECT count(*) FROM main.agreements", "SELECT count(*) FROM beside.agreements",
        f"SELECT count(*) FROM main.agreements a JOIN beside.agreements b ON {same}")]
    return counts[0] == counts[1] == counts[2]


def _prepare_copy_file(conn: sqlite3.Connection, source_path: Path, cache_kib: int) -> None:
    """Set up ``conn``'s new main file to be written without a journal (thrown away whole if the
    publish fails), in ``COPY_PAGE_BYTES`` pages, and attach the registry read-only as ``src``."""
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"PRAGMA page_size = {COPY_PAGE_BYTES}")
    conn.execute(f"PRAGMA cache_size = {-cache_kib}")
    conn.execute(f"PRAGMA temp_store = {search_build.TEMP_STORE}")
    clock.register_sql(conn)
    conn.execute("ATTACH DATABASE ? AS src", [store.read_only_uri(source_path)])
    store.map_for_reading(conn, "src")


def beside_path(build: Path) -> Path:
    """The file ``_copy_beside`` writes for the copy being built at ``build``."""
    return build.with_name(build.name + "-beside")


def _finish(conn: sqlite3.Connection) -> None:
    """Make the built file a plain, compact SQLite file that holds the copy and nothing else."""
    # Free pages (rows left out, the empty search tables' first pages) are filled with pages from
    # the end of the file, which is cut short: much cheaper than rewriting it all (VACUUM).
    # executescript steps it to the end; execute() would stop after its first page. Still
    # without a journal: a file that is not yet in place has nothing to roll back to.
    conn.executescript("PRAGMA incremental_vacuum;")
    if conn.execute("PRAGMA freelist_count").fetchone()[0]:
        raise sqlite3.DatabaseError("the public copy kept free pages after its incremental vacuum")
    conn.execute("PRAGMA journal_mode = DELETE")  # read by any SQLite tool, from a read-only folder too


@contextmanager
def publishing(out: Path) -> Iterator[IO[bytes]]:
    """Hold the lock of public copy ``out``: two publishes never write it at once, from one
    process or several (a following server, a timer, someone at a shell). Blocks until free.
    The lock file (``.public.db.lock`` beside ``public.db``) also records which state of which
    registry the copy holds (``source_state``), for ``publish(if_changed=True)``."""
    with open(out.with_name(f".{out.name}.lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield lock
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _swap_in(build: Path, out: Path, before_swap: Callable[[], None]) -> None:
    """Put the finished copy ``build`` (a new file beside ``out``) on disk for good (fsync), then
    in ``out``'s place in one step (``os.replace``): a reader opens the old copy or the new one,
    never half of one, and a failure on the way (or in ``before_swap``) leaves the old copy as
    it was."""
    _fsync(build)
    before_swap()
    os.replace(build, out)
    _fsync(out.parent)  # the rename itself, so a crash cannot bring the old name back


def _fsync(path: str | Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
