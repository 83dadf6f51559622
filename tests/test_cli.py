"""The `registry` command through click's runner, and `registry serve` as a real server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import http_get, start_registry

from registry import serve as serve_module
from registry.cli import cli

SEED = """
about: {title: CLI test data, note: fictitious}
institutions:
  - {id: lund-university, name: Lund University, country: SE, is_home: true}
  - {id: uio, name: University of Oslo, local_name: Universitetet i Oslo, country: Norway}
agreements:
  - id: ex-uio
    title: Exchange with Oslo
    kind: student_exchange
    status: active
    parties: [lund-university, uio]
"""


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def seeded(tmp_path, runner):
    db = tmp_path / "cli.db"
    seed = tmp_path / "seed.yml"
    seed.write_text(SEED, encoding="utf-8")
    assert runner.invoke(cli, ["init", "--no-reference", "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, ["load", str(seed), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "agreements: 1 insert" in result.output
    return db, seed


def test_load_twice_reports_nothing_to_change(runner, seeded):
    db, seed = seeded
    result = runner.invoke(cli, ["load", str(seed), "--db", str(db)])
    assert result.exit_code == 0
    assert "agreements: 1 unchanged" in result.output and "insert" not in result.output


def test_load_dry_run_shows_the_change_and_writes_nothing(runner, seeded):
    db, seed = seeded
    seed.write_text(SEED.replace("status: active", "status: suspended"), encoding="utf-8")
    result = runner.invoke(cli, ["load", str(seed), "--db", str(db), "--dry-run"])
    assert result.exit_code == 0
    assert "~ agreements/ex-uio: status: 'active' -> 'suspended'" in result.output
    assert sqlite3.connect(db).execute("select status from agreements").fetchone() == ("active",)


def test_load_with_problems_exits_1_and_names_them(runner, seeded):
    db, seed = seeded
    seed.write_text(SEED.replace("country: Norway", "country: Norrway"), encoding="utf-8")
    result = runner.invoke(cli, ["load", str(seed), "--db", str(db)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert f"{seed}:5: institutions/uio: country: unknown country 'Norrway'" in result.output


def test_registry_db_environment_variable_picks_the_file(runner, seeded):
    db, _ = seeded
    result = runner.invoke(cli, ["stats", "--json"], env={"REGISTRY_DB": str(db)})
    assert result.exit_code == 0
    figures = json.loads(result.output)
    assert figures["tables"]["institutions"] == 2 and figures["agreements_by_status"] == {"active": 1}


def test_a_missing_registry_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["stats", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "registry init" in result.output


def test_verify_passes_then_fails_on_a_corrupted_row(runner, seeded):
    db, _ = seeded
    assert runner.invoke(cli, ["verify", "--db", str(db)]).output.strip().endswith("no problems")
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA ignore_check_constraints = 1")
    raw.execute("update institutions set country = 'XX' where id = 'uio'")
    raw.commit()
    result = runner.invoke(cli, ["verify", "--db", str(db), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)
    assert {"code": "invalid-row", "record": "institutions/uio", "field": "country"}.items() <= problems[-1].items()


def test_history_lists_the_changes_to_one_record(runner, seeded, monkeypatch):
    db, seed = seeded
    seed.write_text(SEED.replace("title: Exchange with Oslo", "title: Exchange with UiO"), encoding="utf-8")
    monkeypatch.setenv("REGISTRY_ACTOR", "coordinator")
    runner.invoke(cli, ["load", str(seed), "--db", str(db)])
    result = runner.invoke(cli, ["history", "ex-uio", "--db", str(db)])
    assert "update agreements/ex-uio  by coordinator via load" in result.output
    assert "title: 'Exchange with Oslo' -> 'Exchange with UiO'" in result.output
    entries = json.loads(runner.invoke(cli, ["history", "ex-uio", "--db", str(db), "--json"]).output)
    assert [e["operation"] for e in entries if e["table_name"] == "agreements"] == ["insert", "update"]


def test_a_list_prints_as_json_as_a_sentence_when_empty_or_as_each_items_lines(runner, seeded):
    """'registry history' and 'registry document list' print through one helper (print_listed)."""
    from registry.cli import print_listed

    @click.command()
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--none", is_flag=True)
    def listing(as_json, none):
        print_listed([] if none else [{"n": 1}, {"n": 2}], as_json=as_json, empty="nothing here",
                     lines=lambda item: [f"item {item['n']}", "  more"])

    assert runner.invoke(listing, []).output == "item 1\n  more\nitem 2\n  more\n"
    assert json.loads(runner.invoke(listing, ["--json"]).output) == [{"n": 1}, {"n": 2}]
    assert runner.invoke(listing, ["--none"]).output == "nothing here\n"
    assert runner.invoke(listing, ["--none", "--json"]).output == "[]\n"
    db, _ = seeded
    assert runner.invoke(cli, ["history", "no-such-record", "--db", str(db)]).output == "no logged changes for 'no-such-record'\n"
    assert runner.invoke(cli, ["document", "list", "ex-uio", "--db", str(db), "--json"]).output == "[]\n"
    assert "no documents on ex-uio" in runner.invoke(cli, ["document", "list", "ex-uio", "--db", str(db)]).output


def test_backup_copies_and_refuses_to_overwrite(runner, seeded, tmp_path):
    db, _ = seeded
    target = tmp_path / "backup.db"
    assert runner.invoke(cli, ["backup", str(target), "--db", str(db)]).exit_code == 0
    assert sqlite3.connect(target).execute("select count(*) from agreements").fetchone() == (1,)
    again = runner.invoke(cli, ["backup", str(target), "--db", str(db)])
    assert again.exit_code == 2 and "exists" in again.output


def test_the_table_of_capability_commands_is_what_the_capabilities_register_and_help_lists_them(runner):
    """registry.cli finds a capability's command without importing the other capabilities
    (CAPABILITY_COMMANDS): each command there is registered by the module it names; 'registry
    --help' lists every command."""
    from registry.cli import CAPABILITY_COMMANDS
    from registry.extensions import capability_modules

    registered = {}
    for module in capability_modules():
        group = click.Group()
        module.register(group)
        registered[module.__name__] = sorted(group.commands)
    assert {module: sorted(commands) for module, commands in CAPABILITY_COMMANDS.items()} == registered
    # registering again (here, on another group) leaves each command as it was: no option twice
    for module in capability_modules():
        group = click.Group()
        module.register(group)
        for command in group.commands.values():
            options = [option for param in command.params for option in param.opts]
            assert len(options) == len(set(options)), (command.name, options)
    listed = runner.invoke(cli, ["--help"]).output
    missing = [name for names in registered.values() for name in names if f"\n  {name} " not in listed]
    assert not missing and "\n  serve " in listed, listed


def test_a_command_imports_its_own_capability_only():
    """A server's start, or 'registry ewp', does not pay for importing every capability (a fresh process)."""
    program = ("import sys\nfrom registry.cli import cli\nfor args in (['serve', '--help'], ['ewp', '--help']):\n"
               "    cli(args, standalone_mode=False)\n"
               "    print(sorted(m for m in sys.modules if m.startswith('registry.cli_')))")
    shown = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
    assert [line for line in shown.splitlines() if line.startswith("[")] == ["[]", "['registry.cli_ewp']"], shown


def test_metadata_prints_merged_metadata_for_plain_datasette(runner):
    result = runner.invoke(cli, ["metadata", "--database", "mine"])
    metadata = json.loads(result.output)
    assert "expiring" in metadata["databases"]["mine"]["queries"]
    assert metadata["databases"]["mine"]["tables"]["institutions"]["label_column"] == "name"


def test_registry_serve_answers_its_json_api(seeded):
    db, _ = seeded
    env = {**os.environ, "REGISTRY_DB": str(db)}
    # start_registry waits as long as a busy machine needs: a fixed 20 s failed this test at load 9
    overview_path = "/cli/agreement_overview.json?_shape=array"
    server, base = start_registry(["serve", "--no-auth", "--sql-threads", "2"], db.with_name("serve.log"), env,
                                  ready=overview_path)
    try:
        overview = http_get(base + overview_path, timeout=30).json()
        assert [(r["id"], r["partners"], r["countries"]) for r in overview] == [("ex-uio", "University of Oslo", "NO")]
        assert http_get(base + "/cli/expiring.json?months=6", timeout=30).status_code == 200
        settings = http_get(base + "/-/settings.json", timeout=30).json()
        assert settings["num_sql_threads"] == 2 and settings["suggest_facets"] is False
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_server_runs_queries_on_its_loop_unless_told_otherwise(tmp_path):
    args = serve_module.datasette_args(tmp_path / "r.db", host="127.0.0.1", port=1, metadata_path=tmp_path / "m.json")
    settings = dict(zip(args[args.index("--setting") + 1::3], args[args.index("--setting") + 2::3], strict=True))
    assert settings["num_sql_threads"] == "0" and settings["sql_time_limit_ms"] == "3000"


def test_output_read_by_a_program_that_stops_early_ends_quietly():
    """`registry checks | head -1`: the reader is gone before the list is written. No 'Error:',
    no traceback, and the status a shell gives a command ended by SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails, as once head has its line
    try:
        done = subprocess.run([str(Path(sys.executable).with_name("registry")), "checks"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141
