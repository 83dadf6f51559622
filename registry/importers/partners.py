"""Partner names to institutions, for imports: ``registry.resolve`` does the matching.

An import may create a partner from a reference record (ROR, world-universities list), but
only as one of its own records, written in its one transaction, or not at all on a dry run.
``create_institution_from_reference`` writes at once, so here it runs inside a savepoint
that is rolled back: what it would write is returned as a record, and the store is as it was.
"""

from __future__ import annotations

import sqlite_utils

from registry.models import Institution
from registry.resolve import Candidate, Resolution, create_institution_from_reference, resolve_many

__all__ = ["Candidate", "Resolution", "institution_from_reference", "resolve_many"]


def institution_from_reference(db: sqlite_utils.Database, reference_id: str, institution_id: str | None = None) -> Institution:
    """The institution a reference record becomes, not written."""
    conn = db.conn
    conn.execute("SAVEPOINT institution_from_reference")
    try:
        return create_institution_from_reference(db, reference_id, institution_id=institution_id)
    finally:
        conn.execute("ROLLBACK TO institution_from_reference")
        conn.execute("RELEASE institution_from_reference")
