"""The public copy: written by construction, nothing private in any table, search folds names."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import new_registry

from registry import db as store
from registry import examples
from registry.cli import cli
from registry.importers import seed
from registry.publish import PUBLIC_TABLES, publish

REGISTRY_YAML = Path(__file__).parent / "data" / "publish" / "registry.yml"
PRIVATE_TEXT = ("Internal note that stays internal.", "reviewer-note-internal-only", "Secretive Partner GmbH")


def build_registry(path: Path) -> Path:
    db = store.connect(new_registry(path))
    seed.load(db, [REGISTRY_YAML], actor="tests")
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    return build_registry(tmp_path_factory.mktemp("publish") / "registry.db")


@pytest.fixture(scope="module")
def public_file(registry_file: Path) -> Path:
    out = registry_file.with_name("public.db")
    publish(registry_file, out)
    return out


def every_cell(path: Path):
    """(table, text) for every cell of every table, FTS shadow tables included."""
    conn = sqlite3.connect(path)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                if isinstance(value, bytes):
                    yield table, value.decode("latin-1")
                elif value is not None:
                    yield table, str(value)
    conn.close()


def private_values(registry: Path) -> set[str]:
    conn = sqlite3.connect(registry)
    emails = {row[0] for row in conn.execute("SELECT email FROM contacts WHERE email IS NOT NULL")}
    confidential = {row[0] for row in conn.execute("SELECT id FROM agreements WHERE confidential = 1")}
    conn.close()
    assert emails and confidential, "the test registry must hold contacts and a confidential agreement"
    return emails | confidential | set(PRIVATE_TEXT)


def test_no_contact_email_or_confidential_agreement_anywhere_in_the_public_file(registry_file, public_file):
    secrets_ = private_values(registry_file)
    scanned_tables = set()
    for table, text in every_cell(public_file):
        scanned_tables.add(table)
        leaked = [s for s in secrets_ if s in text]
        assert not leaked, f"{leaked} found in table {table}"
    assert {"institutions_fts_content", "institutions_fts_data", "agreements_fts_content"} <= scanned_tables


def test_only_allow_listed_tables_are_published(public_file):
    conn = sqlite3.connect(public_file)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    views = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    record_tables = {name for name in names if not name.startswith(("institutions_fts", "agreements_fts", "sqlite_"))} - {"publication"}
    assert record_tables <= {entry.table for entry in PUBLIC_TABLES}
    assert not {"contacts", "reviews", "changes", "audit_context"} & names
    assert {"agreement_overview", "partner_overview"} <= views


def test_rows_are_minimised(public_file):
    conn = sqlite3.connect(public_file)
    agreements = dict(conn.execute("SELECT id, status FROM agreements"))
    assert agreements == {"ex-gu-student-exchange": "active", "ex-lodz-erasmus": "active"}  # no draft, no confidential
    assert conn.execute("SELECT count(*) FROM agreements WHERE notes IS NOT NULL OR document_url IS NOT NULL").fetchone()[0] == 0
    institutions = {row[0] for row in conn.execute("SELECT id FROM institutions")}
    # The partner of only a confidential agreement stays out; a partner of only a draft too.
    assert institutions == {"lund-university", "university-of-gothenburg", "university-of-lodz", "university-of-copenhagen"}
    assert conn.execute("SELECT count(*) FROM agreement_parties WHERE agreement NOT IN (SELECT id FROM agreements)").fetchone()[0] == 0
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, servable immutable


def test_no_trace_of_what_was_left_out_is_anywhere_in_the_file_s_bytes(registry_file, public_file):
    # The partner of only a confidential agreement is copied with every institution, then left
    # out once nothing public names it: its row must be overwritten, not merely freed.
    raw = public_file.read_bytes()
    for secret in ("Secretive Partner GmbH", "reviewer-note-internal-only", *private_values(registry_file)):
        assert secret.encode() not in raw, f"{secret!r} lingers in the file"
    conn = sqlite3.connect(public_file)
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0


def test_the_public_copy_is_readable_as_any_file_sqlite_makes(registry_file, tmp_path):
    # A web server running as another user reads it: the copy is not left owner-only, as the
    # temporary file it is built in would be.
    out = tmp_path / "public.db"
    publish(registry_file, out)
    fresh = tmp_path / "fresh.db"
    sqlite3.connect(fresh).execute("CREATE TABLE t (x)").connection.close()
    assert out.stat().st_mode & 0o777 == fresh.stat().st_mode & 0o777


def test_the_public_copy_holds_every_constraint_of_the_schema(public_file):
    # The copy is written without re-checking the rows' CHECK constraints (the registry checked
    # them): integrity_check checks them all, and the file's structure.
    conn = sqlite3.connect(public_file)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    for table in ("agreements_fts", "institutions_fts"):
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")


@pytest.mark.parametrize(
    "typed, expected",
    [("Goteborg", "university-of-gothenburg"), ("lodz", "university-of-lodz"), ("Łódź", "university-of-lodz"), ("kobenhavn", "university-of-copenhagen")],
)
def test_search_folds_names(public_file, typed, expected):
    from registry.plugins.registry_pages import fts_query

    conn = sqlite3.connect(public_file)
    found = [row[0] for row in conn.execute(
        "SELECT i.id FROM institutions_fts f JOIN institutions i ON i.rowid = f.rowid WHERE institutions_fts MATCH ?", [fts_query(typed)]
    )]
    assert found == [expected]


def test_publish_cli(registry_file, tmp_path):
    out = tmp_path / "copy.db"
    result = CliRunner().invoke(cli, ["publish", "--db", str(registry_file), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"]["agreements"] == 2 and report["withheld"]["agreements"] == 2
    assert CliRunner().invoke(cli, ["publish", "--db", str(tmp_path / "missing.db")]).exit_code == 2
    same = CliRunner().invoke(cli, ["publish", "--db", str(registry_file), "--out", str(registry_file)])
    assert same.exit_code == 2 and "new file" in same.output


@pytest.mark.skipif(not (examples.DATA_DIR / "examples").is_dir(), reason="the example portfolio (data/examples) is not in this checkout")
def test_the_demos_public_copy_holds_nothing_private(demo_copy, tmp_path):
    registry_file = demo_copy  # the demo's publishing step wrote public.db beside it
    assert examples.is_demo_registry(registry_file)  # so the next demo may replace it
    public_file = tmp_path / "public.db"
    secrets_ = private_values(registry_file) - set(PRIVATE_TEXT)
    for table, text in every_cell(public_file):
        leaked = [s for s in secrets_ if s in text]
        assert not leaked, f"{leaked} found in table {table}"
    conn = sqlite3.connect(public_file)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert not {"findings", "waivers", "check_runs", "incoming_placements", "admission_checklist", "contacts", "reviews"} & names
    assert {"opportunities", "opportunity_catalogue"} <= names
    for (view,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
        conn.execute(f'SELECT * FROM "{view}" LIMIT 1').fetchall()  # every view it keeps runs
    # Partners named only by a confidential, draft or negotiating agreement (or by nothing) are not listed.
    published = {row[0] for row in conn.execute("SELECT id FROM institutions WHERE is_home = 0")}
    assert not {"harbin-institute-of-technology", "beihang-university", "peking-university", "mbarara-university",
                "university-of-oslo"} & published
    source = sqlite3.connect(registry_file)
    named_publicly = {row[0] for row in source.execute(
        """SELECT institution FROM memberships
           UNION SELECT p.institution FROM agreement_parties p JOIN agreements a ON a.id = p.agreement
                 WHERE a.confidential = 0 AND a.status NOT IN ('draft', 'negotiating')
           UNION SELECT d.institution FROM opportunity_destinations d LEFT JOIN agreements a ON a.id = d.agreement
                 WHERE d.institution IS NOT NULL AND (d.agreement IS NULL OR (a.confidential = 0 AND a.status NOT IN ('draft', 'negotiating')))""")}
    home = {row[0] for row in source.execute("SELECT id FROM institutions WHERE is_home = 1")}
    assert published == named_publicly - home
    everyone = source.execute("SELECT count(*) FROM institutions WHERE is_home = 0").fetchone()[0]
    assert len(published) <= everyone - 5
    # Nothing in the copy names an institution left out: its names went with it (the only rows
    # looked at again once institutions are left out), and nothing else named it to begin with.
    kept = published | home
    for table, column in (("institution_names", "institution"), ("memberships", "institution"),
                          ("agreement_parties", "institution"), ("opportunity_destinations", "institution")):
        assert {row[0] for row in conn.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")} <= kept, table


def test_publish_replaces_only_its_own_copies(registry_file, tmp_path):
    registry_copy = tmp_path / "other-registry.db"
    registry_copy.write_bytes(registry_file.read_bytes())
    notes = tmp_path / "notes.db"
    notes.write_text("not a database")
    lookalike = tmp_path / "lookalike.db"
    conn = sqlite3.connect(lookalike)
    conn.executescript("CREATE TABLE publication (id INTEGER); CREATE TABLE contacts (email TEXT);")
    conn.close()
    for existing in (registry_copy, notes, lookalike):
        before = existing.read_bytes()
        result = CliRunner().invoke(cli, ["publish", "--db", str(registry_file), "--out", str(existing)])
        assert result.exit_code == 2 and "is not a public copy" in result.output and "--force" in result.output
        assert existing.read_bytes() == before, f"{existing.name} was changed"
    # its own earlier copy is replaced without asking; anything else with --force
    copy_ = tmp_path / "public.db"
    for _ in range(2):
        assert CliRunner().invoke(cli, ["publish", "--db", str(registry_file), "--out", str(copy_)]).exit_code == 0
    forced = CliRunner().invoke(cli, ["publish", "--db", str(registry_file), "--out", str(notes), "--force"])
    assert forced.exit_code == 0, forced.output
    assert sqlite3.connect(notes).execute("SELECT count(*) FROM agreements").fetchone()[0] == 2
    folder = CliRunner().invoke(cli, ["publish", "--db", str(registry_file), "--out", str(tmp_path)])
    assert folder.exit_code == 2 and "is a folder" in folder.output


def test_demo_builds_only_over_a_demo(registry_file, tmp_path):
    registry_copy = tmp_path / "registry.db"
    registry_copy.write_bytes(registry_file.read_bytes())
    notes = tmp_path / "notes.db"
    notes.write_text("my notes")
    for existing in (registry_copy, notes):
        before = existing.read_bytes()
        result = CliRunner().invoke(cli, ["demo", "--db", str(existing), "--no-serve"])
        assert result.exit_code == 2 and "is not a demo registry" in result.output, result.output
        assert existing.read_bytes() == before
        assert not (tmp_path / "public.db").exists()
    empty = tmp_path / "empty.db"
    store.ensure_schema(store.connect(empty))
    assert examples.is_demo_registry(empty)  # nothing in it to lose: a demo build that stopped
    assert not examples.is_demo_registry(registry_copy)
