"""Where the forms are, and which of them a role may use: the links pages show beside a record.

One list per kind of record: (the path after the record's own, the words of the link, the right
it needs: ``registry.accounts.RIGHTS``). Pages show only the links the login's role may follow."""

from __future__ import annotations

import urllib.parse

from registry.accounts import RIGHTS

AGREEMENT_FORMS = (  # the most frequent first: renewing is what an agreement page is opened for
    ("renew", "Renew", "edit"),
    ("status", "Change the status", "edit"),
    ("edit", "Edit the agreement", "edit"),
    ("terms/new", "Add a mobility term", "edit"),
    ("degree-terms/new", "Add a degree term", "edit"),
    ("programmes", "Programmes", "edit"),
    ("contacts/new", "Add a contact", "edit"),
    ("review", "Record a review", "decide"),
)
INSTITUTION_FORMS = (
    ("edit", "Edit the partner", "edit"),
    ("review", "Record a review", "decide"),
)
REGISTRY_FORMS = (
    ("/-/agreements/new", "New agreement", "edit"),
    ("/-/institutions/new", "Add a partner from the reference registry", "edit"),
)


def _may(role: str | None, right: str) -> bool:
    return right in RIGHTS.get(role or "", ())


def _quoted(key: str) -> str:
    return urllib.parse.quote(key, safe="")


def agreement_forms(agreement: str, role: str | None) -> list[tuple[str, str]]:
    """(path, words) of the forms for an agreement that ``role`` may use."""
    return [(f"/-/agreements/{_quoted(agreement)}/{path}", title) for path, title, right in AGREEMENT_FORMS if _may(role, right)]


def institution_forms(institution: str, role: str | None) -> list[tuple[str, str]]:
    found = [(f"/-/institutions/{_quoted(institution)}/{path}", title) for path, title, right in INSTITUTION_FORMS
             if _may(role, right)]
    if _may(role, "edit"):
        found.append((f"/-/agreements/new?partner={_quoted(institution)}", "New agreement with this partner"))
    return found


def registry_forms(role: str | None) -> list[tuple[str, str]]:
    return [(path, title) for path, title, right in REGISTRY_FORMS if _may(role, right)]


def term_form(agreement: str, term_rowid: int, table: str = "mobility_terms") -> str:
    """The form of a mobility term (or, ``table`` degree_terms, a degree term) by its row."""
    path = "degree-terms" if table == "degree_terms" else "terms"
    return f"/-/agreements/{_quoted(agreement)}/{path}/{term_rowid}/edit"


def contact_form(contact: str) -> str:
    return f"/-/contacts/{_quoted(contact)}/edit"


def waive_form(finding: str, role: str | None) -> str | None:
    return f"/-/findings/{_quoted(finding)}/waive" if _may(role, "decide") else None
