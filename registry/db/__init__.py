"""The store: the registry's SQLite file, its schema kept up to date, and logged writes.

    from registry import db as store
    database = store.connect("office.db")
    store.ensure_schema(database)
    plan = store.write_records(database, records, actor="office", source="my-file.yml")

Its parts, each readable alone:

- ``connection``: open the file, the transaction whose changes the audit log attributes;
- ``upkeep``: create or bring up to date tables, indexes, triggers, search and views;
- ``rows``: values between models and stored rows;
- ``writes``: plan what records change, apply the plan, log it;
- ``maintenance``: history, statistics, backup.
"""

from registry.db.connection import (
    DEFAULT_DB,
    connect,
    default_actor,
    default_path,
    specs,
    split_sql,
    transaction,
)
from registry.db.maintenance import backup, history, stats
from registry.db.rows import decode, encode, encode_values, record_from_row
from registry.db.upkeep import ensure_schema, open_registry, rebuild_search, search_index_stale
from registry.db.writes import (
    BULK_SEARCH_REBUILD,
    FREEZE_AFTER_OBJECTS,
    Change,
    Plan,
    apply_plan,
    delete_record,
    gc_paused,
    missing_references,
    plan_changes,
    write_records,
)

__all__ = [
    "BULK_SEARCH_REBUILD", "DEFAULT_DB", "FREEZE_AFTER_OBJECTS", "Change", "Plan", "apply_plan", "backup", "connect",
    "decode", "default_actor", "default_path", "delete_record", "encode", "encode_values", "ensure_schema",
    "gc_paused", "history", "missing_references", "open_registry", "plan_changes", "rebuild_search", "record_from_row",
    "search_index_stale", "specs", "split_sql", "stats", "transaction", "write_records",
]
