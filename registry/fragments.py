"""Pieces of a page that are the same for every request with the same inputs, rendered once.

A page's surroundings (the query page's head, the language switch, the description and credits
above the content, the footer) are a few hundred Jinja expressions on every request, each
awaited, escaped and looked up through the context; their answer depends on a handful of values
(the language, the page's address, its metadata, its columns) and on nothing else: no actor, no
permission, no row. A template wraps such a piece in a call block naming those values::

    {% call registry_kept("footer", metadata.license, ...) %}...{% endcall %}

and the piece is rendered the first time, then served from memory for the same name, language
and values. The language is always part of the key (``i18n.current()``, the request's). Whatever
depends on the actor (the menu, the crumbs with their permission checks, the CSRF token) stays
outside the blocks and is rendered per request. The key is the inputs themselves, so a change
of metadata (a republished copy, an edited ``metadata.yml``) is a new key, never a stale answer;
the kept pieces are few (a bounded map for each name, least recently used out first, for addresses a
visitor may vary at will).
"""

from __future__ import annotations

from collections import OrderedDict

from jinja2 import Undefined
from markupsafe import Markup

from registry import i18n

MOST_KEPT = 2048
_UNDEFINED = ("undefined",)


class KeptFragments:
    """``registry_kept(name, *inputs, caller)`` of the templates: the call block's HTML, kept per
    (name, language, inputs). An input that cannot be a key (a dict, say) leaves the block
    rendered each time: nothing is kept under a key that does not name it whole. Each name has
    its own ``most`` pieces: the language switch, kept per address, does not push out the
    footer or a list's head, kept per language and metadata."""

    def __init__(self, most: int = MOST_KEPT) -> None:
        self.most = most
        self.pieces: dict[str, OrderedDict[tuple, Markup]] = {}

    @property
    def kept(self) -> dict[tuple, Markup]:
        """Every kept piece, by its key (name, language, inputs)."""
        return {key: html for pieces in self.pieces.values() for key, html in pieces.items()}

    async def __call__(self, name: str, *inputs, caller) -> Markup:
        key = _key(name, i18n.current(), inputs)
        if key is None:
            return Markup(await caller())
        pieces = self.pieces.get(name)
        if pieces is None:
            pieces = self.pieces[name] = OrderedDict()
        html = pieces.get(key)
        if html is not None:
            pieces.move_to_end(key)
            return html
        html = Markup(await caller())
        pieces[key] = html
        if len(pieces) > self.most:
            pieces.popitem(last=False)
        return html


def _key(name: str, lang: str, inputs: tuple) -> tuple | None:
    parts: list = [name, lang]
    for value in inputs:
        if isinstance(value, Undefined):
            parts.append(_UNDEFINED)  # an absent metadata field: printed as "", where None prints "None"
        elif value is None:
            parts.append(None)
        elif isinstance(value, str | int | float | bool):
            parts.append((type(value), value))  # 1, 1.0 and True apart; Markup and str apart
        elif isinstance(value, list | tuple) and all(type(item) is str for item in value):
            parts.append(tuple(value))  # a page's column names
        else:
            return None
    return tuple(parts)
