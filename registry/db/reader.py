"""An input read in a second process while this one writes (issue 19).

A large load spends a third of its time reading and validating (the models) and two thirds
planning and writing, one after the other on one core. ``read_ahead`` forks a child that runs
the rest of the reading (the caller's generators, as they stand: a fork copies them) and sends
each item it yields, pickled, through a pipe, while this process writes the items before it.
The items are a batch's rows, plain dicts and tuples (a batch of models took five times as
long to pickle and load as the rows, more than validating them again).

What the guarantees need:

- at most ``AHEAD`` items are sent and not yet taken by the writer: the child then waits, so
  memory holds a batch being read, ``AHEAD`` sent and one being written, whatever the input's size;
- what the reader appends to ``problems`` (a bad value, with its file and line) comes with the
  item read meanwhile and is added to the writer's list before that item, so the writer stops
  writing where it would have stopped reading alone, and reports the same problems;
- an exception in the child (a file gone, a bug) is raised here, in the writer, as itself
  (its traceback stays in the child); a child that dies without a word is an error here too;
- the child never touches this process's registry: it only reads the input, and leaves
  through ``os._exit`` (multiprocessing's fork), so no connection it copied is closed there;
- if the writer stops early (a problem found writing, an error), the child is stopped.

Only the caller knows that its generators have no effect this process still needs (besides
``problems``): ``write_records(..., read_ahead=True)`` is asked for, never assumed.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from registry.db.connection import StoreError

Item = TypeVar("Item")

_ITEM, _END, _FAILED = "item", "end", "failed"

# At DEBUG, how long the writer waited for the reader (``benchmarks/load.py`` reports it): on an
# idle machine the writer's wall time is its CPU time and this.
log = logging.getLogger("registry.db.writes")

# Items the child may send before the writer takes them: one lets it read on while the writer
# is busy; a second absorbs a batch that takes longer to read than the others.
AHEAD = 2


class ReaderStopped(StoreError):
    """The reading process ended without finishing or saying why (killed: out of memory, a
    signal); the CLI says so in one line, like a fault of the file."""


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def read_ahead(items: Iterator[Item], problems: list[Any]) -> Iterator[Iterator[Item]]:
    """``items`` as read by a child process, in order; ``problems`` grows as the child's copy did.
    Where fork is missing (Windows), the items are read here, as before."""
    if not can_fork():
        yield items
        return
    fork = multiprocessing.get_context("fork")
    receiving, sending = fork.Pipe(duplex=False)
    room = fork.BoundedSemaphore(AHEAD)
    child = fork.Process(target=_read, args=(items, problems, len(problems), sending, room), name="registry-reader", daemon=True)
    child.start()
    sending.close()
    try:
        yield _received(receiving, problems, child, room)
    finally:
        receiving.close()  # a child still sending meets a broken pipe and ends
        if child.is_alive():
            child.join(timeout=0.05)
            if child.is_alive():
                child.terminate()  # the writer stopped early: what is left to read is not wanted
        child.join()
        child.close()


def _received(receiving: Connection, problems: list[Any], child: Any, room: Any) -> Iterator[Any]:
    waited = 0.0
    while True:
        started = time.perf_counter()
        try:
            message = receiving.recv_bytes()
        except EOFError:
            child.join()
            raise ReaderStopped(f"the process reading the input ended without finishing (exit code {child.exitcode}); "
                                "nothing was written") from None
        waited += time.perf_counter() - started
        kind, item, found = pickle.loads(message)
        del message
        problems.extend(found)
        if kind == _END:
            log.debug("reader: waited %.3f s", waited)
            return
        if kind == _FAILED:
            raise item
        room.release()
        yield item


def _read(items: Iterator[Any], problems: list[Any], sent: int, sending: Connection, room: Any) -> None:
    """The child: every item, with the problems found while reading it, then the end."""
    gc.disable()
    gc.freeze()  # what the fork copied stays alive here: walking it would only touch (and copy) its pages
    try:
        for item in items:
            message = pickle.dumps((_ITEM, item, problems[sent:]), protocol=pickle.HIGHEST_PROTOCOL)
            sent = len(problems)
            del item
            room.acquire()
            sending.send_bytes(message)
            del message
            gc.collect(1)  # once per item, as the writer does per batch (issue 19)
        sending.send_bytes(pickle.dumps((_END, None, problems[sent:]), protocol=pickle.HIGHEST_PROTOCOL))
    except (BrokenPipeError, ConnectionResetError):  # the writer stopped reading
        return
    except BaseException as error:  # noqa: BLE001 - whatever stops the reading is the writer's to raise
        try:
            message = pickle.dumps((_FAILED, error, problems[sent:]), protocol=pickle.HIGHEST_PROTOCOL)
            pickle.loads(message)  # some exceptions pickle but do not load (their own __init__)
        except Exception:  # noqa: BLE001 - an exception that does not pickle is still said
            message = pickle.dumps((_FAILED, ReaderStopped(f"{type(error).__name__}: {error}"), problems[sent:]))
        with suppress(OSError):  # the writer stopped reading
            sending.send_bytes(message)
    finally:
        sending.close()
