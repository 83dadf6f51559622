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

import functools
from collections.abc import Callable
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("en", "sv")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "sv": "Svenska"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
COOKIE = "registry_lang"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every translated message of ``lang``: English text -> translation (fuzzy entries left out)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


def gettext(lang: str, message: str, **values: object) -> str:
    """``message`` in ``lang``, with ``{name}`` placeholders filled from ``values``."""
    text = catalogue(known(lang)).get(message, message)
    return text.format(**values) if values else text


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
