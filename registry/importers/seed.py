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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml
from pydantic import ValidationError

from registry import db as store
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


@dataclass
class SeedRecord:
    record: Record
    where: str  # file:line


@dataclass
class _SeenKey:
    table: str
    key: tuple
    where: str


def seed_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named, folders searched recursively, in a stable order."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
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


def read_seed_file(path: Path, keys: list[_SeenKey] | None = None) -> tuple[list[SeedRecord], list[Problem]]:
    problems: list[Problem] = []
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_SeedLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        reason = getattr(error, "problem", None) or str(error)
        return [], [Problem("yaml-syntax", where, f"not valid YAML: {reason}")]
    except UnicodeDecodeError as error:
        return [], [Problem("encoding", str(path), f"not UTF-8 text ({error.reason} at byte {error.start})")]
    if document is None:
        return [], []
    if not isinstance(document, dict):
        return [], [Problem("seed-shape", f"{path}:1", "a seed file is a mapping of table names to lists of records")]
    tables = by_table()
    records: list[SeedRecord] = []
    for table, items in document.items():
        if table == ABOUT_KEY:
            continue
        where_table = f"{path}:{getattr(document, 'line', 1)}"
        if table not in tables:
            known = ", ".join(sorted(tables))
            problems.append(Problem("unknown-table", where_table, f"unknown table {table!r}; known: {known}, about"))
            continue
        if not isinstance(items, list):
            problems.append(Problem("seed-shape", where_table, f"{table} must be a list of records"))
            continue
        model = tables[table]
        for position, item in enumerate(items, start=1):
            where = f"{path}:{getattr(item, 'line', '?')}"
            label = f"{table}/{item.get(model.primary_key[0], f'#{position}')}" if isinstance(item, dict) else f"{table}/#{position}"
            key = _raw_key(model, item)
            if key is not None and keys is not None:
                keys.append(_SeenKey(table, key, where))
            try:
                records.append(SeedRecord(model.model_validate(item), where))
            except ValidationError as error:
                for detail in error.errors():
                    loc = tuple(detail["loc"])
                    line = _line_of(item, loc)
                    problems.append(
                        Problem(
                            "invalid-value",
                            f"{path}:{line}" if line else where,
                            detail["msg"].removeprefix("Value error, "),
                            label,
                            ".".join(str(part) for part in loc) or None,
                            detail.get("input") if loc else None,
                        )
                    )
    return records, problems


def read_seed(paths: Iterable[str | Path]) -> list[SeedRecord]:
    """Parse and validate every file; raise ProblemsFound with all problems at once."""
    records: list[SeedRecord] = []
    problems: list[Problem] = []
    keys: list[_SeenKey] = []
    with store.gc_paused():
        for path in seed_files(paths):
            file_records, file_problems = read_seed_file(path, keys)
            records.extend(file_records)
            problems.extend(file_problems)
    first_seen: dict[tuple, str] = {}
    for seen in keys:
        ident = (seen.table, seen.key)
        if ident in first_seen:
            problems.append(
                Problem(
                    "duplicate-id",
                    seen.where,
                    f"the same key is already given at {first_seen[ident]}",
                    f"{seen.table}/{'/'.join(seen.key)}",
                    by_table()[seen.table].primary_key[0],
                    seen.key[0],
                )
            )
        else:
            first_seen[ident] = seen.where
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
    stored, a child it lists is added or updated. With ``replace`` each record is written
    whole: left-out fields take their defaults and a child list it gives is the whole list."""
    paths = [Path(p) for p in paths]
    seeds = read_seed(paths)
    source = "load " + " ".join(str(p) for p in paths)
    return store.write_records(
        db,
        [s.record for s in seeds],
        actor=actor,
        source=source[:500],
        dry_run=dry_run,
        locations=[s.where for s in seeds],
        merge=not replace,
    )
