"""The round services' refusals in the page's language, beside the field they are about."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.field_messages import FIELD_MESSAGES
from webapp.services.errors import InvalidDataError

FIELD_TEXT = {
    "code": _l("Enter a code that no other movement uses (at most 60 characters)."),
    "name": _l("Enter a name."),
    "issuing_level": _l("Choose one of the levels."),
    "plan_date": FIELD_MESSAGES["format"],
    "period_start": FIELD_MESSAGES["format"],
    "period_end": _l("The end of the period must be a date not before its start."),
    "award_forms": _l("Choose at least one of the award forms listed."),
    "movement_id": _l("Choose a movement."),
    "round_id": _l("Choose a round that still takes proposals."),
    "kind": _l("Choose the kind of round."),
    "intake_deadline": _l("Enter the deadline as a date and time."),
    "quota": _l("Give whole numbers per unit and award form of the round."),
    "submission_number": _l("Enter the submission number (at most 50 characters)."),
    "submission_date": _l("Enter the date signed."),
    "decision_number": _l("Enter the decision number (at most 50 characters)."),
    "decision_date": _l("Enter the date of the decision."),
    "refused": _l("Only nominees the council passed under this award form can be left out."),
    "paper": _l(
        "The paper of this step could not be made, so nothing was changed. Please tell the "
        "administrator."
    ),
}


def field_text(name: str) -> str:
    """The message shown beside field `name`."""
    return str(FIELD_TEXT.get(name, FIELD_MESSAGES["invalid"]))


def apply_errors(form: Any, exc: InvalidDataError) -> list[str]:
    """Put the service's field errors on the form's fields; return the ones with no field."""
    unplaced = []
    for name in exc.fields:
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), field_text(name)]
        else:
            unplaced.append(field_text(name))
    return unplaced


def round_refusals(exc: InvalidDataError) -> list[str]:
    """Why a dossier cannot join the chosen round (empty when the refusal is about something
    else)."""
    if exc.code != "round_refused":
        return []
    reasons = {
        "closed": _("The chosen round no longer takes proposals: its intake is closed."),
        "deadline": _("The chosen round no longer takes proposals: its deadline has passed."),
        "award_form": _("The chosen round does not take this award form."),
        "unit": _("The chosen round is not open to your unit."),
        "quota": _("The chosen round's quota for your unit and this award form would be exceeded."),
        "unknown": _("The chosen round does not exist."),
    }
    return [str(reasons.get(exc.fields.get("reason", "unknown"), reasons["unknown"]))]
