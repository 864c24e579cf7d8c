"""The Office's forms for movements and rounds, and the Director's signing form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.forms import BaseForm

KIND_LABELS = {
    "so_ket": _l("Interim review (sơ kết)"),
    "tong_ket": _l("Final review (tổng kết)"),
    "chuyen_de": _l("Thematic round (chuyên đề)"),
}
LEVEL_LABELS = {
    "ministry": _l("Ministry"),
    "department": _l("Department"),
    "unit": _l("Unit"),
}


def award_form_choices() -> list[SelectChoice]:
    """The award forms, labelled."""
    return [SelectChoice(code, str(label)) for code, label in AWARD_FORM_LABELS.items()]


def _choices(labels: dict[str, Any], blank: bool = False) -> list[SelectChoice]:
    return [
        *([SelectChoice("", "—")] if blank else []),
        *[SelectChoice(k, v) for k, v in labels.items()],
    ]


class MovementForm(BaseForm):
    """A new movement."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=60)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=500)])
    plan_number = StringField(_l("Plan number"), validators=[Optional(), Length(max=60)])
    plan_date = DateField(_l("Plan date"), validators=[Optional()])
    issuing_level = SelectField(
        _l("Issuing level"),
        choices=_choices(LEVEL_LABELS, blank=True),
        validators=[Optional()],
    )
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])
    criteria = TextAreaField(_l("Criteria"), validators=[Optional(), Length(max=10000)])
    award_forms = SelectMultipleField(_l("Award forms offered"), validators=[Optional()])


class RoundForm(BaseForm):
    """A new round in a movement."""

    name = StringField(_l("Name of the round"), validators=[DataRequired(), Length(max=300)])
    movement_id = SelectField(_l("Movement"), coerce=int, validators=[InputRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=_choices(KIND_LABELS),
        validators=[InputRequired()],
    )
    award_forms = SelectMultipleField(_l("Award forms"), validators=[DataRequired()])
    intake_deadline = DateTimeLocalField(
        _l("Deadline for the units' proposals"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired()],
    )


class ActionForm(BaseForm):
    """A button that only needs the CSRF token (close intake, compile the lists)."""


class SignForm(BaseForm):
    """The Director signs the round's tờ trình for one award form."""

    submission_number = StringField(
        _l("Submission number"), validators=[DataRequired(), Length(max=50)]
    )
    submission_date = DateField(_l("Date signed"), validators=[InputRequired()])


class DecisionForm(BaseForm):
    """The Ministry's officer records the decision the Minister signed for one award form."""

    decision_number = StringField(
        _l("Decision number"), validators=[DataRequired(), Length(max=50)]
    )
    decision_date = DateField(_l("Decision date"), validators=[InputRequired()])
