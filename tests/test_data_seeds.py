"""The shipped seed data: the reference files and the fictitious example portfolio.

The examples are fixed data written for the date 2026-11-21, so the special cases are checked
against that date, not against the clock: 'expired but still active' stays true whenever the
tests run.
"""

from __future__ import annotations

import gzip
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from registry import examples
from registry.importers import seed
from registry.integrity import verify
from registry.models.core import AgreementKind, AgreementStatus

DATA = Path(__file__).resolve().parent.parent / "data"
SEED_DIRS = [DATA / "reference", DATA / "examples"]
TODAY = "2026-11-21"  # the date the example portfolio is written for
SIX_MONTHS_ON = "2027-05-21"
RECENT_YEARS = ("2023/2024", "2024/2025", "2025/2026")  # the three academic years before 2026/2027
MOBILITY_KINDS = ("student_exchange", "erasmus_iia", "staff_mobility", "clinical_placement")
EU_EEA = set(["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO"])
GDPR_ADEQUATE = set(["AD", "AR", "BR", "CA", "CH", "FO", "GB", "GG", "IL", "IM", "JE", "JP", "KR", "NZ", "US", "UY"])  # full or partial decisions
LEAST_DEVELOPED = {"UG", "ET", "RW", "TZ"}  # the UN LDCs that the examples use


def seed_paths() -> list[Path]:
    return seed.seed_files(SEED_DIRS)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    db = examples.fresh_registry(tmp_path_factory.mktemp("seeds") / "registry.db")
    seed.load(db, SEED_DIRS, actor="test")
    yield db
    db.conn.close()


def values(db, sql: str, *params) -> list:
    return [row[0] for row in db.conn.execute(sql, params)]


def test_every_seed_file_loads_into_a_fresh_registry_and_verifies(registry):
    assert verify(registry) == []
    assert registry["agreements"].count >= 60


def test_loading_the_seeds_again_changes_nothing(registry):
    plan = seed.load(registry, SEED_DIRS, actor="test", dry_run=True)
    assert plan.is_empty


@pytest.mark.parametrize("path", seed_paths(), ids=lambda p: str(p.relative_to(DATA)))
def test_every_file_says_where_its_facts_come_from(path):
    about = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["about"]
    assert {"title", "source_url", "retrieved_on", "licence", "note"} <= set(about)
    assert str(about["retrieved_on"]) == TODAY
    assert about["source_url"].startswith("https://")
    if path.parent.name == "examples" and path.name != "partner_institutions.yml":
        assert "FICTITIOUS" in about["note"]


def test_the_home_institution_is_lund_university(registry):
    home = list(registry.query("select * from institutions where is_home = 1"))
    assert len(home) == 1
    lund = home[0]
    assert (lund["id"], lund["local_name"], lund["acronym"], lund["country"], lund["city"]) == (
        "lund-university", "Lunds universitet", "LU", "SE", "Lund")
    assert (lund["ror"], lund["erasmus_code"], lund["schac"], lund["website"]) == ("012a77v79", "S  LUND01", "lu.se", "https://www.lu.se")
    assert lund["latitude"] == pytest.approx(55.706, abs=0.01) and lund["longitude"] == pytest.approx(13.193, abs=0.01)


@pytest.mark.parametrize(
    "network, members, strategic",
    [("eugloh", 9, True), ("leru", 23, False), ("u21", 28, False), ("u21-hsg", 17, True), ("game", 9, True)],
)
def test_networks_have_the_members_shipped(registry, network, members, strategic):
    row = registry["networks"].get(network)
    assert bool(row["strategic"]) is strategic
    assert row["source_url"].startswith("https://") and row["retrieved_on"] == TODAY
    assert registry["memberships"].count_where("network = ?", [network]) == members
    assert values(registry, "select 1 from memberships where network = ? and institution = 'lund-university'", network) == [1]


def test_hsg_members_are_u21_members(registry):
    assert values(registry, """select institution from memberships where network = 'u21-hsg'
                               except select institution from memberships where network = 'u21'""") == []


def test_network_members_carry_ror_ids_coordinates_and_websites(registry):
    rows = list(registry.query("""select distinct i.* from institutions i join memberships m on m.institution = i.id"""))
    assert len(rows) == 58
    for row in rows:
        assert row["ror"] and row["website"] and row["city"], row["id"]
        assert row["latitude"] is not None and row["longitude"] is not None, row["id"]
    assert registry["institutions"].get("lmu-munich")["local_name"] == "Ludwig-Maximilians-Universität München"
    assert "Københavns Universitet" in values(registry, "select name from institution_names where institution = 'university-of-copenhagen'")


def test_institutions_missing_from_the_ror_extract_keep_an_empty_ror(registry):
    missing = values(registry, "select id from institutions where ror is null and kind != 'municipality' order by id")
    assert missing == ["saint-petersburg-state-university", "university-of-antwerp"]


def test_programmes_span_three_cycles_with_names_in_both_languages(registry):
    rows = list(registry.query("select * from programmes"))
    assert len(rows) >= 10
    assert {r["cycle"] for r in rows} == {"first", "second", "third"}
    assert all(r["name_sv"] and r["name_en"] for r in rows)
    assert registry["programmes"].get("medicine")["name_sv"] == "Läkarprogrammet"
    # the action-plan checks need programmes that miss a goal
    assert values(registry, "select count(*) from programmes where mobility_window is null")[0] >= 2
    assert values(registry, "select count(*) from programmes where virtual_exchange = 0")[0] >= 2


def test_every_agreement_kind_and_status_is_present(registry):
    assert set(values(registry, "select distinct kind from agreements")) == {k.value for k in AgreementKind}
    assert set(values(registry, "select distinct status from agreements")) == {s.value for s in AgreementStatus}


def test_example_agreements_are_labelled_fictitious(registry):
    for agreement_id, title in registry.execute("select id, title from agreements").fetchall():
        assert agreement_id.startswith("ex-")
        assert title.endswith("(fictitious example)")


def test_flows_cover_three_academic_years_and_more(registry):
    years = set(values(registry, "select distinct academic_year from mobility_flows"))
    assert {"2022/2023", "2023/2024", "2024/2025", "2025/2026"} <= years


def test_terms_use_health_subject_codes_and_language_levels(registry):
    codes = set(values(registry, "select distinct j.value ->> 'isced_code' from mobility_terms, json_each(subject_areas) j"))
    assert {"0912", "0913", "0914", "0915", "0988"} <= codes
    levels = set(values(registry, "select distinct j.value ->> 'cefr_level' from mobility_terms, json_each(language_skills) j"))
    assert {"B1", "B2"} <= levels


# Each special case the checks and canned queries must find, as a query over the example
# registry that returns the agreements (or institutions) that show it.
SPECIAL_CASES = {
    "expired but still marked active": (
        "select id from agreements where status = 'active' and ends_on < :today", 2),
    "active and ending within six months": (
        "select id from agreements where status = 'active' and ends_on between :today and :six_months_on", 4),
    "student exchange without a teacher-mobility clause": (
        """select a.id from agreements a where a.status = 'active' and a.kind in ('student_exchange', 'erasmus_iia')
           and not exists (select 1 from mobility_terms t where t.agreement = a.id and t.category = 'staff_teaching')""", 10),
    "active mobility agreement with nobody going or coming in three years": (
        """select a.id from agreements a where a.status = 'active' and a.kind in ('student_exchange', 'erasmus_iia', 'staff_mobility', 'clinical_placement')
           and not exists (select 1 from mobility_flows f where f.agreement = a.id and f.participants > 0
                           and f.academic_year in ('2023/2024', '2024/2025', '2025/2026'))""", 3),
    "eight or more in, none out, in one year": (
        """select i.agreement from mobility_flows i join mobility_flows o
             on o.agreement = i.agreement and o.academic_year = i.academic_year and o.category = i.category
           where i.direction = 'incoming' and o.direction = 'outgoing' and i.participants >= 8 and o.participants = 0""", 1),
    "more people moved than places agreed": (
        """select distinct f.agreement from mobility_flows f
           where f.participants > (select sum(t.places_per_year) from mobility_terms t
                                   where t.agreement = f.agreement and t.direction = f.direction and t.category = f.category)""", 2),
    "doctoral double degree": (
        """select a.id from agreements a join degree_terms d on d.agreement = a.id
           where a.kind in ('double_degree', 'joint_phd') and d.cycle = 'third'""", 2),
    "joint degree": (
        "select a.id from agreements a join degree_terms d on d.agreement = a.id where a.kind = 'joint_degree' and d.kind = 'joint_degree'", 1),
    "clinical placement in force": ("select id from agreements where kind = 'clinical_placement' and status = 'active'", 2),
    "research memorandum": ("select id from agreements where kind = 'research'", 3),
    "active agreement with neither notice period nor exit clause": (
        "select id from agreements where status = 'active' and notice_months is null and coalesce(exit_clause, 0) = 0 "
        "and kind not in ('twin_town', 'municipal_cooperation')", 2),
    "confidential agreement": ("select id from agreements where confidential = 1", 1),
    "draft": ("select id from agreements where status = 'draft'", 2),
    "negotiating": ("select id from agreements where status = 'negotiating'", 2),
    "terminated": ("select id from agreements where status = 'terminated'", 2),
}


@pytest.mark.parametrize("case", SPECIAL_CASES, ids=lambda c: c.replace(" ", "-"))
def test_special_case_is_present(registry, case):
    sql, at_least = SPECIAL_CASES[case]
    found = values(registry, sql.replace(":today", f"'{TODAY}'").replace(":six_months_on", f"'{SIX_MONTHS_ON}'"))
    assert len(set(found)) >= at_least, (case, found)


def partner_rows(db, where: str = "1") -> list[dict]:
    return list(db.query(f"""select a.id, a.kind, a.status, a.personal_data, a.equitable_terms, i.id as partner, i.country
                              from agreements a join agreement_parties p on p.agreement = a.id
                              join institutions i on i.id = p.institution
                              where p.role = 'partner' and {where}"""))


def test_personal_data_goes_to_a_partner_outside_the_eea_without_adequacy(registry):
    rows = [r for r in partner_rows(registry, "a.personal_data = 1") if r["country"] not in EU_EEA | GDPR_ADEQUATE]
    assert {r["country"] for r in rows} >= {"UG", "ZA", "CN"}


def test_partners_that_due_diligence_must_flag(registry):
    rows = partner_rows(registry)
    by_partner = {(r["partner"], r["status"]) for r in rows}
    assert ("harbin-institute-of-technology", "negotiating") in by_partner  # ASPI: Seven Sons of National Defence
    assert ("beihang-university", "draft") in by_partner  # ASPI: Seven Sons of National Defence
    assert ("pavlov-first-spb-medical-university", "suspended") in by_partner
    assert len({r["partner"] for r in rows if r["country"] == "CN"}) >= 4
    ldc = [r for r in rows if r["country"] in LEAST_DEVELOPED and r["status"] == "active"]
    assert any(r["equitable_terms"] for r in ldc) and any(not r["equitable_terms"] for r in ldc)


def test_strategic_network_partners_with_and_without_active_agreements(registry):
    with_active = set(values(registry, """select distinct m.institution from memberships m join networks n on n.id = m.network
        join agreement_parties p on p.institution = m.institution join agreements a on a.id = p.agreement
        where n.strategic = 1 and a.status = 'active' and p.role = 'partner'"""))
    members = set(values(registry, "select m.institution from memberships m join networks n on n.id = m.network where n.strategic = 1"))
    assert len(with_active) >= 10
    assert len(members - with_active - {"lund-university"}) >= 3


def test_the_city_of_lund_cooperates_with_hangzhou_coimbra_and_frederiksberg(registry):
    municipalities = set(values(registry, "select id from institutions where kind = 'municipality'"))
    assert {"city-of-lund", "city-of-hangzhou", "municipality-of-coimbra", "frederiksberg-municipality"} <= municipalities
    rows = list(registry.query("""select a.kind, home.institution as home, partner.institution as partner
        from agreements a join agreement_parties home on home.agreement = a.id and home.role = 'home'
        join agreement_parties partner on partner.agreement = a.id and partner.role = 'partner'
        where a.kind in ('municipal_cooperation', 'twin_town')"""))
    assert {r["home"] for r in rows} == {"city-of-lund"}
    cooperation = {r["partner"] for r in rows if r["kind"] == "municipal_cooperation"}
    assert cooperation == {"city-of-hangzhou", "municipality-of-coimbra", "frederiksberg-municipality"}
    assert any(r["kind"] == "twin_town" for r in rows)


def test_contacts_are_role_addresses_at_example_org(registry):
    rows = list(registry.query("select * from contacts"))
    assert len(rows) >= 10
    for row in rows:
        assert row["name"] is None and row["phone"] is None
        assert row["email"].endswith("@example.org") and row["role"]


def test_no_data_file_holds_an_address_outside_example_org():
    emails = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
    for path in sorted(DATA.rglob("*")):
        if path.is_file():
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            for address in emails.findall(raw.decode("utf-8")):
                assert address.endswith("@example.org"), (path, address)


def test_reviews_include_an_overdue_conditional_approval_and_an_approval(registry):
    overdue = values(registry, "select id from reviews where outcome = 'approved_with_conditions' and next_review_due < ?", TODAY)
    approved = values(registry, "select id from reviews where outcome = 'approved'")
    assert overdue and approved


def _derivation_module():
    path = Path(__file__).resolve().parent.parent / "tools" / "derive_network_members.py"
    spec = importlib.util.spec_from_file_location("derive_network_members", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_derived_files_match_the_derivation_script():
    module = _derivation_module()
    if not module.ROR_EXTRACT.exists():
        pytest.skip("needs the ROR extract in ../shared/reference/ror, which is not on this machine")
    for path, text in module.derive().items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is out of date: run tools/derive_network_members.py"
