"""What an import left behind: every row it could not take, with its reason.

A spreadsheet row that is refused is kept here (with ``--keep-valid``) exactly as it was
read, so the office can fix it and import it again; nothing typed is lost.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from registry.models.base import Record
from registry.schema_types import Indexed, Slug


class RejectOutcome(StrEnum):
    rejected = "rejected"  # a value broke a rule
    ambiguous = "ambiguous"  # the partner name fits more than one institution
    new = "new"  # the partner is not in the registry and --create-missing was not given


class ImportReject(Record):
    """Rows an import did not take (with --keep-valid), with the file, line, the values as
    read and the reason, so they can be fixed and imported again. Internal: raw values may
    hold anything the spreadsheet held."""

    table: ClassVar[str] = "import_rejects"
    primary_key: ClassVar[tuple[str, ...]] = ("import_id", "line")

    import_id: Annotated[Slug, Indexed(), Field(description="one import run: its time and file name")]
    file: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    line: Annotated[int, Field(ge=1, description="line (CSV) or row (XLSX) where the record starts")]
    outcome: Annotated[RejectOutcome, Indexed()] = RejectOutcome.rejected
    raw_values: Annotated[dict[str, str], Field(description="the cells of the row, by the file's own headers")]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    imported_at: Annotated[datetime, Field(description="when the import ran (UTC)")]


__all__ = ["ImportReject", "RejectOutcome"]
