"""The internal face's facet counts and canned lists read once per version of the registry
(``registry.kept_answers``): the agreements table's counts read every agreement on every page,
and a list's query was a fifth to a third of its page's CPU."""

from __future__ import annotations

from datasette import hookimpl
from datasette.facets import ColumnFacet

from registry.kept_answers import KeptColumnFacet, keep_canned_answers


@hookimpl(hookwrapper=True)
def register_facet_classes():
    # Datasette's own column facet is swapped for ours where it is listed; the other kinds stay
    outcome = yield
    outcome.force_result([[KeptColumnFacet if kind is ColumnFacet else kind for kind in kinds]
                          for kinds in outcome.get_result()])


@hookimpl
def startup(datasette):
    for name, db in datasette.databases.items():
        if not name.startswith("_"):
            keep_canned_answers(datasette, db)
