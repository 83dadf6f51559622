"""A larger SQLite page cache for each connection a face reads the registry through.

SQLite keeps 2 MB of a file's pages per connection by default. A list page reads index and table
pages from all over the file (``teacher_mobility_gaps`` looks up about 1,100 agreements'
programmes and 200 agreements' terms to fill 50 rows, in no order the file keeps), and with 2 MB
most of those pages were read again from the operating system on every request: a system call
and a copy each. At 200,000 agreements, the canned lists' SQL alone (CPU a run, the same query
20 times on one connection, 2 MB -> 64 MB): ``teacher_mobility_gaps`` 3.9 -> 2.6 ms,
``unused_agreements`` 5.3 -> 3.2, ``programme_portfolio`` 2.0 -> 1.3, ``partners_by_network``
1.1 -> 0.4, nearly all of the difference kernel time. The cache is allocated only as pages are
read, so a connection that reads little stays small; the most a serving process holds is this
much per connection it opens (one to read, one to write, the custom SQL workers' own). The same
pages are read whatever the cache's size, so every answer is the same; SQLite empties a
connection's cache when another connection commits, so no page is ever stale.
"""

from datasette import hookimpl

CACHE_KIB = 128 * 1024  # per connection, at most; SQLite's default is 2,000 KiB
INTERNAL = "_internal"  # Datasette's own in-memory database: small, nothing to keep


@hookimpl
def prepare_connection(conn, database):
    if database != INTERNAL:
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
