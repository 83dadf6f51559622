"""Shared by the import tests: a registry with the example institutions, and small helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import new_registry

from registry import db as store
from registry import schema
from registry.importers import seed
from registry.importers.flow import ImportReport, import_file
from registry.importers.outcome import ImportOptions

DATA = Path(__file__).resolve().parent / "data" / "import"
SEED = DATA / "registry.yml"


def build_seeded(path: Path) -> Path:
    db = store.connect(new_registry(path))
    seed.load(db, [SEED], actor="test")
    db.conn.close()
    return path


def copy_of(source: Path, folder: Path):
    target = folder / "registry.db"
    shutil.copy(source, target)
    return store.connect(target)


def run(db, path: Path, **options) -> ImportReport:
    return import_file(db, path, ImportOptions(**options))


def write(folder: Path, text: str, name: str = "sheet.csv", encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(db) -> dict[str, int]:
    """Row counts of every table and of the audit log: equal before and after = nothing written."""
    counts = {table: db.conn.execute(f"SELECT count(*) FROM {schema.quote(table)}").fetchone()[0] for table in store.specs()}
    counts["changes"] = db.conn.execute(f"SELECT count(*) FROM {schema.AUDIT_TABLE}").fetchone()[0]
    return counts


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The example registry, built once per test module."""
    return build_seeded(tmp_path_factory.mktemp("seeded") / "registry.db")


@pytest.fixture
def db(seeded, tmp_path):
    """A copy of it for one test."""
    db = copy_of(seeded, tmp_path)
    yield db
    db.conn.close()
