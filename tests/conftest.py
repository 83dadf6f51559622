"""Shared fixtures: real registry files in a temporary folder, Datasette's own test client."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from registry import clock
from registry import db as store

# Tests never read the calendar: the registry's today (registry.clock) is this date for the
# whole suite, servers and lane processes included. CI runs the suite once more with
# REGISTRY_TODAY a year on and a year back; a test that needs another day sets it itself.
TEST_TODAY = "2026-12-05"
os.environ.setdefault(clock.ENVIRONMENT_VARIABLE, TEST_TODAY)

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"
# ../shared sits beside the checkout in CI; a git worktree may sit a level deeper.
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "reference").is_dir()), ROOT.parent / "shared")

requires_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="needs ../shared (reference dumps and EWP schemas), which is not on this machine"
)


@pytest.fixture
def registry_path(tmp_path: Path) -> Path:
    """A fresh, empty registry file with the full schema."""
    path = tmp_path / "registry.db"
    db = store.connect(path)
    store.ensure_schema(db)
    db.conn.close()
    return path


@pytest.fixture
def registry_db(registry_path: Path):
    db = store.connect(registry_path)
    yield db
    db.conn.close()


def datasette_get(db_path: Path, path: str, **client_kwargs):
    """GET a path from the internal face of db_path (metadata, templates and plugins, no login)."""
    from registry import faces

    async def fetch():
        datasette = faces.internal_face(db_path, auth=False).datasette()
        return await datasette.client.get(path, **client_kwargs)

    return asyncio.run(fetch())
