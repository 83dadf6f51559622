"""A large write with the file to itself: a rollback journal instead of the write-ahead log.

The registry runs in WAL mode so that readers never wait for a writer. A streamed load of a
million agreements is one transaction, though, and in WAL mode every page it writes goes to the
log first: about 6 GB of it at a million, 1.5 million frames. Each page the write reads back
that its cache no longer holds (the index and search rebuilds at the end read whole tables) is
looked up in the log's index, whose hash tables SQLite walks from the newest back, one per 4,096
frames, so each miss costs more the larger the transaction has grown: a miss cost 4.8 µs of
CPU in the log with no frames, 6.3 µs after 400,000 and 20.4 µs after 1.5 million, and 4.5-5.6
µs with a rollback journal (``benchmarks/journal_miss.py``); and the commit copies the whole log
into the file (24 s of a million-agreement load).
With a rollback journal the pages go to the file itself, once, and only a page the file held
before the write is copied to the journal first: a load into a new or small registry journals
almost nothing (issue 19, docs/benchmarks.md). All or nothing holds the same way:
a process killed half-way leaves a hot journal, and the next connection to open the file rolls
it back before it reads anything (``connect`` does so for a read-only open too).

The cost is the readers': in rollback mode they wait while the writer holds the file. So the
switch is made only when no other connection has the file open (SQLite refuses to leave WAL
mode while one does, which is the test), and the file goes back to WAL at the end, after
success or failure; one that opens it meanwhile waits up to its lock timeout and is told the
file is locked, and by whom. With another connection open (a running server), the write keeps
the write-ahead log, and says so in the log.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from registry.db.connection import file_path, is_busy, lock_holders

log = logging.getLogger(__name__)

# The rollback journal's mode during a large write: the journal is deleted at the commit, so
# nothing is left beside the file but what WAL mode leaves.
ROLLBACK_MODE = "delete"

# A file larger than this keeps the write-ahead log for a large write too. The rollback journal
# copies each page the file held before the write, once, before its first change: a load into a
# new or small registry copies next to nothing, but one into a large registry may copy much of
# it (the search index is rebuilt whole, the indexes kept are changed row by row), and waits for
# the disk before each batch of those pages reaches the file. Adding 25,000 agreements to a
# 1.2 GB registry of 200,000 measured the same either way (two pairs: 31.9 and 31.9 s CPU in the
# log, 34.8 and 29.6 s with the journal), so there the readers keep the log. Bounded so, the
# journal stays within the page cache a streamed write takes (``writes.STREAMED_CACHE_KIB``).
ROLLBACK_UP_TO_BYTES = 256 * 2**20


@contextmanager
def rollback_journal(conn: sqlite3.Connection, *, appending: bool = False) -> Iterator[bool]:
    """The connection's file in rollback-journal mode meanwhile, when nothing else has it open;
    yields whether it is. WAL again afterwards, whatever happened meanwhile. ``appending``: the
    write only fills tables that were empty (a first check run's findings), so it journals next
    to nothing however large the file is, and ``ROLLBACK_UP_TO_BYTES`` does not apply."""
    if not _switchable(conn, bounded=not appending):
        yield False
        return
    busy_timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout = 0")  # another connection is the answer, not a wait
    try:
        # the registry's file only: without a schema the PRAGMA sets every attached file's journal
        mode = conn.execute(f"PRAGMA main.journal_mode = {ROLLBACK_MODE}").fetchone()[0]
    except sqlite3.OperationalError as error:
        if not is_busy(error):
            raise
        holders = lock_holders(file_path(conn), readers=True)
        log.info("%s is open elsewhere (%s): this write keeps the write-ahead log, so that its readers need not wait",
                 file_path(conn), "; ".join(holders) if holders else "another connection")
        mode = "wal"
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout}")
    if mode != ROLLBACK_MODE:
        yield False
        return
    try:
        yield True
    finally:
        back_to_wal(conn)


def _switchable(conn: sqlite3.Connection, *, bounded: bool = True) -> bool:
    """A file (not memory), in WAL mode, outside a transaction (an outer one has chosen its
    journal), of at most ROLLBACK_UP_TO_BYTES (what the log holds counted in) when ``bounded``."""
    if conn.in_transaction or not file_path(conn):
        return False
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        return False
    if not bounded:
        return True
    size = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    if size > ROLLBACK_UP_TO_BYTES:
        log.debug("%s holds %d MB: this write keeps the write-ahead log (a rollback journal would copy what it changes)",
                  file_path(conn), size // 2**20)
        return False
    return True


def back_to_wal(conn: sqlite3.Connection) -> None:
    """WAL mode again. Should a reader that opened the file meanwhile hold it past the lock
    timeout, the file stays in rollback mode until the next connection that may write opens it
    (``connect`` sets WAL); the write itself is done, so this only warns."""
    try:
        conn.execute("PRAGMA main.journal_mode = WAL")
    except sqlite3.OperationalError as error:
        if not is_busy(error):
            raise
        log.warning("%s stays in rollback-journal mode for now (%s): the next registry command that writes sets "
                    "the write-ahead log again", file_path(conn), error)
