"""What a migration must make anew, worked out before it touches anything (``migrations.py``).

A registry is kept for years and migrated at every release that changes its schema, so a
migration costs what changed, not the size of the file: at a million agreements rebuilding
every index and the search index took most of a quarter of an hour for a release that only
added a table. Compared with a fresh registry of this release (``upkeep.reference``):

- a table is rebuilt when its CREATE TABLE differs (or made when missing);
- an index is made anew when its definition differs, when no model declares it (then only
  dropped), or when its table is rebuilt (dropping a table drops its indexes);
- the search index is rebuilt when what it holds could differ from what this release would
  write (``search_reasons``), and otherwise kept with its tables;
- triggers and views are always made anew: they hold no data, and making them costs nothing.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from functools import cache

import sqlite_utils

from registry import schema
from registry.db.connection import split_sql
from registry.db.upkeep import master, reference, search_index_stale
from registry.db.vocabulary import TABLE as VOCABULARY  # written whole by every migration (vocabulary.fill)


@dataclass
class Plan:
    tables: list[str] = field(default_factory=list)  # to make or rebuild, in the models' order
    indexes: dict[str, str] = field(default_factory=dict)  # of the file, to drop (made anew if declared) -> its table
    search: list[str] = field(default_factory=list)  # why the search index is rebuilt; empty: kept
    search_tables: set[str] = field(default_factory=set)  # the search tables and their shadow tables


def plan(conn: sqlite3.Connection) -> Plan:
    """What migrating ``conn`` to this release's schema makes anew (reads only)."""
    expected, found = master(reference()), master(conn)
    virtual = {name for (kind, name), sql in expected.items() if kind == "table" and sql.upper().startswith("CREATE VIRTUAL")}
    search_tables = {name for kind, name in expected if kind == "table" and (name in virtual or any(name.startswith(f"{v}_") for v in virtual))}
    result = Plan(search_tables=search_tables)
    result.tables = [name for kind, name in expected
                     if kind == "table" and name not in search_tables and found.get((kind, name)) != expected[(kind, name)]]
    wanted = {name for kind, name in expected if kind == "table"}
    for (kind, name), sql in found.items():
        if kind != "index":
            continue
        table = index_table(conn, name)
        declared = ("index", name) in expected or table in wanted  # not an index of a table no model declares
        if table in result.tables or (declared and expected.get(("index", name)) != sql):
            result.indexes[name] = table or ""
    result.search = search_reasons(conn, result.tables, search_tables, expected, found)
    return result


def search_reasons(conn: sqlite3.Connection, rebuilt: list[str], search_tables: set[str],
                   expected: dict[tuple[str, str], str], found: dict[tuple[str, str], str]) -> list[str]:
    """Why the file's search index would differ from the one this release builds from the same
    rows; empty when it would not. Its rows are made by ``schema.SEARCH_REBUILD_STEPS`` (and kept
    current by the triggers of ``schema.SEARCH_SQL``, which hold the same expressions) from the
    columns ``search_sources`` names, so it is stale when:

    - a search table or one of its shadow tables is missing or defined otherwise;
    - a search trigger differs: the text of a row is made differently (or from other columns);
    - a table it reads is rebuilt: its rows get new rowids (the search rows' keys) and its values
      may be stored otherwise;
    - the vocabulary's words it reads (``labels``, written whole by every migration) differ from
      this release's;
    - it misses rows or holds rows of none (``upkeep.search_index_stale``).
    """
    reasons = [f"search table {name} is {'defined otherwise' if ('table', name) in found else 'missing'}"
               for name in sorted(search_tables) if found.get(("table", name)) != expected[("table", name)]]
    triggers = [name for name in search_triggers() if found.get(("trigger", name)) != expected.get(("trigger", name))]
    if triggers:  # a release that changes how rows are made changes most of them: name a few, count the rest
        named = ", ".join(triggers[:3]) + (f" and {len(triggers) - 3} more" if len(triggers) > 3 else "")
        reasons.append(f"search trigger{'s' if len(triggers) > 1 else ''} {named} differ{'' if len(triggers) > 1 else 's'}")
    sources = search_sources()
    reasons += [f"table {table}, which it reads, is made anew" for table in rebuilt if table in sources]
    words = sources.get(VOCABULARY)
    if words and VOCABULARY not in rebuilt and _rows(conn, VOCABULARY, words) != _rows(reference(), VOCABULARY, words):
        reasons.append("the vocabulary's search words differ")
    if not reasons and search_index_stale(sqlite_utils.Database(conn)):
        reasons.append("the search index misses rows")
    return reasons


def search_triggers() -> list[str]:
    """The names of the triggers that keep the search index current (``schema.SEARCH_SQL``)."""
    return [match.group(1) for statement in split_sql(schema.SEARCH_SQL)
            if (match := re.match(r"CREATE TRIGGER IF NOT EXISTS (\w+)", statement))]


@cache  # a copy of the whole schema in memory each time; it is this release's, so it never changes
def search_sources(search_table: str | None = None) -> dict[str, tuple[str, ...]]:
    """Table -> the columns the search rows (of ``search_table`` only, when given) are made from,
    as SQLite reports them while it prepares ``schema.SEARCH_REBUILD_STEPS`` over an empty
    registry (its authorizer hears of every column a statement reads), so it stays true when the
    search's SQL changes. Callers must not change the mapping: it is shared."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        reference().backup(conn)
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")}
        read: dict[str, set[str]] = {}

        def heard(action: int, table: str | None, column: str | None, database: str | None, _: str | None) -> int:
            if action == sqlite3.SQLITE_READ and database == "main" and table is not None and table in tables and column:
                read.setdefault(table, set()).add(column)
            return sqlite3.SQLITE_OK

        for table, before, rows in schema.SEARCH_REBUILD_STEPS:
            conn.set_authorizer(heard if search_table in (None, table) else None)
            for statement in split_sql(before):
                conn.execute(statement)
            conn.execute(rows).fetchall()
    finally:
        conn.close()
    return {table: tuple(sorted(columns)) for table, columns in sorted(read.items())}


def _rows(conn: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> list[tuple[object, ...]]:
    names = ", ".join(schema.quote(c) for c in columns)
    return conn.execute(f"SELECT {names} FROM {schema.quote(table)} ORDER BY {names}").fetchall()


def index_table(conn: sqlite3.Connection, index: str) -> str | None:
    row = conn.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?", [index]).fetchone()
    return row[0] if row else None
