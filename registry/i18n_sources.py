"""The registry's words that are not written as ``_("...")`` calls, for Babel's catalogue.

``pybabel extract`` (see babel.cfg and docs/languages.md) reads the ``_()``/``gettext()`` calls
of the code and templates itself; this module gives it what lives in data rather than calls,
each defined once where it is: the Datasette metadata (metadata.yml, registry/metadata.d/,
public-metadata.yml and the table and column descriptions drawn from the models' docstrings
and fields), the names of columns and query parameters (context ``column``) and the words of
the stored codes (``registry.labels``: each enumeration member's label, ISCED fields). babel.cfg
maps ``metadata.yml`` to ``extract``; the checks' words are ``checks.catalogue``'s.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from registry import clock, i18n
from registry import db as store
from registry.db import vocabulary
from registry.serve import build_metadata

_PARAMETER = re.compile(r":(\w+)")  # Datasette's own way of finding a query's parameters
# (line number, function, message or (context, message), comments): what Babel's extractors yield
Extracted = tuple[int, str, Any, list[str]]


COLUMN_DESCRIPTION = "a column's description"


def metadata_texts(value: Any, key: str | None = None) -> Iterator[tuple[str, str]]:
    """The words of Datasette metadata, as ``i18n.localise`` translates them, each with what it is."""
    if isinstance(value, dict):
        for k, v in value.items():
            if key == "columns":
                if isinstance(v, str):
                    yield v, COLUMN_DESCRIPTION
            elif k not in i18n.METADATA_SKIPPED_KEYS:
                yield from metadata_texts(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from metadata_texts(item, key)
    elif isinstance(value, str) and key in i18n.METADATA_TEXT_KEYS and value.strip():
        yield value, "Datasette metadata"


def all_metadata() -> list[dict[str, Any]]:
    from registry.faces import PUBLIC_METADATA_FILE

    public = yaml.safe_load(PUBLIC_METADATA_FILE.read_text(encoding="utf-8")) or {}
    return [build_metadata(), public]


def code_words() -> Iterator[str]:
    """The English words of every stored code (``registry.labels``): kinds, statuses, roles, ISCED fields.
    Country names are not here: Babel (CLDR) has them in every language."""
    for vocabulary_name, _, english, _ in vocabulary.rows():
        if vocabulary_name != "country":
            yield english


def column_names() -> Iterator[str]:
    """The columns of every table and view, and of every canned query's answer, with the queries' parameters."""
    with tempfile.TemporaryDirectory() as folder:
        db = store.connect(Path(folder) / "registry.db")
        store.ensure_schema(db)
        conn = db.conn
        clock.register_sql(conn)
        for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view') and name not like '%_fts%'"):
            yield from (row[1] for row in conn.execute(f"pragma table_info([{name}])"))
        for metadata in all_metadata():
            for database in (metadata.get("databases") or {}).values():
                for query in (database.get("queries") or {}).values():
                    yield from _query_columns(conn, query)
        db.close()


def _query_columns(conn: sqlite3.Connection, query: dict[str, Any]) -> Iterator[str]:
    sql = query.get("sql") or ""
    yield from (p for p in _PARAMETER.findall(sql) if not p.startswith("_"))
    yield from query.get("params") or ()
    if query.get("write"):
        return
    try:
        cursor = conn.execute(sql, _Nulls())
    except sqlite3.Error:
        return
    yield from (d[0] for d in cursor.description or ())


class _Nulls(dict):
    def __missing__(self, key: str) -> None:
        return None


def extract(fileobj, keywords, comment_tags, options) -> Iterator[Extracted]:
    """Babel extraction method (babel.cfg: ``[registry.i18n_sources.extract: metadata.yml]``)."""
    seen: set[Any] = set()

    def once(function: str, message: Any, comment: str) -> Iterator[Extracted]:
        if message not in seen:
            seen.add(message)
            yield 0, function, message, [comment]

    for metadata in all_metadata():
        for text, comment in metadata_texts(metadata):
            yield from once("_", text, comment)
    for name in sorted(set(column_names())):
        yield from once("pgettext", (i18n.COLUMN, name), "a column or query parameter")
    for word in i18n.FILTER_WORDS:
        yield from once("pgettext", (i18n.FILTER, word), "Datasette's description of a table's filters")
    for words in code_words():
        yield from once("_", words, "a stored code in words")
