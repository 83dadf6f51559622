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
