"""Problems found in input or in the store, each naming where, what and which rule.

One shape for every report (load, import, verify), after frictionless: a code, the place
(file and line, or table and key), the record, the field, the value and the rule broken.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    code: str  # e.g. invalid-value, unknown-reference, duplicate-id, yaml-syntax
    where: str  # "data/examples/agreements.yml:12" or "table agreements"
    message: str  # the rule in plain words
    record: str | None = None  # "agreements/lu-ku-exchange"
    field: str | None = None
    value: Any = None

    def __str__(self) -> str:
        parts = [self.where]
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(self.field)
        text = ": ".join(parts)
        value = f" (value {self.value!r})" if self.value is not None else ""
        return _one_line(f"{text}: {self.message}{value} [{self.code}]")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _one_line(text: str) -> str:
    """A problem is one line: a newline or terminal escape typed into a name or a cell is shown
    as its escape (\\n, \\x1b), never acted on; letters of any script stay as they are."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class ProblemsFound(Exception):
    """Raised when input has problems; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''}:\n" + "\n".join(f"  {p}" for p in problems))


class UsageProblem(Exception):
    """A request that names something that does not exist, or asks for options that do not go
    together (an unknown check code, a registry file that is not there). The ``registry``
    command reports it as bad usage (exit 2); a bug's own ``KeyError`` or ``ValueError`` stays
    a bug, with its traceback."""


class NoRegistry(UsageProblem, FileNotFoundError):
    """There is no registry file where one was expected."""


class UnknownName(UsageProblem, LookupError):
    """A check code, check family, format or kind that the registry does not know."""


def validation_problems(error: Any, where: str, record: str | None = None, code: str = "invalid-value") -> list[Problem]:
    """One Problem per error of a pydantic ValidationError, naming the field, value and rule."""
    return [
        Problem(code, where, detail["msg"].removeprefix("Value error, "), record,
                ".".join(str(part) for part in detail["loc"]) or None,
                detail.get("input") if detail["loc"] else None)  # a rule across fields: its message names them
        for detail in error.errors()
    ]
