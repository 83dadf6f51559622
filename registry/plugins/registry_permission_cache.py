"""Datasette's table permission check, read once per table instead of on every call.

To decide whether a table may be shown, Datasette 0.65.5 deep-copies every metadata source
and merges them again, for every table, on every page: the home page of a 100,000-agreement
public copy spent four fifths of its time copying metadata (about 60 copies a request, with
the dashboards and canned queries in it). Its answer depends only on the metadata, which no
plugin here changes while serving (none implements ``get_metadata``), so it is kept per
(database, table) for as long as the metadata object is the same one.

Before asking the plugins whether a table may be viewed, Datasette 0.65.5 looks up the table's
spelling in ``sqlite_master`` (``TABLE_SPELLING``): a scan of the registry's whole schema, its
hundreds of triggers included, 0.2 ms a check and three checks on every row page. The spelling
changes only with the schema, so each answer is kept under SQLite's ``PRAGMA schema_version``,
read on the same connection (any schema change anywhere bumps it), as the foreign keys are
(registry_foreign_keys.py).
"""

from datasette import hookimpl
from datasette.database import Results
from datasette.plugins import pm

# The statement Datasette.permission_allowed runs for every "view-table" check (datasette/app.py).
TABLE_SPELLING = "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase"


def _spelling_kept_per_schema(db) -> None:
    kept: dict = {"version": None}  # the schema version, and each table name asked for -> its rows
    execute = db.execute

    def read(conn, table):
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        if kept["version"] != version or len(kept) > 4096:  # a visitor may ask for any name
            kept.clear()
            kept["version"] = version
        if ("table", table) not in kept:
            cursor = conn.execute(TABLE_SPELLING, (table,))
            kept["table", table] = (cursor.fetchall(), cursor.description)
        return kept["table", table]

    async def spelled(sql, params=None, *args, **kwargs):
        if sql != TABLE_SPELLING or args or kwargs or not isinstance(params, tuple | list) or len(params) != 1:
            return await execute(sql, params, *args, **kwargs)
        rows, description = await db.execute_fn(lambda conn: read(conn, params[0]))
        return Results(list(rows), False, description)

    db.execute = spelled


@hookimpl
def startup(datasette):
    for name, db in datasette.databases.items():
        if name != "_internal":
            _spelling_kept_per_schema(db)
    if pm.hook.get_metadata.get_hookimpls():
        return  # metadata that plugins compute may change from call to call: leave Datasette's check alone
    compute = datasette._table_permission_allows
    known: dict = {}

    def table_permission_allows(database, table):
        key = (id(datasette._metadata_local), database, table)
        if key not in known:
            known[key] = compute(database, table)
        return list(known[key])

    datasette._table_permission_allows = table_permission_allows
