"""A model's fields as form fields: the input each type asks for, read from the model itself.

Enums become selects offering words, not codes; dates date inputs; booleans checkboxes (a
boolean that may be unknown, a select of yes, no and not known); numbers number inputs with
the model's bounds; long text a text area; a reference a select of the referenced table's rows,
or, for institutions, a picker that finds the partner by name (``registry.resolve``). Lists of
small values (EQF levels) are checkbox groups, lists of subject areas or language skills a line
of text (``0912, 0913``; ``en B2, sv``). Values go between the record and the form as text.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, get_args, get_origin

import annotated_types
import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator

from registry import labels
from registry.countries import country_name
from registry.db.vocabulary import label_of
from registry.models import Record
from registry.models.core import LanguageSkill, SubjectArea
from registry.schema import unwrap
from registry.schema_types import Ref, _country, _email, _url

LONG_TEXT = 2001  # a text that may be longer than this many characters gets a text area
PICKED_BY_NAME = {"institutions"}  # references chosen by typing a name, not from a list
COUNTRIES = "countries"  # what a country select refers to: its names come in the page's language


@dataclass
class FormField:
    name: str
    label: str  # English; the page translates it
    widget: str  # text, textarea, email, url, number, date, checkbox, select, checkboxes, picker, list
    required: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, words)
    help: str | None = None
    minimum: float | str | None = None  # a number's bounds, or a date's (ISO)
    maximum: float | str | None = None
    step: str | None = None
    references: str | None = None  # the table a select or picker chooses from
    item: type[BaseModel] | None = None  # a list widget's item model

    @property
    def multiple(self) -> bool:
        return self.widget == "checkboxes"


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, bool, list[Any]]:
    """The type under Optional and Annotated, whether None is allowed, and every marker met."""
    annotation, nullable, found = unwrap(annotation, metadata)
    expanded: list[Any] = []
    for item in found:
        expanded.extend(item if isinstance(item, annotated_types.GroupedMetadata) else [item])
    return annotation, nullable, expanded


def _marker(metadata: list[Any], kind: type) -> Any:
    return next((item for item in metadata if isinstance(item, kind)), None)


def _validates_with(metadata: list[Any], function) -> bool:
    return any(isinstance(item, (AfterValidator, BeforeValidator)) and item.func is function for item in metadata)


def country_choices(language: str = "en") -> list[tuple[str, str]]:
    """Every country as (ISO code, its name in ``language``), by name."""
    codes = [country.alpha_2 for country in pycountry.countries] + ["XK"]
    return sorted(((code, country_name(code, language)) for code in codes), key=lambda choice: choice[1])


def form_field(model: type[Record], name: str) -> FormField:
    """The form field of one of ``model``'s fields."""
    info = model.model_fields[name]
    annotation, nullable, metadata = _unwrap(info.annotation, list(info.metadata))
    required = info.is_required()
    found = FormField(name, labels.field_words(name), "text", required=required, help=info.description)
    reference = _marker(metadata, Ref)
    if reference is not None:
        found.references = reference.table
        found.widget = "picker" if reference.table in PICKED_BY_NAME else "select"
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        found.widget, found.required = "select", required or not nullable  # a default is a choice made
        found.choices = [(member.value, label_of(member)) for member in annotation]
    elif annotation is bool:
        found.widget = "select" if nullable else "checkbox"
        if nullable:
            found.choices = [("true", "Yes"), ("false", "No")]
    elif annotation in (int, float):
        found.widget, found.step = "number", "1" if annotation is int else "any"
        found.minimum = _bound(metadata, annotated_types.Ge, "ge")
        found.maximum = _bound(metadata, annotated_types.Le, "le")
    elif annotation is date:
        found.widget = "date"
    elif get_origin(annotation) is list:
        _list_field(found, get_args(annotation)[0])
    elif _validates_with(metadata, _country):
        found.widget, found.choices, found.references = "select", country_choices(), COUNTRIES
    elif _validates_with(metadata, _email):
        found.widget = "email"
    elif _validates_with(metadata, _url):
        found.widget = "url"
    else:
        longest = _marker(metadata, annotated_types.MaxLen)
        if longest is not None and longest.max_length >= LONG_TEXT:
            found.widget = "textarea"
    return found


def _bound(metadata: list[Any], kind: type, attribute: str) -> float | None:
    marker = _marker(metadata, kind)
    return None if marker is None else float(getattr(marker, attribute))


def _list_field(found: FormField, item: Any) -> None:
    item_type, _, item_metadata = _unwrap(item, [])
    if item_type is int:
        low = int(_bound(item_metadata, annotated_types.Ge, "ge") or 0)
        high = int(_bound(item_metadata, annotated_types.Le, "le") or low)
        found.widget = "checkboxes"
        found.choices = [(str(n), str(n)) for n in range(low, high + 1)]
    else:
        found.widget, found.item = "list", item_type
        found.help = {SubjectArea: "ISCED-F codes separated by commas, e.g. 0912, 0913",
                      LanguageSkill: "a language and its CEFR level, separated by commas, e.g. en B2, sv"}.get(item_type)


def form_fields(model: type[Record], names: typing.Iterable[str]) -> list[FormField]:
    return [form_field(model, name) for name in names]


# --- values between a record and a form ------------------------------------------------------


def shown(form_field: FormField, value: Any) -> Any:
    """A stored value as the form shows it: text, a list of texts (checkbox groups) or a bool."""
    if form_field.widget == "checkbox":
        return bool(value)
    if form_field.widget == "checkboxes":
        return [str(v) for v in value or []]
    if value is None:
        return ""
    if form_field.widget == "list":
        return ", ".join(_list_item_text(form_field.item, item) for item in value or [])
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _list_item_text(item_model: type[BaseModel] | None, item: Any) -> str:
    if isinstance(item, BaseModel):
        item = item.model_dump(mode="json")
    if item_model is SubjectArea:
        return str(item.get("isced_code", ""))
    if item_model is LanguageSkill:
        return " ".join(str(item[k]) for k in ("language", "cefr_level") if item.get(k))
    return str(item)


def posted(form_field: FormField, form) -> Any:
    """What the form posted for a field, as text (a list for a checkbox group, a bool for a checkbox)."""
    if form_field.widget == "checkboxes":
        return form.getlist(form_field.name) if hasattr(form, "getlist") else list(form.get(form_field.name) or [])
    if form_field.widget == "checkbox":
        return form.get(form_field.name) not in (None, "", "false", "0")
    return (form.get(form_field.name) or "").strip()


def model_input(form_field: FormField, value: Any) -> Any:
    """A posted value as the model's input; None when the field was left empty."""
    if form_field.widget in ("checkbox", "checkboxes"):
        return value
    if value in ("", None):
        return None
    if form_field.widget == "list":
        return [_list_item(form_field.item, part.strip()) for part in str(value).split(",") if part.strip()]
    return value


def _list_item(item_model: type[BaseModel] | None, text: str) -> Any:
    if item_model is SubjectArea:
        return {"isced_code": text}
    if item_model is LanguageSkill:
        language, _, level = text.partition(" ")
        return {"language": language, **({"cefr_level": level.strip().upper()} if level.strip() else {})}
    return text
