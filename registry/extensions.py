"""Capabilities beyond the core plug in here without editing the core's files.

A module ``registry/cli_<area>.py`` may define:

- ``register(cli)``: add its click commands or groups to the ``registry`` command;
- ``demo_step(db)``: run after the example data is loaded into the demo registry
  (e.g. run the checks so the demo shows findings);
- ``init_step(db)``: run when ``registry init`` creates or updates a registry (e.g. load the
  shipped reference data a new registry needs to work out of the box);
- ``DEMO_ORDER``: when its demo step runs relative to others (default 50, lower first);
  steps that read what others make (running the checks) take a high number.

Modules register in name order. Importing them is cheap: they import their library modules,
which import the core, never the other way round.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from types import ModuleType

# The package's folder, not the package: importing ``registry`` here would close a circle through its API.
PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def capability_modules() -> tuple[ModuleType, ...]:
    names = sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE_DIR)]) if m.name.startswith("cli_"))
    return tuple(importlib.import_module(f"registry.{name}") for name in names)


def demo_steps() -> list[Callable[..., object]]:
    """Every capability's demo step, in DEMO_ORDER then name order."""
    modules = [m for m in capability_modules() if hasattr(m, "demo_step")]
    return [m.demo_step for m in sorted(modules, key=lambda m: (getattr(m, "DEMO_ORDER", 50), m.__name__))]


def init_steps() -> list:
    """Every capability's init step, in name order."""
    return [m.init_step for m in capability_modules() if hasattr(m, "init_step")]
