"""How far a long job is: the library reports, the command decides whether anyone sees it.

A library function that can run for seconds on a large registry takes ``progress: Progress``
(``NO_PROGRESS`` by default, which shows nothing) and calls ``start``, ``advance`` and
``finish``, or wraps a loop in ``iterate``. The commands pass ``on_terminal()``: a bar on
standard error while it is a terminal, nothing when it is a file or a pipe, so that output
redirected to a file or read by a script holds only the results.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TextIO, TypeVar

import click

T = TypeVar("T")


class Progress:
    """Reports nothing: what a library call gets unless its caller asks for more. ``advance``
    may be called from several threads."""

    def start(self, total: int, label: str) -> None:
        """A new stage of ``total`` steps begins."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps of the current stage are done."""

    def finish(self) -> None:
        """The current stage is over."""

    def iterate(self, items: Iterable[T], total: int, label: str) -> Iterator[T]:
        """``items``, one step each."""
        self.start(total, label)
        try:
            for item in items:
                yield item
                self.advance()
        finally:
            self.finish()


NO_PROGRESS = Progress()


class BarProgress(Progress):
    """click's progress bar on ``file`` (standard error by default), one bar per stage."""

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file or sys.stderr
        self.lock = threading.Lock()
        self.bar: Any = None

    def start(self, total: int, label: str) -> None:
        with self.lock:
            self._close()
            self.bar = click.progressbar(length=max(total, 0), label=label, file=self.file, show_pos=True)
            self.bar.__enter__()

    def advance(self, steps: int = 1) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.update(steps)

    def finish(self) -> None:
        with self.lock:
            self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def on_terminal(file: TextIO | None = None) -> Progress:
    """A bar on standard error (or ``file``) when it is a terminal; otherwise ``NO_PROGRESS``."""
    stream = file or sys.stderr
    return BarProgress(stream) if stream.isatty() else NO_PROGRESS
