"""Every CSV either face serves is safe to open in a spreadsheet.

Datasette writes cells as they are, so a partner name or note stored as ``=HYPERLINK(...)``
would run as a formula in whoever opens the download. This wraps the CSV answers (every ``.csv``
address, streamed ones too) and rewrites each text cell the way
``registry export`` does (``registry.importers.values.neutralise``: an apostrophe before a
leading =, +, -, @, tab or CR). Numbers stay numbers: a longitude of -122.3 is data, not a formula.
Records are rewritten as they stream, cut only where a line ends outside quotes, so a cell
with a line break inside it is never split.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

from datasette import hookimpl

from registry.importers.values import neutralise

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(text: str) -> str:
    return text if _NUMBER.fullmatch(text) else neutralise(text)


class CsvRewriter:
    """Feed CSV bytes as they come; get back the same records with every cell neutralised."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    def _complete_records(self, final: bool) -> str:
        """The longest prefix of what is pending that ends at a record's end."""
        if final:
            done, self._pending = self._pending, ""
            return done
        cut, quotes, position = 0, 0, 0
        while (newline := self._pending.find("\n", position)) != -1:
            quotes += self._pending.count('"', position, newline)
            position = newline + 1
            if quotes % 2 == 0:  # outside quotes: a record ends here
                cut = position
        done, self._pending = self._pending[:cut], self._pending[cut:]
        return done

    def feed(self, data: bytes, final: bool = False) -> bytes:
        self._pending += self._decoder.decode(data, final=final)
        records = self._complete_records(final)
        if not records:
            return b""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n" if records.endswith("\r\n") else "\n")
        for row in csv.reader(io.StringIO(records, newline="")):
            writer.writerow([neutralise_cell(cell) for cell in row])
        return out.getvalue().encode("utf-8")


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def neutralised(scope, receive, send):
            if scope["type"] != "http" or not scope.get("path", "").endswith(".csv"):
                return await app(scope, receive, send)
            rewriter: CsvRewriter | None = None

            async def send_neutralised(message):
                nonlocal rewriter
                if message["type"] == "http.response.start":
                    headers = dict((k.lower(), v) for k, v in message.get("headers", []))
                    kind = headers.get(b"content-type", b"")
                    # Datasette sends CSV as text/csv to download, text/plain to show; error pages are HTML.
                    if message["status"] == 200 and kind.startswith((b"text/csv", b"text/plain")):
                        rewriter = CsvRewriter()
                        message = {**message, "headers": [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]}
                elif message["type"] == "http.response.body" and rewriter is not None:
                    more = message.get("more_body", False)
                    message = {**message, "body": rewriter.feed(message.get("body", b""), final=not more)}
                await send(message)

            return await app(scope, receive, send_neutralised)

        return neutralised

    return wrap
