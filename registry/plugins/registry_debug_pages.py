"""Datasette's pages for its own developers are not pages of the registry.

Datasette 0.65 serves tools for debugging Datasette: ``/-/allow-debug`` (tries an allow rule on
any actor; it asks for no permission, so the internal face answered it without a login),
``/-/messages`` (sets a flash message), ``/-/patterns`` (its pattern library) and
``/-/threads``. No face serves them: a product's pages are its own. The pages that tell what
runs (``/-/versions``, ``/-/plugins``, ``/-/settings``, ``/-/databases`` with the file's path on
the server, ``/-/actor``) stay on the internal face, behind its login like every page there,
and are not served on the public face, where they tell a visitor nothing but what to attack.
An anonymous visitor of the internal face is sent to the login page, as for any other page.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

DEBUG_TOOLS = ("allow-debug", "messages", "patterns", "threads")
ABOUT_THE_SERVER = ("versions", "plugins", "settings", "databases", "actor")


def _path(names: tuple[str, ...]) -> str:
    return r"^/-/(?:" + "|".join(names) + r")(?:\.json)?$"


async def not_served(request, datasette):
    config = datasette.plugin_config("registry") or {}
    if config.get("face") == "internal" and config.get("auth") and request.actor is None:
        return Response.redirect(datasette.urls.path("/-/login"))
    raise NotFound("This page is not served.")


@hookimpl
def register_routes(datasette):
    config = datasette.plugin_config("registry") or {}
    names = DEBUG_TOOLS if config.get("face") == "internal" else DEBUG_TOOLS + ABOUT_THE_SERVER
    return [(_path(names), not_served)]
