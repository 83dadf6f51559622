"""A file larger than one batch is read, built and written a batch at a time (issue 19), with the
guarantees of a small one: all or nothing, the line of a refused row, ids and codes given twice
across batches, --keep-valid, the same registry, log and report as the whole-file path."""

from __future__ import annotations

import pytest
from import_helpers import copy_of, db, run, seeded, snapshot, write  # noqa: F401 (fixtures)
from openpyxl import Workbook

from registry.db import writes
from registry.importers.report import render

BATCH = 3
HEADER = ["Agreement code", "Partner", "Land", "Avtalstyp", "Status", "Giltigt från", "Giltigt till", "Platser ut"]
PARTNERS = [("University of Oslo", "Norge"), ("University of Helsinki", "Finland"), ("Karolinska Institutet", "Sverige"),
            ("Ludwig-Maximilians-Universität München", "Tyskland")]


def rows(count: int, **changed: list[str]) -> list[list[str]]:
    """``count`` agreements, each with its own code; ``changed`` replaces row n (``row_<n>``, from 1)."""
    made = []
    for n in range(1, count + 1):
        partner, country = PARTNERS[n % len(PARTNERS)]
        made.append(changed.get(f"row_{n}") or [f"STREAM-{n:03d}", partner, country, "utbytesavtal", "aktivt",
                                                 f"{2020 + n % 5}-09-01", "2029-08-31", str(n % 4)])
    return made


def csv_file(folder, table: list[list[str]], name: str = "sheet.csv"):
    return write(folder, ";".join(HEADER) + "\n" + "".join(";".join(row) + "\n" for row in table), name=name)


def xlsx_file(folder, table: list[list[str]]):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Avtal"
    sheet.append(HEADER)
    for row in table:
        sheet.append(row)
    path = folder / "sheet.xlsx"
    workbook.save(path)
    return path


def whole_copy(seeded, tmp_path):
    (tmp_path / "whole").mkdir()
    return copy_of(seeded, tmp_path / "whole")


def stored(db) -> dict[str, list[tuple]]:
    """What an import leaves: the records, and the log without its clock."""
    found = {table: db.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
             for table in ("agreements", "agreement_parties", "mobility_terms", "import_rejects")}
    # a batch logs table by table, so the log's order is by record (as for a streamed load)
    found["changes"] = db.conn.execute("SELECT table_name, row_key, operation, before, after, source FROM changes "
                                       "ORDER BY table_name, row_key, id").fetchall()
    return found


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)


def test_a_streamed_import_leaves_the_registry_log_and_report_of_a_whole_one(db, seeded, tmp_path, monkeypatch):
    path = csv_file(tmp_path, rows(10))
    whole_db = whole_copy(seeded, tmp_path)
    whole = run(whole_db, path)
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)
    streamed = run(db, path)
    assert streamed.written and streamed.counts() == whole.counts() == {"matched": 10, "ambiguous": 0, "new": 0, "rejected": 0}
    assert streamed.plan.counts() == whole.plan.counts()
    assert streamed.plan.counts()["agreements"] == {"insert": 10}
    assert stored(db) == stored(whole_db)
    assert render(streamed) == render(whole)
    again = run(db, path, dry_run=True)  # the streamed import paired every row with what it wrote
    assert again.plan.changed == 0 and again.counts()["matched"] == 10


@pytest.mark.usefixtures("small_batches")
def test_a_row_refused_in_a_later_batch_rolls_back_the_batches_written_before(db, tmp_path):
    before = snapshot(db)
    bad = rows(10)[7][:5] + ["2024-13-45", "2029-08-31", "1"]
    path = csv_file(tmp_path, rows(10, row_8=bad))
    report = run(db, path)
    assert not report.written and report.plan is None
    assert snapshot(db) == before  # rows 1-6 were written in batches 1 and 2, then rolled back
    refused = [(o.where, o.reason) for o in report.refused]
    assert len(refused) == 1 and refused[0][0] == f"{path}:9"
    assert refused[0][1].startswith("Giltigt från:")
    assert report.counts() == {"matched": 9, "ambiguous": 0, "new": 0, "rejected": 1}
    assert render(report)[-1] == "nothing written: 1 row(s) refused (fix them, or --keep-valid to write the others)"


@pytest.mark.usefixtures("small_batches")
def test_a_code_given_again_in_a_later_batch_is_refused_naming_the_first(db, tmp_path):
    again = rows(10)[1][:]
    again[0] = "STREAM-002"
    path = csv_file(tmp_path, rows(10, row_9=again))
    report = run(db, path, keep_valid=True)
    refused = {o.line: o.reason for o in report.refused}
    assert list(refused) == [10]
    assert f"'STREAM-002' is given on {path}:3 too" in refused[10]
    assert report.plan.counts()["agreements"] == {"insert": 9}
    rejects = db.conn.execute("SELECT line, outcome, reason FROM import_rejects").fetchall()
    assert [(line, outcome) for line, outcome, _ in rejects] == [(10, "rejected")]


def test_keep_valid_streamed_writes_what_a_whole_import_writes(db, seeded, tmp_path, monkeypatch):
    table = rows(10, row_2=["STREAM-002", "Nowhere University", "Norge", "utbytesavtal", "aktivt", "2024-01-01",
                            "2029-08-31", "1"],
                 row_7=rows(7)[6][:3] + ["no such kind"] + rows(7)[6][4:])
    path = csv_file(tmp_path, table)
    whole_db = whole_copy(seeded, tmp_path)
    whole = run(whole_db, path, keep_valid=True)
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)
    streamed = run(db, path, keep_valid=True)
    assert streamed.counts() == whole.counts() and streamed.refused_rows == whole.refused_rows == 2
    without_import_id = {k: v for k, v in stored(db).items() if k not in ("import_rejects", "changes")}
    assert without_import_id == {k: v for k, v in stored(whole_db).items() if k not in ("import_rejects", "changes")}
    lines = [row[0] for row in db.conn.execute("SELECT line FROM import_rejects ORDER BY line")]
    assert lines == [3, 8] == [row[0] for row in whole_db.conn.execute("SELECT line FROM import_rejects ORDER BY line")]


@pytest.mark.usefixtures("small_batches")
def test_an_xlsx_of_more_rows_than_one_batch_is_read_in_read_only_mode_and_written_whole(db, tmp_path):
    path = xlsx_file(tmp_path, rows(10))
    report = run(db, path)
    assert report.written and report.details["sheet"] == "Avtal"
    assert report.plan.counts()["agreements"] == {"insert": 10}
    codes = [row[0] for row in db.conn.execute("SELECT agreement_code FROM agreements WHERE agreement_code LIKE 'STREAM-%' "
                                                "ORDER BY agreement_code")]
    assert codes == [f"STREAM-{n:03d}" for n in range(1, 11)]


@pytest.mark.usefixtures("small_batches")
def test_a_streamed_dry_run_writes_nothing_and_shows_every_row(db, tmp_path):
    before = snapshot(db)
    report = run(db, csv_file(tmp_path, rows(10)), dry_run=True)
    assert snapshot(db) == before
    assert report.plan.counts()["agreements"] == {"insert": 10}
    assert sum(1 for line in render(report) if line.startswith("  + line ")) == 10


@pytest.mark.usefixtures("small_batches")
def test_the_rows_are_read_a_batch_at_a_time_and_written_before_the_rest_is_read(db, tmp_path, monkeypatch):
    from registry.importers.kinds import TableKind

    parsed: list[int] = []  # rows parsed per call
    parsed_when_written: list[int] = []  # rows parsed so far at each batch written
    parse, apply = TableKind.parse_rows, writes.BulkWrite.apply

    def counting_parse(self, rows, *args):
        found = parse(self, rows, *args)
        parsed.append(len(found))
        return found

    def counting_apply(self, plan):
        parsed_when_written.append(sum(parsed))
        return apply(self, plan)

    monkeypatch.setattr(TableKind, "parse_rows", counting_parse)
    monkeypatch.setattr(writes.BulkWrite, "apply", counting_apply)
    run(db, csv_file(tmp_path, rows(10)))
    assert parsed == [3, 3, 3, 1]
    assert parsed_when_written == [6, 6, 9, 10]  # the writer looks one batch ahead, then writes as it reads
