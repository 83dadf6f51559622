"""Datasette's table permission check, read once per table instead of on every call.

To decide whether a table may be shown, Datasette 0.65.5 deep-copies every metadata source
and merges them again, for every table, on every page: the home page of a 100,000-agreement
public copy spent four fifths of its time copying metadata (about 60 copies a request, with
the dashboards and canned queries in it). Its answer depends only on the metadata, which no
plugin here changes while serving (none implements ``get_metadata``), so it is kept per
(database, table) for as long as the metadata object is the same one.
"""

from datasette import hookimpl
from datasette.plugins import pm


@hookimpl
def startup(datasette):
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
