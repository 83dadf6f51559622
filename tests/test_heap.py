"""A served face freezes what it made at startup out of the garbage collector's passes
(registry/plugins/registry_heap.py), and only a served one: a face built inside another program
leaves that program's collector alone."""

from __future__ import annotations

import asyncio
import gc

from test_publish import build_registry

from registry import faces
from registry.collector import FREEZE_HEAP_VARIABLE, collector_paused, freeze_what_lives


def _start(path):
    datasette = faces.internal_face(path, auth=False).datasette()
    asyncio.run(datasette.invoke_startup())
    return datasette


def test_a_served_face_freezes_its_startup_heap(tmp_path, monkeypatch):
    path = build_registry(tmp_path / "registry.db")
    gc.unfreeze()
    try:
        _start(path)
        assert gc.get_freeze_count() == 0  # not served: nothing frozen
        monkeypatch.setenv(FREEZE_HEAP_VARIABLE, "1")
        datasette = _start(path)
        frozen = gc.get_freeze_count()
        assert frozen > 20_000, frozen  # the modules, templates and plugins of a face
        assert len(gc.get_objects(generation=2)) < frozen / 10  # a full pass no longer walks them
        response = asyncio.run(datasette.client.get("/registry/agreements.json?_shape=array"))
        assert response.status_code == 200 and response.json()  # and the face still answers
    finally:
        gc.unfreeze()


def test_the_freeze_leaves_the_collector_running_for_what_comes_after():
    """What is frozen is what lived then (the count returned); the collector still runs, and a cycle made
    afterwards is collected."""
    gc.unfreeze()
    try:
        frozen = freeze_what_lives()
        assert frozen == gc.get_freeze_count() > 0 and gc.isenabled()

        class Cycle:
            pass

        made = Cycle()
        made.me = made
        del made
        assert gc.collect() >= 1  # the cycle, found by a pass that no longer walks the frozen objects
        assert not [o for o in gc.get_objects() if isinstance(o, Cycle)]
    finally:
        gc.unfreeze()


def test_what_a_kept_pause_made_goes_to_the_oldest_generation_and_what_is_frozen_stays_frozen():
    """``collector_paused(kept=True)``: what was made meanwhile is not left young for the next pass to walk all at
    once; a cycle among it is still collected by a full pass. Objects frozen before stay frozen."""

    class Cycle:
        pass

    gc.unfreeze()
    try:
        with collector_paused(kept=True):
            made = [Cycle() for _ in range(1_000)]
            cycle = Cycle()
            cycle.me = cycle
        assert gc.isenabled() and gc.get_freeze_count() == 0
        assert not any(o is made for o in gc.get_objects(generation=0))
        assert any(o is made for o in gc.get_objects(generation=2))
        del cycle
        assert gc.collect() >= 1 and sum(isinstance(o, Cycle) for o in gc.get_objects()) == len(made)
        frozen = freeze_what_lives()
        with collector_paused(kept=True):
            more = [Cycle() for _ in range(10)]
        assert gc.get_freeze_count() == frozen and gc.isenabled() and len(more) == 10
    finally:
        gc.unfreeze()
