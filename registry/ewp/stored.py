"""A stored row as the record of a given model, typed as that model, for ``copies`` and ``heis``.

``registry.db.record_from_row`` finds the model from the table's name at run time, so its type is
only ``Record``; here the caller names the model, and the table comes from it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from registry import db as store
from registry.models import Record

R = TypeVar("R", bound=Record)


def stored_record(model: type[R], row: dict[str, Any]) -> R:
    """A row of ``model``'s table re-validated as ``model``."""
    record = store.record_from_row(model.table, row)
    if not isinstance(record, model):  # the schema maps each table to one model: only a broken schema gets here
        raise TypeError(f"{model.table} holds {type(record).__name__} records, not {model.__name__}")
    return record
