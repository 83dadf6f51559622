"""Due-diligence and portfolio checks over the whole registry.

Each check is a small function in a module of this package, registered with
``@check(code=..., title=..., severity=..., family=..., criterion=..., source=...)``; its
docstring is the rationale users read. It receives a ``Context`` (the registry, the criteria
from ``data/criteria.yml`` and the date taken as today) and returns what it found from one
set-based SQL query (``Context.found``). Checks of one shape are rows of a table that one
function turns into checks (``checks.responsible.INDICATOR_THRESHOLDS``). ``checks.run.run_checks``
runs a selection and records the run and its findings. See ``docs/checks.md`` (generated) for every check.
"""

from checks.context import Context, Found, load_criteria
from checks.registry import CHECKS, CheckSpec, all_checks, check, select

__all__ = ["CHECKS", "CheckSpec", "Context", "Found", "all_checks", "check", "load_criteria", "select"]
