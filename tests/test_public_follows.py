"""The public copy follows the registry: republished in the background after changes (one publish
for a burst, never a half-written file, a failed publish keeps the old copy), and the public face
serves each new copy without a restart. Real registry files, the real publish, Datasette's own
client; tests/test_public_servers.py runs the same against real `registry serve` processes."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
import time
from pathlib import Path

import pytest
import yaml
from test_publish import build_registry

from registry import api, faces, republish
from registry import publish as publish_module
from registry.publish import is_public_copy, publish

AGREEMENT = "ex-lodz-erasmus"  # public, active, ends 2029-08-31 in tests/data/publish/registry.yml


def wait_for(condition, what: str, timeout: float = 60):
    """Poll until ``condition()`` is true; fail after ``timeout`` seconds saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def renew(registry: Path, ends_on: str, tmp_path: Path) -> None:
    """Change the agreement's end date as 'registry load' does."""
    seed = tmp_path / f"renewal-{ends_on}.yml"
    record = {"id": AGREEMENT, "title": "Erasmus agreement with Łódź (fictitious example)", "kind": "erasmus_iia",
              "status": "active", "ends_on": ends_on}
    seed.write_text(yaml.safe_dump({"agreements": [record]}, allow_unicode=True), encoding="utf-8")
    api.load([seed], registry, actor="tests")


def public_end_date(path: Path) -> str | None:
    try:
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return conn.execute("SELECT ends_on FROM agreements WHERE id = ?", [AGREEMENT]).fetchone()[0]
        finally:
            conn.close()
    except (sqlite3.Error, TypeError):
        return None


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def registry(tmp_path) -> Path:
    return build_registry(tmp_path / "registry.db")


@pytest.fixture
def follower(registry, tmp_path):
    # a short quiet time: each publish here waits for it (the burst test sets its own)
    started = republish.Republisher(registry, tmp_path / "public.db", quiet=0.4, poll=0.1).start()
    wait_for(lambda: started.publishes == 1, "the first publish")
    yield started
    started.stop()


# --- the internal side: republishing --------------------------------------------------------------------------


def test_a_change_reaches_the_public_copy(follower, registry, tmp_path):
    assert public_end_date(follower.out) == "2029-08-31"
    renew(registry, "2031-08-31", tmp_path)
    wait_for(lambda: public_end_date(follower.out) == "2031-08-31", "the new end date in the public copy")
    assert is_public_copy(follower.out)
    assert follower.failures == 0


def test_a_burst_of_edits_makes_one_publish_of_the_last_state(follower, registry, tmp_path):
    # However slow the machine, the burst is over before the registry has been quiet long enough:
    # the quiet time is a minute while the edits are made, and none once they are.
    follower.quiet = follower.longest = 60
    ends = [f"2030-{month:02d}-28" for month in range(1, 13)]
    for ends_on in ends:
        renew(registry, ends_on, tmp_path)
        follower.poke()
    assert follower.publishes == 1
    follower.quiet = 0
    follower.poke()
    # The file is in place a moment before the publish is counted: wait for both.
    wait_for(lambda: follower.publishes == 2, "the burst's publish")  # the first publish, then one for the burst
    assert public_end_date(follower.out) == ends[-1]
    time.sleep(0.5)
    assert follower.publishes == 2  # and none after it


def test_a_login_alone_publishes_nothing(follower, registry):
    """Sessions are not in the public copy (nor in the audit log): writing them is no reason to republish."""
    api.user_add("vera", registry, role="viewer", password="vera-password-1", actor="tests")  # audited: one publish
    wait_for(lambda: follower.publishes == 2, "the publish after a new account")
    conn = sqlite3.connect(registry)
    conn.execute("DELETE FROM sessions")  # a write to an unaudited table moves data_version, not the audit log
    conn.commit()
    conn.close()
    follower.poke()
    time.sleep(1.5)  # nearly four times the quiet time: a publish would have been made by now
    assert follower.publishes == 2


def test_a_failed_publish_keeps_the_old_copy_and_is_logged(follower, registry, tmp_path, monkeypatch, caplog):
    before = digest(follower.out)

    def fail(conn):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(publish_module, "_add_views", fail)
    with caplog.at_level(logging.ERROR, logger="registry.republish"):
        renew(registry, "2032-08-31", tmp_path)
        wait_for(lambda: follower.failures >= 1, "the failed publish")
    assert digest(follower.out) == before
    assert public_end_date(follower.out) == "2029-08-31"
    assert "disk I/O error" in follower.last_error
    assert any("previous public copy stays in place" in record.getMessage() for record in caplog.records)
    assert not list(tmp_path.glob(".public-*")), "the half-made copy was left behind"
    monkeypatch.undo()
    renew(registry, "2032-09-30", tmp_path)  # the next change publishes again
    wait_for(lambda: public_end_date(follower.out) == "2032-09-30", "the publish after the failure")


def test_publishes_of_one_copy_never_overlap(registry, tmp_path, monkeypatch):
    """Two publishes at once (a following server and someone at a shell) take turns on the copy's lock."""
    out, inside, most = tmp_path / "public.db", [], []
    real = publish_module._swap_in

    def counted(build, target, before_swap):
        inside.append(1)
        most.append(len(inside))
        time.sleep(0.2)
        real(build, target, before_swap)
        inside.pop()

    monkeypatch.setattr(publish_module, "_swap_in", counted)
    import threading

    threads = [threading.Thread(target=publish, args=(registry, out)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(most) == 1
    assert is_public_copy(out) and public_end_date(out) == "2029-08-31"


def test_serving_with_publish_to_refuses_what_publish_would_refuse(registry, tmp_path):
    from registry.problems import UsageProblem

    with pytest.raises(UsageProblem, match="not the registry itself"):
        api.serve(registry, publish_to=registry, auth=False)
    with pytest.raises(UsageProblem, match="is not a public copy"):
        api.serve(registry, publish_to=build_registry(tmp_path / "other.db"), auth=False)
    with pytest.raises(UsageProblem, match="--publish-to is for the internal face"):
        api.serve(tmp_path / "public.db", public=True, publish_to=tmp_path / "x.db")


# --- the public side: serving the newest copy -----------------------------------------------------------------


@pytest.fixture
def public_face_client(registry, tmp_path):
    """The public face of a fresh copy, in process, looking at the file on every request."""
    out = tmp_path / "public.db"
    publish(registry, out)

    def make(**settings):
        face = faces.public_face(out)
        face.settings.update(settings)
        face.metadata["plugins"]["registry"]["follow_seconds"] = 0
        datasette = face.datasette()

        def end_date() -> str:
            async def fetch():
                return await datasette.client.get(f"/public/agreements/{AGREEMENT}.json?_shape=objects")

            return asyncio.run(fetch()).json()["rows"][0]["ends_on"]

        return datasette, end_date

    return out, make


@pytest.mark.parametrize("threads", [0, 2], ids=["on the loop", "in threads"])
def test_the_public_face_serves_a_new_copy_without_a_restart(public_face_client, registry, tmp_path, threads):
    out, make = public_face_client
    datasette, end_date = make(num_sql_threads=threads)
    assert end_date() == "2029-08-31"
    renew(registry, "2031-08-31", tmp_path)
    publish(registry, out)
    assert end_date() == "2031-08-31"
    renew(registry, "2032-08-31", tmp_path)
    publish(registry, out)
    assert end_date() == "2032-08-31"
    copy = asyncio.run(datasette.client.get("/-/public-copy.json")).json()
    assert copy["published_at"] and len(copy["process"]) == 12 and str(os.getpid()) != copy["process"]


def test_a_copy_published_between_start_and_first_visit_is_served(public_face_client, registry, tmp_path):
    """`datasette serve` opens each database at start; a copy renamed into place before the first
    visitor must still be the one the visitor gets."""
    out, make = public_face_client
    datasette, end_date = make()

    async def start():
        await datasette.invoke_startup()
        await datasette.get_database("public").execute("select count(*) from agreements")  # the file, opened

    asyncio.run(start())
    renew(registry, "2033-08-31", tmp_path)
    publish(registry, out)
    assert end_date() == "2033-08-31"


def test_a_file_that_is_no_public_copy_is_not_served(public_face_client, tmp_path, caplog):
    out, make = public_face_client
    datasette, end_date = make()
    assert end_date() == "2029-08-31"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    junk.replace(out)
    with caplog.at_level(logging.ERROR, logger="registry.public_copy"):
        assert end_date() == "2029-08-31"  # the old copy, from the connection still open on it
    assert any("is no public copy" in record.getMessage() for record in caplog.records)


def test_the_public_home_page_shows_what_visitors_need(public_face_client):
    _, make = public_face_client
    datasette, _ = make()
    page = asyncio.run(datasette.client.get("/")).text
    assert "Partners in a network" in page  # a list for visitors stays
    assert "Institutions that share a ROR id" not in page and "duplicate_candidates_by_ror" not in page
    assert "/-/login" not in page and "Log in" not in page
    assert asyncio.run(datasette.client.get("/public/duplicate_candidates_by_ror")).status_code == 404


def test_each_face_ignores_the_other_faces_variable(tmp_path):
    """REGISTRY_PUBLISH_TO (the internal face's) and WEB_CONCURRENCY (the public face's) may both be
    set for a machine that runs both faces."""
    from click.testing import CliRunner

    from registry.cli import cli

    env = {"REGISTRY_PUBLISH_TO": str(tmp_path / "public.db"), "WEB_CONCURRENCY": "4"}
    public = CliRunner().invoke(cli, ["serve", "--public", str(tmp_path / "missing.db")], env=env)
    assert "no public database at" in public.output and "--publish-to" not in public.output
    internal = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "missing.db")], env=env)
    assert "--workers" not in internal.output and "missing.db" in internal.output


def test_only_the_public_face_describes_a_public_copy(registry):
    async def ask():
        return await faces.internal_face(registry, auth=False).datasette().client.get("/-/public-copy.json?_lang=sv")

    answer = asyncio.run(ask())
    assert answer.status_code == 404 and answer.json()["error"] == "Bara den publika webbplatsen visar en publik kopia."


def test_publish_if_changed_writes_only_what_changed(registry, tmp_path):
    """'registry publish --if-changed' (and every publish of a following server) writes nothing when
    the copy already holds the registry as it is, whoever published it."""
    from click.testing import CliRunner

    from registry.cli import cli

    out = tmp_path / "public.db"
    command = ["publish", "--db", str(registry), "--out", str(out), "--if-changed"]
    first = CliRunner().invoke(cli, command)
    assert first.exit_code == 0 and "wrote" in first.output
    written = digest(out)
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0 and "is up to date" in again.output and digest(out) == written
    renew(registry, "2031-01-31", tmp_path)
    assert publish(registry, out, if_changed=True) is not None
    assert public_end_date(out) == "2031-01-31"
    other = build_registry(tmp_path / "other.db")  # another registry's copy is never "up to date"
    assert publish(other, out, if_changed=True) is not None and public_end_date(out) == "2029-08-31"


def test_load_import_and_check_bring_the_copy_up_to_date_without_a_server(registry, tmp_path):
    from click.testing import CliRunner

    from registry.cli import cli

    out = tmp_path / "public.db"
    env = {"REGISTRY_PUBLISH_TO": str(out)}
    seed = tmp_path / "renewal.yml"
    seed.write_text("agreements:\n  - {id: ex-lodz-erasmus, title: Łódź, kind: erasmus_iia, status: active, "
                    "ends_on: '2031-02-28'}\n", encoding="utf-8")
    loaded = CliRunner().invoke(cli, ["load", "--db", str(registry), str(seed)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert f"published {out}" in loaded.output and public_end_date(out) == "2031-02-28"
    dry = CliRunner().invoke(cli, ["load", "--db", str(registry), "--dry-run", str(seed)], env=env)
    assert "published" not in dry.output and "up to date" not in dry.output
    csv = tmp_path / "renewal.csv"
    csv.write_text("id,title,kind,status,ends_on\nex-lodz-erasmus,Łódź,erasmus_iia,active,2031-03-31\n", encoding="utf-8")
    imported = CliRunner().invoke(cli, ["import", "--db", str(registry), str(csv), "--publish-to", str(out)])
    assert f"published {out}" in imported.output, imported.output
    assert public_end_date(out) == "2031-03-31"
    checked = CliRunner().invoke(cli, ["check", "--db", str(registry), "--fail-on", "never"], env=env)
    assert checked.exit_code == 0, checked.output
    assert str(out) in checked.output  # the run is in the audit log: published again, or found up to date
