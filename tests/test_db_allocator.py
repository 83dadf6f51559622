"""SQLite's memory statistics go off before a process's first connection (registry.db.allocator),
and stay as they are when a connection was open first. Each case runs in a fresh interpreter: the
setting is the process's, made once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from registry.db import allocator

pytestmark = pytest.mark.skipif(allocator._loaded_library() is None, reason="no shared SQLite library in this process")

ROOT = Path(__file__).resolve().parent.parent
MEMORY_USED = """
import ctypes
from registry.db import allocator
library = ctypes.CDLL(allocator._loaded_library())
library.sqlite3_memory_used.restype = ctypes.c_int64
"""


def run(code: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.split()


def test_a_registry_connection_first_turns_the_statistics_off(tmp_path):
    used, rows = run(MEMORY_USED + f"""
from registry import db as store
db = store.connect({str(tmp_path / "r.db")!r})
db.conn.execute("CREATE TABLE t (x)")
db.conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
print(library.sqlite3_memory_used(), db.conn.execute("SELECT count(*), sum(x) FROM t").fetchone())
""")[:2]
    assert used == "0"  # a connection open and rows written, and nothing counted
    assert rows == "(1000,"


def test_a_connection_open_before_leaves_them_on():
    before, after, turned = run(MEMORY_USED + """
import sqlite3
from registry import db as store
first = sqlite3.connect(":memory:")
before = library.sqlite3_memory_used()
store.connect(":memory:")
print(before, library.sqlite3_memory_used(), allocator.memory_statistics_off())
""")
    assert int(before) > 0 and int(after) > 0
    assert turned == "False"


def test_a_process_with_other_threads_leaves_them_on():
    """Another thread could open a connection while SQLite is shut down: not tried then."""
    used, turned = run(MEMORY_USED + """
import threading
from registry import db as store
stop = threading.Event()
threading.Thread(target=stop.wait).start()
turned = allocator.memory_statistics_off()
store.connect(":memory:").conn.execute("SELECT 1")
print(library.sqlite3_memory_used(), turned)
stop.set()
""")
    assert int(used) > 0 and turned == "False"
