"""Every connection Datasette opens to a file of either face enforces foreign keys, as the
registry's own connections do (``registry.db.connect``): without ``PRAGMA foreign_keys`` SQLite
skips ``ON DELETE CASCADE``, so a write through the server (``execute_write_fn``: a document
removed) would leave its children behind (the document's bytes). Datasette's own ``_internal``
database is left as Datasette made it: its catalogue tables reference each other, and Datasette
empties them in an order that foreign keys would refuse."""

from datasette import hookimpl

INTERNAL = "_internal"


@hookimpl
def prepare_connection(conn, database):
    if database != INTERNAL:
        conn.execute("PRAGMA foreign_keys = ON")
