"""The check registry: the ``@check`` decorator and the list of every check it registered.

A check's metadata (code, title, severity, family, criterion, source) lives in its
decorator and its rationale in its docstring; ``registry checks``, ``docs/checks.md`` and
the findings all read them from here, so they are written once.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from registry import i18n
from registry.models.diligence import Family, Severity
from registry.problems import UnknownName

CheckFunction = Callable[..., Iterable[Any]]
"""A check: takes a ``checks.context.Context``, returns what it found (``Context.found``)."""

SEVERITY_ORDER = {severity.value: rank for rank, severity in enumerate(Severity)}
"""info 0, low 1, medium 2, high 3: sorting and --fail-on compare these ranks."""


@dataclass(frozen=True)
class CheckSpec:
    code: str
    title: str
    severity: str
    family: str
    criterion: str
    source: str
    source_url: str | None
    function: CheckFunction = field(compare=False)
    uses: tuple[str, ...] = ()  # keys of data/criteria.yml the check reads, shown in the docs

    rationale_text: str | None = field(default=None, compare=False)  # the rationale in another language

    @property
    def rationale(self) -> str:
        return self.rationale_text or inspect.cleandoc(self.function.__doc__ or "")

    def translated(self, lang: str) -> CheckSpec:
        """This check with its title and rationale in ``lang`` (registry/locale)."""
        return replace(self, title=i18n.gettext(lang, self.title), rationale_text=i18n.gettext(lang, self.rationale))

    @property
    def module(self) -> str:
        return self.function.__module__

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "severity": self.severity,
            "family": self.family,
            "criterion": self.criterion,
            "source": self.source,
            "source_url": self.source_url,
            "uses": list(self.uses),
            "rationale": self.rationale,
        }


CHECKS: dict[str, CheckSpec] = {}


def check(
    *,
    code: str,
    title: str,
    severity: str,
    family: str,
    criterion: str,
    source: str,
    source_url: str | None = None,
    uses: Iterable[str] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. The function takes a ``checks.context.Context`` and returns the
    rows it found (see ``Context.found``); its docstring is the rationale users read."""
    severity = Severity(severity).value
    family = Family(family).value
    if not code.startswith(family) or not code[len(family):].isdigit():
        raise ValueError(f"check code {code!r} must be its family {family!r} followed by digits")

    def register(function: CheckFunction) -> CheckFunction:
        if not (function.__doc__ or "").strip():
            raise ValueError(f"check {code} ({function.__qualname__}) needs a docstring: it is the rationale users read")
        known = CHECKS.get(code)
        if known is not None and known.function.__qualname__ != function.__qualname__:
            raise ValueError(f"check code {code} is taken by {known.module}.{known.function.__qualname__}")
        CHECKS[code] = CheckSpec(code, title, severity, family, criterion, source, source_url, function, tuple(uses))
        return function

    return register


@lru_cache(maxsize=1)
def load_all() -> dict[str, CheckSpec]:
    """Import every module of the ``checks`` package, so every decorated check registers.

    A capability adds checks by adding a module here (``checks/<area>.py``): no list to edit.
    """
    # The package's folder, not the package: ``checks`` imports this module.
    for module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).resolve().parent)])):
        importlib.import_module(f"checks.{module}")
    return CHECKS


def _sort_key(code: str) -> tuple[str, int]:
    family = code.rstrip("0123456789")
    return family, int(code[len(family):])


def all_checks() -> list[CheckSpec]:
    """Every registered check, by family and number."""
    return [CHECKS[code] for code in sorted(load_all(), key=_sort_key)]


def select(only: Iterable[str] = (), families: Iterable[str] = ()) -> list[CheckSpec]:
    """The checks named by code and/or family; all of them when neither is given.
    An unknown code or family is an error (``UnknownName``), not an empty selection."""
    only = [code.upper() for code in only]
    families = [family.upper() for family in families]
    everything = all_checks()
    unknown = [code for code in only if code not in CHECKS]
    if unknown:
        raise UnknownName(f"no check with code {', '.join(unknown)}; 'registry checks' lists them")
    bad_families = [f for f in families if f not in Family.__members__]
    if bad_families:
        raise UnknownName(f"no family {', '.join(bad_families)}; families are {', '.join(Family.__members__)}")
    if not only and not families:
        return everything
    return [spec for spec in everything if spec.code in only or spec.family in families]
