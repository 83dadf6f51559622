"""The deployment recipe (docs/deploy.md, deploy/): its `registry` commands exist with the options
they use, the Dockerfile copies and installs what serving the public face needs and runs a
command that exists, and where a container builder answers the image is built and serves."""

from __future__ import annotations

import asyncio
import fnmatch
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import click
import dockerfile
import httpx
import pytest
from conftest import free_port, http_get
from test_publish import build_registry

from registry import faces, serve
from registry.cli import cli
from registry.publish import publish

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
RECIPE = ROOT / "docs" / "deploy.md"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
CRON_TIMES = re.compile(r"^(?:[\d*/,-]+\s+){5}")


# --- `registry` command lines and the CLI -------------------------------------------------------------------


def registry_commands(text: str) -> list[list[str]]:
    """Every `registry ...` command in shell text: the arguments after `registry` (after env
    assignments, sudo -u USER, exec, cron times; inside `sh -c '...'` too)."""
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        line = CRON_TIMES.sub("", line.strip())
        if not line or line.startswith("#"):
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        found += _commands_in(tokens)
    return found


def _commands_in(tokens: list[str]) -> list[list[str]]:
    found, command = [], []
    for token in [*tokens, ";"]:
        if token in {";", "|", "||", "&&", "&"}:
            found += _registry_command(command)
            command = []
        else:
            command.append(token)
    return found


def _registry_command(tokens: list[str]) -> list[list[str]]:
    while tokens and (re.match(r"^[A-Z_][A-Z0-9_]*=", tokens[0]) or tokens[0] in {"sudo", "exec", "env"}):
        tokens = tokens[3:] if tokens[0] == "sudo" and tokens[1:2] == ["-u"] else tokens[1:]
    if not tokens:
        return []
    if tokens[0] in {"sh", "/bin/sh", "bash", "/bin/bash"} and tokens[1:2] == ["-c"]:
        return registry_commands(tokens[2])
    if (tokens[0] == "registry" or tokens[0].endswith("/bin/registry")) and len(tokens) > 1:  # not the bare name
        return [tokens[1:]]
    return []


def resolve(arguments: list[str]) -> tuple[click.Command, list[str]]:
    """The click command the arguments name, and the rest of them."""
    command: click.Command = cli
    rest = list(arguments)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"'registry {' '.join(arguments)}': there is no command {rest[0]!r}"
        command, rest = sub, rest[1:]
    assert not isinstance(command, click.Group), f"'registry {' '.join(arguments)}' names a group, not a command"
    return command, rest


def assert_exists(arguments: list[str]) -> click.Command:
    command, rest = resolve(arguments)
    options = {name: param for param in command.params if isinstance(param, click.Option)
               for name in (*param.opts, *param.secondary_opts)}
    for token in rest:
        if token.startswith("-") and token != "-":
            name = token.split("=", 1)[0]
            assert name in options, f"'registry {' '.join(arguments)}': {command.name} has no option {name}"
    return command


def markdown_code(text: str) -> str:
    """The code of a Markdown page: its fenced blocks, and each inline code span on a line of its own."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return "\n".join([*blocks, *re.findall(r"`([^`\n]+)`", prose)])


def recipe_commands() -> list[list[str]]:
    texts = [markdown_code(RECIPE.read_text(encoding="utf-8")), *(unit.read_text(encoding="utf-8") for unit in UNITS)]
    return [command for text in texts for command in registry_commands(text)]


def test_the_recipe_parser_finds_commands_where_they_hide():
    text = """sudo -u registry /opt/registry/.venv/bin/registry init --db x.db
sudo useradd --system --home-dir /srv/registry registry
30 2 * * * REGISTRY_DB=a.db /opt/registry/.venv/bin/registry backup "b-$(date +\\%F).db"
ExecStart=/bin/sh -c 'exec /opt/registry/.venv/bin/registry check --fail-on never'
registry serve --host 127.0.0.1 \\
    --port 8001   # the internal face
"""
    assert registry_commands(text.replace("ExecStart=", "")) == [
        ["init", "--db", "x.db"], ["backup", "b-$(date +\\%F).db"], ["check", "--fail-on", "never"],
        ["serve", "--host", "127.0.0.1", "--port", "8001"]]
    with pytest.raises(AssertionError, match="has no option --no-such-option"):
        assert_exists(["serve", "--no-such-option"])
    with pytest.raises(AssertionError, match="there is no command"):
        assert_exists(["deploy-everything"])


def test_every_command_of_the_recipe_exists_with_its_options():
    commands = recipe_commands()
    names = {command[0] for command in commands}
    # the recipe's jobs: set up, serve both faces, publish, back up, check, verify, migrate
    assert {"init", "user", "publish", "serve", "backup", "check", "verify", "migrate"} <= names
    for command in commands:
        assert_exists(command)


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_each_unit_runs_a_registry_command_and_sets_only_variables_it_reads(unit):
    text = unit.read_text(encoding="utf-8")
    starts = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("ExecStart=")]
    commands = [command for start in starts for command in registry_commands(start)]
    assert commands, f"{unit.name} runs no registry command"
    read = {param.envvar for command in commands for param in assert_exists(command).params if param.envvar}
    for variable in re.findall(r"^Environment=([A-Z_]+)=", text, flags=re.MULTILINE):
        assert variable in read, f"{unit.name} sets {variable}, which its command does not read"
    timer = unit.with_suffix(".timer")
    if "Type=oneshot" in text:
        assert timer.exists() and "OnCalendar=" in timer.read_text(encoding="utf-8"), f"{unit.name} has no timer"


# --- the Dockerfile -----------------------------------------------------------------------------------------


def instructions(kind: str) -> list[dockerfile.Command]:
    return [command for command in dockerfile.parse_file(str(DOCKERFILE)) if command.cmd == kind.upper()]


def served_command() -> list[str]:
    (cmd,) = instructions("cmd")
    assert cmd.json, "CMD in exec form: signals reach the server, not a shell"
    commands = _registry_command(list(cmd.value))
    assert commands, f"CMD runs no registry command: {cmd.original}"
    return commands[0]


def copied_sources() -> list[str]:
    return [source for copy in instructions("copy") for source in copy.value[:-1]]


def test_the_image_starts_from_python_slim_and_runs_as_no_root():
    (base,) = instructions("from")
    assert base.value[0] == "python:3.11-slim"
    users = instructions("user")
    assert users and users[-1].value[0] not in {"root", "0"}


def test_the_image_copies_and_installs_what_the_public_face_reads():
    sources = copied_sources()
    # Everything the public face reads from the repository: its code (templates, plugins, static
    # files and the metadata fragments are inside registry/), the metadata files at the root.
    needed = {"pyproject.toml", "registry", "checks", serve.METADATA_FILE.name, faces.PUBLIC_METADATA_FILE.name}
    assert needed <= set(sources), needed - set(sources)
    for read_by_the_face in (faces.TEMPLATES_DIR, faces.PLUGINS_DIR, faces.STATIC_DIR, serve.FRAGMENTS_DIR):
        assert read_by_the_face.relative_to(ROOT).parts[0] in sources
    runs = " ".join(" ".join(run.value) for run in instructions("run"))
    assert re.search(r"pip install --no-cache-dir (-e )?\.", runs), runs
    arguments = {arg.value[0].split("=")[0]: arg.value[0].split("=", 1)[-1] for arg in instructions("arg")}
    for source in sources:
        if source.startswith("${"):
            source = arguments[source.strip("${}")]
        if source != "public.db":
            assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which the repository does not have"


def test_the_image_serves_the_copy_it_holds_on_the_port_it_exposes():
    command = served_command()
    assert_exists(command)
    assert command[:2] == ["serve", "--public"]
    destinations = [copy.value[-1] for copy in instructions("copy")]
    assert command[2] in destinations, f"CMD serves {command[2]}, which no COPY puts there"
    options = dict(zip(command[3::2], command[4::2], strict=False))
    assert options["--host"] == "0.0.0.0"
    assert [expose.value[0] for expose in instructions("expose")] == [options["--port"]]
    environment = " ".join(" ".join(env.value) for env in instructions("env"))
    assert "WEB_CONCURRENCY" in environment  # the workers, read by 'registry serve --workers'
    assert "WEB_CONCURRENCY" in {param.envvar for param in resolve(command)[0].params}


def test_the_health_check_asks_a_route_the_public_face_has(tmp_path):
    (check,) = instructions("healthcheck")
    path = re.search(r"http://127\.0\.0\.1:\d+(/[^'\"]+)", " ".join(check.value)).group(1)
    copy = tmp_path / "public.db"
    publish(build_registry(tmp_path / "registry.db"), copy)

    async def ask():
        return await faces.public_face(copy).datasette().client.get(path)

    answer = asyncio.run(ask())
    assert answer.status_code == 200 and answer.json()["published_at"]


def test_the_build_context_lets_in_what_is_copied_and_keeps_registries_out():
    patterns = [line.strip() for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]

    def included(path: str) -> bool:
        keep = True
        for pattern in patterns:
            negated = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, bare) or path.startswith(bare + "/"):
                keep = negated
        return keep

    for source in copied_sources():
        assert included("public.db" if source.startswith("${") else source), f"{source} is left out of the context"
    assert included("registry/plugins/registry_public_copy.py")
    assert not included("registry.db") and not included("demo/registry.db") and not included(".venv")


# --- building it, where a builder answers ------------------------------------------------------------------


def container_builder() -> str | None:
    for tool, probe in (("docker", ["info"]), ("podman", ["info"]), ("buildah", ["version"])):
        if shutil.which(tool):
            try:
                if subprocess.run([tool, *probe], capture_output=True, timeout=20).returncode == 0:
                    return tool
            except subprocess.TimeoutExpired:
                continue
    return None


def test_the_image_builds_and_serves_the_copy(tmp_path):
    builder = container_builder()
    if builder is None:
        pytest.skip("no container builder answers here (docker/podman without a daemon, no buildah): "
                    "the Dockerfile is checked by the tests above")
    context = tmp_path / "context"
    context.mkdir()
    for source in copied_sources():
        if not source.startswith("${"):
            copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy2
            copy(ROOT / source, context / source)
    publish(build_registry(tmp_path / "registry.db"), context / "public.db")
    tag = "registry-public-test:latest"
    build = [builder, "bud" if builder == "buildah" else "build", "-f", str(DOCKERFILE), "-t", tag, str(context)]
    built = subprocess.run(build, capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    if builder == "buildah":
        return  # buildah builds; running is for docker or podman
    port = free_port()
    container = subprocess.run([builder, "run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8080", tag],
                               capture_output=True, text=True, check=True).stdout.strip()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = http_get(f"http://127.0.0.1:{port}/public/agreements/ex-lodz-erasmus.json?_shape=objects",
                                   timeout=5)
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the container's public face did not answer"
            time.sleep(1)
        assert answer.json()["rows"][0]["ends_on"] == "2029-08-31"
    finally:
        subprocess.run([builder, "stop", container], capture_output=True)
