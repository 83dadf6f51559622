"""Every page in the visitor's language (``registry.i18n``): English or Swedish.

The language is chosen once per request, before Datasette sees it: ``?_lang=sv`` (then kept in
a cookie for a year, so the next pages stay in it), else the cookie, else the browser's
``Accept-Language``, else English. It is kept for the request in ``i18n.current()``, which is
what lets the texts Datasette reads from its metadata (titles and descriptions of tables,
columns, canned queries and dashboards) come out translated without a second copy of the
metadata: Datasette's metadata lookups go through ``_metadata_sources``, which this plugin
makes yield the localised metadata of the request's language.

Templates get ``_`` (the translator of the page's language) and the other functions of
``TEMPLATE_FUNCTIONS`` on every page, error pages included, and ``lang``, ``languages`` and
``language_url(code)``, the address of this page in another language (the switch in the
navigation). Findings' messages are translated from the template their evidence keeps
(``render_cell``); codes in words are ``registry_labels.py``'s.
"""

import functools
import urllib.parse
from http.cookies import SimpleCookie

from babel.numbers import format_decimal
from datasette import hookimpl
from markupsafe import Markup, escape

from registry import i18n
from registry.i18n import N_

LANG_PARAMETER = "_lang"


def request_language(request) -> str:
    if request is None:
        return i18n.current()
    return i18n.choose(request.args.get(LANG_PARAMETER), request.cookies.get(i18n.COOKIE),
                       request.headers.get("accept-language"))


def _scope_language(scope) -> tuple[str, str | None]:
    """The request's language, and the one asked for with ``?_lang=`` (to be remembered), if any."""
    query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
    asked = (query.get(LANG_PARAMETER) or [None])[-1]
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is no choice of language
        cookie = SimpleCookie()
    remembered = cookie[i18n.COOKIE].value if i18n.COOKIE in cookie else None
    lang = i18n.choose(asked, remembered, headers.get("accept-language"))
    return lang, (lang if asked is not None else None)


def _cookie_header(lang: str, secure: bool) -> tuple[bytes, bytes]:
    value = f"{i18n.COOKIE}={lang}; Path=/; Max-Age={i18n.COOKIE_DAYS * 86400}; SameSite=Lax"
    return b"set-cookie", (value + ("; Secure" if secure else "")).encode("latin-1")


@hookimpl
def asgi_wrapper(datasette):
    _localise_metadata(datasette)

    def wrap(app):
        async def in_language(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            lang, asked = _scope_language(scope)

            async def send_with_language(message):
                if message["type"] == "http.response.start":
                    # The same address answers in either language: caches must keep them apart.
                    headers = [(n, v) for n, v in message.get("headers", []) if n.lower() not in (b"vary", b"content-language")]
                    vary = b", ".join([v for n, v in message.get("headers", []) if n.lower() == b"vary"] + [b"Accept-Language, Cookie"])
                    headers += [(b"vary", vary), (b"content-language", lang.encode())]
                    if asked:
                        headers.append(_cookie_header(asked, scope.get("scheme") == "https"))
                    message = {**message, "headers": headers}
                await send(message)

            with i18n.speaking(lang):
                return await app(scope, receive, send_with_language)

        return in_language

    return wrap


def _localise_metadata(datasette) -> None:
    """Datasette's metadata lookups yield the metadata in the request's language (translated once
    per language and kept while the metadata stays the same object)."""
    if getattr(datasette, "_registry_localised", False):
        return
    original = datasette._metadata_sources
    translated: dict[str, tuple[object, dict]] = {}

    def localised(local: dict, lang: str) -> dict:
        kept = translated.get(lang)
        if kept is None or kept[0] is not local:
            kept = translated[lang] = (local, i18n.localise(local, lang))
        return kept[1]

    def sources(key, database, table):
        lang = i18n.current()
        for source in original(key, database, table):
            if lang != i18n.DEFAULT_LANGUAGE and source is datasette._metadata_local:
                yield localised(source, lang)
            else:
                yield source

    datasette._metadata_sources = sources
    datasette._registry_localised = True


def language_url(request, code: str) -> str:
    """This page's address with ``?_lang=code`` (any other ``_lang`` replaced)."""
    if request is None:
        return "?" + urllib.parse.urlencode({LANG_PARAMETER: code})
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True) if k != LANG_PARAMETER]
    return request.path + "?" + urllib.parse.urlencode([*pairs, (LANG_PARAMETER, code)])


def _(message: str, **values: object) -> str:
    """``_`` of the templates, in the request's language: as ``i18n.gettext``, and a value that is
    already markup (``strong(n)``) stays markup while the message and every other value are escaped."""
    lang = i18n.current()
    if any(isinstance(value, Markup) for value in values.values()):
        return Markup(escape(i18n.gettext(lang, message))).format(**values)
    return i18n.gettext(lang, message, **values)


def strong(value: object) -> Markup:
    return Markup("<strong>{}</strong>").format(value)


def number(value: object) -> object:
    return _number(type(value), value, i18n.current()) if isinstance(value, int | float) else value


@functools.lru_cache(maxsize=4096)
def _number(kind: type, value: int | float, lang: str) -> str:
    """A number in the language's way, once per process: Babel works the locale's pattern out
    afresh on each call (1.6 ms of an institution page's 12). ``kind`` keeps 1, 1.0 and True apart."""
    return format_decimal(value, locale=lang)


# Words Datasette's own code puts on its pages, translated where our copies of its templates show them.
DATASETTE_WORDS = (
    N_("="), N_("!="), N_("contains"), N_("does not contain"), N_("ends with"), N_("starts with"), N_("like"),
    N_("not like"), N_("glob"), N_("in"), N_("not in"), N_("is null"), N_("is not null"), N_("is blank"),
    N_("is not blank"), N_("array contains"), N_("array does not contain"), N_("date"), N_("array"),
    N_("hide"), N_("show"), N_("home"),
)

# Every template, error pages included, has these; each speaks the request's language.
TEMPLATE_FUNCTIONS = {
    "_": _,
    "column_label": lambda name: i18n.column_label(i18n.current(), name),
    "filter_description": lambda text: i18n.filter_description(i18n.current(), text),
    "finding_message": lambda message, evidence=None: i18n.finding_message(i18n.current(), message, evidence),
    "code": lambda text: Markup("<code>{}</code>").format(text),
    "number": number,
    "strong": strong,
}


@hookimpl
def prepare_jinja2_environment(env):
    env.globals.update(TEMPLATE_FUNCTIONS)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Findings' messages in the page's language, from the template (by its key) and values their evidence keeps
    (codes in words are registry_labels.py's)."""
    lang = i18n.current()
    if lang == i18n.DEFAULT_LANGUAGE or column != "message" or not isinstance(value, str) or not value:
        return None
    return _finding_message(row, value, database, datasette, lang)


render_cell.answers_columns = lambda table: {"message"}  # type: ignore[attr-defined]  # registry.cell_hooks


def _finding_message(row, message: str, database: str, datasette, lang: str):
    keys = set(row.keys())
    if "evidence" in keys:
        return i18n.finding_message(lang, message, row["evidence"])
    if not {"code", "subject_table", "subject_id"} <= keys:
        return None

    async def from_the_finding():  # a list of findings that does not show their evidence
        try:
            found = await datasette.get_database(database).execute(
                "select evidence from findings where id = :id",
                {"id": f"{row['code']}:{row['subject_table']}:{row['subject_id']}"},
            )
        except Exception:  # a file without findings (the public copy): the message as recorded
            return None
        first = found.first()
        return i18n.finding_message(lang, message, first[0] if first else None)

    return from_the_finding()


@hookimpl
def extra_template_vars(request):
    return {
        "lang": request_language(request),
        "languages": i18n.LANGUAGE_NAMES,
        "language_url": lambda code: language_url(request, code),
    }
