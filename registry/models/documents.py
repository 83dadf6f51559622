"""Signed agreement documents, kept in the registry file (so a backup holds them) with a checksum.

A document is two records: what it is (``agreement_documents``: its file name, type, size,
SHA-256, when and by whom it was uploaded), audited like any record, so the audit log names
who uploaded it; and its bytes (``agreement_document_contents``), never audited, so no copy of
a document lands in the audit log's values. Neither is published (``registry/publish.py``
copies only the tables it names) nor written as seed YAML (``as_text``): a PDF is not text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from registry.models.base import Record
from registry.schema_types import Indexed, Ref, Slug, SqlCheck

PDF_TYPE = "application/pdf"
FileName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$"),
    Field(description="the file's name as uploaded, without folders or control characters"),
]
Sha256 = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    SqlCheck("length({column}) = 64 AND {column} NOT GLOB '*[^0-9a-f]*'"),
]


class AgreementDocument(Record):
    """A signed agreement (or an annex) as a PDF, uploaded to the agreement it belongs to."""

    table: ClassVar[str] = "agreement_documents"
    label_column: ClassVar[str] = "file_name"
    as_text: ClassVar[bool] = False

    id: Slug
    # The same file twice on one agreement is refused when it is uploaded (registry/documents.py).
    agreement: Annotated[Slug, Ref("agreements", cascade=True), Indexed(then=("sha256",))]
    file_name: FileName
    content_type: Annotated[
        str, StringConstraints(pattern=r"^application/pdf$"), SqlCheck(f"{{column}} = '{PDF_TYPE}'")
    ] = PDF_TYPE
    size: Annotated[int, Field(ge=1, description="bytes")]
    sha256: Annotated[Sha256, Field(description="SHA-256 of the content, hex: the checksum a copy is compared with")]
    uploaded_at: datetime
    uploaded_by: Annotated[
        str, StringConstraints(min_length=1, max_length=200), Field(description="the login that uploaded it")
    ]


class AgreementDocumentContent(Record):
    """The bytes of an agreement document. Never audited (the audit log would copy them)."""

    table: ClassVar[str] = "agreement_document_contents"
    primary_key: ClassVar[tuple[str, ...]] = ("document",)
    audited: ClassVar[bool] = False
    as_text: ClassVar[bool] = False

    document: Annotated[Slug, Ref("agreement_documents", cascade=True)]
    content: Annotated[bytes, Field(min_length=1)]


__all__ = ["PDF_TYPE", "AgreementDocument", "AgreementDocumentContent"]
