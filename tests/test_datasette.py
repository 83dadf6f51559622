"""The registry in Datasette: metadata from the models, facets, search and every canned query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import datasette_get, new_registry
from core_portfolio import portfolio

from registry import clock
from registry import db as store
from registry.serve import build_metadata


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "registry.db"
    db = store.connect(new_registry(path))
    store.write_records(db, portfolio(), actor="tester", source="fixture")
    db.conn.close()
    return path


def rows(served, path):
    response = datasette_get(served, path)
    assert response.status_code == 200, response.text
    return response.json()


def ids(served, path):
    return sorted(r["id"] for r in rows(served, path))


def test_expiring_lists_active_agreements_ending_within_the_months_given(served):
    assert ids(served, "/registry/expiring.json?months=6&_shape=array") == ["ex-gu-expired", "ex-ku-med"]
    assert ids(served, "/registry/expiring.json?months=48&_shape=array") == [
        "ex-gu-expired", "ex-ku-med", "ex-lodz-nursing", "phd-uq"]


def test_lists_open_useful_with_their_parameters_left_empty(served):
    # As a list opens from the home page: every parameter empty.
    assert ids(served, "/registry/expiring.json?months=&unit=&_shape=array") == ["ex-gu-expired", "ex-ku-med"]  # 12 months
    assert ids(served, "/registry/unused_agreements.json?years=&programme=&_shape=array") == ["ex-gu-expired", "ex-lodz-nursing"]
    assert ids(served, "/registry/teacher_mobility_gaps.json?programme=&_shape=array") == ["ex-gu-expired", "ex-lodz-nursing"]


def test_lists_filter_by_programme_in_either_language(served):
    assert ids(served, "/registry/teacher_mobility_gaps.json?programme=Sjuksk&_shape=array") == ["ex-lodz-nursing"]
    assert ids(served, "/registry/unused_agreements.json?years=3&programme=medicine&_shape=array") == ["ex-gu-expired"]


def test_expiring_keeps_the_municipalitys_agreements_apart(tmp_path):
    from registry.models import Agreement, Institution

    path = tmp_path / "registry.db"
    db = store.connect(new_registry(path))
    store.write_records(db, portfolio() + [
        Institution(id="frederiksberg", name="Frederiksberg Municipality", country="DK", kind="municipality"),
        Agreement(id="city-frederiksberg", title="Twin towns", kind="twin_town", status="active",
                  home_unit="City of Lund", ends_on=str(clock.today() + timedelta(days=40)),
                  parties=[{"institution": "lund-university", "role": "home"}, "frederiksberg"]),
    ], actor="tester", source="fixture")
    db.conn.close()
    assert "city-frederiksberg" not in ids(path, "/registry/expiring.json?months=12&_shape=array")
    assert ids(path, "/registry/expiring.json?months=12&unit=City&_shape=array") == ["city-frederiksberg"]


def test_canned_queries_hide_their_sql(served):
    queries = build_metadata()["databases"]["registry"]["queries"]
    assert queries and all(query["hide_sql"] for query in queries.values())
    page = datasette_get(served, "/registry/expiring?months=12").text
    assert 'id="sql-query"' not in page and 'id="sql-editor"' not in page  # only the "show" link


def test_programme_portfolio_by_id_or_by_name_in_either_language(served):
    expected = ["ex-gu-expired", "ex-ku-med"]
    assert ids(served, "/registry/programme_portfolio.json?programme=medicine&_shape=array") == expected
    assert ids(served, "/registry/programme_portfolio.json?programme=Läkar&_shape=array") == expected
    assert ids(served, "/registry/programme_portfolio.json?programme=Nursing&_shape=array") == ["draft-uq-nursing", "ex-lodz-nursing"]


def test_partners_by_network_shows_current_members_with_their_active_agreements(served):
    members = rows(served, "/registry/partners_by_network.json?network=U21%20HSG&_shape=array")
    assert [(m["id"], m["active_agreements"]) for m in members] == [("uq", 1)]  # not ourselves, not former members
    assert rows(served, "/registry/partners_by_network.json?network=u21-hsg&_shape=array") == members


def test_teacher_mobility_gaps_lists_active_exchanges_without_staff_teaching(served):
    assert ids(served, "/registry/teacher_mobility_gaps.json?_shape=array") == ["ex-gu-expired", "ex-lodz-nursing"]


def test_unused_agreements_are_those_without_flows_in_the_last_years(served):
    assert ids(served, "/registry/unused_agreements.json?years=3&_shape=array") == ["ex-gu-expired", "ex-lodz-nursing"]
    assert ids(served, "/registry/unused_agreements.json?years=6&_shape=array") == ["ex-gu-expired"]


def test_tables_carry_descriptions_from_the_models(served):
    metadata = build_metadata("registry")["databases"]["registry"]["tables"]
    assert metadata["agreements"]["description"].startswith("Bilateral and multilateral agreements")
    assert metadata["agreements"]["columns"]["confidential"] == "kept out of the public database"
    assert metadata["agreements"]["fts_table"] == "agreements_fts"
    page = datasette_get(served, "/registry/mobility_terms").text
    assert "A teacher-mobility clause is a staff_teaching row" in page


def test_table_search_folds_diacritics_and_facets_work(served):
    assert ids(served, "/registry/institutions.json?_search=lodz&_shape=array") == ["umed-lodz"]
    assert ids(served, "/registry/institutions.json?_search=Goteborg&_shape=array") == ["gu"]
    facets = rows(served, "/registry/agreements.json?_facet=status")["facet_results"]["status"]["results"]
    assert {f["value"]: f["count"] for f in facets} == {"active": 4, "draft": 1}


def test_every_canned_query_in_the_metadata_answers(served):
    queries = build_metadata("registry")["databases"]["registry"]["queries"]
    params = {"months": 6, "programme": "medicine", "network": "u21-hsg", "years": 3}
    for name in queries:
        response = datasette_get(served, f"/registry/{name}.json?_shape=array&" + "&".join(f"{k}={v}" for k, v in params.items()))
        assert response.status_code == 200, (name, response.text)


def test_a_delete_through_the_servers_write_connection_takes_the_records_children(tmp_path):
    """Datasette's own connections enforce foreign keys (registry/plugins/registry_foreign_keys.py):
    deleting an agreement through the server's write connection takes its parties and terms by cascade."""
    import asyncio

    from registry import faces

    path = tmp_path / "registry.db"
    db = store.connect(path)
    store.ensure_schema(db)
    store.write_records(db, portfolio(), actor="tester", source="fixture")
    db.conn.close()
    children = "SELECT (SELECT count(*) FROM agreement_parties WHERE agreement = 'ex-ku-med') + " \
               "(SELECT count(*) FROM mobility_terms WHERE agreement = 'ex-ku-med')"
    assert store.connect(path).conn.execute(children).fetchone()[0] > 0
    datasette = faces.internal_face(path, auth=False).datasette()
    database = next(d for name, d in datasette.databases.items() if not name.startswith("_") and d.is_mutable)

    def delete(conn):
        with conn:
            conn.execute("DELETE FROM agreements WHERE id = 'ex-ku-med'")
        return conn.execute("PRAGMA foreign_keys").fetchone()[0]

    assert asyncio.run(database.execute_write_fn(delete, block=True)) == 1
    assert store.connect(path).conn.execute(children).fetchone()[0] == 0


def test_a_schema_change_while_serving_is_read_again(tmp_path):
    """Datasette empties its own _internal catalogue when a database's schema changes; foreign keys
    there would refuse that (every page then failed with 500), so the plugin leaves _internal alone."""
    import asyncio

    from registry import faces

    path = tmp_path / "registry.db"
    store.ensure_schema(store.connect(path))
    datasette = faces.internal_face(path, auth=False).datasette()

    async def pages() -> list[int]:
        first = (await datasette.client.get("/registry/agreements.json")).status_code
        with store.connect(path).conn as conn:
            conn.execute("CREATE TABLE office_notes (id TEXT PRIMARY KEY, note TEXT)")
        second = (await datasette.client.get("/registry/agreements.json")).status_code
        tables = (await datasette.client.get("/registry.json")).json()["tables"]
        return [first, second, "office_notes" in {t["name"] for t in tables}]

    assert asyncio.run(pages()) == [200, 200, True]
    internal = datasette.get_database("_internal")
    assert asyncio.run(internal.execute("PRAGMA foreign_keys")).rows[0][0] == 0


def test_the_menus_of_datasettes_pages_are_drawn_by_one_template(served):
    """base.html, database.html and table.html (our copies of Datasette's) draw their link lists and
    actions menus with _registry_menus.html's macros: a plugin's table and database actions show, in Swedish too."""
    import asyncio
    import types
    from pathlib import Path

    from datasette import hookimpl
    from datasette.plugins import pm

    from registry import faces

    templates = Path(faces.__file__).resolve().parent / "templates"
    drawn = {path.name: path.read_text(encoding="utf-8") for path in templates.glob("*.html")}
    assert [name for name, text in drawn.items() if 'class="actions-menu-links"' in text] == ["_registry_menus.html"]
    assert [name for name, text in drawn.items() if '<a href="{{ link.href }}">' in text] == ["_registry_menus.html"]

    actions = types.ModuleType("test_actions")  # a plugin, as Datasette lists them: a module
    actions.table_actions = hookimpl(lambda datasette, actor, database, table: [
        {"href": "/-/table-action", "label": "Do the table thing"}])
    actions.database_actions = hookimpl(lambda datasette, actor, database: [
        {"href": "/-/database-action", "label": "Do the database thing"}])
    pm.register(actions, name="test-actions")
    try:
        datasette = faces.internal_face(served, auth=False).datasette()

        def page(path):
            return asyncio.run(datasette.client.get(path)).text

        table = page("/registry/agreements?_lang=sv")
        assert '<li><a href="/-/table-action">Do the table thing</a></li>' in table and "Tabellåtgärder" in table
        assert '<li><a href="/-/database-action">Do the database thing</a></li>' in page("/registry")
    finally:
        pm.unregister(name="test-actions")


def test_the_licence_and_source_are_drawn_by_one_macro_in_the_footer_and_under_the_title(served):
    """_footer.html and _description_source_license.html (our copies of Datasette's) draw the metadata's
    licence and source with _registry_credits.html: a dot between the items, and in the footer before them too."""
    import asyncio
    import html
    import re
    from pathlib import Path

    from registry import faces

    templates = Path(faces.__file__).resolve().parent / "templates"
    assert [p.name for p in templates.glob("*.html") if '_("Data licence:")' in p.read_text(encoding="utf-8")] == [
        "_registry_credits.html"]
    face = faces.internal_face(served, auth=False)
    page = asyncio.run(face.datasette().client.get("/registry/agreements")).text
    text = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))
    licence, source = face.metadata["license"], face.metadata["source"]
    credits = f"Data licence: {licence} · Data source: {source}"
    assert text.count(credits) == 2  # under the title and in the footer
    footer = text[text.index("Powered by"):]
    assert footer.count("· Data licence:") == 1


def test_the_table_filters_keep_what_was_chosen_and_offer_one_more(served):
    """table.html draws each filter row with one macro: the chosen column, operator and value stay
    chosen, and an empty row offers the next filter."""
    import asyncio
    import re

    from registry import faces

    page = asyncio.run(faces.internal_face(served, auth=False).datasette().client.get(
        "/registry/agreements?kind__contains=ex&_lang=sv")).text
    form = page[page.index('<form class="filters"'):]
    form = form[:form.index("</form>")]
    assert re.search(r'<select name="_filter_column_1">.*?<option value="kind" selected>', form, re.S)
    assert re.search(r'<select name="_filter_op_1">.*?<option value="contains" selected>', form, re.S)
    assert '<input type="text" name="_filter_value_1" class="filter-value" value="ex">' in form
    assert '<input type="text" name="_filter_value" class="filter-value">' in form
    assert len(re.findall(r'<select name="_filter_op(?:_\d+)?">', form)) == 2
