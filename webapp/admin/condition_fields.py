"""What the modeler's condition picker offers: the choice fields of a version's forms.

A flow leaving a gateway may read "Quyết định = Trả lại": the field is a form field whose answer
is one of a list (oneOf/const or enum), the value one of its options. The modeler walks back
from the gateway to the steps before it and offers the fields of their forms; this module gives
it every form's choice fields, with their labels in the page's language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from webapp.services.process_versions import FORMS_PREFIX
from webapp.step_forms import label_of

# A name an expression can read (the panel's rule for names, frontend/modeler/extensions.js).
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Values a condition can compare with a literal the engine reads back the same.
LITERAL_TYPES = (str, int, float, bool)


def _options(schema: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    if isinstance(schema.get("oneOf"), list):
        return [
            {"value": option["const"], "label": label_of(option, str(option["const"]), lang)}
            for option in schema["oneOf"]
            if isinstance(option, Mapping) and isinstance(option.get("const"), LITERAL_TYPES)
        ]
    if isinstance(schema.get("enum"), list):
        labels = schema.get(f"x-labels-{lang}") or schema.get("x-labels") or {}
        return [
            {"value": value, "label": str(labels.get(str(value), value))}
            for value in schema["enum"]
            if isinstance(value, LITERAL_TYPES)
        ]
    return []


def choice_fields(form: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """The top-level fields of a form schema with a list of options, in the form's order:
    [{"name": "decision", "label": "Quyết định", "options": [{"value", "label"}]}]."""
    properties = form.get("properties")
    if not isinstance(properties, Mapping):
        return []
    fields = []
    for name, schema in properties.items():
        if not isinstance(schema, Mapping) or not VARIABLE_NAME.fullmatch(str(name)):
            continue  # a name no expression can read
        options = _options(schema, lang)
        if options:
            fields.append({"name": name, "label": label_of(schema, name, lang), "options": options})
    return fields


def fields_by_form(files: Mapping[str, str], lang: str) -> dict[str, list[dict[str, Any]]]:
    """Every form of a version (by file name, without forms/) with its choice fields."""
    result: dict[str, list[dict[str, Any]]] = {}
    for path, text in files.items():
        if not path.startswith(FORMS_PREFIX):
            continue
        try:
            form = json.loads(text)
        except (TypeError, ValueError):
            continue  # the forms page reports a broken form
        if isinstance(form, Mapping):
            result[path[len(FORMS_PREFIX) :]] = choice_fields(form, lang)
    return result
