"""The internal face keeps the public copy in step: ``registry serve --publish-to PATH``.

At startup a ``registry.republish.Republisher`` starts following the registry file the face
serves and republishes the public copy at ``publish_to`` in the background after every change,
however it was made (a form, a canned query, ``registry load``/``import``/``check`` in another
process). After each POST to this face (every form and write query posts) it is told to look at
once instead of at its next poll, so an edit reaches the public copy within the quiet time.
Active on the internal face only, when its ``registry`` plugin config names ``publish_to``.
"""

from datasette import hookimpl

from registry.republish import QUIET_SECONDS, Republisher


def _republisher(datasette):
    return getattr(datasette, "_registry_republisher", None)


@hookimpl
def startup(datasette):
    config = datasette.plugin_config("registry") or {}
    target = config.get("publish_to")
    if config.get("face") != "internal" or not target or _republisher(datasette) is not None:
        return
    registry = next(db for db in datasette.databases.values() if db.path and not db.is_memory)
    republisher = Republisher(registry.path, target, quiet=float(config.get("publish_delay", QUIET_SECONDS)))
    datasette._registry_republisher = republisher.start()


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def then_look_for_changes(scope, receive, send):
            try:
                return await app(scope, receive, send)
            finally:
                republisher = _republisher(datasette)
                if republisher is not None and scope["type"] == "http" and scope.get("method") == "POST":
                    republisher.poke()

        return then_look_for_changes

    return wrap
