"""``/-/calendar.ics`` on the internal face: the registry's dates for a calendar program.

A logged-in account (Datasette's actor, from the login cookie) gets the feed, of the whole
registry or of ``?programme=ID``. A calendar program that cannot log in polls a token URL,
``/-/calendar.ics?token=...``, made with ``registry calendar-token create`` and stopped with
``registry calendar-token revoke``; the token's own programme applies. The public face has no
feed: its data are minimised and its dates are not published.
"""

from __future__ import annotations

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import Response

from registry import calendar_feed

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _config(datasette) -> dict:
    if not hasattr(datasette, "_registry_calendar_config"):
        datasette._registry_calendar_config = datasette.plugin_config("registry") or {}
    return datasette._registry_calendar_config


def _database(datasette):
    return next(db for name, db in datasette.databases.items() if not name.startswith("_"))


async def calendar_ics(datasette, request):
    if _config(datasette).get("face") != "internal":
        return Response.text("no calendar on this face", status=404)
    database = _database(datasette)
    token = request.args.get("token")
    programme = request.args.get("programme") or None
    if token:
        scope = await database.execute_fn(lambda conn: calendar_feed.token_scope(sqlite_utils.Database(conn), token))
        if scope is None:
            return Response.text("this calendar link is unknown or has been revoked", status=403)
        programme = scope["programme"]
    elif request.actor is None and _config(datasette).get("auth"):
        return Response.text("log in, or use a calendar link made with 'registry calendar-token create'", status=403)
    if programme and not (await database.execute("SELECT 1 FROM programmes WHERE id = ?", [programme])).rows:
        return Response.text(f"no programme {programme!r}", status=404)
    base_url = datasette.absolute_url(request, "/").rstrip("/")
    feed = await database.execute_fn(
        lambda conn: calendar_feed.build(
            sqlite_utils.Database(conn), programme=programme, base_url=base_url, database=database.name
        ).to_ical()
    )
    return Response(
        feed,
        content_type=CONTENT_TYPE,
        headers={"Content-Disposition": 'inline; filename="registry.ics"', "Cache-Control": "private, no-store"},
    )


@hookimpl
def register_routes():
    return [(r"^/-/calendar\.ics$", calendar_ics)]


@hookimpl
def menu_links(datasette, actor):
    """The feed in the menu of a logged-in account (or of a loopback face without a login)."""
    config = _config(datasette)
    if config.get("face") == "internal" and (actor is not None or not config.get("auth")):
        return [{"href": datasette.urls.path("/-/calendar.ics"), "label": "Calendar feed (.ics)"}]
    return []
