"""The internal face's forms (``registry.forms``): create and change agreements, terms, programme
links, contacts and partners; record reviews and waivers.

Each form is a page of its own (``/-/agreements/<id>/renew`` ...), rendered by
``registry_form.html`` with Datasette's CSRF token, in the page's language. Every request needs
a login whose role has the form's right (``registry.accounts.RIGHTS``: edit or decide), the
page itself as well as the save: anyone else gets 403 with a sentence saying which roles may.
Who changes a record is the login (``request.actor``), never a form's field. The pages read and
write the registry through connections of their own, in a worker thread (the store's writes
wait for SQLite's lock), one transaction per save.

Active only on the internal face with a login (``registry`` plugin config ``face: internal``,
``auth: true``).
"""

from __future__ import annotations

import asyncio
import threading
import urllib.parse

from datasette import hookimpl
from datasette.utils import MultiParams, tilde_encode
from datasette.utils.asgi import Response

from registry import accounts, api, i18n
from registry import db as store
from registry.forms import agreement_pages, contact_pages, decision_pages, institution_pages, new_agreement, term_pages
from registry.forms.fields import COUNTRIES, country_choices
from registry.forms.pages import Ask, NotFound, Page, Saved
from registry.forms.partners import suggestions
from registry.plugins.registry_auth import refusal
from registry.plugins.registry_i18n import request_language


def _review(path: str, subject: str, **options):
    return api.review(subject, path, **options)


def _waive(path: str, code: str, subject: str, **options):
    return api.waive(code, subject, path, **options)


PAGES: tuple[Page, ...] = (new_agreement.PAGE, *agreement_pages.PAGES, *term_pages.PAGES, *contact_pages.PAGES, *institution_pages.PAGES,
                           *decision_pages.pages(decision_pages.Decisions(review=_review, waive=_waive)))


LARGEST_FORM = 200_000  # bytes: the longest form (a new agreement with long notes) is far below


def _on(datasette) -> bool:
    if not hasattr(datasette, "_registry_forms_on"):
        config = datasette.plugin_config("registry") or {}
        datasette._registry_forms_on = config.get("face") == "internal" and bool(config.get("auth"))
    return datasette._registry_forms_on


def _database(datasette):
    return next((db for name, db in datasette.databases.items() if not name.startswith("_") and db.is_mutable and db.path),
                None)


class _Connections:
    """One connection to the registry file per worker thread."""

    def __init__(self, path: str):
        self.path, self.local = path, threading.local()

    def db(self):
        if getattr(self.local, "db", None) is None:
            self.local.db = store.connect(self.path, create=False)
        return self.local.db

    async def run(self, function, *args):
        return await asyncio.to_thread(lambda: function(self.db(), *args))


def _connections(datasette) -> _Connections:
    if not hasattr(datasette, "_registry_forms_connections"):
        datasette._registry_forms_connections = _Connections(_database(datasette).path)
    return datasette._registry_forms_connections


def _wants_json(request) -> bool:
    return request.headers.get("accept") == "application/json"


async def _error(datasette, request, status: int, title: str, sentence: str) -> Response:
    if _wants_json(request):
        return Response.json({"ok": False, "error": sentence, "status": status}, status=status)
    html = await datasette.render_template("error.html", {"title": title, "error": sentence, "status": status},
                                           request=request)
    return Response.html(html, status=status)


def _row_url(datasette, table: str, key: str) -> str:
    return datasette.urls.row(_database(datasette).name, table, tilde_encode(key))


async def _render(datasette, request, form) -> Response:
    language = request_language(request)
    for _, form_field in form.inputs():
        if form_field.references == COUNTRIES and language != i18n.DEFAULT_LANGUAGE:
            form_field.choices = country_choices(language)
    status = form.status if form.status != 200 else (400 if form.refusal else 200)
    context = {
        "form": form,
        "cancel_url": _row_url(datasette, *form.cancel) if form.cancel else None,
        "found_urls": {f["key"]: _row_url(datasette, f["table"], f["key"]) for f in form.found if "table" in f},
        "partners_url": datasette.urls.path("/-/forms/partners.json"),
    }
    if _wants_json(request):
        return Response.json({"ok": False, "errors": form.refusal.fields, "message": " ".join(
            ([form.notice] if form.notice else []) + form.refusal.sentences())}, status=status)
    html = await datasette.render_template("registry_form.html", context, request=request)
    return Response.html(html, status=status)


def _view(page: Page):
    async def view(request, datasette):
        if not _on(datasette) or _database(datasette) is None:
            return Response.text("The forms are on the internal face, behind a login.", status=404)
        actor = request.actor
        if not actor or not actor.get("role"):
            return Response.redirect(datasette.urls.path("/-/login") + "?next=" + urllib.parse.quote(request.path))
        if page.right not in accounts.RIGHTS.get(actor["role"], ()):
            return await _error(datasette, request, 403, "Not allowed", refusal(page.right, actor))
        _ = i18n.translator(request_language(request))
        if int(request.headers.get("content-length") or 0) > LARGEST_FORM:
            return await _error(datasette, request, 413, _("Too large"), _("A form sends at most {size} kB.",
                                                                         size=LARGEST_FORM // 1000))
        query = {key: request.args.get(key) for key in request.args}
        url = {key: urllib.parse.unquote(value) for key, value in request.url_vars.items()}
        try:
            if request.method == "POST":
                body = (await request.post_body()).decode("utf-8", errors="replace")
                posted = MultiParams(urllib.parse.parse_qs(body, keep_blank_values=True))
                result = await _connections(datasette).run(lambda db: page.save(Ask(db, actor, _, url, query), posted))
            else:
                result = await _connections(datasette).run(lambda db: page.show(Ask(db, actor, _, url, query)))
        except NotFound as missing:
            return await _error(datasette, request, 404, _("Not found"), str(missing))
        except store.StoreError as fault:
            return await _error(datasette, request, 503, _("The registry cannot be written"), str(fault))
        if isinstance(result, Saved):
            if _wants_json(request):
                return Response.json({"ok": True, "message": result.message, "table": result.table, "key": result.key})
            datasette.add_message(request, result.message, datasette.INFO)
            return Response.redirect(_row_url(datasette, result.table, result.key))
        return await _render(datasette, request, result)

    return view


async def partners_view(request, datasette):
    """Partners whose names begin with what is typed, for the picker (any login may read them)."""
    if not _on(datasette) or not request.actor or not request.actor.get("role"):
        return Response.json([], status=403)
    text = (request.args.get("q") or "")[:200]
    return Response.json(await _connections(datasette).run(suggestions, text))


@hookimpl
def register_routes(datasette):
    return [(page.path, _view(page)) for page in PAGES] + [(r"^/-/forms/partners\.json$", partners_view)]


@hookimpl
def extra_css_urls(datasette):
    return ["/assets/registry-forms.css"] if _on(datasette) else []
