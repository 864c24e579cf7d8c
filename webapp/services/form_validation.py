"""Validate submitted data against a step's JSON Schema form, with readable field errors."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from webapp.services.errors import InvalidDataError
from webapp.services.form_schemas import form_validator, stored_schema_problem


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: its dotted path, a stable code and an English message."""

    path: str
    code: str
    message: str


# NUL and the other control characters (tab, line feed and carriage return excepted), and
# unpaired UTF-16 surrogates: no database column can hold them.
_REFUSED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_MAX_DEPTH = 64


def _unstorable(data: Any) -> Iterator[FieldProblem]:
    """Values the schema may allow but nothing can store: refused characters in a text or a
    key, integers beyond 64 bits, infinite numbers, nesting deeper than 64 (iterative)."""
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        where = path or "data"
        if depth > _MAX_DEPTH:
            yield FieldProblem(where, "too_deep", "is nested too deeply")
        elif isinstance(value, str):
            if _REFUSED_CHARACTERS.search(value):
                yield FieldProblem(where, "invalid_text", "contains characters that are refused")
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not _INT_MIN <= value <= _INT_MAX:
                yield FieldProblem(where, "out_of_range", "is out of range")
        elif isinstance(value, float):
            if not math.isfinite(value):
                yield FieldProblem(where, "out_of_range", "is out of range")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = str(key)
                if _REFUSED_CHARACTERS.search(name):
                    yield FieldProblem(where, "invalid_text", "has a key that is refused")
                    continue
                stack.append((f"{path}.{name}" if path else name, item, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend(
                (f"{path}.{i}" if path else str(i), item, depth + 1) for i, item in enumerate(value)
            )


def _choices(schema: dict[str, Any]) -> list[str]:
    if "enum" in schema:
        return [str(v) for v in schema["enum"] if v is not None]
    return [str(option["const"]) for option in schema.get("oneOf", []) if "const" in option]


def _problems_of(error: ValidationError) -> list[FieldProblem]:
    path = ".".join(str(p) for p in error.absolute_path)

    def join(name: str) -> str:
        return f"{path}.{name}" if path else name

    validator = error.validator
    if validator == "required":
        missing = [n for n in error.validator_value if n not in (error.instance or {})]
        return [FieldProblem(join(n), "required", "is required") for n in missing]
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        if error.schema.get("additionalProperties") is False:
            return [
                FieldProblem(join(k), "unknown_field", "is not a field of this form") for k in extra
            ]
    if validator == "type" and error.instance is None:
        return [FieldProblem(path or "data", "required", "is required")]
    if validator in {"enum", "oneOf", "const"}:
        choices = _choices(error.schema)
        if choices:
            return [FieldProblem(path, "choice", f"must be one of: {', '.join(choices)}")]
    messages = {
        "type": ("type", f"must be of type {error.validator_value}"),
        "minLength": ("blank", "must not be empty"),
        "pattern": ("blank", "must not be blank"),
        "maxLength": ("too_long", f"is too long (at most {error.validator_value} characters)"),
        "format": ("format", f"must be a valid {error.validator_value} (YYYY-MM-DD)"),
        "minItems": ("too_few", f"needs at least {error.validator_value} item(s)"),
        "maxItems": ("too_many", f"has more than {error.validator_value} items"),
        "minProperties": ("too_few", "must not be empty"),
        "uniqueItems": ("duplicates", "must not repeat an item"),
        "minimum": ("too_small", f"must be at least {error.validator_value}"),
        "maximum": ("too_large", f"must be at most {error.validator_value}"),
    }
    code, message = messages.get(str(validator), ("invalid", error.message))
    return [FieldProblem(path or "data", code, message)]


def _flatten(errors: list[ValidationError]) -> list[ValidationError]:
    out: list[ValidationError] = []
    for error in errors:
        # if/then and allOf report the inner failures; keep those, they name the field.
        if error.validator in {"allOf", "anyOf"} and error.context:
            out.extend(_flatten(list(error.context)))
        else:
            out.append(error)
    return out


def validate_form(
    schema: dict[str, Any],
    data: Any,
    *,
    nominee_ids: Collection[str] = (),
    closed_nominee_ids: Collection[str] = (),
) -> dict[str, Any]:
    """Check `data` against `schema`; return it with every form field present (None if absent).

    Raises InvalidDataError naming each bad field. `x-nominee-map` objects must hold exactly
    `nominee_ids` (the nominees the step decides on) as keys; `x-nominee-list` arrays may only
    hold them. A nominee in `closed_nominee_ids` (rejected at an earlier level) is named as
    such: it is neither required nor accepted.
    """
    # A form stored before forms were checked at upload is checked here (once per schema):
    # an unsafe one refuses every submission instead of fetching, opening or hanging.
    unsafe = stored_schema_problem(schema)
    if unsafe is not None:
        raise InvalidDataError(
            f"this step's form is not usable ({unsafe}); an administrator must correct it",
            {"form": unsafe.code},
            code="invalid_form",
        )
    if not isinstance(data, dict):
        raise InvalidDataError("data must be an object", {"data": "must be an object"})
    unstorable = list(_unstorable(data))
    if unstorable:
        raise FormInvalidError(unstorable)
    problems: list[FieldProblem] = []
    try:
        errors = list(form_validator(schema).iter_errors(data))
    except (RecursionError, Unresolvable) as exc:
        raise InvalidDataError(
            f"this step's form cannot check the data ({type(exc).__name__})",
            {"form": "invalid_form"},
            code="invalid_form",
        ) from None
    for error in _flatten(errors):
        problems.extend(_problems_of(error))
    properties: dict[str, Any] = schema.get("properties", {})
    known = set(nominee_ids)
    closed = set(closed_nominee_ids) - known
    for name, prop in properties.items():
        value = data.get(name)
        if prop.get("x-nominee-map") and isinstance(value, dict):
            problems += [
                _not_decided_on(f"{name}.{k}", k in closed) for k in value if k not in known
            ]
            problems += [
                FieldProblem(f"{name}.{k}", "required", "is required")
                for k in sorted(known)
                if k not in value
            ]
        if prop.get("x-nominee-list") and isinstance(value, list):
            problems += [
                _not_decided_on(f"{name}.{i}", str(k) in closed)
                for i, k in enumerate(value)
                if str(k) not in known
            ]
    if problems:
        unique = {p.path: p for p in problems}
        raise FormInvalidError(list(unique.values()))
    return {name: data.get(name) for name in properties}


def _not_decided_on(path: str, closed: bool) -> FieldProblem:
    if closed:
        return FieldProblem(
            path, "not_in_play", "was rejected at an earlier level and is no longer decided on"
        )
    return FieldProblem(path, "not_a_nominee", "is not a nominee of this dossier")


class FormInvalidError(InvalidDataError):
    """Form data that does not fit; carries each field's code for translated messages."""

    def __init__(self, problems: list[FieldProblem]):
        super().__init__(
            "the data does not fit the form: " + ", ".join(p.path for p in problems),
            {p.path: p.message for p in problems},
        )
        self.problems = problems
