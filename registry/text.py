"""Text folding shared by storage (search columns) and matching.

Unicode decomposition alone leaves ł, ø, ß, æ and every non-Latin script untouched, so
"lodz" would never find "Łódź". anyascii transliterates all of them (Cyrillic, Greek,
CJK) in one well-kept table; we add case folding and whitespace collapsing on top.
"""

from __future__ import annotations

import re

from anyascii import anyascii

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case ASCII form of ``text`` for search and comparison: 'Łódź' -> 'lodz'."""
    return _SPACES.sub(" ", anyascii(text).casefold()).strip()
