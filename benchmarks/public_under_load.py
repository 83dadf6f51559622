"""The public face under a SQL load: does the home page keep answering while visitors run slow queries?

A public copy of a synthetic registry (benchmarks/synth.py, 100,000 agreements by default) is
served twice, in the same run: by ``registry serve --public --allow-sql`` (custom SQL on its own
worker threads, the pages' queries on the loop) and by plain ``datasette serve -i`` with the same
file, metadata and time limit (1 s) and Datasette's default 3 query threads, no plugins. On each,
``--sql-clients`` anonymous clients (10) send, back to back, a query that runs into the time limit
(a recursive count that never ends by itself: each takes the full second, then answers 400), while
one client asks for the home page (``/``) over and over. Printed per server: the home page's
p50/p99 with nobody else about, and under the load; how many slow queries ran.

    .venv/bin/python -m benchmarks.public_under_load [--agreements 100000] [--seconds 30] [--sql-clients 10] [--db PATH]

Only 127.0.0.1 is contacted; every loop ends after --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.serve_latency import PLAIN_DATASETTE, emit, figures, free_port, hammer, stop, wait_until_up
from benchmarks.synth import synthetic_registry_at
from registry import faces
from registry.publish import publish
from registry.serve import datasette_args, write_metadata

SLOW_SQL = "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"


async def under_load(base: str, database: str, sql_clients: int, seconds: float) -> tuple[list, int]:
    """(home page latencies, slow queries answered) while sql_clients run SLOW_SQL for seconds."""
    stop = time.perf_counter() + seconds
    answered = 0
    limits = httpx.Limits(max_connections=sql_clients + 1)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def slow_visitor() -> None:
            nonlocal answered
            while time.perf_counter() < stop:
                try:
                    await client.get(f"/{database}.json", params={"sql": SLOW_SQL})
                    answered += 1
                except httpx.HTTPError:
                    pass

        home: list[tuple[float, bool]] = []

        async def home_visitor() -> None:
            await asyncio.sleep(1)  # let the slow queries start first
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    ok = (await client.get("/")).status_code == 200
                except httpx.HTTPError:
                    ok = False
                home.append((time.perf_counter() - started, ok))

        await asyncio.gather(home_visitor(), *(slow_visitor() for _ in range(sql_clients)))
    return home, answered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--institutions", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--sql-clients", type=int, default=10)
    parser.add_argument("--db", type=Path, help="reuse (or build once at) this synthetic registry")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-public-"))
    db_path = synthetic_registry_at(args.db or work / "registry.db", args.institutions, args.agreements)
    public_path = work / "public.db"
    publish(db_path, public_path)
    face = faces.public_face(public_path, allow_sql=True)

    ours_port, plain_port = free_port(), free_port()
    env = dict(os.environ)
    ours_log, plain_log = work / "registry-serve.log", work / "datasette.log"
    ours = subprocess.Popen([str(Path(sys.executable).parent / "registry"), "serve", "--public", str(public_path),
                             "--allow-sql", "--port", str(ours_port)], env=env, stdout=ours_log.open("wb"), stderr=subprocess.STDOUT)
    # Plain Datasette: the same file, metadata and time limit; Datasette's own thread setting (3).
    plain_args = datasette_args(public_path, host="127.0.0.1", port=plain_port, metadata_path=write_metadata(face.metadata),
                                immutable=True, settings={**face.settings, "num_sql_threads": 3})
    plain = subprocess.Popen([sys.executable, "-c", PLAIN_DATASETTE, *plain_args], env=env,
                             stdout=plain_log.open("wb"), stderr=subprocess.STDOUT)
    try:
        for side, base, server, log in (("ours", f"http://127.0.0.1:{ours_port}", ours, ours_log),
                                        ("plain", f"http://127.0.0.1:{plain_port}", plain, plain_log)):
            wait_until_up(base, server, log)
            quiet = figures(asyncio.run(hammer(base, ["/"], 1, min(args.seconds, 10), {})), min(args.seconds, 10))
            home, answered = asyncio.run(under_load(base, public_path.stem, args.sql_clients, args.seconds))
            loaded = figures(home, args.seconds)
            emit(bench="public_under_load", server=side, agreements=args.agreements, sql_clients=args.sql_clients,
                 seconds=args.seconds, quiet_p50_ms=quiet["p50_ms"], quiet_p99_ms=quiet["p99_ms"],
                 loaded_p50_ms=loaded["p50_ms"], loaded_p99_ms=loaded["p99_ms"], home_requests=loaded["requests"],
                 home_failures=loaded["failures"], slow_queries_answered=answered)
    finally:
        stop(ours, plain)


if __name__ == "__main__":
    main()
