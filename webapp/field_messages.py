"""The services' stable error codes as messages beside fields or above a form, in the page's
language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.services.errors import InvalidDataError

FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "blank": _l("This field must not be empty."),
    "choice": _l("Choose one of the options."),
    "type": _l("This value has the wrong type."),
    "format": _l("Enter a valid date (dd/mm/yyyy)."),
    "too_long": _l("This text is too long."),
    "too_few": _l("Add at least one row."),
    "too_many": _l("There are too many rows."),
    "duplicates": _l("Each item may be chosen only once."),
    "not_a_nominee": _l("This is not a nominee of this dossier."),
    "unknown_field": _l("This field is not part of the form."),
    "invalid_text": _l("This text contains characters that are not allowed."),
    "out_of_range": _l("This number is out of range."),
    "too_deep": _l("This value is nested too deeply."),
    "invalid": _l("This value is not valid."),
}

UPLOAD_MESSAGES = {
    "file_too_large": _l("The file is larger than 10 MB."),
    "file_type": _l("Only PDF, DOC, DOCX, PNG and JPEG files are accepted."),
    "empty_file": _l("The file is empty."),
    "storage_full": _l(
        "The server has no room left to store it; nothing was saved. Please tell the administrator."
    ),
}


# The file store has no room left (a paper or a file of a step): nothing was kept.
STORAGE_FULL = _l(
    "Nothing was changed: the server has no room left to store the files. Please tell the "
    "administrator."
)


def field_message(code: str) -> str:
    """The message for a field error code (a generic one for unknown codes)."""
    return str(FIELD_MESSAGES.get(code, FIELD_MESSAGES["invalid"]))


def upload_message(code: str) -> str:
    """The message for a refused file."""
    return str(UPLOAD_MESSAGES.get(code, _l("This file cannot be attached.")))


def file_refusal_message(exc: InvalidDataError) -> str:
    """Why a file was refused, naming the file: "File x.pdf refused: the content is not a PDF"."""
    name = getattr(exc, "file_name", "")
    claimed = getattr(exc, "claimed_type", None)
    if claimed:
        reason = _("its content is not a %(type)s file, although its name says so.", type=claimed)
    else:
        reason = upload_message(exc.code)
    if not name:
        return reason
    return _("File %(file)s refused: %(reason)s", file=name, reason=reason)


def refusal_message(exc: InvalidDataError) -> str:
    """Why a step (or the closing of a vote) could not be done, above the form."""
    if exc.code == "process_error":
        # The diagram's own logic failed: nothing the user can fix; the engine's words go along
        # for the administrator.
        return _(
            "The process could not continue after this step, so nothing was changed. Please tell "
            "the administrator (technical detail: %(reason)s).",
            reason=exc.fields.get("process", exc.message),
        )
    if exc.code == "message_undeliverable":
        # A dossier in a round whose intake closed (services/rounds/messaging.py).
        return _(
            "The step was not done, so nothing was changed: no round or dossier waits for what "
            "it sends any more (a round may have closed its intake). Technical detail: "
            "%(reason)s",
            reason=exc.message,
        )
    if exc.code == "paper_failed":
        # The step's paper (tờ trình, minutes ...) could not be made: the step is not done.
        return _(
            "The step was not done, so nothing was changed: its paper could not be made. Please "
            "tell the administrator (technical detail: %(reason)s).",
            reason=exc.fields.get("paper", exc.message),
        )
    if exc.code == "storage_full":
        return str(STORAGE_FULL)
    if exc.code == "missing_documents":
        from webapp.award_rules_text import missing_documents_message

        return missing_documents_message(exc)
    return _("The step could not be completed: %(reason)s", reason=exc.message)
