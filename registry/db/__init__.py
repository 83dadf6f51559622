"""The store: the registry's SQLite file, its schema kept up to date, and logged writes.

    from registry import db as store
    database = store.connect("office.db")
    store.ensure_schema(database)
    plan = store.write_records(database, records, actor="office", source="my-file.yml")

Its parts, each readable alone:

- ``connection``: open the file, the transaction whose changes the audit log attributes;
- ``upkeep``: the schema's statements and version, a new file's schema, how a file differs;
- ``migrations``: bring a file of an earlier release to this schema (``registry migrate``);
- ``versions``: the schema versions, one fingerprint each;
- ``rows``: values between models and stored rows;
- ``writes``: plan what records change, apply the plan, log it;
- ``journal``: a large write with the file to itself takes a rollback journal, not the WAL;
- ``maintenance``: history, statistics, backup.
"""

from registry.db.connection import (
    DEFAULT_DB,
    DamagedFile,
    LockedFile,
    ReadOnlyFile,
    StoreError,
    connect,
    default_actor,
    default_path,
    describe_error,
    file_path,
    map_for_reading,
    read_only_uri,
    require_folder,
    specs,
    split_sql,
    transaction,
    writable,
    written_whole,
)
from registry.db.maintenance import backup, history, quick_check, require_intact, stats
from registry.db.migrations import Migration, MigrationRefused, migrate
from registry.db.rows import decode, encode, encode_values, record_from_row
from registry.db.upkeep import (
    NewerSchema,
    NotARegistry,
    OlderSchema,
    drift,
    ensure_schema,
    open_registry,
    rebuild_search,
    refresh_statistics,
    schema_fingerprint,
    search_index_stale,
)
from registry.db.versions import SCHEMA_VERSION
from registry.db.writes import (
    BATCH_RECORDS,
    BULK_SEARCH_REBUILD,
    FREEZE_AFTER_OBJECTS,
    BulkWrite,
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
    "BATCH_RECORDS", "BULK_SEARCH_REBUILD", "BulkWrite", "DEFAULT_DB", "FREEZE_AFTER_OBJECTS", "SCHEMA_VERSION", "Change", "DamagedFile", "LockedFile",
    "Migration", "MigrationRefused", "NewerSchema", "NotARegistry", "OlderSchema", "Plan",
    "ReadOnlyFile", "StoreError", "apply_plan", "backup", "connect", "decode", "default_actor", "default_path",
    "delete_record", "describe_error", "drift", "encode", "encode_values", "ensure_schema", "gc_paused", "history",
    "migrate", "missing_references", "open_registry", "plan_changes", "quick_check", "file_path", "map_for_reading", "read_only_uri",
    "rebuild_search", "refresh_statistics", "record_from_row", "require_folder", "require_intact", "schema_fingerprint", "search_index_stale", "specs",
    "split_sql", "stats", "transaction", "writable", "write_records", "written_whole",
]
