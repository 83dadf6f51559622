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


def init(db_path: str | Path | None = None) -> sqlite_utils.Database:
    """Create the registry file, or bring its schema up to date."""
    return open_registry(db_path, create=True)


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


def add_user(name: str, *, role: str, password: str, reviewer_role: str | None = None,
             db_path: str | Path | None = None, actor: str | None = None):
    """A registry account for the internal face (see ``registry.accounts``); raises ProblemsFound."""
    from registry import accounts

    return accounts.add(open_registry(db_path), name, role=role, password=password, reviewer_role=reviewer_role, actor=actor)


def users(db_path: str | Path | None = None) -> list:
    """The registry's accounts (names, roles, dates; never a password hash)."""
    from registry import accounts

    return accounts.accounts(open_registry(db_path))


def change_password(name: str, password: str, db_path: str | Path | None = None, *, actor: str | None = None) -> None:
    """A new password for a registry account; its sessions end."""
    from registry import accounts

    accounts.change_password(open_registry(db_path), name, password, actor=actor)


def remove_user(name: str, db_path: str | Path | None = None, *, actor: str | None = None) -> None:
    """Remove a registry account with its password and sessions; the audit log keeps its history."""
    from registry import accounts

    accounts.remove(open_registry(db_path), name, actor=actor)
