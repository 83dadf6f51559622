"""Accounts of the internal face and their sessions.

Two kinds of account, one kind of login:

- **registry accounts** (``registry user add``): a row in ``accounts`` with the role, the
  password hash in ``account_passwords`` (never audited, never published);
- **environment accounts**: ``REGISTRY_PASSWORD_HASH_<NAME>`` holding a hash, with the role
  from ``REGISTRY_ROLE_<NAME>`` (default ``admin``) and the reviewer role from
  ``REGISTRY_REVIEWER_ROLE_<NAME>``. An environment account shadows a registry account of the
  same name: the server's configuration is the operator's last word.

A session is a random token in the browser's cookie and its SHA-256 digest in ``sessions``,
with the digest of the password hash it was opened with: it ends when it expires, at logout,
when the password changes or the account goes. Roles are read on every request, never kept in
the session, so a changed role holds at once.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils
from pydantic import ValidationError

from registry import clock, passwords
from registry import db as store
from registry.models.accounts import Account, AccountPassword, AccountRole
from registry.models.core import ReviewerRole
from registry.problems import Problem, ProblemsFound, validation_problems

HASH_PREFIX = "REGISTRY_PASSWORD_HASH_"
ROLE_PREFIX = "REGISTRY_ROLE_"
REVIEWER_ROLE_PREFIX = "REGISTRY_REVIEWER_ROLE_"
ENVIRONMENT_DEFAULT_ROLE = AccountRole.admin
# The role decisions are recorded under when an account that may decide has none set.
DEFAULT_REVIEWER_ROLE = ReviewerRole.due_diligence_reviewer

# What each role may do: read everything internal; edit the records; decide (reviews,
# waivers, screening decisions); manage accounts.
RIGHTS: dict[str, frozenset[str]] = {
    AccountRole.viewer: frozenset({"read"}),
    AccountRole.editor: frozenset({"read", "edit"}),
    AccountRole.reviewer: frozenset({"read", "decide"}),
    AccountRole.admin: frozenset({"read", "edit", "decide", "accounts"}),
}


def roles_with(right: str) -> list[str]:
    return [role for role, rights in RIGHTS.items() if right in rights]


@dataclass(frozen=True)
class Login:
    """Who a request is, as the server knows it: never taken from the request itself."""

    name: str
    role: str
    reviewer_role: str | None
    credential_digest: str  # digest of the password hash; a session opened with another one has ended
    source: str  # "registry" or "environment"

    def actor(self) -> dict:
        return {"id": self.name, "role": self.role, "reviewer_role": self.reviewer_role, "account_source": self.source}


def _problem(code: str, message: str, value: object = None, field: str = "NAME") -> ProblemsFound:
    return ProblemsFound([Problem(code, "arguments", message, field=field, value=value)])


def _reviewer_role(role: str, reviewer_role: str | None) -> str | None:
    if reviewer_role:
        return ReviewerRole(reviewer_role).value
    return DEFAULT_REVIEWER_ROLE.value if "decide" in RIGHTS.get(role, ()) else None


# --- environment accounts ---------------------------------------------------------------


def environment_accounts(environ: Mapping[str, str] | None = None) -> dict[str, tuple[str, Login]]:
    """Account name -> (its password hash, its login), from the environment.

    Raises ValueError naming the variable for a role that does not exist."""
    environ = os.environ if environ is None else environ
    found = {}
    for variable, value in environ.items():
        if not variable.startswith(HASH_PREFIX) or len(variable) == len(HASH_PREFIX) or not value.strip():
            continue
        suffix = variable[len(HASH_PREFIX):]
        role = environ.get(ROLE_PREFIX + suffix, "").strip().lower() or ENVIRONMENT_DEFAULT_ROLE.value
        reviewer_role = environ.get(REVIEWER_ROLE_PREFIX + suffix, "").strip().lower() or None
        if role not in RIGHTS:
            raise ValueError(f"{ROLE_PREFIX}{suffix}={role!r}: a role is one of {', '.join(RIGHTS)}")
        if reviewer_role and reviewer_role not in {r.value for r in ReviewerRole}:
            raise ValueError(f"{REVIEWER_ROLE_PREFIX}{suffix}={reviewer_role!r}: one of {', '.join(r.value for r in ReviewerRole)}")
        stored = value.strip()
        name = suffix.lower()
        found[name] = (stored, Login(name, role, _reviewer_role(role, reviewer_role), passwords.digest(stored), "environment"))
    return found


# --- finding a login ----------------------------------------------------------------------


def _has_accounts(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'account_passwords'").fetchone())


def find(conn: sqlite3.Connection, name: str, environ: Mapping[str, str] | None = None) -> tuple[str, Login] | None:
    """The password hash and login of account ``name``, or None when there is no such account."""
    name = (name or "").strip().lower()
    from_environment = environment_accounts(environ).get(name)
    if from_environment or not _has_accounts(conn):
        return from_environment
    row = conn.execute(
        "SELECT a.role, a.reviewer_role, p.password_hash FROM accounts a JOIN account_passwords p ON p.account = a.name "
        "WHERE a.name = ?", [name]).fetchone()
    if row is None:
        return None
    role, reviewer_role, stored = row
    return stored, Login(name, role, _reviewer_role(role, reviewer_role), passwords.digest(stored), "registry")


def any_account(conn: sqlite3.Connection, environ: Mapping[str, str] | None = None) -> bool:
    if environment_accounts(environ):
        return True
    return _has_accounts(conn) and bool(conn.execute("SELECT 1 FROM account_passwords LIMIT 1").fetchone())


def rehash(conn: sqlite3.Connection, name: str, stored: str, password: str) -> None:
    """After a good login: a registry account's PBKDF2 (or weaker argon2) hash becomes today's
    argon2id. The credential digest changes with it, so the caller opens its session after this."""
    if passwords.needs_rehash(stored):
        conn.execute("UPDATE account_passwords SET password_hash = ? WHERE account = ? AND password_hash = ?",
                     [passwords.hash_password(password), name, stored])


# --- sessions -----------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def open_session(conn: sqlite3.Connection, login: Login, *, hours: float, client: str | None = None) -> str:
    """A new session for ``login``; returns the token for the cookie (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    conn.execute("DELETE FROM sessions WHERE expires_at <= ?", [_stamp(now)])
    conn.execute(
        "INSERT INTO sessions (token_digest, account, created_at, expires_at, credential_digest, client) VALUES (?, ?, ?, ?, ?, ?)",
        [passwords.digest(token), login.name, _stamp(now), _stamp(now + timedelta(hours=hours)), login.credential_digest,
         client or None],
    )
    return token


def session_login(conn: sqlite3.Connection, token: str, environ: Mapping[str, str] | None = None) -> Login | None:
    """The login of a session token that still holds: not expired, its account still there
    and with the password the session was opened with."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(
        "SELECT account, credential_digest FROM sessions WHERE token_digest = ? AND expires_at > ?",
        [passwords.digest(token), _stamp(clock.now())],
    ).fetchone()
    if row is None:
        return None
    found = find(conn, row[0], environ)
    if found is None or not secrets.compare_digest(found[1].credential_digest, row[1]):
        return None
    return found[1]


def close_session(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM sessions WHERE token_digest = ?", [passwords.digest(token or "")])


def reviewer_role_for(db: sqlite_utils.Database, actor: str, claimed: str | None = None) -> str:
    """The reviewer role a decision by ``actor`` on the command line is recorded under: its
    registry account's, when it has one (a different ``claimed`` role is refused); otherwise the
    role claimed, which the command line then needs."""
    row = db.conn.execute("SELECT role, reviewer_role FROM accounts WHERE name = ?", [actor.lower()]).fetchone()
    configured = _reviewer_role(row[0], row[1]) if row else None
    if configured and claimed and claimed != configured:
        raise _problem("reviewer-role", f"you are {actor}, whose account decides as {configured}, not {claimed}; "
                       "'registry user' sets an account's reviewer role", claimed, field="--reviewer-role")
    if row and not configured:
        raise _problem("reviewer-role", f"the account {actor} ({row[0]}) may not record decisions", actor, field="--reviewer-role")
    role = configured or claimed
    if not role:
        raise _problem("reviewer-role", f"no account {actor!r} in this registry says your reviewer role: give --reviewer-role "
                       "(or set REGISTRY_ACTOR to your account's name)", actor, field="--reviewer-role")
    return role


# --- managing registry accounts (registry user ...) ---------------------------------------


def _check_password(password: str) -> None:
    if len(password or "") < 10:
        raise _problem("weak-password", "a password needs at least 10 characters", field="password")


def add(db: sqlite_utils.Database, name: str, *, role: str, password: str, reviewer_role: str | None = None,
        actor: str | None = None) -> Account:
    name = (name or "").strip().lower()
    if db.conn.execute("SELECT 1 FROM accounts WHERE name = ?", [name]).fetchone():
        raise _problem("account-exists", f"there is already an account {name!r}: 'registry user passwd' changes its password", name)
    _check_password(password)
    try:
        account = Account(name=name, role=role, reviewer_role=reviewer_role or _reviewer_role(role, None), created_on=clock.today(),
                          password_changed_at=clock.now())
    except ValidationError as error:
        raise ProblemsFound(validation_problems(error, "arguments", f"account {name}")) from error
    secret = AccountPassword(account=name, password_hash=passwords.hash_password(password))
    with store.transaction(db, actor=actor or store.default_actor(), source="registry user add"):
        store.write_records(db, [account, secret], actor=actor, source="registry user add")
    return account


def accounts(db: sqlite_utils.Database) -> list[Account]:
    return [_account(row) for row in db.query("SELECT * FROM accounts ORDER BY name")]


def _account(row: Mapping[str, object]) -> Account:
    record = store.record_from_row("accounts", dict(row))
    if not isinstance(record, Account):  # the store's model of the table; a different one is a bug
        raise TypeError(f"the accounts table holds {type(record).__name__} records, not Account")
    return record


def _existing(db: sqlite_utils.Database, name: str) -> str:
    name = (name or "").strip().lower()
    if not db.conn.execute("SELECT 1 FROM accounts WHERE name = ?", [name]).fetchone():
        raise _problem("unknown-account", f"no account {name!r} in this registry ('registry user list' shows them)", name)
    return name


def change_password(db: sqlite_utils.Database, name: str, password: str, *, actor: str | None = None) -> None:
    """A new password; every session of the account ends."""
    name = _existing(db, name)
    _check_password(password)
    with store.transaction(db, actor=actor or store.default_actor(), source="registry user passwd"):
        db.conn.execute("UPDATE account_passwords SET password_hash = ? WHERE account = ?", [passwords.hash_password(password), name])
        db.conn.execute("UPDATE accounts SET password_changed_at = ? WHERE name = ?", [clock.now_text(), name])
        db.conn.execute("DELETE FROM sessions WHERE account = ?", [name])


def remove(db: sqlite_utils.Database, name: str, *, actor: str | None = None) -> None:
    """The account, its password and its sessions go; the audit log keeps what it did."""
    name = _existing(db, name)
    with store.transaction(db, actor=actor or store.default_actor(), source="registry user remove"):
        db.conn.execute("DELETE FROM sessions WHERE account = ?", [name])
        db.conn.execute("DELETE FROM account_passwords WHERE account = ?", [name])
        db.conn.execute("DELETE FROM accounts WHERE name = ?", [name])
