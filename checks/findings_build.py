"""A first run's findings built in a file beside the registry, then copied into it whole.

In WAL mode every page a transaction writes goes to the log and is copied into the file at
the checkpoint that follows the commit: at a million agreements a first run's two million
findings (about 2 GB with their indexes) were written twice, and the commit alone took 16 s.
A rollback journal writes the pages of a table that was empty once, into the file, but while a
writer holds a rollback-journal file, nobody reads it: not the lane processes whose checks
read the registry while the run records (``checks.lanes``).

So a first run with lanes records what they find into a file of its own (``FindingsBuild``),
made like the findings table and its indexes, without a journal: the run holds the registry's
write lock meanwhile, so every lane reads the same snapshot, as before. Once the lanes are
done, a second transaction, with the registry in rollback-journal mode if nothing else has it
open (``registry.db.journal``), copies the built table into the empty findings table in one
``INSERT INTO findings SELECT * FROM build.findings``: SQLite's transfer optimization copies
the table's records and each index's entries as they are, in order, without decoding them
(``transfers``, which the tests hold to it). All or nothing holds: the built file is thrown
away whether the run succeeds or fails, and a run killed during the copy leaves a hot journal
that the next connection rolls back (a killed run's build folder stays beside the registry).

Measured at 200,000 agreements (398,831 findings), on copies, beside the code before, at load
8-12 (2026-12-06, 21:14-22:00 UTC): CPU even (``benchmarks.checks --first-run-only``, four
pairs: 19.5-22.1 s against 17.9-22.8 s; with a 100 MB cache, as at a million, six pairs: median
20.3 against 20.0 s), findings byte-identical; the commit 2.1-3.7 s against 4.3-17.4 s, the
copy 1.0-1.5 s of CPU on one core after the lanes. The same 800,000 findings copied into an
empty table with a 100 MB cache: 677 MB written and 2.8 s of CPU with a rollback journal,
1,359 MB and 4.3 s in WAL mode. The gain is the commit's writing, which grows with the findings.

The transfer needs the two tables alike (columns, CHECKs, indexes) and no foreign keys being
enforced on the target (SQLite's rule): the copy runs with ``foreign_keys`` off, and what the
findings' foreign keys would check holds by construction (``first_run`` is the run inserted in
the same transaction; ``waiver`` is empty until ``refresh_waivers`` sets it from ``waivers``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import sqlite_utils

from registry import db as store

DATABASE = "findings_build"
TABLE = "findings"
COPY_CACHE_KIB = 8 * 1024  # the build's page cache while it is copied (read once, in order)


def _findings_sql(conn) -> list[str]:
    """The statements that make the findings table and its indexes, as the registry has them."""
    return [sql for (sql,) in conn.execute(
        "SELECT sql FROM main.sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC, name",
        [TABLE])]


def _in_database(sql: str) -> str:
    """A CREATE TABLE or CREATE INDEX statement of the main database made for the build's, without
    its foreign keys: their parents (the runs, the waivers) are in the registry, not in the build."""
    sql = re.sub(r'(?i)\s+REFERENCES\s+"?\w+"?\s*\("?\w+"?\)', "", sql)
    return re.sub(r'(?i)^(CREATE (?:TABLE|INDEX)(?: IF NOT EXISTS)? )', rf"\1{DATABASE}.", sql, count=1)


class FindingsBuild:
    """The build's folder beside the registry: entered before the run's transactions and left
    after them (SQLite detaches no file a transaction has read), removed then, whatever happened."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.folder: Path | None = None
        self.attached = False

    @property
    def table(self) -> str:
        return f"{DATABASE}.{TABLE}"

    def __enter__(self) -> FindingsBuild:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if self.attached:
                self.db.conn.execute(f"DETACH DATABASE {DATABASE}")
                self.attached = False
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None

    def open(self, cache_kib: int) -> str:
        """Attach an empty findings table in a new file beside the registry; returns its name."""
        path = Path(store.file_path(self.db.conn))
        self.folder = Path(tempfile.mkdtemp(prefix=f"{path.name}-findings-", dir=path.parent))
        conn = self.db.conn
        conn.execute(f"ATTACH DATABASE ? AS {DATABASE}", [str(self.folder / "findings.db")])
        self.attached = True
        conn.execute(f"PRAGMA {DATABASE}.journal_mode = OFF")  # thrown away if anything fails
        conn.execute(f"PRAGMA {DATABASE}.synchronous = OFF")
        conn.execute(f"PRAGMA {DATABASE}.cache_size = -{cache_kib}")
        for sql in _findings_sql(conn):
            conn.execute(_in_database(sql))
        return self.table

    def copy_in(self) -> int:
        """Copy the built findings into the registry's empty findings table (foreign keys off:
        see the module's docstring); returns how many. The copy reads the build once, in order:
        its page cache, which held its indexes while the run recorded, is given back first, so
        that it and the registry's cache, filling with the copied pages, are not both full."""
        self.db.conn.execute(f"PRAGMA {DATABASE}.cache_size = -{COPY_CACHE_KIB}")
        return self.db.conn.execute(f"INSERT INTO main.{TABLE} SELECT * FROM {self.table}").rowcount


@contextmanager
def foreign_keys_off(conn) -> Iterator[None]:
    """Foreign keys not enforced meanwhile (set outside a transaction: SQLite ignores it inside one)."""
    before = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA foreign_keys = {before}")


def transfers(conn) -> bool:
    """Whether SQLite copies the built table by its transfer optimization (records as they are)
    rather than row by row: its program then has a part that copies whole records (``RowData``),
    taken when the target is empty, beside the row-by-row part."""
    program = [row[1] for row in conn.execute(f"EXPLAIN INSERT INTO main.{TABLE} SELECT * FROM {DATABASE}.{TABLE}")]
    return "RowData" in program
