"""A check's ``registry_message(template, name, value, ...)`` made by SQLite's own functions.

``registry_message`` is a Python function (``registry.i18n``): recording a finding with it
costs three Python calls and a JSON encode and parse, about three quarters of a plain check's
time, two million times at a million agreements. A call whose template is a string literal
(``'...'``, or literals joined by ``||``, or a ``CASE`` choosing among such, whose conditions
are then read twice) with plain ``{name}`` fields, and whose names are string literals, is
rewritten here, once per query, into

    char(30) || json_object('key', K, 'values', json_object(...)) || char(31) || <English text>

where K is the template's key (``registry.i18n.template_key``, worked out here, once), the
English text is the template's literal parts and its values joined by ``||``, and
``checks.found`` reads the text and the evidence's key and values out of it, all in SQLite.
Not a JSON array: the text is cut off behind the separator without being parsed (or
escaped) at all, and only the key's and values' JSON is parsed, once. JSON escapes every control
character, so the first char(31) in such a message is the separator. The text is the same
as ``registry.i18n`` renders (a NULL is empty, a whole number its digits); a row whose values
hold a REAL or a BLOB, which SQLite writes otherwise than Python does, takes the Python
function after all. Any other call (a template given as a
parameter, a format spec, a value that mentions a JSON function, whose JSON subtype SQLite
would keep) is left as it is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from registry.i18n import TEMPLATE_KEY, template_fields, template_key

COMPILED_MARK = "\x1e"
"""How a compiled message begins (ASCII's record separator)."""
COMPILED_SPLIT = "\x1f"
"""What follows a compiled message's template's key and values (ASCII's unit separator), before its text."""

_CALL = re.compile(r"\bregistry_message\s*\(", re.IGNORECASE)
_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_JOINED_LITERALS = re.compile(r"\s*'(?:[^']|'')*'(?:\s*\|\|\s*'(?:[^']|'')*')*\s*")
# Values SQLite would hand to json_object as JSON rather than text: these stay with Python.
_JSON_VALUE = re.compile(r"\bjson|->", re.IGNORECASE)


def _skip(sql: str, at: int) -> int:
    """The index after the string, quoted name or comment that starts at ``at`` (``at`` if none does)."""
    char = sql[at]
    if char in "'\"`":
        end = at + 1
        while True:
            end = sql.find(char, end)
            if end < 0:
                return len(sql)
            if sql.startswith(char * 2, end):
                end += 2
                continue
            return end + 1
    if char == "[":
        end = sql.find("]", at)
        return len(sql) if end < 0 else end + 1
    if sql.startswith("--", at):
        end = sql.find("\n", at)
        return len(sql) if end < 0 else end + 1
    if sql.startswith("/*", at):
        end = sql.find("*/", at + 2)
        return len(sql) if end < 0 else end + 2
    return at


def _code(sql: str, start: int = 0) -> Iterator[int]:
    """The positions in ``sql`` from ``start`` on that are outside its strings, quoted names and comments."""
    at = start
    while at < len(sql):
        after = _skip(sql, at)
        if after != at:
            at = after
            continue
        yield at
        at += 1


def _arguments(sql: str, start: int) -> tuple[list[str], int] | None:
    """The top-level arguments of a call whose ``(`` is just before ``start``, and the index after its ``)``."""
    arguments: list[str] = []
    depth, begin = 0, start
    for at in _code(sql, start):
        char = sql[at]
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                arguments.append(sql[begin:at])
                return arguments, at + 1
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append(sql[begin:at])
            begin = at + 1
    return None


def _literal(text: str) -> str | None:
    """The value of a string literal, or of string literals joined by ``||``; None for anything else."""
    if not _JOINED_LITERALS.fullmatch(text):
        return None
    return "".join(part.replace("''", "'") for part in _LITERAL.findall(text))


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _case_branches(text: str) -> list[tuple[str | None, str]] | None:
    """The (condition, template) branches of ``CASE WHEN c THEN '...' ... ELSE '...' END`` whose
    templates are literals (the ELSE's condition None); None for any other expression."""
    words: list[tuple[str, int, int]] = []  # the CASE's own WHEN, THEN, ELSE and END
    depth, nested, word_end = 0, 0, 0
    for at in _code(text):
        if at < word_end:
            continue
        char = text[at]
        word = _WORD.match(text, at) if char.isalpha() or char == "_" else None
        if word is None:
            depth += {"(": 1, ")": -1}.get(char, 0)
            continue
        upper, word_end = word.group().upper(), word.end()
        if depth == 0:
            if upper == "CASE":
                nested += 1
            elif upper == "END":
                nested -= 1
            if (nested == 1 and upper in ("CASE", "WHEN", "THEN", "ELSE")) or (nested == 0 and upper == "END"):
                words.append((upper, word.start(), word.end()))
    if not words or words[0][0] != "CASE" or text[:words[0][1]].strip() or text[words[-1][2]:].strip():
        return None
    kinds = [kind for kind, _, _ in words]
    if kinds[-2:] != ["ELSE", "END"] or kinds[1:-2] != ["WHEN", "THEN"] * ((len(kinds) - 3) // 2):
        return None
    branches: list[tuple[str | None, str]] = []
    for index in range(1, len(words) - 1, 2):
        kind, _, end = words[index]
        following = words[index + 1]
        if kind == "WHEN":
            condition = text[end:following[1]]
            then_end = words[index + 2][1]
            template = _literal(text[following[2]:then_end])
            if template is None:
                return None
            branches.append((condition.strip(), template))
        elif kind == "ELSE":
            template = _literal(text[end:following[1]])
            if template is None:
                return None
            branches.append((None, template))
    return branches


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _compiled_call(arguments: list[str]) -> str | None:
    """SQL for one ``registry_message(...)`` call made in SQLite, or None to leave it to Python."""
    if len(arguments) % 2 == 0 or _CALL.search(arguments[0]):
        return None
    template = _literal(arguments[0])
    branches = [(None, template)] if template is not None else _case_branches(arguments[0].strip())
    names = [_literal(name) for name in arguments[1::2]]
    values = [value.strip() for value in arguments[2::2]]
    if branches is None or any(name is None for name in names) or len(set(names)) < len(names):
        return None
    if any(_JSON_VALUE.search(value) or _CALL.search(value) or "?" in value for value in values):
        return None
    by_name: dict[str, str] = dict(zip(names, values, strict=True))  # type: ignore[arg-type]
    made = [(condition, _text(template, by_name)) for condition, template in branches]
    texts = [(condition, text) for condition, text in made if text is not None]
    if len(texts) < len(made):
        return None
    if len(texts) == 1:
        text = texts[0][1]
    else:  # the template chosen again: its conditions are read twice
        text = "CASE " + " ".join(f"WHEN {condition} THEN {text}" if condition is not None else f"ELSE {text}"
                                  for condition, text in texts) + " END"
    pairs = ", ".join(f"{quote(name)}, {value}" for name, value in by_name.items())
    if len(branches) == 1:
        key = quote(template_key(branches[0][1]))
    else:  # the template chosen again, by its key
        key = "CASE " + " ".join(f"WHEN {condition} THEN {quote(template_key(template))}" if condition is not None
                                 else f"ELSE {quote(template_key(template))}" for condition, template in branches) + " END"
    compiled = compiled_message(text, key, f"json_object({pairs})")
    if not values:
        return compiled
    odd = " OR ".join(f"typeof({value}) IN ('real', 'blob')" for value in values if not _never_real(value))
    if not odd:
        return compiled
    return f"(CASE WHEN {odd} THEN registry_message({', '.join(arguments)}) ELSE {compiled} END)"


_CAST = re.compile(r"CAST\s*\(", re.IGNORECASE)
_CAST_TO = re.compile(r"\sAS\s+(INTEGER|TEXT)\s*$", re.IGNORECASE)
_PRINTF = re.compile(r"(printf|format)\s*\(", re.IGNORECASE)


def _never_real(value: str) -> bool:
    """Whether SQL ``value`` is never a REAL nor a BLOB, so that asking for its type (which
    evaluates it once more for every finding) can be spared: a string literal, a whole
    ``CAST(... AS INTEGER)`` or ``CAST(... AS TEXT)``, a whole ``printf(...)``."""
    if _literal(value) is not None:
        return True
    for call in (_CAST, _PRINTF):
        opened = call.match(value)
        if opened is None:
            continue
        parsed = _arguments(value, opened.end())
        if parsed is None or parsed[1] != len(value):  # the call's ")" is not the value's end
            return False
        return call is _PRINTF or (len(parsed[0]) == 1 and _CAST_TO.search(parsed[0][0]) is not None)
    return False


def compiled_message(text: str, key: str, values: str) -> str:
    """SQL for a message made in SQLite, as ``checks.found`` reads it: SQL for its English
    text, its template's key (``registry.i18n.template_key``) and its values (a JSON object)."""
    return (f"(char({ord(COMPILED_MARK)}) || json_object('{TEMPLATE_KEY}', {key}, 'values', {values}) "
            f"|| char({ord(COMPILED_SPLIT)}) || {text})")


def _text(template: str, by_name: dict[str, str]) -> str | None:
    """SQL for the English text of ``template`` with the named values, as ``registry.i18n`` renders it."""
    parts = template_fields(template)
    if parts is None or any(spec for _, _, spec in parts):
        return None
    text = ["''"]
    for literal, name, _ in parts:
        if literal:
            text.append(quote(literal))
        if name is not None and name in by_name:
            text.append(f"coalesce({by_name[name]}, '')")
    return " || ".join(text)


@functools.lru_cache(maxsize=256)
def compile_messages(sql: str) -> str:
    """``sql`` with each ``registry_message(...)`` call that SQLite can make by itself rewritten so."""
    out: list[str] = []
    copied = resume = 0  # copied up to; the next call may start at
    for at in _code(sql):
        if at < resume:
            continue
        call = _CALL.match(sql, at)
        if call is None or (at and (sql[at - 1].isalnum() or sql[at - 1] == "_")):
            continue
        parsed = _arguments(sql, call.end())
        if parsed is None:
            break
        arguments, resume = parsed
        compiled = _compiled_call(arguments)
        if compiled is not None:
            out.extend((sql[copied:at], compiled))
            copied = resume
    out.append(sql[copied:])
    return "".join(out)
