"""Work Datasette 0.65 does afresh on every page whose answer never changes while serving, done once.

Each is a stand-in for one of Datasette's module-level names, giving the same answer for every
call, installed once per process at startup (``registry_pages.startup``):

- A canned query's page links "Edit SQL" to the query written into a URL (``urlencode`` of its
  SQL, 1-3 KB, quoted byte by byte by ``urllib``: 0.1-0.2 ms a page). The same SQL and values
  give the same link, so each is quoted once and kept (``urlencode`` of a dict is the same as of
  its items in order).
- Every HTML page asks each output renderer whether it can render the page, through
  ``call_with_supported_arguments``, which reads the renderer function's signature with
  ``inspect.signature`` each time (about 50 µs a page). The functions are the plugins'; their
  parameter names are read once per function.
"""

from __future__ import annotations

import functools
import inspect
import urllib.parse

_URLENCODE = urllib.parse.urlencode


@functools.lru_cache(maxsize=1024)
def _quoted(items: tuple) -> str:
    return _URLENCODE(items)


def urlencode(query, *args, **kwargs) -> str:
    """``urllib.parse.urlencode``; a dict of strings and numbers with no other arguments is
    quoted once per distinct dict (its items in order), since its answer cannot change."""
    if args or kwargs or type(query) is not dict:
        return _URLENCODE(query, *args, **kwargs)
    items = tuple(query.items())
    if not all(type(value) in (str, int, float) and type(key) is str for key, value in items):
        return _URLENCODE(query)
    return _quoted(items)


@functools.lru_cache(maxsize=256)
def _parameters(fn) -> tuple[str, ...]:
    return tuple(inspect.signature(fn).parameters.keys())


def call_with_supported_arguments(fn, **kwargs):
    """Datasette's ``call_with_supported_arguments``: ``fn`` called with the arguments it names,
    its names read once per function (a function that cannot be a cache key is read each time)."""
    try:
        names = _parameters(fn)
    except TypeError:
        names = tuple(inspect.signature(fn).parameters.keys())
    missing = [name for name in names if name not in kwargs]
    if missing:
        raise TypeError(f"{fn} requires parameters {names}, missing: {set(names) - set(kwargs.keys())}")
    return fn(*[kwargs[name] for name in names])


def install() -> None:
    """Datasette's query and base views use these stand-ins from now on (once per process)."""
    from datasette.views import base, database

    database.urlencode = urlencode
    base.call_with_supported_arguments = call_with_supported_arguments
