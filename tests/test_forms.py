"""The internal face's forms over HTTP (Datasette's own client on the real registry file): each
saves the record under the login, keeps refused values with the field marked and the reason in
words, refuses a role without the right with the sentence saying who may, refuses a save over a
change made since the form was opened, and refuses a post without its CSRF token."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from match_fixtures import as_schema_v2, extract_records
from test_publish import build_registry

from registry import api, clock, faces, labels
from registry import db as store

PASSWORDS = {"eddie": "eddie-password-1", "vera": "vera-password-1", "rita": "rita-password-1"}
ROLES = {"eddie": "editor", "vera": "viewer", "rita": "reviewer"}
JARGON = ("Input should", "pydantic", "CHECK constraint", "FOREIGN KEY", "value_error", "IntegrityError", "Traceback")


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    path = build_registry(folder / "registry.db")
    for name, role in ROLES.items():
        api.user_add(name, role=role, password=PASSWORDS[name], db_path=path, actor="setup",
                     reviewer_role="legal_counsel" if name == "rita" else None)
    dump = folder / "ror.jsonl"  # two reference records (ROR, CC0) to add partners from
    dump.write_text("\n".join(json.dumps(as_schema_v2(r)) for r in extract_records({"040af2s02", "035b05819"})))
    api.reference_load(dump, path, actor="setup", progress=False)
    return path


@pytest.fixture(scope="module")
def internal(registry_file):
    return faces.internal_face(registry_file).datasette()


class Browser:
    """Datasette's test client with a cookie jar, a login and the CSRF token of the form it opened."""

    _sessions: dict = {}

    def __init__(self, datasette, user: str | None = None):
        self.ds, self.cookies = datasette, {}
        if user:
            self.login(user)

    def get(self, path):
        response = asyncio.run(self.ds.client.get(path, cookies=self.cookies))
        self.cookies.update(response.cookies)
        return response

    def login(self, user):
        key = (id(self.ds), user)
        if key not in self._sessions:
            token = csrf(self.get("/-/login"))
            response = asyncio.run(self.ds.client.post(
                "/-/login", data={"username": user, "password": PASSWORDS[user], "csrftoken": token}, cookies=self.cookies))
            assert response.status_code == 302, response.text
            self._sessions[key] = {**self.cookies, "registry_session": response.cookies["registry_session"]}
        self.cookies.update(self._sessions[key])

    def post(self, path, fields, *, form=None):
        """Post ``fields`` over the values the form showed (as a browser sends them), with its token."""
        form = form if form is not None else self.get(path)
        data = {**shown_values(form.text), **fields}
        if "csrftoken" not in data:
            data["csrftoken"] = csrf(form)
        body = [(name, v) for name, value in data.items() if value is not None
                for v in (value if isinstance(value, list) else [value])]
        response = asyncio.run(self.ds.client.request("POST", path, content=_encode(body), cookies=self.cookies,
                                                       headers={"content-type": "application/x-www-form-urlencoded"}))
        self.cookies.update(response.cookies)
        return response


def _encode(pairs) -> bytes:
    import urllib.parse

    return urllib.parse.urlencode(pairs).encode()


def csrf(response) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', response.text).group(1)


def shown_values(html: str) -> dict:
    """What a browser would post from the form as shown: inputs' values, selected options, checked boxes."""
    import html as entities

    values: dict = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        if not name or name[1] == "csrftoken" or kind == "submit":
            continue
        value = entities.unescape((re.search(r'value="([^"]*)"', tag) or [None, ""])[1])
        if kind in ("checkbox", "radio"):
            if " checked" in tag:
                values.setdefault(name[1], []).append(value)
            continue
        values[name[1]] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen[1] if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = entities.unescape(body)
    return values


def row(registry_file, sql, *args):
    conn = sqlite3.connect(registry_file)
    conn.row_factory = sqlite3.Row
    found = conn.execute(sql, args).fetchone()
    conn.close()
    return found


def last_change(registry_file, table, record_id):
    return row(registry_file, "SELECT actor, source, after FROM changes WHERE table_name = ? AND record_id = ? ORDER BY id DESC",
               table, record_id)


def marked(html: str, name: str) -> bool:
    return re.search(rf'<(?:input|select|textarea|fieldset)[^>]*id="f-{re.escape(name)}"[^>]*aria-invalid="true"', html) is not None \
        or re.search(rf'id="f-{re.escape(name)}"[^>]*aria-invalid="true"', html) is not None


def no_jargon(html: str) -> None:
    for word in JARGON:
        assert word not in html, f"{word!r} reached the page"


def years_on(years: int) -> str:
    today = clock.today()
    return today.replace(year=today.year + years, day=min(today.day, 28)).isoformat()


# --- a new agreement --------------------------------------------------------------------------------------


NEW_AGREEMENT = {
    "title": "Nursing exchange with Gothenburg (example)",
    "partner": "University of Gothenburg",
    "partner_unit": "Sahlgrenska Academy",
    "kind": "student_exchange",
    "status": "active",
    "programmes": ["nursing"],
    "outgoing.category": "student_studies",
    "outgoing.places_per_year": "2",
    "outgoing.months_per_place": "5",
    "outgoing.eqf_levels": ["6", "7"],
    "outgoing.subject_areas": "0913",
    "incoming.category": "student_traineeship",
    "incoming.places_per_year": "1",
    "incoming.language_skills": "en B2",
}


def test_a_new_agreement_is_saved_with_its_partner_programmes_and_terms(internal, registry_file):
    eddie = Browser(internal, "eddie")
    form = eddie.get("/-/agreements/new")
    assert form.status_code == 200 and "<select" in form.text and 'type="date"' in form.text
    assert "Student exchange" in form.text and "student_exchange</option>" not in form.text  # words, not codes
    assert "sql" not in form.text.lower().replace("nosql", "")
    starts, ends = clock.today().isoformat(), years_on(5)
    saved = eddie.post("/-/agreements/new", {**NEW_AGREEMENT, "starts_on": starts, "ends_on": ends, "reviewed_by": "mallory"})
    assert saved.status_code == 302, saved.text
    agreement_id = saved.headers["location"].rsplit("/", 1)[1]
    assert agreement_id == "nursing-exchange-with-gothenburg-example"
    stored = row(registry_file, "SELECT * FROM agreements WHERE id = ?", agreement_id)
    assert (stored["kind"], stored["status"], stored["starts_on"], stored["ends_on"]) == ("student_exchange", "active", starts, ends)
    parties = {(r[0], r[1], r[2]) for r in sqlite3.connect(registry_file).execute(
        "SELECT institution, role, unit FROM agreement_parties WHERE agreement = ?", [agreement_id])}
    home = row(registry_file, "SELECT id FROM institutions WHERE is_home = 1")[0]
    assert parties == {(home, "home", None), ("university-of-gothenburg", "partner", "Sahlgrenska Academy")}
    terms = sqlite3.connect(registry_file).execute(
        "SELECT direction, category, places_per_year, eqf_levels, subject_areas, language_skills FROM mobility_terms "
        "WHERE agreement = ? ORDER BY term_no", [agreement_id]).fetchall()
    assert [t[:3] for t in terms] == [("outgoing", "student_studies", 2), ("incoming", "student_traineeship", 1)]
    assert json.loads(terms[0][3]) == [6, 7] and json.loads(terms[0][4])[0]["isced_code"] == "0913"
    assert json.loads(terms[1][5]) == [{"language": "en", "cefr_level": "B2", "isced_code": None}]
    assert row(registry_file, "SELECT programme FROM agreement_programmes WHERE agreement = ?", agreement_id)[0] == "nursing"
    logged = last_change(registry_file, "agreements", agreement_id)
    assert (logged["actor"], logged["source"]) == ("eddie", "datasette: agreement_new")
    page = eddie.get(saved.headers["location"])
    assert page.status_code == 200 and "The agreement is saved." in page.text


def test_a_refused_new_agreement_keeps_the_values_and_marks_the_fields(internal, registry_file):
    eddie = Browser(internal, "eddie")
    before = row(registry_file, "SELECT count(*) FROM agreements")[0]
    refused = eddie.post("/-/agreements/new", {**NEW_AGREEMENT, "title": "Refused example", "starts_on": "2027-09-01",
                                               "ends_on": "2026-01-31", "outgoing.places_per_year": "two"})
    assert refused.status_code == 400
    no_jargon(refused.text)
    assert marked(refused.text, "ends_on") and marked(refused.text, "outgoing.places_per_year")
    assert "End date (2026-01-31) is before Start date (2027-09-01)." in refused.text
    assert "Places per year must be a whole number." in refused.text
    values = shown_values(refused.text)
    assert (values["title"], values["outgoing.places_per_year"], values["partner_unit"]) == ("Refused example", "two",
                                                                                            "Sahlgrenska Academy")
    assert values["outgoing.eqf_levels"] == ["6", "7"] and values["programmes"] == ["nursing"]
    assert row(registry_file, "SELECT count(*) FROM agreements")[0] == before


def test_a_new_record_never_overwrites_one_saved_meanwhile_under_its_key(registry_file):
    from registry import editing
    from registry.models import Contact

    db = store.connect(registry_file)
    first = Contact(id="example-race", institution="university-of-lodz", role="first")
    editing.save(db, [first], actor="eddie", source="test", new=True)
    with pytest.raises(editing.Taken):
        editing.save(db, [first.model_copy(update={"role": "second"})], actor="rita", source="test", new=True)
    assert row(registry_file, "SELECT role FROM contacts WHERE id = 'example-race'")[0] == "first"


def test_a_partner_name_that_names_nobody_sends_to_the_reference_registry(internal):
    refused = Browser(internal, "eddie").post("/-/agreements/new", {**NEW_AGREEMENT, "partner": "Zzyzx Institute of Nothing"})
    assert refused.status_code == 400 and marked(refused.text, "partner")
    assert "No partner of that name is in the registry" in refused.text


def test_the_picker_suggests_partners_by_any_of_their_names(internal):
    found = Browser(internal, "eddie").get("/-/forms/partners.json?q=lodz").json()
    assert [item["id"] for item in found] == ["university-of-lodz"]
    assert Browser(internal).get("/-/forms/partners.json?q=lodz").status_code == 403


# --- changing an agreement ----------------------------------------------------------------------------------


def test_renewal_proposes_the_next_end_date_and_is_logged_under_the_login(internal, registry_file):
    eddie = Browser(internal, "eddie")
    stored = row(registry_file, "SELECT starts_on, ends_on FROM agreements WHERE id = 'ex-gu-student-exchange'")
    form = eddie.get("/-/agreements/ex-gu-student-exchange/renew")
    assert form.status_code == 200 and stored["ends_on"] in form.text
    proposed = shown_values(form.text)["ends_on"]
    assert proposed > stored["ends_on"]
    saved = eddie.post("/-/agreements/ex-gu-student-exchange/renew", {"_actor_id": "mallory"}, form=form)
    assert saved.status_code == 302
    assert row(registry_file, "SELECT ends_on FROM agreements WHERE id = 'ex-gu-student-exchange'")[0] == proposed
    logged = last_change(registry_file, "agreements", "ex-gu-student-exchange")
    assert (logged["actor"], logged["source"]) == ("eddie", "datasette: agreement_renew")
    earlier = eddie.post("/-/agreements/ex-gu-student-exchange/renew", {"ends_on": stored["ends_on"]})
    assert earlier.status_code == 400 and marked(earlier.text, "ends_on") and "must be after the current one" in earlier.text


def test_the_second_of_two_savers_is_told_and_overwrites_nothing(internal, registry_file):
    first, second = Browser(internal, "eddie"), Browser(internal, "eddie")
    path = "/-/agreements/ex-lodz-erasmus/edit"
    opened_first, opened_second = first.get(path), second.get(path)
    assert first.post(path, {"notes": "Changed by the first"}, form=opened_first).status_code == 302
    refused = second.post(path, {"notes": "Changed by the second"}, form=opened_second)
    assert refused.status_code == 409
    assert "changed by eddie" in refused.text and "Nothing of yours was saved" in refused.text
    assert shown_values(refused.text)["notes"] == "Changed by the first"  # the current values
    assert row(registry_file, "SELECT notes FROM agreements WHERE id = 'ex-lodz-erasmus'")[0] == "Changed by the first"
    again = second.post(path, {"notes": "Changed by the second"}, form=refused)  # the new version: saved
    assert again.status_code == 302


def test_an_edit_keeps_what_the_form_does_not_show_and_refuses_a_broken_rule(internal, registry_file):
    eddie = Browser(internal, "eddie")
    parties = row(registry_file, "SELECT count(*) FROM agreement_parties WHERE agreement = 'ex-gu-student-exchange'")[0]
    refused = eddie.post("/-/agreements/ex-gu-student-exchange/edit", {"notice_months": "500", "document_url": "not a link"})
    assert refused.status_code == 400 and marked(refused.text, "notice_months") and marked(refused.text, "document_url")
    assert "Notice period (months) must be at most 120." in refused.text
    no_jargon(refused.text)
    saved = eddie.post("/-/agreements/ex-gu-student-exchange/edit", {"notice_months": "6", "coordinator": ""})
    assert saved.status_code == 302
    stored = row(registry_file, "SELECT notice_months, coordinator FROM agreements WHERE id = 'ex-gu-student-exchange'")
    assert tuple(stored) == (6, None)
    assert row(registry_file, "SELECT count(*) FROM agreement_parties WHERE agreement = 'ex-gu-student-exchange'")[0] == parties


def test_the_status_form_offers_only_the_allowed_statuses(internal, registry_file):
    eddie = Browser(internal, "eddie")
    form = eddie.get("/-/agreements/ex-lodz-erasmus/status")
    offered = re.findall(r'<option value="([a-z_]+)"', form.text)
    assert offered == ["suspended", "terminated"]  # not expired: its end date has not passed
    refused = eddie.post("/-/agreements/ex-lodz-erasmus/status", {"status": "draft"}, form=form)
    assert refused.status_code == 400 and marked(refused.text, "status") and "may become: Suspended, Terminated" in refused.text
    assert eddie.post("/-/agreements/ex-lodz-erasmus/status", {"status": "suspended"}).status_code == 302
    assert row(registry_file, "SELECT status FROM agreements WHERE id = 'ex-lodz-erasmus'")[0] == "suspended"
    assert last_change(registry_file, "agreements", "ex-lodz-erasmus")["actor"] == "eddie"


def test_forms_offer_codes_in_the_words_of_their_labels_in_either_language(internal, registry_file):
    """A select's options and a form's facts say a code as its enumeration's label (registry.labels),
    translated by the catalogue: no words of the forms' own."""
    from registry.models.core import MobilityCategory, Renewal

    eddie = Browser(internal, "eddie")
    english = eddie.get("/-/agreements/ex-lodz-erasmus/terms/new").text
    assert f'<option value="student_studies">{MobilityCategory.student_studies.label}</option>' in english
    assert MobilityCategory.student_studies.label == "Student mobility for studies"
    swedish = eddie.get("/-/agreements/ex-lodz-erasmus/terms/new?_lang=sv").text
    assert '<option value="student_studies">Studentmobilitet för studier</option>' in swedish
    edit = eddie.get("/-/agreements/ex-lodz-erasmus/edit?_lang=sv").text
    assert Renewal.by_agreement.label == "Renewed by agreement"
    assert re.search(r'<option value="by_agreement"[^>]*>Förnyas efter överenskommelse</option>', edit)
    current = row(registry_file, "SELECT status FROM agreements WHERE id = 'ex-lodz-erasmus'")[0]
    status = eddie.get("/-/agreements/ex-lodz-erasmus/status?_lang=sv").text
    assert f"<dd>{labels.label('agreement_status', current, 'sv')}</dd>" in status
    assert labels.label("agreement_status", "active", "sv") == "Gällande"


def test_terms_are_added_and_edited(internal, registry_file):
    eddie = Browser(internal, "eddie")
    path = "/-/agreements/ex-lodz-erasmus/terms/new"
    refused = eddie.post(path, {"category": "staff_teaching", "direction": "outgoing", "days_per_place": "400",
                                "first_academic_year": "2027/2029"})
    assert refused.status_code == 400 and marked(refused.text, "days_per_place") and marked(refused.text, "first_academic_year")
    no_jargon(refused.text)
    saved = eddie.post(path, {"category": "staff_teaching", "direction": "outgoing", "days_per_place": "5",
                              "places_per_year": "2", "first_academic_year": "2027/2028"})
    assert saved.status_code == 302
    rowid, term_no = row(registry_file, "SELECT rowid, term_no FROM mobility_terms WHERE agreement = 'ex-lodz-erasmus' "
                                        "AND category = 'staff_teaching'")
    edit = f"/-/agreements/ex-lodz-erasmus/terms/{rowid}/edit"
    form = eddie.get(edit)
    assert shown_values(form.text)["days_per_place"] == "5"
    assert eddie.post(edit, {"places_per_year": "3"}, form=form).status_code == 302
    assert row(registry_file, "SELECT places_per_year, term_no FROM mobility_terms WHERE rowid = ?", rowid)[:] == (3, term_no)
    assert eddie.post(edit, {"places_per_year": "4"}, form=form).status_code == 409  # opened before the last save
    removed = eddie.post(edit, {"_remove": "Remove this term"})
    assert removed.status_code == 302
    assert row(registry_file, "SELECT count(*) FROM mobility_terms WHERE rowid = ?", rowid)[0] == 0
    logged = row(registry_file, "SELECT actor, source, operation FROM changes WHERE table_name = 'mobility_terms' ORDER BY id DESC")
    assert tuple(logged) == ("eddie", "datasette: mobility_terms_remove", "delete")
    assert eddie.get("/-/agreements/ex-lodz-erasmus/terms/999999/edit").status_code == 404


def test_degree_terms_are_added_with_the_programme_chosen_from_a_list(internal, registry_file):
    eddie = Browser(internal, "eddie")
    path = "/-/agreements/ex-lodz-erasmus/degree-terms/new"
    form = eddie.get(path)
    assert '<option value="medicine">' in form.text and "Double degree" in form.text
    refused = eddie.post(path, {"kind": "double_degree", "cycle": "second", "students_per_year": "-1"}, form=form)
    assert refused.status_code == 400 and marked(refused.text, "students_per_year")
    assert eddie.post(path, {"kind": "double_degree", "cycle": "second", "home_programme": "medicine",
                             "students_per_year": "2"}, form=form).status_code == 302
    stored = row(registry_file, "SELECT rowid, kind, home_programme FROM degree_terms WHERE agreement = 'ex-lodz-erasmus'")
    assert tuple(stored)[1:] == ("double_degree", "medicine")
    edit = f"/-/agreements/ex-lodz-erasmus/degree-terms/{stored['rowid']}/edit"
    assert eddie.post(edit, {"students_per_year": "3"}).status_code == 302
    assert row(registry_file, "SELECT students_per_year FROM degree_terms WHERE rowid = ?", stored["rowid"])[0] == 3
    assert last_change(registry_file, "degree_terms", "ex-lodz-erasmus")["source"] == "datasette: degree_terms_edit"


def test_programme_links_are_set(internal, registry_file):
    eddie = Browser(internal, "eddie")
    path = "/-/agreements/ex-lodz-erasmus/programmes"
    assert eddie.post(path, {"programmes": ["medicine", "nursing"]}).status_code == 302
    linked = {r[0] for r in sqlite3.connect(registry_file).execute(
        "SELECT programme FROM agreement_programmes WHERE agreement = 'ex-lodz-erasmus'")}
    assert linked == {"medicine", "nursing"}
    assert eddie.post(path, {"programmes": ["nursing"]}).status_code == 302
    assert {r[0] for r in sqlite3.connect(registry_file).execute(
        "SELECT programme FROM agreement_programmes WHERE agreement = 'ex-lodz-erasmus'")} == {"nursing"}
    logged = last_change(registry_file, "agreement_programmes", "ex-lodz-erasmus")
    assert (logged["actor"], logged["source"]) == ("eddie", "datasette: agreement_programmes")


def test_a_contact_is_added_for_one_of_the_parties(internal, registry_file):
    eddie = Browser(internal, "eddie")
    path = "/-/agreements/ex-lodz-erasmus/contacts/new"
    refused = eddie.post(path, {"institution": "university-of-lodz", "role": "Erasmus office", "email": "not-an-address"})
    assert refused.status_code == 400 and marked(refused.text, "email")
    assert eddie.post(path, {"institution": "nowhere", "role": "x"}).status_code == 400
    saved = eddie.post(path, {"institution": "university-of-lodz", "role": "Erasmus office", "email": "erasmus@example.org"})
    assert saved.status_code == 302
    stored = row(registry_file, "SELECT id, agreement FROM contacts WHERE email = 'erasmus@example.org'")
    assert stored["agreement"] == "ex-lodz-erasmus"
    assert last_change(registry_file, "contacts", stored["id"])["actor"] == "eddie"
    edit = f"/-/contacts/{stored['id']}/edit"
    form = eddie.get(edit)
    assert shown_values(form.text)["email"] == "erasmus@example.org"
    assert eddie.post(edit, {"phone": "+48 42 635 40 00"}, form=form).status_code == 302
    assert row(registry_file, "SELECT phone, role FROM contacts WHERE id = ?", stored["id"])[:] == ("+48 42 635 40 00",
                                                                                                   "Erasmus office")
    assert eddie.post(edit, {"phone": "+48 42 000 00 00"}, form=form).status_code == 409  # opened before the last save
    assert eddie.post(edit, {"_remove": "Remove this contact"}).status_code == 302
    assert row(registry_file, "SELECT count(*) FROM contacts WHERE id = ?", stored["id"])[0] == 0


# --- partners -----------------------------------------------------------------------------------------------


def test_a_partner_is_added_from_the_reference_registry(internal, registry_file):
    eddie = Browser(internal, "eddie")
    found = eddie.get("/-/institutions/new?name=University+of+Helsinki")
    assert found.status_code == 200 and 'name="reference"' in found.text and "Helsinki" in found.text
    saved = eddie.post("/-/institutions/new", {"reference": "040af2s02", "name": "University of Helsinki"}, form=found)
    assert saved.status_code == 302, saved.text
    institution = saved.headers["location"].rsplit("/", 1)[1]
    stored = row(registry_file, "SELECT ror, country FROM institutions WHERE id = ?", institution)
    assert tuple(stored) == ("040af2s02", "FI")
    assert last_change(registry_file, "institutions", institution)["actor"] == "eddie"
    again = eddie.post("/-/institutions/new", {"reference": "040af2s02", "name": "University of Helsinki"}, form=found)
    assert again.status_code == 400 and "already in the registry" in again.text


def test_a_partner_is_edited_with_its_country_from_a_list(internal, registry_file):
    eddie = Browser(internal, "eddie")
    path = "/-/institutions/university-of-lodz/edit"
    form = eddie.get(path)
    assert '<option value="PL" selected>Poland</option>' in form.text
    refused = eddie.post(path, {"latitude": "123", "pic": "12"}, form=form)
    assert refused.status_code == 400 and marked(refused.text, "latitude") and marked(refused.text, "pic")
    no_jargon(refused.text)
    assert eddie.post(path, {"city": "Lodz"}, form=form).status_code == 302
    assert row(registry_file, "SELECT city FROM institutions WHERE id = 'university-of-lodz'")[0] == "Lodz"
    names = {r[0] for r in sqlite3.connect(registry_file).execute(
        "SELECT name FROM institution_names WHERE institution = 'university-of-lodz'")}
    assert "Uniwersytet Łódzki" in names


# --- decisions ------------------------------------------------------------------------------------------------


def test_a_review_is_recorded_under_the_reviewers_login_and_role(internal, registry_file):
    rita = Browser(internal, "rita")
    path = "/-/agreements/ex-lodz-erasmus/review"
    future = (clock.today() + timedelta(days=3)).isoformat()
    refused = rita.post(path, {"outcome": "approved", "reviewed_on": future})
    assert refused.status_code == 400 and marked(refused.text, "reviewed_on")
    assert "A review cannot be dated after today." in refused.text
    no_jargon(refused.text)
    saved = rita.post(path, {"outcome": "approved_with_conditions", "conditions": "Yearly report",
                             "funding_transparent": "yes", "reviewed_by": "mallory", "reviewer_role": "security_officer"})
    assert saved.status_code == 302
    stored = row(registry_file, "SELECT * FROM reviews WHERE agreement = 'ex-lodz-erasmus' ORDER BY rowid DESC")
    assert (stored["reviewed_by"], stored["reviewer_role"], stored["reviewed_on"]) == ("rita", "legal_counsel",
                                                                                    clock.today().isoformat())
    assert last_change(registry_file, "reviews", stored["id"])["actor"] == "rita"


def test_a_finding_is_waived_under_the_login(internal, registry_file):
    from checks.run import run_checks

    db = store.connect(registry_file)
    run_checks(db, actor="tests")
    finding = db.conn.execute("SELECT id FROM findings WHERE status = 'open' AND waiver IS NULL LIMIT 1").fetchone()[0]
    rita = Browser(internal, "rita")
    path = f"/-/findings/{finding}/waive"
    refused = rita.post(path, {"reason": "Board decision", "until": years_on(10)})
    assert refused.status_code == 400 and marked(refused.text, "until") and "at most 3 years" in refused.text
    saved = rita.post(path, {"reason": "Board decision", "until": years_on(1), "granted_by": "Head (forged)"})
    assert saved.status_code == 302
    waiver = db.conn.execute("SELECT id, granted_by FROM waivers WHERE finding = ?", [finding]).fetchone()
    assert waiver[1] == "rita"
    assert db.conn.execute("SELECT waiver FROM findings WHERE id = ?", [finding]).fetchone()[0] == waiver[0]


# --- who may -------------------------------------------------------------------------------------------------------


EDITOR_FORMS = ["/-/agreements/new", "/-/agreements/ex-lodz-erasmus/edit", "/-/agreements/ex-lodz-erasmus/renew",
                "/-/agreements/ex-lodz-erasmus/status", "/-/agreements/ex-lodz-erasmus/terms/new",
                "/-/agreements/ex-lodz-erasmus/programmes", "/-/agreements/ex-lodz-erasmus/contacts/new",
                "/-/institutions/new", "/-/institutions/university-of-lodz/edit"]
REVIEWER_FORMS = ["/-/agreements/ex-lodz-erasmus/review", "/-/institutions/university-of-lodz/review",
                  "/-/findings/AP01:agreements:ex-lodz-erasmus/waive"]


@pytest.mark.parametrize("user, path, sentence", [
    ("vera", "/-/agreements/new", "needs the editor role or the admin role; you are logged in as vera (viewer)"),
    *(("vera", path, "needs the editor role or the admin role") for path in EDITOR_FORMS[1:]),
    ("rita", "/-/institutions/university-of-lodz/edit", "needs the editor role or the admin role"),
    ("rita", "/-/agreements/new", "needs the editor role or the admin role"),
    *(("eddie", path, "needs the reviewer role or the admin role; you are logged in as eddie (editor)")
      for path in REVIEWER_FORMS),
])
def test_a_role_without_the_right_gets_403_with_who_may(internal, registry_file, user, path, sentence):
    browser = Browser(internal, user)
    opened = browser.get(path)
    assert opened.status_code == 403 and sentence in opened.text
    token = csrf(browser.get("/-/logout"))
    before = row(registry_file, "SELECT count(*) FROM changes")[0]
    posted = browser.post(path, {"ends_on": "2040-01-01", "outcome": "approved", "csrftoken": token}, form=opened)
    assert posted.status_code == 403 and sentence in posted.text
    assert row(registry_file, "SELECT count(*) FROM changes")[0] == before


@pytest.mark.parametrize("path, fields, check", [
    ("/-/agreements/ex-gu-student-exchange/renew", ({"ends_on": "2190-01-31"}, {"ends_on": "2191-01-31"}),
     "SELECT ends_on FROM agreements WHERE id = 'ex-gu-student-exchange'"),
    ("/-/agreements/ex-gu-student-exchange/status", ({"status": "suspended"}, {"status": "terminated"}),
     "SELECT status FROM agreements WHERE id = 'ex-gu-student-exchange'"),
    ("/-/agreements/ex-gu-student-exchange/programmes", ({"programmes": []}, {"programmes": ["nursing"]}),
     "SELECT group_concat(programme) FROM agreement_programmes WHERE agreement = 'ex-gu-student-exchange'"),
    ("/-/institutions/university-of-gothenburg/edit", ({"city": "Göteborg (first)"}, {"city": "Göteborg (second)"}),
     "SELECT city FROM institutions WHERE id = 'university-of-gothenburg'"),
])
def test_every_edit_form_refuses_the_second_of_two_savers(internal, registry_file, path, fields, check):
    first, second = Browser(internal, "eddie"), Browser(internal, "eddie")
    opened_first, opened_second = first.get(path), second.get(path)
    assert first.post(path, fields[0], form=opened_first).status_code == 302
    saved = row(registry_file, check)[0]
    refused = second.post(path, fields[1], form=opened_second)
    assert refused.status_code == 409 and "Nothing of yours was saved" in refused.text
    assert row(registry_file, check)[0] == saved


@pytest.mark.parametrize("path", ["/-/agreements/new", "/-/agreements/ex-lodz-erasmus/renew",
                                  "/-/institutions/university-of-lodz/edit"])
def test_a_post_with_a_forged_csrf_token_is_refused(internal, registry_file, path):
    eddie = Browser(internal, "eddie")
    before = row(registry_file, "SELECT count(*) FROM changes")[0]
    refused = eddie.post(path, {**NEW_AGREEMENT, "ends_on": "2045-01-01", "csrftoken": "forged"})
    assert refused.status_code == 403
    assert row(registry_file, "SELECT count(*) FROM changes")[0] == before


def test_a_post_without_its_csrf_token_is_refused(internal, registry_file):
    eddie = Browser(internal, "eddie")
    before = row(registry_file, "SELECT ends_on FROM agreements WHERE id = 'ex-lodz-erasmus'")[0]
    form = eddie.get("/-/agreements/ex-lodz-erasmus/renew")
    fields = {name: value for name, value in shown_values(form.text).items() if name != "csrftoken"}
    refused = asyncio.run(internal.client.post("/-/agreements/ex-lodz-erasmus/renew", data={**fields, "ends_on": "2045-01-01"},
                                               cookies=eddie.cookies))
    assert refused.status_code == 403
    assert row(registry_file, "SELECT ends_on FROM agreements WHERE id = 'ex-lodz-erasmus'")[0] == before


def test_anonymous_visitors_are_sent_to_the_login(internal):
    response = Browser(internal).get("/-/agreements/new")
    assert response.status_code == 302 and "/-/login" in response.headers["location"]


def test_the_forms_speak_swedish(internal):
    eddie = Browser(internal, "eddie")
    form = eddie.get("/-/agreements/ex-lodz-erasmus/renew?_lang=sv")
    assert "Förnya" in form.text and "Nytt slutdatum" in form.text
    partner = eddie.get("/-/institutions/university-of-lodz/edit?_lang=sv")
    assert '<option value="PL" selected>Polen</option>' in partner.text and "Ort" in partner.text
    refused = eddie.post("/-/institutions/university-of-lodz/edit?_lang=sv", {"latitude": "123"}, form=partner)
    assert "Latitud får vara högst 90." in refused.text


def test_unknown_records_are_404(internal):
    eddie = Browser(internal, "eddie")
    assert eddie.get("/-/agreements/no-such-agreement/edit").status_code == 404
    assert Browser(internal, "rita").get("/-/findings/NO01:institutions:nothing/waive").status_code == 404


def test_the_agreement_page_links_the_forms_the_role_may_use(internal):
    page = Browser(internal, "eddie").get("/registry/agreements/ex-gu-student-exchange")
    assert "/-/agreements/ex-gu-student-exchange/renew" in page.text and "/-/agreements/ex-gu-student-exchange/review" not in page.text
    page = Browser(internal, "rita").get("/registry/agreements/ex-gu-student-exchange")
    assert "/-/agreements/ex-gu-student-exchange/review" in page.text and "/renew" not in page.text


def test_proposed_end_runs_as_long_again():
    from registry.forms.agreement_pages import proposed_end

    assert proposed_end(date(2021, 9, 1), date(2026, 8, 31), date(2026, 12, 5)) == date(2031, 8, 31)
    assert proposed_end(None, None, date(2026, 12, 5)) == date(2027, 12, 5)
    assert proposed_end(date(2023, 3, 1), date(2024, 2, 29), date(2026, 12, 5)) == date(2025, 2, 28)
