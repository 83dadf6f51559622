"""Work of ``registry publish`` that runs on a second core, beside the connection building the copy.

SQLite lets go of Python's lock while it works, so a thread with its own connection runs in
parallel with the main one. Two pieces of the publish read and never write what the main
connection writes, and go here:

- ``SourceCheck``: SQLite's quick check of the source registry. The copy is built while it
  runs and is only put in place once it has found the file sound, so a damaged registry is
  still never published; its findings are raised where the copy would be swapped in.
- ``CopyBeside``: the public rows of some tables copied (and indexed) from the registry into a
  file of their own, which the main connection then transfers into the copy whole; it copies
  and indexes the other tables meanwhile (``registry.publish._copy_public_rows``). Then the
  agreements' search rows taken from the registry's, indexed into a file of their own, which the
  main connection copies into the copy only where they are the rows it would take itself
  (``registry.publish._index_beside``).
- ``SearchRows``: search rows of the copy's agreements, computed from the committed copy into
  a scratch file, a range of agreements at a time, while the main connection indexes them
  (computing a row costs about twice what indexing it does) into a file of its own, whose index
  it then copies into the copy whole. The worker first makes each
  institution's part of the rows of the agreements it is a partner to, once, into the scratch
  file (``schema.institution_text_sql``), and the words of each distinct list of subject areas
  (``schema.subject_words_sql``); from then on the rows of a range gather their partners' part and
  their terms' words from them, on either connection, for about half what the per-agreement
  subqueries cost.
  The main connection computes rows itself from the low end of ``SearchRanges`` while the worker
  takes from the high end, so the two meet wherever the machine's speed and load put them.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from registry import db as store
from registry import schema
from registry.db.search_build import SEARCH_BUILD_PAGE_BYTES, TEMP_STORE, Worker

# The worker's cache of its scratch file, where the institutions' text that every range reads
# stays instead of being read from the file again, a page per system call, range after range.
SCRATCH_CACHE_KIB = 128 * 1024


class SourceCheck(Worker):
    """``PRAGMA quick_check`` of the registry at ``path`` on its own read-only connection."""

    def __init__(self, path: Path):
        super().__init__("publish-source-check", self._check)
        self.path = path

    def _check(self) -> None:
        db = store.connect(self.path, create=False, read_only=True)
        try:
            store.map_for_reading(db.conn)
            store.require_intact(db)
        finally:
            db.conn.close()

    def damaged(self) -> bool:
        """Whether the check found the source damaged (waits for it)."""
        self.join()
        return isinstance(self.error, store.DamagedFile)


class CopyBeside(Worker):
    """Runs ``copy(self)``, which copies tables beside the copy, hands the references it enforced
    while copying over (``copied``), then may index the agreements' search rows into a file of
    their own (``indexed``: whether it did, once ``result()`` returned)."""

    def __init__(self, copy: Callable[[CopyBeside], None]):
        super().__init__("publish-copy-beside", lambda: copy(self))
        self.enforced: set[tuple[str, str]] = set()
        self.indexed = False
        # False when the copy beside found the registry changed and copied nothing (``copied``).
        self.same_registry = True
        # Set by the building connection when it failed: the worker indexes nothing more.
        self.stop = threading.Event()
        self._copied = threading.Event()
        self._handed = False

    def run(self) -> None:
        try:
            super().run()
        finally:
            self._copied.set()  # after ``error`` is set: wait_copied() then raises it

    def copied(self, enforced: set[tuple[str, str]], same_registry: bool = True) -> None:
        """The copy beside is committed, or was not made (``same_registry`` false; called by ``copy``)."""
        self.enforced, self.same_registry, self._handed = enforced, same_registry, True
        self._copied.set()

    def wait_copied(self) -> None:
        """Wait for the copy beside to be committed; raises the worker's failure if it stopped before."""
        self._copied.wait()
        if not self._handed:
            self.result()
            raise RuntimeError("the copy beside stopped before its rows were committed")


class SearchRanges:
    """The agreements' rowid ranges whose search rows are still to be made, handed out from both
    ends (thread-safe): the building connection takes the low ones, ``SearchRows`` the high ones.
    A range ``(after, upto)`` holds the rowids above ``after`` up to ``upto`` (``None``: no bound)."""

    def __init__(self, bounds: list[int]):
        edges: list[int | None] = [None, *bounds, None]
        self._ranges = deque(zip(edges[:-1], edges[1:], strict=True))
        self._lock = threading.Lock()

    def take_low(self) -> tuple[int | None, int | None] | None:
        with self._lock:
            return self._ranges.popleft() if self._ranges else None

    def take_high(self) -> tuple[int | None, int | None] | None:
        with self._lock:
            return self._ranges.pop() if self._ranges else None

    def drop_all(self) -> None:
        """Hand out nothing more (the main connection failed: the worker stops after its range)."""
        with self._lock:
            self._ranges.clear()

    @staticmethod
    def where(span: tuple[int | None, int | None], alias: str = "a") -> str:
        """SQL selecting the rows of ``alias`` in ``span``."""
        after, upto = span
        parts = ([f"{alias}.rowid > {int(after)}"] if after is not None else []) + (
            [f"{alias}.rowid <= {int(upto)}"] if upto is not None else [])
        return " AND ".join(parts) or "1"


class SearchRows(Worker):
    """Search rows of the copy at ``build`` for the ranges it takes from the high end of ``ranges``,
    each written to a table ``rows_N`` of the file ``scratch`` (write-ahead logged, so the main
    connection reads a finished table while the next is written), whose name is then put on
    ``ready``; before them, ``INSTITUTION_TEXT`` once that table of ``scratch`` is complete, and
    ``SUBJECT_WORDS`` with it (the main connection's rows read both from then on). ``None`` on
    ``ready`` says the worker is done (or failed: ``result()`` tells). Nothing may write ``build`` until the worker is done: the main
    connection writes the search index into a file of its own meanwhile."""

    INSTITUTION_TEXT = "search_institution_text"
    # Made with INSTITUTION_TEXT, complete when it is announced.
    SUBJECT_WORDS = "search_subject_words"

    def __init__(self, build: Path, scratch: Path, ranges: SearchRanges):
        super().__init__("publish-search-rows", self._compute)
        self.build, self.scratch, self.ranges = build, scratch, ranges
        self.ready: queue.Queue[str | None] = queue.Queue()

    def _compute(self) -> None:
        try:
            with closing(sqlite3.connect(store.read_only_uri(self.build), uri=True, isolation_level=None)) as conn:
                store.map_for_reading(conn)
                conn.execute(f"PRAGMA temp_store = {TEMP_STORE}")
                conn.execute("ATTACH DATABASE ? AS scratch", [str(self.scratch)])
                # The main connection reads each page of it from the log, a system call each.
                conn.execute(f"PRAGMA scratch.page_size = {SEARCH_BUILD_PAGE_BYTES}")
                conn.execute("PRAGMA scratch.journal_mode = WAL")
                conn.execute("PRAGMA scratch.synchronous = OFF")
                conn.execute(f"PRAGMA scratch.cache_size = {-SCRATCH_CACHE_KIB}")
                institution_text, subject_words = f"scratch.{self.INSTITUTION_TEXT}", f"scratch.{self.SUBJECT_WORDS}"
                for statement in store.split_sql(schema.institution_text_sql(institution_text) + schema.subject_words_sql(subject_words)):
                    conn.execute(statement)
                self.ready.put(self.INSTITUTION_TEXT)
                number = 0
                while (span := self.ranges.take_high()) is not None:
                    number += 1
                    table = f"rows_{number}"
                    made = schema.agreement_search_rows(SearchRanges.where(span), institution_text=institution_text,
                                                        subject_words=subject_words)
                    conn.execute(f"CREATE TABLE scratch.{table} AS {made}")
                    self.ready.put(table)
        finally:
            self.ready.put(None)
