"""The foundations stay strictly typed: mypy on the modules pyproject.toml types strictly.

.ci/lint runs ruff and mypy over the whole tree; this keeps the part that is clean clean in
every test run, so that a change to a model, the store, the schema or the check registry that
loses its types fails here, where it is made."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

STRICT = ["registry/models", "registry/db", "registry/schema.py", "registry/schema_types.py", "checks/registry.py"]


def test_the_strictly_typed_modules_type_check():
    pytest.importorskip("mypy")
    # Imported modules outside the strict set are read for their types, not reported on.
    result = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", *STRICT], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
