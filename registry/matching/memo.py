"""A bounded memo for a name index's methods: what a lookup works out about a word once, it keeps."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

MEMO_PREFIX = "_memo_"  # the instance attribute a memo lives in: ``_memo_<method>`` (left out of the index's pickle)
_MISSING = object()

Method = TypeVar("Method", bound=Callable[..., Any])


def memo(limit: int) -> Callable[[Method], Method]:
    """Remember a method's answer per instance and positional arguments (hashable), forgetting every answer
    once ``limit`` are kept. The arguments repeat in bursts (the words of one typed name, the names it
    blocks), so starting afresh loses little, and costs nothing per call, as least-recently-used order would.
    The method must answer from the index alone, and its callers must not change what it returns."""

    def decorate(method: Method) -> Method:
        attribute = MEMO_PREFIX + method.__name__

        @functools.wraps(method)
        def remembered(self: Any, *arguments: Any) -> Any:
            kept = self.__dict__.get(attribute)
            if kept is None:
                kept = self.__dict__[attribute] = {}
            found = kept.get(arguments, _MISSING)
            if found is _MISSING:
                if len(kept) >= limit:
                    kept.clear()
                found = kept[arguments] = method(self, *arguments)
            return found

        return remembered  # type: ignore[return-value]

    return decorate
