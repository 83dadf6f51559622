"""Every connection Datasette opens to a file of either face enforces foreign keys, as the
registry's own connections do (``registry.db.connect``): without ``PRAGMA foreign_keys`` SQLite
skips ``ON DELETE CASCADE``, so a write through the server (``execute_write_fn``: a document
removed) would leave its children behind (the document's bytes). Datasette's own ``_internal``
database is left as Datasette made it: its catalogue tables reference each other, and Datasette
empties them in an order that foreign keys would refuse.

Every row page asks Datasette for every table's foreign keys (its "links from other tables"):
a ``PRAGMA foreign_key_list`` for each of the registry's tables, 1.4 ms of an institution page's
12. They change only with the schema, so each database's answer is kept under SQLite's
``PRAGMA schema_version``, read on the same connection (any schema change anywhere bumps it)."""

from datasette import hookimpl
from datasette.utils import get_all_foreign_keys

INTERNAL = "_internal"


@hookimpl
def prepare_connection(conn, database):
    if database != INTERNAL:
        conn.execute("PRAGMA foreign_keys = ON")


def _kept_per_schema(db) -> None:
    kept: list = [(None, None)]  # (schema version, Datasette's answer), replaced whole; Datasette only reads it

    def read(conn):
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        if kept[0][0] != version:
            kept[0] = (version, get_all_foreign_keys(conn))
        return kept[0][1]

    async def all_foreign_keys():
        return await db.execute_fn(read)

    db.get_all_foreign_keys = all_foreign_keys


@hookimpl
def startup(datasette):
    for name, db in datasette.databases.items():
        if name != INTERNAL:
            _kept_per_schema(db)
