"""Logins to the internal face: accounts with a role, their password hashes, their sessions.

An account's row says who it is and what it may do; it is audited like any record, so the
audit log shows who made, changed or removed an account. The password hash lives in a table
of its own that is never audited (no hash reaches the audit log's values) and never published
(``registry/publish.py`` copies only the tables it names). Sessions are the server's record of
who is logged in; their tokens are stored only as SHA-256 digests.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from registry.models.base import Record
from registry.models.core import NonEmpty, ReviewerRole
from registry.schema_types import Indexed, Ref


class AccountRole(StrEnum):
    """What an account may do on the internal face; each role includes reading everything internal."""

    viewer = "viewer"  # reads everything internal
    editor = "editor"  # changes agreements, partners, terms, contacts and documents
    reviewer = "reviewer"  # records reviews, waivers and screening decisions
    admin = "admin"  # all of the above, and manages accounts


AccountName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$"),
    Field(description="login name: lower-case letters, digits, '.', '_' or '-', starting with a letter"),
]
Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Account(Record):
    """A login to the internal face with its role, and the role it records due-diligence
    decisions under. No password here: see account_passwords."""

    table: ClassVar[str] = "accounts"
    primary_key: ClassVar[tuple[str, ...]] = ("name",)
    label_column: ClassVar[str] = "name"

    name: AccountName
    role: Annotated[AccountRole, Indexed()]
    reviewer_role: Annotated[
        ReviewerRole | None, Field(description="the role its reviews, waivers and screening decisions are recorded under")
    ] = None
    created_on: date
    password_changed_at: Annotated[datetime, Field(description="when the password was last set (sessions before it end)")]


class AccountPassword(Record):
    """An account's password hash (argon2id; PBKDF2 from 'registry hash-password' is read too).
    Never audited, never published, unreadable through the internal face."""

    table: ClassVar[str] = "account_passwords"
    primary_key: ClassVar[tuple[str, ...]] = ("account",)
    audited: ClassVar[bool] = False
    secret: ClassVar[bool] = True

    account: Annotated[AccountName, Ref("accounts", column="name", cascade=True)]
    password_hash: NonEmpty


class Session(Record):
    """A login session of the internal face: the digest of its cookie's token, whose it is,
    until when it holds and the digest of the password hash it was opened with (a new
    password ends it). Environment accounts have sessions too, so no reference to accounts."""

    table: ClassVar[str] = "sessions"
    primary_key: ClassVar[tuple[str, ...]] = ("token_digest",)
    audited: ClassVar[bool] = False
    secret: ClassVar[bool] = True

    token_digest: Digest
    account: Annotated[AccountName, Indexed()]
    created_at: datetime
    expires_at: Annotated[datetime, Indexed()]
    credential_digest: Digest
    client: NonEmpty | None = None


__all__ = ["Account", "AccountPassword", "AccountRole", "Session"]
