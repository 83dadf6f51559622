"""Every connection of both faces reads the registry's today through ``registry_today()``,
as the registry's own connections do (``registry.clock``): views and canned queries use it."""

from datasette import hookimpl

from registry import clock


@hookimpl
def prepare_connection(conn):
    clock.register_sql(conn)
