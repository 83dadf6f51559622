"""The Python API: the same verbs as the ``registry`` command, on a registry file path.

    import registry
    registry.init("office.db")
    registry.load(["data/reference", "my-agreements.yml"], db_path="office.db")
    problems = registry.verify("office.db")
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils

from registry import db as store
from registry.importers import seed
from registry.problems import Problem
from registry.integrity import verify as _verify


def open_registry(db_path: str | Path | None = None, *, create: bool = False) -> sqlite_utils.Database:
    db = store.connect(db_path, create=create)
    store.ensure_schema(db)
    return db


def init(db_path: str | Path | None = None, *, reference: bool = True) -> sqlite_utils.Database:
    """Create the registry file, or bring its schema up to date; with ``reference``, every capability's
    init step also runs (the shipped reference institutions are loaded where none are)."""
    from registry.extensions import init_steps

    db = open_registry(db_path, create=True)
    if reference:
        for step in init_steps():
            step(db)
    return db


def load(paths: Iterable[str | Path], db_path: str | Path | None = None, *, dry_run: bool = False,
         actor: str | None = None) -> store.Plan:
    """Upsert YAML seed files or folders; raises ProblemsFound and writes nothing on bad input."""
    return seed.load(open_registry(db_path, create=True), paths, dry_run=dry_run, actor=actor)


def verify(db_path: str | Path | None = None) -> list[Problem]:
    return _verify(open_registry(db_path))


def stats(db_path: str | Path | None = None) -> dict[str, Any]:
    return store.stats(open_registry(db_path))


def history(record_id: str, db_path: str | Path | None = None) -> list[dict[str, Any]]:
    return store.history(open_registry(db_path), record_id)


def backup(destination: str | Path, db_path: str | Path | None = None) -> Path:
    return store.backup(open_registry(db_path), destination)


def demo(db_path: str | Path | None = None) -> sqlite_utils.Database:
    """Build the example registry in a fresh file (without serving it)."""
    from registry.examples import DEMO_DB, build_demo

    return build_demo(db_path or DEMO_DB)


def import_file(path: str | Path, db_path: str | Path | None = None, **options: Any):
    """Import a CSV, XLSX, seed YAML or EWP XML file; ``options`` as ``registry import`` takes them
    (kind, mapping, dry_run, keep_valid, dayfirst, create_missing, sheet, actor). Returns the
    report (rows with their outcome, the plan); raises ProblemsFound for a file it cannot read."""
    from registry.importers.flow import import_file as run_import
    from registry.importers.outcome import ImportOptions

    return run_import(open_registry(db_path, create=True), path, ImportOptions(**options))


def export(destination: str | Path | None = None, db_path: str | Path | None = None, *, format_name: str | None = None,
           kinds: Iterable[str] = (), delimiter: str = ",", agreements: Iterable[str] = ()) -> int:
    """Export records as CSV, XLSX, seed YAML or EWP XML (see ``registry export``); the number written."""
    from registry.exporters import export_file

    return export_file(open_registry(db_path), destination, format_name=format_name, kinds=kinds, delimiter=delimiter,
                       agreements=agreements)
