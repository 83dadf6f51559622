"""Comparing two copies of an IIA: conditions paired by what they are, not where they stand,
differences field by field; the command's text, JSON and exit status."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from ewp_support import BERGEN, LUND, OWN_COPY, PARTNER_COPY, make_registry

from registry import db as store
from registry.cli import cli
from registry.ewp import diff, reader
from registry.importers import ewp as importer

AGREEMENT = "iia-uib.no-lu-iia-0001"


@pytest.fixture(scope="module")
def copies():
    return reader.read_file(OWN_COPY)[1], reader.read_file(PARTNER_COPY)[1]


def summary(report: diff.DiffReport) -> list[tuple]:
    [iia] = report.iias
    rows = [("iia", f.field) for f in iia.fields]
    for c in iia.conditions:
        rows.append((c.category, c.sending_hei_id, c.a_position, c.b_position, c.status, tuple(f.field for f in c.fields)))
    return rows


def test_conditions_pair_by_kind_and_direction_then_by_overlap(copies):
    report = diff.compare_documents(*copies, names=("own", "partner"))
    assert report.differs
    assert summary(report) == [
        ("iia", "partner lu.se/iia-code"),
        ("student_studies", "lu.se", 1, 2, "differs", ("mobilities-per-year", "recommended-language-skill")),
        ("student_studies", "uib.no", 2, 1, "same", ()),
        ("student_traineeship", "lu.se", 3, 3, "same", ()),
        ("staff_teaching", "lu.se", 4, 6, "differs", ("total-days-per-year",)),
        # B lists its extra 0914 condition first; A's only incoming teaching condition still
        # pairs with B's matching one, not with whatever stands first
        ("staff_teaching", "uib.no", 5, 5, "same", ()),
        ("staff_teaching", "uib.no", None, 4, "only-in-b", ()),
        ("staff_training", "uib.no", 6, None, "only-in-a", ()),
    ]


def test_each_difference_names_both_values(copies):
    [iia] = diff.compare_documents(*copies).iias
    studies = iia.conditions[0]
    places, skills = studies.fields
    assert (places.a, places.b) == (4, 5)
    assert (skills.only_in_a, skills.only_in_b) == (["no B1 in 0912"], ["no B2"])
    assert iia.fields[0].text() == "partner lu.se/iia-code: 'LU-MED/E+/2025/001' (A) vs 'LU-MED/2025/001' (B)"
    # totals compare as numbers: 10 and 10.0 are the same total
    incoming = copies[0][0].conditions[1]
    assert diff.compare_conditions(incoming, incoming.model_copy(update={"total_months_per_year": "10.00"})) == []


def test_a_copy_agrees_with_itself(copies):
    report = diff.compare_documents(copies[0], copies[0])
    assert not report.differs
    assert report.text().splitlines()[-1] == "  6 condition(s) the same"


def test_text_report_reads_condition_by_condition(copies):
    text = diff.compare_documents(*copies, names=("own.xml", "partner.xml")).text()
    assert "IIA LU-MED/E+/2025/001 (lu.se / uib.no): the copies differ" in text
    assert "  student_studies lu.se -> uib.no (A #1 line 39, B #2 line 52):\n    mobilities-per-year: 4 (A) vs 5 (B)" in text
    assert "  staff_training uib.no -> lu.se (A #6 line 135): only in A" in text


@pytest.fixture
def registry_with_own_copy(tmp_path):
    path = make_registry(tmp_path / "registry.db", [LUND, BERGEN])
    db = store.connect(path)
    importer.import_file(db, OWN_COPY, approved=True)
    db.conn.close()
    return path


def test_cli_diff_of_two_files_exits_1_and_gives_json(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["ewp", "diff", str(OWN_COPY), str(PARTNER_COPY), "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["differs"] is True
    studies = data["iias"][0]["conditions"][0]
    assert studies["status"] == "differs"
    assert studies["fields"][0] == {"field": "mobilities-per-year", "a": 4, "b": 5}
    assert studies["fields"][1] == {"field": "recommended-language-skill", "only_in_a": ["no B1 in 0912"], "only_in_b": ["no B2"]}
    same = runner.invoke(cli, ["ewp", "diff", str(OWN_COPY), str(OWN_COPY)])
    assert same.exit_code == 0 and "the copies agree" in same.output
    assert runner.invoke(cli, ["ewp", "diff", str(OWN_COPY)]).exit_code == 2


def test_cli_diff_against_the_stored_copy_and_the_approved_one(registry_with_own_copy):
    runner = CliRunner()
    db_args = ["--db", str(registry_with_own_copy)]
    stored = runner.invoke(cli, ["ewp", "diff", "--agreement", AGREEMENT, str(PARTNER_COPY), *db_args])
    assert stored.exit_code == 1
    assert stored.output.startswith(f"A: stored copy of {AGREEMENT}\nB: {PARTNER_COPY}\n")
    assert "mobilities-per-year: 4 (A) vs 5 (B)" in stored.output
    same = runner.invoke(cli, ["ewp", "diff", "--agreement", AGREEMENT, str(OWN_COPY), *db_args])
    assert same.exit_code == 0, same.output

    assert runner.invoke(cli, ["ewp", "diff", "--agreement", AGREEMENT, "--approved", *db_args]).exit_code == 0
    assert runner.invoke(cli, ["ewp", "import", str(PARTNER_COPY), *db_args]).exit_code == 0
    since = runner.invoke(cli, ["ewp", "diff", "--agreement", AGREEMENT, "--approved", *db_args])
    assert since.exit_code == 1
    assert "total-days-per-year: '10' (A) vs '12' (B)" in since.output


def test_the_command_runs_in_a_real_process():
    completed = subprocess.run([sys.executable, "-c", "from registry.cli import cli; cli()", "ewp", "diff", str(OWN_COPY),
                                str(PARTNER_COPY)], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 1, completed.stderr
    assert "the copies differ" in completed.stdout


def test_copies_that_agree_but_are_written_differently_show_both_hashes_and_why(tmp_path):
    from ewp_support import THIRD_PARTY

    original = THIRD_PARTY["ulisboa-sample-v7"]
    respelt = tmp_path / "respelt.xml"
    text = original.read_text(encoding="utf-8")
    text = text.replace("<blended>false</blended>", "<blended>0</blended>")
    text = text.replace("<mobilities-per-year>2</mobilities-per-year>", "<mobilities-per-year>02</mobilities-per-year>")
    text = text.replace("<isced-clarification>Social and behavioural sciences</isced-clarification>",
                        "<isced-clarification> Social and behavioural sciences\n</isced-clarification>")
    respelt.write_text(text, encoding="utf-8")
    report = diff.compare_documents(reader.read_file(original)[1], reader.read_file(respelt)[1], names=("a", "b"))
    assert report.differs is False
    [iia] = report.iias
    assert iia.hashes_differ and iia.b_content_hash not in (None, iia.a_hash)
    spellings = {(f.field, f.a, f.b) for c in iia.conditions for f in c.lexical}
    assert spellings == {("blended[1] spelling", "false", "0"), ("mobilities-per-year[1] spelling", "2", "02"),
                         ("subject-area[1]/isced-clarification[1] spelling", "Social and behavioural sciences",
                          " Social and behavioural sciences\n")}
    text = report.text()
    assert "the copies agree field by field, but are written differently, so their iia-hashes differ" in text
    assert f"iia-hash: {iia.a_hash} (A) vs {iia.b_hash} (its content hashes to {iia.b_content_hash}) (B)" in text
    assert "blended[1] spelling: 'false' (A) vs '0' (B)" in text
    entry = report.as_dict()["iias"][0]
    assert {"field": "blended[1] spelling", "a": "false", "b": "0"} in entry["conditions"][0]["lexical"]


def test_partner_order_and_repeated_elements_in_another_order_are_named():
    from ewp_support import THIRD_PARTY

    report = diff.compare_documents(reader.read_file(THIRD_PARTY["partner-example"])[1],
                                    reader.read_file(THIRD_PARTY["ulisboa-sample-v7"])[1])
    [iia] = report.iias
    assert [(f.field, f.a, f.b) for f in iia.lexical] == [("partner order", "hibo.no, uw.edu.pl", "uw.edu.pl, hibo.no")]
    studies = iia.conditions[0]
    assert ("eqf-level order", "8, 7", "7, 8") in {(f.field, f.a, f.b) for f in studies.lexical}
    assert ("total-months-per-year[1] spelling", "05.00", "5") in {(f.field, f.a, f.b) for f in studies.lexical}
