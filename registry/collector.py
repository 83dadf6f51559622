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
def collector_paused(*, kept: bool = False) -> Iterator[bool]:
    """The collector's automatic passes paused meanwhile and running again afterwards if they
    were; yields whether they were (a child process forked meanwhile may start them itself).

    ``kept``: what was made meanwhile is kept (answers, tables), and goes to the oldest generation as it
    stands (``to_oldest_generation``). Left young, the first pass after the pause walks all of it at once
    and the next one again: 10,000 names resolved made half a million objects, and that first pass cost
    about as much as a tenth of the names (0.39 s of 4.55 s of CPU for 3,000 names in one process)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield running
    finally:
        if kept:
            to_oldest_generation()
        if running:
            gc.enable()


def to_oldest_generation() -> None:
    """Every object the collector tracks moved into its oldest generation without a walk (``gc.freeze`` then
    ``gc.unfreeze``, each a splice of lists): the young ones are then walked by the next full pass only, as the
    old ones are. Garbage with cycles among them waits for that pass. Not where objects are frozen already
    (``freeze_what_lives``, a resolve worker): unfreezing would thaw them too."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


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
