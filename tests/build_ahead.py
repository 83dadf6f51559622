"""Fills one of the suite's shared folders (``conftest.SHARED_FOLDERS``) in a process of its own:
``python tests/build_ahead.py <root> <name>``. Started by a test worker (``conftest.pytest_collection_finish``),
which hands it the folder's lock already taken; it holds until this process exits."""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS), str(TESTS.parent)]  # conftest and match_fixtures; the checkout, as pytest's pythonpath

from conftest import fill_shared_folder  # noqa: E402

fill_shared_folder(Path(sys.argv[1]), sys.argv[2])
