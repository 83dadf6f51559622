"""Python's cyclic garbage collector held back while much that is no garbage is made.

Each automatic pass of the collector walks the objects made since the last one, and every
tenth also the survivors of the earlier ones: over a load's batches or a name index's hundreds
of thousands of lists and tuples that walk is pure cost (14 % of a load's CPU; reading the
150,000-name reference index took 1.2-2.0 s of CPU with it, 0.55 s without). Objects without
cycles are still freed by their reference counts meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[bool]:
    """The collector's automatic passes paused meanwhile and running again afterwards if they
    were; yields whether they were (a child process forked meanwhile may start them itself)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield running
    finally:
        if running:
            gc.enable()


# Set to "1" by ``registry serve`` for its processes (registry/plugins/registry_heap.py).
FREEZE_HEAP_VARIABLE = "REGISTRY_FREEZE_HEAP"


def freeze_what_lives() -> int:
    """Collect once, then leave every object alive now out of all later automatic passes
    (``gc.freeze``); returns how many that is.

    For a long-running server once it has started: its modules, templates, metadata and plugins
    (about 100,000 objects for a Datasette face) are never garbage, yet every full pass walked
    them all: 50-55 ms each, every 200 or so requests, while the requests in flight on that
    process waited (a few per cent of them, enough to set the p99). Frozen, a full pass takes
    3-7 ms. Objects that are no cycle are still freed by their reference counts."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
