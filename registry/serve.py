"""Datasette metadata and serving.

``metadata.yml`` at the repository root holds what people write by hand: titles, sources,
facets and canned queries. Each capability may add a fragment in ``registry/metadata.d/``.
Table and column descriptions are not written twice: they come from the models' docstrings
and field descriptions. ``build_metadata`` merges all of that for the database being served.
"""

from __future__ import annotations

import copy
import inspect
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

from registry import db as store

ROOT = Path(__file__).resolve().parent.parent
METADATA_FILE = ROOT / "metadata.yml"
FRAGMENTS_DIR = Path(__file__).resolve().parent / "metadata.d"
CANONICAL_DATABASE = "registry"  # the database name metadata.yml is written for


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _model_descriptions() -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table, spec in store.specs().items():
        entry: dict[str, Any] = {"description": inspect.cleandoc(spec.record.__doc__ or "").replace("\n", " ")}
        columns = {c.name: c.description for c in spec.columns if c.description}
        if columns:
            entry["columns"] = columns
        if spec.record.label_column:
            entry["label_column"] = spec.record.label_column
        tables[table] = entry
    return tables


def build_metadata(database_name: str = CANONICAL_DATABASE, *, metadata_file: Path = METADATA_FILE) -> dict[str, Any]:
    """The full Datasette metadata for a database served under ``database_name``."""
    metadata = yaml.safe_load(metadata_file.read_text(encoding="utf-8")) or {}
    for fragment in sorted(FRAGMENTS_DIR.glob("*.yml")) if FRAGMENTS_DIR.is_dir() else []:
        _merge(metadata, yaml.safe_load(fragment.read_text(encoding="utf-8")) or {})
    databases = metadata.setdefault("databases", {})
    written = databases.pop(CANONICAL_DATABASE, {})
    generated = {"tables": _model_descriptions()}
    databases[database_name] = _merge(generated, written)
    return metadata


def write_metadata(database_name: str, directory: Path | None = None) -> Path:
    directory = directory or Path(tempfile.mkdtemp(prefix="registry-metadata-"))
    path = directory / "metadata.json"
    path.write_text(json.dumps(build_metadata(database_name), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def datasette_args(db_path: Path, *, host: str, port: int, metadata_path: Path) -> list[str]:
    """Arguments for ``datasette serve`` on the internal registry file."""
    return [
        "serve",
        str(db_path),
        "--metadata",
        str(metadata_path),
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        "3000",
        "--setting",
        "facet_time_limit_ms",
        "500",
    ]


def serve(db_path: Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the registry with Datasette until interrupted."""
    from datasette.cli import cli as datasette_cli

    db_path = Path(db_path)
    if not db_path.exists():
        raise FileNotFoundError(f"no registry at {db_path}: run 'registry init' and 'registry load' first, or 'registry demo'")
    metadata_path = write_metadata(db_path.stem)
    datasette_cli.main(args=datasette_args(db_path, host=host, port=port, metadata_path=metadata_path), prog_name="registry serve")
