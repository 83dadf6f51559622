"""How an IIA's values are written: one canonical form of our own, and the forms a partner
used, kept where they differ.

XML Schema allows several spellings of one value (``0`` and ``false``, ``02`` and ``2``,
``EN`` and ``en``, `` 5 `` and ``5``, text with whitespace around it), and the iia-hash is
computed from the spelling, not the value. So the reader keeps, per condition, the text of
every element written otherwise than this registry writes its value (``lexical``: path in the
condition -> text as written), and the writer writes that text back while the value is still
the same: the stored copy re-exports with its own hash. Our own copies use the canonical form.

Paths name an element within its condition, with its position among same-named siblings
from 1: ``blended[1]``, ``eqf-level[2]``, ``subject-area[1]/isced-clarification[1]``,
``recommended-language-skill[2]/language[1]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from registry.models.core import language_tag

_CENT = Decimal("0.01")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")  # xs:language


def collapse(text: str) -> str:
    """XML Schema's whitespace collapse, which every type but a string applies to its text."""
    return " ".join(text.split())


def boolean(text: str) -> bool | None:
    value = collapse(text)
    return {"true": True, "1": True, "false": False, "0": False}.get(value)


def integer(text: str) -> int | None:
    value = collapse(text)
    return int(value) if _INTEGER.match(value) else None


def decimal(text: str) -> Decimal | None:
    value = collapse(text)
    if not _DECIMAL.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def decimal_text(value: Decimal) -> str:
    """A decimal as this registry writes it: no sign, no leading or trailing zeros (``5``, ``4.5``)."""
    text = format(value.quantize(_CENT, ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _text(text: str) -> str:
    return text.strip()


# the value an element's text stands for, by element name
VALUE: dict[str, Callable[[str], object]] = {
    "blended": boolean,
    "mobilities-per-year": integer,
    "eqf-level": integer,
    "total-months-per-year": decimal,
    "total-days-per-year": decimal,
    "language": lambda text: language_tag(text) if LANGUAGE.match(collapse(text)) else None,
    "cefr-level": collapse,
    "isced-f-code": collapse,
    "other-info-terms": _text,
    "isced-clarification": _text,
}


def value(path: str, text: str) -> object:
    """What the text of the element at ``path`` means; any other text is read without whitespace around it."""
    name = path.rsplit("/", 1)[-1].split("[", 1)[0]
    return VALUE.get(name, _text)(text)


def written(lexical: dict[str, str] | None, path: str, canonical: str) -> str:
    """The text to write: the copy's own spelling while it still means the canonical value."""
    kept = (lexical or {}).get(path)
    if kept is not None and value(path, kept) == value(path, canonical):
        return kept
    return canonical


def canonical(path: str, text: str) -> str | None:
    """How this registry writes the value of this text (None when the text is no valid value)."""
    meaning = value(path, text)
    if meaning is None:
        return None
    if isinstance(meaning, bool):
        return "true" if meaning else "false"
    if isinstance(meaning, Decimal):
        return decimal_text(meaning)
    return str(meaning)


_UNKEPT = ("sending-contact", "receiving-contact")  # contacts are no part of the hash


def leaves(condition: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """Every element without child elements in a condition, with its path, in document order."""

    def walk(parent: etree._Element, prefix: str) -> Iterator[tuple[str, etree._Element]]:
        seen: dict[str, int] = {}
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            seen[name] = seen.get(name, 0) + 1
            if name in _UNKEPT:
                continue
            path = f"{prefix}{name}[{seen[name]}]"
            if any(isinstance(c.tag, str) for c in child):
                yield from walk(child, path + "/")
            else:
                yield path, child

    return walk(condition, "")


def text_of(element: etree._Element) -> str:
    """An element's text as XPath reads it: comments and processing instructions left out."""
    return "".join(element.itertext())


def spellings(condition: etree._Element) -> dict[str, str]:
    """The condition's texts that are not written as this registry would write their values."""
    kept: dict[str, str] = {}
    for path, element in leaves(condition):
        text = text_of(element)
        ours = canonical(path, text)
        if ours is not None and ours != text:
            kept[path] = text
    return kept


def respell(condition: etree._Element, kept: dict[str, str]) -> None:
    """Write back a copy's own spellings into a condition written in the canonical form."""
    if not kept:
        return
    for path, element in leaves(condition):
        element.text = written(kept, path, element.text or "")
