"""Edits from the browser on the internal face, each logged with the logged-in actor.

The audit triggers read who is writing from the one-row ``audit_context`` table. A canned
query is a single SQL statement, so it cannot set that row, write, and clear it again by
itself. Each edit is therefore an ``INSERT`` into a TEMP view whose INSTEAD OF trigger does
the three steps: set ``audit_context`` to the login (``:_account_id``, from the server's
session, never from the form), make the change, clear it. Who decided (a waiver's
``granted_by``, a review's ``reviewed_by``) and the reviewer role a review is recorded under
come from the login too (``registry_auth.py``), never from a form field. Each edit names the
right it needs (``registry_right``: edit or decide), which the roles grant. One statement is one
transaction, so under any concurrency the change and its actor commit together or not at
all, and no other writer (Datasette serialises its writes; the CLI takes SQLite's write
lock) can see or change the context in between. The registry's CHECKs and foreign keys
refuse invalid values; the whole statement then rolls back.

The views and triggers are TEMP objects on Datasette's own connections to the registry:
nothing is added to the file. Edits are offered only on the internal face with a login
(``registry`` plugin config ``face: internal``, ``auth: true``) and only when the tables
they write exist (waivers come with the checks capability).
"""


from dataclasses import dataclass

from datasette import hookimpl

from registry.models import by_table, limits
from registry.schema import AUDIT_CONTEXT_TABLE


@dataclass(frozen=True)
class Edit:
    name: str
    title: str
    description: str
    requires: tuple[str, ...]
    fields: tuple[str, ...]
    body: str  # trigger statements over NEW.<field>; NEW.actor and NEW.login_reviewer_role are the login's
    success: str
    right: str  # what the login's role must allow: "edit" or "decide" (registry.accounts.RIGHTS)

    @property
    def view(self) -> str:
        return f"edit_{self.name}"

    def create_sql(self) -> list[str]:
        columns = ", ".join(f"NULL AS {field}" for field in (*self.fields, *FROM_LOGIN))
        return [
            f"CREATE TEMP VIEW IF NOT EXISTS {self.view} AS SELECT {columns} WHERE 0",
            f"""CREATE TEMP TRIGGER IF NOT EXISTS {self.view}_apply INSTEAD OF INSERT ON {self.view} BEGIN
  SELECT RAISE(ABORT, 'log in to edit the registry') WHERE coalesce(NEW.actor, '') = '';
  UPDATE {AUDIT_CONTEXT_TABLE} SET actor = NEW.actor, source = 'datasette: {self.name}' WHERE id = 1;
  {self.body.strip()}
  UPDATE {AUDIT_CONTEXT_TABLE} SET actor = NULL, source = NULL WHERE id = 1;
END""",
        ]

    def canned_query(self) -> dict:
        values = ", ".join(f"nullif(trim(:{field}), '')" for field in self.fields)
        return {
            "sql": f"INSERT INTO {self.view} ({', '.join((*self.fields, *FROM_LOGIN))})\n"
                   f"VALUES ({values}, {', '.join(FROM_LOGIN.values())})",
            "write": True,
            "registry_right": self.right,
            "title": self.title,
            "description": self.description,
            "on_success_message": self.success,
        }


# View columns the login fills, from the server's session (magic parameters of registry_auth.py).
FROM_LOGIN = {"actor": ":_account_id", "login_reviewer_role": ":_account_reviewer_role"}


def _agreement_must_exist() -> str:
    return "SELECT RAISE(ABORT, 'no agreement with that id') WHERE NOT EXISTS (SELECT 1 FROM agreements WHERE id = NEW.agreement);"


# A review's fields come from its model; the id is made here, who reviewed and in what role come from the login.
_FROM_THE_LOGIN = {"reviewer_role": "NEW.login_reviewer_role", "reviewed_by": "NEW.actor"}
_REVIEW_FIELDS = tuple(name for name in by_table()["reviews"].column_names() if name != "id" and name not in _FROM_THE_LOGIN)
_REVIEW_COLUMNS = (*_REVIEW_FIELDS, *_FROM_THE_LOGIN)


def _review_value(field: str) -> str:
    if field in _FROM_THE_LOGIN:
        return _FROM_THE_LOGIN[field]
    return "coalesce(NEW.reviewed_on, registry_today())" if field == "reviewed_on" else f"NEW.{field}"


EDITS: tuple[Edit, ...] = (
    Edit(
        name="renew_agreement",
        title="Renew an agreement",
        description="Give the agreement's id and its new end date (YYYY-MM-DD). The change is logged under your login.",
        requires=("agreements",),
        fields=("agreement", "ends_on"),
        body=f"""{_agreement_must_exist()}
  SELECT RAISE(ABORT, 'give the new end date as YYYY-MM-DD') WHERE NEW.ends_on IS NULL;
  UPDATE agreements SET ends_on = NEW.ends_on WHERE id = NEW.agreement;""",
        success="Agreement renewed; the change is in the audit log under your name.",
        right="edit",
    ),
    Edit(
        name="change_agreement_status",
        title="Change an agreement's status",
        description="Give the agreement's id and its new status: draft, negotiating, active, suspended, expired or terminated.",
        requires=("agreements",),
        fields=("agreement", "status"),
        body=f"""{_agreement_must_exist()}
  UPDATE agreements SET status = NEW.status WHERE id = NEW.agreement;""",
        success="Status changed; the change is in the audit log under your name.",
        right="edit",
    ),
    Edit(
        name="record_review",
        title="Record a due-diligence review",
        description=(
            "A decision on an institution or an agreement (give exactly one): outcome approved, "
            "approved_with_conditions, rejected or escalated; dates as YYYY-MM-DD (reviewed_on defaults to today "
            f"and cannot be later; the next review is due after it, within {limits.review_next_due_years()} years); "
            "answers yes, no, unknown or not_applicable. It is recorded under your login and your account's reviewer role."
        ),
        requires=("reviews",),
        fields=_REVIEW_FIELDS,
        body=f"""SELECT RAISE(ABORT, 'your account has no reviewer role: an administrator sets one') WHERE NEW.login_reviewer_role IS NULL;
  INSERT INTO reviews (id, {', '.join(_REVIEW_COLUMNS)})
  VALUES ('review-' || strftime('%Y%m%d', registry_today()) || '-' || lower(hex(randomblob(4))),
          {', '.join(_review_value(f) for f in _REVIEW_COLUMNS)});""",
        success="Review recorded; it is in the audit log under your name.",
        right="decide",
    ),
    Edit(
        name="waive_finding",
        title="Waive a finding",
        description=(
            "Accept one finding (its id, e.g. GRE01:institutions:some-partner) for a stated reason until a date "
            f"(YYYY-MM-DD, at most {limits.waiver_years()} years on). The finding stays listed, marked waived, and counts again after "
            "that day. The waiver is granted under your login."
        ),
        requires=("findings", "waivers"),
        fields=("finding", "reason", "until"),
        body="""SELECT RAISE(ABORT, 'no finding with that id: run the checks first') WHERE NOT EXISTS (SELECT 1 FROM findings WHERE id = NEW.finding);
  INSERT INTO waivers (id, finding, reason, granted_on, until, granted_by)
  VALUES ('waiver-' || strftime('%Y%m%d', registry_today()) || '-' || lower(hex(randomblob(4))), NEW.finding, NEW.reason,
          registry_today(), NEW.until, NEW.actor);
  UPDATE findings SET waiver = (
    SELECT w.id FROM waivers w WHERE w.finding = findings.id AND w.granted_on <= registry_today() AND w.until >= registry_today()
    ORDER BY w.until DESC, w.id LIMIT 1)
  WHERE id = NEW.finding;""",
        success="Finding waived; the waiver is in the audit log under your name.",
        right="decide",
    ),
)


def _edits_on(datasette) -> bool:
    # Read once: Datasette deep-copies its whole metadata on every plugin_config call.
    if not hasattr(datasette, "_registry_edits_on"):
        config = datasette.plugin_config("registry") or {}
        datasette._registry_edits_on = config.get("face") == "internal" and bool(config.get("auth"))
    return datasette._registry_edits_on


def _tables(conn) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@hookimpl
def prepare_connection(conn, database, datasette):
    if not _edits_on(datasette):
        return
    tables = _tables(conn)
    if AUDIT_CONTEXT_TABLE not in tables:
        return
    # Datasette's connections do not enforce foreign keys unless asked; the registry's do.
    conn.execute("PRAGMA foreign_keys = ON")
    installed = datasette.__dict__.setdefault("_registry_edits", {}).setdefault(database, {})
    for edit in EDITS:
        if set(edit.requires) <= tables:
            for statement in edit.create_sql():
                conn.execute(statement)
            installed[edit.name] = edit.canned_query()


@hookimpl
def canned_queries(datasette, database):
    """The edit forms of the views made on this database's connections (no query per request)."""
    if not _edits_on(datasette) or not datasette.get_database(database).is_mutable:
        return None
    return dict(getattr(datasette, "_registry_edits", {}).get(database, {}))
