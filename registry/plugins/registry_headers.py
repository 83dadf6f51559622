"""Security headers on every response of both faces.

The internal face holds edit forms a logged-in person submits with one click, so no other site
may frame its pages (clickjacking): ``X-Frame-Options: DENY`` for older browsers and
``Content-Security-Policy: frame-ancestors 'none'`` for current ones. The public face gets the
same: it has nothing to embed it for that a link does not do better. Both tell browsers not to
guess content types (a CSV or JSON answer is never run as a page) and send no more of their
addresses to other sites than the origin (search words stay on the server's own pages).
A full script policy is not set: Datasette's pages and its plugins run inline scripts.
"""

from datasette import hookimpl

HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
SET = {name for name, _ in HEADERS}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_headers(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    kept = [(name, value) for name, value in message.get("headers", []) if name.lower() not in SET]
                    message = {**message, "headers": kept + list(HEADERS)}
                await send(message)

            return await app(scope, receive, send_with_headers)

        return with_headers

    return wrap
