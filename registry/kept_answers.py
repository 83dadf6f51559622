"""Answers of the internal face's read-only queries, each kept for the version of the registry it was read from.

Datasette runs a table's facet counts and a canned list's query afresh on every request: the
agreements table's ``kind`` and ``status`` counts read every agreement's index entry (85 ms each
at 1,000,000 agreements), and a list's query is a fifth to a third of its page's CPU (the paged
lists look up about 1,100 agreements to fill 50 rows). Their answers change only when the
registry does, so each is kept for the version of the file it was read from and read again once
anything has been committed since: the same answer, from the same query.

The version is SQLite's ``PRAGMA data_version``, read from a connection of our own that never
writes: SQLite changes it whenever any other connection commits (this server's writes, another
worker's, a command run beside it), and reading it costs microseconds. It is read before the
query runs: a commit in between at worst keeps an answer newer than the version it is kept
under, which no later request reads (it sees the newer version). An immutable file (the public
copy) is read as Datasette reads it: its copies are replaced whole, not committed to.

A canned query's answer is kept under everything else it depends on: its SQL, the values bound
to its parameters (the visitor's, and the magic ones: the login's, the page's offset), the
registry's today (``registry_today()``) and the page's language. A query that reads the clock
or chance some other way (``'now'``, ``random()``, ``date()`` with no date, ...) is never kept.
"""

from __future__ import annotations

import collections
import functools
import re
import sqlite3
import weakref
from collections.abc import Awaitable, Callable

from datasette.database import Results
from datasette.facets import ColumnFacet

from registry import clock, i18n

KEPT = 512  # answers kept per server: a facet's few dozen rows, a list page's 50, a search's 20
# A longer answer (a list asked for whole, ?_size=max) is read each time: a visitor paging through
# such answers would otherwise fill the memory with them. At most about 50 MB kept a process.
MOST_ROWS = 100


class KeptAnswers:
    """The kept answers of one Datasette, each under the version of the file it was read from."""

    def __init__(self) -> None:
        self.answers: collections.OrderedDict = collections.OrderedDict()
        self.versions: dict[str, tuple[str, sqlite3.Connection]] = {}
        self.counted = self.reused = 0

    def version(self, database) -> tuple | None:
        """(file, data version) of a mutable database, None for anything else."""
        if database.is_memory or database.is_mutable is False or not database.path:
            return None
        path, conn = self.versions.get(database.name, (None, None))
        if path != database.path or conn is None:
            conn = sqlite3.connect(f"file:{database.path}?mode=ro", uri=True, check_same_thread=False)
            self.versions[database.name] = (database.path, conn)
        return database.path, conn.execute("PRAGMA data_version").fetchone()[0]

    def get(self, key: tuple):
        """What is kept under ``key``, or None."""
        found = self.answers.get(key)
        if found is not None:
            self.answers.move_to_end(key)
            self.reused += 1
        return found

    def keep(self, key: tuple, answer) -> None:
        if _rows(answer) > MOST_ROWS:
            return
        self.answers[key] = answer
        while len(self.answers) > KEPT:
            self.answers.popitem(last=False)

    async def answer(self, key: tuple, read: Callable[[], Awaitable]):
        """The answer kept under ``key`` (which names the version), else ``read()``'s, kept. A
        query that fails (a time-out, an error) raises, and nothing is kept. The answer is shared
        by every request with the same key: read it, never change it (``fresh`` copies a query's)."""
        found = self.get(key)
        if found is not None:
            return found
        answer = await read()
        self.counted += 1
        self.keep(key, answer)
        return answer


class KeptRows(list):
    """A kept query answer's rows, a list of the page's own, naming what they were kept under
    (``key``) and where (``store``): a page may keep what it makes of them there too
    (``registry.cell_hooks``: the rows' HTML)."""

    __slots__ = ("key", "store")

    def __init__(self, rows, key: tuple, store: KeptAnswers) -> None:
        super().__init__(rows)
        self.key, self.store = key, store


def fresh(results: Results, key: tuple, store: KeptAnswers) -> Results:
    """A kept query answer with a rows list of its own: a page's code may empty and refill its rows while it renders."""
    if _rows(results) > MOST_ROWS:  # not kept, nor anything made of it
        return Results(list(results.rows), results.truncated, results.description)
    return Results(KeptRows(results.rows, key, store), results.truncated, results.description)


def _rows(answer) -> int:
    """How many rows an answer holds (a query's, or a page's rows made of one)."""
    if isinstance(answer, Results):
        return len(answer.rows)
    return len(answer) if isinstance(answer, list) else 0


_kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kept_answers(datasette) -> KeptAnswers:
    if datasette not in _kept:
        _kept[datasette] = KeptAnswers()
    return _kept[datasette]


def _frozen(params):
    if isinstance(params, dict):
        return tuple(sorted(params.items()))
    return tuple(params or ())


# -- facet counts -----------------------------------------------------------------------------------


class _CountingOnce:
    """The Datasette a facet sees: its queries answered from ``KeptAnswers``, all else Datasette's own."""

    def __init__(self, datasette, kept: KeptAnswers, version: tuple) -> None:
        self._datasette, self._kept, self._version = datasette, kept, version

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    async def execute(self, database, sql, params=None, **options):
        key = ("facet", self._version, database, sql, _frozen(params), tuple(sorted(options.items())))
        return fresh(await self._kept.answer(key, lambda: self._datasette.execute(database, sql, params, **options)),
                     key, self._kept)


class KeptColumnFacet(ColumnFacet):
    """Datasette's column facet, its counts kept per version of the file (see the module)."""

    async def facet_results(self):
        datasette = self.ds
        kept = kept_answers(datasette)
        version = kept.version(datasette.get_database(self.database))
        if version is None:
            return await super().facet_results()
        self.ds = _CountingOnce(datasette, kept, version)
        try:
            return await super().facet_results()
        finally:
            self.ds = datasette


# -- canned queries -----------------------------------------------------------------------------------

# What makes a query's answer change without a commit, besides registry_today(): SQLite's clock
# ('now', CURRENT_DATE, or a date function given no date), chance, and what the connection itself last did.
_UNSTEADY = re.compile(
    r"'\s*now\s*'|\bcurrent_(date|time|timestamp)\b|\b(random|randomblob|changes|total_changes|last_insert_rowid)\s*\("
    r"|\b(date|time|datetime|julianday|unixepoch)\s*\(\s*\)|\bstrftime\s*\(\s*'[^']*'\s*\)",
    re.IGNORECASE,
)
_LITERALS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)
# Named parameters as Datasette's canned queries write them (outside strings and comments); any
# other kind of placeholder leaves the query unkept (its values could not all be named in the key).
_PARAMETER = re.compile(r":(\w+)")
_OTHER_PLACEHOLDERS = re.compile(r"[?@$]")
_ABSENT = ("absent",)


def _code(sql: str) -> str:
    """The SQL without its string literals and comments."""
    return _LITERALS_AND_COMMENTS.sub(" ", sql)


def steady(sql: str) -> bool:
    """Whether a query's answer depends only on the file, its parameters and the registry's today."""
    return _parameters(sql) is not None


@functools.lru_cache(maxsize=512)
def _parameters(sql: str) -> tuple[str, ...] | None:
    """A steady query's named parameters, each once (None for a query that is not steady)."""
    code = _code(sql)
    if _UNSTEADY.search(sql) or _OTHER_PLACEHOLDERS.search(code):
        return None
    return tuple(dict.fromkeys(_PARAMETER.findall(code)))


def _bound_values(names: tuple[str, ...], params) -> tuple | None:
    """Each named parameter's value as SQLite will bind it (magic ones worked out), or None
    when one is of a kind that cannot be a key, or working it out fails (Datasette then meets
    the same failure itself)."""
    values = []
    for name in names:
        try:
            value = params[name]
        except KeyError:
            value = _ABSENT
        except Exception:  # noqa: BLE001 - a magic parameter's refusal is Datasette's to raise, uncached
            return None
        if value is not _ABSENT and value is not None and type(value) not in (str, int, float, bytes):
            return None
        values.append((name, value))
    return tuple(values)


# How Datasette's table page counts its rows (datasette/views/table.py): every agreement's index
# entry on every request of the agreements table.
TABLE_COUNT = "select count(*) from "


def keep_canned_answers(datasette, db) -> None:
    """``db.execute`` keeps the answers of canned queries (Datasette runs them, and only them, with
    ``MagicParameters``), and a table page's count of its rows, that read nothing but the file,
    their parameters and the registry's today."""
    from datasette.views.database import MagicParameters

    execute = db.execute
    kept = kept_answers(datasette)

    async def execute_kept(sql, params=None, *args, **options):
        kept_kind = not args and (isinstance(params, MagicParameters)
                                  or (type(params) is dict and sql.startswith(TABLE_COUNT)))
        names = _parameters(sql) if kept_kind else None
        version = kept.version(db) if names is not None else None
        values = _bound_values(names, params) if names is not None and version is not None else None
        if values is None:
            return await execute(sql, params, *args, **options)
        key = ("query", version, sql, values, clock.today(), i18n.current(), tuple(sorted(options.items())))
        return fresh(await kept.answer(key, lambda: execute(sql, params, **options)), key, kept)

    db.execute = execute_kept
