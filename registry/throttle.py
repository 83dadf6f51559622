"""Failed logins, counted per account name and per client address, in an SQLite file the
server's processes share (in memory when it runs as one process).

After ``limit`` failures within ``window`` seconds a key is locked for ``base_delay`` seconds;
each further lockout while failures keep coming doubles it, up to ``max_delay``. A locked key
is answered at once (429, Retry-After) without checking a password, whether or not the account
exists, so locking says nothing about which names are accounts. A good login clears its
account's record (not its address's: one's own account must not reset the address's count).

``registry serve --workers N`` answers a login from any of its processes, so the counts live
in one file all of them write (``path``, made by the supervisor in a private temporary folder):
five guesses spread over four workers are five guesses. Times are the wall clock's, the one
clock every process reads alike. A restart forgets everything (the file goes with the server);
failures are also logged by the server for an operator's own tools (fail2ban and the like).
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

Key = tuple[str, str]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS throttled (
  kind TEXT NOT NULL, value TEXT NOT NULL,
  locked_until REAL NOT NULL DEFAULT 0, lockouts INTEGER NOT NULL DEFAULT 0, last_failure REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, value));
CREATE INDEX IF NOT EXISTS throttled_by_age ON throttled (last_failure);
CREATE TABLE IF NOT EXISTS failures (kind TEXT NOT NULL, value TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_key ON failures (kind, value, at);
"""


class LoginThrottle:
    """Counts failures per key; ``retry_after`` says how long a key must still wait. With
    ``path``, every process that opens the same file counts the same failures."""

    def __init__(self, *, path: str | Path | None = None, limit: int = 5, window: float = 15 * 60, base_delay: float = 60,
                 max_delay: float = 60 * 60, max_keys: int = 100_000, timer: Callable[[], float] = time.time):
        self.limit, self.window, self.base_delay, self.max_delay = limit, window, base_delay, max_delay
        self.max_keys, self.timer = max_keys, timer
        # One connection, used from the server's loop and (rarely) its threads: a lock keeps
        # each read-modify-write whole within the process, SQLite's write lock across processes.
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path) if path else ":memory:", isolation_level=None, check_same_thread=False,
                                     timeout=10)
        if path:
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(_SCHEMA)

    def retry_after(self, *keys: Key) -> int:
        """Seconds until every key may try again (0: now)."""
        now = self.timer()
        with self._lock:
            waits = [row[0] - now for key in keys
                     for row in self._conn.execute("SELECT locked_until FROM throttled WHERE kind = ? AND value = ?", key)]
        return max([0, *(math.ceil(w) for w in waits if w > 0)])

    def failed(self, *keys: Key) -> None:
        now = self.timer()
        with self._lock, self._conn:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")  # read and count under the write lock: no failure counted twice or lost
            for key in keys:
                row = conn.execute("SELECT locked_until, lockouts, last_failure FROM throttled WHERE kind = ? AND value = ?",
                                   key).fetchone()
                locked_until, lockouts, last_failure = row or (0.0, 0, 0.0)
                if now - max(last_failure, locked_until) > self.window:
                    lockouts = 0  # quiet for a whole window since the last lockout: start afresh
                conn.execute("DELETE FROM failures WHERE kind = ? AND value = ? AND at <= ?", (*key, now - self.window))
                conn.execute("INSERT INTO failures VALUES (?, ?, ?)", (*key, now))
                recent = conn.execute("SELECT count(*) FROM failures WHERE kind = ? AND value = ?", key).fetchone()[0]
                if recent >= self.limit:
                    lockouts += 1
                    locked_until = now + min(self.base_delay * 2 ** (lockouts - 1), self.max_delay)
                conn.execute("INSERT OR REPLACE INTO throttled VALUES (?, ?, ?, ?, ?)", (*key, locked_until, lockouts, now))
            self._forget_beyond_max_keys(conn)

    def _forget_beyond_max_keys(self, conn: sqlite3.Connection) -> None:
        """The oldest keys go first when there are more than ``max_keys``."""
        excess = conn.execute("SELECT count(*) FROM throttled").fetchone()[0] - self.max_keys
        if excess > 0:
            oldest = conn.execute("SELECT kind, value FROM throttled ORDER BY last_failure LIMIT ?", [excess]).fetchall()
            conn.executemany("DELETE FROM throttled WHERE kind = ? AND value = ?", oldest)
            conn.executemany("DELETE FROM failures WHERE kind = ? AND value = ?", oldest)

    def succeeded(self, key: Key) -> None:
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM throttled WHERE kind = ? AND value = ?", key)
            self._conn.execute("DELETE FROM failures WHERE kind = ? AND value = ?", key)
