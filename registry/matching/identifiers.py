"""Identifiers people type where a name is expected, read as exact keys.

An office types "S  LUND01", "s lund01" or "SLUND01" (Erasmus codes: a country prefix padded to three
characters, a city and a number), "999876882" (a PIC), "https://ror.org/012a77v79" or "012a77v79" (ROR),
"lu.se", "www.uio.no" or "someone@helsinki.fi" (a SCHAC code, website or e-mail domain). Each is read
into the key it is stored under, so that resolving finds the institution exactly, before any name
matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

_ROR = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")
_ROR_URL = re.compile(r"^(?:https?://)?(?:www\.)?ror\.org/(0[a-z0-9]{8})/?$", re.IGNORECASE)
_ERASMUS = re.compile(r"^([A-Z]{1,3})\s*([A-Z][A-Z-]{1,8}[0-9]{2,3})$")
_PIC = re.compile(r"^[0-9]{9}$")
_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
# Second-level labels under which a country's domains are registered (ox.ac.uk, unimelb.edu.au):
# a parent domain that ends in one of these is no institution's.
_REGISTRY_LABELS = frozenset(["ac", "edu", "co", "gov", "org", "net", "com", "go", "or", "ne", "gob", "gouv"])


def erasmus_code(text: str) -> str | None:
    """The Erasmus code as the Commission writes it ('s lund01' -> 'S  LUND01'), or None. Without a
    space the prefix cannot be told from the city: the compact form is returned ('SLUND01')."""
    parts = text.strip().upper().split()
    if not parts or len(parts) > 2:
        return None
    found = _ERASMUS.match(" ".join(parts))
    if not found or (len(parts) == 1 and not any(c.isdigit() for c in parts[0])):
        return None
    if len(parts) == 1:
        return parts[0]
    return f"{found.group(1):<3}{found.group(2)}"


def erasmus_key(code: str) -> str:
    """The key Erasmus codes are compared by: capitals without spaces ('S  LUND01' -> 'SLUND01')."""
    return "".join(code.split()).upper()


def ror_key(text: str) -> str | None:
    """A ROR id from the id or its URL ('https://ror.org/012a77v79' -> '012a77v79'), or None."""
    text = text.strip()
    found = _ROR_URL.match(text)
    if found:
        return found.group(1).lower()
    return text.lower() if _ROR.match(text.lower()) and any(c.isalpha() for c in text) else None


def pic(text: str) -> str | None:
    """A Participant Identification Code: nine digits (spaces allowed), or None."""
    digits = "".join(text.split())
    return digits if _PIC.match(digits) else None


def web_host(text: str | None) -> str | None:
    """The host of a URL, a bare domain or an e-mail address, without 'www.': 'https://www.uio.no/' ->
    'uio.no', '@helsinki.fi' -> 'helsinki.fi'. None when the text is none of these."""
    text = (text or "").strip().lower()
    if not text or " " in text:
        return None
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    host = urlparse(text if "://" in text else f"http://{text}").hostname or ""
    host = host.strip(".")
    host = host[4:] if host.startswith("www.") else host
    return host if _HOST.match(host) and not host.replace(".", "").isdigit() else None


def parent_hosts(host: str) -> list[str]:
    """The host and the domains above it that can still be an institution's: 'med.lu.se' ->
    ['med.lu.se', 'lu.se']; 'medsci.ox.ac.uk' -> ['medsci.ox.ac.uk', 'ox.ac.uk']."""
    labels = host.split(".")
    found = []
    for start in range(len(labels) - 1):
        rest = labels[start:]
        if len(rest) == 2 and rest[0] in _REGISTRY_LABELS:
            break
        found.append(".".join(rest))
    return found


@dataclass(frozen=True)
class TypedIdentifier:
    kind: str  # ror, erasmus, pic, host
    key: str  # what it is stored under (for host: the most specific host)
    shown: str  # as the answer names it ('Erasmus code S  LUND01')


def typed_identifier(text: str) -> TypedIdentifier | None:
    """What identifier a typed text is, if it is one. A bare word ('Lund') is none; a domain needs a
    dot ('lu.se'); an Erasmus code needs its number ('LUND01')."""
    text = (text or "").strip()
    if not text or len(text) > 300:
        return None
    ror = ror_key(text)
    if ror:
        return TypedIdentifier("ror", ror, f"ROR id {ror}")
    code = erasmus_code(text)
    if code:
        return TypedIdentifier("erasmus", erasmus_key(code), f"Erasmus code {code}")
    number = pic(text)
    if number:
        return TypedIdentifier("pic", number, f"PIC {number}")
    if "." in text or "@" in text:
        host = web_host(text)
        if host:
            what = "e-mail domain" if "@" in text else "SCHAC code or web domain"
            return TypedIdentifier("host", host, f"{what} {host}")
    return None


_EMBEDDED = re.compile(
    r"(?:https?://\S+|www\.\S+|\S+@[\w.-]+|(?<![\w.@])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:[a-z]{2}|com|org|net|edu|gov|int|info)\b(?![.\w]))",
    re.IGNORECASE,
)


def embedded_identifiers(text: str) -> tuple[str, list[TypedIdentifier]]:
    """The text without the web addresses, e-mail addresses and domains written in it, and those as
    identifiers: 'Heidelberg University (uni-heidelberg.de)' -> ('Heidelberg University ()', [host
    uni-heidelberg.de]). A domain's words never match a name: 'uni-hd.de' is not 'university'."""
    # Without a dot or an '@' nothing is taken: the regex finds only 'http(s)://...' then, which ``typed_identifier``
    # reads as no identifier. Most names have neither, and the search costs tens of µs a name.
    if "." not in text and "@" not in text:
        return text, []
    found: list[TypedIdentifier] = []

    def take(hit: re.Match) -> str:
        typed = typed_identifier(hit.group(0).rstrip(".,;)"))
        if typed is None:
            return hit.group(0)
        found.append(typed)
        return " "

    return _EMBEDDED.sub(take, text), found
