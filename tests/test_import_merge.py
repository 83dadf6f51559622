"""Merge, never erase: a source that does not carry a field or a child list leaves it as it is;
replacing a whole record is explicit (--replace) and the dry run shows what goes. Properties
are checked with generated registries and partial sources (hypothesis)."""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_helpers import build_seeded, copy_of, db, run, seeded, write  # noqa: F401 (fixtures)

from registry import db as store
from registry.cli import cli
from registry.importers import seed
from registry.importers.report import render
from registry.importers.stored import stored_records
from registry.problems import ProblemsFound

FULL = textwrap.dedent("""\
    agreements:
      - id: oslo-full
        title: Exchange in medicine with Oslo (fictitious example)
        kind: student_exchange
        status: active
        signed_on: 2023-05-02
        starts_on: 2023-08-01
        ends_on: 2028-07-31
        renewal: automatic
        notice_months: 6
        document_url: https://example.org/agreements/oslo-full.pdf
        parties: [{institution: lund-university, role: home}, university-of-oslo]
        programmes: [medicine, biomedicine]
        mobility_terms:
          - {category: student_studies, direction: outgoing, places_per_year: 2, eqf_levels: [6, 7]}
          - {category: student_studies, direction: incoming, places_per_year: 2, eqf_levels: [6, 7]}
          - {category: staff_teaching, direction: outgoing, places_per_year: 1}
    """)


def agreement(db, ident="oslo-full"):
    return stored_records(db, "agreements", [(ident,)], children=("parties", "programmes", "mobility_terms"))[(ident,)]


def with_full(db, tmp_path):
    seed.load(db, [write(tmp_path, FULL, "full.yml")], actor="test")
    return agreement(db)


def test_a_yaml_record_that_omits_fields_keeps_their_stored_values(db, tmp_path):
    before = with_full(db, tmp_path)
    partial = write(tmp_path, "agreements:\n  - {id: oslo-full, title: Exchange with Oslo (fictitious example), "
                              "kind: student_exchange, status: suspended}\n", "partial.yml")
    plan = seed.load(db, [partial], actor="test")
    after = agreement(db)
    assert after["status"] == "suspended"
    assert {k: v for k, v in after.items() if k not in ("status", "title")} == \
           {k: v for k, v in before.items() if k not in ("status", "title")}
    assert {c.table for c in plan.changes} == {"agreements"}  # no child touched, none deleted


def test_the_same_yaml_through_registry_import_merges_too(db, tmp_path):
    before = with_full(db, tmp_path)
    partial = write(tmp_path, "agreements:\n  - id: oslo-full\n    title: T (fictitious example)\n    kind: student_exchange\n"
                              "    status: active\n    mobility_terms:\n      - {term_no: 1, category: student_studies, "
                              "direction: outgoing, places_per_year: 5}\n", "partial.yml")
    report = run(db, partial)
    assert report.written
    after = agreement(db)
    terms = {t["term_no"]: t for t in after["mobility_terms"]}
    assert terms[1]["places_per_year"] == 5 and terms[1]["eqf_levels"] == [6, 7]  # not given: kept
    assert len(terms) == 3 and after["programmes"] == before["programmes"] and after["signed_on"] == "2023-05-02"


def test_replace_is_explicit_and_the_dry_run_shows_the_deletions(db, tmp_path):
    with_full(db, tmp_path)
    partial = write(tmp_path, "agreements:\n  - id: oslo-full\n    title: T (fictitious example)\n    kind: student_exchange\n"
                              "    status: active\n    programmes: [medicine]\n", "partial.yml")
    text = "\n".join(render(run(db, partial, dry_run=True, replace=True)))
    assert "- agreement_programmes/oslo-full/biomedicine" in text
    assert "signed_on: '2023-05-02' -> None" in text and "renewal: 'automatic' -> 'none'" in text
    assert "mobility_terms" not in text  # a list the record does not give is not replaced
    result = CliRunner().invoke(cli, ["load", str(partial), "--db", str(db_path(db)), "--replace"])
    assert result.exit_code == 0, result.output
    after = agreement(db)
    assert [p["programme"] for p in after["programmes"]] == ["medicine"] and "signed_on" not in after


def db_path(db) -> Path:
    return Path(db.conn.execute("PRAGMA database_list").fetchone()[2])


def test_a_sheet_without_levels_keeps_them_and_two_places_columns_delete_nothing(db, tmp_path):
    before = with_full(db, tmp_path)
    path = write(tmp_path, "id;Places out;Places in\noslo-full;4;3\n")
    report = run(db, path)
    assert report.written
    assert {c.operation for c in report.plan.changes} == {"update"}
    after = agreement(db)
    terms = {t["term_no"]: t for t in after["mobility_terms"]}
    assert (terms[1]["places_per_year"], terms[2]["places_per_year"]) == (4, 3)
    assert terms[1]["eqf_levels"] == [6, 7] and terms[3] == {k: v for k, v in before["mobility_terms"][2].items()}
    assert after["programmes"] == before["programmes"] and after["parties"] == before["parties"]


def test_a_merge_that_would_break_a_rule_with_the_kept_values_is_refused(db, tmp_path):
    with_full(db, tmp_path)
    partial = write(tmp_path, "agreements:\n  - {id: oslo-full, title: T, kind: student_exchange, status: active, "
                              "ends_on: 2020-01-01}\n", "partial.yml")
    try:
        seed.load(db, [partial], actor="test")
    except ProblemsFound as found:
        message = str(found.problems[0])
    else:
        raise AssertionError("a merged record with its end before its kept start was written")
    assert "agreements/oslo-full" in message and "ends_on (2020-01-01) is before starts_on (2023-08-01)" in message
    assert "--replace" in message
    assert agreement(db)["ends_on"] == "2028-07-31"


def test_a_yaml_record_of_a_stored_agreement_need_not_repeat_its_required_fields(db, tmp_path):
    before = with_full(db, tmp_path)
    partial = write(tmp_path, "agreements:\n  - {id: oslo-full, status: suspended, notes: Paused for a year}\n", "status.yml")
    plan = seed.load(db, [partial], actor="test")
    after = agreement(db)
    assert (after["status"], after["notes"]) == ("suspended", "Paused for a year")
    assert {k: v for k, v in after.items() if k not in ("status", "notes")} == {k: v for k, v in before.items() if k != "status"}
    assert [(c.table, c.operation) for c in plan.changes] == [("agreements", "update")]
    # the same file through `registry import`, and its dry run, say the same
    again = write(tmp_path, "agreements:\n  - {id: oslo-full, status: active}\n", "again.yml")
    assert run(db, again, dry_run=True).plan.changes[0].after["title"] == before["title"]
    assert run(db, again).written and agreement(db)["status"] == "active" and agreement(db)["title"] == before["title"]


def test_a_new_record_without_its_required_fields_is_named_in_one_line(db, tmp_path):
    before = with_full(db, tmp_path)
    path = write(tmp_path, "agreements:\n  - {id: oslo-full, status: suspended}\n  - id: nowhere-new\n    status: active\n",
                 "new.yml")
    result = CliRunner().invoke(cli, ["load", str(path), "--db", str(db_path(db))])
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if "nowhere-new" in line]
    assert f"{path}:3:" in line and "a new one needs kind, title" in line and "[missing-field]" in line
    assert agreement(db) == before  # the update beside it is not written either


def test_an_update_is_still_checked_field_by_field_and_after_the_merge(db, tmp_path):
    with_full(db, tmp_path)
    bad = write(tmp_path, "agreements:\n  - {id: oslo-full, status: paused}\n", "bad.yml")
    with pytest.raises(ProblemsFound) as found:
        seed.load(db, [bad], actor="test")
    assert [(p.field, p.where) for p in found.value.problems] == [("status", f"{bad}:2")]
    reversed_dates = write(tmp_path, "agreements:\n\n  - {id: oslo-full, ends_on: 2020-01-01}\n", "dates.yml")
    with pytest.raises(ProblemsFound) as found:
        seed.load(db, [reversed_dates], actor="test")
    [problem] = found.value.problems
    assert problem.where == f"{reversed_dates}:3" and "ends_on (2020-01-01) is before starts_on (2023-08-01)" in problem.message
    # replacing, a record is whole: the fields it leaves out are not kept, so the required ones are named
    whole = write(tmp_path, "agreements:\n  - {id: oslo-full, status: suspended}\n", "whole.yml")
    replaced = CliRunner().invoke(cli, ["load", str(whole), "--db", str(db_path(db)), "--replace"])
    assert replaced.exit_code == 1 and f"{whole}:2: agreements/oslo-full: title" in replaced.output, replaced.output
    assert agreement(db)["ends_on"] == "2028-07-31" and agreement(db)["status"] == "active"


# --- properties -------------------------------------------------------------------------

OPTIONAL = {
    "signed_on": st.dates().map(lambda d: d.replace(year=2000 + d.year % 20)).map(str),
    "document_url": st.sampled_from(["https://example.org/a.pdf", "https://example.org/b"]),
    "renewal": st.sampled_from(["none", "automatic", "by_agreement"]),
    "notice_months": st.integers(0, 120),
    "home_unit": st.sampled_from(["Faculty of Medicine", "Department of Clinical Sciences"]),
    "coordinator": st.sampled_from(["International coordinator", "Programme director"]),
    "confidential": st.booleans(),
    "notes": st.text(alphabet="abcdefg åäö", min_size=1, max_size=20).filter(str.strip).map(str.strip),
}
TERM_FIELDS = {
    "places_per_year": st.integers(0, 9),
    "months_per_place": st.sampled_from([3.0, 5.0, 10.0]),
    "eqf_levels": st.lists(st.integers(6, 8), unique=True, max_size=3).map(sorted),
    "blended": st.booleans(),
}
TERM_KINDS = [("student_studies", "outgoing"), ("student_studies", "incoming"), ("staff_teaching", "outgoing")]


@st.composite
def agreement_source(draw, ident: str, partial: bool):
    """An agreement as a seed file gives it: every field and term, or (partial) a few."""
    record = {"id": ident, "title": draw(st.sampled_from(["Exchange (fictitious example)", "Erasmus+ (fictitious)"])),
              "kind": draw(st.sampled_from(["student_exchange", "erasmus_iia"])),
              "status": draw(st.sampled_from(["active", "suspended", "draft"]))}
    if partial:  # an update need not repeat the required fields either
        for name in draw(st.sets(st.sampled_from(["title", "kind", "status"]))):
            del record[name]
    fields = draw(st.sets(st.sampled_from(sorted(OPTIONAL)))) if partial else set(OPTIONAL)
    record.update({name: draw(OPTIONAL[name]) for name in fields})
    if not partial:
        record["agreement_code"] = f"LU-MED-{ident.upper()}"
    if not partial or draw(st.booleans()):
        record["parties"] = [{"institution": "lund-university", "role": "home"}, "university-of-oslo"]
    if not partial or draw(st.booleans()):
        record["programmes"] = draw(st.lists(st.sampled_from(["medicine", "biomedicine", "nursing"]), unique=True, min_size=0 if partial else 1))
    numbers = draw(st.sets(st.integers(1, 3), min_size=0 if partial else 3)) if partial else {1, 2, 3}
    if numbers or not partial:
        terms = []
        for number in sorted(numbers):
            category, direction = TERM_KINDS[number - 1]
            term = {"term_no": number, "category": category, "direction": direction}
            names = draw(st.sets(st.sampled_from(sorted(TERM_FIELDS)))) if partial else set(TERM_FIELDS)
            term.update({name: draw(TERM_FIELDS[name]) for name in names})
            terms.append(term)
        record["mobility_terms"] = terms
    return record


_numbers = itertools.count()
_registry: dict[str, object] = {}


def shared_registry():
    """One registry for every generated example (each example uses agreements of its own)."""
    if "db" not in _registry:
        folder = Path(tempfile.mkdtemp(prefix="merge-properties-"))
        atexit.register(shutil.rmtree, folder, True)  # hypothesis's examples share it, so it goes with the process
        _registry["db"] = copy_of(build_seeded(folder / "seeded.db"), folder)
    return _registry["db"]


def load_records(db, records, name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="merge-source-") as folder:
        path = Path(folder) / name
        path.write_text(yaml.safe_dump({"agreements": records}, allow_unicode=True), encoding="utf-8")
        seed.load(db, [path], actor="test")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_nothing_a_partial_source_does_not_mention_changes(data):
    db = shared_registry()
    ident = f"prop-{next(_numbers)}"
    full = data.draw(agreement_source(ident, partial=False))
    load_records(db, [full], "full.yml")
    before = agreement(db, ident)
    partial = data.draw(agreement_source(ident, partial=True))
    try:
        load_records(db, [partial], "partial.yml")
    except ProblemsFound as found:  # only a rule the merged record breaks may refuse it, and then nothing changes
        assert all(p.code == "merged-record-invalid" for p in found.problems)
        assert agreement(db, ident) == before
        return
    after = agreement(db, ident)
    for name, value in before.items():
        if name in ("parties", "programmes", "mobility_terms"):
            continue
        if name not in partial:
            assert after.get(name) == value, name
    for name in OPTIONAL:
        if name in partial:
            assert after.get(name) == partial[name] or (name == "renewal" and partial[name] == "none"), name
    for child in ("parties", "programmes"):
        stored_before = {repr(sorted(item.items())) for item in before[child]}
        stored_after = {repr(sorted(item.items())) for item in after[child]}
        assert stored_before <= stored_after, child  # merged: nothing deleted
    terms_before = {t["term_no"]: t for t in before["mobility_terms"]}
    terms_after = {t["term_no"]: t for t in after["mobility_terms"]}
    assert set(terms_before) <= set(terms_after)
    given_terms = {t["term_no"]: t for t in partial.get("mobility_terms", [])}
    for number, term in terms_before.items():
        for name, value in term.items():
            if name not in given_terms.get(number, {}):
                assert terms_after[number].get(name) == value, (number, name)
            else:
                assert terms_after[number].get(name) == given_terms[number][name], (number, name)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_a_sheet_changes_only_the_columns_it_has(data):
    db = shared_registry()
    ident = f"sheet-{next(_numbers)}"
    load_records(db, [data.draw(agreement_source(ident, partial=False))], "full.yml")
    before = agreement(db, ident)
    columns = data.draw(st.sets(st.sampled_from(["Status", "Places out", "Places in", "Notes", "Notice months"]), min_size=1))
    cells = {
        "Status": data.draw(st.sampled_from(["active", "suspended", "Aktivt"])),
        "Places out": str(data.draw(st.integers(0, 9))),
        "Places in": str(data.draw(st.integers(0, 9))),
        "Notes": data.draw(st.sampled_from(["Fiktivt exempel", "Fictitious example"])),
        "Notice months": str(data.draw(st.integers(0, 24))),
    }
    order = sorted(columns)
    folder = Path(tempfile.mkdtemp(prefix="merge-sheet-"))
    atexit.register(shutil.rmtree, folder, True)  # one per example: none left in the temporary folder
    path = folder / "sheet.csv"
    path.write_text("id;" + ";".join(order) + "\n" + ident + ";" + ";".join(cells[c] for c in order) + "\n", encoding="utf-8")
    report = run(db, path)
    assert report.written, [o.reason for o in report.outcomes]
    assert not [c for c in report.plan.changes if c.operation == "delete"]
    after = agreement(db, ident)
    touched = {"Status": "status", "Notes": "notes", "Notice months": "notice_months"}
    for name, value in before.items():
        if name not in {touched[c] for c in columns if c in touched} | {"mobility_terms"}:
            assert after.get(name) == value, name
    for old, new in zip(before["mobility_terms"], after["mobility_terms"], strict=True):
        changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        assert changed <= {"places_per_year"}, changed
    assert store.specs()  # the registry stays readable
