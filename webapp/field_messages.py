"""The services' stable error codes as messages beside fields, in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
    "invalid": _l("This value is not valid."),
}

UPLOAD_MESSAGES = {
    "file_too_large": _l("The file is larger than 10 MB."),
    "file_type": _l("Only PDF, DOC, DOCX, PNG and JPEG files are accepted."),
    "empty_file": _l("The file is empty."),
}


def field_message(code: str) -> str:
    """The message for a field error code (a generic one for unknown codes)."""
    return str(FIELD_MESSAGES.get(code, FIELD_MESSAGES["invalid"]))


def upload_message(code: str) -> str:
    """The message for a refused file."""
    return str(UPLOAD_MESSAGES.get(code, _l("This file cannot be attached.")))
