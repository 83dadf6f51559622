"""Codes in words on every page of both faces (``registry.labels``): table cells, canned
query results and facets show "Germany" and "Erasmus+ inter-institutional agreement" where
the data holds ``DE`` and ``erasmus_iia``, in the page's language; filters and links keep the
codes. Templates get ``code_label(column, value)`` for their own lists, and more (see
``extra_template_vars``)."""

from __future__ import annotations

import functools

from datasette import hookimpl

from registry import i18n, labels


@hookimpl
def render_cell(value, column):
    if isinstance(value, str) and column in labels.column_vocabularies():
        # render_cell is not given the request in Datasette 0.65: the language is the request's
        # (registry_i18n.py's asgi_wrapper keeps it in i18n.current())
        return labels.column_label(column, value, i18n.current())
    return None


def _column_label(lang: str, column: str, value: object) -> object:
    words = labels.column_label(column, value, lang)
    return value if words is None else words


def _vocabulary_label(lang: str, vocabulary: str, value: object) -> str:
    return labels.label(vocabulary, value, lang)


@hookimpl
def extra_template_vars():
    """``code_label(column, value)``: the words for a value of a column; ``vocabulary_label(name,
    value)``: for a code of a named vocabulary (``risk_tier``), where no column says which;
    ``value_label(table, column, value)``: for a value of one table's column (the value itself
    when the column holds no codes); ``field_label(name)``: a field (a column) in words."""
    lang = i18n.current()
    return {
        "code_label": functools.partial(_column_label, lang),
        "vocabulary_label": functools.partial(_vocabulary_label, lang),
        "value_label": lambda table, column, value: labels.value_label(table, column, value, lang),
        "field_label": lambda name: labels.field_label(name, lang),
    }
