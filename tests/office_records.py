"""Records the report, reminder and calendar tests share: a home university, one partner, two
programmes, and exchange agreements between them (fictitious)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import new_registry

from registry import db as store
from registry.models import Agreement, Institution, Programme

BASE = [
    Institution(id="lund", name="Lund University", country="SE", is_home=True),
    Institution(id="oslo", name="University of Oslo", country="NO"),
    Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second"),
    Programme(id="nurse", name_en="Nursing", name_sv="Sjuksköterskeprogrammet", cycle="first"),
]


def exchange(id: str, title: str, ends_on: str | None, programme: str = "med", **fields: Any) -> Agreement:
    """An active student exchange with Oslo serving one programme."""
    fields.setdefault("status", "active")
    fields.setdefault("starts_on", "2020-08-01")
    return Agreement(id=id, title=title, kind="student_exchange", ends_on=ends_on, parties=["lund", "oslo"],
                     programmes=[programme], **fields)


def registry_file(path: Path, records: list) -> Any:
    """A registry at ``path`` holding BASE and ``records``."""
    db = store.connect(new_registry(path))
    store.write_records(db, BASE + records, actor="test")
    return db
