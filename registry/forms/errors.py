"""A refusal said in words: which field, which rule, in the page's language.

Pydantic names its errors by type (``missing``, ``date_from_datetime_parsing``,
``string_pattern_mismatch`` ...); the store names its problems by code. Neither reaches a user:
each becomes a sentence that names the field by its label and says the rule, and the field it
belongs to is marked on the form. A rule across fields (an end before a start, a review dated
after today) marks each field it reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from registry import labels
from registry.forms.fields import FormField
from registry.models import Record
from registry.problems import ProblemsFound

# Pydantic's error types, as sentences; {label} is the field's label, the rest its context.
SENTENCES = {
    "missing": "{label} is required.",
    "string_too_short": "{label} cannot be empty.",
    "string_too_long": "{label} is too long: at most {max_length} characters.",
    "enum": "{label} must be one of the choices offered.",
    "literal_error": "{label} must be one of the choices offered.",
    "date_parsing": "{label} must be a date (year-month-day).",
    "date_from_datetime_parsing": "{label} must be a date (year-month-day).",
    "date_from_datetime_inexact": "{label} must be a date (year-month-day).",
    "date_type": "{label} must be a date (year-month-day).",
    "int_parsing": "{label} must be a whole number.",
    "int_from_float": "{label} must be a whole number.",
    "int_type": "{label} must be a whole number.",
    "float_parsing": "{label} must be a number.",
    "float_type": "{label} must be a number.",
    "bool_parsing": "{label} must be yes or no.",
    "greater_than_equal": "{label} must be at least {ge}.",
    "less_than_equal": "{label} must be at most {le}.",
    "greater_than": "{label} must be more than {gt}.",
    "less_than": "{label} must be less than {lt}.",
    "string_pattern_mismatch": "{label} is not written as the registry expects.",
    "list_type": "{label} must be a list.",
}
SLUG_SENTENCE = "{label} may hold only lower-case letters, digits, '.', '_' and '-', and starts with a letter or digit."
ORDER = re.compile(r"^(?P<later>\w+) \((?P<later_value>[^)]*)\) is before (?P<earlier>\w+) \((?P<earlier_value>[^)]*)\)$")
Translate = Callable[..., str]


@dataclass
class Refusal:
    """What a form says when a save is refused: sentences per field, and for the whole form."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str | None, sentence: str) -> None:
        if name:
            self.fields.setdefault(name, [])
            if sentence not in self.fields[name]:
                self.fields[name].append(sentence)
        elif sentence not in self.general:
            self.general.append(sentence)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def sentences(self) -> list[str]:
        """Every reason once (a rule across two fields marks both)."""
        return list(dict.fromkeys([*self.general, *(s for found in self.fields.values() for s in found)]))


def _value(text: Any) -> str:
    return str(text).removeprefix("Value error, ").strip()


def from_validation(error: ValidationError, model: type[Record], shown: Iterable[FormField], _: Translate,
                    prefix: str = "", refusal: Refusal | None = None) -> Refusal:
    """Each of pydantic's errors as a sentence on its field (``prefix`` names a sub-form's inputs)."""
    refusal = refusal if refusal is not None else Refusal()
    by_name = {f.name: f for f in shown}
    for detail in error.errors():
        location = [str(part) for part in detail["loc"]]
        name = location[0] if location else None
        if name is None:
            _model_rule(refusal, model, _value(detail["msg"]), by_name, _, prefix)
            continue
        label = _(by_name[name].label if name in by_name else labels.field_words(name))
        refusal.add(prefix + name if name in by_name else None, _field_sentence(detail, name, label, model, _))
    return refusal


def _field_sentence(detail: Any, name: str, label: str, model: type[Record], _: Translate) -> str:
    kind, context = detail["type"], detail.get("ctx") or {}
    if detail.get("input") is None and name in model.model_fields and model.model_fields[name].is_required():
        kind = "missing"  # a caller that passes None for a field left empty
    if kind == "string_pattern_mismatch":
        if "a-z0-9._-" in str(context.get("pattern", "")):
            return _(SLUG_SENTENCE, label=label)
        description = model.model_fields[name].description if name in model.model_fields else None
        if description:
            return _("{label} is not written as the registry expects: {description}.", label=label, description=_(description))
    if kind in SENTENCES:
        values = {key: (f"{value:g}" if isinstance(value, float) else value) for key, value in context.items()}
        return _(SENTENCES[kind], label=label, **values)
    return _("{label}: {rule}", label=label, rule=_(_value(detail["msg"])))


def _model_rule(refusal: Refusal, model: type[Record], message: str, by_name: dict[str, FormField], _: Translate,
                prefix: str) -> None:
    """A rule across fields: the order of two dates, a rule in SQL, exactly one of a group."""
    order = ORDER.match(message)
    if order:
        later, earlier = order["later"], order["earlier"]
        sentence = _("{later} ({later_value}) is before {earlier} ({earlier_value}).",
                     later=_(labels.field_words(later)), later_value=order["later_value"],
                     earlier=_(labels.field_words(earlier)), earlier_value=order["earlier_value"])
        marked = [name for name in (later, earlier) if name in by_name]
        for name in marked or [None]:
            refusal.add(prefix + name if name else None, sentence)
        return
    for rule in model.rules:
        if message.startswith(rule.message):
            sentence = _(_sentence_case(rule.message)) + "."
            marked = [name for name in rule.fields if name in by_name]
            for name in marked or [None]:
                refusal.add(prefix + name if name else None, sentence)
            return
    refusal.add(None, _(_sentence_case(message)))


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def from_problems(problems: ProblemsFound, shown: Iterable[FormField], _: Translate, refusal: Refusal | None = None,
                  model: type[Record] | None = None) -> Refusal:
    """The store's problems (an unknown reference, a code another record holds) on their fields;
    problems a model's validation raised (``model``) as that validation's sentences."""
    refusal = refusal if refusal is not None else Refusal()
    shown = list(shown)
    if model is not None and isinstance(problems.__cause__, ValidationError):
        return from_validation(problems.__cause__, model, shown, _, refusal=refusal)
    by_name = {f.name: f for f in shown}
    for problem in problems.problems:
        name = problem.field if problem.field in by_name else None
        sentence = _(_sentence_case(problem.message))
        refusal.add(name, _("{label}: {rule}", label=_(by_name[name].label), rule=sentence) if name else sentence)
    return refusal
