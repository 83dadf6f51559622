"""EWP's official iia-hash stylesheet (transform_version_7.xsl, run by Saxon-HE) as the oracle:
on every IIA fixture, the project's text to hash, hash and approval verdict are the
stylesheet's; third-party copies import, keep their hash through export and diff clean against
themselves; a copy whose stated hash is wrong is imported with a warning naming both hashes."""

from __future__ import annotations

import pytest
from ewp_support import BODO, OWN_COPY, PARTNER_COPY, THIRD_PARTY, WARSAW, WRONG_HASH, make_registry, official
from lxml import etree

from registry import db as store
from registry.ewp import diff, hashing, reader, safe_xml, writer
from registry.ewp.copies import stored_copy
from registry.exporters import ewp as exporter
from registry.importers import ewp as importer

FIXTURES = {**THIRD_PARTY, "own-copy": OWN_COPY, "partner-copy": PARTNER_COPY}


def iia_elements(path):
    return [e for e in safe_xml.parse(path).getroot() if isinstance(e.tag, str) and e.tag.endswith("}iia")]


@pytest.mark.parametrize("name", list(FIXTURES))
def test_the_text_to_hash_is_the_official_stylesheets(name):
    expected = official(FIXTURES[name])
    elements = iia_elements(FIXTURES[name])
    assert len(elements) == len(expected) >= 1
    for element, oracle in zip(elements, expected, strict=True):
        assert hashing.text_to_hash(element) == oracle.text_to_hash
        assert hashing.iia_hash(element) == oracle.iia_hash
        assert hashing.valid_for_approval(element) is oracle.valid_for_approval


@pytest.mark.parametrize("name", list(THIRD_PARTY))
def test_a_third_party_copy_imports_keeps_its_hash_and_diffs_clean(name, tmp_path):
    path = THIRD_PARTY[name]
    db = store.connect(make_registry(tmp_path / "registry.db", [WARSAW.model_copy(update={"is_home": True}), BODO]))
    result = importer.import_file(db, path)
    [agreement] = result.agreements
    [read] = reader.read_file(path)[1]
    [oracle] = official(path)
    copy = stored_copy(db, agreement)  # the partner's copy, as stored
    assert writer.copy_hash(copy) == oracle.iia_hash == read.content_hash
    assert diff.compare_documents([copy], [read]).differs is False
    assert diff.compare_documents([read], [read]).differs is False
    # our own copy (Warsaw first) is written canonically, validates and states the hash of what is written
    exported = exporter.export(db, [agreement])
    [ours] = reader.read_iias(safe_xml.parse(exported.data), "export")
    assert ours.iia_hash == ours.content_hash == official(exported.data)[0].iia_hash
    assert importer.import_file(db, path).plan.is_empty  # the same copy again writes nothing
    db.conn.close()


def test_a_copy_whose_stated_hash_is_wrong_is_imported_with_a_warning_naming_both(tmp_path):
    db = store.connect(make_registry(tmp_path / "registry.db", [WARSAW.model_copy(update={"is_home": True}), BODO]))
    [oracle] = official(WRONG_HASH)
    [read] = reader.read_file(WRONG_HASH)[1]
    assert read.iia_hash != oracle.iia_hash
    result = importer.import_file(db, WRONG_HASH)
    [warning] = [note for note in result.notes if "iia-hash" in note]
    assert read.iia_hash in warning and oracle.iia_hash in warning and warning.startswith("warning:")
    # the stored copy keeps the hash its author stated; its content still hashes as the stylesheet says
    assert db.conn.execute("SELECT iia_hash FROM ewp_iias").fetchone()[0] == read.iia_hash
    assert writer.copy_hash(stored_copy(db, result.agreements[0])) == oracle.iia_hash
    db.conn.close()


def test_several_iias_in_one_response_are_each_read_alone_as_the_specification_says():
    """The stylesheet reads terminated-as-a-whole and the approval flags document-wide (``//``), so
    in a response with several IIAs one terminated or flagged IIA marks them all; the specification
    makes both properties of one IIA, and the registry follows the specification."""
    flagged, clean = iia_elements(OWN_COPY)[0], iia_elements(THIRD_PARTY["endpoint-example-v7"])[0]
    root = safe_xml.parse(OWN_COPY).getroot()
    for child in [c for c in root if isinstance(c.tag, str)]:
        root.remove(child)
    root.extend([flagged, clean])
    terminated = [c for c in clean if c.tag.endswith("}cooperation-conditions")][0]
    terminated.set("terminated-as-a-whole", "true")
    both = etree.tostring(root)
    first, second = official(both)
    ours = iia_elements(both)
    # each IIA's text as the stylesheet gives it for that IIA in a response of its own
    assert hashing.text_to_hash(ours[1]) == second.text_to_hash
    assert hashing.text_to_hash(ours[0]) != first.text_to_hash
    assert first.text_to_hash == "_@terminated-as-a-whole@_" + hashing.text_to_hash(ours[0])
    assert hashing.valid_for_approval(ours[0]) is first.valid_for_approval is False
    # the flags are the first IIA's: the stylesheet counts them against the second too
    assert hashing.valid_for_approval(ours[1]) is True and second.valid_for_approval is False


@pytest.mark.parametrize("namespace, root, expected", [
    ("https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v6/endpoints/get-response.xsd",
     "iias-get-response", "this registry reads IIA API v7 only"),
    ("https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v5/endpoints/get-response.xsd",
     "iias-get-response", "this registry reads IIA API v7 only"),
    ("https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/tree/stable-v1",
     "iias-approval-response", "this registry reads IIA Approval API v2 only"),
])
def test_older_api_versions_are_refused_by_name(namespace, root, expected, tmp_path):
    from registry.problems import ProblemsFound

    path = tmp_path / "old.xml"
    path.write_text(f'<?xml version="1.0"?>\n<{root} xmlns="{namespace}"/>\n', encoding="utf-8")
    with pytest.raises(ProblemsFound) as raised:
        reader.read_file(path)
    [problem] = raised.value.problems
    assert problem.code == "ewp-unknown-document" and expected in problem.message and problem.where == f"{path}:2"
