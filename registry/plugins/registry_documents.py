"""Signed documents on the internal face: upload on the agreement page, download for logged-in accounts.

- ``POST /-/agreements/<id>/documents``: a multipart form (Datasette's CSRF token, then the
  file) from an account whose role may edit (``registry.accounts.RIGHTS``). The token is checked
  here against Datasette's signed ``ds_csrftoken`` cookie: asgi-csrf 0.11, which checks other
  forms, fails on every multipart body with python-multipart 0.0.34 (it passes a keyword the
  parser no longer takes), so this one path is exempted from it (``skip_csrf``). The body is
  read up to the size limit and no further; the file is checked and stored by
  ``registry.documents`` (a PDF by its declared type and its first bytes, not empty, within
  ``REGISTRY_DOCUMENT_MAX_MB``). A refusal is one sentence with its status (403, 400, 413);
  nothing is stored. The audit log names the account.
- ``GET /-/documents/<id>``: the file as an attachment, for an account that may read the
  documents table; checked against its SHA-256 before it is sent.
- ``POST /-/documents/<id>/remove``: an editor takes a wrong upload off (a plain form, whose
  token asgi-csrf checks); the audit log keeps that it was there.

Only on the internal face: the public copy has no documents (``registry/publish.py``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import urllib.parse

import sqlite_utils
from datasette import Forbidden, hookimpl
from datasette.utils.asgi import Response
from itsdangerous import BadSignature
from python_multipart.multipart import MultipartParser, parse_options_header

from registry import accounts, documents, i18n
from registry import db as store
from registry.problems import ProblemsFound

TABLE = "agreement_documents"
FIELD = "file"
UPLOAD_PATH = re.compile(r"^/-/agreements/(?P<agreement>[^/]+)/documents$")
CSRF_COOKIE, CSRF_FIELD, CSRF_NAMESPACE = "ds_csrftoken", "csrftoken", "csrftoken"
# Room for the form's other fields and the multipart framing around the file.
FRAMING_BYTES = 64 * 1024


def _internal(datasette) -> bool:
    if not hasattr(datasette, "_registry_documents_on"):
        config = datasette.plugin_config("registry") or {}
        datasette._registry_documents_on = config.get("face") == "internal"
    return datasette._registry_documents_on


def _lang(request) -> str:
    return i18n.choose(
        request.args.get("_lang"), request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
    )


def _database(datasette):
    """The registry: the first mutable database that is not one of Datasette's own."""
    for name, db in datasette.databases.items():
        if not name.startswith("_") and db.is_mutable:
            return db
    return None


async def _refuse(
    datasette, request, status: int, message: str, back: str | None = None, title: str | None = None
) -> Response:
    if request.headers.get("accept") == "application/json":
        return Response.json({"ok": False, "error": message, "status": status}, status=status)
    lang = _lang(request)  # literal messages in the calls, so that Babel extracts them
    if title is None:
        title = i18n.gettext(lang, "Document not stored") if request.method == "POST" else i18n.gettext(lang, "Not allowed")
    else:
        title = i18n.gettext(lang, title)
    html = await datasette.render_template(
        "registry_refused.html", {"title": title, "error": message, "back": back}, request=request
    )
    return Response.html(html, status=status)


class TooLarge(Exception):
    pass


async def _body(request, limit: int) -> bytes:
    """The request's body, refusing (TooLarge) as soon as it passes ``limit``: a huge upload is
    never held in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    more = True
    while more:
        message = await request.receive()
        body += message.get("body", b"")
        if len(body) > limit:
            raise TooLarge
        more = message.get("more_body", False)
    return bytes(body)


def parse_multipart(body: bytes, content_type: str) -> dict[str, dict]:
    """Form field name -> {"filename", "content_type", "data"} of a multipart/form-data body."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise ValueError("the form was not sent as multipart/form-data")
    parts: list[dict] = []
    header = {"field": b"", "value": b""}

    def begin():
        parts.append({"headers": {}, "data": bytearray()})

    def field(data, start, end):
        header["field"] += data[start:end]

    def value(data, start, end):
        header["value"] += data[start:end]

    def header_end():
        parts[-1]["headers"][header["field"].lower()] = header["value"]
        header["field"], header["value"] = b"", b""

    def data(data, start, end):
        parts[-1]["data"] += data[start:end]

    parser = MultipartParser(
        boundary,
        callbacks={
            "on_part_begin": begin,
            "on_header_field": field,
            "on_header_value": value,
            "on_header_end": header_end,
            "on_part_data": data,
        },
    )
    parser.write(body)
    parser.finalize()
    fields = {}
    for part in parts:
        _, disposition = parse_options_header(part["headers"].get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        fields[name] = {
            "filename": filename.decode("utf-8", "replace") if filename is not None else None,
            "content_type": part["headers"].get(b"content-type", b"").decode("latin-1"),
            "data": bytes(part["data"]),
        }
    return fields


def _token_matches(datasette, request, field: dict | None) -> bool:
    """The form's CSRF token is the browser's signed ds_csrftoken cookie, as asgi-csrf checks it."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = (field or {}).get("data", b"").decode("ascii", "replace")
    if not cookie or not secrets.compare_digest(sent, cookie):
        return False
    try:
        datasette.unsign(cookie, CSRF_NAMESPACE)
    except BadSignature:  # a cookie this server did not sign
        return False
    return True


def _may(actor, right: str) -> bool:
    return right in accounts.RIGHTS.get((actor or {}).get("role"), frozenset())


async def upload(request, datasette):
    db = _database(datasette)
    agreement = urllib.parse.unquote(request.url_vars["agreement"])
    if request.method != "POST" or db is None:
        return Response.text("Upload a document with the form on the agreement page.", status=405)
    lang = _lang(request)
    back = datasette.urls.row(db.name, "agreements", urllib.parse.quote(agreement, safe=""))
    if not request.actor:
        raise Forbidden("log in to upload documents")  # the login page, through registry_pages' forbidden hook
    if refused := _edit_refusal(request):
        return await _refuse(datasette, request, 403, refused, back)
    limit = documents.max_bytes()
    try:
        fields = parse_multipart(await _body(request, limit + FRAMING_BYTES), request.headers.get("content-type", ""))
    except TooLarge:
        return await _refuse(
            datasette,
            request,
            413,
            i18n.gettext(
                lang,
                "The file is larger than the {limit} MB a document may be: nothing was stored.",
                limit=documents.megabytes(limit),
            ),
            back,
        )
    except ValueError as error:
        return await _refuse(datasette, request, 400, str(error), back)
    if not _token_matches(datasette, request, fields.get(CSRF_FIELD)):
        return await _refuse(
            datasette, request, 403, i18n.gettext(lang, "The form expired: open the agreement page again."), back
        )
    sent = fields.get(FIELD)
    if sent is None or sent["filename"] is None:
        return await _refuse(
            datasette, request, 400, i18n.gettext(lang, "Choose a PDF file to upload: nothing was stored."), back
        )

    def keep(conn):
        return documents.add(
            sqlite_utils.Database(conn),
            agreement,
            sent["data"],
            file_name=sent["filename"],
            content_type=sent["content_type"],
            actor=request.actor["id"],
            source="datasette: document upload",
        )

    try:
        document = await db.execute_write_fn(keep, block=True)
    except ProblemsFound as found:
        status = 413 if len(sent["data"]) > limit else 400
        return await _refuse(datasette, request, status, "; ".join(p.message for p in found.problems), back)
    except store.StoreError as fault:  # the registry still locked by another process's write: nothing stored
        return await _refuse(datasette, request, 503, str(fault), back)
    datasette.add_message(
        request,
        i18n.gettext(
            lang, "Document {name} uploaded (SHA-256 {digest}).", name=document.file_name, digest=document.sha256
        ),
        datasette.INFO,
    )
    return Response.redirect(back + "#documents")


def _disposition(file_name: str) -> str:
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{urllib.parse.quote(file_name, safe='')}"


async def download(request, datasette):
    db = _database(datasette)
    if db is None:
        return Response.text("No registry is served here.", status=404)
    await datasette.ensure_permissions(
        request.actor, [("view-table", (db.name, TABLE)), ("view-database", db.name), "view-instance"]
    )
    if not request.actor:  # the internal face never serves a document to an anonymous request
        raise Forbidden("log in to download documents")
    found = await db.execute_fn(lambda conn: documents.read(conn, urllib.parse.unquote(request.url_vars["document"])))
    if found is None:
        return Response.text(i18n.gettext(_lang(request), "No document with that id."), status=404)
    if hashlib.sha256(found.content).hexdigest() != found.document.sha256:
        return Response.text(
            i18n.gettext(_lang(request), "The stored document does not match its checksum: restore it from a backup."),
            status=500,
        )
    return Response(
        found.content,
        status=200,
        content_type=found.document.content_type,
        headers={
            "Content-Disposition": _disposition(found.document.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _edit_refusal(request) -> str | None:
    """The sentence refusing a login whose role may not change documents, or None."""
    if _may(request.actor, "edit"):
        return None
    return i18n.gettext(
        _lang(request),
        "Changing documents needs the {roles} role; you are logged in as {name} ({role}).",
        roles=" or ".join(accounts.roles_with("edit")),
        name=request.actor["id"],
        role=request.actor.get("role"),
    )


async def remove(request, datasette):
    db = _database(datasette)
    if request.method != "POST" or db is None:
        return Response.text("Remove a document with its button on the agreement page.", status=405)
    if not request.actor:
        raise Forbidden("log in to remove documents")
    if refused := _edit_refusal(request):
        return await _refuse(datasette, request, 403, refused, title="Document not removed")
    document = urllib.parse.unquote(request.url_vars["document"])

    def take_off(conn):
        return documents.remove(
            sqlite_utils.Database(conn), document, actor=request.actor["id"], source="datasette: document remove"
        )

    try:
        removed = await db.execute_write_fn(take_off, block=True)
    except ProblemsFound as found:
        return await _refuse(
            datasette, request, 404, "; ".join(p.message for p in found.problems), title="Document not removed"
        )
    except store.StoreError as fault:
        return await _refuse(datasette, request, 503, str(fault), title="Document not removed")
    datasette.add_message(
        request, i18n.gettext(_lang(request), "Document {name} removed.", name=removed["file_name"]), datasette.INFO
    )
    back = datasette.urls.row(db.name, "agreements", urllib.parse.quote(removed["agreement"], safe=""))
    return Response.redirect(back + "#documents")


@hookimpl
def register_routes(datasette):
    if not _internal(datasette):
        return []
    return [
        (UPLOAD_PATH.pattern, upload),
        (r"^/-/documents/(?P<document>[^/]+)$", download),
        (r"^/-/documents/(?P<document>[^/]+)/remove$", remove),
    ]


@hookimpl
def skip_csrf(datasette, scope):
    """The upload checks its own token (see the module's docstring); every other form is asgi-csrf's."""
    return scope.get("type") == "http" and bool(UPLOAD_PATH.match(scope.get("path", ""))) and _internal(datasette)
