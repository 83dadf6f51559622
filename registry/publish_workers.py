"""Work of ``registry publish`` that runs on a second core, beside the connection building the copy.

SQLite lets go of Python's lock while it works, so a thread with its own connection runs in
parallel with the main one. Two pieces of the publish read and never write what the main
connection writes, and go here:

- ``SourceCheck``: SQLite's quick check of the source registry. The copy is built while it
  runs and is only put in place once it has found the file sound, so a damaged registry is
  still never published; its findings are raised where the copy would be swapped in.
- ``SearchRows``: the search rows (title, partners, topics ...) of the later part of the
  copy's agreements, computed from the committed copy into a scratch file while the main
  connection indexes the earlier part; the main connection then adds them to the index.
  Computing a row (a dozen lookups) costs about twice as much as indexing it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from registry import db as store
from registry import schema


class _Worker(threading.Thread):
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


class SourceCheck(_Worker):
    """``PRAGMA quick_check`` of the registry at ``path`` on its own read-only connection."""

    def __init__(self, path: Path):
        super().__init__("publish-source-check", self._check)
        self.path = path

    def _check(self) -> None:
        db = store.connect(self.path, create=False, read_only=True)
        try:
            store.require_intact(db)
        finally:
            db.conn.close()

    def damaged(self) -> bool:
        """Whether the check found the source damaged (waits for it)."""
        self.join()
        return isinstance(self.error, store.DamagedFile)


class SearchRows(_Worker):
    """The agreement search rows of the copy at ``build`` whose rowid is above ``after``, written to
    the table ``rows`` of the new file ``scratch``. ``build`` must be in WAL mode, so this reads its
    last commit while the main connection goes on writing."""

    def __init__(self, build: Path, scratch: Path, after: int):
        super().__init__("publish-search-rows", self._compute)
        self.build, self.scratch, self.after = build, scratch, after

    def _compute(self) -> None:
        with closing(sqlite3.connect(store.read_only_uri(self.build), uri=True, isolation_level=None)) as conn:
            conn.execute("ATTACH DATABASE ? AS scratch", [str(self.scratch)])
            conn.execute("PRAGMA scratch.journal_mode = OFF")
            conn.execute("PRAGMA scratch.synchronous = OFF")
            conn.execute(
                f"CREATE TABLE scratch.rows AS {schema.agreement_search_rows(f'a.rowid > {int(self.after)}')}"
            )
