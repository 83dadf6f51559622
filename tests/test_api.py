"""The Python API mirrors the CLI: the same verbs, on a file path."""

from __future__ import annotations

import pytest

import registry
from registry.problems import ProblemsFound


def test_the_api_verbs_work_on_a_path(tmp_path):
    path = tmp_path / "api.db"
    seed = tmp_path / "seed.yml"
    seed.write_text("institutions:\n  - {id: uio, name: University of Oslo, country: NO}\n", encoding="utf-8")
    registry.init(path)
    plan = registry.load([seed], db_path=path, actor="api-user")
    assert plan.counts()["institutions"] == {"insert": 1}
    assert registry.stats(path)["tables"]["institution_names"] == 1
    assert registry.verify(path) == []
    assert [e["actor"] for e in registry.history("uio", path)] == ["api-user", "api-user"]
    assert registry.backup(tmp_path / "copy.db", path).exists()


def test_api_load_refuses_bad_input_and_writes_nothing(tmp_path):
    path = tmp_path / "api.db"
    seed = tmp_path / "seed.yml"
    seed.write_text("institutions:\n  - {id: uio, name: University of Oslo, country: Oz}\n", encoding="utf-8")
    with pytest.raises(ProblemsFound, match="unknown country 'Oz'"):
        registry.load([seed], db_path=path)
    assert registry.stats(path)["tables"]["institutions"] == 0


def test_opening_a_missing_registry_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="registry init"):
        registry.stats(tmp_path / "missing.db")
