"""Password hashes: argon2id (argon2-cffi) for every new one; PBKDF2-SHA256 in the form
``pbkdf2_sha256$iterations$salt$base64`` (what 'registry hash-password' and
datasette-auth-passwords made before) is still read, so existing logins keep working."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_ARGON2 = PasswordHasher()  # argon2id with the library's current defaults (RFC 9106's second recommendation)
PBKDF2 = "pbkdf2_sha256"


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("a password cannot be empty")
    return _ARGON2.hash(password)


@functools.cache
def dummy_hash() -> str:
    """Checked against when the account does not exist, so that refusing an unknown name costs
    what refusing a known one does (no account names found by timing). Made on first use rather
    than on import: an argon2 hash costs 0.2 s of CPU and 64 MiB in every process that imports
    the registry (each command, each test process); the login plugin makes it as the server starts."""
    return _ARGON2.hash("no account has this password")


def _verify_pbkdf2(password: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt, expected = stored.split("$", 3)
        rounds = int(iterations)
    except ValueError:
        return False
    if algorithm != PBKDF2 or not 1 <= rounds <= 10_000_000:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("utf-8"), rounds)
    return hmac.compare_digest(base64.b64encode(digest).decode("ascii"), expected.strip())


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed hash matches nothing."""
    stored = (stored or "").strip()
    if stored.startswith(PBKDF2 + "$"):
        return _verify_pbkdf2(password, stored)
    try:
        return _ARGON2.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """A PBKDF2 hash, or an argon2 one with weaker parameters than today's: rehash after a login."""
    stored = (stored or "").strip()
    if stored.startswith(PBKDF2 + "$"):
        return True
    try:
        return _ARGON2.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def digest(text: str) -> str:
    """SHA-256 hex of a token or of a password hash, as sessions store them."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
