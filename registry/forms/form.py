"""One form as a page shows it: sections of fields, their values, what was refused, its version.

A page builds a ``Form`` from the stored record (its current values) or from what was posted
(kept as typed when a save is refused), validates it with the record's own model and either
saves or shows it again with the ``Refusal``: each refused field marked with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from registry.forms.errors import Refusal, from_validation
from registry.forms.fields import FormField, model_input, posted, shown
from registry.models import Record

REMOVE = "_remove"  # the name of the button that deletes the record
VERSION = "_version"  # the hidden input holding the version of the record as the form was opened
SHOWN = ":shown"  # a hidden input <name>:shown says a checkbox was on the form (an unticked one is not sent)


@dataclass
class Section:
    title: str | None
    fields: list[FormField]
    prefix: str = ""  # input names are prefix + field name (one sub-form per direction of a new agreement)
    note: str | None = None

    def name(self, form_field: FormField) -> str:
        return self.prefix + form_field.name


@dataclass
class Form:
    title: str
    sections: list[Section]
    values: dict[str, Any] = field(default_factory=dict)  # by input name
    refusal: Refusal = field(default_factory=Refusal)
    version: str | None = None
    intro: list[str] = field(default_factory=list)  # sentences, already in the page's language
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value) shown above the fields
    submit: str = "Save"
    remove: str | None = None  # the words of a button that deletes the record, when it may be deleted
    cancel: tuple[str, str] | None = None  # the record (table, key) whose page "Cancel" leads back to
    status: int = 200  # the HTTP status the page answers with: 400 refused, 409 changed meanwhile
    notice: str | None = None  # a sentence shown first (e.g. the record changed meanwhile)
    # records found for the person to choose from: {"input": name, "value": ..., "label": ...}, or a
    # record already in the registry: {"table": ..., "key": ..., "label": ...}, shown as a link
    found: list[dict[str, str]] = field(default_factory=list)

    def inputs(self) -> list[tuple[Section, FormField]]:
        return [(section, f) for section in self.sections for f in section.fields]

    def show(self, stored: Mapping[str, Any], prefix: str = "") -> Form:
        """Fill the fields of the sections with ``prefix`` from a stored record."""
        for section, form_field in self.inputs():
            if section.prefix == prefix and form_field.name in stored:
                self.values[section.name(form_field)] = shown(form_field, stored[form_field.name])
        return self

    def read(self, form: Any) -> Form:
        """Keep what was posted, as typed. A field the post does not mention keeps the value the
        form holds (the stored one): only a field sent empty is cleared. A checkbox is sent only
        when ticked, so the form marks each one it shows (``SHOWN``)."""
        for section, form_field in self.inputs():
            name = section.name(form_field)
            mentioned = name + SHOWN if form_field.widget in ("checkbox", "checkboxes") else name
            if mentioned in form or name in form:
                self.values[name] = _posted_as(form_field, name, form)
        return self

    def given(self, section: Section) -> dict[str, Any]:
        """A section's values as the model's input (None: left empty)."""
        return {f.name: model_input(f, self.values.get(section.name(f))) for f in section.fields}

    def section(self, prefix: str) -> Section:
        return next(s for s in self.sections if s.prefix == prefix)


def _posted_as(form_field: FormField, name: str, form: Any) -> Any:
    renamed = FormField(name, form_field.label, form_field.widget)
    return posted(renamed, form)


Translate = Callable[..., str]


def validated(model: type[Record], form: Form, section: Section, base: Mapping[str, Any], _: Translate,
              fixed: Mapping[str, Any] | None = None) -> Record | None:
    """The record ``base`` (its stored values) with a section's values laid over it, validated by
    its own model; None, with the reasons added to the form's refusal, when the model refuses it."""
    data = dict(base)
    for name, value in form.given(section).items():
        if name not in model.model_fields:
            continue
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    data.update(fixed or {})
    try:
        return model.model_validate(data)
    except ValidationError as error:
        from_validation(error, model, section.fields, _, section.prefix, form.refusal)
        return None
