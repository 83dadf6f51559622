"""Open the registry file, and write to it in one transaction the audit log attributes.

Every fault of the file itself (not SQLite, damaged, read-only, locked, in a folder that does
not exist) is found here and raised as a ``StoreError`` whose message is one line saying what
is wrong and what to do, so that every command reports it the same way.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote as url_quote

import sqlite_utils

from registry import clock, i18n, schema
from registry.db.allocator import memory_statistics_off
from registry.problems import NoRegistry

DEFAULT_DB = "registry.db"
# How long a write waits for another process's write to finish (REGISTRY_LOCK_TIMEOUT, seconds).
LOCK_TIMEOUT = 15.0
_FIRST_WAIT = 0.5  # a short first wait: most locks are gone by then, and the message would be noise

log = logging.getLogger("registry.db")


class StoreError(Exception):
    """A fault of the registry file, said in one line: what is wrong and what to do next."""


class DamagedFile(StoreError):
    """The file is not a SQLite database, or SQLite finds it damaged."""


class LockedFile(StoreError):
    """Another process kept the file locked for longer than the registry waits."""


class ReadOnlyFile(StoreError):
    """A write to a file opened read-only or that the system does not let us write."""


def default_path() -> str:
    return os.environ.get("REGISTRY_DB") or DEFAULT_DB


def default_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return os.environ.get("REGISTRY_ACTOR") or user


def lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("REGISTRY_LOCK_TIMEOUT", LOCK_TIMEOUT)))
    except ValueError:
        return LOCK_TIMEOUT


# The file this process opened last, so that an error raised deep inside a command can name it.
_last_opened: list[Path] = []


def require_folder(path: str | Path, what: str = "the file") -> Path:
    """The path, if the folder it goes into exists; else a one-line error."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise StoreError(f"no folder {folder} for {what} {path.name}: create it first (mkdir -p {folder}) or choose another path")
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a file: give a file name")
    return path


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """A file beside ``path`` to write instead, moved into its place only when the block ends
    without an error: a write that fails half-way (a record that cannot be written, a full disk,
    Ctrl-C) leaves the earlier file as it was and no partial one beside it."""
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def connect(path: str | Path | None = None, *, create: bool = True, read_only: bool = False) -> sqlite_utils.Database:
    """Open the registry file with foreign keys enforced and write-ahead logging.

    ``read_only`` opens it with SQLite's read-only mode, so that reading works on a file the
    system or its owner made read-only, and so that nothing (not even a checkpoint) writes.
    """
    memory_statistics_off()  # before this process's first connection (registry.db.allocator)
    path = Path(path or default_path())
    if str(path) == ":memory:":
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    else:
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a registry file: give the file, e.g. --db {path / DEFAULT_DB}")
        if not path.exists():
            if not create or read_only:
                raise NoRegistry(f"no registry at {path}: run 'registry init --db {path}' first, or pass --db")
            require_folder(path, "the registry")
        if read_only and writable(path) and Path(f"{path}-journal").exists():
            _roll_back_interrupted(path)
        # A file the system will not let us write (a read-only file system, permissions) is
        # opened read-only: whatever only reads works, and a write says it in one line.
        read_only = read_only or not writable(path)
        conn = _open(path, read_only)
        _last_opened[:] = [path]
    conn.execute(f"PRAGMA busy_timeout = {int(lock_timeout() * 1000)}")
    _probe(conn, path)
    conn.execute("PRAGMA foreign_keys = ON")
    if not read_only:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if _error_name(error).startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
                raise ReadOnlyFile(readonly_message(path)) from error
            raise_store_error(error, path)
            raise
    clock.register_sql(conn)
    i18n.register_sql(conn)  # the findings' messages (registry.i18n.MESSAGE_KEY)
    return sqlite_utils.Database(conn)


def _roll_back_interrupted(path: Path) -> None:
    """The rollback an interrupted write's journal calls for (a large load runs with one, see
    ``registry.db.journal``), done by a connection that may write: a read-only one cannot, and
    SQLite would refuse it every read until then. A journal a live writer holds is no such
    journal: the probe then waits for it like any reader."""
    conn = _open(path, read_only=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(lock_timeout() * 1000)}")
        _probe(conn, path)
        with contextlib.suppress(sqlite3.OperationalError):  # another connection that may write sets it
            conn.execute("PRAGMA journal_mode = WAL")  # as the file was before that write
    finally:
        conn.close()


def writable(path: Path) -> bool:
    """Whether the system lets this process write the file and make its -wal and -shm beside it
    (a new file: its folder)."""
    folder = path.resolve().parent
    return os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _open(path: Path, read_only: bool) -> sqlite3.Connection:
    if not read_only:
        return sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    return sqlite3.connect(read_only_uri(path), uri=True, isolation_level=None, check_same_thread=False)


# How much of a file a connection that only reads it maps into memory (``map_for_reading``):
# SQLite clamps it to its build's limit (2 GB in Debian's) and reads the rest with a system call
# and a copy per page, as without a map.
READ_MAP_BYTES = 1 << 40


def map_for_reading(conn: sqlite3.Connection, database: str = "main") -> None:
    """Read ``database`` of ``conn``, a file this connection never writes, through a memory map: a
    page is then read in place, not by a system call copying it into SQLite's cache. Scanning
    a registry of 200,000 agreements (1.6 GB, PRAGMA quick_check): 0.07 s of kernel time
    against 0.7 s."""
    conn.execute(f"PRAGMA {database}.mmap_size = {READ_MAP_BYTES}")


def read_only_uri(path: str | Path) -> str:
    """The URI that opens the file read-only: SQLite's mode=ro, or, for a write-ahead-logged file
    in a folder nobody may write to (a read-only file system), immutable=1: its -shm cannot be
    made there, and nobody can be writing to it either, so it is read as it is."""
    if str(path) in ("", ":memory:"):  # resolved, it would name a file ':memory:' in the working folder
        raise StoreError("an in-memory registry has no file to open read-only: give the registry's file")
    uri = f"file:{url_quote(str(Path(path).resolve()))}"
    probe = sqlite3.connect(f"{uri}?mode=ro", uri=True)
    try:
        probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        if _error_name(error).startswith("SQLITE_CANTOPEN"):
            return f"{uri}?immutable=1"
    finally:
        probe.close()
    return f"{uri}?mode=ro"


def _probe(conn: sqlite3.Connection, path: Path) -> None:
    """Read the schema once, so that a file that is not SQLite or is damaged is said now."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        conn.close()
        raise_store_error(error, path)
        raise


def _error_name(error: sqlite3.Error) -> str:
    return getattr(error, "sqlite_errorname", "") or ""


def is_busy(error: sqlite3.Error) -> bool:
    return _error_name(error).startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(error)


def readonly_message(path: Path | str) -> str:
    return (
        f"{path} is read-only (its permissions, its folder or its file system do not allow writing): "
        "commands that change it need write access; stats, verify, history, export, publish and serve read it as it is"
    )


def describe_error(error: sqlite3.Error, path: Path | str | None = None) -> str | None:
    """One line for a fault of the file (not of a statement), or None."""
    path = path or (_last_opened[0] if _last_opened else "the registry")
    name = _error_name(error)
    text = str(error)
    if name == "SQLITE_NOTADB" or "file is not a database" in text:
        return f"{path} is not a SQLite database (is it the right file? a registry is made by 'registry init')"
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return (f"{path} is damaged ({text}): run 'registry verify --db {path}' to list the damage, and restore "
                "it from a backup ('registry backup' makes one)")
    if name == "SQLITE_READONLY_ROLLBACK":
        return (f"{path} holds the journal of an interrupted write ({path}-journal), which only a process that may "
                "write the file can roll back: run any registry command on it where it may be written, and never "
                "delete the journal (the file would keep the interrupted write's half)")
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return readonly_message(path)
    if is_busy(error):
        return locked_message(path)
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database" in text:
        return f"cannot open {path}: check that it exists and that its folder may be read (and written, to change it)"
    if name == "SQLITE_FULL" or "database or disk is full" in text:
        return f"the disk holding {path} is full: nothing was written; free some space and run the command again"
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return f"the system could not read or write {path} ({text}): check the disk and the file's folder"
    return None


def raise_store_error(error: sqlite3.Error, path: Path | str | None = None) -> None:
    """Raise the one-line StoreError for a fault of the file; return when it is not one."""
    message = describe_error(error, path)
    if message is None:
        return
    name = _error_name(error)
    if is_busy(error):
        raise LockedFile(message) from error
    if name.startswith("SQLITE_READONLY") or "readonly" in str(error):
        raise ReadOnlyFile(message) from error
    if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB" or "malformed" in str(error) or "not a database" in str(error):
        raise DamagedFile(message) from error
    raise StoreError(message) from error


def lock_holders(path: Path | str, *, readers: bool = False) -> list[str]:
    """The processes holding a write lock on the file (``readers``: any lock, as a connection
    in WAL mode holds one while it is open), as 'pid N (command)', where the system tells
    (Linux's /proc/locks; SQLite itself cannot say who holds a lock)."""
    inodes = set()
    for suffix in ("", "-shm"):
        with contextlib.suppress(OSError):  # no -shm file: nothing holds it
            inodes.add(os.stat(f"{path}{suffix}").st_ino)
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    holders = []
    for line in lines:
        parts = line.split()
        # "1: POSIX  ADVISORY  WRITE 1234 fe:00:2146563 120 120"; a "->" marks a waiter, not a holder
        if len(parts) < 6 or "->" in parts or parts[3] not in (("READ", "WRITE") if readers else ("WRITE",)):
            continue
        pid, device_inode = parts[4], parts[5]
        if not pid.isdigit() or int(pid) == os.getpid() or int(device_inode.rsplit(":", 1)[-1]) not in inodes:
            continue
        try:
            command = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split())
        except OSError:
            command = ""
        holder = f"pid {pid}" + (f" ({command[:80]})" if command else "")
        if holder not in holders:
            holders.append(holder)
    return holders


def locked_message(path: Path | str) -> str:
    holders = lock_holders(path)
    who = "another process (" + "; ".join(holders) + ")" if holders else "another process (the system does not say which)"
    return (f"{path} is locked: {who} kept writing to it for more than {lock_timeout():g} s; "
            "run the command again when it has finished (REGISTRY_LOCK_TIMEOUT sets how long to wait)")


@lru_cache(maxsize=1)
def specs() -> dict[str, schema.TableSpec]:
    return schema.table_specs()


def split_sql(script: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        candidate = "\n".join(current).strip()
        if candidate and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    return statements


def file_path(conn: sqlite3.Connection) -> str:
    """The file behind a connection ('' in memory)."""
    return next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")


def begin_write(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting for another writer with a message, then a one-line error naming it."""
    path = file_path(conn) or "the registry"
    timeout = lock_timeout()
    conn.execute(f"PRAGMA busy_timeout = {int(min(_FIRST_WAIT, timeout) * 1000)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as error:
        if not is_busy(error):
            raise_store_error(error, path)
            raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    holders = lock_holders(path)
    log.warning("waiting up to %g s for %s to finish writing to %s ...", timeout,
                "; ".join(holders) if holders else "another process", path)
    started = time.monotonic()
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(max(0.0, timeout - _FIRST_WAIT) * 1000)}")
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        raise_store_error(error, path)
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    log.warning("%s is free again after %.1f s; going on", path, time.monotonic() - started)


@contextmanager
def transaction(db: sqlite_utils.Database, *, actor: str | None, source: str | None) -> Iterator[None]:
    """One write transaction whose changes the audit log attributes to actor and source."""
    conn = db.conn
    nested = conn.in_transaction
    if not nested:
        begin_write(conn)
        conn.execute("PRAGMA defer_foreign_keys = ON")
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [schema.AUDIT_CONTEXT_TABLE]).fetchone():
            conn.execute(f"UPDATE {schema.AUDIT_CONTEXT_TABLE} SET actor = ?, source = ? WHERE id = 1", [actor, source])
        yield
        if not nested:
            conn.execute(f"UPDATE {schema.AUDIT_CONTEXT_TABLE} SET actor = NULL, source = NULL WHERE id = 1")
            conn.execute("COMMIT")
    except BaseException as error:
        if not nested and conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(error, sqlite3.DatabaseError):
            raise_store_error(error, file_path(conn) or None)  # a fault of the file, in one line
        raise
