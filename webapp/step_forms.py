"""Turn a step's JSON Schema form into a WTForms form, and its data back into JSON.

Text, long text (x-widget textarea), number, date (dd/mm/yyyy), choice (oneOf/enum), yes/no,
file upload (x-widget file), a list of rows (array of objects), one choice per nominee
(x-nominee-map) and a choice of nominees (x-nominee-list). The same schema is validated again
by the service, whose field errors are put back beside the fields here.

Only what applies is shown: per-nominee fields list the nominees still in play (none an earlier
level rejected); a required choice with a single option is no radio group but the submit
button's label; required fields carry `required` (the page marks them), and a field the
schema's `if`/`then` rules require only for some decisions carries those rules for
static/step-form.js, which marks it live as the decision changes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Field,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from webapp.field_messages import field_message
from webapp.forms import BaseForm, TranslatedForm
from webapp.models import Nominee
from webapp.services.nominees_in_play import nominees_in_play

DATE_FORMAT = "%d/%m/%Y"
RADIO_LIMIT = 4


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes instead of a multi-select box (works on phones)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def label_of(schema: Mapping[str, Any], name: str, lang: str) -> str:
    """The field's label in the page's language (x-title-en for English, else title)."""
    return str(schema.get(f"x-title-{lang}") or schema.get("title") or name)


def choices_of(schema: Mapping[str, Any], lang: str) -> list[SelectChoice]:
    """The options of a oneOf/const or enum field."""
    if "oneOf" in schema:
        return [
            SelectChoice(str(option["const"]), label_of(option, str(option["const"]), lang))
            for option in schema["oneOf"]
            if "const" in option
        ]
    labels = schema.get(f"x-labels-{lang}") or schema.get("x-labels", {})
    return [
        SelectChoice(str(v), str(labels.get(v, v))) for v in schema.get("enum", []) if v is not None
    ]


class FixedChoiceField(HiddenField):
    """A required choice with one option: its value is fixed, whatever the browser sends (the
    page offers it as the submit button, not as a radio group of one)."""

    def __init__(self, *args: Any, choice: SelectChoice, **kwargs: Any) -> None:
        super().__init__(*args, default=choice.value, **kwargs)
        self.choice = choice

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = self.choice.value


def required_rules(schema: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Fields the schema requires only for some values of another field.

    Reads the `if`/`then` rules of the schema and of its `allOf` whose `if` tests one field
    against an `enum` or a `const`: {"comment": [{"field": "decision", "values": ["return"]}]}.
    Rules of another shape are still enforced by the validator, only not marked ahead.
    """
    candidates = [schema, *[r for r in schema.get("allOf", []) if isinstance(r, Mapping)]]
    rules: dict[str, list[dict[str, Any]]] = {}
    for rule in candidates:
        condition, then = rule.get("if"), rule.get("then")
        if not isinstance(condition, Mapping) or not isinstance(then, Mapping):
            continue
        tests = condition.get("properties")
        if not isinstance(tests, Mapping) or len(tests) != 1:
            continue
        ((controller, test),) = tests.items()
        if not isinstance(test, Mapping):
            continue
        if "const" in test:
            values = [test["const"]]
        elif isinstance(test.get("enum"), list):
            values = list(test["enum"])
        else:
            continue
        for name in then.get("required", []):
            rules.setdefault(str(name), []).append(
                {"field": str(controller), "values": [str(v) for v in values if v is not None]}
            )
    return rules


def _required_hint(rules: Sequence[Mapping[str, Any]], schema: Mapping[str, Any], lang: str) -> str:
    """“Required when … is chosen”, naming the options from the controlling fields' labels."""
    labels: list[str] = []
    for rule in rules:
        options = {
            c.value: str(c.label) for c in choices_of(_property(schema, rule["field"]), lang)
        }
        labels += [f"“{options.get(v, v)}”" for v in rule["values"]]
    if not labels:
        return ""
    if len(labels) == 1:
        return _("Required when you choose %(option)s.", option=labels[0])
    return _(
        "Required when you choose %(options)s or %(last)s.",
        options=", ".join(labels[:-1]),
        last=labels[-1],
    )


def _property(schema: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    prop = schema.get("properties", {}).get(name, {})
    return prop if isinstance(prop, Mapping) else {}


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type", "string")
    return set(kind) if isinstance(kind, list) else {kind}


def _field(
    name: str, schema: Mapping[str, Any], required: bool, lang: str, nominees: Sequence[Nominee]
) -> Field:
    label = label_of(schema, name, lang)
    description = str(schema.get(f"x-description-{lang}") or schema.get("description") or "")
    presence = [InputRequired()] if required else [Optional()]
    types = _types(schema)
    widget = schema.get("x-widget")
    kwargs: dict[str, Any] = {"label": label, "description": description}
    if widget == "hidden":
        return HiddenField(**kwargs)
    if schema.get("x-nominee-map") or schema.get("x-nominee-list"):
        kwargs["description"] = _with_closed_note(description, nominees)
    if schema.get("x-nominee-map"):
        return FormField(_nominee_map_form(schema, nominees_in_play(nominees), lang), **kwargs)
    if schema.get("x-nominee-list"):
        return MultiCheckboxField(
            choices=[SelectChoice(str(n.id), n.name) for n in nominees_in_play(nominees)],
            validators=[Optional()],
            # WTForms' own message has a placeholder our catalog's ngettext cannot fill.
            invalid_choice_message=_("Not a valid choice."),
            **kwargs,
        )
    if "array" in types and schema.get("items", {}).get("type") == "object":
        row = _row_form(schema["items"], lang)
        minimum = int(schema.get("minItems", 0))
        return FieldList(
            FormField(row),
            min_entries=max(minimum, 1),
            max_entries=schema.get("maxItems"),
            **kwargs,
        )
    if widget == "file":
        return FileField(validators=presence, **kwargs)
    if "boolean" in types:
        return BooleanField(validators=[Optional()], **kwargs)
    if "oneOf" in schema or "enum" in schema:
        choices = choices_of(schema, lang)
        if len(choices) == 1 and required:
            return FixedChoiceField(choice=choices[0], **kwargs)
        if len(choices) <= RADIO_LIMIT and required:
            return RadioField(choices=choices, validators=presence, **kwargs)
        empty = [] if required else [SelectChoice("", _("— not given —"))]
        return SelectField(choices=empty + choices, validators=presence, **kwargs)
    if schema.get("format") == "date":
        # A text box, not the browser's date picker: people type dd/mm/yyyy.
        kwargs["render_kw"] = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}
        return DateField(format=DATE_FORMAT, validators=presence, widget=TextInput(), **kwargs)
    if "integer" in types:
        return IntegerField(validators=presence, **kwargs)
    if "number" in types:
        return DecimalField(validators=presence, **kwargs)
    validators = list(presence)
    if schema.get("maxLength"):
        validators.append(Length(max=int(schema["maxLength"])))
    if widget == "textarea":
        return TextAreaField(validators=validators, render_kw={"rows": 3}, **kwargs)
    return StringField(validators=validators, **kwargs)


def _with_closed_note(description: str, nominees: Sequence[Nominee]) -> str:
    """The field's description, plus which nominees are left out because a level rejected them."""
    in_play = {id(n) for n in nominees_in_play(nominees)}
    closed = [n.name for n in nominees if id(n) not in in_play]
    if not closed:
        return description
    note = _("Not listed (rejected at an earlier level): %(names)s.", names="; ".join(closed))
    return f"{description} {note}".strip()


def _row_form(schema: Mapping[str, Any], lang: str) -> type[Form]:
    required = set(schema.get("required", []))
    fields = {
        name: _field(name, prop, name in required, lang, ())
        for name, prop in schema.get("properties", {}).items()
    }
    return type("RowForm", (TranslatedForm,), fields)


def _nominee_map_form(
    schema: Mapping[str, Any], nominees: Sequence[Nominee], lang: str
) -> type[Form]:
    choices = choices_of(schema.get("additionalProperties", {}), lang)
    fields = {
        f"n{nominee.id}": RadioField(nominee.name, choices=choices, validators=[InputRequired()])
        for nominee in nominees
    }
    return type("NomineeChoiceForm", (TranslatedForm,), fields)


class StepForm(BaseForm):
    """A step's form: knows which fields its schema requires only for some decisions."""

    # {field: [{"field": controller, "values": [...]}]}, from required_rules().
    conditional_required: dict[str, list[dict[str, Any]]] = {}  # noqa: RUF012 (set per class)
    # The label of the submit button when the decision has a single option.
    confirm_label: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, rules in self.conditional_required.items():
            if name not in self._fields:
                continue
            field = self[name]
            field.render_kw = {**(field.render_kw or {}), "data-required-when": json.dumps(rules)}
            # Marked as the decision now stands (after a refused submission, say).
            field.flags.required = self.required_now(rules)

    def required_now(self, rules: Sequence[Mapping[str, Any]]) -> bool:
        """Whether one of `rules` applies to the values the form now holds."""
        for rule in rules:
            controller = self._fields.get(rule["field"])
            if controller is not None and str(controller.data) in rule["values"]:
                return True
        return False


def build_form_class(
    schema: Mapping[str, Any], nominees: Sequence[Nominee], lang: str
) -> type[StepForm]:
    """A form class with one field per property of the schema.

    Per-nominee fields list only the nominees still in play among `nominees`.
    """
    required = set(schema.get("required", []))
    conditional = {
        name: rules
        for name, rules in required_rules(schema).items()
        if name not in required and name in schema.get("properties", {})
    }
    fields: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        unbound = _field(name, prop, name in required, lang, nominees)
        if name in conditional:
            hint = _required_hint(conditional[name], schema, lang)
            if hint:
                unbound.kwargs["description"] = hint
        fields[name] = unbound
    decision = fields.get("decision")
    confirm = None
    if decision is not None and decision.field_class is FixedChoiceField:
        confirm = str(decision.kwargs["choice"].label)
    fields["conditional_required"] = conditional
    fields["confirm_label"] = confirm
    return type("StepForm", (StepForm,), fields)


def _json_value(field: Field, schema: Mapping[str, Any]) -> Any:
    data = field.data
    if isinstance(field, FieldList):
        return [_row_value(entry.form, schema.get("items", {})) for entry in field.entries]
    if isinstance(field, FormField) and schema.get("x-nominee-map"):
        return {key[1:]: value for key, value in field.data.items() if value}
    if isinstance(field, MultiCheckboxField):
        return list(data or [])
    if isinstance(field, FileField):
        return None  # files are stored by the view; their ids are filled in there
    if isinstance(data, date):
        return data.isoformat()
    if isinstance(field, DecimalField):
        return float(data) if data is not None else None
    if isinstance(field, BooleanField):
        return bool(data)
    if isinstance(data, str):
        stripped = data.strip()
        return stripped if stripped or "null" not in _types(schema) else None
    return data


def _row_value(form: Form, schema: Mapping[str, Any]) -> dict[str, Any]:
    values = {}
    for name, prop in schema.get("properties", {}).items():
        value = _json_value(form[name], prop)
        if name == "id" and value in ("", None):
            continue
        if name == "id":
            value = int(value)
        values[name] = value
    return values


def form_data(form: BaseForm, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values as the JSON the step's schema describes (empty optional text -> None)."""
    data: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        value = _json_value(form[name], prop)
        if value == "" and name not in schema.get("required", []):
            value = None
        data[name] = value
    return data


def attach_errors(form: BaseForm, problems: Sequence[Any]) -> list[str]:
    """Put the service's field errors beside their fields; return those with no field."""
    unplaced: list[str] = []
    for problem in problems:
        message = field_message(problem.code)
        field = _find_field(form, problem.path.split("."))
        if field is None:
            unplaced.append(message)
        else:
            field.errors = [*list(field.errors or []), message]
    return unplaced


def _find_field(form: Form, path: list[str]) -> Field | None:
    current: Any = form
    for part in path:
        if isinstance(current, FieldList):
            index = int(part) if part.isdigit() else -1
            if not 0 <= index < len(current.entries):
                return None
            current = current.entries[index]
            continue
        if isinstance(current, FormField):
            current = current.form
        key = part if part in getattr(current, "_fields", {}) else f"n{part}"
        if key not in getattr(current, "_fields", {}):
            return None
        current = current[key]
    return current if isinstance(current, Field) else None
