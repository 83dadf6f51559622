"""The internal face from several processes (`registry serve --workers 2`), against a real
server: a login made on one worker holds on the others (sessions in the registry, one signing
secret for the CSRF tokens), failed logins count across workers, an edit made through one worker
is what the next request sees whichever worker answers it, and one republisher keeps the public
copy in step. Every request here opens a new connection (``connection: close``), so the kernel
may hand it to either worker; each test asks until both have answered, with a deadline, and
assumes nothing about which answers first."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from contextlib import closing
from datetime import date, timedelta

import httpx
import pytest
from conftest import http_client, start_registry
from test_agreement_page import PDF
from test_auth import PASSWORDS, Client
from test_public_follows import AGREEMENT, public_end_date, renew, wait_for
from test_public_servers import stop
from test_publish import build_registry

from registry import accounts, api

EDITOR = "eddie"
WORKERS = 2
LOCK_SECONDS = 2  # how long a write of the server waits for another process's (15 s unless told)
ASKING_SECONDS = 90  # only a hung server takes this long: two workers answer within a few requests


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workers")
    registry = build_registry(folder / "registry.db")
    api.user_add(EDITOR, registry, role="editor", password=PASSWORDS[EDITOR], actor="setup")
    env = {k: v for k, v in os.environ.items() if not k.startswith(accounts.HASH_PREFIX) and k != "DATASETTE_SECRET"}
    env["REGISTRY_LOCK_TIMEOUT"] = str(LOCK_SECONDS)
    log = folder / "serve.log"
    process, base = start_registry(
        ["serve", "--db", str(registry), "--workers", str(WORKERS), "--trusted-proxy", "127.0.0.1",
         "--publish-to", str(folder / "public.db"), "--publish-delay", "0.5"], log, env, ready="/-/login")
    yield {"base": base, "registry": registry, "public": folder / "public.db", "log": log}
    stop(process)


def browser(base: str, address: str | None = None) -> Client:
    """A browser whose every request opens a new connection, so that any worker may answer it."""
    client = Client(base, address)
    client.http.headers["connection"] = "close"
    return client


def later_end(server, days: int = 1) -> str:
    """A date ``days`` after the agreement's end date as the registry holds it now: the renewal form refuses an
    end date that is no later, and the tests here renew it in any order."""
    with closing(sqlite3.connect(server["registry"])) as conn:
        ends_on = conn.execute("SELECT ends_on FROM agreements WHERE id = ?", [AGREEMENT]).fetchone()[0]
    return str(date.fromisoformat(ends_on) + timedelta(days=days))


def until_every_worker(ask, what: str) -> list[httpx.Response]:
    """Ask (a new connection each time) until every worker has answered; all the answers."""
    answers: list[httpx.Response] = []
    deadline = time.monotonic() + ASKING_SECONDS
    while len({answer.headers["x-registry-worker"] for answer in answers}) < WORKERS:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: only {len(answers)} answers, all from one worker, in {ASKING_SECONDS} s")
        answers.append(ask())
    return answers


def test_a_login_on_one_worker_holds_on_every_worker(server):
    editor = browser(server["base"])
    assert editor.login(EDITOR).status_code == 302
    pages = until_every_worker(lambda: editor.http.get("/"), "the home page")
    assert all(page.status_code == 200 and f"Log out ({EDITOR}, Editor)" in page.text for page in pages)
    # A CSRF token signed by one worker is taken by the other: each save is a new connection,
    # each renewal a day later than the one before (the form refuses an end date that is no later)
    saves = until_every_worker(lambda: editor.submit(f"/-/agreements/{AGREEMENT}/renew", ends_on=later_end(server)),
                               "the renewal form")
    assert all(save.status_code == 200 and save.json()["ok"] for save in saves), [s.text for s in saves]


def test_failed_logins_count_across_workers(server):
    address = "203.0.113.91"
    answers = [browser(server["base"], address).login(f"guess-{attempt}", "wrong-password") for attempt in range(5)]
    assert [answer.status_code for answer in answers] == [401] * 5
    locked = until_every_worker(lambda: browser(server["base"], address).login(EDITOR), "the locked address")
    assert {answer.status_code for answer in locked} == {429}
    assert browser(server["base"]).login(EDITOR).status_code == 302  # another address is not locked


def agreement_end(client: Client) -> httpx.Response:
    return client.http.get(f"/registry/agreements/{AGREEMENT}.json?_shape=objects")


def test_an_edit_through_one_worker_is_seen_by_the_next_request_on_any(server):
    editor = browser(server["base"])
    assert editor.login(EDITOR).status_code == 302
    for ends_on in (later_end(server, 30), later_end(server, 60)):
        saved = editor.submit(f"/-/agreements/{AGREEMENT}/renew", ends_on=ends_on)
        assert saved.json()["ok"], saved.text
        after = until_every_worker(lambda: agreement_end(editor), "the renewed agreement")
        assert [answer.json()["rows"][0]["ends_on"] for answer in after] == [ends_on] * len(after)


def test_a_write_kept_waiting_too_long_answers_503_and_saves_nothing(server):
    editor = browser(server["base"])
    assert editor.login(EDITOR).status_code == 302
    kept_waiting = later_end(server)
    holder = sqlite3.connect(server["registry"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing for longer than the server waits
    try:
        refused = editor.submit(f"/-/agreements/{AGREEMENT}/renew", ends_on=kept_waiting)
        assert refused.status_code == 503 and not refused.json()["ok"] and "lock" in refused.json()["error"], refused.text
        login = browser(server["base"]).login(EDITOR)
        assert login.status_code == 503 and "The registry cannot be written" in login.text
        upload = editor.http.post(f"/-/agreements/{AGREEMENT}/documents", data={"csrftoken": editor.token("/-/logout")},
                                  files={"file": ("signed.pdf", PDF, "application/pdf")}, headers={"accept": "application/json"})
        assert upload.status_code == 503 and "lock" in upload.json()["error"], upload.text
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    end = until_every_worker(lambda: agreement_end(editor), "the agreement")[0].json()["rows"][0]["ends_on"]
    assert end != kept_waiting
    documents = sqlite3.connect(server["registry"]).execute("SELECT count(*) FROM agreement_documents").fetchone()[0]
    assert documents == 0
    assert editor.submit(f"/-/agreements/{AGREEMENT}/renew", ends_on=kept_waiting).json()["ok"]


def test_one_republisher_keeps_the_public_copy_in_step(server):
    editor = browser(server["base"])
    assert editor.login(EDITOR).status_code == 302
    ends_on = later_end(server, 30)
    saved = editor.submit(f"/-/agreements/{AGREEMENT}/renew", ends_on=ends_on)
    assert saved.json()["ok"], saved.text
    wait_for(lambda: public_end_date(server["public"]) == ends_on, "the renewal in the public copy")
    text = server["log"].read_text(errors="replace")
    assert text.count("registry.republish: keeping") == 1, text
    current = sqlite3.connect(server["registry"]).execute("SELECT ends_on FROM agreements WHERE id = ?", [AGREEMENT])
    assert current.fetchone()[0] == ends_on


def test_the_partner_picker_sees_a_rename_made_by_another_process(tmp_path):
    """Its name index is kept between saves, and rebuilt once the audit log shows a change to an
    institution or a name, whoever wrote it; a change elsewhere keeps it."""
    from registry import db as store
    from registry.forms import partners

    registry = build_registry(tmp_path / "registry.db")
    db = store.connect(registry)
    first = partners._resolver(db)
    assert partners.pick(db, "Vastkust Polytechnic", None).institution is None
    renew(registry, "2030-06-30", tmp_path)  # an agreement changes: the index stays
    assert partners._resolver(db) is first
    other = store.connect(registry)  # another process's connection
    with store.transaction(other, actor="tests", source="tests"):
        # a name changed in place: as many names as before, none added (the rowids stay)
        other.conn.execute("UPDATE institution_names SET name = 'Vastkust Polytechnic', name_folded = 'vastkust polytechnic' "
                           "WHERE institution = 'university-of-gothenburg' AND name = 'University of Gothenburg'")
    assert partners._resolver(db) is not first
    assert partners.pick(db, "Vastkust Polytechnic", None).institution == "university-of-gothenburg"


def test_two_throttles_on_one_file_count_the_same_failures_and_forget_the_oldest_keys(tmp_path):
    from registry.throttle import LoginThrottle

    now = [1000.0]
    shared = tmp_path / "failures.sqlite"
    first, second = (LoginThrottle(path=shared, max_keys=3, timer=lambda: now[0]) for _ in range(2))
    key = ("address", "203.0.113.5")
    for throttle in (first, second, first, second, first):
        throttle.failed(key)
    assert first.retry_after(key) == second.retry_after(key) == 60
    second.succeeded(key)
    assert first.retry_after(key) == 0
    for number in range(5):
        now[0] += 1
        first.failed(("account", f"name-{number}"))
    kept = sqlite3.connect(shared).execute("SELECT value FROM throttled ORDER BY value").fetchall()
    assert kept == [("name-2",), ("name-3",), ("name-4",)]


def test_a_kept_connection_is_closed_now_and_then_so_no_worker_keeps_them_all(server):
    from registry.serve import REBALANCE_EVERY

    with http_client(base_url=server["base"], timeout=30) as client:  # keeps its connection, as a proxy's pool does
        answers = [client.get("/-/login") for _ in range(2 * REBALANCE_EVERY * WORKERS)]
    assert all(answer.status_code == 200 for answer in answers)
    closing = [answer for answer in answers if answer.headers.get("connection") == "close"]
    # each worker closes every REBALANCE_EVERY-th of its own answers, whoever asked for the others
    assert 1 <= len(closing) <= len(answers) // REBALANCE_EVERY + WORKERS


def test_each_worker_freezes_its_startup_heap(server):
    """registry/plugins/registry_heap.py: each worker process, once started, leaves the objects it made
    out of the collector's full passes, and says so in the server's log."""
    # a worker answers once its startup is done, the freeze with it
    until_every_worker(lambda: browser(server["base"]).http.get("/-/login"), "the login page")
    said = re.findall(r"process (\d+): (\d+) objects made at startup left out of the garbage collector's passes",
                      server["log"].read_text(errors="replace"))
    frozen = {int(pid): int(count) for pid, count in said}
    assert len(frozen) == WORKERS, said  # one line per worker process
    assert all(count > 20_000 for count in frozen.values()), frozen


def test_every_worker_serves_with_the_faces_settings(server):
    """Each worker builds its Datasette in process, where a setting is kept as given: the
    settings must be of their own type there (``suggest_facets`` once came as the string "off",
    which is true, and every table page then ran a query per column to suggest facets)."""
    viewer = browser(server["base"])
    assert viewer.login(EDITOR).status_code == 302
    answers = until_every_worker(lambda: viewer.http.get("/-/settings.json"), "the settings")
    assert {(a.json()["suggest_facets"], a.json()["facet_time_limit_ms"]) for a in answers} == {(False, 500)}
    table = viewer.http.get("/registry/agreements.json?_extra=suggested_facets")
    assert table.status_code == 200 and table.json().get("suggested_facets", []) == []
