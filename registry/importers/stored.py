"""Stored records read back as the dicts their models take, children nested.

An import lays a row's cells over the record as stored, so that the columns a file does
not have keep their values; an export writes the same dicts out. Both read through here.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from registry import db as store
from registry import schema
from registry.models import Record

_CHUNK = 500


def _inputs(spec: schema.TableSpec, row: dict[str, Any], drop: str | None = None) -> dict[str, Any]:
    """A stored row's model inputs: no computed columns, no NULLs (the defaults say the same)."""
    values = store.decode(spec, row)
    return {c.name: values[c.name] for c in spec.columns if not c.computed and c.name != drop and values[c.name] is not None}


def copied(inputs: Any) -> Any:
    """A copy of model inputs (dicts and lists of them around immutable values) to lay a row
    over, built directly: ``copy.deepcopy``'s memo and dispatch took 4 % of a 50,000-row import.
    A value of any other kind is deep-copied as before."""
    kind = type(inputs)
    if kind is dict:
        return {name: copied(value) for name, value in inputs.items()}
    if kind is list:
        return [copied(value) for value in inputs]
    if kind in (str, int, float, bool) or inputs is None:
        return inputs
    return copy.deepcopy(inputs)


def _select(db: sqlite_utils.Database, table: str, column: str, values: list[Any] | None, order: tuple[str, ...]):
    quoted_order = ", ".join(schema.quote(name) for name in order)
    if values is None:
        cursor = db.conn.execute(f"SELECT * FROM {schema.quote(table)} ORDER BY {quoted_order}")
        names = [d[0] for d in cursor.description]
        yield from (dict(zip(names, row, strict=True)) for row in cursor)
        return
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        cursor = db.conn.execute(
            f"SELECT * FROM {schema.quote(table)} WHERE {schema.quote(column)} IN ({', '.join('?' for _ in chunk)}) "
            f"ORDER BY {quoted_order}",
            chunk,
        )
        names = [d[0] for d in cursor.description]
        yield from (dict(zip(names, row, strict=True)) for row in cursor)


def stored_records(
    db: sqlite_utils.Database,
    table: str,
    keys: Iterable[tuple] | None = None,
    *,
    children: Iterable[str] = (),
) -> dict[tuple, dict[str, Any]]:
    """Primary key -> model inputs of the stored records with these keys (all when None),
    with the named child lists nested as the model's fields."""
    spec = store.specs()[table]
    model = spec.record
    pk = model.primary_key
    wanted = None if keys is None else {tuple(key) for key in keys}
    first_values = None if wanted is None else sorted({key[0] for key in wanted})
    found: dict[tuple, dict[str, Any]] = {}
    for row in _select(db, table, pk[0], first_values, pk):
        key = tuple(row[name] for name in pk)
        if wanted is None or key in wanted:
            found[key] = _inputs(spec, row)
    if not found:
        return found
    parents = sorted({key[0] for key in found}) if wanted is not None else None
    for field_name in children:
        child_model, parent_field = model.children[field_name]
        child_spec = store.specs()[child_model.table]
        nested: dict[Any, list] = defaultdict(list)
        for row in _select(db, child_model.table, parent_field, parents, child_model.primary_key):
            nested[row[parent_field]].append(_inputs(child_spec, row, drop=parent_field))
        for key, record in found.items():
            record[field_name] = nested.get(key[0], [])
    return found


def record_inputs(record: Record) -> dict[str, Any]:
    """A record (not stored) as the same inputs: no computed fields, no None, children nested."""
    computed = type(record).model_computed_fields
    values = record.model_dump(mode="json", exclude=set(record.children))
    data = {name: value for name, value in values.items() if name not in computed and value is not None}
    for field_name, (_, parent_field) in record.children.items():
        data[field_name] = [
            {k: v for k, v in record_inputs(child).items() if k != parent_field} for child in getattr(record, field_name)
        ]
    return data
