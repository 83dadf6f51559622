"""Agreement and partner-network registry with due-diligence checks.

``registry.api`` has a function for every ``registry`` command; the most used are here too:
``registry.init``, ``registry.load``, ``registry.verify`` and friends.
"""

__version__ = "0.1.0"

from registry.api import backup, check, demo, export, history, import_file, init, load, migrate, stats, verify  # noqa: E402

__all__ = ["backup", "check", "demo", "export", "history", "import_file", "init", "load", "migrate", "stats", "verify"]
