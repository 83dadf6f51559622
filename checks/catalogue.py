"""The checks' words for Babel's catalogue (babel.cfg maps ``checks/registry.py`` to ``extract``):
each check's title (its decorator) and rationale (its docstring), and the template of every
finding's message, written in a check's SQL as ``registry_message('Agreement "{title}" ...', 'title', a.title)``
(``registry.i18n.MESSAGE_KEY``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checks.registry import all_checks

TITLE = "a check's title"
RATIONALE = "a check's rationale"
MESSAGE = "a finding's message"
# The SQL string literals (quotes doubled inside) that open registry_message( or sit in its CASE
_MESSAGE_CALL = re.compile(r"registry_message\((?P<rest>(?:CASE\s+WHEN.*?END|'(?:[^']|'')*'(?:\s*\|\|\s*'(?:[^']|'')*')*))",
                           re.DOTALL)
_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_JOINED = re.compile(r"'\s*\|\|\s*'")


def message_templates(source: str) -> Iterator[str]:
    """The message templates of a check module's source."""
    for call in _MESSAGE_CALL.finditer(source):
        rest = _JOINED.sub("", call.group("rest"))
        for literal in _LITERAL.findall(rest if rest.startswith("'") else rest.split("THEN", 1)[-1]):
            if "{" in literal:
                while "{{" in literal or "}}" in literal:  # an f-string's (or a formatted f-string's) braces
                    literal = literal.replace("{{", "{").replace("}}", "}")
                yield literal.replace("''", "'")


def texts() -> Iterator[tuple[str, str]]:
    for spec in all_checks():
        yield spec.title, TITLE
        yield spec.rationale, RATIONALE
    for path in sorted(p for p in Path(__file__).resolve().parent.glob("*.py") if p.name != "catalogue.py"):
        for template in message_templates(path.read_text(encoding="utf-8")):
            yield template, MESSAGE


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel extraction method (babel.cfg: ``[checks.catalogue.extract: checks/registry.py]``)."""
    seen: set[str] = set()
    for text, comment in texts():
        if text not in seen:
            seen.add(text)
            yield 0, "_", text, [comment]
