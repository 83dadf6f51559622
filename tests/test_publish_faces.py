"""The two faces in Datasette: login required internally (raw SQL too), edits logged with the
logged-in actor and refused when invalid, and the public copy read-only with its limits."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import threading
import urllib.parse
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_registry
from test_publish import build_registry

from registry import clock, faces
from registry import db as store
from registry.cli import cli
from registry.publish import publish

PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2"}


@pytest.fixture(scope="module")
def accounts():
    hashes = {f"{faces.ACCOUNT_PREFIX}{user.upper()}": faces.hash_password(pw) for user, pw in PASSWORDS.items()}
    saved = {name: os.environ.get(name) for name in hashes}
    os.environ.update(hashes)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def registry_template(tmp_path_factory) -> Path:
    """Never opened: the module's registry and each writing test's own registry are copies of it."""
    return build_registry(tmp_path_factory.mktemp("faces") / "registry.db")


@pytest.fixture(scope="module")
def registry_file(registry_template, tmp_path_factory) -> Path:
    return copy_registry(registry_template, tmp_path_factory.mktemp("faces-shared") / "registry.db")


class Browser:
    """Datasette's test client with a cookie jar, a login and the CSRF dance of a form."""

    def __init__(self, datasette):
        self.ds, self.cookies = datasette, {}

    def get(self, path):
        response = asyncio.run(self.ds.client.get(path, cookies=self.cookies))
        self.cookies.update(response.cookies)
        return response

    _signed_in: dict = {}  # (datasette, user) -> cookie: a login costs a deliberately slow hash

    def login(self, user):
        key = (id(self.ds), user)
        if key not in self._signed_in:
            form = self.get("/-/login")
            token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
            response = asyncio.run(self.ds.client.post(
                "/-/login", data={"username": user, "password": PASSWORDS[user], "csrftoken": token}, cookies=self.cookies))
            assert response.status_code == 302, response.text
            self._signed_in[key] = {**self.cookies, "registry_session": response.cookies["registry_session"]}
        self.cookies.update(self._signed_in[key])
        return self

    def submit(self, path, **fields):
        """Fill in the form at path as a person would: the fields given, the version the form showed."""
        form = self.get(path)
        token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
        shown = dict(re.findall(r'name="(_version)" value="([^"]+)"', form.text))
        response = asyncio.run(
            self.ds.client.post(
                path, data={**shown, **fields, "csrftoken": token}, cookies=self.cookies, headers={"accept": "application/json"}
            )
        )
        return response.json()


@pytest.fixture(scope="module")
def internal(accounts, registry_file):
    return faces.internal_face(registry_file).datasette()


@pytest.fixture
def own_registry_file(registry_template, tmp_path) -> Path:
    """This test's own copy of the module's registry, for a test that writes: what it changes reaches no other test."""
    return copy_registry(registry_template, tmp_path / "registry.db")


@pytest.fixture
def own_internal(accounts, own_registry_file):
    return faces.internal_face(own_registry_file).datasette()


ANONYMOUS_PATHS = [
    "/",
    "/registry",
    "/registry/contacts",
    "/registry/contacts.json",
    "/registry/institutions/university-of-lodz",
    "/registry.json?sql=select+email+from+contacts",
    "/registry?sql=select+email+from+contacts",
    "/registry/expiring.json?months=12",
    "/-/agreements/ex-lodz-erasmus/renew",
    "/-/agreements/new",
    "/-/search?q=lodz",
    "/-/dashboards/portfolio",
    "/-/metadata.json",
    "/-/databases.json",
    "/registry.db",
]


@pytest.mark.parametrize("path", ANONYMOUS_PATHS)
def test_anonymous_visitors_get_nothing(internal, path):
    response = Browser(internal).get(path)
    assert response.status_code in (302, 403), f"{path} answered {response.status_code}"
    if response.status_code == 302:
        assert urllib.parse.urlparse(response.headers["location"]).path.endswith("/-/login")
    assert "@example.org" not in response.text and "Łódź" not in response.text


def test_anonymous_write_is_refused(internal):
    response = asyncio.run(
        internal.client.post("/-/agreements/ex-lodz-erasmus/renew", data={"ends_on": "2040-01-01", "_actor_id": "eve"})
    )
    assert response.status_code in (302, 403)
    conn = sqlite3.connect(internal.get_database("registry").path)
    assert conn.execute("SELECT ends_on FROM agreements WHERE id = 'ex-lodz-erasmus'").fetchone()[0] == "2029-08-31"


def test_logged_in_sees_everything(internal):
    alice = Browser(internal).login("alice")
    home = alice.get("/")
    assert home.status_code == 200 and "New agreement" in home.text and "Agreements ending soon" in home.text
    assert "@example.org" in alice.get("/registry/contacts").text
    sql = alice.get("/registry.json?sql=select+email+from+contacts&_shape=array")
    assert sql.status_code == 200 and {row["email"] for row in sql.json()} == {"gu-office-role@example.org", "partnerships-role@example.org"}
    page = alice.get("/registry/institutions/university-of-lodz")
    assert "Uniwersytet Łódzki" in page.text and "Erasmus agreement with Łódź" in page.text
    assert "Due-diligence reviews" in page.text and "Due diligence reviewer" in page.text  # the role in words
    found = alice.get("/-/search?q=Goteborg")
    assert "University of Gothenburg" in found.text and "Student exchange with Gothenburg" in found.text
    agreement_page = alice.get("/registry/agreements/ex-lodz-erasmus").text
    assert 'class="registry-action"' in agreement_page and "/-/agreements/ex-lodz-erasmus/renew" in agreement_page


def test_wrong_password_is_refused(internal):
    browser = Browser(internal)
    token = re.search(r'name="csrftoken" value="([^"]+)"', browser.get("/-/login").text).group(1)
    response = asyncio.run(internal.client.post(
        "/-/login", data={"username": "alice", "password": "bob-secret-2", "csrftoken": token}, cookies=browser.cookies))
    assert response.status_code == 401 and "registry_session" not in response.cookies
    assert "Wrong name or password" in response.text


def audit(registry_file: Path, record_id: str):
    return store.history(store.connect(registry_file), record_id)


def test_renewal_is_logged_with_the_logged_in_actor(own_internal, own_registry_file):
    alice = Browser(own_internal).login("alice")
    result = alice.submit("/-/agreements/ex-gu-student-exchange/renew", ends_on="2100-06-30", _actor_id="mallory")
    assert result["ok"], result
    last = audit(own_registry_file, "ex-gu-student-exchange")[-1]
    assert (last["actor"], last["source"], last["after"]["ends_on"]) == ("alice", "datasette: agreement_renew", "2100-06-30")
    conn = sqlite3.connect(own_registry_file)
    assert conn.execute("SELECT actor, source FROM audit_context").fetchone() == (None, None)


@pytest.mark.parametrize(
    "form, fields, refusal",
    [
        ("agreements/ex-gu-student-exchange/edit", {"title": "Exchange", "kind": "student_exchange", "ends_on": "2031-02-30"},
         "End date must be a date (year-month-day)."),
        ("agreements/ex-gu-student-exchange/edit", {"title": "Exchange", "kind": "student_exchange", "ends_on": "1999-01-01"},
         "End date (1999-01-01) is before Start date"),
        ("agreements/ex-gu-student-exchange/renew", {"ends_on": "2000-01-01"}, "The new end date must be after the current one"),
        ("agreements/ex-gu-student-exchange/status", {"status": "paused"}, "may become: Suspended, Terminated"),
        ("institutions/university-of-lodz/review", {"outcome": "fine"}, "Outcome must be one of the choices offered."),
        ("institutions/university-of-lodz/review", {"outcome": ""}, "Outcome is required."),
    ],
)
def test_invalid_edits_are_refused_in_words(internal, registry_file, form, fields, refusal):
    subject = form.split("/")[1]
    before = len(store.history(store.connect(registry_file), subject))
    result = Browser(internal).login("bob").submit(f"/-/{form}", **fields)
    assert not result["ok"] and refusal in result["message"], result
    assert "CHECK constraint" not in result["message"] and "Input should" not in result["message"]
    assert len(store.history(store.connect(registry_file), subject)) == before


def test_status_change_and_review_are_logged(own_internal, own_registry_file):
    bob = Browser(own_internal).login("bob")
    assert bob.submit("/-/agreements/ex-lodz-erasmus/status", status="suspended")["ok"]
    assert audit(own_registry_file, "ex-lodz-erasmus")[-1]["actor"] == "bob"
    result = bob.submit(
        "/-/institutions/university-of-gothenburg/review", outcome="approved_with_conditions",
        reviewer_role="legal_counsel", conditions="Annual report on the exchange",
        next_review_due=str(clock.today() + timedelta(days=60)),
        funding_transparent="yes",
    )
    assert result["ok"], result
    conn = sqlite3.connect(own_registry_file)
    review_id, reviewed_on, role = conn.execute(
        "SELECT id, reviewed_on, reviewer_role FROM reviews WHERE institution = 'university-of-gothenburg'").fetchone()
    assert (reviewed_on, role) == (clock.today().isoformat(), "due_diligence_reviewer")  # the account's, not the form's
    logged = conn.execute("SELECT actor, source FROM changes WHERE table_name = 'reviews' AND row_key = ?", [review_id]).fetchone()
    assert logged == ("bob", "datasette: institution_review")


def test_concurrent_edits_keep_their_actors(own_internal, own_registry_file):
    """Two logged-in people and a command-line writer at once: every logged change names its own author."""
    alice, bob = Browser(own_internal).login("alice"), Browser(own_internal).login("bob")
    path = "/-/agreements/ex-gu-student-exchange/contacts/new"
    tokens = {}
    for person in (alice, bob):
        form = person.get(path)
        tokens[id(person)] = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)

    async def add_contact(person, number):
        response = await own_internal.client.post(
            path,
            data={"institution": "university-of-gothenburg", "role": f"Concurrent office {number}", "csrftoken": tokens[id(person)]},
            cookies=person.cookies, headers={"accept": "application/json"},
        )
        return response.json()["ok"]

    def command_line_writer():
        db = store.connect(own_registry_file)
        for month in range(1, 13):
            with store.transaction(db, actor="carol", source="cli"):
                db.conn.execute("UPDATE agreements SET ends_on = ? WHERE id = 'ex-lodz-erasmus'", [f"2102-{month:02d}-01"])

    async def many():
        return await asyncio.gather(*(add_contact(alice if number % 2 else bob, number) for number in range(1, 25)))

    writer = threading.Thread(target=command_line_writer)
    writer.start()
    results = asyncio.run(many())
    writer.join()
    assert all(results)
    conn = sqlite3.connect(own_registry_file)
    added = conn.execute("SELECT c.role, g.actor FROM contacts c JOIN changes g ON g.table_name = 'contacts' AND g.row_key = c.id "
                         "WHERE c.role LIKE 'Concurrent office %'").fetchall()
    assert len(added) == 24
    for role, actor in added:
        assert actor == ("alice" if int(role.rsplit(" ", 1)[1]) % 2 else "bob"), (role, actor)
    carol = [e for e in audit(own_registry_file, "ex-lodz-erasmus")
             if e["table_name"] == "agreements" and (e["after"] or {}).get("ends_on", "").startswith("2102-")]
    assert len(carol) == 12 and {e["actor"] for e in carol} == {"carol"}


# --- the public face ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def public(registry_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("public") / "public.db"
    publish(registry_file, out)
    return faces.public_face(out)


def test_public_face_is_immutable_and_limited(public):
    ds = public.datasette()
    assert not ds.get_database("public").is_mutable
    assert ds.setting("sql_time_limit_ms") == 1000 and ds.setting("max_returned_rows") == 1000
    queries = public.metadata["databases"]["public"]["queries"]
    assert "expiring" in queries and not any(q.get("write") for q in queries.values())
    assert "allow" not in public.metadata and "datasette-auth-passwords" not in public.metadata["plugins"]


def test_public_face_pages(public):
    ds, browser = public.datasette(), None
    browser = Browser(ds)
    home = browser.get("/")
    assert home.status_code == 200 and "Renew an agreement" not in home.text and "Agreements ending soon" in home.text
    page = browser.get("/public/institutions/university-of-lodz")
    assert page.status_code == 200 and "Erasmus agreement with Łódź" in page.text and "Due-diligence reviews" not in page.text
    assert "University of Łódź" in browser.get("/-/search?q=lodz").text
    assert browser.get("/public/contacts").status_code == 404
    assert browser.get("/-/agreements/ex-lodz-erasmus/renew").status_code == 404
    assert browser.get("/public.json?sql=select+count(*)+as+n+from+agreements&_shape=array").status_code == 403
    assert public.metadata["plugins"]["registry"]["allow_sql"] is False


# --- the command line --------------------------------------------------------------------


def test_serve_without_an_account_says_how_to_make_one(registry_file, monkeypatch):
    for name in list(os.environ):
        if name.startswith(faces.ACCOUNT_PREFIX):
            monkeypatch.delenv(name)
    result = CliRunner().invoke(cli, ["serve", "--db", str(registry_file)])
    assert result.exit_code == 2 and "registry hash-password" in result.output
    result = CliRunner().invoke(cli, ["serve", "--db", str(registry_file), "--no-auth", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "127.0.0.1" in result.output


def test_hash_password_makes_a_hash_the_login_accepts():
    from registry.passwords import verify_password

    result = CliRunner().invoke(cli, ["hash-password", "--stdin"], input="correct horse\n")
    assert result.exit_code == 0
    assert verify_password("correct horse", result.output.strip()) and not verify_password("wrong", result.output.strip())


def test_a_finding_is_waived_from_the_institution_page(own_internal, own_registry_file):
    from checks.run import run_checks

    db = store.connect(own_registry_file)
    run_checks(db, actor="tests")
    finding, subject = db.conn.execute(
        "SELECT id, subject_id FROM findings WHERE subject_table = 'institutions' AND status = 'open' AND waiver IS NULL LIMIT 1"
    ).fetchone()
    carol = Browser(own_internal).login("alice")
    page = carol.get(f"/registry/institutions/{subject}")
    waive = "/-/findings/" + urllib.parse.quote(finding, safe="") + "/waive"
    assert "Open findings" in page.text and waive in page.text
    until = str(clock.today() + timedelta(days=700))
    result = carol.submit(waive, reason="Accepted for the exchange pilot", until=until, granted_by="Head of Office (forged)")
    assert result["ok"], result
    waiver_id, reason, granted_by = db.conn.execute("SELECT id, reason, granted_by FROM waivers WHERE finding = ?", [finding]).fetchone()
    assert (reason, granted_by) == ("Accepted for the exchange pilot", "alice")
    assert db.conn.execute("SELECT waiver FROM findings WHERE id = ?", [finding]).fetchone()[0] == waiver_id
    logged = db.conn.execute("SELECT actor, source FROM changes WHERE table_name = 'waivers' AND row_key = ?", [waiver_id]).fetchone()
    assert logged == ("alice", "datasette: finding_waive")
    assert carol.get("/-/findings/NO01:institutions:nothing/waive").status_code == 404


def test_a_public_face_of_a_missing_copy_says_so_and_makes_no_file(tmp_path):
    missing = tmp_path / "public.db"
    with pytest.raises(FileNotFoundError, match="registry publish"):
        faces.public_face(missing)
    assert not missing.exists()  # SQLite would have made an empty copy there, to be served as one
