"""What a page-cache miss costs inside one large write transaction, in the write-ahead log and
with a rollback journal (issue 19; ``registry.db.journal`` says why a large load takes the latter).

    .venv/bin/python -m benchmarks.journal_miss [--frames 400000] [--folder /tmp]

In each mode, in a fresh file: a committed table of about 100 MB, then one transaction that
first writes ``--frames`` pages of filler (a 2 MB page cache spills them: to the log in WAL
mode, to the file itself with the journal) and then reads the committed table three times, every
page a miss. In WAL mode each miss is first looked up in the log's index, whose hash tables (one
per 4,096 frames) are walked from the newest back. Prints the reads' CPU in each mode, per miss,
and the ratio. The files (about 4 KB a frame, twice) are removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

SCANNED_ROWS = 160_000  # 600 characters each: about 26,000 pages
SCANS = 3


def read_cpu(path: Path, mode: str, frames: int) -> tuple[float, int]:
    """CPU seconds of the committed table's reads after ``frames`` pages of filler, and the misses."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA journal_mode = {mode}")
        conn.execute("CREATE TABLE scanned (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO scanned (body) VALUES (?)", ((os.urandom(300).hex(),) for _ in range(SCANNED_ROWS)))
        conn.execute("COMMIT")
        pages = conn.execute("SELECT count(*) FROM dbstat WHERE name = 'scanned'").fetchone()[0]
        conn.execute("CREATE TABLE filler (body BLOB)")
        conn.execute("PRAGMA cache_size = -2000")
        conn.execute("BEGIN IMMEDIATE")
        page = os.urandom(3900)  # a row a page: each insert dirties a new page
        for start in range(0, frames, 10_000):
            conn.executemany("INSERT INTO filler VALUES (?)", ((page,) for _ in range(min(10_000, frames - start))))
        started = time.process_time()
        for _ in range(SCANS):
            conn.execute("SELECT sum(length(body)) FROM scanned").fetchone()
        cpu = time.process_time() - started
        conn.execute("ROLLBACK")
        return cpu, pages * SCANS
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=400_000, help="pages the transaction writes before it reads")
    parser.add_argument("--folder", type=Path, default=None, help="where the two files go (default: a temporary folder)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-journal-", dir=args.folder))
    wal_cpu, misses = read_cpu(folder / "wal.db", "wal", args.frames)
    rollback_cpu, _ = read_cpu(folder / "rollback.db", "delete", args.frames)
    folder.rmdir()
    print(json.dumps({"bench": "journal-miss", "frames": args.frames, "misses": misses,
                      "wal_cpu_seconds": round(wal_cpu, 3), "rollback_cpu_seconds": round(rollback_cpu, 3),
                      "wal_us_per_miss": round(wal_cpu / misses * 1e6, 2),
                      "rollback_us_per_miss": round(rollback_cpu / misses * 1e6, 2),
                      "cpu_ratio": round(wal_cpu / rollback_cpu, 2)}))


if __name__ == "__main__":
    main()
