"""The search index built in a file of its own, then copied whole into the registry or public copy.

An FTS5 table indexing a million rows spends much of its time linking and merging segments:
built in a separate file with 16 KiB pages and an 8 MiB buffer of pending rows (1 MiB by
default: fewer, longer segments), its shadow tables (``FTS_INDEX_PARTS``) are then copied into
the target as they are, one INSERT ... SELECT each (SQLite copies the records without decoding
them). ``registry publish`` builds its copy's index so (``registry.publish``); a streamed bulk
write does too (``SearchBuild``), with the indexing on a second connection in a thread while its
own connection computes the rows: computing the rows (the partners' names, the topics) is about
60 % of an in-place rebuild and indexing them 40 %, and the thread's SQLite runs on the second
core (the reading process of a load is done by then). At 200,000 agreements the rebuild took
12.2 s of CPU (both threads) against 14.7-17.2 s in place, the same rows
(``python -m benchmarks.search_rebuild COPY --beside``).

The index's rows are the ones ``registry.schema.REBUILD_SEARCH_SQL`` makes, in the same order
and with the same rowids; only the layout of the FTS5 segments differs from an index built in
place (``tests/test_search_rebuild.py``). The target's ``_config`` shadow table, which holds only
settings, stays its own: the build's larger buffer is no part of it.
"""

from __future__ import annotations

import queue
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlite_utils

from registry import schema
from registry.db.connection import file_path, split_sql
from registry.db.upkeep import rebuild_search

# The shadow tables of an FTS5 table that hold its rows and index; its _config holds only its
# settings, which stay the target's own.
FTS_INDEX_PARTS = ("data", "idx", "content", "docsize")
# Pages of the file the search index is built in (a quarter as many pages to write and link as 4 KiB).
SEARCH_BUILD_PAGE_BYTES = 16 * 1024
# Bytes of search rows an FTS5 table gathers in memory before writing them as a segment (1 MiB
# by default): fewer, longer segments, about a fifth less CPU to index the agreements.
SEARCH_BUILD_HASH_BYTES = 8 * 1024 * 1024
# Where the connections making search rows keep what a statement materialises (``WITH x AS
# MATERIALIZED``: the partners' text of a range of 20,000 agreements, about 6 MB): in memory, not
# in a temporary file each range writes and reads back a page per system call.
TEMP_STORE = "MEMORY"


def prepare_search_build(conn: sqlite3.Connection, database: str, cache_kib: int) -> None:
    """Make empty search tables in ``database`` of ``conn``, a new file, with the build's pages,
    buffer and no journal (a failed build is thrown away whole)."""
    conn.execute(f"PRAGMA {database}.page_size = {SEARCH_BUILD_PAGE_BYTES}")
    conn.execute(f"PRAGMA {database}.journal_mode = OFF")
    conn.execute(f"PRAGMA {database}.synchronous = OFF")
    conn.execute(f"PRAGMA {database}.cache_size = {-cache_kib}")
    for statement in search_tables_sql():
        conn.execute(re.sub(r"(?i)^(CREATE VIRTUAL TABLE IF NOT EXISTS )", rf"\1{database}.", statement))
    for table in schema.SEARCH_TABLES:
        conn.execute(f"INSERT INTO {database}.{table} ({table}, rank) VALUES ('hashsize', {SEARCH_BUILD_HASH_BYTES})")


def search_tables_sql() -> list[str]:
    """The statements creating the (empty) search tables, as the schema has them."""
    return [statement for statement in split_sql(schema.SEARCH_SQL) if statement.upper().startswith("CREATE VIRTUAL TABLE")]


def copy_search_build(conn: sqlite3.Connection, database: str, tables: Iterable[str] = tuple(schema.SEARCH_TABLES)) -> None:
    """Replace the index of each search table (of ``tables``) of ``conn``'s main database by the
    one built in ``database`` (attached to ``conn``), inside the caller's transaction."""
    for table in tables:
        for part in FTS_INDEX_PARTS:
            shadow = schema.quote(f"{table}_{part}")
            conn.execute(f"DELETE FROM main.{shadow}")
            conn.execute(f"INSERT INTO main.{shadow} SELECT * FROM {database}.{shadow}")


class Worker(threading.Thread):
    """A thread running ``work``, whose failure is raised again by ``result()``, in the thread that waits for it."""

    def __init__(self, name: str, work: Callable[[], None]):
        super().__init__(name=name, daemon=True)
        self.work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as error:  # handed to the waiting thread by result()
            self.error = error

    def result(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error


# Rows handed to the indexing thread at a time, and how many such lots may wait for it.
_LOT_ROWS = 2_000
_LOTS_WAITING = 8
# The indexing connection's page cache: it writes segments one after another, so little is read back.
_INDEXER_CACHE_KIB = 64 * 1024


class _Indexer(Worker):
    """Search rows put on ``lots`` as (table, rows) indexed into the new file ``path`` on a
    connection of its own; ``None`` ends the build (committed) and the thread."""

    def __init__(self, path: Path):
        super().__init__("registry-search-index", self._index)
        self.path = path
        self.lots: queue.Queue[tuple[str, list[tuple[Any, ...]]] | None] = queue.Queue(_LOTS_WAITING)

    def _index(self) -> None:
        with closing(sqlite3.connect(self.path, isolation_level=None)) as conn:
            prepare_search_build(conn, "main", _INDEXER_CACHE_KIB)
            inserts = {table: f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in names.split(','))})"
                       for table, names in schema.SEARCH_COLUMNS.items()}
            conn.execute("BEGIN")
            while (lot := self.lots.get()) is not None:
                table, rows = lot
                conn.executemany(inserts[table], rows)
            conn.execute("COMMIT")

    def put(self, lot: tuple[str, list[tuple[Any, ...]]] | None) -> None:
        """Hand a lot over, waiting while enough wait; raises the thread's failure if it has stopped."""
        while True:
            if not self.is_alive():
                self.result()
                raise RuntimeError("the search index's thread stopped before the end of its rows")
            try:
                self.lots.put(lot, timeout=0.1)
                return
            except queue.Full:
                continue


class SearchBuild:
    """A folder beside the registry for a bulk write's search index (``rebuild``), entered before
    the write's transaction and left after it: the built file stays attached until the
    transaction ends (SQLite detaches no file a transaction has read), and is removed then,
    whatever happened. A registry in memory rebuilds its index in place."""

    DATABASE = "search_build"

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.folder: Path | None = None
        self.attached = False

    def __enter__(self) -> SearchBuild:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        try:
            if self.attached:
                self.db.conn.execute(f"DETACH DATABASE {self.DATABASE}")
                self.attached = False
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None

    def rebuild(self) -> None:
        """The search index rebuilt from the rows ``REBUILD_SEARCH_SQL`` makes, inside the caller's transaction."""
        path = file_path(self.db.conn)
        if not path:
            rebuild_search(self.db)
            return
        self.folder = Path(tempfile.mkdtemp(prefix=f"{Path(path).name}-search-", dir=Path(path).parent))
        build = self.folder / "index.db"
        indexer = _Indexer(build)
        indexer.start()
        try:
            for table, rows in _search_rows(self.db.conn):
                indexer.put((table, rows))
            indexer.put(None)
            indexer.result()
        except BaseException:
            if indexer.is_alive():
                _stop(indexer)
            raise
        conn = self.db.conn
        conn.execute(f"ATTACH DATABASE ? AS {self.DATABASE}", [str(build)])
        self.attached = True
        # A new table in place of each search table: this connection's FTS5 table keeps the
        # index's structure it last read in memory, which copying its shadow tables would not tell it.
        for table in schema.SEARCH_TABLES:
            conn.execute(f"DROP TABLE main.{table}")
        for statement in search_tables_sql():
            conn.execute(statement)
        copy_search_build(conn, self.DATABASE)


def _stop(indexer: _Indexer) -> None:
    """End an indexing thread whose rows will not all come: its queue emptied and closed."""
    while True:
        try:
            indexer.lots.get_nowait()
        except queue.Empty:
            break
    indexer.lots.put(None)
    indexer.join()


def _search_rows(conn: sqlite3.Connection) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(search table, rows) in lots: the rows of ``REBUILD_SEARCH_SQL``, in its order (``schema.SEARCH_REBUILD_STEPS``)."""
    for table, before, sql in schema.SEARCH_REBUILD_STEPS:
        for statement in split_sql(before):
            conn.execute(statement)
        cursor = conn.execute(sql)
        while rows := cursor.fetchmany(_LOT_ROWS):
            yield table, rows
    conn.execute(f"DROP TABLE {schema.PARTNER_TEXT_TABLE}")
