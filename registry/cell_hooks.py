"""Datasette's ``render_cell`` hook, called for every cell of every page, without pluggy's
machinery per call.

A list page of 50 rows of 10 columns asks the hook 500 times, a table page 1,400 times, and
pluggy spent more on each call than the registry's three implementations together: checking
its arguments, listing the implementations afresh (a subset of them here, without
datasette-render-markdown's, see ``skip_markdown_cells``) and reading the hook's spec six
times, 7 µs a cell against 3 µs called directly (2-6 ms of a 12-50 ms page). ``DirectCells``
calls the same implementations, in pluggy's order, with the same arguments, and answers as
pluggy does (every answer that is not None, in order), so Datasette picks the same one. It
stands in for the hook only when no implementation wraps the others (a hookwrapper), which
pluggy alone runs right, and is made again at every Datasette's startup, after the plugins
are registered.
"""

from __future__ import annotations

from datasette.plugins import pm

_PLUGGYS = None  # the hook caller pluggy made, before any startup replaced it


class DirectCells:
    """The render_cell hook caller ``caller`` (pluggy's), its implementations called directly."""

    def __init__(self, caller) -> None:
        self.caller = caller
        # pluggy calls the last registered first (tryfirst/trylast already sorted into the list)
        self.calls = tuple((impl.function, tuple(impl.argnames)) for impl in reversed(caller.get_hookimpls()))

    def __call__(self, **arguments) -> list:
        answers = []
        for function, names in self.calls:
            answer = function(*[arguments[name] for name in names])
            if answer is not None:
                answers.append(answer)
        return answers

    def __getattr__(self, name):  # anything else (get_hookimpls, a plugin registering): pluggy's
        return getattr(self.caller, name)


def skip_markdown_cells() -> None:
    """datasette-render-markdown is installed for the dashboards' markdown panels (its template
    function). Its render_cell hook renders columns named ``*_markdown``, and no column of the
    registry is one; yet to find that out it reads its plugin configuration, a deep merge of the
    whole metadata, for every cell of every page: a third of the time of a 50-row page. The
    template function stays; that one hook goes. The rest are called directly (``DirectCells``)."""
    global _PLUGGYS
    if _PLUGGYS is None:
        _PLUGGYS = pm.hook.render_cell
    caller = pm.hook.render_cell = _PLUGGYS  # not an earlier startup's (a process of tests starts many)
    plugin = pm.get_plugin("render_markdown")
    if plugin is not None and any(impl.plugin is plugin for impl in caller.get_hookimpls()):
        caller = pm.subset_hook_caller("render_cell", remove_plugins=[plugin])
    wrapped = any(impl.hookwrapper or getattr(impl, "wrapper", False) for impl in caller.get_hookimpls())
    pm.hook.render_cell = caller if wrapped else DirectCells(caller)
