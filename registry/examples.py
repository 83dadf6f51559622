"""The example registry: reference data and the fictitious example portfolio in ``data/``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from registry import db as store
from registry.extensions import demo_steps
from registry.importers import seed

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# Seed YAML only: data/ also holds criteria and indicator tables that are not records.
SEED_DIRS = ("reference", "examples")
DEMO_DB = Path("demo") / "registry.db"
DEMO_ACTOR = "demo"  # the demo's first change is logged under this actor: how a demo registry is known


class NotADemoRegistry(ValueError):
    """The demo was asked to build over a file that is not a demo registry."""


def is_demo_registry(path: str | Path) -> bool:
    """Whether ``path`` holds nothing but a demo: its audit log starts with the demo's load, or
    it is an empty file or a registry without records (a demo build that stopped)."""
    path = Path(path)
    if path.is_file() and path.stat().st_size == 0:
        return True
    try:
        conn = sqlite3.connect(store.read_only_uri(path), uri=True)
        try:
            first = conn.execute("SELECT actor FROM changes ORDER BY id LIMIT 1").fetchone()
            if first is None:
                return conn.execute("SELECT count(*) FROM institutions").fetchone()[0] == 0
            return first[0] == DEMO_ACTOR
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def fresh_registry(path: str | Path) -> sqlite_utils.Database:
    """An empty registry at ``path``, replacing any file (and its WAL files) there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return store.open_registry(path, create=True)


def build_demo(path: str | Path = DEMO_DB, *, data_dir: Path = DATA_DIR) -> sqlite_utils.Database:
    """Build the example registry in a fresh file and run every capability's demo step. An
    existing file is replaced only when it is a demo registry itself."""
    if Path(path).exists() and not is_demo_registry(path):
        raise NotADemoRegistry(
            f"{path} exists and is not a demo registry; nothing was written: give the demo another --db, "
            "or move the file away"
        )
    db = fresh_registry(path)
    seed.load(db, [data_dir / name for name in SEED_DIRS if (data_dir / name).is_dir()], actor=DEMO_ACTOR)
    for step in demo_steps():
        step(db)
    return db
