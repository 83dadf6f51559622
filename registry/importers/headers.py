"""A file's headers to the columns of a kind of table, and the ``--map`` file for the rest.

A header is recognised whatever its case, accents, spacing or punctuation (``word_key``).
One that is not recognised stops the import before any row is read, with the closest
recognised header and the full list, because silently dropping a column ("Startdatum 2")
loses what the office typed. A map file names the others:

    columns:            # header in the file: column (null: leave the column out)
      Antal platser: places_out
      Kontaktperson: null
    defaults:           # cell text for a column the file lacks or leaves blank
      kind: utbytesavtal
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from registry.importers.table import RawTable
from registry.importers.vocabulary import word_key
from registry.problems import Problem, ProblemsFound


@dataclass
class MapFile:
    columns: dict[str, str | None] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)


@dataclass
class HeaderMap:
    by_index: dict[int, str]  # cell position -> column
    header_of: dict[str, str]  # column -> the header as the file writes it (for messages)


def read_map(path: Path, known: dict[str, list[str]]) -> MapFile:
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ProblemsFound([Problem("map-file", str(path), f"not a readable YAML map file ({error})")]) from None
    if not isinstance(document, dict) or set(document) - {"columns", "defaults"}:
        raise ProblemsFound([Problem("map-file", str(path), "a map file has 'columns' and 'defaults' mappings, nothing else")])
    columns = {str(k): (None if v is None else str(v)) for k, v in (document.get("columns") or {}).items()}
    defaults = {str(k): str(v) for k, v in (document.get("defaults") or {}).items()}
    problems = [
        Problem("map-file", str(path), f"unknown column {name!r}; columns are: {', '.join(known)}", field=name)
        for name in [*(v for v in columns.values() if v is not None), *defaults]
        if name not in known
    ]
    if problems:
        raise ProblemsFound(problems)
    return MapFile(columns, defaults)


def map_headers(table: RawTable, known: dict[str, list[str]], mapping: MapFile | None = None) -> HeaderMap:
    """Which column each header is; ProblemsFound naming every header that is not known."""
    lookup = {word_key(name): column for column, names in known.items() for name in names}
    explicit = {word_key(header): column for header, column in (mapping.columns if mapping else {}).items()}
    by_index: dict[int, str] = {}
    header_of: dict[str, str] = {}
    problems: list[Problem] = []
    where = table.where(table.header_line)
    for index, header in enumerate(table.headers):
        key = word_key(header)
        if not key:
            if any(index < len(row.cells) and row.cells[index].strip() for row in table.rows):
                problems.append(Problem("unknown-header", where, f"column {index + 1} has values but no header"))
            continue
        if key in explicit:
            column = explicit[key]
            if column is None:
                continue
        elif key in lookup:
            column = lookup[key]
        else:
            problems.append(_unknown(header, lookup, known, where))
            continue
        if column in header_of:
            problems.append(Problem(
                "duplicate-header", where,
                f"headers {header_of[column]!r} and {header!r} both mean {column!r}; leave one out with --map",
                field=header,
            ))
            continue
        by_index[index] = column
        header_of[column] = header
    if problems:
        raise ProblemsFound(problems)
    return HeaderMap(by_index, header_of)


def _unknown(header: str, lookup: dict[str, str], known: dict[str, list[str]], where: str) -> Problem:
    names = {word_key(name): name for names in known.values() for name in names}
    close = difflib.get_close_matches(word_key(header), list(names), n=1, cutoff=0.6)
    hint = f"closest: {names[close[0]]!r} ({lookup[close[0]]}); " if close else ""
    recognised = "; ".join(f"{column}: {', '.join(names)}" for column, names in known.items())
    return Problem(
        "unknown-header", where,
        f"unknown header {header!r}; {hint}name it in a --map file (or map it to null to leave it out). "
        f"Recognised headers: {recognised}",
        field=header,
    )
