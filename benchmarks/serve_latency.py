"""Latency and throughput of the internal face under load, against plain Datasette on the same file.

On a synthetic registry (benchmarks/synth.py, 100,000 agreements by default, checked once so
that the findings pages have their ~200,000 findings), 20 concurrent
clients on loopback hit one page at a time for a fixed time each (in two halves, ours,
plain, plain, ours, so that drift in the machine's load weighs on both alike): search, a table page with
its facets, and every canned query. The same pages are measured, in the same run, on plain
``datasette`` serving the same file with the same metadata but none of the project's plugins,
templates or login (third-party plugins are not loaded either). Prints one JSON object per
page with p50/p99 in milliseconds, requests per second, the server's CPU milliseconds per
request (its processes', read from /proc: Linux only) and the load generator's (it runs on the
same cores), the baseline's figures and the ratio.

Each page is first asked for ``--warmup`` seconds (1 by default) by the same clients on each
side, answers not counted: a worker's first request of a page compiles its templates and reads
its tables' pages from the disk (hundreds of milliseconds), which 20 clients waiting at once
made the p99 of a page measured for a few seconds. The warm-up's own count and p99 are printed
(``warmup_requests``, ``warmup_p99_ms``); ``--warmup 0`` measures from a cold start as before.

``--workers 1 2`` serves our face twice at once, from one process and from two
(``registry serve --workers N``), and measures each page on each in turn within the same minute
(1, 2, plain, plain, 2, 1): one line per page and worker count. The load generator (this
process, 20 clients) runs on the same machine and takes its share of the cores.

    .venv/bin/python -m benchmarks.serve_latency [--agreements 100000] [--seconds 30] [--clients 20] [--db PATH]
        [--pages search ...] [--workers 1 2] [--no-baseline] [--warmup 1]

Only 127.0.0.1 is contacted; every loop ends after --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import re
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from registry import faces
from registry.serve import build_metadata, datasette_args, write_metadata

PASSWORD = "benchmark-password"
# Plain Datasette: the same CLI, with entry-point plugins left unloaded (Datasette skips them
# when sys._called_from_test is set), so the baseline carries none of ours or anyone's.
PLAIN_DATASETTE = "import sys; sys._called_from_test = True; from datasette.cli import cli; cli()"
SEARCHES = ("lodz", "universitat", "medical", "sao paulo", "goteborg")


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server at {base} exited: {log.read_text()}")
        try:
            httpx.get(base + "/-/versions.json", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"server at {base} did not start")


def pages(db_path: Path, queries: dict) -> dict[str, list[tuple[str, str]]]:
    """Page name -> (path on our face, path on plain Datasette) to rotate through. Search is
    our page on ours and Datasette's own table search for the same words on plain Datasette."""
    database = db_path.stem
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    institutions = [row[0] for row in conn.execute("SELECT institution FROM agreement_parties GROUP BY institution LIMIT 5 OFFSET 1")]
    agreements = [row[0] for row in conn.execute("SELECT id FROM agreements LIMIT 5")]
    conn.close()
    measured = {
        "search": [(f"/-/search?q={q}", f"/{database}/institutions?_search={q}") for q in SEARCHES],
        "table_with_facets": [(f"/{database}/agreements", f"/{database}/agreements")],
        # Row pages: ours adds the institution profile and an agreement's edit links.
        "institution_page": [(f"/{database}/institutions/{i}",) * 2 for i in institutions],
        "agreement_page": [(f"/{database}/agreements/{a}",) * 2 for a in agreements],
    }
    arguments = {"months": "12", "programme": "medicine", "network": "u21", "years": "3"}
    for name, query in queries.items():
        if query.get("write"):
            continue
        params = "&".join(f"{p}={v}" for p, v in arguments.items() if f":{p}" in query["sql"])
        path = f"/{database}/{name}" + (f"?{params}" if params else "")
        measured[f"canned:{name}"] = [(path, path)]
    return measured


class KeptConnection:
    """One HTTP/1.1 connection a client loop keeps open, as a browser or a proxy does, reading
    each answer whole. Written out rather than httpx: httpx spent 3-5 ms of CPU a request, as
    much as the server spends on a light page, on the same two cores, so the load generator
    took a third of the machine from the server it measured. This spends a fraction of that
    (``client_cpu_ms_per_request`` says how much)."""

    def __init__(self, host: str, port: int, cookies: dict):
        self.host, self.port = host, port
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.head = f"Host: {host}:{port}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, str]:
        """The answer's status and the worker that gave it (``x-registry-worker``)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\n{self.head}".encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = dict((name.strip().lower(), value.strip()) for name, _, value in (line.partition(":") for line in head[1:] if line))
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")  # the blank line after the last chunk (no trailers)
        else:
            await self.reader.read()  # the body runs to the end of the connection
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers.get("x-registry-worker", "")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def hammer(base: str, paths: list[str], clients: int, seconds: float, cookies: dict) -> list[tuple[float, bool, str]]:
    """(latency in seconds, ok, the worker that answered) of every request made by ``clients``
    loops in ``seconds``, each loop on a connection it keeps until the server closes it."""
    results: list[tuple[float, bool, str]] = []
    stop = time.perf_counter() + seconds
    address = httpx.URL(base)
    targets = [httpx.URL(base + path).raw_path.decode("ascii") for path in paths]  # "sao paulo" -> "sao%20paulo"

    async def worker(offset: int) -> None:
        turn, connection = offset, KeptConnection(address.host, address.port or 80, cookies)
        while time.perf_counter() < stop:
            started = time.perf_counter()
            worker_name = ""
            try:
                async with asyncio.timeout(30):
                    status, worker_name = await connection.get(targets[turn % len(targets)])
                ok = status == 200  # a 400 means the query passed sql_time_limit_ms
            except (OSError, EOFError, ValueError, asyncio.IncompleteReadError, TimeoutError):
                ok = False
                connection.close()
            results.append((time.perf_counter() - started, ok, worker_name))
            turn += 1
        connection.close()

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return results


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and all its descendants, from /proc (Linux)."""
    total, pending = 0.0, [pid]
    while pending:
        process = pending.pop()
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
            for task in Path(f"/proc/{process}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return total


def own_cpu_seconds() -> float:
    """This process's CPU seconds (the load generator's), without its children (the servers)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def figures(results: list[tuple[float, bool, str]], seconds: float) -> dict:
    latencies = sorted(latency for latency, _, _ in results)
    answered = collections.Counter(worker for _, _, worker in results if worker)
    return {
        "requests": len(latencies),
        "failures": sum(1 for _, ok, _ in results if not ok),
        # how the requests fell on the workers (a connection stays with one until that worker closes it)
        **({"share_per_worker": [round(n / len(latencies), 2) for _, n in answered.most_common()]} if len(answered) > 1 else {}),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
        # the tail's shape: a p99 far above the p95 is a few stalls, not the queue of 20 clients
        "p95_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
    }


def warm_up(results: list[tuple[float, bool, str]]) -> dict:
    """What the uncounted warm-up of a page saw: its requests and their p99."""
    if not results:
        return {}
    latencies = sorted(latency for latency, _, _ in results)
    return {"warmup_requests": len(latencies),
            "warmup_p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--institutions", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--db", type=Path, help="reuse (or build once at) this synthetic registry")
    parser.add_argument("--pages", nargs="*", help="measure only these pages (search, table_with_facets, canned:NAME)")
    parser.add_argument("--workers", nargs="+", type=int, default=[1],
                        help="serve our face from this many processes ('1 2': both, measured in turn)")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false", help="leave plain Datasette out")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds each page is asked for on each side before it is measured (not counted)")
    args = parser.parse_args()

    db_path = args.db or Path(tempfile.mkdtemp(prefix="bench-serve-")) / "registry.db"
    if not db_path.exists():
        from benchmarks.synth import build_synthetic
        from checks.run import run_checks

        started = time.perf_counter()
        db = build_synthetic(db_path, institutions=args.institutions, agreements=args.agreements)
        run_checks(db, actor="benchmark")  # findings for the pages that list them, as in use
        db.conn.close()
        emit(bench="serve_latency", step="build", agreements=args.agreements, seconds=round(time.perf_counter() - started, 1))

    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        size = conn.execute("SELECT count(*) FROM agreements").fetchone()[0]  # what --db holds, not --agreements
    env = {k: v for k, v in os.environ.items() if not k.startswith(faces.ACCOUNT_PREFIX)}
    env[faces.ACCOUNT_PREFIX + "BENCH"] = faces.hash_password(PASSWORD)
    registry_command = str(Path(sys.executable).parent / "registry")
    # Server output goes to files: an unread pipe fills with access-log lines and stalls the server.
    logs = Path(tempfile.mkdtemp(prefix="bench-serve-logs-"))
    ours: dict[int, tuple[subprocess.Popen, str, Path]] = {}
    for count in args.workers:
        port, log = free_port(), logs / f"registry-serve-{count}.log"
        ours[count] = (subprocess.Popen([registry_command, "serve", "--db", str(db_path), "--port", str(port),
                                         "--workers", str(count)], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT),
                       f"http://127.0.0.1:{port}", log)
    metadata = build_metadata(db_path.stem)
    plain = None
    if args.baseline:
        plain_port, plain_log = free_port(), logs / "datasette.log"
        plain_args = datasette_args(db_path, host="127.0.0.1", port=plain_port, metadata_path=write_metadata(metadata))
        plain = subprocess.Popen([sys.executable, "-c", PLAIN_DATASETTE, *plain_args], env=env,
                                 stdout=plain_log.open("wb"), stderr=subprocess.STDOUT)
        plain_base = f"http://127.0.0.1:{plain_port}"
    try:
        for server, base, log in ours.values():
            wait_until_up(base, server, log)
        if plain is not None:
            wait_until_up(plain_base, plain, plain_log)
        cookies = {count: log_in(base) for count, (_, base, _) in ours.items()}
        queries = metadata["databases"][db_path.stem].get("queries", {})
        for name, paths in pages(db_path, queries).items():
            if args.pages and name not in args.pages:
                continue
            # Two halves in the order ours, plain, plain, ours (with several worker counts: 1, 2,
            # plain, plain, 2, 1): drift in the machine's load during the page's minute then weighs
            # on every side alike.
            half = args.seconds / 2
            sides: list = [(count, base, 0, cookies[count], server.pid) for count, (server, base, _) in ours.items()]
            if plain is not None:
                sides.append((None, plain_base, 1, {}, plain.pid))
            warmed: dict = {side[0]: [] for side in sides}
            for count, base, column, cookie, _pid in sides if args.warmup > 0 else ():
                warmed[count] = asyncio.run(hammer(base, [p[column] for p in paths], args.clients, args.warmup, cookie))
            runs: dict = {side[0]: [] for side in sides}
            cpu: dict = {side[0]: 0.0 for side in sides}
            client_cpu: dict = {side[0]: 0.0 for side in sides}
            for count, base, column, cookie, pid in sides + sides[::-1]:
                before, client_before = cpu_seconds(pid), own_cpu_seconds()
                runs[count] += asyncio.run(hammer(base, [p[column] for p in paths], args.clients, half, cookie))
                cpu[count] += cpu_seconds(pid) - before
                client_cpu[count] += own_cpu_seconds() - client_before
            baseline = figures(runs[None], args.seconds) if plain is not None else None
            for count in ours:
                mine = figures(runs[count], args.seconds)
                compared = {} if baseline is None else {
                    "baseline_rps": baseline["rps"], "baseline_p50_ms": baseline["p50_ms"],
                    "baseline_p99_ms": baseline["p99_ms"], "baseline_failures": baseline["failures"],
                    "ratio": round(mine["rps"] / baseline["rps"], 2) if baseline["rps"] else None}
                emit(bench="serve_latency", page=name, agreements=size, workers=count, clients=args.clients,
                     seconds=args.seconds, **mine, cpu_ms_per_request=round(cpu[count] * 1000 / max(1, mine["requests"]), 1),
                     # the load generator's own: it runs on the same cores as the server
                     client_cpu_ms_per_request=round(client_cpu[count] * 1000 / max(1, mine["requests"]), 1),
                     **warm_up(warmed[count]), **compared)
    finally:
        stop(*(server for server, _, _ in ours.values()), *([plain] if plain is not None else []))


def log_in(base: str) -> dict:
    """The cookies of a logged-in session on our face."""
    form = httpx.get(base + "/-/login")
    token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
    login = httpx.post(base + "/-/login", data={"username": "bench", "password": PASSWORD, "csrftoken": token},
                       cookies=form.cookies)
    return {**form.cookies, "registry_session": login.cookies["registry_session"]}


def stop(*servers: subprocess.Popen) -> None:
    for server in servers:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
