"""Faults of the registry file itself, on real files: each ends in one line and exit status 1,
never a traceback, and nothing is written where it should not be."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import new_registry

from registry import db as store
from registry.cli import cli
from registry.importers import seed
from tests.conftest import ROOT, TEST_DATA

RECORDS = TEST_DATA / "registry-2026-12-05.yml"
REGISTRY_COMMAND = Path(sys.executable).with_name("registry")


def run(*args: str, **options):
    return CliRunner().invoke(cli, list(args), **options)


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an exception escaping the command
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def loaded(registry_path: Path) -> Path:
    """A registry with records, closed (its write-ahead log folded into the file)."""
    db = store.connect(registry_path)
    seed.load(db, [RECORDS])
    db.conn.close()
    return registry_path


def test_a_file_that_is_not_sqlite_is_named_by_every_command(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("agreement list, see the spreadsheet\n" * 200)
    original = text.read_bytes()
    for command in (["stats"], ["verify"], ["history", "x"], ["load", str(RECORDS)], ["init"], ["migrate"],
                    ["backup", str(tmp_path / "copy.db")], ["export"], ["publish", "--out", str(tmp_path / "public.db")]):
        result = run(*command, "--db", str(text))
        assert_one_line_error(result, f"{text} is not a SQLite database")
    assert text.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_the_installed_command_prints_one_line_and_no_traceback(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("not a database")
    done = subprocess.run([str(REGISTRY_COMMAND), "stats", "--db", str(text)], capture_output=True, text=True,
                          env={**os.environ, "REGISTRY_TODAY": "2026-12-05"})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == f"Error: {text} is not a SQLite database (is it the right file? a registry is made by 'registry init')"


def test_a_sqlite_file_that_is_not_a_registry_is_refused(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE people (name TEXT)")
    assert_one_line_error(run("stats", "--db", str(other)), "is a SQLite database but not a registry")
    assert_one_line_error(run("load", str(RECORDS), "--db", str(other)), "not a registry")


def test_read_commands_open_a_read_only_file_read_only_and_work(loaded, tmp_path):
    folder = loaded.parent
    out = tmp_path / "out"
    out.mkdir()
    original = loaded.read_bytes()
    loaded.chmod(0o444)
    try:
        assert run("stats", "--db", str(loaded)).exit_code == 0
        assert run("verify", "--db", str(loaded)).output.strip().endswith("no problems")
        assert "insert agreements/ex-2019-copenhagen-med" in run("history", "ex-2019-copenhagen-med", "--db", str(loaded)).output
        exported = run("export", "--db", str(loaded), "-o", str(out / "agreements.csv"))
        assert exported.exit_code == 0 and "ex-2019-copenhagen-med" in (out / "agreements.csv").read_text()
        assert run("publish", "--db", str(loaded), "--out", str(out / "public.db")).exit_code == 0
        assert run("backup", str(out / "copy.db"), "--db", str(loaded)).exit_code == 0
    finally:
        loaded.chmod(0o644)
    assert loaded.read_bytes() == original
    assert folder.is_dir()


def test_a_write_to_a_file_opened_read_only_is_one_line(loaded):
    # Root may write to a chmod 444 file, so SQLite's own read-only open stands in for a file
    # the system refuses; the test below uses a real read-only file system where it can.
    db = store.connect(loaded, create=False, read_only=True)
    with pytest.raises(store.ReadOnlyFile, match="is read-only"):
        store.delete_record(db, "agreements", "ex-2019-copenhagen-med")
    assert db.conn.execute("SELECT count(*) FROM agreements").fetchone()[0] == 2
    uri = store.read_only_uri(loaded)
    assert uri.endswith("?mode=ro")
    assert sqlite3.connect(uri, uri=True).execute("SELECT count(*) FROM agreements").fetchone()[0] == 2


def test_an_in_memory_registry_has_no_read_only_uri(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # resolved, ':memory:' would have named a file here and opened it
    for path in (":memory:", ""):
        with pytest.raises(store.StoreError, match="in-memory registry has no file"):
            store.read_only_uri(path)
    assert list(tmp_path.iterdir()) == []


def _can_mount_read_only() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt && mount -o remount,ro /mnt"],
                           capture_output=True)
    return probe.returncode == 0


# Runs the commands in one process inside a private mount namespace (the mount is gone with it).
_ON_READ_ONLY_FS = """
import json, sys
from click.testing import CliRunner
from registry.cli import cli
db, commands = sys.argv[1], json.loads(sys.argv[2])
results = {}
for command in commands:
    result = CliRunner().invoke(cli, command + ["--db", db])
    results[" ".join(command)] = [result.exit_code, result.output, repr(result.exception)]
import socket, subprocess, time, urllib.request
with socket.socket() as free:
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
server = subprocess.Popen([sys.argv[3], "serve", "--db", db, "--no-auth", "--port", str(port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(120):
        try:
            url = f"http://127.0.0.1:{port}/office/agreements.json?_shape=array"
            results["serve"] = [0, urllib.request.urlopen(url, timeout=5).read().decode(), ""]
            break
        except OSError:
            time.sleep(0.25)
finally:
    server.terminate()
    server.wait()
print(json.dumps(results))
"""


@pytest.mark.skipif(not _can_mount_read_only(), reason="needs root and unshare to mount a read-only file system")
def test_on_a_read_only_file_system_reads_work_and_writes_say_so(loaded, tmp_path):
    mount = tmp_path / "ro"
    mount.mkdir()
    public = tmp_path / "public.db"
    reads = [["stats"], ["verify"], ["history", "ex-2019-copenhagen-med"], ["export"], ["publish", "--out", str(public)]]
    writes = [["load", str(RECORDS)], ["init"], ["backup", f"{mount}/copy.db"], ["migrate"]]
    script = (f"mount -t tmpfs tmpfs {mount} && cp {loaded} {mount}/office.db && mount -o remount,ro {mount} && "
              f'{sys.executable} -c "$0" {mount}/office.db "$1" {REGISTRY_COMMAND} && ls -A {mount}')
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, _ON_READ_ONLY_FS, json.dumps(reads + writes)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "REGISTRY_TODAY": "2026-12-05", "REGISTRY_LOCK_TIMEOUT": "1"})
    assert done.returncode == 0, done.stderr
    report, listing = done.stdout.split("\n", 1)
    outputs = json.loads(report)
    for read in reads:
        exit_code, output, exception = outputs[" ".join(read)]
        assert exit_code == 0, (read, output, exception)
    assert "no problems" in outputs["verify"][1] and "ex-2019-copenhagen-med" in outputs["export"][1] and public.exists()
    for write in writes[:3]:
        exit_code, output, exception = outputs[" ".join(write)]
        assert exit_code == 1 and exception == "SystemExit(1)" and "Traceback" not in output, (write, output)
        assert output.startswith("Error: ") and len(output.strip().splitlines()) == 1, output
        assert "is read-only" in output or "its folder is read-only" in output
    assert "up to date" in outputs["migrate"][1]  # nothing to write, so nothing refused
    assert "ex-2019-copenhagen-med" in outputs["serve"][1]  # served as it is (immutable)
    assert listing.split() == ["office.db"]  # nothing was made beside it


def test_a_locked_file_makes_a_writer_wait_then_names_the_holder(loaded):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys\n"
         "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "conn.execute('BEGIN IMMEDIATE')\n"
         "print('holding', flush=True)\n"
         "sys.stdin.read()\n", str(loaded)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = run("load", str(RECORDS), "--db", str(loaded), env={"REGISTRY_LOCK_TIMEOUT": "1"})
        assert f"waiting up to 1 s for pid {holder.pid}" in result.output
        assert_one_line_error(result, f"{loaded} is locked: another process (pid {holder.pid} (", "sqlite3",
                              "run the command again when it has finished")
        # reading is never blocked by a writer
        assert run("stats", "--db", str(loaded), env={"REGISTRY_LOCK_TIMEOUT": "1"}).exit_code == 0
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert run("load", str(RECORDS), "--db", str(loaded)).exit_code == 0


def test_a_missing_folder_is_named_and_not_made(loaded, tmp_path):
    missing = tmp_path / "no" / "such"
    assert_one_line_error(run("init", "--db", str(missing / "office.db")), f"no folder {missing}", "mkdir -p")
    assert_one_line_error(run("load", str(RECORDS), "--db", str(missing / "office.db")), f"no folder {missing}")
    assert_one_line_error(run("backup", str(missing / "copy.db"), "--db", str(loaded)), f"no folder {missing} for the backup")
    assert_one_line_error(run("publish", "--db", str(loaded), "--out", str(missing / "public.db")),
                          f"no folder {missing} for the public copy")
    for name in ("agreements.csv", "agreements.xlsx", "agreements.yml", "iias.xml"):
        assert_one_line_error(run("export", "-o", str(missing / name), "--db", str(loaded)), f"no folder {missing} for the export")
    assert_one_line_error(run("calendar", "-o", str(missing / "dates.ics"), "--db", str(loaded)),
                          f"no folder {missing} for the calendar")
    assert_one_line_error(run("report", "portfolio", "-o", str(missing / "pack.md"), "--no-check", "--db", str(loaded)),
                          f"no folder {missing} for the report")
    assert not (tmp_path / "no").exists()


def test_a_seed_file_that_is_no_regular_file_is_read_as_a_stream(loaded):
    assert run("load", os.devnull, "--db", str(loaded)).exit_code == 0  # empty: nothing to load, no traceback


def _corrupt(path: Path) -> None:
    """Overwrite bytes in the middle of a page of agreements, in the middle of the file."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    try:
        pages = [page for (page,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'agreements' ORDER BY pageno")]
    except sqlite3.OperationalError:  # a SQLite without dbstat: the middle page of the file
        pages = [conn.execute("PRAGMA page_count").fetchone()[0] // 2]
    conn.close()
    page = pages[len(pages) // 2]
    with path.open("r+b") as file:
        file.seek((page - 1) * page_size + page_size // 4)
        file.write(bytes([0xA5]) * (page_size // 2))


@pytest.fixture
def corrupted(tmp_path: Path) -> Path:
    path = tmp_path / "office.db"
    db = store.connect(new_registry(path))
    data = ROOT / "data"
    seed.load(db, [data / "reference", data / "examples" / "partner_institutions.yml", data / "examples" / "agreements_exchange.yml"])
    db.conn.close()
    _corrupt(path)
    return path


def test_verify_reports_every_problem_of_a_corrupted_file_and_exits_1(corrupted):
    result = run("verify", "--db", str(corrupted), "--json")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    problems = json.loads(result.output)
    codes = {p["code"] for p in problems}
    assert "integrity" in codes
    assert any(p["code"] == "unreadable" and p["where"] == "table agreements" for p in problems)
    assert all("\n" not in p["message"] for p in problems)
    text = run("verify", "--db", str(corrupted))
    assert text.exit_code == 1 and "Traceback" not in text.output
    assert f"problem(s) in {corrupted}:" in text.output


def test_backup_publish_and_migrate_refuse_a_corrupted_file(corrupted, tmp_path):
    original = corrupted.read_bytes()
    assert_one_line_error(run("backup", str(tmp_path / "copy.db"), "--db", str(corrupted)), f"{corrupted} is damaged", "registry verify")
    assert_one_line_error(run("publish", "--db", str(corrupted), "--out", str(tmp_path / "public.db")), "is damaged")
    assert_one_line_error(run("migrate", "--db", str(corrupted)), "is damaged")
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "public.db").exists()
    assert not list(tmp_path.glob("*backup*"))
    assert corrupted.read_bytes() == original
