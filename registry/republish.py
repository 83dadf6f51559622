"""The public copy follows the registry: republished in the background after each change.

A ``Republisher`` watches one registry file and keeps one public copy (``registry publish``'s
file) in step with it. It notices every change, whoever makes it: a form of the internal face,
``registry load``, ``import`` or ``check`` from a shell or a timer, another server. Each change
to anything the copy could hold lands in the audit log (``changes``), so the audit log's last id
(with the schema's version) marks the registry's state; SQLite's ``PRAGMA data_version`` tells
cheaply whether anything was committed since the last look, and only then is the mark read.
Logins, which write only sessions (never audited, never published), do not count.

A burst of edits makes one publish: a change is published once the registry has been quiet for
``quiet`` seconds, or at the latest ``longest`` seconds after the first unpublished change, so a
steady stream of edits still reaches the public. One thread publishes, so there are never two
publishes at once here, and ``registry.publish`` takes a lock on the copy against other
processes. A publish that fails leaves the previous copy in place (the new one is written beside
it and swapped in whole) and is logged; it is tried again at the next change, or after a pause
that doubles up to ``RETRY_LONGEST``. A publish that finds the copy already holding the
registry's present state (written by another process) writes nothing.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry import db as store
from registry.publish import publish, source_state

log = logging.getLogger("registry.republish")

QUIET_SECONDS = 2.0  # how long the registry must be quiet before its changes are published
LONGEST_SECONDS = 30.0  # the longest a change waits for the public while edits go on
POLL_SECONDS = 1.0  # how often the registry is looked at between pokes
RETRY_FIRST = 10.0
RETRY_LONGEST = 600.0

Mark = dict[str, Any]


def _publish(source: Path, out: Path) -> Any:
    # Another process (a shell, a timer) may have published this very state already.
    return publish(source, out, if_changed=True)


class Republisher:
    """Keeps the public copy ``out`` in step with the registry at ``source``, from a thread of its own."""

    def __init__(self, source: str | Path, out: str | Path, *, quiet: float = QUIET_SECONDS,
                 longest: float = LONGEST_SECONDS, poll: float = POLL_SECONDS,
                 publish: Callable[[Path, Path], Any] = _publish):
        self.source, self.out = Path(source), Path(out)
        self.quiet, self.longest, self.poll = quiet, max(longest, quiet), poll
        self._publish = publish
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="registry-republish", daemon=True)
        self.publishes = 0  # publishes that wrote a new copy
        self.failures = 0
        self.last_error: str | None = None

    def start(self) -> Republisher:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stop after the publish under way, if any."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def poke(self) -> None:
        """Look at the registry now rather than at the next poll: a write has just been made."""
        self._wake.set()

    # -- the thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        # One line per republisher: a server of several processes runs exactly one (its supervisor).
        log.info("keeping %s in step with %s (pid %d)", self.out, self.source, os.getpid())
        watcher = _RegistryWatcher(self.source)
        published: Mark | None = None  # publish at the start, unless the copy already holds this state
        seen: Mark | None = None
        first_change = last_change = retry_at = 0.0
        retry = RETRY_FIRST
        try:
            while not self._stop.is_set():
                mark, now = watcher.mark(), time.monotonic()
                if mark != seen:
                    seen, last_change = mark, now
                    first_change = first_change or now
                    retry_at = 0.0  # a new change is worth another try at once
                due = first_change and mark != published and now >= retry_at and (
                    now - last_change >= self.quiet or now - first_change >= self.longest)
                if due:
                    if self._publish_once():
                        published, first_change, retry = mark, 0.0, RETRY_FIRST
                    else:
                        retry_at, retry = now + retry, min(retry * 2, RETRY_LONGEST)
                elif mark == published:
                    first_change = 0.0
                self._wake.wait(self._next_wait(first_change, last_change, retry_at))
                self._wake.clear()
        finally:
            watcher.close()

    def _next_wait(self, first_change: float, last_change: float, retry_at: float) -> float:
        if not first_change:
            return self.poll
        now = time.monotonic()
        due = max(min(last_change + self.quiet, first_change + self.longest), retry_at)
        return max(0.05, min(self.poll, due - now))

    def _publish_once(self) -> bool:
        started = time.monotonic()
        try:
            publication = self._publish(self.source, self.out)
        except Exception as error:  # noqa: BLE001 - any failure must leave the server serving and be told
            self.failures += 1
            self.last_error = f"{type(error).__name__}: {error}"
            log.error("publishing %s failed (%s); the previous public copy stays in place", self.out, self.last_error)
            return False
        self.last_error = None
        if publication is None:
            log.debug("%s already holds the registry as it is", self.out)
            return True
        self.publishes += 1
        rows = getattr(publication, "rows", {}) or {}
        log.info("published %s in %.1f s: %s agreements, %s institutions", self.out, time.monotonic() - started,
                 rows.get("agreements", "?"), rows.get("institutions", "?"))
        return True


class _RegistryWatcher:
    """The registry's state (``registry.publish.source_state``), read again only when SQLite says
    something was committed since the last look."""

    def __init__(self, source: Path):
        self.source = source
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._mark: Mark = {}

    def mark(self) -> Mark:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(store.read_only_uri(self.source), uri=True, check_same_thread=False)
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version:
                self._mark, self._version = source_state(self.source), version
        except (sqlite3.Error, OSError, store.StoreError) as error:
            # The registry is being replaced or is not there: look again at the next poll.
            log.warning("cannot read %s to follow it (%s)", self.source, error)
            self.close()
        return self._mark

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._version = None, None
