"""Signed agreement documents: check an upload, keep it with its checksum, list and read it back.

One path for the browser (``registry/plugins/registry_documents.py``) and the command line
(``registry document add|list``): a file is refused, with the reason and nothing stored, when it
is empty, larger than the limit, not declared a PDF, or not starting with the PDF signature
``%PDF-`` (a file renamed to .pdf is not one). The limit is ``REGISTRY_DOCUMENT_MAX_MB``
(default 20 MB).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import unicodedata
from dataclasses import dataclass

import sqlite_utils

from registry import clock
from registry import db as store
from registry.models.documents import PDF_TYPE, AgreementDocument, AgreementDocumentContent
from registry.problems import Problem, ProblemsFound

MAX_MB_VARIABLE = "REGISTRY_DOCUMENT_MAX_MB"
DEFAULT_MAX_MB = 20
PDF_MAGIC = b"%PDF-"
# Browsers and mail programs label PDFs these ways too; the bytes decide in the end.
PDF_TYPES = frozenset({PDF_TYPE, "application/x-pdf", "application/acrobat", "application/octet-stream"})
DOCUMENT_COLUMNS = "id, agreement, file_name, content_type, size, sha256, uploaded_at, uploaded_by"
# A document's id begins with (most of) its agreement's, so the audit log's entries of an agreement's
# documents, removed ones too, are one range of its record_id index (registry/agreement_page.py).
ID_MARK = ".doc-"
ID_AGREEMENT_CHARS = 100


def id_prefix(agreement: str) -> str:
    return agreement[:ID_AGREEMENT_CHARS] + ID_MARK


def max_bytes() -> int:
    """The largest document accepted, from REGISTRY_DOCUMENT_MAX_MB (a number of megabytes)."""
    text = os.environ.get(MAX_MB_VARIABLE, "").strip()
    try:
        megabytes = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        raise ValueError(f"{MAX_MB_VARIABLE}={text!r}: give a number of megabytes, e.g. 20") from None
    return int(megabytes * 1024 * 1024)


def megabytes(size: int) -> str:
    """A size in MB as a person reads it: 20, 0.05, 3.27."""
    return f"{round(size / 1048576, 2):g}"


def _refused(message: str) -> ProblemsFound:
    return ProblemsFound([Problem("document-refused", "upload", message)])


def safe_file_name(name: str | None) -> str:
    """The last part of an uploaded file's name, without control characters or path separators,
    at most 200 characters, ending in .pdf: what the download offers to save it as."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    name = "".join(" " if unicodedata.category(c).startswith("C") else c for c in name)
    name = re.sub(r"\s+", " ", name).strip(" .") or "document"
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    return stem[:196].rstrip(" .") + ".pdf"


def check_pdf(content: bytes, content_type: str | None, file_name: str | None = None) -> None:
    """Raise ProblemsFound (one line, naming the file and the reason) unless ``content`` is a PDF
    within the size limit."""
    shown = file_name or "the file"
    if not content:
        raise _refused(f"{shown} is empty: nothing was stored")
    limit = max_bytes()
    if len(content) > limit:
        raise _refused(
            f"{shown} is {megabytes(len(content))} MB, larger than the {megabytes(limit)} MB a document may be "
            f"({MAX_MB_VARIABLE}): nothing was stored"
        )
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared and declared not in PDF_TYPES:
        raise _refused(f"{shown} is {declared}, not a PDF (application/pdf): nothing was stored")
    if not content.startswith(PDF_MAGIC):
        raise _refused(f"{shown} is not a PDF (it does not begin with {PDF_MAGIC.decode()}): nothing was stored")


@dataclass(frozen=True)
class StoredDocument:
    document: AgreementDocument
    content: bytes


def add(
    db: sqlite_utils.Database,
    agreement: str,
    content: bytes,
    *,
    file_name: str | None,
    content_type: str | None,
    actor: str,
    source: str,
) -> AgreementDocument:
    """Check and store a document on ``agreement``, uploaded by ``actor``; returns its record."""
    if not db.conn.execute("SELECT 1 FROM agreements WHERE id = ?", [agreement]).fetchone():
        raise _refused(f"no agreement {agreement!r} in this registry: nothing was stored")
    name = safe_file_name(file_name)
    check_pdf(content, content_type, name)
    digest = hashlib.sha256(content).hexdigest()
    same = db.conn.execute(
        "SELECT file_name, uploaded_at FROM agreement_documents WHERE agreement = ? AND sha256 = ?", [agreement, digest]
    ).fetchone()
    if same:
        raise _refused(f"{name} is already on this agreement, as {same[0]} (uploaded {same[1]}): nothing was stored")
    record = AgreementDocument(
        id=id_prefix(agreement) + secrets.token_hex(6),
        agreement=agreement,
        file_name=name,
        size=len(content),
        sha256=digest,
        uploaded_at=clock.now(),
        uploaded_by=actor,
    )
    stored = AgreementDocumentContent(document=record.id, content=content)
    with store.transaction(db, actor=actor, source=source):
        store.write_records(db, [record], actor=actor, source=source)
        # The bytes go in as they are (the store's planned writes dump values as JSON text).
        db.conn.execute(
            "INSERT INTO agreement_document_contents (document, content) VALUES (?, ?)",
            [stored.document, stored.content],
        )
    return record


def remove(db: sqlite_utils.Database, document: str, *, actor: str, source: str) -> dict:
    """Take a document (a wrong upload) off its agreement, bytes and all; the audit log keeps
    that it was there, who uploaded and who removed it. Returns what it was."""
    found = db.conn.execute(f"SELECT {DOCUMENT_COLUMNS} FROM agreement_documents WHERE id = ?", [document]).fetchone()
    if found is None:
        raise ProblemsFound(
            [Problem("unknown-document", "remove", f"no document {document!r} in this registry: nothing was removed")]
        )
    with store.transaction(db, actor=actor, source=source):
        # The bytes go by the foreign key's cascade: every connection of ours, the server's too
        # (registry/plugins/registry_foreign_keys.py), enforces foreign keys.
        db.conn.execute("DELETE FROM agreement_documents WHERE id = ?", [document])
    return dict(zip(DOCUMENT_COLUMNS.split(", "), found, strict=True))


def listed(conn: sqlite3.Connection, agreement: str) -> list[dict]:
    """The documents of an agreement, newest first, without their bytes."""
    cursor = conn.execute(
        f"SELECT {DOCUMENT_COLUMNS} FROM agreement_documents WHERE agreement = ? ORDER BY uploaded_at DESC, file_name",
        [agreement],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def read(conn: sqlite3.Connection, document: str) -> StoredDocument | None:
    """A document with its bytes, or None when there is none with that id."""
    row = conn.execute(
        f"SELECT {DOCUMENT_COLUMNS}, c.content FROM agreement_documents d "
        "JOIN agreement_document_contents c ON c.document = d.id WHERE d.id = ?",
        [document],
    ).fetchone()
    if row is None:
        return None
    *values, content = row
    fields = dict(zip(DOCUMENT_COLUMNS.split(", "), values, strict=True))
    return StoredDocument(AgreementDocument.model_validate(fields), content)
