"""A streamed write whose input is read in a second process (``write_records(..., read_ahead=True)``,
``registry.db.reader``; ``registry load`` asks for it) stores, logs and refuses exactly what a
write that reads its input itself does: the same rows and audit log, the same problems with
their file and line and nothing written, the reader's own failure raised in the writer, and
memory bounded by a few batches read ahead."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from registry import db as store
from registry.db import reader, writes
from registry.importers import seed
from registry.models import Agreement, Institution
from registry.problems import ProblemsFound

BATCH = 3
HOME = {"id": "home", "name": "Home University", "country": "SE", "is_home": True}

pytestmark = pytest.mark.skipif(not reader.can_fork(), reason="read-ahead needs fork; elsewhere the input is read in-process")


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)


def records(count: int, partner_of=lambda n: f"inst-{n % 5:03d}") -> list:
    made: list = [Institution.model_validate(HOME)]
    made += [Institution(id=f"inst-{n:03d}", name=f"Institution {n}", country="NO") for n in range(5)]
    made += [Agreement.model_validate({
        "id": f"agr-{n:03d}", "title": f"Agreement {n}", "kind": "student_exchange", "status": "active",
        "starts_on": "2024-01-01", "ends_on": "2028-12-31", "agreement_code": f"CODE-{n}",
        "parties": [{"institution": "home", "role": "home"}, partner_of(n)]}) for n in range(count)]
    return made


def everything(db) -> dict[str, list[tuple]]:
    tables = ("institutions", "agreements", "agreement_parties", "institutions_fts", "agreements_fts")
    found = {table: db.conn.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall() for table in tables}
    for table in ("institutions_fts", "agreements_fts"):  # the search index itself, byte for byte
        for part in ("data", "idx", "content", "docsize", "config"):
            found[f"{table}_{part}"] = db.conn.execute(f"SELECT * FROM {table}_{part} ORDER BY 1, 2").fetchall()
    found["changes"] = db.conn.execute("SELECT id, table_name, row_key, record_id, operation, before, after, actor, source "
                                       "FROM changes ORDER BY id").fetchall()
    return found


@pytest.mark.parametrize("bulk_from", [5, 5000], ids=["bulk", "row-by-row"])
def test_a_write_read_ahead_stores_and_logs_what_one_reading_its_input_does(tmp_path, monkeypatch, bulk_from):
    from conftest import new_registry

    monkeypatch.setattr(writes, "BULK_SEARCH_REBUILD", bulk_from)
    here, ahead = (store.connect(new_registry(tmp_path / f"{name}.db")) for name in ("here", "ahead"))
    plans = [store.write_records(db, iter(records(20)), actor="tester", source="stream", read_ahead=read_ahead)
             for db, read_ahead in ((here, False), (ahead, True))]
    assert plans[0].counts() == plans[1].counts() == {"institutions": {"insert": 6}, "institution_names": {"insert": 6},
                                                      "agreements": {"insert": 20}, "agreement_parties": {"insert": 40}}
    assert everything(ahead) == everything(here)
    assert len(everything(ahead)["changes"]) == 72
    assert multiprocessing.active_children() == []


def test_a_seed_load_read_ahead_names_a_bad_record_in_a_late_batch_and_writes_nothing(registry_db, tmp_path):
    """The reader's problem (a country that is none, far past the first two batches) comes back
    with its file and line, as when the writer read the file itself."""
    lines = ["institutions:", "  - {id: home, name: Home University, country: SE, is_home: true}"]
    lines += [f"  - {{id: inst-{n:03d}, name: Institution {n}, country: NO}}" for n in range(30)]
    lines.insert(25, "  - {id: inst-bad, name: Bad, country: Atlantis}")
    path = tmp_path / "big.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as raised:
        seed.load(registry_db, [path])
    [problem] = raised.value.problems
    assert (problem.code, problem.where, problem.record, problem.field) == (
        "invalid-value", f"{path}:26", "institutions/inst-bad", "country")
    assert registry_db.conn.execute("SELECT count(*) FROM institutions").fetchone() == (0,)
    assert registry_db.conn.execute("SELECT count(*) FROM changes").fetchone() == (0,)
    assert multiprocessing.active_children() == []


def test_a_problem_found_writing_stops_the_reader_and_writes_nothing(registry_db):
    """The writer finds a code given twice in batch 3; it reads on to report every problem,
    and the reader process is gone afterwards."""
    made = records(30)
    made[12] = made[12].model_copy(update={"agreement_code": "CODE-0"})
    with pytest.raises(ProblemsFound) as raised:
        store.write_records(registry_db, iter(made), actor="tester", read_ahead=True,
                            locations=(f"file.yml:{n + 1}" for n in range(len(made))))
    assert [(p.code, p.where, p.value) for p in raised.value.problems] == [("duplicate-value", "file.yml:13", "CODE-0")]
    assert registry_db.conn.execute("SELECT count(*) FROM changes").fetchone() == (0,)
    assert multiprocessing.active_children() == []


class ReadingFailed(Exception):
    pass


def test_an_error_in_the_reader_is_raised_in_the_writer_and_nothing_is_written(registry_db):
    def failing():
        yield from records(10)
        raise ReadingFailed("the disk went away")

    with pytest.raises(ReadingFailed, match="the disk went away"):
        store.write_records(registry_db, failing(), actor="tester", read_ahead=True)
    assert registry_db.conn.execute("SELECT count(*) FROM institutions").fetchone() == (0,)
    assert multiprocessing.active_children() == []


def test_a_reader_that_dies_is_an_error_and_nothing_is_written(registry_db):
    def dying():
        yield from records(10)
        os._exit(3)

    with pytest.raises(reader.ReaderStopped, match="exit code 3"):
        store.write_records(registry_db, dying(), actor="tester", read_ahead=True)
    assert registry_db.conn.execute("SELECT count(*) FROM institutions").fetchone() == (0,)


def test_the_reader_stays_a_few_batches_ahead_of_the_writer(registry_db, monkeypatch):
    """Memory holds a batch being read, AHEAD sent and one being written, not the input: the
    reader (counting in shared memory) never gets further ahead of what is planned."""
    read = multiprocessing.get_context("fork").Value("i", 0)
    planned, ahead = [0], []

    def counted():
        for number, record in enumerate(records(120)):
            read.value = number + 1
            yield record

    real_plan = writes._plan_flat

    def plan(db, flat, locations=None):
        ahead.append(read.value - planned[0])
        planned[0] += flat.records
        return real_plan(db, flat, locations)

    monkeypatch.setattr(writes, "_plan_flat", plan)
    store.write_records(registry_db, counted(), actor="tester", read_ahead=True)
    assert planned[0] == 126
    assert max(ahead) <= (reader.AHEAD + 3) * BATCH, ahead  # + the batch being read and the two read before the fork
    assert min(ahead[2:-reader.AHEAD - 1]) >= BATCH  # and it did read ahead


class OddError(Exception):
    """An exception whose arguments do not rebuild it: it pickles but does not load."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")


def test_an_error_that_cannot_cross_the_pipe_is_still_said_in_one_line(registry_db):
    def failing():
        yield from records(10)
        raise OddError("big.yml", "the disk went away")

    with pytest.raises(reader.ReaderStopped, match="OddError: big.yml: the disk went away"):
        store.write_records(registry_db, failing(), actor="tester", read_ahead=True)
    assert registry_db.conn.execute("SELECT count(*) FROM institutions").fetchone() == (0,)


def test_a_dry_run_read_ahead_counts_everything_and_writes_nothing(registry_db, tmp_path):
    lines = ["institutions:", "  - {id: home, name: Home University, country: SE, is_home: true}"]
    lines += [f"  - {{id: inst-{n:03d}, name: Institution {n}, country: NO}}" for n in range(20)]
    path = tmp_path / "big.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = seed.load(registry_db, [path], dry_run=True)
    assert plan.counts()["institutions"] == {"insert": 21}
    assert registry_db.conn.execute("SELECT count(*) FROM changes").fetchone() == (0,)
    assert multiprocessing.active_children() == []
