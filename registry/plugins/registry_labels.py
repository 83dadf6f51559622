"""Codes in words on every page of both faces (``registry.labels``): table cells, canned
query results and facets show "Germany" and "Erasmus+ inter-institutional agreement" where
the data holds ``DE`` and ``erasmus_iia``, in the page's language; filters and links keep the
codes. A value is read by its table and column where the page names the table, by its column's
name in a query's results (``labels.value_label``). Templates get ``value_label(table, column,
value)`` for their own lists, and more (see ``extra_template_vars``)."""

from __future__ import annotations

import functools

from datasette import hookimpl

from registry import i18n, labels


@hookimpl
def render_cell(value, column, table):
    if isinstance(value, str) and column in labels.column_vocabularies():
        # render_cell is not given the request in Datasette 0.65: the language is the request's
        # (registry_i18n.py's asgi_wrapper keeps it in i18n.current())
        return _cell_words(table, column, value, i18n.current())
    return None


# Cells of other columns are never asked (registry.cell_hooks.DirectCells)
render_cell.answers_columns = lambda table: labels.column_vocabularies()  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=8192)
def _cell_words(table: str | None, column: str, value: str, lang: str) -> str | None:
    """A cell's code in words, once per process: codes, their labels, the catalogue and CLDR's
    country names are fixed while it runs, and a list page asks for the same few hundreds of times."""
    words = labels.value_label(table, column, value, lang)
    return None if words == value else words


def _value_label(lang: str, table: str | None, column: str, value: object) -> object:
    """``value_label`` of the templates: a code in words once per process, as a cell's (an
    agreement page asks for a dozen, search for 60; each looked its vocabulary up afresh)."""
    if isinstance(value, str) and value:
        return _value_words(table, column, value, lang)
    return labels.value_label(table, column, value, lang)


@functools.lru_cache(maxsize=8192)
def _value_words(table: str | None, column: str, value: str, lang: str) -> object:
    return labels.value_label(table, column, value, lang)


def _vocabulary_label(lang: str, vocabulary: str, value: object) -> str:
    return labels.label(vocabulary, value, lang)


@hookimpl
def extra_template_vars():
    """``value_label(table, column, value)``: a value in words (``table`` None for a query's
    column); ``vocabulary_label(name, value)``: a code of a named vocabulary (``risk_tier``),
    where no column says which; ``field_label(name)``: a field (a column) in words."""
    lang = i18n.current()
    return {
        "vocabulary_label": functools.partial(_vocabulary_label, lang),
        "value_label": functools.partial(_value_label, lang),
        "field_label": lambda name: labels.field_label(name, lang),
    }
