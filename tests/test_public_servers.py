"""The public copy follows the registry across real `registry serve` processes: an edit in the
internal face's form, or a `registry load` from a shell, reaches the public face without a
restart; a burst of edits makes one or few publishes of the last state; readers never see a
half-written copy; and `registry serve --public --workers 2` answers from two processes, each
serving a new copy once it is published. Every wait polls with a deadline; nothing assumes
which process gets to a point first."""

from __future__ import annotations

import concurrent.futures
import os
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import http_client, http_get, start_registry
from test_auth import PASSWORDS, logged_in
from test_public_follows import AGREEMENT, renew, wait_for
from test_publish import build_registry

from registry import accounts, api

EDITOR = "eddie"


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A registry, its internal face keeping public.db in step (publishing after 2 quiet seconds)
    and the public face serving public.db."""
    folder = tmp_path_factory.mktemp("follow")
    registry = build_registry(folder / "registry.db")
    api.user_add(EDITOR, registry, role="editor", password=PASSWORDS[EDITOR], actor="setup")
    public = folder / "public.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(accounts.HASH_PREFIX)}
    internal_log = folder / "internal.log"
    internal, internal_url = start_registry(
        ["serve", "--db", str(registry), "--publish-to", str(public), "--publish-delay", "2"], internal_log, env,
        ready="/-/login")
    wait_for(lambda: public.exists(), "the first publish")
    outside, public_url = start_registry(["serve", "--public", str(public)], folder / "public.log", env)
    yield {"registry": registry, "public": public, "internal": internal_url, "public_url": public_url,
           "internal_log": internal_log, "folder": folder, "first_public_end": public_end_date(public_url)}
    stop(outside)
    stop(internal)


def public_end_date(base: str) -> str:
    answer = http_get(f"{base}/public/agreements/{AGREEMENT}.json?_shape=objects", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"][0]["ends_on"]


def registry_end_date(servers) -> str:
    conn = sqlite3.connect(servers["registry"])
    try:
        return conn.execute("SELECT ends_on FROM agreements WHERE id = ?", [AGREEMENT]).fetchone()[0]
    finally:
        conn.close()


def later_end(servers, days: int) -> str:
    """``days`` after the registry's end date of the agreement now: the renewal form takes only a later one, and the
    tests here change it in any order."""
    return str(date.fromisoformat(registry_end_date(servers)) + timedelta(days=days))


def publishes(log: Path) -> int:
    return log.read_text(errors="replace").count("registry.republish: published")


def test_an_edit_in_the_internal_face_reaches_the_public_face(servers):
    assert servers["first_public_end"] == "2029-08-31"  # the first publish, as tests/data/publish/registry.yml has it
    editor = logged_in(servers["internal"], EDITOR)
    ends_on = later_end(servers, 400)
    renewed = editor.submit(f"/-/agreements/{AGREEMENT}/renew", ends_on=ends_on)
    assert renewed.json()["ok"], renewed.text
    wait_for(lambda: public_end_date(servers["public_url"]) == ends_on, "the renewal on the public face")


def test_the_served_public_home_page_has_no_login_and_no_upkeep_list(servers):
    home = http_get(servers["public_url"] + "/", timeout=30)
    assert home.status_code == 200 and "Partners in a network" in home.text
    assert "/-/login" not in home.text and "Log in" not in home.text
    assert "Institutions that share a ROR id" not in home.text
    assert http_get(servers["public_url"] + "/-/login", timeout=30).status_code == 404


def test_a_load_from_a_shell_reaches_the_public_face(servers):
    folder = servers["folder"]
    command = [str(Path(sys.executable).parent / "registry"), "load", "--db", str(servers["registry"])]
    seed = folder / "renewal.yml"
    seed.write_text(
        "agreements:\n  - id: ex-lodz-erasmus\n    title: Erasmus agreement with Łódź (fictitious example)\n"
        "    kind: erasmus_iia\n    status: active\n    ends_on: '2033-01-31'\n", encoding="utf-8")
    subprocess.run([*command, str(seed)], check=True, capture_output=True)
    wait_for(lambda: public_end_date(servers["public_url"]) == "2033-01-31", "the loaded end date on the public face")


def test_a_burst_of_edits_makes_few_publishes_of_the_last_state(servers):
    editor = logged_in(servers["internal"], EDITOR)
    wait_for(lambda: not _pending(servers), "a quiet registry")
    before = publishes(servers["internal_log"])
    ends = [later_end(servers, 30 * month) for month in range(1, 9)]

    def renew(ends_on: str) -> bool:
        return editor.submit(f"/-/agreements/{AGREEMENT}/renew", ends_on=ends_on).json()["ok"]

    # One after another as fast as the form allows: at once, all but the first would be told the
    # agreement changed since they opened it (the version check), and rightly not saved.
    assert all(renew(ends_on) for ends_on in ends)
    wait_for(lambda: not _pending(servers), "the burst's last state on the public face")
    assert public_end_date(servers["public_url"]) in ends
    made = publishes(servers["internal_log"]) - before
    assert 1 <= made < len(ends)


def _pending(servers) -> bool:
    """Whether the public copy still lacks the registry's last end date."""
    return public_end_date(servers["public_url"]) != registry_end_date(servers)


def test_readers_never_see_a_half_written_copy(servers):
    """While copies are published one after another, every answer is whole and one of the published states."""
    folder, registry = servers["folder"], servers["registry"]
    ends = [f"2035-{month:02d}-28" for month in range(1, 6)]
    published = {public_end_date(servers["public_url"]), *ends}
    seen: list[tuple[int, str | None]] = []

    def read_until(last: str) -> None:
        with http_client(base_url=servers["public_url"], timeout=30) as client:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                answer = client.get(f"/public/agreements/{AGREEMENT}.json?_shape=objects")
                rows = answer.json().get("rows") if answer.status_code == 200 else None
                seen.append((answer.status_code, rows[0]["ends_on"] if rows else None))
                if seen[-1][1] == last:
                    return

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        readers = [pool.submit(read_until, ends[-1]) for _ in range(2)]
        for ends_on in ends:
            renew(registry, ends_on, folder)
            api.publish(registry, out=servers["public"])
        for reader in readers:
            reader.result()
    assert seen and all(status == 200 and end in published for status, end in seen), seen[:20]
    assert seen[-1][1] == ends[-1]


# --- several processes behind one port ----------------------------------------------------------------------


def test_two_workers_answer_and_both_serve_a_new_copy(tmp_path):
    registry = build_registry(tmp_path / "registry.db")
    public = tmp_path / "public.db"
    api.publish(registry, out=public)
    process, base = start_registry(["serve", "--public", str(public), "--workers", "2"], tmp_path / "workers.log")
    try:
        workers = _answering_workers(base, expect="2029-08-31")
        assert len(workers) == 2, workers
        renew(registry, "2036-03-31", tmp_path)
        api.publish(registry, out=public)
        assert _answering_workers(base, expect="2036-03-31") == workers
    finally:
        stop(process)


def _answering_workers(base: str, *, expect: str, want: int = 2, timeout: float = 90) -> set[str]:
    """Ask many times at once, each on a new connection, until ``want`` processes have answered
    with the end date ``expect``; the processes that did."""
    found: set[str] = set()
    # One client that keeps no connection: every request still opens a connection of its own (which
    # the kernel hands to either process), without a client (and its TLS context) made per request.
    client = http_client(base_url=base, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))

    def ask() -> tuple[str, str]:
        answer = client.get(f"/public/agreements/{AGREEMENT}.json?_shape=objects")
        return answer.headers["x-registry-worker"], answer.json()["rows"][0]["ends_on"]

    deadline = time.monotonic() + timeout
    with client, concurrent.futures.ThreadPoolExecutor(8) as pool:
        while len(found) < want and time.monotonic() < deadline:
            for worker, ends_on in pool.map(lambda _: ask(), range(16)):
                if ends_on == expect:
                    found.add(worker)
            if len(found) < want:
                time.sleep(0.2)  # a worker still starting or still on the old copy: ask again, without spinning
    return found
