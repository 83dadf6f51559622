"""The example registry: reference data and the fictitious example portfolio in ``data/``."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from registry import db as store
from registry.extensions import demo_steps
from registry.importers import seed

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# Seed YAML only: data/ also holds criteria and indicator tables that are not records.
SEED_DIRS = ("reference", "examples")
DEMO_DB = Path("demo") / "registry.db"


def fresh_registry(path: str | Path) -> sqlite_utils.Database:
    """An empty registry at ``path``, replacing any file (and its WAL files) there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return store.open_registry(path, create=True)


def build_demo(path: str | Path = DEMO_DB, *, data_dir: Path = DATA_DIR) -> sqlite_utils.Database:
    """Build the example registry in a fresh file and run every capability's demo step."""
    db = fresh_registry(path)
    seed.load(db, [data_dir / name for name in SEED_DIRS if (data_dir / name).is_dir()], actor="demo")
    for step in demo_steps():
        step(db)
    return db
