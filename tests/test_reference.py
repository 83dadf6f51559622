"""Loading reference registries: ROR schema v2 (JSON and zip), JSON lines, Hipo's list."""

from __future__ import annotations

import gzip
import json
import zipfile

import pytest
from conftest import new_registry
from match_fixtures import as_schema_v2, extract_records

from registry import db as store
from registry.problems import ProblemsFound
from registry.reference import load_reference, open_reference

IDS = {"00892tw58", "028g18b61", "035b05819", "056d84691", "01p93h210"}


@pytest.fixture(scope="module")
def records():
    return extract_records(IDS)


@pytest.fixture
def registry(tmp_path):
    db = store.connect(new_registry(tmp_path / "registry.db"))
    yield db
    db.conn.close()


def stored(db, reference_id):
    row = db.conn.execute("SELECT name, country, city, status, successor, source, website, latitude FROM reference_institutions "
                          "WHERE id = ?", [reference_id]).fetchone()
    names = dict(db.conn.execute("SELECT name, kind FROM reference_names WHERE reference = ?", [reference_id]).fetchall())
    return row, names


def test_ror_schema_v2_dump_as_json_and_as_zip(registry, records, tmp_path):
    dump = tmp_path / "v2.9-2026-06-23-ror-data_schema_v2.json"
    dump.write_text(json.dumps([as_schema_v2(r) for r in records]), encoding="utf-8")
    result = load_reference(registry, dump, actor="tester", progress=False)
    assert (result.source, result.release, result.records, result.inserted) == ("ror", "v2.9", 5, 5)
    row, names = stored(registry, "035b05819")
    assert row == ("University of Copenhagen", "DK", "Copenhagen", "active", None, "ror", "https://www.ku.dk", 55.67594)
    assert names == {"University of Copenhagen": "official", "Københavns Universitet": "local", "UCPH": "acronym",
                     "Universität Kopenhagen": "local"}
    row, _ = stored(registry, "00892tw58")
    assert (row[3], row[4]) == ("inactive", "028g18b61")
    # the same release zipped, as Zenodo serves it: nothing changes, nothing is logged
    archive = tmp_path / "v2.9-2026-06-23-ror-data.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(dump, dump.name)
    logged = registry.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    again = load_reference(registry, archive, progress=False)
    assert (again.records, again.inserted, again.updated, again.unchanged) == (5, 0, 0, 5)
    assert registry.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == logged
    sources = {r[0] for r in registry.conn.execute("SELECT DISTINCT source FROM changes WHERE table_name LIKE 'reference%'")}
    assert sources == {f"reference load {dump.name}"}
    loads = registry.conn.execute("SELECT source, file, release, records, inserted FROM reference_loads").fetchall()
    assert loads == [("ror", dump.name, "v2.9", 5, 5)]


def test_json_lines_and_a_changed_record(registry, records, tmp_path):
    lines = tmp_path / "ror.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    assert load_reference(registry, lines, progress=False).inserted == 5
    records = [dict(r) for r in records]
    changed = next(r for r in records if r["id"].endswith("056d84691"))
    changed["city"] = "Solna"
    lines.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    result = load_reference(registry, lines, progress=False)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 4)
    assert stored(registry, "056d84691")[0][2] == "Solna"


def test_world_universities_list(registry, tmp_path):
    hipo = tmp_path / "world_universities_and_domains.json"
    hipo.write_text(json.dumps([
        {"name": "Lund University", "alpha_two_code": "SE", "country": "Sweden", "state-province": None,
         "domains": ["lu.se"], "web_pages": ["https://www.lu.se/"]},
        {"name": "Cairo University", "alpha_two_code": "EG", "country": "Egypt", "state-province": None,
         "domains": ["cu.edu.eg"], "web_pages": ["https://cu.edu.eg/"]},
    ]), encoding="utf-8")
    result = load_reference(registry, hipo, progress=False)
    assert (result.source, result.records) == ("hipo", 2)
    row, names = stored(registry, "hipo-cu.edu.eg")
    assert row[:2] == ("Cairo University", "EG") and row[5] == "hipo"
    assert names == {"Cairo University": "official"}


def test_bad_files_name_the_place_and_write_nothing(registry, tmp_path):
    binary = tmp_path / "dump.json"
    binary.write_bytes(b"\x00\x01binary")
    with pytest.raises(ProblemsFound, match="not a ROR dump"):
        open_reference(binary)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "https://ror.org/035b05819", "names": []}\n{"id": "https://ror.org/056d84691", "status": "closed", '
                      '"names": [{"value": "KI", "types": ["acronym"]}]}\n', encoding="utf-8")
    with pytest.raises(ProblemsFound) as raised:
        load_reference(registry, broken, progress=False)
    problem = raised.value.problems[0]
    assert problem.where == f"{broken}: record 2" and problem.field == "status" and problem.value == "closed"
    assert registry.conn.execute("SELECT count(*) FROM reference_institutions").fetchone()[0] == 0


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_record_nested_without_end_is_one_problem_and_writes_nothing(registry, tmp_path, suffix):
    # A JSON array's parser keeps one key path per level open, so 100,000 levels took 25 GB
    # before a record came out; a JSON line went past Python's recursion limit.
    deep = '{"id": "https://ror.org/035b05819", "names": ' + "[" * 5000 + "]" * 5000 + "}"
    path = tmp_path / f"dump{suffix}"
    path.write_text(f"[{deep}]" if suffix == ".json" else deep + "\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as raised:
        load_reference(registry, path, progress=False)
    (problem,) = raised.value.problems
    assert str(path) in problem.where and "nested more than 64 levels deep" in problem.message
    assert registry.conn.execute("SELECT count(*) FROM reference_institutions").fetchone()[0] == 0


def test_a_file_not_in_utf8_or_a_damaged_gzip_is_one_problem(registry, tmp_path):
    record = '{"id": "https://ror.org/035b05819", "names": [{"value": "Lunds universitet", "types": ["ror_display"]}]}'
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_bytes(record.encode("utf-16"))
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes((record + "\n" + record.replace("Lunds", "Malm\u00f6") + "\n").encode("latin-1"))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(((record + "\n") * 200).encode())[:-40])
    for path, where, reason in [(utf16, str(utf16), "not UTF-8"), (latin1, f"{latin1}:2", "not UTF-8"),
                                (cut, str(cut), "damaged gzip")]:
        with pytest.raises(ProblemsFound) as raised:
            load_reference(registry, path, progress=False)
        (problem,) = raised.value.problems
        assert (problem.where, reason in problem.message) == (where, True), problem
    assert registry.conn.execute("SELECT count(*) FROM reference_institutions").fetchone()[0] == 0


def test_progress_bar_only_when_asked_or_on_a_terminal(registry, records, tmp_path, capsys):
    lines = tmp_path / "ror.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    load_reference(registry, lines)  # not a terminal: quiet
    assert capsys.readouterr().err == ""
    load_reference(registry, lines, progress=True)
    assert "reading ror.jsonl" in capsys.readouterr().err


def test_a_load_refreshes_normalised_names_an_older_normaliser_wrote(registry, records, tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    load_reference(registry, path, progress=False)
    registry.conn.execute("UPDATE reference_names SET name_normalized = 'stale' WHERE reference = '035b05819'")
    load_reference(registry, path, progress=False)
    stale = registry.conn.execute("SELECT count(*) FROM reference_names WHERE name_normalized = 'stale'").fetchone()[0]
    assert stale == 0
    assert registry.conn.execute("SELECT name_normalized FROM reference_names WHERE name = 'Københavns Universitet'"
                                 ).fetchone() == ("kobenhavns university",)


def test_a_load_refreshes_the_normalised_names_of_records_the_file_does_not_hold(registry, records, tmp_path):
    ror = tmp_path / "ror.jsonl"
    ror.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    load_reference(registry, ror, progress=False)
    registry.conn.execute("UPDATE reference_names SET name_normalized = 'stale'")
    hipo = tmp_path / "world_universities_and_domains.json"
    hipo.write_text(json.dumps([{"name": "Universität Kopenhagen Test", "alpha_two_code": "DK", "domains": ["ku-test.dk"],
                                 "web_pages": ["https://ku-test.dk"]}]), encoding="utf-8")
    load_reference(registry, hipo, progress=False)
    assert registry.conn.execute("SELECT count(*) FROM reference_names WHERE name_normalized = 'stale'").fetchone()[0] == 0
    assert registry.conn.execute("SELECT name_normalized FROM reference_names WHERE name = 'Københavns Universitet'"
                                 ).fetchone() == ("kobenhavns university",)
