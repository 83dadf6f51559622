"""The agreement page of the internal face, its actions, and links from every list to it.

- The row page ``/<db>/agreements/<id>`` shows ``registry/templates/registry_agreement.html``
  with what ``registry.agreement_page`` gathers, links to the partners, programmes, findings
  and documents, and the actions the login's role allows (``registry.accounts.RIGHTS``): a
  viewer sees none. An action links to its form (``/-/agreements/<id>/renew`` ...), as
  ``registry.forms.links`` lists them.
- Lists link their rows: a view's or a canned query's id, title or name cell links to the
  agreement or partner page when the value is one (looked up, so an id that is something
  else stays text), and so do columns naming an agreement or an institution.

The public face keeps Datasette's own pages (no private data; ``registry/publish.py``).
"""

from __future__ import annotations

import contextvars
import functools
import json
import urllib.parse

from datasette import hookimpl
from datasette.utils import tilde_decode
from markupsafe import Markup, escape

from registry import accounts, agreement_page
from registry.cell_hooks import escaped_text, tilde_encode
from registry.forms import links
from registry.kept_answers import kept_answers

# Views listing agreements or partners: column -> the table its value keys.
VIEW_LINKS = {
    "agreement_overview": {"id": "agreements", "title": "agreements"},
    "partner_overview": {"id": "institutions", "name": "institutions"},
}
# Query columns naming a record: column -> the tables its value may key, in order.
NAMED_COLUMNS = {
    "agreement": ("agreements",),
    "agreement_id": ("agreements",),
    "institution": ("institutions",),
    "institution_id": ("institutions",),
    "partner": ("institutions",),
    "partner_id": ("institutions",),
}
# Columns of a query row that name its own record: (column, the row's key column, the table).
SELF_COLUMNS = (
    ("id", "title", "agreements"),
    ("title", "id", "agreements"),
    ("id", "name", "institutions"),
    ("name", "id", "institutions"),
)
# A row that says which table its subject is in (open findings, reviews due): (id column, table column).
SUBJECT_COLUMNS = {"subject_id": "subject_table", "subject": "subject_kind"}
SUBJECT_TABLES = {
    "agreements": "agreements",
    "agreement": "agreements",
    "institutions": "institutions",
    "institution": "institutions",
}
# Every query column that may link.
_TARGET_COLUMNS = frozenset(NAMED_COLUMNS) | frozenset(SUBJECT_COLUMNS) | {shown for shown, _, _ in SELF_COLUMNS}


def _config(datasette) -> dict:
    """Our plugin config, read once: Datasette deep-copies its whole metadata on every call."""
    if not hasattr(datasette, "_registry_agreement_config"):
        datasette._registry_agreement_config = datasette.plugin_config("registry") or {}
    return datasette._registry_agreement_config


def _internal(datasette) -> bool:
    return _config(datasette).get("face") == "internal"


def _rights(actor) -> frozenset:
    return accounts.RIGHTS.get((actor or {}).get("role"), frozenset())


async def actions(datasette, database: str, actor, page: dict) -> dict:
    """What this login may do on the page (``registry.forms.links`` says which forms a role may
    use): agreement actions, term, degree-term and contact edits, waivers, upload."""
    role, agreement = (actor or {}).get("role"), page["agreement"]["id"]
    may_edit = "edit" in _rights(actor)
    found = [{"title": title, "url": datasette.urls.path(path)} for path, title in links.agreement_forms(agreement, role)]
    for terms in page["terms_by_direction"].values():
        for term in terms:
            term["edit_url"] = datasette.urls.path(links.term_form(agreement, term["term_rowid"])) if may_edit else None
    for term in page["degree_terms"] or []:
        term["edit_url"] = (
            datasette.urls.path(links.term_form(agreement, term["term_rowid"], "degree_terms")) if may_edit else None
        )
    for contact in page["contacts"] or []:
        contact["edit_url"] = datasette.urls.path(links.contact_form(contact["id"])) if may_edit else None
    for finding in page["findings"] or []:
        form = None if finding["waiver"] else links.waive_form(finding["id"], role)
        finding["waive_url"] = datasette.urls.path(form) if form else None
    return {"list": found, "upload": may_edit and page["documents"] is not None}


def _row_url(datasette, database: str, table: str, key) -> str:
    return datasette.urls.row(database, table, tilde_encode(str(key)))


async def agreement_vars(datasette, database: str, request) -> dict:
    key = tilde_decode(request.url_vars.get("pks", ""))
    page = await datasette.get_database(database).execute_fn(lambda conn: agreement_page.gather(conn, key))
    if page is None:
        return {}
    for party in page["parties"] or []:
        party["url"] = _row_url(datasette, database, "institutions", party["institution"])
    for programme in page["programmes"] or []:
        programme["url"] = _row_url(datasette, database, "programmes", programme["id"])
    for finding in page["findings"] or []:
        finding["url"] = _row_url(datasette, database, "findings", finding["id"])
    for review in page["reviews"] or []:
        review["url"] = _row_url(datasette, database, "reviews", review["id"])
    for document in page["documents"] or []:
        document["url"] = datasette.urls.path("/-/documents/" + urllib.parse.quote(str(document["id"]), safe=""))
        document["remove_url"] = document["url"] + "/remove"
    page["actions"] = await actions(datasette, database, request.actor, page)
    page["upload_url"] = datasette.urls.path("/-/agreements/" + urllib.parse.quote(key, safe="") + "/documents")
    return {"agreement_page": page}


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    pending = _pending.get()
    _pending.set(None)
    agreement_row = request is not None and view_name == "row" and table == "agreements" and _internal(datasette)
    if not pending and not agreement_row:
        return None

    async def page_vars():
        if pending:
            await _resolve(datasette, pending)
        return await agreement_vars(datasette, database, request) if agreement_row else {}

    return page_vars


# --- links from lists ----------------------------------------------------------------------


# A query's cell links to a record only if its value is one: looked up for the whole page at once.
# render_cell sees one cell and Datasette awaits it before the next, so a cell is answered with a
# PendingLink, collected per request (a context variable: each request runs in its own task), and
# extra_template_vars, which Datasette calls after every cell and before the template, looks the
# page's keys up with one query per table (a hundred single-row queries cost a 50-row page more
# than all the rest of it).
_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar("registry_pending_links", default=None)


class PendingLink:
    """A cell's text, which becomes a link to the first of ``tables`` holding ``key`` once the
    page's keys are looked up (``_resolve``); left as text if none does, or if never looked up.
    Escaped when written (``__html__``), not when made: 100 cells a page."""

    __slots__ = ("database", "tables", "key", "text", "href")

    def __init__(self, database: str, tables: tuple[str, ...], key: str, text) -> None:
        self.database, self.tables, self.key, self.text = database, tables, key, text
        self.href: str | None = None  # the record's address, escaped, once looked up and found

    def __html__(self) -> Markup:
        text = escaped_text(self.text)  # markupsafe's escape without a Markup made of each text
        return Markup(text if self.href is None else f'<a href="{self.href}">{text}</a>')

    def __str__(self) -> str:
        return str(self.__html__())


def _pend(database: str, tables: tuple[str, ...], key: str, text) -> PendingLink:
    pending = _pending.get()
    if pending is None:
        pending = []
        _pending.set(pending)
    link = PendingLink(database, tables, key, text)
    pending.append(link)
    return link


def _existing(conn, wanted: dict[str, set]) -> dict[str, set]:
    """The keys of each table that are rows of it: one query per table."""
    return {
        table: {row[0] for row in conn.execute(  # table: one of ours, never input
            f"select id from {table} where id in (select value from json_each(?))", [json.dumps(sorted(keys))])}
        for table, keys in wanted.items()
    }


async def _existing_kept(datasette, db, wanted: dict[str, set]) -> dict[str, set]:
    """``_existing``'s answer, kept until anything is committed (``registry.kept_answers``): a
    list's page asks for the same keys each time it is shown."""
    kept = kept_answers(datasette)
    version = kept.version(db)
    look_up = functools.partial(db.execute_fn, functools.partial(_existing, wanted=wanted))
    if version is None:
        return await look_up()
    key = ("links", version, db.name, tuple((table, tuple(sorted(keys))) for table, keys in sorted(wanted.items())))
    return await kept.answer(key, look_up)


async def _resolve(datasette, pending: list) -> None:
    for database in {link.database for link in pending}:
        links = [link for link in pending if link.database == database]
        wanted: dict[str, set] = {}
        for link in links:
            for table in link.tables:
                wanted.setdefault(table, set()).add(link.key)
        found = await _existing_kept(datasette, datasette.get_database(database), wanted)
        # each table's URL once, escaped once: Markup.format and the URL builder cost more than the
        # lookup, per cell; a tilde-encoded key has nothing to escape (letters, digits, _ - + ~)
        tables = {table: str(escape(str(datasette.urls.table(database, table)) + "/")) for table in wanted}
        for link in links:
            target = next((table for table in link.tables if link.key in found[table]), None)
            if target is not None:
                link.href = tables[target] + tilde_encode(link.key)


def _link(datasette, database: str, table: str, key: str, text) -> Markup:
    return Markup(f'<a href="{escape(_row_url(datasette, database, table, key))}">{escape(text)}</a>')


def _query_targets(row, column: str) -> tuple[str | None, tuple[str, ...]]:
    """(the key to look up, the tables it may be in) for a cell of a query's result."""
    if column not in _TARGET_COLUMNS:  # most cells: decided before the row's keys are listed
        return None, ()
    keys = row.keys() if hasattr(row, "keys") else ()
    if column in NAMED_COLUMNS:
        return row[column], NAMED_COLUMNS[column]
    if column in SUBJECT_COLUMNS and SUBJECT_COLUMNS[column] in keys:
        table = SUBJECT_TABLES.get(row[SUBJECT_COLUMNS[column]])
        return row[column], (table,) if table else ()
    for shown, key_column, table in SELF_COLUMNS:
        if column == shown and key_column in keys and "id" in keys:
            return row["id"], (table,)
    return None, ()


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    # called for every cell of every list: the column decides first, most cells go no further
    if column not in (_TARGET_COLUMNS if table is None else VIEW_LINKS.get(table, ())):
        return None
    if not _internal(datasette) or value in (None, ""):
        return None
    if table is not None:  # a table's references Datasette links itself; a view's rows are their records
        target = VIEW_LINKS.get(table, {}).get(column)
        return _link(datasette, database, target, row["id"], value) if target else None
    key, tables = _query_targets(row, column)
    if not tables or not isinstance(key, str) or not key:
        return None
    return _pend(database, tables, key, value)


# Cells of other columns are never asked (registry.cell_hooks.DirectCells)
render_cell.answers_columns = lambda table: _TARGET_COLUMNS if table is None else VIEW_LINKS.get(table, ())  # type: ignore[attr-defined]
