"""A table's facet counts, counted once per version of the registry instead of on every page.

Datasette counts each facet of a table page afresh on every request: the agreements table's
``kind`` and ``status`` counts each read every agreement's index entry (85 ms each at 1,000,000
agreements, on every load of the page). The counts change only when the registry does, so the
column facet here keeps each facet query's answer for the version of the file it was counted
on, and counts again once anything has been committed since: the same answer, from the same
query, as Datasette's ``ColumnFacet`` gives.

The version is SQLite's ``PRAGMA data_version``, read from a connection of our own that never
writes: SQLite changes it whenever any other connection commits (this server's writes, another
worker's, a command run beside it), and reading it costs microseconds. It is read before the
counts are: a commit in between at worst keeps counts newer than the version they are kept
under, which no later request reads (it sees the newer version). An immutable file (the public
copy) is counted as Datasette counts it: its copies are replaced whole, not committed to.
"""

from __future__ import annotations

import collections
import sqlite3
import weakref

from datasette.facets import ColumnFacet

KEPT = 512  # answers kept per server: a facet's few dozen rows each


class FacetCounts:
    """The facet queries' answers of one Datasette, each under the version it was counted on."""

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

    async def execute(self, datasette, version: tuple, database: str, sql: str, params=None, **options):
        key = (version, database, sql, _frozen(params), tuple(sorted(options.items())))
        if key in self.answers:
            self.answers.move_to_end(key)
            self.reused += 1
            return self.answers[key]
        answer = await datasette.execute(database, sql, params, **options)  # a time-out raises: nothing kept
        self.counted += 1
        self.answers[key] = answer
        while len(self.answers) > KEPT:
            self.answers.popitem(last=False)
        return answer


_kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def facet_counts(datasette) -> FacetCounts:
    if datasette not in _kept:
        _kept[datasette] = FacetCounts()
    return _kept[datasette]


def _frozen(params):
    if isinstance(params, dict):
        return tuple(sorted(params.items()))
    return tuple(params or ())


class _CountingOnce:
    """The Datasette a facet sees: its queries answered from ``FacetCounts``, all else Datasette's own."""

    def __init__(self, datasette, counts: FacetCounts, version: tuple) -> None:
        self._datasette, self._counts, self._version = datasette, counts, version

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    async def execute(self, database, sql, params=None, **options):
        return await self._counts.execute(self._datasette, self._version, database, sql, params, **options)


class KeptColumnFacet(ColumnFacet):
    """Datasette's column facet, its counts kept per version of the file (see the module)."""

    async def facet_results(self):
        datasette = self.ds
        counts = facet_counts(datasette)
        version = counts.version(datasette.get_database(self.database))
        if version is None:
            return await super().facet_results()
        self.ds = _CountingOnce(datasette, counts, version)
        try:
            return await super().facet_results()
        finally:
            self.ds = datasette
