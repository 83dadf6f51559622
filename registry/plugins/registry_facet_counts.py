"""Datasette's column facet swapped for one that keeps its counts per version of the registry
(``registry.facet_counts``: the agreements table's counts read every agreement on every page)."""

from __future__ import annotations

from datasette import hookimpl
from datasette.facets import ColumnFacet

from registry.facet_counts import KeptColumnFacet


@hookimpl(hookwrapper=True)
def register_facet_classes():
    # Datasette's own column facet is swapped for ours where it is listed; the other kinds stay
    outcome = yield
    outcome.force_result([[KeptColumnFacet if kind is ColumnFacet else kind for kind in kinds]
                          for kinds in outcome.get_result()])
