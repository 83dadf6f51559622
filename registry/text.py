"""Text folding shared by storage (search columns) and matching.

Unicode decomposition alone leaves ł, ø, ß, æ and every non-Latin script untouched, so
"lodz" would never find "Łódź". anyascii transliterates all of them (Cyrillic, Greek,
CJK) in one well-kept table; we add case folding and whitespace collapsing on top.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from anyascii import anyascii

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case ASCII form of ``text`` for search and comparison: 'Łódź' -> 'lodz'."""
    return _SPACES.sub(" ", anyascii(text).casefold()).strip()


_NOT_SLUG = re.compile(r"[^a-z0-9]+")
ID_LENGTH = 96
"""The longest id the registry makes from a name; one more than this and ids stop being readable."""


def slugify(text: str, *, limit: int = ID_LENGTH) -> str:
    """The id a name makes: folded to ASCII, runs of anything but letters and digits as one hyphen,
    at most ``limit`` characters ('Université Paris Cité' -> 'universite-paris-cite'). ``ValueError``
    when the name has no letters or digits, so that no record gets an empty id."""
    slug = _NOT_SLUG.sub("-", fold(text)).strip("-")[:limit].strip("-")
    if not slug:
        raise ValueError(f"{text!r} has no letters or digits to make an id from")
    return slug


def unique_id(base: str, taken: Callable[[str], bool]) -> str:
    """``base``, or the first of ``base-2``, ``base-3`` ... that is not ``taken``."""
    candidate, number = base, 2
    while taken(candidate):
        candidate, number = f"{base}-{number}", number + 1
    return candidate
