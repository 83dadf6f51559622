"""The kind of table a file's rows are, by name: agreements, institutions or any other table.

Kept apart from ``kinds.py`` so that the kinds import downwards only: ``agreements.py`` builds
on ``kinds.py``, and this module, above both, names them.
"""

from __future__ import annotations

from registry.importers.agreements import AgreementsKind
from registry.importers.kinds import InstitutionsKind, TableKind
from registry.models import by_table


def kind_for(name: str) -> TableKind:
    """The kind of table called ``name``: agreements, institutions, or any other table."""
    if name == "agreements":
        return AgreementsKind()
    if name == "institutions":
        return InstitutionsKind()
    tables = by_table()
    if name not in tables:
        raise LookupError(f"unknown kind {name!r}; kinds are agreements, institutions or any table: {', '.join(sorted(tables))}")
    return TableKind(tables[name])
