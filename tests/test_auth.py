"""Logins, sessions and roles of the internal face, against real `registry serve` processes:
throttled failures (per account and per client address), sessions that end at logout, at a new
password and at their hour, cookies HttpOnly/SameSite/Secure, and what each role may do."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from conftest import http_client, http_get, start_registry
from test_publish import build_registry

from registry import accounts, api, clock, passwords
from registry import db as store
from registry.plugins import registry_auth
from registry.throttle import LoginThrottle

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {"vera": "vera-password-1", "eddie": "eddie-password-1", "rita": "rita-password-1", "ada": "ada-password-01",
             "olga": "olga-password-1"}
ROLES = {"vera": "viewer", "eddie": "editor", "rita": "reviewer", "ada": "admin"}


def pbkdf2(password: str, salt: str = "0123456789abcdef", rounds: int = 1000) -> str:
    """A hash as 'registry hash-password' made them before argon2 (datasette-auth-passwords' form)."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), rounds)
    return f"pbkdf2_sha256${rounds}${salt}${base64.b64encode(digest).decode()}"


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    path = build_registry(tmp_path_factory.mktemp("auth") / "registry.db")
    for name, role in ROLES.items():
        api.user_add(name, role=role, password=PASSWORDS[name], db_path=path,
                     reviewer_role="legal_counsel" if name == "rita" else None, actor="setup")
    return path


def start(registry_file: Path, *options: str) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(accounts.HASH_PREFIX)}
    env[accounts.HASH_PREFIX + "OLGA"] = pbkdf2(PASSWORDS["olga"])  # an environment account with an old hash
    env[accounts.ROLE_PREFIX + "OLGA"] = "editor"
    log = registry_file.with_name(f"serve-{len(list(registry_file.parent.glob('serve-*.log')))}.log")
    return start_registry(["serve", "--db", str(registry_file), *options], log, env, ready="/-/login")


@pytest.fixture(scope="module")
def server(registry_file):
    """Behind a trusted proxy on 127.0.0.1, so each test can be another client (X-Forwarded-For)."""
    process, base = start(registry_file, "--trusted-proxy", "127.0.0.1", "--session-hours", "2")
    yield base
    process.terminate()
    process.wait(timeout=10)


class Client:
    """A browser: a cookie jar, a client address (as the proxy reports it), the CSRF dance of a form."""

    _addresses = iter(range(1, 250))

    def __init__(self, base: str, address: str | None = None):
        self.address = address or f"198.51.100.{next(self._addresses)}"
        self.http = http_client(base_url=base, headers={"x-forwarded-for": self.address}, timeout=30)

    def token(self, path: str) -> str:
        return re.search(r'name="csrftoken" value="([^"]+)"', self.http.get(path).text).group(1)

    def login(self, name: str, password: str | None = None) -> httpx.Response:
        token = self.token("/-/login")
        return self.http.post("/-/login", data={"username": name, "password": password or PASSWORDS[name], "csrftoken": token})

    def submit(self, path: str, **fields) -> httpx.Response:
        """Post a form with the session's CSRF token (from the logout page: a refused form has none) and
        the version of the record the form showed."""
        token = self.token("/-/logout")
        form = self.http.get(path)
        shown = dict(re.findall(r'<input type="hidden" name="(_version)" value="([^"]+)"', form.text))
        return self.http.post(path, data={**shown, **fields, "csrftoken": token}, headers={"accept": "application/json"})


def logged_in(base: str, name: str) -> Client:
    client = Client(base)
    assert client.login(name).status_code == 302
    return client


# --- logins and sessions ------------------------------------------------------------------------


def test_a_login_opens_a_session_with_a_safe_cookie(server, registry_file):
    client = Client(server)
    response = client.login("vera")
    assert response.status_code == 302 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("registry_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=7200" in cookie and "Secure" not in cookie
    assert "ds_actor" not in response.headers.get("set-cookie", "")
    home = client.http.get("/")
    assert home.status_code == 200 and "Log out (vera, Viewer)" in home.text
    created, expires, address = sqlite3.connect(registry_file).execute(
        "SELECT created_at, expires_at, client FROM sessions WHERE account = 'vera' ORDER BY created_at DESC").fetchone()
    assert address == client.address
    assert clock.datetime.fromisoformat(expires.replace("Z", "+00:00")) - clock.datetime.fromisoformat(
        created.replace("Z", "+00:00")) == timedelta(hours=2)


def test_a_forwarded_https_request_gets_a_secure_cookie(server):
    client = Client(server)
    client.http.headers["x-forwarded-proto"] = "https"
    assert "Secure" in client.login("vera").headers["set-cookie"]


def test_behind_https_every_session_cookie_is_secure(registry_file):
    process, base = start(registry_file, "--behind-https")
    try:
        response = Client(base).login("vera")
        assert response.status_code == 302 and "; Secure" in response.headers["set-cookie"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_logout_ends_the_session_for_good(server):
    client = logged_in(server, "vera")
    stolen = client.http.cookies["registry_session"]
    response = client.submit("/-/logout")
    assert response.status_code == 302 and "Max-Age=0" in response.headers["set-cookie"]
    replay = http_get(server + "/registry/contacts", cookies={"registry_session": stolen})
    assert replay.status_code == 302 and replay.headers["location"].startswith("/-/login")


def test_a_new_password_ends_every_session(server, registry_file):
    api.user_add("paul", role="viewer", password="paul-password-1", db_path=registry_file, actor="setup")
    client = Client(server)
    assert client.login("paul", "paul-password-1").status_code == 302
    assert client.http.get("/registry/contacts").status_code == 200
    changed = subprocess.run([str(Path(sys.executable).parent / "registry"), "user", "passwd", "paul", "--db", str(registry_file),
                              "--password-stdin"], input="paul-password-2\n", capture_output=True, text=True)
    assert changed.returncode == 0, changed.stderr
    assert client.http.get("/registry/contacts").status_code == 302
    assert Client(server).login("paul", "paul-password-1").status_code == 401
    assert Client(server).login("paul", "paul-password-2").status_code == 302


def test_an_expired_session_holds_no_more(server, registry_file):
    client = logged_in(server, "vera")
    token = client.http.cookies["registry_session"]
    conn = sqlite3.connect(registry_file)
    conn.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00Z' WHERE token_digest = ?", [passwords.digest(token)])
    conn.commit()
    assert client.http.get("/registry/contacts").status_code == 302


def test_an_environment_account_with_an_old_hash_logs_in_with_its_configured_role(server):
    client = logged_in(server, "olga")
    assert "Log out (olga, Editor)" in client.http.get("/").text


def test_an_old_hash_in_the_registry_becomes_argon2_at_the_next_login(server, registry_file):
    api.user_add("otto", role="viewer", password="otto-password-1", db_path=registry_file, actor="setup")
    conn = sqlite3.connect(registry_file)
    conn.execute("UPDATE account_passwords SET password_hash = ? WHERE account = 'otto'", [pbkdf2("otto-password-1")])
    conn.commit()
    assert Client(server).login("otto", "otto-password-1").status_code == 302
    assert conn.execute("SELECT password_hash FROM account_passwords WHERE account = 'otto'").fetchone()[0].startswith("$argon2id$")
    assert Client(server).login("otto", "otto-password-1").status_code == 302


# --- throttling --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tess", "nobody-at-all"])
def test_five_failures_lock_an_account_known_or_not(server, registry_file, name):
    if name == "tess":
        api.user_add(name, role="viewer", password="tess-password-1", db_path=registry_file, actor="setup")
        PASSWORDS[name] = "tess-password-1"
    for _ in range(5):
        assert Client(server).login(name, "wrong-password").status_code == 401
    locked = Client(server).login(name, PASSWORDS.get(name, "wrong-password"))
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 30
    assert "Too many failed logins: try again in a minute." in locked.text  # the first lock is a minute


def test_five_failures_from_one_address_lock_that_address(server):
    address = "203.0.113.77"
    for attempt in range(5):
        assert Client(server, address).login(f"guess-{attempt}", "wrong-password").status_code == 401
    assert Client(server, address).login("ada").status_code == 429
    assert Client(server).login("ada").status_code == 302


def test_an_unknown_name_costs_a_password_check_like_a_known_one(registry_file, monkeypatch):
    checked = []
    monkeypatch.setattr(passwords, "verify_password", lambda password, stored: checked.append(stored) or False)
    conn = store.connect(registry_file).conn
    assert registry_auth._check(conn, "nobody-at-all", "x") is None and checked == [passwords.dummy_hash()]
    assert registry_auth._check(conn, "vera", "x") is None and checked[-1].startswith("$argon2id$")


def test_the_lock_grows_with_each_lockout_and_ends():
    now = [0.0]
    throttle = LoginThrottle(limit=5, window=900, base_delay=60, max_delay=3600, timer=lambda: now[0])
    key = ("account", "x")
    for _ in range(5):
        throttle.failed(key)
    assert throttle.retry_after(key) == 60
    now[0] += 60
    assert throttle.retry_after(key) == 0
    throttle.failed(key)
    assert throttle.retry_after(key) == 120
    now[0] += 120
    throttle.failed(key)
    assert throttle.retry_after(key) == 240
    now[0] += 240 + 901
    throttle.failed(key)
    assert throttle.retry_after(key) == 0  # a quiet window: counted afresh
    throttle.succeeded(key)
    assert throttle.retry_after(key) == 0


# --- roles ---------------------------------------------------------------------------------------


def test_a_viewer_reads_everything_internal_and_changes_nothing(server, registry_file):
    vera = logged_in(server, "vera")
    assert "@example.org" in vera.http.get("/registry/contacts").text
    form = vera.http.get("/-/agreements/ex-lodz-erasmus/renew")
    assert form.status_code == 403 and "needs the editor role or the admin role; you are logged in as vera (viewer)" in form.text
    token = vera.token("/-/logout")  # a form she may open; the edit form itself is refused
    posted = vera.http.post("/-/agreements/ex-lodz-erasmus/renew", headers={"accept": "application/json"},
                            data={"ends_on": "2031-01-01", "csrftoken": token})
    assert posted.status_code == 403 and "editor role" in posted.json()["error"]
    home = vera.http.get("/")
    assert "Agreements ending soon" in home.text and "New agreement" not in home.text
    assert sqlite3.connect(registry_file).execute("SELECT ends_on FROM agreements WHERE id = 'ex-lodz-erasmus'").fetchone()[0] == "2029-08-31"


def test_no_account_reads_password_hashes_or_sessions(server):
    ada = logged_in(server, "ada")
    for path in ("/registry.json?sql=select+password_hash+from+account_passwords", "/registry.json?sql=select+*+from+sessions",
                 "/registry.json?sql=select+(select+group_concat(password_hash)+from+account_passwords)+as+x"):
        response = ada.http.get(path)
        assert "argon2" not in response.text and "pbkdf2" not in response.text and response.json()["ok"] is False
    assert ada.http.get("/registry/account_passwords").status_code == 403
    vera = logged_in(server, "vera")
    assert vera.http.get("/registry.db").status_code == 403
    assert vera.http.get("/registry/accounts").status_code == 403


def test_a_visitors_sql_cannot_make_a_value_of_a_gigabyte(server):
    # one function call is not interrupted by the time limit: the server would hold the whole value
    ada = logged_in(server, "ada")
    payload = ada.http.get("/registry.json?sql=select+length(randomblob(1000000000))+as+n").json()
    assert payload["ok"] is False and "too big" in payload["error"]
    payload = ada.http.get("/registry.json?sql=select+length(randomblob(1000000))+as+n").json()
    assert payload["ok"] is True and payload["rows"] == [[1000000]]


def test_an_editor_edits_and_a_reviewer_decides(server, registry_file):
    eddie, rita = logged_in(server, "eddie"), logged_in(server, "rita")
    renewed = eddie.submit("/-/agreements/ex-lodz-erasmus/renew", ends_on="2031-08-31")
    assert renewed.json()["ok"], renewed.text
    refused = eddie.submit("/-/institutions/university-of-lodz/review", outcome="approved")
    assert refused.status_code == 403 and "needs the reviewer role or the admin role" in refused.json()["error"]
    assert rita.submit("/-/agreements/ex-lodz-erasmus/renew", ends_on="2032-08-31").status_code == 403
    due = str(clock.today() + timedelta(days=365))
    review = rita.submit("/-/institutions/university-of-lodz/review", outcome="approved", next_review_due=due,
                         reviewer_role="head_of_international_office", reviewed_by="someone-else", _actor_id="mallory")
    assert review.json()["ok"], review.text
    conn = sqlite3.connect(registry_file)
    row = conn.execute("SELECT id, reviewer_role, reviewed_by FROM reviews WHERE institution = 'university-of-lodz' "
                       "AND next_review_due = ?", [due]).fetchone()
    assert row[1:] == ("legal_counsel", "rita")
    assert conn.execute("SELECT actor FROM changes WHERE table_name = 'reviews' AND row_key = ?", [row[0]]).fetchone() == ("rita",)
    last = store.history(store.connect(registry_file), "ex-lodz-erasmus")[-1]
    assert (last["actor"], last["after"]["ends_on"]) == ("eddie", "2031-08-31")


@pytest.mark.parametrize(
    "days, refusal",
    [
        ({"reviewed_on": 1}, "A review cannot be dated after today."),
        ({"next_review_due": 5 * 366}, "The next review is due at most 5 years"),
        ({"reviewed_on": -30, "next_review_due": -60}, "The next review is due after the review itself."),
    ],
)
def test_a_review_form_refuses_what_the_model_refuses(server, registry_file, days, refusal):
    fields = {name: str(clock.today() + timedelta(days=offset)) for name, offset in days.items()}
    before = sqlite3.connect(registry_file).execute("SELECT count(*) FROM reviews").fetchone()[0]
    result = logged_in(server, "rita").submit("/-/institutions/university-of-lodz/review", outcome="approved",
                                              **fields).json()
    assert not result["ok"] and refusal in result["message"]
    assert sqlite3.connect(registry_file).execute("SELECT count(*) FROM reviews").fetchone()[0] == before


def test_the_audit_log_holds_no_password_hash(registry_file):
    conn = sqlite3.connect(registry_file)
    logged = conn.execute("SELECT count(*) FROM changes WHERE table_name = 'accounts'").fetchone()[0]
    assert logged >= len(ROLES)
    assert conn.execute("SELECT count(*) FROM changes WHERE before LIKE '%argon2%' OR after LIKE '%argon2%' "
                        "OR before LIKE '%pbkdf2%' OR after LIKE '%pbkdf2%'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM changes WHERE table_name IN ('account_passwords', 'sessions')").fetchone()[0] == 0


def test_the_public_copy_has_no_accounts(registry_file, tmp_path):
    from registry.publish import publish

    out = tmp_path / "public.db"
    publish(registry_file, out)
    tables = {row[0] for row in sqlite3.connect(out).execute("SELECT name FROM sqlite_master")}
    assert not tables & {"accounts", "account_passwords", "sessions"}


# --- no other way in ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def in_process(registry_file):
    """The internal face in this process, with no trusted proxy."""
    from registry import faces

    return faces.internal_face(registry_file).datasette()


def test_a_signed_ds_actor_cookie_is_no_way_in(in_process):
    import asyncio

    forged = in_process.sign({"a": {"id": "ada", "role": "admin"}}, "actor")
    response = asyncio.run(in_process.client.get("/registry/contacts", cookies={"ds_actor": forged}))
    assert response.status_code == 302 and response.headers["location"].endswith("/-/login")


def test_a_forwarded_address_from_an_untrusted_client_counts_for_nothing(in_process):
    import asyncio

    async def attempt(address: str, name: str):
        form = await in_process.client.get("/-/login")
        token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
        return await in_process.client.post("/-/login", data={"username": name, "password": "wrong", "csrftoken": token},
                                            cookies=form.cookies, headers={"x-forwarded-for": address})

    statuses = [asyncio.run(attempt(f"192.0.2.{n}", f"someone-{n}")).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]  # one client, whatever it claims to forward
