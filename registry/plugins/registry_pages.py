"""Pages for the users' jobs: home, search across institutions and agreements, the
institution page, and the way to the login page (the agreement page: registry_agreement.py).

Search reads the registry's own FTS5 tables (standalone, keyed by rowid: see
``registry/schema.py``), whose ``*_folded`` columns hold every name transliterated to
lower-case ASCII, so the query is folded the same way: "Goteborg" finds Göteborg and
"lodz" finds Łódź. Everything is rendered by Jinja with autoescaping: data stays data.
"""

import json
import re
import urllib.parse

from datasette import Forbidden, hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response
from jinja2 import BaseLoader, TemplateNotFound

from registry import cell_hooks, fragments, i18n, page_costs
from registry.cell_hooks import skip_markdown_cells, tilde_encode
from registry.forms import links as form_links
from registry.kept_answers import kept_answers
from registry.text import fold

SEARCH_LIMIT = 20
_WORD = re.compile(r"[a-z0-9]+")


# A query of more words than this searches for the first ones (a pasted paragraph still answers).
MOST_WORDS = 12


def query_words(text: str) -> list[str]:
    """The folded words of a query, each once, in order: FTS syntax (quotes, *, NEAR, -) is only text."""
    return list(dict.fromkeys(_WORD.findall(fold(text or ""))))


def fts_query(text: str, *, prefix: bool = True) -> str:
    """A safe FTS5 query: every folded word as a quoted prefix (or, ``prefix=False``, as a whole
    word), all of them required."""
    star = "*" if prefix else ""
    return " ".join(f'"{word}"{star}' for word in query_words(text)[:MOST_WORDS])


def _face(datasette) -> dict:
    """Our plugin config (which face, whether there is a login), read once: Datasette
    deep-copies its whole metadata on every plugin_config call."""
    if not hasattr(datasette, "_registry_face"):
        datasette._registry_face = datasette.plugin_config("registry") or {}
    return datasette._registry_face


async def _tables(db) -> set:
    return set(await db.table_names())


def _row_url(datasette, database: str, table: str, key: str) -> str:
    return datasette.urls.row(database, table, tilde_encode(key))


async def _visible(datasette, actor, database: str, table: str) -> bool:
    try:
        await datasette.ensure_permissions(actor, [("view-table", (database, table)), ("view-database", database), "view-instance"])
        return True
    except Forbidden:
        return False


# What search lists: table -> (its FTS table, the columns shown per hit, with i the table's row).
SEARCHES = {
    "institutions": (
        "institutions_fts",
        """i.id, i.name, i.local_name, i.country, i.city, i.kind, i.medical_faculty,
           (select group_concat(n.name, ' · ') from institution_names n
             where n.institution = i.id and n.name not in (i.name, coalesce(i.local_name, ''))) as other_names""",
    ),
    "agreements": (
        "agreements_fts",
        """i.id, i.title, i.kind, i.status, i.ends_on,
           (select group_concat(n.name, '; ') from agreement_parties p join institutions n on n.id = p.institution
             where p.agreement = i.id and n.is_home = 0) as partners""",
    ),
}
# Search counts at most this many matches of a table; past it the page says "more than 2,000"
# and lists the first matches in rowid order (FTS5 reads those straight off its index, up to the
# limit), since ranking means scoring every match. Up to it the matches are ranked (bm25).
COUNT_AT_MOST = 2000


def _hit_rows(table: str, columns: str) -> str:
    """The shown columns of the hits, in the order of the JSON array of rowids :hits."""
    return f"""select {columns} from json_each(:hits) h join {table} i on i.rowid = h.value order by h.key"""


async def _first_matches(db, fts: str, query: str) -> list[int]:
    """The rowids of the first matches, in rowid order, one past the cap at most."""
    return [row[0] for row in await db.execute(
        f"select rowid from {fts} where {fts} match :q order by rowid limit :most", {"q": query, "most": COUNT_AT_MOST + 1}
    )]


async def _search_table(datasette, db, table: str, query: str, whole_words: str) -> dict:
    fts, columns = SEARCHES[table]
    # The words as whole words first: FTS5 reads a word's list lazily, so this stops at the cap,
    # whereas a prefix ("medical"*) merges the lists of every word it begins before the first hit.
    # Whole-word matches are prefix matches too, so past the cap they are the answer; else the
    # prefixes are searched, in one pass stopping one past the cap: the count, and the hits if unranked.
    whole = await _first_matches(db, fts, whole_words)
    found = whole if len(whole) > COUNT_AT_MOST else await _first_matches(db, fts, query)
    more = len(found) > COUNT_AT_MOST
    if more:
        hits = found[:SEARCH_LIMIT]
    elif len(found) > 1:
        # Ranked (bm25). When the whole words fill a page, their best are the page: ranking them reads
        # only their lists, where ranking the prefixes would merge every word they begin a second time.
        ranked = whole_words if len(whole) >= SEARCH_LIMIT else query
        hits = [row[0] for row in await db.execute(
            f"select rowid from {fts} where {fts} match :q order by rank limit :limit", {"q": ranked, "limit": SEARCH_LIMIT}
        )]
    else:
        hits = found
    rows = await db.execute(_hit_rows(table, columns), {"hits": json.dumps(hits)}) if hits else []
    base = datasette.urls.table(db.name, table)  # once, not per hit: what urls.row writes before the key
    return {
        "count": min(len(found), COUNT_AT_MOST),
        "more": more,
        "rows": [dict(row) | {"url": f"{base}/{tilde_encode(row['id'])}"} for row in rows],
    }


async def _search_table_kept(datasette, db, table: str, query: str, whole_words: str) -> dict:
    """``_search_table``'s answer, kept until anything is committed (``registry.kept_answers``):
    the same words find the same rows. Who may see the table is asked on every request."""
    kept = kept_answers(datasette)
    version = kept.version(db)
    if version is None:
        return await _search_table(datasette, db, table, query, whole_words)
    return await kept.answer(("search", version, db.name, table, query, whole_words),
                             lambda: _search_table(datasette, db, table, query, whole_words))


async def _search_database(datasette, db, actor, query: str, whole_words: str) -> dict:
    tables = await _tables(db)
    found = {"database": db.name}
    for table, (fts, _) in SEARCHES.items():
        if fts in tables and await _visible(datasette, actor, db.name, table):
            found[table] = await _search_table_kept(datasette, db, table, query, whole_words)
        else:
            found[table] = {"count": 0, "more": False, "rows": []}
    return found


async def search_page(request, datasette):
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    text = (request.args.get("q") or "").strip()
    query = fts_query(text)
    results = []
    if query:
        for db in datasette.databases.values():
            if db.name.startswith("_"):
                continue
            results.append(await _search_database(datasette, db, request.actor, query, fts_query(text, prefix=False)))
    return Response.html(
        await datasette.render_template(
            "registry_search.html",
            {"q": text, "results": results, "searched": bool(query), "limit": SEARCH_LIMIT, "quote": urllib.parse.quote_plus,
             "shortened": MOST_WORDS if len(query_words(text)) > MOST_WORDS else 0},
            request=request,
        )
    )


@hookimpl
def register_routes():
    return [(r"^/-/search$", search_page)]


@hookimpl
def startup(datasette):
    skip_markdown_cells()
    cell_hooks.fast_query_cells()
    page_costs.install()
    remember_map_columns()


def remember_map_columns() -> None:
    """datasette-cluster-map asks, twice on every page, whether the page's columns hold a latitude
    and a longitude, matching each column against six patterns (3 % of a list page's time). The
    answer depends only on the page's columns and the metadata, fixed while serving: it is kept per
    (database, table, columns, view, metadata object) on each Datasette. Its hooks read ``find_columns`` at each call."""
    try:
        import datasette_cluster_map as cluster_map
    except ImportError:  # pragma: no cover - a pinned dependency
        return
    if getattr(cluster_map.find_columns, "registry_kept", False):
        return
    look = cluster_map.find_columns

    def find_columns(database, table, columns, view_name, datasette):
        kept = datasette.__dict__.setdefault("_registry_map_columns", {})
        key = (id(datasette._metadata_local), database, table, tuple(columns or ()), view_name)
        if key not in kept:
            if len(kept) > 4096:  # a visitor's ad hoc queries each have their columns
                kept.clear()
            kept[key] = look(database, table, columns, view_name, datasette)
        return kept[key]

    find_columns.registry_kept = True  # type: ignore[attr-defined]
    cluster_map.find_columns = find_columns


@hookimpl
def prepare_jinja2_environment(env):
    env.globals.update(cell_hooks.TEMPLATE_FUNCTIONS)  # the rows of list and table pages
    env.globals["registry_kept"] = fragments.KeptFragments()  # a page's surroundings, once per language and inputs
    keep_templates(env)


def keep_templates(env) -> None:
    """Templates read once per process. Jinja otherwise looks at each template file's time on every
    use (a dozen a page: the page, what it extends and includes) and, for the names Datasette tries
    first and no one wrote (``query-registry-expiring.html``, ``row-registry-agreements.html``),
    searches every template folder again on every request: 80 µs a page. A changed template is
    seen at the next start, as a changed plugin is."""
    env.auto_reload = False
    if not isinstance(env.loader, MissingKept):
        env.loader = MissingKept(env.loader)


class MissingKept(BaseLoader):
    """A loader that remembers the names its loader had no template for."""

    def __init__(self, loader) -> None:
        self.loader = loader
        self.missing: set[str] = set()

    def get_source(self, environment, template):
        if template in self.missing:
            raise TemplateNotFound(template)
        try:
            return self.loader.get_source(environment, template)
        except TemplateNotFound:
            self.missing.add(template)
            raise

    def load(self, environment, name, globals=None):
        if name in self.missing:
            raise TemplateNotFound(name)
        try:
            return self.loader.load(environment, name, globals)
        except TemplateNotFound:
            self.missing.add(name)
            raise

    def list_templates(self):
        return self.loader.list_templates()


@hookimpl
def forbidden(datasette, request, message):
    """Anonymous visitors of the internal face are asked to log in rather than shown a 403."""
    if request.actor is None and _face(datasette).get("auth"):
        return Response.redirect(datasette.urls.path("/-/login"))
    return None


@hookimpl
def extra_css_urls():
    return ["/assets/registry.css"]


@hookimpl
def menu_links(datasette, actor):
    return [{"href": datasette.urls.path("/-/search"), "label": i18n.gettext(i18n.current(), "Search partners and agreements")}]


@hookimpl
def extra_body_script(datasette):
    """Mark the public face's pages, so its style sheet can leave out what only the internal face has."""
    if _face(datasette).get("face") == "public":
        return "document.body.classList.add('registry-public');"
    return ""


# --- the institution page ---------------------------------------------------------------


# What the institution page shows: name -> (table it needs, internal only, SQL over :id).
PROFILE_QUERIES = {
    "names": ("institution_names", False, "select name, kind, language from institution_names where institution = :id order by kind, name"),
    "networks": (
        "memberships",
        False,
        """select n.id, n.name, n.acronym, m.role, m.since, m.until from memberships m join networks n on n.id = m.network
           where m.institution = :id order by m.until is not null, n.name""",
    ),
    "agreements": (
        "agreements",
        False,
        """select a.id, a.title, a.kind, a.status, a.starts_on, a.ends_on, a.confidential,
                  (select group_concat(g.name_en, '; ') from agreement_programmes ap join programmes g on g.id = ap.programme
                    where ap.agreement = a.id) as programmes
           from agreement_parties p join agreements a on a.id = p.agreement
           where p.institution = :id order by a.status = 'active' desc, a.ends_on desc""",
    ),
    "terms": (
        "mobility_terms",
        False,
        """select t.agreement, t.category, t.direction, t.places_per_year, t.months_per_place, t.days_per_place
           from mobility_terms t join agreement_parties p on p.agreement = t.agreement
           where p.institution = :id order by t.agreement, t.term_no""",
    ),
    "flows": (
        "mobility_flows",
        False,
        """select f.academic_year, f.direction, f.category, sum(f.participants) as participants
           from mobility_flows f join agreement_parties p on p.agreement = f.agreement
           where p.institution = :id group by 1, 2, 3 order by 1 desc, 2, 3""",
    ),
    "reviews": (
        "reviews",
        True,
        """select r.id, r.reviewed_on, r.reviewer_role, r.reviewed_by, r.outcome, r.conditions, r.next_review_due,
                  r.agreement
           from reviews r
           where r.institution = :id or r.agreement in (select agreement from agreement_parties where institution = :id)
           order by r.reviewed_on desc""",
    ),
    "country_risk": (
        "country_risk",
        True,
        """select r.country, r.tier, r.reasons, r.as_of from country_risk r
           where r.country = (select country from institutions where id = :id)""",
    ),
    "findings": (
        "findings",
        True,
        # Through the subject: the + keeps SQLite from walking every open finding instead.
        """select f.id, f.code, f.severity, f.message, f.evidence, f.status, f.first_seen, f.waiver
           from findings f
           where +f.status = 'open' and ((f.subject_table = 'institutions' and f.subject_id = :id)
              or (f.subject_table = 'agreements'
                  and f.subject_id in (select agreement from agreement_parties where institution = :id)))
           order by case f.severity when 'high' then 0 when 'medium' then 1 when 'low' then 2 else 3 end, f.code""",
    ),
}


def _profile_rows(conn, institution: str, internal: bool) -> dict:
    """Every list of the institution page in one visit to a database thread."""
    tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    found = {}
    for name, (table, internal_only, sql) in PROFILE_QUERIES.items():
        if table in tables and (internal or not internal_only):
            cursor = conn.execute(sql, {"id": institution})
            columns = [d[0] for d in cursor.description]
            found[name] = [dict(zip(columns, row, strict=True)) for row in cursor]
        else:
            found[name] = None  # None: not kept here (or not shown on this face); []: nothing recorded
    return found


async def institution_profile(datasette, database: str, institution: str, internal: bool, actor=None) -> dict:
    profile = await datasette.get_database(database).execute_fn(lambda conn: _profile_rows(conn, institution, internal))
    profile["internal"] = internal
    terms = profile.pop("terms") or []
    for agreement in profile["agreements"] or []:
        agreement["url"] = _row_url(datasette, database, "agreements", agreement["id"])
        agreement["terms"] = [t for t in terms if t["agreement"] == agreement["id"]]
    for network in profile["networks"] or []:
        network["url"] = _row_url(datasette, database, "networks", network["id"])
    risk = (profile.pop("country_risk") or [None])[0]
    if risk is not None:
        risk["reasons"] = json.loads(risk["reasons"] or "[]")
        risk["url"] = _row_url(datasette, database, "country_risk", risk["country"])
    profile["risk"] = risk
    queries = await datasette.get_canned_queries(database, None)
    if internal and "partner_risk" in queries:
        profile["risk_profile_url"] = datasette.urls.query(database, "partner_risk") + "?institution=" + urllib.parse.quote_plus(institution)
    role = (actor or {}).get("role") if internal and _face(datasette).get("auth") else None
    for finding in profile["findings"] or []:
        waive = form_links.waive_form(finding["id"], role)
        finding["waive_url"] = datasette.urls.path(waive) if waive else None
        finding["url"] = _row_url(datasette, database, "findings", finding["id"])
    for review in profile["reviews"] or []:
        review["url"] = _row_url(datasette, database, "reviews", review["id"])
    profile["forms"] = [{"title": title, "url": datasette.urls.path(path)}
                        for path, title in form_links.institution_forms(institution, role)]
    return profile


async def _permitted_queries(datasette, database: str, actor) -> dict:
    """The canned queries (and edit forms) this account's role may open."""
    queries = await datasette.get_canned_queries(database, actor)
    return {
        name: q for name, q in queries.items()
        if await datasette.permission_allowed(actor, "view-query", (database, name), default=True)
    }


async def home(datasette, actor) -> list[dict]:
    """What the home page lists for each database: counts, canned queries and edits."""
    databases = []
    for db in datasette.databases.values():
        if db.name.startswith("_") or not await _visible(datasette, actor, db.name, "institutions"):
            continue
        tables = await _tables(db)
        if not {"institutions", "agreements"} <= tables:
            continue
        counts = (
            await db.execute(
                """select (select count(*) from institutions where is_home = 0) as partners,
                          (select count(*) from agreements where status = 'active') as active_agreements,
                          (select count(distinct country) from institutions where is_home = 0) as countries,
                          (select count(*) from networks) as networks,
                          (select count(*) from programmes) as programmes"""
            )
        ).first()
        queries = await _permitted_queries(datasette, db.name, actor)
        listed = [
            {"name": name, "title": q.get("title") or name, "description": q.get("description") or "",
             "url": datasette.urls.query(db.name, name), "write": bool(q.get("write"))}
            for name, q in queries.items()
        ]
        role = (actor or {}).get("role") if _face(datasette).get("auth") else None
        forms = [{"name": path, "title": title, "description": "", "url": datasette.urls.path(path), "write": True}
                 for path, title in form_links.registry_forms(role)]
        databases.append(
            {
                "name": db.name,
                "counts": dict(counts),
                "queries": [q for q in listed if not q["write"]],
                "edits": forms + [q for q in listed if q["write"]],
                "map_url": datasette.urls.table(db.name, "partner_overview") + "?_nofacet=1",  # the map first
                "partners_url": datasette.urls.table(db.name, "partner_overview") + "?_facet=country&_facet=networks",
                "agreements_url": datasette.urls.table(db.name, "agreement_overview") + "?status=active&_facet=kind&_facet=countries",
            }
        )
    return databases


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if request is None:
        return None
    actor = request.actor
    if view_name == "index":

        async def home_vars():
            return {
                "registry_home": await home(datasette, actor),
                "registry_face": _face(datasette).get("face"),
                "registry_dashboards": datasette.plugin_config("datasette-dashboards") or {},
            }

        return home_vars
    if view_name != "row" or table != "institutions":
        return None  # the agreement page is registry_agreement.py's

    async def row_vars():
        key = tilde_decode(request.url_vars.get("pks", ""))
        internal = _face(datasette).get("face") == "internal"
        return {"institution_profile": await institution_profile(datasette, database, key, internal, actor)}

    return row_vars
