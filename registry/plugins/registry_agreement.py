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

import urllib.parse

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from markupsafe import Markup, escape

from registry import accounts, agreement_page
from registry.forms import links

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
    if request is None or view_name != "row" or table != "agreements" or not _internal(datasette):
        return None

    async def row_vars():
        return await agreement_vars(datasette, database, request)

    return row_vars


# --- links from lists ----------------------------------------------------------------------


async def _exists(datasette, database: str, table: str, key) -> bool:
    if not isinstance(key, str) or not key:
        return False
    db = datasette.get_database(database)
    rows = await db.execute(f"select 1 from {table} where id = ? limit 1", [key])  # table: one of ours, never input
    return bool(rows.first())


def _link(datasette, database: str, table: str, key: str, text) -> Markup:
    return Markup('<a href="{}">{}</a>').format(_row_url(datasette, database, table, key), escape(text))


def _query_targets(row, column: str) -> tuple[str | None, tuple[str, ...]]:
    """(the key to look up, the tables it may be in) for a cell of a query's result."""
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
    if not _internal(datasette) or value in (None, ""):
        return None
    if table is not None:  # a table's references Datasette links itself; a view's rows are their records
        target = VIEW_LINKS.get(table, {}).get(column)
        return _link(datasette, database, target, row["id"], value) if target else None
    key, tables = _query_targets(row, column)
    if not tables:
        return None

    async def linked():
        for target in tables:
            if await _exists(datasette, database, target, key):
                return _link(datasette, database, target, key, value)
        return None

    return linked()
