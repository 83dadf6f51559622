"""A file's headers to the columns of a kind of table, and the ``--map`` file for the rest.

A header is recognised whatever its case, accents, spacing or punctuation (``word_key``),
also without what it holds in brackets and with its last word singular ("Programme(s)"); a
loose name ("Start", "Code") only when no other header of the file names that column. One
that is not recognised stops the import before any row is read, with the closest recognised
header, because silently dropping a column ("Startdatum 2") loses what the office typed. The
header itself may sit below title lines (``locate_header``). A map file names the others:

    columns:            # header in the file: column (null: leave the column out)
      Antal platser: places_out
      Kontaktperson: null
    defaults:           # cell text for a column the file lacks or leaves blank
      kind: utbytesavtal
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from registry.importers.table import RawRow, RawTable
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
    how_of: dict[str, str] = field(default_factory=dict)  # column -> how its header was read, when not literally

    def describe(self) -> list[str]:
        """'header' -> column for every column, saying how a header not named literally was read."""
        return [
            f"{header!r} -> {column}" + (f" ({self.how_of[column]})" if self.how_of.get(column) else "")
            for column, header in self.header_of.items()
        ]


def read_map(path: Path, known: dict[str, list[str]]) -> MapFile:
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, yaml.YAMLError) as error:  # ValueError: not UTF-8, an int Python cannot hold
        raise ProblemsFound([Problem("map-file", str(path), f"not a readable YAML map file ({error})")]) from None
    except RecursionError:
        raise ProblemsFound([Problem("map-file", str(path), "not a readable YAML map file (nested too deeply)")]) from None
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


_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
HEADER_SEARCH_ROWS = 15  # a header may sit below a title, a date line and blank rows


def header_keys(header: str) -> list[str]:
    """The keys a header may be known by, most literal first: as written, without what is in
    brackets ("Programme(s)", "Start date (dd/mm/yyyy)"), and with its last word singular."""
    keys = [word_key(header), word_key(_BRACKETS.sub(" ", header))]
    for key in list(keys):
        words = key.split()
        if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
            keys.append(" ".join([*words[:-1], words[-1][:-1]]))
    return [key for key in dict.fromkeys(keys) if key]


@dataclass
class _Reading:
    column: str
    how: str  # "" when the header is a name the vocabulary lists; else how it was read


def _read_header(header: str, lookup: dict[str, str], loose: dict[str, str]) -> _Reading | None:
    keys = header_keys(header)
    if keys and keys[0] in lookup:
        return _Reading(lookup[keys[0]], "")
    for key in keys[1:]:
        if key in lookup:
            return _Reading(lookup[key], "read without brackets or plural")
    for key in keys:
        if key in loose:
            return _Reading(loose[key], "loose")
    return None


def _lookups(known: dict[str, list[str]], loose: dict[str, list[str]]) -> tuple[dict[str, str], dict[str, str]]:
    lookup = {word_key(name): column for column, names in known.items() for name in names}
    loose_lookup = {word_key(name): column for column, names in loose.items() if column in known for name in names}
    return lookup, {key: column for key, column in loose_lookup.items() if key not in lookup}


def _header_candidates(table: RawTable) -> list[RawRow]:
    return [RawRow(table.header_line, table.headers), *table.rows[:HEADER_SEARCH_ROWS]]


def best_header_row(table: RawTable, known: dict[str, list[str]], loose: dict[str, list[str]] | None = None) -> tuple[int, int]:
    """(position among the top rows, how many known columns it names) of the likeliest header."""
    lookup, loose_lookup = _lookups(known, loose or {})

    def score(row: RawRow) -> int:
        return len({reading.column for cell in row.cells if (reading := _read_header(cell, lookup, loose_lookup))})

    scores = [score(row) for row in _header_candidates(table)]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best, scores[best]


def locate_header(table: RawTable, known: dict[str, list[str]], loose: dict[str, list[str]] | None = None) -> RawTable:
    """The table with its header found: the first of its top rows that names the most known
    columns, so that title lines, a date line or a logo row above the header are skipped."""
    best, score = best_header_row(table, known, loose)
    if best == 0 or score < 2:
        return table
    candidates = _header_candidates(table)
    above = candidates[:best]
    header = candidates[best]
    cells = [cell.strip() for cell in header.cells]
    while cells and not cells[-1]:
        cells.pop()
    shown = "; ".join(f"line {row.line}: {' '.join(c.strip() for c in row.cells if c.strip())[:80]!r}" for row in above)
    table.notes.append(f"the header is on line {header.line}; above it, skipped: {shown}")
    table.headers, table.header_line, table.rows = cells, header.line, table.rows.below(header.line, best)
    table.blank_lines = [line for line in table.blank_lines if line > header.line]
    if not table.rows:
        raise ProblemsFound([Problem("no-rows", table.where(header.line), "the file has a header row but no rows to import")])
    return table


def map_headers(table: RawTable, known: dict[str, list[str]], mapping: MapFile | None = None,
                loose: dict[str, list[str]] | None = None) -> HeaderMap:
    """Which column each header is; ProblemsFound naming every header that is not known.

    A loose name ("Start", "Code") is taken only when no other header of the file names the
    same column; two headers for one column are refused."""
    lookup, loose_lookup = _lookups(known, loose or {})
    explicit = {word_key(header): column for header, column in (mapping.columns if mapping else {}).items()}
    readings: dict[int, _Reading | None] = {}
    problems: list[Problem] = []
    where = table.where(table.header_line)
    filled = _with_values(table, [index for index, header in enumerate(table.headers) if not word_key(header)])
    for index, header in enumerate(table.headers):
        key = word_key(header)
        if not key:
            if index in filled:
                problems.append(Problem("unknown-header", where, f"column {index + 1} has values but no header"))
            continue
        if key in explicit:
            mapped = explicit[key]
            readings[index] = None if mapped is None else _Reading(mapped, "--map")
            continue
        readings[index] = _read_header(header, lookup, loose_lookup) or _Reading("", "unknown")
    claimed_by: dict[str, list[str]] = {}  # column -> the headers of the file that may be it
    for index, reading in readings.items():
        if reading and reading.how != "unknown":
            claimed_by.setdefault(reading.column, []).append(table.headers[index])
    by_index: dict[int, str] = {}
    header_of: dict[str, str] = {}
    how_of: dict[str, str] = {}
    unknown = 0
    for index, reading in readings.items():
        header = table.headers[index]
        if reading is None:
            continue
        if reading.how == "loose" and len(claimed_by[reading.column]) > 1:
            others = [other for other in claimed_by[reading.column] if other != header]
            problems.append(Problem(
                "unclear-header", where,
                f"header {header!r} could mean {reading.column!r}, but so could {', '.join(map(repr, others))}; "
                "name it in a --map file (or map it to null to leave it out)",
                field=header,
            ))
            continue
        if reading.how == "unknown":
            unknown += 1
            if unknown <= UNKNOWN_SHOWN:
                problems.append(_unknown(header, lookup, loose_lookup, known, where))
            continue
        if reading.column in header_of:
            problems.append(Problem(
                "duplicate-header", where,
                f"headers {header_of[reading.column]!r} and {header!r} both mean {reading.column!r}; leave one out with --map",
                field=header,
            ))
            continue
        by_index[index] = reading.column
        header_of[reading.column] = header
        how_of[reading.column] = "the only column that can be it" if reading.how == "loose" else reading.how
    if unknown > UNKNOWN_SHOWN:
        problems.append(Problem("unknown-header", where, f"and {unknown - UNKNOWN_SHOWN:,} more unknown headers: is this "
                                "the registry's kind of sheet? Name them in a --map file (or map them to null)"))
    if problems:
        raise ProblemsFound(problems)
    return HeaderMap(by_index, header_of, how_of)


# Unknown headers named one by one; past these, one line counts the rest: a sheet of 20,000
# unknown headers printed 20,000 lines, and each looked for its closest known header.
UNKNOWN_SHOWN = 20


def _with_values(table: RawTable, columns: list[int]) -> set[int]:
    """Which of ``columns`` hold a value in some row, in one pass over the rows (a sheet saved
    with a whole row formatted has hundreds of empty columns, and a pass each took minutes)."""
    found: set[int] = set()
    unseen = set(columns)
    for row in table.rows if unseen else ():
        found.update(index for index in unseen if index < len(row.cells) and row.cells[index].strip())
        unseen -= found
        if not unseen:
            break
    return found


def _unknown(header: str, lookup: dict[str, str], loose: dict[str, str], known: dict[str, list[str]], where: str) -> Problem:
    names = {word_key(name): name for names in known.values() for name in names}
    close = difflib.get_close_matches(header_keys(header)[-1], [*names, *loose], n=1, cutoff=0.6)
    hint = ""
    if close:
        column = lookup.get(close[0]) or loose[close[0]]
        hint = f"closest known header: {names.get(close[0], close[0])!r} ({column}); "
    return Problem(
        "unknown-header", where,
        f"unknown header {header!r}; {hint}name it in a --map file (or map it to null to leave it out); "
        "docs/import.md lists every header recognised",
        field=header,
    )
