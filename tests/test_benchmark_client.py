"""The serve benchmark's load generator reads every kind of HTTP/1.1 answer whole, so that the
next request on a kept connection starts at the next answer (benchmarks/serve_latency.py)."""

import asyncio

from benchmarks.serve_latency import KeptConnection, hammer

ANSWERS = {
    b"/length": b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-registry-worker: 7\r\n\r\nhello",
    b"/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n",
    b"/close": b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno",
    b"/to-the-end": b"HTTP/1.0 200 OK\r\n\r\nthe body runs to the end",
}


async def serve_and_ask(paths: list[str]) -> tuple[list[tuple[int, str]], int, list[str]]:
    connections, seen = 0, []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while line := await reader.readline():
            path = line.split()[1]
            seen.append(path.decode())
            head = await reader.readuntil(b"\r\n\r\n")
            assert b"Cookie: session=abc; lang=sv" in head
            writer.write(ANSWERS[path.split(b"?")[0]])
            await writer.drain()
            if path in (b"/close", b"/to-the-end"):
                break
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = KeptConnection("127.0.0.1", port, {"session": "abc", "lang": "sv"})
    answers = [await connection.get(path) for path in paths]
    connection.close()
    server.close()
    await server.wait_closed()
    return answers, connections, seen


def test_every_kind_of_answer_is_read_whole_and_a_closed_connection_reopened():
    paths = ["/length", "/chunked", "/length", "/close", "/chunked", "/to-the-end", "/length"]
    answers, connections, seen = asyncio.run(serve_and_ask(paths))
    assert answers == [(200, "7"), (200, ""), (200, "7"), (400, ""), (200, ""), (200, ""), (200, "7")]
    assert connections == 3  # reopened after the server's "connection: close" and after a body read to the end
    assert seen == paths


def test_hammer_quotes_paths_and_counts_each_answer():
    async def run() -> list:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while line := await reader.readline():
                await reader.readuntil(b"\r\n\r\n")
                ok = line.split()[1] == b"/-/search?q=sao%20paulo"
                writer.write(ANSWERS[b"/length"] if ok else ANSWERS[b"/close"])
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        results = await hammer(f"http://127.0.0.1:{port}", ["/-/search?q=sao paulo"], 2, 0.2, {})
        server.close()
        await server.wait_closed()
        return results

    results = asyncio.run(run())
    assert results and all(ok and worker == "7" for _, ok, worker in results)
