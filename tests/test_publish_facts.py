"""The public copy, fact by fact: for generated registries with confidential, draft, negotiating,
terminated and active agreements, contacts, reviews, findings and incoming placements, the copy
holds exactly the institutions something public names, exactly the public agreements, counts
that count only those, and search rows only for those."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from conftest import new_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import clock
from registry import db as store
from registry.models import by_table
from registry.publish import publish

HOME = "home-university"
STATUSES = ("draft", "negotiating", "active", "suspended", "expired", "terminated")
PUBLIC_STATUSES = {"active", "suspended", "expired", "terminated"}
NETWORK = "test-network"
PROGRAMME = "medicine"


def institution_id(i: int) -> str:
    return f"partner-{i:02d}"


def institution_name(i: int) -> str:
    return f"Partner Zq{i:02d}x University"  # a token no other text contains


def agreement_title(k: int) -> str:
    return f"Agreement Tk{k:02d}x"


@dataclass(frozen=True)
class AgreementPlan:
    status: str
    confidential: bool
    partners: tuple[int, ...]
    with_terms: bool

    @property
    def public(self) -> bool:
        return self.status in PUBLIC_STATUSES and not self.confidential


@dataclass(frozen=True)
class Destination:
    institution: int | None  # None: a country
    agreement: int | None


@dataclass(frozen=True)
class RegistryPlan:
    institutions: int
    members: frozenset[int]
    agreements: tuple[AgreementPlan, ...]
    contacts: tuple[int, ...]
    reviews: tuple[int, ...]
    findings: tuple[int, ...]
    placements: tuple[int, ...]
    destinations: tuple[Destination, ...]

    def public_institutions(self) -> set[str]:
        named = set(self.members)
        for agreement in self.agreements:
            if agreement.public:
                named |= set(agreement.partners)
        for destination in self.destinations:
            if destination.institution is not None and (
                destination.agreement is None or self.agreements[destination.agreement].public
            ):
                named.add(destination.institution)
        return {HOME} | {institution_id(i) for i in named}


@st.composite
def registries(draw) -> RegistryPlan:
    # Up to 12 partners and 12 agreements: a publish costs about the same for a registry of two
    # agreements as for one of twelve (its fixed work is most of it), so each example tries up to
    # twelve agreements' mix of status, confidentiality and partners at once, and 20 examples
    # cover more mixes than 40 of up to six did.
    count = draw(st.integers(2, 12))
    index = st.integers(0, count - 1)
    agreements = tuple(
        draw(
            st.lists(
                st.builds(
                    AgreementPlan,
                    status=st.sampled_from(STATUSES),
                    confidential=st.booleans(),
                    partners=st.lists(index, min_size=1, max_size=2, unique=True).map(tuple),
                    with_terms=st.booleans(),
                ),
                max_size=12,
            )
        )
    )
    agreement_index = st.none() | (st.integers(0, len(agreements) - 1) if agreements else st.none())
    destinations = draw(st.lists(st.builds(Destination, institution=st.none() | index, agreement=agreement_index), max_size=6))
    # A destination's agreement is one its institution is party to, as the office records it.
    destinations = [
        d if d.agreement is None or (d.institution is not None and d.institution in agreements[d.agreement].partners)
        else Destination(d.institution, None)
        for d in destinations
    ]
    # One destination per place (an institution, or the country when none is named).
    destinations = tuple({d.institution: d for d in reversed(destinations)}.values())
    some = st.lists(index, max_size=4).map(tuple)
    return RegistryPlan(
        institutions=count,
        members=frozenset(draw(st.lists(index, max_size=4))),
        agreements=agreements,
        contacts=draw(some),
        reviews=draw(some),
        findings=draw(some),
        placements=draw(some),
        destinations=destinations,
    )


def records(plan: RegistryPlan) -> list:
    def make(table: str, **values):
        return by_table()[table].model_validate(values)

    found = [make("institutions", id=HOME, name="Home University", country="SE", is_home=True)]
    found += [make("institutions", id=institution_id(i), name=institution_name(i), country="NO") for i in range(plan.institutions)]
    found.append(make("networks", id=NETWORK, name="Test network", members=[
        {"institution": institution_id(i)} for i in sorted(plan.members)] + [{"institution": HOME}]))
    found.append(make("programmes", id=PROGRAMME, name_en="Medicine", name_sv="Läkarprogrammet", cycle="second"))
    for k, agreement in enumerate(plan.agreements):
        found.append(make(
            "agreements", id=f"agreement-{k:02d}", title=agreement_title(k), kind="student_exchange", status=agreement.status,
            confidential=agreement.confidential, starts_on="2024-01-01", ends_on="2029-12-31",
            parties=[{"institution": HOME, "role": "home"}] + [{"institution": institution_id(i)} for i in agreement.partners],
            programmes=[PROGRAMME],
            mobility_terms=[{"term_no": 1, "category": "student_studies", "direction": "outgoing", "places_per_year": 2}]
            if agreement.with_terms else [],
            flows=[{"academic_year": "2024/2025", "direction": "outgoing", "category": "student_studies", "participants": 3}]
            if agreement.with_terms else [],
        ))
    for n, i in enumerate(plan.contacts):
        found.append(make("contacts", id=f"contact-{n}", institution=institution_id(i), role="Exchange office",
                          email=f"secret-contact-{n}@example.org"))
    for n, i in enumerate(plan.reviews):
        found.append(make("reviews", id=f"review-{n}", institution=institution_id(i), reviewed_on=str(clock.today() - timedelta(days=30)),
                          reviewer_role="due_diligence_reviewer", outcome="rejected", notes=f"secret-review-note-{n}"))
    if plan.placements:
        found.append(make("placement_rounds", id="2027-spring", term="spring", year=2027, call_opens_on="2026-10-01"))
        found += [make("incoming_placements", id=f"applicant-{n}", round="2027-spring", home_institution=institution_id(i),
                       specialty="cardiology") for n, i in enumerate(plan.placements)]
    if plan.destinations:
        found.append(make("opportunities", id="elective", programme=PROGRAMME, title="Elective abroad", kind="elective",
                          study_year=5, weeks=4, destinations=[
                              {"institution": institution_id(d.institution), "agreement": None if d.agreement is None else f"agreement-{d.agreement:02d}"}
                              if d.institution is not None else {"country": "FI"}
                              for d in plan.destinations
                          ]))
    return found


def build(plan: RegistryPlan, directory: Path) -> Path:
    path = directory / "registry.db"
    for stale in directory.glob("*.db*"):
        stale.unlink()
    db = store.connect(new_registry(path))
    store.write_records(db, records(plan), actor="tests", source="generated")
    if plan.findings:
        with store.transaction(db, actor="tests", source="generated"):
            db.conn.execute(
                "INSERT INTO check_runs (id, started_at, seconds, as_of, checks, criteria_sha256, found, new, resolved, timings) "
                "VALUES ('run-1', '2026-12-05T10:00:00', 0, '2026-12-05', '[]', 'x', 0, 0, 0, '{}')"
            )
            for n, i in enumerate(plan.findings):
                db.conn.execute(
                    "INSERT INTO findings (id, code, family, severity, subject_table, subject_id, message, evidence, "
                    "first_seen, last_seen, first_run, last_run) VALUES (?, 'GRE10', 'GRE', 'high', 'institutions', ?, ?, '{}', "
                    "'2026-12-05', '2026-12-05', 'run-1', 'run-1')",
                    [f"finding-{n}", institution_id(i), f"secret-finding-{n}"],
                )
    db.conn.close()
    return path


def column(conn: sqlite3.Connection, sql: str) -> set:
    return {row[0] for row in conn.execute(sql)}


def every_text(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    tables = column(conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")
    found = [
        (table, value.decode("latin-1") if isinstance(value, bytes) else str(value))
        for table in tables for row in conn.execute(f'SELECT * FROM "{table}"') for value in row if value is not None
    ]
    conn.close()
    return found


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=registries())
def test_the_public_copy_holds_only_public_facts(plan: RegistryPlan, tmp_path: Path):
    source = build(plan, tmp_path)
    out = tmp_path / "public.db"
    publish(source, out)
    conn = sqlite3.connect(out)

    expected_institutions = plan.public_institutions()
    assert column(conn, "SELECT id FROM institutions") == expected_institutions
    public_agreements = {f"agreement-{k:02d}" for k, a in enumerate(plan.agreements) if a.public}
    assert column(conn, "SELECT id FROM agreements") == public_agreements
    for table in ("agreement_parties", "agreement_programmes", "mobility_terms", "mobility_flows"):
        assert column(conn, f"SELECT agreement FROM {table}") <= public_agreements, table
    assert column(conn, "SELECT institution FROM institution_names") == expected_institutions
    assert column(conn, "SELECT institution FROM opportunity_destinations WHERE institution IS NOT NULL") <= expected_institutions
    assert column(conn, "SELECT agreement FROM opportunity_destinations WHERE agreement IS NOT NULL") <= public_agreements
    # An opportunity whose every destination goes through an unpublished agreement is left out with them.
    offered = any(d.agreement is None or plan.agreements[d.agreement].public for d in plan.destinations)
    assert column(conn, "SELECT id FROM opportunities") == ({"elective"} if offered else set())

    # Counts: the home page's, and the overviews', count public things only.
    partners = conn.execute("SELECT count(*) FROM institutions WHERE is_home = 0").fetchone()[0]
    assert partners == len(expected_institutions) - 1
    active = {f"agreement-{k:02d}": a for k, a in enumerate(plan.agreements) if a.public and a.status == "active"}
    assert conn.execute("SELECT count(*) FROM agreements WHERE status = 'active'").fetchone()[0] == len(active)
    for partner, counted in conn.execute("SELECT id, active_agreements FROM partner_overview"):
        index = int(partner.split("-")[1])
        assert counted == sum(1 for a in active.values() if index in a.partners), partner
    assert column(conn, "SELECT id FROM agreement_overview") == public_agreements

    # Search rows: one per published record, and none that finds an unpublished one.
    assert conn.execute("SELECT count(*) FROM institutions_fts").fetchone()[0] == len(expected_institutions)
    assert conn.execute("SELECT count(*) FROM agreements_fts").fetchone()[0] == len(public_agreements)
    for i in range(plan.institutions):
        hits = conn.execute("SELECT count(*) FROM institutions_fts WHERE institutions_fts MATCH ?", [f'"zq{i:02d}x"']).fetchone()[0]
        assert hits == (institution_id(i) in expected_institutions), institution_id(i)

    # And no trace anywhere, shadow tables and statistics included.
    hidden = {institution_name(i) for i in range(plan.institutions) if institution_id(i) not in expected_institutions}
    hidden |= {f"Zq{i:02d}x" for i in range(plan.institutions) if institution_id(i) not in expected_institutions}
    hidden |= {agreement_title(k) for k, a in enumerate(plan.agreements) if not a.public}
    hidden |= {"secret-contact-", "secret-review-note-", "secret-finding-", "applicant-"}
    for table, text in every_text(out):
        assert not [h for h in hidden if h in text], f"{table}: {text!r}"
    tables = column(conn, "SELECT name FROM sqlite_master")
    assert not {"contacts", "reviews", "findings", "check_runs", "incoming_placements", "placement_rounds", "changes"} & tables
    conn.close()
