"""Seed files: YAML that names records by table, as kept in ``data/``.

A seed file is a mapping whose keys are table names (``institutions``, ``networks``,
``programmes``, ``agreements``, ``mobility_flows``, ``contacts``, ``reviews`` ...) and
whose values are lists of records; nested lists (an agreement's ``parties``,
``mobility_terms`` ...) follow the model's ``children``. An optional ``about`` mapping says
where the facts come from (``source_url``, ``retrieved_on``, ``licence``) or that they are
examples. Every problem in every file is reported at once, with file and line, and nothing
is written unless all of them are clean.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Optional

import sqlite_utils
import yaml
from pydantic import ValidationError, create_model

from registry import db as store
from registry.importers.seen import SeenKeys
from registry.models import Record, by_table
from registry.problems import Problem, ProblemsFound

ABOUT_KEY = "about"
SUFFIXES = (".yml", ".yaml")


class LineDict(dict):
    """A mapping that remembers the line it started on."""

    line: int = 0


_Base: type[yaml.CSafeLoader] | type[yaml.SafeLoader]
try:  # libyaml parses several times faster; the constructor (and so LineDict) stays in Python
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader


class _SeedLoader(_Base):  # type: ignore[misc, valid-type]  # mypy takes no base chosen at run time
    """Safe YAML with line numbers, and without YAML 1.1 surprises: 'NO' (Norway) stays a
    string and dates stay text for the models to check, so 2025-02-30 gets a clear error."""


_SeedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SeedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode):
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    yield mapping
    mapping.update(loader.construct_mapping(node, deep=True))


_SeedLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


class _StreamLoader(_SeedLoader, yaml.composer.Composer):
    """The seed loader with Python's composer over the (C) parser's events, so that a file is
    composed one record at a time (libyaml's own composer takes a whole document)."""

    def __init__(self, stream: Any) -> None:
        _SeedLoader.__init__(self, stream)  # type: ignore[call-arg]  # mypy sees no base chosen at run time
        yaml.composer.Composer.__init__(self)

    def next_value(self) -> tuple[Any, int]:
        """The next node, constructed, and the line it starts on."""
        start = self.peek_event().start_mark
        try:
            node = self.compose_node(None, None)  # type: ignore[arg-type]  # a node at the top: no parent, no index
            if node is None:  # pragma: no cover - the caller checked that a node comes
                raise yaml.composer.ComposerError(None, None, "expected a node", None)
            return self.construct_document(node), node.start_mark.line + 1
        # What libyaml accepts but Python cannot hold: nesting past the recursion limit, an int
        # of over 4,300 digits; said as YAML problems, on the record's line.
        except RecursionError:
            raise yaml.constructor.ConstructorError(None, None, "a value nested too deeply", start) from None
        except UnicodeDecodeError:
            raise
        except ValueError as error:
            raise yaml.constructor.ConstructorError(None, None, f"a value Python cannot hold ({error})", start) from None


@dataclass
class SeedRecord:
    record: Record
    where: str  # file:line


def seed_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named, folders searched recursively, in a stable order."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.exists():  # a file, or a stream to read as one (/dev/stdin, a pipe: load <(...))
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return files


def _line_of(item: Any, loc: tuple) -> int | None:
    """The line of the deepest mapping along a validation error's location."""
    line = getattr(item, "line", None)
    current = item
    for part in loc:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(current, "line", line)
    return line


def _raw_key(model: type[Record], item: Any) -> tuple | None:
    if not isinstance(item, dict) or any(item.get(k) is None for k in model.primary_key):
        return None
    return tuple(str(item[k]) for k in model.primary_key)


def _document_items(path: Path) -> Iterator[tuple[str, Any, int]]:
    """(table, item, line of the document) for every item of every table list of a seed file,
    each composed and constructed alone: memory holds one record's YAML, not the file's.
    A table whose value is not a list is given whole; ``about`` is skipped."""
    with path.open(encoding="utf-8") as stream:
        loader = _StreamLoader(stream)
        try:
            loader.get_event()  # stream start
            if loader.check_event(yaml.StreamEndEvent):
                return
            loader.get_event()  # document start
            if not loader.check_event(yaml.MappingStartEvent):
                value, line = loader.next_value()
                if value is not None:
                    yield "", None, line
                return
            line = loader.get_event().start_mark.line + 1
            while not loader.check_event(yaml.MappingEndEvent):
                table, _ = loader.next_value()
                if table == ABOUT_KEY or not loader.check_event(yaml.SequenceStartEvent):
                    value, _ = loader.next_value()
                    if table != ABOUT_KEY:
                        yield table, value, line
                    continue
                loader.get_event()
                while not loader.check_event(yaml.SequenceEndEvent):
                    yield table, [loader.next_value()[0]], line
                loader.get_event()
            loader.get_event()  # mapping end
            loader.get_event()  # document end
            if not loader.check_event(yaml.StreamEndEvent):
                event = loader.get_event()
                raise yaml.composer.ComposerError("expected a single document in the stream", None,
                                                  "but found another document", event.start_mark)
        finally:
            loader.dispose()


def read_seed_file(path: Path, problems: list[Problem], seen: SeenKeys | None = None, *,
                   updates: bool = False) -> Iterator[SeedRecord]:
    """The valid records of one seed file, read as they come; what is wrong goes to ``problems``.
    With ``updates`` (a merging load), a record may leave out required fields: see ``_update``."""
    tables = by_table()
    positions: dict[str, int] = {}
    try:
        for table, items, line in _document_items(path):
            where_table = f"{path}:{line}"
            if table == "":
                problems.append(Problem("seed-shape", f"{path}:1", "a seed file is a mapping of table names to lists of records"))
            elif table not in tables:
                if table not in positions:
                    known = ", ".join(sorted(tables))
                    problems.append(Problem("unknown-table", where_table, f"unknown table {table!r}; known: {known}, about"))
                positions[table] = 0
            elif not isinstance(items, list):
                problems.append(Problem("seed-shape", where_table, f"{table} must be a list of records"))
            else:
                for item in items:
                    positions[table] = positions.get(table, 0) + 1
                    yield from _seed_record(path, tables[table], table, item, positions[table], problems, seen, updates)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        reason = getattr(error, "problem", None) or str(error)
        problems.append(Problem("yaml-syntax", where, f"not valid YAML: {reason}"))
    except UnicodeDecodeError as error:
        problems.append(Problem("encoding", str(path), f"not UTF-8 text ({error.reason} at byte {error.start})"))


def _seed_record(path: Path, model: type[Record], table: str, item: Any, position: int, problems: list[Problem],
                 seen: SeenKeys | None, updates: bool = False) -> Iterator[SeedRecord]:
    where = f"{path}:{getattr(item, 'line', '?')}"
    label = f"{table}/{item.get(model.primary_key[0], f'#{position}')}" if isinstance(item, dict) else f"{table}/#{position}"
    key = _raw_key(model, item)
    if key is not None and seen is not None:
        first = seen.first_place(table, key, where)
        if first is not None:
            problems.append(Problem("duplicate-id", where, f"the same key is already given at {first}",
                                    f"{table}/{'/'.join(key)}", model.primary_key[0], key[0]))
    try:
        yield SeedRecord(model.model_validate(item), where)
    except ValidationError as error:
        details = error.errors()
        if updates and key is not None:
            update = _update(model, item, details)
            if update is not None:
                yield SeedRecord(update, where)
                return
            # a required field left out is no fault of an update; of a new record, the store says so
            details = [d for d in details if not _unmentioned(d)] or details
        for detail in details:
            loc = tuple(detail["loc"])
            line = _line_of(item, loc)
            problems.append(
                Problem(
                    "invalid-value",
                    f"{path}:{line}" if line else where,
                    detail["msg"].removeprefix("Value error, "),
                    label,
                    ".".join(str(part) for part in loc) or None,
                    detail.get("input") if loc and detail["type"] != "missing" else None,  # not the whole record again
                )
            )


@cache
def _given_fields(model: type[Record]) -> type[Record]:
    """The model with its required fields optional (absent: None), each given field checked
    by the model's own type and rules. The store lays such a record over the stored one and
    validates the merged record with ``model`` itself (``db.writes._merged``); a record of it
    that is new is refused there, naming the required fields it lacks."""
    optional: dict[str, Any] = {
        name: (Optional[Annotated[(info.annotation, *info.metadata)]], None)  # noqa: UP045 - a type built at run time
        for name, info in model.model_fields.items() if info.is_required() and name not in model.primary_key
    }
    return create_model(f"{model.__name__}Update", __base__=model, **optional)


def _unmentioned(detail: Any) -> bool:
    """Whether a validation error is a required field of the record itself left out."""
    return detail["type"] == "missing" and len(detail["loc"]) == 1


def _update(model: type[Record], item: Any, details: list[Any]) -> Record | None:
    """The record as an update of a stored one, when all that is wrong is required fields it
    does not mention (a source that does not mention a field never erases it); else None."""
    if not all(map(_unmentioned, details)):
        return None
    try:
        return _given_fields(model).model_validate(item)
    except Exception:  # noqa: BLE001 - a model's own rule that needs the missing fields: the model's errors stand
        return None


class Problems(list):
    """Problems as a reader finds them, the first ``LISTED`` kept and the rest counted: a file of
    a million bad records says so in a thousand lines, with a count, not in a million."""

    LISTED = 1000

    def __init__(self) -> None:
        super().__init__()
        self.unlisted = 0

    def append(self, problem: Problem) -> None:
        if len(self) < self.LISTED:
            super().append(problem)
        else:
            self.unlisted += 1

    def close(self, where: str) -> None:
        """Say how many more there were, once the reading is done."""
        if self.unlisted:
            super().append(Problem("more-problems", where, f"{self.unlisted:,} more problems like these are not listed"))
            self.unlisted = 0


def iter_seed(paths: Iterable[str | Path], problems: list[Problem], *, updates: bool = False) -> Iterator[SeedRecord]:
    """The valid records of every file, read lazily, in order; what is wrong (including a key
    given twice) goes to ``problems``. ``updates`` as for ``read_seed_file``."""
    seen = SeenKeys()
    try:
        for path in seed_files(paths):
            yield from read_seed_file(path, problems, seen, updates=updates)
    finally:
        seen.close()
    if isinstance(problems, Problems):
        problems.close(", ".join(map(str, paths)))


def read_seed(paths: Iterable[str | Path], *, updates: bool = False) -> list[SeedRecord]:
    """Parse and validate every file; raise ProblemsFound with all problems at once."""
    problems = Problems()
    with store.gc_paused():
        records = list(iter_seed(paths, problems, updates=updates))
    if problems:
        raise ProblemsFound(problems)
    return records


def load(
    db: sqlite_utils.Database,
    paths: Iterable[str | Path],
    *,
    actor: str | None = None,
    dry_run: bool = False,
    replace: bool = False,
) -> store.Plan:
    """Upsert the records of YAML files or folders in one transaction.

    A record is merged into the stored one: a field or child list it leaves out keeps what is
    stored, a child it lists is added or updated; so a record of a stored one need not repeat
    its required fields (a new one must give them). With ``replace`` each record is written
    whole: left-out fields take their defaults and a child list it gives is the whole list."""
    paths = [Path(p) for p in paths]
    seed_files(paths)  # a missing file is named before anything is read
    problems = Problems()
    records, places = itertools.tee(iter_seed(paths, problems, updates=not replace))
    source = "load " + " ".join(str(p) for p in paths)
    return store.write_records(
        db,
        (s.record for s in records),
        actor=actor,
        source=source[:500],
        dry_run=dry_run,
        locations=(s.where for s in places),
        merge=not replace,
        problems=problems,
        read_ahead=True,  # the reading's only effect is on ``problems``; SeenKeys is its own
    )
