"""A page's kept surroundings (registry/fragments.py): rendered once per language and inputs, never
shared across what they do not name (an actor, a language, changed metadata)."""

import asyncio
import re

import pytest
from jinja2 import Environment

from registry import api, i18n
from registry.fragments import KeptFragments


def _environment(kept: KeptFragments, source: str):
    env = Environment(enable_async=True, autoescape=True)
    renders: list[str] = []
    env.globals.update(registry_kept=kept, _=lambda message: i18n.gettext(i18n.current(), message),
                       seen=lambda: renders.append("rendered") or "")
    return env.from_string(source), renders


def _render(template, lang: str, **values) -> str:
    with i18n.speaking(lang):
        return asyncio.run(template.render_async(**values))


def test_a_piece_is_rendered_once_per_language_and_inputs():
    kept = KeptFragments()
    template, renders = _environment(kept, '{% call registry_kept("menu", value) %}{{ seen() }}{{ _("Menu") }} {{ value }}{% endcall %}')
    first = _render(template, "en", value="<a>")
    assert first == "Menu &lt;a&gt;" and renders == ["rendered"]
    assert _render(template, "en", value="<a>") == first and renders == ["rendered"]  # kept
    assert _render(template, "sv", value="<a>") != first and len(renders) == 2  # another language: its own
    assert _render(template, "en", value="<b>") == "Menu &lt;b&gt;" and len(renders) == 3  # another input
    assert _render(template, "en", value=1) == _render(template, "en", value=True).replace("True", "1")
    assert len(renders) == 5  # 1 and True are different inputs


def test_an_absent_value_is_not_none_and_an_unkeyable_one_is_never_kept():
    kept = KeptFragments()
    template, renders = _environment(kept, '{% call registry_kept("x", value) %}{{ seen() }}[{{ value }}]{% endcall %}')
    assert _render(template, "en") == "[]"  # Undefined
    assert _render(template, "en", value=None) == "[None]"
    assert _render(template, "en", value={"a": 1}) == _render(template, "en", value={"a": 1})
    assert len(renders) == 4 and len(kept.kept) == 2


def test_the_kept_pieces_are_bounded_for_each_name():
    kept = KeptFragments(most=3)
    template, _ = _environment(kept, '{% call registry_kept("footer", "same") %}F{% endcall %}'
                                     '{% call registry_kept("x", value) %}{{ value }}{% endcall %}')
    for n in range(10):
        assert _render(template, "en", value=n) == f"F{n}"
    assert len(kept.kept) == 4  # three of "x", and the footer, which the ten addresses did not push out
    assert ("footer", "en", (str, "same")) in kept.kept


@pytest.fixture
def two_accounts(registry_path):
    path = registry_path
    for name, role in (("vera", "viewer"), ("eddie", "editor")):
        api.user_add(name, role=role, password=f"{name}-password-1", db_path=path, actor="setup")
    return path


def test_two_actors_and_two_languages_on_one_process_each_see_their_own_page(two_accounts):
    from registry import faces

    datasette = faces.internal_face(two_accounts).datasette()
    expiring = "/registry/expiring?months=12&_lang="

    async def visit():
        await datasette.invoke_startup()
        cookies = {}
        for name in ("vera", "eddie"):
            form = await datasette.client.get("/-/login")
            token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
            login = await datasette.client.post("/-/login", data={"username": name, "password": f"{name}-password-1",
                                                                 "csrftoken": token}, cookies=form.cookies)
            cookies[name] = {**form.cookies, "registry_session": login.cookies["registry_session"]}
            await datasette.client.get("/", cookies=cookies[name])  # shows the login's message, once
        pages: dict = {}
        # each (actor, language) twice, the others' requests between: the second from the kept pieces
        for name, lang in [("vera", "en"), ("eddie", "en"), ("vera", "sv"), ("eddie", "sv")] * 2:
            response = await datasette.client.get(expiring + lang, cookies=cookies[name])
            assert response.status_code == 200
            pages.setdefault((name, lang), set()).add(re.sub(r'name="csrftoken" value="[^"]+"|[0-9.,]+\s?ms', "", response.text))
        return pages

    pages = asyncio.run(visit())
    assert all(len(texts) == 1 for texts in pages.values())  # each actor's page the same every time
    kept = datasette.jinja_env.globals["registry_kept"].kept
    assert {key[0] for key in kept} >= {"languages", "footer-credits", "query-head", "description-source-license"}
    for lang in ("en", "sv"):
        (vera,), (eddie,) = pages["vera", lang], pages["eddie", lang]
        assert "<strong>vera</strong>" in vera and "eddie" not in vera
        assert "<strong>eddie</strong>" in eddie and "vera" not in eddie
    (english,), (swedish,) = pages["vera", "en"], pages["vera", "sv"]
    assert '<html lang="en">' in english and '<html lang="sv">' in swedish
    assert "Powered by" in english and "Drivs med" in swedish
    assert "_lang=sv" in english and "_lang=en" in swedish  # each page's own language switch


def test_changed_metadata_is_shown_at_the_next_request(registry_path):
    from registry import faces

    datasette = faces.internal_face(registry_path, auth=False).datasette()

    async def before_and_after():
        await datasette.invoke_startup()
        before = (await datasette.client.get("/")).text
        datasette._metadata_local = {**datasette._metadata_local, "license": "Licence of the test", "source": "Source of the test"}
        after = (await datasette.client.get("/")).text
        return before, after

    before, after = asyncio.run(before_and_after())
    assert "Licence of the test" not in before
    assert after.count("Licence of the test") >= 1 and "Source of the test" in after
