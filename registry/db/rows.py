"""Values between models and rows: JSON columns, booleans, and re-validating a stored row."""

from __future__ import annotations

import contextlib
import json
from functools import cache
from typing import Any

from registry import schema
from registry.db.connection import specs
from registry.models import Record


def encode(spec: schema.TableSpec, columns: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON-mode dump as the values stored in each column."""
    return dict(zip(spec.stored_columns, encode_values(spec, columns), strict=True))


@cache
def _encoding(table: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    columns = specs()[table].columns
    return (
        tuple(c.name for c in columns),
        tuple(i for i, c in enumerate(columns) if c.kind == "json"),
        tuple(i for i, c in enumerate(columns) if c.kind == "bool"),
    )


def encode_values(spec: schema.TableSpec, columns: dict[str, Any]) -> list[Any]:
    names, json_positions, bool_positions = _encoding(spec.name)
    values: list[Any] = list(map(columns.get, names))
    for position in json_positions:
        if values[position] is not None:
            values[position] = schema.dump_json(values[position])
    for position in bool_positions:
        if values[position] is not None:
            values[position] = int(values[position])
    return values


def decode(spec: schema.TableSpec, row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the model dumps it (JSON parsed, booleans as bool)."""
    values = {}
    for column in spec.columns:
        value = row.get(column.name)
        if value is not None:
            if column.kind == "json" and isinstance(value, str):
                with contextlib.suppress(ValueError):  # text that is not JSON stays text
                    value = json.loads(value)
            elif column.kind == "bool" and value in (0, 1):
                value = bool(value)
        values[column.name] = value
    return values


def record_from_row(table: str, row: dict[str, Any]) -> Record:
    """Re-validate a stored row against its model (computed columns are derived, not input)."""
    spec = specs()[table]
    values = decode(spec, row)
    inputs = {c.name: values[c.name] for c in spec.columns if not c.computed and values.get(c.name) is not None}
    return spec.record.model_validate(inputs)
