"""What a row of a table means, per kind: which columns it has, how a cell becomes a value,
how a stored record becomes a cell again, and how a row becomes a record.

The columns of a kind are its model's fields (parsed by their type: dates, enums, yes/no,
numbers) plus, for agreements, a few derived ones (``agreements.py``). Import and export
use the same column objects, which is what makes the round trip hold.

A row is laid over the record as stored: a column the file lacks leaves the field alone; a
blank cell clears an optional field and keeps a required one.
"""

from __future__ import annotations

import itertools
import json
import re
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import cached_property
from typing import Any

import sqlite_utils
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from registry import clock
from registry import db as store
from registry.countries import country_code
from registry.db import writes
from registry.importers import partners, values
from registry.importers.headers import HeaderMap, MapFile
from registry.importers.outcome import MATCHED, NEW, ImportOptions, RowOutcome
from registry.importers.seen import SeenKeys
from registry.importers.stored import copied, record_inputs, stored_records
from registry.importers.table import RawRow, RawTable
from registry.importers.vocabulary import header_names
from registry.models import Record, by_table
from registry.problems import ProblemsFound
from registry.resolution import INVALID
from registry.schema_types import SLUG_PATTERN, Country
from registry.text import slugify
from registry.text import unique_id as unique_slug


def _text_cell(value: Any) -> Any:
    return value


@dataclass
class Column:
    name: str
    parse: Callable[[str, Context], Any]  # non-blank cell text -> value (ValueError: why not)
    export: Callable[[dict[str, Any], Context], Any]  # stored record inputs -> value (None: blank)
    to_cell: Callable[[Any], Any] = _text_cell  # value -> what a CSV/XLSX cell holds


@dataclass
class Context:
    """What converting rows needs besides the rows: the store, the options, lookups."""

    db: sqlite_utils.Database
    options: ImportOptions = field(default_factory=ImportOptions)
    header_of: dict[str, str] = field(default_factory=dict)
    today: date = field(default_factory=clock.today)

    @property
    def dayfirst(self) -> bool:
        return self.options.dayfirst

    def header(self, column: str) -> str:
        return self.header_of.get(column, column)

    @cached_property
    def programmes(self) -> dict[str, str]:
        """word key of a programme's id, code, English or Swedish name -> id."""
        table: dict[str, str] = {}
        for ident, code, name_en, name_sv in self.db.conn.execute(
            "SELECT id, programme_code, name_en, name_sv FROM programmes ORDER BY id"
        ):
            for name in (ident, code, name_en, name_sv):
                if name:
                    table.setdefault(values.word_key(name), ident)
        return table

    @cached_property
    def programme_names(self) -> dict[str, str]:
        return dict(self.db.conn.execute("SELECT id, name_en FROM programmes"))

    @cached_property
    def institutions(self) -> dict[str, tuple[str, str, str | None]]:
        """id -> (name, country, city) of every institution, for partner columns."""
        return {row[0]: row[1:] for row in self.db.conn.execute("SELECT id, name, country, city FROM institutions")}

    @cached_property
    def home_institution(self) -> str | None:
        homes = [row[0] for row in self.db.conn.execute("SELECT id FROM institutions WHERE is_home = 1")]
        return homes[0] if len(homes) == 1 else None


@dataclass
class ParsedRow:
    where: str
    line: int
    raw: dict[str, str]  # the file's header -> the cell as read
    values: dict[str, Any]  # column -> parsed value, for the cells that are not blank
    blank: set[str]  # columns the file has whose cell is blank
    errors: list[str]
    found_by_name: bool = False  # the record was found (or made) from the name, not an id
    base: dict[str, Any] | None = None  # a new record's starting values (from a reference record)
    scheme: str | None = None  # a mobility programme the row names (Nordplus), for a new agreement's title

    def given(self, column: str) -> bool:
        return column in self.values or column in self.blank


# --- slugs and messages ------------------------------------------------------------------

_CHILD_COLUMNS = {"parties": "partner", "programmes": "programmes"}  # child list -> the column that fills it


def _in_words(detail: ErrorDetails) -> str:
    """One pydantic error as a sentence about the value, not about pydantic's types."""
    kind, ctx, value = detail["type"], detail.get("ctx") or {}, detail.get("input")
    shown = f"{value!r}" if value is not None and not isinstance(value, (dict, list)) else "the value"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == SLUG_PATTERN:
        return (f"{shown} is not a registry id (lower-case letters, digits, '.', '_' or '-'); an office's own code "
                "belongs in an agreement code column")
    if kind == "string_pattern_mismatch":
        return f"{shown} is not in the expected form"
    if kind == "string_too_long":
        return f"{shown[:60]}... is longer than {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return "is empty"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{shown} is below {ctx.get('ge', ctx.get('gt'))}, the least allowed"
    if kind in ("less_than_equal", "less_than"):
        return f"{shown} is above {ctx.get('le', ctx.get('lt'))}, the most allowed"
    if kind == "missing":
        return "is required"
    message = detail["msg"].removeprefix("Value error, ")
    return message + (f" ({shown})" if value is not None and not isinstance(value, (dict, list)) else "")


def validation_reasons(error: ValidationError, ctx: Context, model: type[Record] | None = None) -> list[str]:
    """Pydantic's errors in the file's words, each once: header names for field names, and a
    child record's error named by the column that made it (not once per child)."""
    children = model.children if model is not None else {}
    reasons: list[str] = []
    for detail in error.errors():
        loc = [str(part) for part in detail["loc"]]
        if loc and loc[0] in children:
            parent_field = children[loc[0]][1]
            if loc[-1] == parent_field:
                continue  # the record's own id, already reported (or made) once
            where = ctx.header(_CHILD_COLUMNS.get(loc[0], loc[-1]))
        elif loc:
            where = ctx.header(loc[0])
        else:
            where = ""
        message = _in_words(detail)
        if detail["type"] in ("value_error", "assertion_error"):  # a model's own sentence names fields: say headers
            for name, header in ctx.header_of.items():
                message = re.sub(rf"\b{re.escape(name)}\b", header, message)
        reason = f"{where}: {message}" if where else message
        if reason not in reasons:
            reasons.append(reason)
    return reasons


# --- columns from a model's fields -------------------------------------------------------


def _enum_in(annotation: Any) -> type[Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    for argument in typing.get_args(annotation):
        found = _enum_in(argument)
        if found is not None:
            return found
    return None


_COUNTRY_RULE = typing.get_args(Country)[1]  # the validator that reads country names


def _reads_countries(info: Any) -> bool:
    """Whether a field is a Country (also inside Optional), so its cells are names to look up."""
    metadata = list(getattr(info, "metadata", []))
    annotation = getattr(info, "annotation", info)
    stack = [annotation]
    while stack:
        current = stack.pop()
        if typing.get_origin(current) is typing.Annotated:
            metadata += list(typing.get_args(current)[1:])
        stack += list(typing.get_args(current))
    return any(item is _COUNTRY_RULE for item in metadata)


def _parse_json(text: str, ctx: Context) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"{text!r} is not JSON (this column holds a list or mapping, e.g. [6, 7])") from None


def _to_date_cell(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _to_bool_cell(value: Any) -> Any:
    return None if value is None else ("yes" if value else "no")


def _to_json_cell(value: Any) -> Any:
    return None if value in (None, [], {}) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _stored_value(name: str) -> Callable[[dict[str, Any], Context], Any]:
    """The export of a stored field: the record's own value."""

    def export(record: dict[str, Any], ctx: Context) -> Any:
        return record.get(name)

    return export


def _enum_parser(enum: type[Enum]) -> Callable[[str, Context], str]:
    """The parse of an enum field: the member a cell names."""

    def parse(text: str, ctx: Context) -> str:
        return values.parse_enum(enum, text)

    return parse


def field_columns(model: type[Record]) -> dict[str, Column]:
    """A column per stored, non-computed field of the model, parsed by the field's type."""
    columns = {}
    for spec_column in store.specs()[model.table].columns:
        if spec_column.computed:
            continue
        name, kind = spec_column.name, spec_column.kind
        export = _stored_value(name)
        if kind == "date":
            column = Column(name, lambda text, ctx: values.parse_date(text, dayfirst=ctx.dayfirst), export, _to_date_cell)
        elif kind == "enum":
            enum = _enum_in(model.model_fields[name].annotation)
            if enum is None:
                raise TypeError(f"{model.__name__}.{name} is stored as an enum, but its type names no Enum")
            column = Column(name, _enum_parser(enum), export)
        elif kind == "bool":
            column = Column(name, lambda text, ctx: values.parse_bool(text), export, _to_bool_cell)
        elif kind == "integer":
            column = Column(name, lambda text, ctx: values.parse_int(text), export)
        elif kind == "real":
            column = Column(name, lambda text, ctx: values.parse_float(text), export)
        elif kind == "json":
            column = Column(name, _parse_json, export, _to_json_cell)
        elif _reads_countries(model.model_fields[name]):
            column = Column(name, lambda text, ctx: country_code(text), export)
        else:
            column = Column(name, lambda text, ctx: text, export)
        columns[name] = column
    return columns


# --- kinds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unreadable:
    reason: str


class TableKind:
    """Rows of one table, keyed by its primary key, each laid over the stored record.

    The rows are read, parsed and built a batch at a time (``outcomes``); what must hold across
    the whole file (an id given twice, the ids new records may take) is kept in ``seen``, keys
    only and out of memory. One kind object reads one file."""

    child_fields: tuple[str, ...] = ()  # child lists a row edits (read with the stored record)

    def __init__(self, model: type[Record], name: str | None = None):
        self.model = model
        self.name = name or model.table
        self._cell_cache: dict[tuple[str, str], Any] = {}  # one kind object per import

    @cached_property
    def columns(self) -> dict[str, Column]:
        return field_columns(self.model)

    def export_order(self) -> list[str]:
        """The vocabulary's order first (the columns people look at), then the model's."""
        first = [name for name in self.model.primary_key if name in self.columns]
        named = [column for column in header_names(self.name) if column in self.columns and column not in first]
        return first + named + [column for column in self.columns if column not in first and column not in named]

    def header_names(self) -> dict[str, list[str]]:
        vocabulary = header_names(self.name)
        names = {}
        for column in self.export_order():
            spelled = [*vocabulary.get(column, []), column.replace("_", " ")]
            first_spelling: dict[str, str] = {}
            for name in spelled:
                first_spelling.setdefault(values.word_key(name), name)
            names[column] = list(first_spelling.values())
        return names

    def export_header(self, column: str) -> str:
        return self.header_names()[column][0]

    # -- reading --

    @cached_property
    def seen(self) -> SeenKeys:
        return SeenKeys()

    def outcomes(self, table: RawTable, headers: HeaderMap, mapping: MapFile | None, ctx: Context) -> Iterator[RowOutcome]:
        """Every row's outcome, in file order, read and built ``writes.BATCH_RECORDS`` rows at a
        time: memory holds one batch of rows, not the file."""
        rows = iter(ctx.options.progress(table.rows, len(table.rows)))
        try:
            while batch := list(itertools.islice(rows, writes.BATCH_RECORDS)):
                yield from self.build(self.parse_rows(batch, table, headers, mapping, ctx), ctx)
        finally:
            if "seen" in self.__dict__:
                self.seen.close()
                del self.seen

    def parse_rows(self, rows: Iterable[RawRow], table: RawTable, headers: HeaderMap, mapping: MapFile | None,
                   ctx: Context) -> list[ParsedRow]:
        defaults = mapping.defaults if mapping else {}
        parsed = []
        for row in rows:
            raw = {header: (row.cells[i] if i < len(row.cells) else "") for i, header in enumerate(table.headers) if header}
            result = ParsedRow(table.where(row.line), row.line, raw, {}, set(), [])
            extra = [cell for cell in row.cells[len(table.headers):] if cell.strip()]
            if extra:
                result.errors.append(f"{len(row.cells)} cells but {len(table.headers)} headers (extra: {extra[0]!r})")
            cells = {column: (row.cells[i] if i < len(row.cells) else "") for i, column in headers.by_index.items()}
            for column, text in defaults.items():
                if not cells.get(column, "").strip():
                    cells[column] = text
            for column, text in cells.items():
                # Line ends inside a cell as XLSX keeps them, so CSV and XLSX store the same text.
                text = values.unneutralise(text.strip().replace("\r\n", "\n").replace("\r", "\n"))
                if not text:
                    result.blank.add(column)
                    continue
                found = self._parse_cell(column, text, ctx)
                if isinstance(found, _Unreadable):
                    result.errors.append(f"{ctx.header(column)}: {found.reason}")
                else:
                    result.values[column] = list(found) if isinstance(found, list) else found
            parsed.append(result)
        return parsed

    def _parse_cell(self, column: str, text: str, ctx: Context) -> Any:
        """A cell's value, read once per distinct text: a sheet repeats its kinds, statuses,
        countries and dates thousands of times."""
        cache = self._cell_cache
        key = (column, text)
        if key in cache:
            return cache[key]
        try:
            found = self.columns[column].parse(text, ctx)
        except ValueError as error:
            found = _Unreadable(str(error))
        if len(text) <= 200:
            cache[key] = found
        return found

    def build(self, rows: list[ParsedRow], ctx: Context) -> list[RowOutcome]:
        outcomes = [RowOutcome(row.where, row.line, row.raw) for row in rows]
        keys = self.row_keys(rows, outcomes, ctx)
        stored = stored_records(ctx.db, self.model.table, [k for k in keys if k], children=self.child_fields)
        for row, outcome, key in zip(rows, outcomes, keys, strict=True):
            if row.errors:
                outcome.reject("; ".join(row.errors))
            if outcome.reason or key is None:
                continue
            before = stored.get(key) or row.base
            record = self.overlay(copied(before) if before else {}, row, outcome, ctx, is_new=key not in stored)
            if record is not None:
                self.validate(record, outcome, ctx)
        return outcomes

    def row_keys(self, rows: list[ParsedRow], outcomes: list[RowOutcome], ctx: Context) -> list[tuple | None]:
        """The primary key each row is about (None when the row is rejected), each once."""
        pk = self.model.primary_key
        label = self.model.label_column
        keys: list[tuple | None] = []
        for row, outcome in zip(rows, outcomes, strict=True):
            key = tuple(row.values.get(name) for name in pk)
            if None in key and pk == ("id",) and label and row.values.get(label):
                try:
                    key = (slugify(str(row.values[label])),)
                except ValueError as error:
                    outcome.reject(f"{ctx.header(label)}: {error}")
                    keys.append(None)
                    continue
                row.values["id"] = key[0]
                outcome.resolution = f"id made from {ctx.header(label)}"
            if None in key:
                missing = [ctx.header(name) for name, value in zip(pk, key, strict=True) if value is None]
                outcome.reject(f"no {' and '.join(missing)}: the row cannot be matched to a record")
                keys.append(None)
            else:
                outcome.resolution = outcome.resolution or "by id"
                keys.append(key)
        return self.unique(keys, outcomes)

    def unique(self, keys: list[tuple | None], outcomes: list[RowOutcome]) -> list[tuple | None]:
        """The keys with each one given again in the file (this batch or an earlier one) refused."""
        for index, (key, outcome) in enumerate(zip(keys, outcomes, strict=True)):
            if key is None:
                continue
            first = self.seen.first_place("key", key, outcome.where)
            if first is not None:
                outcome.reject(f"duplicate id {'/'.join(map(str, key))!r}: the same record is already on {first}")
                keys[index] = None
        return keys

    def overlay(self, record: dict, row: ParsedRow, outcome: RowOutcome, ctx: Context, *, is_new: bool) -> dict | None:
        """The record with the row's cells laid over it (model inputs, not yet validated)."""
        self.set_fields(record, row, self.columns)
        return record

    def set_fields(self, record: dict, row: ParsedRow, columns: Iterable[str], skip: Iterable[str] = ()) -> None:
        fields = self.model.model_fields
        for column in columns:
            if column in skip or column not in fields:
                continue
            if column in row.values:
                record[column] = row.values[column]
            elif column in row.blank and not fields[column].is_required():
                # said, not left out: a merge keeps what a source leaves out, and this row clears it
                record[column] = fields[column].get_default(call_default_factory=True)

    def validate(self, record: dict, outcome: RowOutcome, ctx: Context) -> Record | None:
        try:
            built = self.model.model_validate(record)
        except ValidationError as error:
            outcome.reject("; ".join(validation_reasons(error, ctx, self.model)))
            return None
        outcome.records.insert(0, built)
        outcome.complete = self.child_fields
        outcome.key = f"{self.model.table}/{'/'.join(map(str, built.key()))}"
        return built

    # -- writing --

    def export_rows(self, ctx: Context) -> Iterable[dict[str, Any]]:
        """column -> value for every stored record, in key order."""
        order = self.export_order()
        for record in stored_records(ctx.db, self.model.table, children=self.child_fields).values():
            yield {column: self.columns[column].export(record, ctx) for column in order}


class InstitutionsKind(TableKind):
    """Institutions: keyed by id, or found by name (and country) when the file has no id."""

    # Read with the stored names, so that the model's own-name rule (name, local name and
    # acronym are names too) finds them and does not add them again without their language.
    child_fields = ("names",)

    def __init__(self) -> None:
        super().__init__(by_table()["institutions"], "institutions")
        self.stored_ids_seen = False  # the stored ids are in ``seen``'s "taken"

    def taken(self, ctx: Context) -> Callable[[str], bool]:
        """Whether an institution id is stored or already made by this import (``seen``'s "taken")."""
        if not self.stored_ids_seen:
            self.seen.add("taken", ctx.institutions)
            self.stored_ids_seen = True
        return lambda ident: self.seen.has("taken", ident)

    def row_keys(self, rows, outcomes, ctx):
        keys: list[tuple | None] = [None] * len(rows)
        queries, positions = [], []
        for index, (row, outcome) in enumerate(zip(rows, outcomes, strict=True)):
            if row.values.get("id"):
                keys[index] = (row.values["id"],)
                outcome.resolution = "by id"
            elif row.values.get("name"):
                queries.append((row.values["name"], row.values.get("country")))
                positions.append(index)
                row.found_by_name = True
            else:
                outcome.reject(f"no {ctx.header('id')} and no {ctx.header('name')}: the row cannot be matched")
        is_taken = self.taken(ctx)
        for index, resolution in zip(positions, partners.resolve_many(ctx.db, queries), strict=True):
            row, outcome = rows[index], outcomes[index]
            describe_candidates(outcome, resolution)
            best = resolution.candidates[0] if resolution.candidates else None
            if resolution.status == MATCHED and best and best.institution_id:
                keys[index] = (best.institution_id,)
                outcome.score = best.score
                outcome.resolution = f"name matched {best.institution_id} ({best.score:.2f}, {best.reason})"
            elif resolution.status == MATCHED or resolution.status == NEW:
                outcome.status = NEW
                if not ctx.options.create_missing:
                    outcome.reject("not in the registry; --create-missing creates it", NEW)
                    continue
                reference = best.reference_id if resolution.status == MATCHED and best else None
                try:
                    if reference:
                        row.base = record_inputs(partners.institution_from_reference(ctx.db, reference))
                        slug = unique_slug(row.base["id"], is_taken)
                        outcome.resolution = f"new institution from reference {reference} ({best.score:.2f}, {best.reason})"
                    else:
                        slug = unique_slug(slugify(row.values["name"]), is_taken)
                        outcome.resolution = "new institution"
                except (ValueError, ProblemsFound) as error:
                    outcome.reject(f"{ctx.header('name')}: {error}")
                    continue
                self.seen.add("taken", [slug])
                keys[index] = (slug,)
                row.values["id"] = slug
            else:
                outcome.reject(ambiguity(row.values["name"], resolution), "ambiguous")
        return self.unique(keys, outcomes)

    def overlay(self, record, row, outcome, ctx, *, is_new):
        # A name typed in a sheet found the record (or the reference record); it does not rename it.
        keep_name = row.found_by_name and bool(record)
        self.set_fields(record, row, self.columns, skip=("name",) if keep_name else ())
        record["id"] = row.values.get("id") or record.get("id")
        return record


def describe_candidates(outcome: RowOutcome, resolution) -> None:
    outcome.candidates = [
        {
            "institution_id": c.institution_id,
            "reference_id": c.reference_id,
            "name": c.name,
            "matched_name": c.matched_name,
            "country": c.country,
            "score": round(c.score, 3),
            "reason": c.reason,
        }
        for c in resolution.candidates[:3]
    ]


def ambiguity(name: str, resolution) -> str:
    if resolution.status == INVALID:  # "University", "!!!": no institution's name
        return f"{name!r}: {resolution.reason}"
    shown = "; ".join(
        f"{c.institution_id or c.reference_id} {c.name!r} ({c.score:.2f}, {c.reason}{', ' + c.country if c.country else ''})"
        for c in resolution.candidates[:3]
    )
    return f"{name!r} fits more than one institution: {shown}; give a country or a partner id"
