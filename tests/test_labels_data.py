"""data/labels/country_names.csv, the country names search finds countries by, is what
tools/derive_country_names.py derives from the Unicode CLDR (via Babel): neither stale nor edited by hand."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import babel
import pytest

from registry.db import vocabulary

TOOL = Path(__file__).resolve().parent.parent / "tools" / "derive_country_names.py"


def _tool():
    spec = importlib.util.spec_from_file_location("derive_country_names", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shipped() -> str:
    return vocabulary.COUNTRY_NAMES_FILE.read_text(encoding="utf-8")


def test_the_table_names_its_source_and_licence():
    first = _shipped().splitlines()[0]
    assert re.fullmatch(r"# Unicode CLDR \d+ via Babel [\d.]+ \(Unicode License v3\); derived \d{4}-\d\d-\d\d by "
                        r"tools/derive_country_names\.py", first), first


def test_the_table_equals_what_the_tool_derives_from_babel():
    tool = _tool()
    derived_with = re.search(r"via Babel (\S+) ", _shipped().splitlines()[0])
    assert derived_with is not None
    if derived_with.group(1) != babel.__version__:
        pytest.skip(f"the table was derived with Babel {derived_with.group(1)}, Babel {babel.__version__} is installed: "
                    "its CLDR names may differ; re-run tools/derive_country_names.py with this Babel to compare")
    assert tool.table_rows(_shipped()) == tool.rows(), "out of date or edited by hand: run tools/derive_country_names.py"


def test_every_country_has_its_english_name_and_each_language_once():
    rows = _tool().table_rows(_shipped())
    assert {code for code, language, _ in rows if language == "en"} == set(vocabulary.country_codes())
    pairs = [(code, language) for code, language, _ in rows]
    assert len(pairs) == len(set(pairs))
    # what search relies on (docs/search.md): Swedish, the country's own script, the partners' languages
    names = vocabulary.cldr_country_names()
    assert {"Germany", "Tyskland", "Deutschland", "Allemagne"} <= set(names["DE"])
    assert {"Japan", "日本", "Japon"} <= set(names["JP"])
