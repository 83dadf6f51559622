"""What every form page shares: the request as the pages see it, the answer of a save, and the
version check said in words.

A page is two functions over an ``Ask`` (the store, the login, the page's language, the URL's
parts and the query string): ``show`` builds the form with the current values; ``save`` takes
what was posted and answers ``Saved`` (where to go next, what to tell) or the form again.
They run in a worker thread with a connection of their own: the store's writes block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from registry import db as store
from registry import editing
from registry.forms.errors import from_problems
from registry.forms.form import Form
from registry.models import Record
from registry.problems import ProblemsFound


@dataclass
class Ask:
    db: sqlite_utils.Database
    actor: Mapping[str, Any]  # the login (registry_auth), never a form's field
    _: Callable[..., str]  # the page's language
    url: Mapping[str, str] = field(default_factory=dict)  # the path's parts (an agreement's id)
    query: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The registry file, for the API's functions that open it themselves."""
        return store.connection.file_path(self.db.conn)

    @property
    def who(self) -> str:
        return str(self.actor["id"])

    def source(self, page: str) -> str:
        return f"datasette: {page}"


@dataclass
class Saved:
    table: str
    key: str
    message: str  # in the page's language


class NotFound(Exception):
    """The record a form is for does not exist; the message says which, in the page's language."""


@dataclass(frozen=True)
class Page:
    name: str  # names the change in the audit log's source: "datasette: <name>"
    path: str  # a regular expression over the path, its groups the URL's parts
    right: str  # what the login's role must allow (registry.accounts.RIGHTS): edit or decide
    show: Callable[[Ask], Form]
    save: Callable[[Ask, Any], Form | Saved]


def changed_meanwhile(ask: Ask, form: Form, table: str, record_id: str) -> Form:
    """The second of two savers: told who changed the record and when; the form shows the
    current values (the caller refilled it), and nothing was written."""
    last = ask.db.conn.execute(
        "SELECT actor, changed_at FROM changes WHERE table_name = ? AND record_id = ? ORDER BY id DESC LIMIT 1",
        [table, record_id]).fetchone()
    who = ask._("{actor} at {time}", actor=last[0] or "?", time=last[1]) if last else ask._("someone")
    form.status = 409
    form.notice = ask._("This record was changed by {who} after you opened the form. Nothing of yours was saved: "
                        "the form now shows the current values; make your change again.", who=who)
    return form


def require(ask: Ask, table: str, key: Mapping[str, Any], what: str) -> dict[str, Any]:
    found = editing.row(ask.db, table, key)
    if found is None:
        raise NotFound(ask._("There is no {what} {key} in the registry.", what=ask._(what),
                             key="/".join(str(v) for v in key.values())))
    return found


def save_or_conflict(ask: Ask, page: str, records: Sequence[Record], expected: Sequence[editing.Expected], form: Form,
                     fresh: Callable[[], Form], saved: Saved, *, new: bool = False) -> Form | Saved:
    """Save and answer ``saved``; or the form again: with the store's reasons, or (a record changed
    since the form was opened) with the current values (``fresh``) and who changed it; ``new``
    records are never written over one saved meanwhile under the same key."""
    try:
        editing.save(ask.db, records, actor=ask.who, source=ask.source(page), expected=expected, new=new)
    except editing.Taken:
        form.refusal.add(None, ask._("Someone saved a record under the same name a moment ago: save again."))
        return form
    except editing.Changed as changed:
        return changed_meanwhile(ask, fresh(), changed.table, str(next(iter(changed.key.values()))))
    except ProblemsFound as problems:
        from_problems(problems, [f for _, f in form.inputs()], ask._, form.refusal)
        return form
    return saved
