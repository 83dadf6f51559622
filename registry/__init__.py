"""Agreement and partner-network registry with due-diligence checks.

The Python API mirrors the CLI: ``registry.init``, ``registry.load``, ``registry.verify``
and friends are the functions the ``registry`` commands call.
"""

__version__ = "0.1.0"

from registry.api import backup, demo, export, history, import_file, init, load, migrate, stats, verify  # noqa: E402

__all__ = ["backup", "demo", "export", "history", "import_file", "init", "load", "migrate", "stats", "verify"]
