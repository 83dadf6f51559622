"""'registry migrate' makes anew only what changed (registry.db.migration_plan): on real files of
schemas 4 and 5 (a file of today's models taken back to that schema, object for object as the
release of that schema made it), and on files whose indexes, vocabulary or search index differ."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import db as store
from registry.db import migration_plan, migrations, upkeep
from registry.db.versions import SCHEMA_VERSION
from tests.conftest import copy_registry
from tests.test_migrations import changed_model, counts, migrate_file, run, schema_sql, with_column

# Schema 5 made findings.last_seen and last_run optional; schema 4 required them.
SCHEMA_4_FINDINGS = {
    '"last_seen" TEXT,': '"last_seen" TEXT NOT NULL,',
    '"last_run" TEXT,': '"last_run" TEXT NOT NULL,',
    """CHECK ("last_seen" IS NULL OR (date("last_seen", '+0 days') IS "last_seen"))""":
        """CHECK (date("last_seen", '+0 days') IS "last_seen")""",
    """CHECK ("last_run" IS NULL OR (length("last_run") BETWEEN 1 AND 128 AND "last_run" NOT GLOB '*[^a-z0-9._-]*' """
    """AND "last_run" NOT GLOB '[._-]*'))""":
        """CHECK (length("last_run") BETWEEN 1 AND 128 AND "last_run" NOT GLOB '*[^a-z0-9._-]*' AND "last_run" NOT GLOB '[._-]*')""",
}
# Schema 6 added a partial index of the virtual or blended mobility terms.
SCHEMA_6_INDEXES = ("idx_mobility_terms_agreement_where_virtual_blended",)
SEARCHES = ("medicine", "université", "frankreich", "pologne", "nursing", "erasmus")


def as_schema_5(path: Path) -> Path:
    """Take a file of this release back to schema 5: no partial index of the terms (as the
    benchmarks' file of schema 5, made by that release, has)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for name in SCHEMA_6_INDEXES:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("PRAGMA user_version = 5")
    conn.execute("COMMIT")
    conn.close()
    return path


def as_schema_4(path: Path) -> Path:
    """Take a file of schema 5 (empty findings) back to schema 4: without check_latest_runs and the
    findings_seen view, findings as schema 4 defined it. Compared object by object with the
    benchmarks' file of schema 4 (made by that release): the same SQL, nothing more or less."""
    as_schema_5(path)
    conn = sqlite3.connect(path, isolation_level=None)
    findings = upkeep.master(conn)[("table", "findings")]
    for new, old in SCHEMA_4_FINDINGS.items():
        assert new in findings, new
        findings = findings.replace(new, old)
    indexes = [sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' AND sql IS NOT NULL")]
    assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
    conn.execute("BEGIN")
    conn.execute("DROP VIEW findings_seen")
    conn.execute("DROP TABLE check_latest_runs")
    conn.execute("DROP TABLE findings")
    conn.execute(findings)
    for sql in indexes:
        conn.execute(sql)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("COMMIT")
    conn.close()
    return path


def roots(path: Path) -> dict[str, int]:
    """Table or index -> its root page: an object dropped and made anew gets a new one."""
    conn = sqlite3.connect(path)
    found = dict(conn.execute("SELECT name, rootpage FROM sqlite_master WHERE type IN ('table', 'index') AND rootpage > 0"))
    conn.close()
    return found


def search_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    found = {table: conn.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall() for table in ("agreements_fts", "institutions_fts")}
    found |= {word: conn.execute("SELECT a.id FROM agreements_fts f JOIN agreements a ON a.rowid = f.rowid "
                                 "WHERE agreements_fts MATCH ? ORDER BY a.id", [word]).fetchall() for word in SEARCHES}
    conn.close()
    return found


@pytest.fixture
def schema_4_file(synthetic_registry_file: Path, tmp_path: Path) -> Path:
    return as_schema_4(copy_registry(synthetic_registry_file, tmp_path / "registry.db"))


def test_schema_4_to_6_makes_only_the_new_table_the_changed_one_and_the_new_indexes_and_keeps_the_search_index(schema_4_file):
    before_roots, before_search, before_counts = roots(schema_4_file), search_rows(schema_4_file), counts(schema_4_file)
    assert sum(1 for rows in before_search.values() if rows) == len(before_search)  # every search finds something

    result = run("migrate", "--db", str(schema_4_file))
    assert result.exit_code == 0, result.output
    assert "  findings: rebuilt (0 row(s) carried over)" in result.output
    assert "  check_latest_runs: new table" in result.output
    made = next(line for line in result.output.splitlines() if line.startswith("  indexes made anew: "))
    assert set(made.removeprefix("  indexes made anew: ").split(", ")) == {
        "idx_check_latest_runs_run", "idx_findings_code", "idx_findings_severity", "idx_findings_subject_id",
        "idx_findings_status_severity_id", "idx_findings_first_run", "idx_findings_waiver", *SCHEMA_6_INDEXES}
    assert "  search index: kept as it was" in result.output

    after_roots = roots(schema_4_file)
    remade = {name for name, page in before_roots.items() if after_roots.get(name) != page}
    findings_indexes = {name for name in before_roots if name.startswith(("idx_findings_", "sqlite_autoindex_findings_"))}
    assert remade == {"findings"} | findings_indexes
    assert {"agreements_fts_data", "institutions_fts_data", "idx_agreements_status_ends_on_id_kind"} <= before_roots.keys() - remade
    assert search_rows(schema_4_file) == before_search
    assert counts(schema_4_file) == before_counts | {"check_latest_runs": 0}
    assert schema_sql(schema_4_file) == schema_sql(upkeep.reference())
    with closing(sqlite3.connect(schema_4_file)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert run("verify", "--db", str(schema_4_file)).exit_code == 0


def test_the_migration_says_what_it_made_analysed_and_checked(schema_4_file):
    result = migrate_file(schema_4_file)
    assert sorted((t.table, t.action) for t in result.tables) == [("check_latest_runs", "create"), ("findings", "rebuild")]
    assert result.search == []
    assert set(result.indexes) == {"idx_check_latest_runs_run", *SCHEMA_6_INDEXES} | {
        name for kind, name in upkeep.master(upkeep.reference()) if kind == "index" and name.startswith("idx_findings_")}
    assert set(result.analysed) == {"check_latest_runs", "findings", *SCHEMA_6_INDEXES}  # the others' statistics still hold
    # references checked: the tables written, and those referring to one of them; not the agreements
    assert {"findings", "check_latest_runs", "labels"} <= set(result.checked)
    assert not {"agreements", "agreement_parties", "institution_names", "mobility_terms"} & set(result.checked)
    assert result.as_dict()["indexes"] == result.indexes


def test_schema_5_to_6_makes_the_partial_index_and_nothing_else(synthetic_registry_file, tmp_path):
    path = as_schema_5(copy_registry(synthetic_registry_file, tmp_path / "registry.db"))
    conn = sqlite3.connect(path)  # some terms virtual or blended, so that the index holds rows
    conn.execute("UPDATE mobility_terms SET virtual = 1 WHERE rowid % 7 = 0")
    conn.execute("UPDATE mobility_terms SET blended = 1 WHERE rowid % 5 = 0")
    conn.commit()
    conn.close()
    before_roots, before_search, before_counts = roots(path), search_rows(path), counts(path)
    result = migrate_file(path)
    assert result.tables == [] and result.search == []
    assert result.indexes == list(SCHEMA_6_INDEXES) and result.analysed == list(SCHEMA_6_INDEXES)
    assert not {"mobility_terms", "agreements", "agreement_parties"} & set(result.checked)  # none of them written
    after_roots = roots(path)
    assert {name for name, page in before_roots.items() if after_roots.get(name) != page} == set()
    assert set(after_roots) - set(before_roots) == set(SCHEMA_6_INDEXES)
    assert search_rows(path) == before_search and counts(path) == before_counts
    assert schema_sql(path) == schema_sql(upkeep.reference())
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # the partial index holds the virtual or blended terms, and only those
    indexed = conn.execute("SELECT agreement, rowid FROM mobility_terms INDEXED BY idx_mobility_terms_agreement_where_virtual_blended "
                           "WHERE virtual = 1 OR blended = 1 ORDER BY 1, 2").fetchall()
    assert indexed and indexed == conn.execute("SELECT agreement, rowid FROM mobility_terms NOT INDEXED "
                                               "WHERE virtual = 1 OR blended = 1 ORDER BY 1, 2").fetchall()
    conn.close()


def test_a_changed_index_definition_is_made_anew_and_nothing_else(schema_4_file):
    migrate_file(schema_4_file)
    before_roots, before_search = roots(schema_4_file), search_rows(schema_4_file)

    def reorder(spec):
        return with_column(spec, "status", index_then=("kind", "ends_on", "id"))

    with changed_model("agreements", reorder):
        result = migrate_file(schema_4_file)
        assert schema_sql(schema_4_file) == schema_sql(upkeep.reference())
    assert result.tables == [] and result.search == []
    assert result.indexes == ["idx_agreements_status_kind_ends_on_id"]
    after_roots = roots(schema_4_file)
    assert "idx_agreements_status_ends_on_id_kind" not in after_roots  # no model declares it now
    assert {name for name, page in before_roots.items() if after_roots.get(name) != page} == {"idx_agreements_status_ends_on_id_kind"}
    assert result.analysed == ["idx_agreements_status_kind_ends_on_id"]
    assert search_rows(schema_4_file) == before_search


def test_an_index_defined_otherwise_in_the_file_is_made_anew_under_its_name(schema_4_file):
    migrate_file(schema_4_file)
    conn = sqlite3.connect(schema_4_file)
    conn.execute("DROP INDEX idx_agreements_kind_title_id")
    conn.execute('CREATE INDEX idx_agreements_kind_title_id ON agreements ("title")')
    conn.commit()
    conn.close()
    before_roots = roots(schema_4_file)
    result = migrate_file(schema_4_file)
    assert result.indexes == ["idx_agreements_kind_title_id"] and result.tables == [] and result.search == []
    after_roots = roots(schema_4_file)
    assert {name for name, page in before_roots.items() if after_roots[name] != page} == {"idx_agreements_kind_title_id"}
    with closing(sqlite3.connect(schema_4_file)) as conn:
        assert upkeep.drift(conn) == []


def test_a_rebuilt_table_the_search_reads_rebuilds_the_search_index_which_finds_the_same_rows(schema_4_file):
    migrate_file(schema_4_file)
    before = search_rows(schema_4_file)

    def widen(spec):
        return with_column(spec, "status", enum_values=(*spec.column("status").enum_values, "paused"))

    with changed_model("agreements", widen):
        result = migrate_file(schema_4_file)
    assert [t.table for t in result.tables] == ["agreements"]
    assert result.search == ["table agreements, which it reads, is made anew"]
    assert search_rows(schema_4_file) == before


def test_only_the_words_search_reads_make_the_index_stale(schema_4_file):
    migrate_file(schema_4_file)
    found = search_rows(schema_4_file)["frankreich"]
    assert found
    conn = sqlite3.connect(schema_4_file)
    conn.execute("UPDATE labels SET label = 'Elsewhere' WHERE vocabulary = 'country' AND value = 'FR'")
    conn.commit()
    assert migration_plan.plan(conn).search == []  # the views read labels; the search does not
    conn.execute("UPDATE labels SET words = 'gone' WHERE vocabulary = 'country' AND value = 'FR'")
    conn.commit()
    assert migration_plan.plan(conn).search == ["the vocabulary's search words differ"]
    conn.close()
    assert search_rows(schema_4_file)["frankreich"] == []  # the labels' triggers refreshed the rows with France's words
    result = migrate_file(schema_4_file)
    assert result.search == ["the vocabulary's search words differ"]
    assert search_rows(schema_4_file)["frankreich"] == found  # found by the words written back


def test_a_write_between_the_plan_and_the_migration_is_planned_for(schema_4_file, monkeypatch):
    """The plan is made before the backup, outside the write lock: if another connection writes
    meanwhile (here it takes rows out of the search index), the migration plans again under the lock."""
    expected = search_rows(schema_4_file)
    real_backup = migrations.backup

    def backup_after_another_write(*args, **kwargs):
        with closing(sqlite3.connect(schema_4_file)) as other:
            other.execute("DELETE FROM agreements_fts WHERE rowid % 3 = 0")
            other.commit()
        return real_backup(*args, **kwargs)

    monkeypatch.setattr(migrations, "backup", backup_after_another_write)
    result = migrate_file(schema_4_file)
    assert result.search == ["the search index misses rows"]
    assert search_rows(schema_4_file) == expected


def test_the_search_reads_the_tables_sqlite_says_it_reads():
    sources = migration_plan.search_sources()
    assert sources["labels"] == ("value", "vocabulary", "words")
    assert {"agreements", "institutions", "institution_names", "agreement_parties", "memberships", "networks",
            "mobility_terms", "degree_terms", "agreement_programmes", "programmes"} <= sources.keys()
    assert "ROWID" in sources["agreements"] and "findings" not in sources


def test_a_search_index_missing_rows_is_rebuilt(schema_4_file):
    migrate_file(schema_4_file)
    conn = sqlite3.connect(schema_4_file)
    expected = search_rows(schema_4_file)
    conn.execute("DELETE FROM agreements_fts WHERE rowid % 5 = 0")
    conn.commit()
    conn.close()
    result = migrate_file(schema_4_file)
    assert result.search == ["the search index misses rows"] and result.tables == [] and result.indexes == []
    assert search_rows(schema_4_file) == expected


def test_a_broken_reference_in_a_rebuilt_table_stops_the_migration(schema_4_file):
    conn = sqlite3.connect(schema_4_file)
    conn.execute("INSERT INTO findings (id, code, family, severity, subject_table, subject_id, message, evidence, first_seen, "
                 "last_seen, first_run, last_run) VALUES ('f1', 'GRE-1', 'GRE', 'low', 'agreements', 'a', 'm', '{}', "
                 "'2026-01-01', '2026-01-01', 'no-such-run', 'no-such-run')")
    conn.commit()
    conn.close()
    original = schema_4_file.read_bytes()
    with pytest.raises(store.MigrationRefused, match="table findings, row f1, field first_run: it refers to a row of check_runs"):
        migrate_file(schema_4_file)
    assert schema_4_file.read_bytes() == original
    assert not list(schema_4_file.parent.glob("*backup*"))


# A property: whatever set of indexes a file defines otherwise, the migration makes exactly those anew.


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_exactly_the_indexes_defined_otherwise_are_made_anew(synthetic_registry_file, tmp_path_factory, data):
    path = copy_registry(synthetic_registry_file, tmp_path_factory.mktemp("indexes") / "registry.db")
    conn = sqlite3.connect(path)
    candidates = sorted(name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE '%UNIQUE%' AND tbl_name NOT LIKE '%fts%'"))
    altered = data.draw(st.sets(st.sampled_from(candidates), min_size=1, max_size=6))
    for name in sorted(altered):
        table = conn.execute("SELECT tbl_name FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
        conn.execute(f'DROP INDEX "{name}"')
        first_column = conn.execute(f'PRAGMA table_info("{table}")').fetchone()[1]
        conn.execute(f'CREATE INDEX "{name}" ON "{table}" ("{first_column}")')
    conn.commit()
    conn.close()
    before_roots, before_search = roots(path), search_rows(path)
    result = migrate_file(path)
    assert sorted(result.indexes) == sorted(altered) and result.tables == [] and result.search == []
    after_roots = roots(path)
    assert {name for name, page in before_roots.items() if after_roots[name] != page} == altered
    assert search_rows(path) == before_search
    assert schema_sql(path) == schema_sql(upkeep.reference())


def test_the_search_index_is_stale_when_it_misses_a_row_or_holds_one_of_none(synthetic_registry_file, tmp_path):
    path = copy_registry(synthetic_registry_file, tmp_path / "registry.db")
    db = store.connect(path, create=False)
    assert not store.search_index_stale(db)
    db.conn.execute("INSERT INTO institutions_fts (rowid, name) VALUES (999999999, 'Nowhere College')")
    assert store.search_index_stale(db)
    db.conn.execute("DELETE FROM institutions_fts WHERE rowid = 999999999")
    assert not store.search_index_stale(db)
    db.conn.execute("DELETE FROM agreements_fts WHERE rowid = (SELECT max(rowid) FROM agreements)")
    assert store.search_index_stale(db)
    db.conn.close()


def test_a_dry_run_says_which_index_it_would_make_anew_in_a_file_of_this_version(schema_4_file):
    migrate_file(schema_4_file)
    conn = sqlite3.connect(schema_4_file)
    conn.execute("DROP INDEX idx_agreements_kind_title_id")
    conn.commit()
    conn.close()
    original = schema_4_file.read_bytes()
    result = run("migrate", "--db", str(schema_4_file), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "  indexes made anew: idx_agreements_kind_title_id\n  search index: kept as it was\n" in result.output
    assert f"dry run: would migrate {schema_4_file} from schema {SCHEMA_VERSION} to {SCHEMA_VERSION}" in result.output
    assert schema_4_file.read_bytes() == original


def test_differing_search_triggers_are_named_a_few_and_counted_beyond(schema_4_file):
    migrate_file(schema_4_file)
    triggers = migration_plan.search_triggers()
    assert len(triggers) > 4
    conn = sqlite3.connect(schema_4_file)
    conn.execute(f"DROP TRIGGER {triggers[1]}")
    assert migration_plan.plan(conn).search == [f"search trigger {triggers[1]} differs"]
    for name in triggers:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    assert migration_plan.plan(conn).search == [
        f"search triggers {', '.join(triggers[:3])} and {len(triggers) - 3} more differ"]
    conn.close()
