"""A streamed write with the file to itself runs with a rollback journal, not the write-ahead log
(``registry.db.journal``), and keeps every guarantee: the file is in WAL mode again afterwards,
whatever happened; a process killed half-way leaves the registry as it was; with another
connection open the write keeps the write-ahead log, and that connection's reads go on."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from registry import db as store
from registry.db import journal, writes
from registry.models import Agreement, Institution
from registry.problems import ProblemsFound

BATCH = 3


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)


def institutions(count: int, start: int = 0) -> list[Institution]:
    return [Institution(id=f"inst-{n:04d}", name=f"Institution {n}", country="NO") for n in range(start, start + count)]


def journal_mode(path: Path) -> str:
    """The file's own mode, as a fresh connection finds it."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


def stored(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in ("institutions", "changes")}


def watched(db, records: list[Institution], modes: list[str]):
    """The records, noting the connection's journal mode when the write asks for the last one
    (the first two batches are read before it begins)."""
    for number, record in enumerate(records):
        if number == len(records) - 1:
            modes.append(db.conn.execute("PRAGMA journal_mode").fetchone()[0])
        yield record


def test_a_streamed_write_runs_with_a_rollback_journal_and_leaves_the_file_in_wal(registry_db, registry_path):
    modes: list[str] = []
    plan = store.write_records(registry_db, watched(registry_db, institutions(10), modes), actor="tester", source="test")
    assert modes == ["delete"]
    assert plan.counts()["institutions"] == {"insert": 10}
    assert registry_db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal_mode(registry_path) == "wal"
    assert not Path(f"{registry_path}-journal").exists()
    assert registry_db.conn.execute("SELECT count(*) FROM institutions").fetchone()[0] == 10
    assert registry_db.conn.execute("SELECT count(*) FROM changes WHERE source = 'test'").fetchone()[0] == plan.changed


def test_a_write_that_fits_one_batch_keeps_the_write_ahead_log(registry_db):
    modes: list[str] = []
    store.write_records(registry_db, watched(registry_db, institutions(BATCH), modes), actor="tester")
    assert modes == ["wal"]


def test_a_streamed_write_into_a_large_file_keeps_the_write_ahead_log(registry_db, registry_path, monkeypatch):
    """Its journal would copy much of the file; here the file is larger than the bound set."""
    monkeypatch.setattr(journal, "ROLLBACK_UP_TO_BYTES", registry_path.stat().st_size // 2)
    modes: list[str] = []
    store.write_records(registry_db, watched(registry_db, institutions(10), modes), actor="tester")
    assert modes == ["wal"]


@pytest.mark.parametrize("ending", ["refused", "dry-run"])
def test_a_streamed_write_that_writes_nothing_leaves_the_file_as_it_was_and_in_wal(registry_db, registry_path, ending):
    store.write_records(registry_db, institutions(2), actor="setup")
    before = stored(registry_db.conn)
    modes: list[str] = []
    records = [*institutions(7, start=2)]
    if ending == "refused":
        records.append(Agreement.model_validate({
            "id": "agr-late", "title": "Late", "kind": "student_exchange", "status": "active", "starts_on": "2024-01-01",
            "parties": [{"institution": "inst-0000", "role": "home"}, "no-such-institution"]}))
        with pytest.raises(ProblemsFound, match="no-such-institution"):
            store.write_records(registry_db, watched(registry_db, records, modes), actor="tester")
    else:
        plan = store.write_records(registry_db, watched(registry_db, records, modes), actor="tester", dry_run=True)
        assert plan.counts()["institutions"] == {"insert": 7}
    assert modes == ["delete"]
    assert stored(registry_db.conn) == before
    assert journal_mode(registry_path) == "wal"
    assert not Path(f"{registry_path}-journal").exists()


# Another process with the registry open (a server), until its standard input closes.
OTHER_READER = textwrap.dedent("""
    import sys
    from registry import db as store
    reader = store.connect(sys.argv[1], read_only=True)
    print(reader.conn.execute("SELECT count(*) FROM institutions").fetchone()[0], flush=True)
    sys.stdin.read()
    print(reader.conn.execute("SELECT count(*) FROM institutions").fetchone()[0], flush=True)
""")


def test_with_another_process_holding_the_file_the_write_keeps_the_write_ahead_log(registry_db, registry_path, caplog):
    other = subprocess.Popen([sys.executable, "-c", OTHER_READER, str(registry_path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    assert other.stdout is not None and other.stdin is not None
    assert other.stdout.readline().strip() == "0"
    modes: list[str] = []
    with caplog.at_level(logging.INFO, logger="registry.db.journal"):
        store.write_records(registry_db, watched(registry_db, institutions(9), modes), actor="tester")
    assert f"is open elsewhere (pid {other.pid} " in caplog.text
    other.stdin.close()
    assert other.stdout.readline().strip() == "9"
    assert other.wait() == 0
    assert modes == ["wal"]
    assert journal_mode(registry_path) == "wal"


def test_with_another_connection_open_the_write_keeps_the_write_ahead_log_and_its_reads_go_on(
        registry_db, registry_path, caplog):
    reader = store.connect(registry_path, read_only=True)
    store.write_records(registry_db, institutions(2), actor="setup")
    reader.conn.execute("BEGIN")
    assert reader.conn.execute("SELECT count(*) FROM institutions").fetchone() == (2,)
    modes: list[str] = []
    with caplog.at_level(logging.INFO, logger="registry.db.journal"):
        plan = store.write_records(registry_db, watched(registry_db, institutions(9, start=2), modes), actor="tester")
    assert modes == ["wal"]
    assert plan.counts()["institutions"] == {"insert": 9}
    assert "keeps the write-ahead log" in caplog.text
    # the reader went on reading what was committed when it began, and sees the write afterwards
    assert reader.conn.execute("SELECT count(*) FROM institutions").fetchone() == (2,)
    reader.conn.execute("COMMIT")
    assert reader.conn.execute("SELECT count(*) FROM institutions").fetchone() == (11,)
    reader.conn.close()
    assert journal_mode(registry_path) == "wal"


# A streamed load in a process of its own, with a page cache of a few pages so that its pages
# reach the file before the commit; it says when some batches are written and then waits to be
# killed, reading its standard input.
KILLED_LOAD = textwrap.dedent("""
    import contextlib
    import sys
    from registry import db as store
    from registry.db import journal, writes
    from registry.models import Institution

    writes.BATCH_RECORDS = 50
    writes.larger_cache = lambda conn: contextlib.nullcontext()  # the few pages set here
    db = store.connect(sys.argv[1])
    db.conn.execute("PRAGMA cache_size = 8")

    def records():
        for n in range(100, 2100):
            yield Institution(id=f"inst-{n:04d}", name=f"Institution {n} " + "of a long name " * 20, country="NO")
            if n == 1600:
                mode = db.conn.execute("PRAGMA journal_mode").fetchone()[0]
                print(mode, flush=True)
                sys.stdin.read()

    store.write_records(db, records(), actor="killed", source="killed load")
""")


def without_counters(data: bytes) -> bytes:
    """A SQLite file's bytes without its header's change counter and the version valid for it."""
    return data[:24] + data[28:92] + data[96:]


def test_a_load_killed_half_way_leaves_the_registry_as_it_was(registry_db, registry_path, monkeypatch):
    store.write_records(registry_db, institutions(5), actor="setup")
    before = stored(registry_db.conn)
    registry_db.conn.close()
    size_before, bytes_before = registry_path.stat().st_size, registry_path.read_bytes()
    load = subprocess.Popen([sys.executable, "-c", KILLED_LOAD, str(registry_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    try:
        assert load.stdout is not None
        assert load.stdout.readline().strip() == "delete"
        # half a load is in the file itself; the journal holds what its pages held before
        assert Path(f"{registry_path}-journal").exists()
        assert registry_path.stat().st_size > size_before
        assert registry_path.read_bytes()[:size_before] != bytes_before
        # a reader that comes meanwhile waits for the load, then is told who holds the file
        monkeypatch.setenv("REGISTRY_LOCK_TIMEOUT", "0.2")
        with pytest.raises(store.LockedFile, match=f"is locked: another process \\(pid {load.pid} "):
            store.connect(registry_path, read_only=True)
        monkeypatch.delenv("REGISTRY_LOCK_TIMEOUT")
    finally:
        os.kill(load.pid, signal.SIGKILL)
        load.wait()
    assert load.returncode == -signal.SIGKILL
    # a read-only open rolls the interrupted write back first (it could not read the file otherwise)
    reader = store.connect(registry_path, read_only=True)
    assert stored(reader.conn) == before
    reader.conn.close()
    assert not Path(f"{registry_path}-journal").exists()
    # byte for byte, but for the header's two counters of changes (the journal's switches count)
    assert without_counters(registry_path.read_bytes()) == without_counters(bytes_before)
    assert journal_mode(registry_path) == "wal"
    check = sqlite3.connect(registry_path)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()
