"""Partner names to institutions, for imports: ``registry.resolve`` does the matching.

An import may create a partner from a reference record (ROR, world-universities list), but
only as one of its own records, written in its one transaction, or not at all on a dry run:
``institution_from_reference`` builds that record without writing it.
"""

from __future__ import annotations

from registry.from_reference import institution_from_reference
from registry.resolution import Candidate, Resolution
from registry.resolve import Resolver, resolve_many

__all__ = ["Candidate", "Resolution", "Resolver", "institution_from_reference", "resolve_many"]
