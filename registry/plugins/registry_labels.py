"""Codes in words on every page of both faces (``registry.labels``): table cells, canned
query results and facets show "Germany" and "Erasmus+ inter-institutional agreement" where
the data holds ``DE`` and ``erasmus_iia``, in the page's language; filters and links keep the
codes. Templates get ``code_label(column, value)`` for their own lists."""

from __future__ import annotations

import contextvars
import functools

from datasette import hookimpl
from datasette.utils.asgi import Request

from registry import i18n, labels

# render_cell is not given the request in Datasette 0.65: the language travels with the task.
_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("registry_label_language", default=i18n.DEFAULT_LANGUAGE)


def _language(request: Request) -> str:
    return i18n.choose(request.args.get("_lang"), request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_language(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            token = _LANGUAGE.set(_language(Request(scope, receive)))
            try:
                return await app(scope, receive, send)
            finally:
                _LANGUAGE.reset(token)

        return with_language

    return wrap


@hookimpl
def render_cell(value, column):
    if isinstance(value, str) and column in labels.column_vocabularies():
        return labels.column_label(column, value, _LANGUAGE.get())
    return None


def _column_label(lang: str, column: str, value: object) -> object:
    words = labels.column_label(column, value, lang)
    return value if words is None else words


def _vocabulary_label(lang: str, vocabulary: str, value: object) -> str:
    return labels.label(vocabulary, value, lang)


@hookimpl
def extra_template_vars(request):
    """``code_label(column, value)``: the words for a value of a column; ``vocabulary_label(name,
    value)``: for a code of a named vocabulary (``risk_tier``), where no column says which."""
    lang = _language(request) if request is not None else i18n.DEFAULT_LANGUAGE
    return {
        "code_label": functools.partial(_column_label, lang),
        "vocabulary_label": functools.partial(_vocabulary_label, lang),
    }
