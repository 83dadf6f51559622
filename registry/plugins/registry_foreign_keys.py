"""Every connection Datasette opens to a file of either face enforces foreign keys, as the
registry's own connections do (``registry.db.connect``): without ``PRAGMA foreign_keys`` SQLite
skips ``ON DELETE CASCADE``, so a write through the server (``execute_write_fn``: a document
removed) would leave its children behind (the document's bytes)."""

from datasette import hookimpl


@hookimpl
def prepare_connection(conn):
    conn.execute("PRAGMA foreign_keys = ON")
