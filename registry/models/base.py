"""The base of every stored record: declared keys, child tables and rules shared with SQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import date
from functools import cache
from operator import attrgetter
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from registry import clock
from registry.schema_types import SqlRule

_rule_connections = threading.local()


def _broken(rule: SqlRule, values: dict[str, Any]) -> bool:
    """Whether ``values`` break ``rule``, asked of SQLite itself, so the model and the store's
    triggers read one expression the same way (dates as text, NULL passes)."""
    conn = getattr(_rule_connections, "conn", None)
    if conn is None:
        conn = _rule_connections.conn = sqlite3.connect(":memory:")
        clock.register_sql(conn)
    broken: int = conn.execute(f"SELECT NOT ({rule.parameterised()})", values).fetchone()[0]
    return broken == 1


def _comparable(value: Any) -> Any:
    """A raw input value as something ordered, or None when it is not yet valid."""
    if isinstance(value, (date, int)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value if value[:4].isdigit() and "/" in value else None
    return None


RECORDS: list[type[Record]] = []
"""Every stored record type in the order defined; a subclass with a ``table`` joins it."""

# Record's model validators (defined on it, given to its subclasses by ``__init_subclass__``):
# name -> (mode, the class declarations any of which needs it), in the order they wrap.
_VALIDATORS_NEEDED: dict[str, tuple[str, tuple[str, ...]]] = {
    "_fill_child_parent_keys": ("before", ("children",)),
    "_report_order_with_field_errors": ("wrap", ("ordered",)),
    "_check_order_and_exclusivity": ("after", ("children", "rules", "ordered", "exactly_one")),
}


Children = dict[str, tuple[type["Record"], str]]
"""A record's nested children: field name -> (child record class, the child's field naming the parent)."""


class Record(BaseModel):
    """Base of every stored record: strict fields, declared keys, checks shared with SQL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)

    table: ClassVar[str]
    primary_key: ClassVar[tuple[str, ...]] = ("id",)
    # field name -> (child record class, the child's field that points back at this record)
    children: ClassVar[Children] = {}
    # pairs (earlier, later): the later value may not precede the earlier one
    ordered: ClassVar[tuple[tuple[str, str], ...]] = ()
    # groups of fields of which exactly one must be set
    exactly_one: ClassVar[tuple[tuple[str, ...], ...]] = ()
    # rules across fields or against today, in SQL (see SqlRule): checked here and by triggers
    rules: ClassVar[tuple[SqlRule, ...]] = ()
    label_column: ClassVar[str | None] = None
    # False for tables a program rewrites wholesale (check findings): their own rows keep
    # their history, and logging every rewrite would swamp the audit log.
    audited: ClassVar[bool] = True
    # True for secrets (password hashes, session digests): never exported or published, and
    # unreadable through the faces (registry/plugins/registry_auth.py).
    secret: ClassVar[bool] = False
    # False for files kept in the registry (signed documents): in the file and its backups, not in seed YAML.
    as_text: ClassVar[bool] = True
    # False for copies of another registry's data (ROR, the world-universities list), which
    # 'registry init' or 'registry reference load' brings back: seed YAML writes them only when
    # asked for by name. A new registry holds 24,000 of them and an office's own records are few.
    exported_unasked: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "table" in cls.__dict__:
            RECORDS.append(cls)
        # Before pydantic collects the class's validators: each goes only to the models whose
        # declarations need it (and their subclasses). A model validator is a Python call
        # around or after every validation: paid by every child row of a large load, the three
        # took a third of an agreement's validation for nothing.
        for name, (mode, needed_by) in _VALIDATORS_NEEDED.items():
            if any(cls.__dict__.get(declaration) for declaration in needed_by):
                function = getattr(Record, name)
                setattr(cls, name, model_validator(mode=mode)(  # type: ignore[call-overload]
                    classmethod(function.__func__) if mode != "after" else function))

    @classmethod
    def _fill_child_parent_keys(cls, data: Any) -> Any:
        """Nested children inherit the parent's key, so YAML need not repeat it."""
        if not cls.children or not isinstance(data, dict):
            return data
        parent_key = data.get(cls.primary_key[0])
        data = dict(data)
        for field_name, (child_cls, parent_field) in cls.children.items():
            items = data.get(field_name)
            if not isinstance(items, list):
                continue
            filled = []
            numbered = "term_no" in child_cls.model_fields
            for position, item in enumerate(items, start=1):
                item = child_cls.shorthand(item)
                if isinstance(item, dict):
                    item = dict(item)
                    item.setdefault(parent_field, parent_key)
                    if numbered:
                        item.setdefault("term_no", position)
                filled.append(item)
            data[field_name] = filled
        return data

    @classmethod
    def shorthand(cls, item: Any) -> Any:
        """Expand a compact YAML form of a child (e.g. a bare id) to a mapping."""
        return item

    @classmethod
    def _report_order_with_field_errors(cls, data: Any, handler: Any) -> Any:
        """Field errors stop after-validators; still report reversed dates in the same pass,
        so that a user fixing a file sees every problem at once.

        A wrap validator only of the models that declare ``ordered`` (see ``__init_subclass__``):
        wrapping is a Python call around every validation, a sixth of an agreement's time
        when each of its children paid for it too."""
        try:
            return handler(data)
        except ValidationError as error:
            extra = cls._raw_order_errors(data)
            if not extra:
                raise
            details: list[InitErrorDetails] = [
                {"type": e["type"], "loc": e["loc"], "input": e["input"], "ctx": e.get("ctx", {})}
                if e["type"] != "value_error"
                else {"type": PydanticCustomError("value_error", e["msg"].removeprefix("Value error, ")), "loc": e["loc"], "input": e["input"]}
                for e in error.errors()
            ]
            raise ValidationError.from_exception_data(error.title, details + extra) from None

    @classmethod
    def _raw_order_errors(cls, data: Any) -> list[InitErrorDetails]:
        if not isinstance(data, dict):
            return []
        errors: list[InitErrorDetails] = []
        for earlier, later in cls.ordered:
            first, second = _comparable(data.get(earlier)), _comparable(data.get(later))
            if first is not None and second is not None and type(first) is type(second) and second < first:
                message = f"{later} ({data[later]}) is before {earlier} ({data[earlier]})"
                errors.append({"type": PydanticCustomError("value_error", message), "loc": (), "input": data})
        return errors

    def _check_order_and_exclusivity(self) -> Record:
        if self.children:
            self._check_children_unique()
        if self.rules:
            self._check_rules()
        if not (self.ordered or self.exactly_one):
            return self
        for earlier, later in self.ordered:
            first, second = getattr(self, earlier), getattr(self, later)
            if first is not None and second is not None and second < first:
                raise ValueError(f"{later} ({second}) is before {earlier} ({first})")
        for group in self.exactly_one:
            set_fields = [name for name in group if getattr(self, name) is not None]
            if len(set_fields) != 1:
                raise ValueError(f"exactly one of {', '.join(group)} must be given (got {len(set_fields)})")
        return self

    def _check_rules(self) -> None:
        values = self.model_dump(mode="json", include={name for rule in self.rules for name in rule.fields})
        for rule in self.rules:
            if _broken(rule, {name: values.get(name) for name in rule.fields}):
                shown = [f"{name} {values.get(name)}" for name in rule.fields]
                if rule.reads_today:
                    shown.append(f"today {clock.today().isoformat()}")
                raise ValueError(f"{rule.message} ({', '.join(shown)})")

    def _check_children_unique(self) -> None:
        """Two children with the same key (e.g. a name given twice, once with a trailing space)
        would collide in the store; say so here, where the file and line are still known."""
        for field_name in self.children:
            seen = set()
            for child in getattr(self, field_name):
                key = child.key()
                if key in seen:
                    raise ValueError(f"{field_name}: {'/'.join(map(str, key[1:] or key))!r} is given twice")
                seen.add(key)

    @classmethod
    def column_names(cls) -> list[str]:
        names = [name for name in cls.model_fields if name not in cls.children]
        return names + list(cls.model_computed_fields)

    def key(self) -> tuple[Any, ...]:
        return _key_getter(type(self))(self)

    def columns(self) -> dict[str, Any]:
        """This record's own columns as JSON-compatible values (children excluded)."""
        return self.model_dump(mode="json", exclude=set(self.children))


@cache
def _key_getter(cls: type[Record]) -> Callable[[Record], tuple[Any, ...]]:
    """A function giving a record's key: asked for every child of every record a load validates."""
    getter = attrgetter(*cls.primary_key)
    if len(cls.primary_key) == 1:
        return lambda record: (getter(record),)
    return getter


def by_table() -> dict[str, type[Record]]:
    return {record.table: record for record in RECORDS}
