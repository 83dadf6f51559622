"""The Python API mirrors the CLI: the same verbs, on a file path."""

from __future__ import annotations

import keyword

import click
import pytest

import registry
from registry.problems import ProblemsFound


def test_the_api_verbs_work_on_a_path(tmp_path):
    path = tmp_path / "api.db"
    seed = tmp_path / "seed.yml"
    seed.write_text("institutions:\n  - {id: uio, name: University of Oslo, country: NO}\n", encoding="utf-8")
    registry.init(path, reference=False)  # the verbs, not the reference (tests/test_match_cli.py loads that)
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


def api_name(path: tuple[str, ...]) -> str:
    """The rule every command follows, so that a new one knows its API function's name:
    ``registry GROUP COMMAND`` is ``registry.api.GROUP_COMMAND``, hyphens as underscores
    (``placements open-round`` is ``placements_open_round``), and a Python keyword takes a
    trailing underscore (``import`` is ``import_``). A group that runs on its own
    (``registry screen``) is a command too."""
    name = "_".join(path).replace("-", "_")
    return f"{name}_" if keyword.iskeyword(name) else name


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's path, asked as click asks (``list_commands``, ``get_command``): the registry's group
    registers a capability's commands only when they are asked for (``registry.cli.RegistryGroup``)."""
    paths = []
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = (*prefix, name)
        if not isinstance(command, click.Group) or command.invoke_without_command:
            paths.append(path)
        if isinstance(command, click.Group):
            paths += command_paths(command, path)
    return paths


def test_every_command_has_its_api_function_documented_with_an_example():
    from registry import api
    from registry.cli import cli

    paths = command_paths(cli)
    assert ("placements", "allocate") in paths and ("screen",) in paths and ("screen", "decide") in paths
    missing = [f"registry {' '.join(p)} -> api.{api_name(p)}" for p in paths if not callable(getattr(api, api_name(p), None))]
    assert missing == [], "commands without a function in registry.api (see api_name for the rule)"
    undocumented = [api_name(p) for p in paths if "Example" not in (getattr(api, api_name(p)).__doc__ or "")]
    assert undocumented == [], "registry.api functions whose docstring has no 'Example'"
