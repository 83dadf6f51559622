"""SQLite's memory allocator without its statistics, set once per process before its first connection.

SQLite as Debian builds it (and as most builds leave it: ``SQLITE_DEFAULT_MEMSTATUS`` 1) keeps
statistics of its memory: every allocation and every free takes one process-wide mutex and asks
the C library for the block's size, to keep counts that nothing here reads (``sqlite3_memory_used``,
the soft heap limit, which the registry never sets). A query allocates for most values of most rows
it makes, so this is a fixed share of everything SQLite does: six checks at a million agreements
(GDE05, DQ06, DQ01, GRE11, AP11, DQ04, one process, alternately) took 14.5-14.8 s of CPU with the
statistics and 10.9-12.0 s without. No result changes: only the counting stops.

The setting can change only while SQLite is not initialized (``sqlite3_config``), so it is made
before the process opens its first connection: ``sqlite3_shutdown``, the setting,
``sqlite3_initialize``, through the very library the ``sqlite3`` module loaded (found among the
files the process has mapped), and only while SQLite holds no memory at all, that is, no
connection is open and no other thread runs. Anywhere else (no such library to find, a SQLite
linked into Python itself, a connection already open, threads) nothing changes and everything
works as before.
"""

from __future__ import annotations

import ctypes
import sqlite3
import threading

_CONFIG_MEMSTATUS = 9  # SQLITE_CONFIG_MEMSTATUS, sqlite3.h
_lock = threading.Lock()
_tried = False


def _loaded_library() -> str | None:
    """The path of the shared SQLite library mapped into this process, if there is one (Linux)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rstrip("\n").split(maxsplit=5)[-1]
                if "/libsqlite3." in path:
                    return path
    except OSError:
        pass
    return None


def memory_statistics_off() -> bool:
    """Turn SQLite's memory statistics off for this process, once, if it can be done safely (see
    above); whether they are off by this call. Called before a connection is opened."""
    global _tried
    with _lock:
        # SQLite must not be shut down while another thread may be opening a connection (the lock
        # covers only the registry's own), so only a process with one thread tries: a command
        # before it serves or works, a lane or a publishing worker as it starts. A server whose
        # first connection comes from a worker thread keeps the statistics on.
        if _tried or threading.active_count() > 1:
            return False
        _tried = True
        path = _loaded_library()
        if path is None:
            return False
        try:
            library = ctypes.CDLL(path)
        except OSError:
            return False
        library.sqlite3_libversion.restype = ctypes.c_char_p
        library.sqlite3_memory_used.restype = ctypes.c_int64
        if library.sqlite3_libversion().decode() != sqlite3.sqlite_version or library.sqlite3_memory_used() != 0:
            return False
        if library.sqlite3_shutdown() != 0:
            return False
        configured: bool = library.sqlite3_config(_CONFIG_MEMSTATUS, ctypes.c_int(0)) == 0
        initialized: bool = library.sqlite3_initialize() == 0
        return configured and initialized
