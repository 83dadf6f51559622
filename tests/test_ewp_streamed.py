"""An IIAs get response is read, validated and written an IIA at a time (issue 19): with more IIAs
than one batch it leaves what a whole import leaves, a bad IIA late in the file rolls back the
batches written before it and is named by its line, and a dry run writes nothing."""

from __future__ import annotations

import pytest
from ewp_support import BERGEN, LUND, OWN_COPY, SCHEMAS, change_count, copy_registry, make_registry, table

from registry import db as store
from registry.db import writes
from registry.ewp import reader
from registry.importers import ewp as importer
from registry.problems import ProblemsFound

BATCH = 5  # records; one IIA is 2 (its agreement and EWP copy) and its new contacts


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_registry(tmp_path_factory.mktemp("ewp-streamed") / "template.db", [LUND, BERGEN])


def registry(template, path):
    return store.connect(copy_registry(template, path))


def response(tmp_path, count: int, *, bad: int | None = None):
    """A get response of ``count`` copies of the example IIA, each with its own ids; IIA ``bad``
    (from 1) names a partner no registry knows."""
    text = OWN_COPY.read_text()
    start, end = text.index("    <iia>"), text.index("</iia>") + len("</iia>\n")
    iia = text[start:end]
    copies = []
    for n in range(1, count + 1):
        copy = iia.replace("lu-iia-0001", f"lu-iia-{n:04d}").replace("UIB-7781", f"UIB-{n:04d}")
        copies.append(copy.replace("uib.no", "unknown-partner.example") if n == bad else copy)
    path = tmp_path / "iias.xml"
    path.write_text(text[:start] + "".join(copies) + text[end:])
    return path


def stored(db) -> dict[str, list[dict]]:
    return {name: table(db, name, order) for name, order in (
        ("agreements", "id"), ("mobility_terms", "agreement, term_no"), ("contacts", "id"), ("ewp_iias", "agreement"),
        ("ewp_iia_partners", "agreement, position"), ("institutions", "id"))}


def test_a_streamed_response_leaves_what_a_whole_one_leaves(template, tmp_path, monkeypatch):
    path = response(tmp_path, 6)
    whole_db = registry(template, tmp_path / "whole.db")
    whole = importer.import_file(whole_db, path, actor="test")
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)
    db = registry(template, tmp_path / "streamed.db")
    streamed = importer.import_file(db, path, actor="test")
    assert streamed.plan.counts() == whole.plan.counts()
    assert streamed.plan.counts()["agreements"] == {"insert": 6}
    assert streamed.agreements == whole.agreements and len(set(streamed.agreements)) == 6
    assert stored(db) == stored(whole_db)
    assert streamed.schema_checked == whole.schema_checked == (SCHEMAS is not None)
    assert importer.import_file(db, path).plan.is_empty  # the same copies again: nothing to write


def test_a_bad_iia_late_in_the_file_rolls_back_the_batches_before_it(template, tmp_path, monkeypatch):
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)
    db = registry(template, tmp_path / "registry.db")
    path = response(tmp_path, 6, bad=6)
    before = change_count(db)
    with pytest.raises(ProblemsFound) as raised:
        importer.import_file(db, path)
    [problem] = raised.value.problems
    last_line = [iia.line for iia in reader.read_file(path, validate=False)[1]][-1]
    assert (problem.code, problem.where) == ("unknown-institution", f"{path}:{last_line}")
    assert change_count(db) == before and table(db, "agreements", "id") == []


def test_a_streamed_dry_run_plans_every_iia_and_writes_nothing(template, tmp_path, monkeypatch):
    monkeypatch.setattr(writes, "BATCH_RECORDS", BATCH)
    db = registry(template, tmp_path / "registry.db")
    before = change_count(db)
    result = importer.import_file(db, response(tmp_path, 6), dry_run=True)
    assert result.plan.counts()["agreements"] == {"insert": 6}
    assert change_count(db) == before and table(db, "agreements", "id") == []


def test_the_iias_are_read_a_few_at_a_time(tmp_path):
    """The stream lets each IIA's elements go once the next is read: the root holds the IIAs the
    parser has read ahead (one buffer of the file), never the file's 40."""
    stream = reader.IiaStream(response(tmp_path, 40))
    held = []
    try:
        for _ in stream.iias([]):
            held.append(len(stream.root))
    finally:
        stream.close()
    assert stream.kind == "iias-get" and len(held) == 40
    assert max(held) <= 12, held
