"""The registry's languages: English, in which every message is written, and Swedish.

Messages are marked where they are written (``_("Agreements ending soon")`` in Python and in
the Jinja templates) and translated in ``registry/locale/<lang>/LC_MESSAGES/messages.po``,
a gettext catalogue kept with Babel (``pybabel extract``/``update``; see docs/languages.md).
The catalogue is read as it is, without a compile step, so a translation edited in the
``.po`` file shows on the next start. A message with no translation stays English.

Which language a page speaks: ``?_lang=sv`` (remembered in a cookie), else the cookie, else
the browser's ``Accept-Language``, else English. An unknown language is English.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import json
import math
import re
import sqlite3
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("en", "sv")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "sv": "Svenska"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
COOKIE = "registry_lang"
COOKIE_DAYS = 365
# Where the words of Datasette's metadata are (titles, descriptions of tables, columns, canned
# queries, dashboards and their charts): they are translated as the page is drawn.
METADATA_TEXT_KEYS = frozenset({"title", "description", "description_html", "source", "license", "about", "name"})
METADATA_SKIPPED_KEYS = frozenset({"sql", "params", "allow", "allow_sql", "facets", "sort", "sort_desc", "fts_table",
                                   "label_column", "query", "db", "type"})

_current: contextvars.ContextVar[str] = contextvars.ContextVar("registry_language", default=DEFAULT_LANGUAGE)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every translated message of ``lang``: English text -> translation (fuzzy entries left out)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {
        _key(message.context, str(message.id)): str(message.string)
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


def _key(context: str | None, message: str) -> str:
    # gettext's own way of keeping a message apart by its context
    return f"{context}\x04{message}" if context else message


def gettext(lang: str, message: str, **values: object) -> str:
    """``message`` in ``lang``, with ``{name}`` placeholders filled from ``values`` (a translation
    whose placeholders do not fit the values is passed over for the English)."""
    text = catalogue(known(lang)).get(message, message)
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return message.format(**values)


def pgettext(lang: str, context: str, message: str) -> str:
    """``message`` in ``lang`` in one sense: a column's name (``column``), a word of Datasette's (``filter``)."""
    return catalogue(known(lang)).get(_key(context, message), message)


COLUMN = "column"
FILTER = "filter"


def column_label(lang: str, name: str) -> str:
    """A column (or a query's parameter) as the page names it: ``days_until_end`` is ``dagar kvar``."""
    return pgettext(lang, COLUMN, name)


# The words of Datasette's description of a table's filters and sort order ("where status =
# "active" sorted by ends_on descending"), longest first; values in quotes are never touched.
FILTER_WORDS = ("sorted by", "descending", "search matches", "where", "and", "contains", "does not contain",
                "array contains", "array does not contain", "ends with", "starts with", "is not null", "is null",
                "is not blank", "is blank", "not like", "like", "glob", "is on date", "in", "not in")
_QUOTED = re.compile(r'("[^"]*")')
_FILTER_WORD = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(FILTER_WORDS, key=len, reverse=True)) + r")\b")


def filter_description(lang: str, text: str) -> str:
    """Datasette's English description of a table's filters, in ``lang``."""
    if known(lang) == DEFAULT_LANGUAGE or not text:
        return text
    parts = _QUOTED.split(text)
    return "".join(part if index % 2 else _FILTER_WORD.sub(lambda m: pgettext(lang, FILTER, m.group(1)), part)
                   for index, part in enumerate(parts))


# A finding's message is written by its check's SQL as ``registry_message('Agreement "{title}" has no
# exit clause.', 'title', a.title)``: the English template and its values. Recording the finding
# renders the English ``message`` and keeps the template's key and values in its evidence (``"message"``),
# so the message is defined once, in the check, and shown in any language when it is read.
MESSAGE_KEY = "message"
# A finding recorded since the compact evidence names its template by a digest (``template_key``)
# instead of holding its text: the English sentence is in ``message`` already, and reading it in
# another language looks the digest up among the catalogue's English texts, where every check's
# template is (checks.catalogue; tests/test_languages.py). The template's text was a tenth of the
# findings' bytes (69 of 685 a finding at 200,000 agreements), written, copied and committed for
# each of two million findings at a million. Findings recorded before it keep ``"template"``.
TEMPLATE_KEY = "key"
# json.dumps(..., ensure_ascii=False) builds an encoder each call; these run once per finding.
# Compact, as SQLite's JSON functions write the evidence of the messages they make
# (registry.message_sql): a finding's evidence reads the same whichever made it.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=1024)
def template_key(template: str) -> str:
    """The short name a finding's evidence gives its message's template (``TEMPLATE_KEY``): the
    first ten hexadecimal digits of the template's SHA-1 (no two of the checks' templates share
    them: tests/test_checks_messages.py)."""
    return hashlib.sha1(template.encode("utf-8")).hexdigest()[:10]


@functools.lru_cache(maxsize=8)
def _templates_by_key(lang: str) -> dict[str, str]:
    """The English texts of ``lang``'s catalogue by their ``template_key``."""
    return {template_key(text): text for text in catalogue(lang)}


def message_sql(template: str, *names_and_values: object) -> str:
    """SQL ``registry_message(template, name, value, ...)``: the message as JSON until it is
    recorded (its template's text to render it, its key and values for the evidence)."""
    if len(names_and_values) % 2:
        raise ValueError(f"registry_message({template!r}, ...) needs a value for each name")
    values = {name: _json_value(value) for name, value in zip(names_and_values[::2], names_and_values[1::2], strict=True)}
    return _JSON.encode({"template": template, TEMPLATE_KEY: template_key(template), "values": values})


def message_members(message: str) -> str:
    """The values of a message ``message_sql`` made, as the members of its JSON object without
    the braces, written as ``message_sql`` writes them: for SQL that joins them to members of
    its own (checks.responsible)."""
    return _JSON.encode(json.loads(message)["values"])[1:-1]


def _json_value(value: object) -> object:
    """A value JSON can hold: an infinite REAL (SQLite keeps 1e999 as one) as its text, which
    the message shows anyway; Python's ``Infinity`` is no JSON, and SQLite's JSON functions
    would drop the whole message from the evidence."""
    return str(value) if isinstance(value, float) and not math.isfinite(value) else value


def _template(message: object) -> dict[str, Any] | None:
    if isinstance(message, str) and message.startswith('{"template"'):
        return _parsed_template(message)
    return None


@functools.lru_cache(maxsize=8)
def _parsed_template(message: str) -> dict[str, Any] | None:
    """Recording a finding reads its message twice (its text, then its evidence): parsed once.
    Callers only read the dict."""
    try:
        parsed = json.loads(message)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) and isinstance(parsed.get("template"), str) else None


class _LenientFormatter(string.Formatter):
    """A value the SQL left empty, or one that does not take the format asked for, is shown as it is."""

    def get_value(self, key, args, kwargs):
        return kwargs.get(key, "") if isinstance(key, str) else super().get_value(key, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:  # SQL's NULL
            return ""
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


@functools.lru_cache(maxsize=1024)
def template_fields(text: str) -> tuple[tuple[str, str | None, str], ...] | None:
    """The (text, field name, format) parts of a template whose fields are names, with or
    without a format (``{index:.3f}``), without a conversion, an index or an attribute; None
    for any other template."""
    try:
        parts = tuple(string.Formatter().parse(text))
    except ValueError:
        return None
    if any(name is not None and (not name.isidentifier() or conversion or "{" in (spec or ""))
           for _, name, spec, conversion in parts):
        return None
    return tuple((literal, name, spec or "") for literal, name, spec, _ in parts)


def _render(lang: str, template: dict[str, Any]) -> str:
    values = template.get("values") or {}
    text = catalogue(known(lang)).get(template["template"], template["template"])
    fields = template_fields(text)
    if fields is not None:
        # What _LenientFormatter makes of such fields, without string.Formatter's Python-level
        # parsing of every message (a finding each, two million at a million agreements).
        rendered = []
        for literal, name, spec in fields:
            rendered.append(literal)
            if name is not None:
                value = values.get(name, "")
                if value is not None:
                    try:
                        rendered.append(format(value, spec))
                    except (TypeError, ValueError):
                        rendered.append(str(value))
        return "".join(rendered)
    try:
        return _LenientFormatter().format(text, **values)
    except (IndexError, ValueError):  # a translation that is not a template: English
        return _LenientFormatter().format(str(template["template"]), **values)


SqlValue = str | int | float | bytes | None


def recorded_message(message: SqlValue) -> SqlValue:
    """SQL ``registry_message_text(message)``: the English text a finding records."""
    template = _template(message)
    return _render(DEFAULT_LANGUAGE, template) if template else message


def recorded_evidence(message: SqlValue, evidence: SqlValue) -> SqlValue:
    """SQL ``registry_message_evidence(message, evidence)``: the evidence, with the message's template's
    key and its values."""
    template = _template(message)
    if template is None:
        return evidence
    try:
        data = json.loads(evidence) if isinstance(evidence, str) and evidence else {}
    except ValueError:
        return evidence
    if not isinstance(data, dict):
        return evidence
    kept = {TEMPLATE_KEY: template_key(template["template"]), "values": template.get("values")}
    return _JSON.encode({**data, MESSAGE_KEY: kept})


def register_sql(conn: sqlite3.Connection) -> None:
    """The SQL functions of a finding's message (see ``MESSAGE_KEY``)."""
    conn.create_function("registry_message", -1, message_sql, deterministic=True)
    conn.create_function("registry_message_text", 1, recorded_message, deterministic=True)
    conn.create_function("registry_message_evidence", 2, recorded_evidence, deterministic=True)


def finding_message(lang: str, message: str, evidence: object = None) -> str:
    """A finding's message in ``lang``, from the template (or its key) and values its evidence keeps
    (else as recorded: a template the catalogue does not translate reads in English anyway)."""
    if known(lang) == DEFAULT_LANGUAGE or not evidence:
        return message
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence)
        except ValueError:
            return message
    template = evidence.get(MESSAGE_KEY) if isinstance(evidence, dict) else None
    if isinstance(template, dict) and isinstance(template.get(TEMPLATE_KEY), str):
        english = _templates_by_key(known(lang)).get(template[TEMPLATE_KEY])
        if english is None:
            return message
        template = {"template": english, "values": template.get("values")}
    if not isinstance(template, dict) or not isinstance(template.get("template"), str):
        return message
    return _render(lang, template)


def N_(message: str) -> str:
    """Marks an English message for the catalogue where it is defined; it is translated where it is shown."""
    return message


def current() -> str:
    """The language of the page (or command) being made: set per request by the i18n plugin."""
    return _current.get()


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[str]:
    """Within the block, ``current()`` is ``lang`` (made known)."""
    token = _current.set(known(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def localise(value: Any, lang: str, key: str | None = None) -> Any:
    """Datasette metadata (or any part of it) with its words in ``lang``: the texts under
    ``METADATA_TEXT_KEYS`` and every column description; SQL, permissions and names of things stay."""
    if lang == DEFAULT_LANGUAGE:
        return value
    if isinstance(value, dict):
        if key == "columns":
            return {name: gettext(lang, text) if isinstance(text, str) else text for name, text in value.items()}
        return {k: v if k in METADATA_SKIPPED_KEYS else localise(v, lang, k) for k, v in value.items()}
    if isinstance(value, list):
        return [localise(item, lang, key) for item in value]
    if isinstance(value, str) and key in METADATA_TEXT_KEYS:
        return gettext(lang, value)
    return value


def translator(lang: str) -> Callable[..., str]:
    """``_`` for one language: ``_("Ends on {date}", date=...)``."""
    lang = known(lang)
    return functools.partial(gettext, lang)


def known(lang: str | None) -> str:
    """``lang`` if the registry speaks it (``sv-SE`` is ``sv``), else English."""
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def from_accept_language(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header the registry speaks, by weight."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and weight > 0:
            choices.append((-weight, position, code))
    return min(choices)[2] if choices else None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language: the ``?_lang=`` asked for, else the remembered one, else the browser's."""
    if query:
        return known(query)
    if cookie:
        return known(cookie)
    return from_accept_language(accept_language) or DEFAULT_LANGUAGE
