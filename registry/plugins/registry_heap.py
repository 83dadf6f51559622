"""A served face's startup heap frozen out of the garbage collector's passes
(registry.collector.freeze_what_lives), in each process that serves it, said once in its log.

Only where ``registry serve`` asked for it (``FREEZE_HEAP_VARIABLE``, inherited by its workers):
a face built inside another program (a test, a notebook) leaves that program's collector alone.
Run last among the startup work (an awaitable is awaited after every plugin's startup hook has
been called), so what the other plugins make at startup is frozen with the rest.
"""

import logging
import os

from datasette import hookimpl

from registry.collector import FREEZE_HEAP_VARIABLE, freeze_what_lives

log = logging.getLogger("registry.heap")


@hookimpl
def startup(datasette):
    if os.environ.get(FREEZE_HEAP_VARIABLE) != "1":
        return None

    async def freeze() -> None:
        frozen = freeze_what_lives()
        log.info("process %d: %d objects made at startup left out of the garbage collector's passes", os.getpid(), frozen)

    return freeze
