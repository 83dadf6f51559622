"""The one definition of every record in the registry and of its rules.

Each ``Record`` subclass is one table. Its fields are the columns; ``Annotated`` markers
(``Ref``, ``Indexed``, ``SqlCheck``) and pydantic constraints become foreign keys,
indexes and CHECK constraints (``registry.schema``); its docstring and field descriptions
become the Datasette documentation. Each capability keeps its records in a module of this
package; importing the package registers them all.
"""

from registry.models.accounts import *  # noqa: F401,F403
from registry.models.action_plan import *  # noqa: F401,F403
from registry.models.base import RECORDS, Record, by_table
from registry.models.core import *  # noqa: F401,F403
from registry.models.core import MOBILITY_KINDS  # noqa: F401
from registry.models.diligence import *  # noqa: F401,F403
from registry.models.documents import *  # noqa: F401,F403
from registry.models.ewp import *  # noqa: F401,F403
from registry.models.imports import *  # noqa: F401,F403
from registry.models.labels import *  # noqa: F401,F403
from registry.models.placements import *  # noqa: F401,F403
from registry.models.reference import *  # noqa: F401,F403
from registry.models.screening import *  # noqa: F401,F403

__all__ = ["RECORDS", "Record", "by_table"]
