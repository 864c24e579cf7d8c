"""Letterheads of the issuing units (administrators only): the place line, parent and issuing
body, the name used in the papers' sentences, the numbers' abbreviation and the signer's title
that a unit's papers print."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.admin.blueprint import bp
from webapp.forms import ActionForm
from webapp.request_db import db_session
from webapp.services import letterheads as letterhead_service
from webapp.services.errors import InvalidDataError
from webapp.web_edge import page_actor

FIELD_LABELS = {
    "place": _l("Place (in “…, ngày … tháng … năm …”)"),
    "parent_body": _l("Parent body (line above the issuing body)"),
    "issuing_body": _l("Issuing body (in capitals)"),
    "body_name": _l("Name used in the papers' sentences"),
    "abbreviation": _l("Abbreviation in numbers (…/TTr-STC)"),
    "signer_title": _l("Signer's title"),
}
FIELD_HINTS = {
    "place": _l("For example: Bắc Ninh"),
    "parent_body": _l("For example: UBND TỈNH BẮC NINH (may be empty)"),
    "issuing_body": _l("For example: SỞ TÀI CHÍNH"),
    "body_name": _l("For example: Sở Tài chính"),
    "abbreviation": _l("Capital letters and digits, parts joined by a hyphen: STC"),
    "signer_title": _l("For example: GIÁM ĐỐC"),
}
FIELD_ERRORS = {
    "is required": _l("%(field)s is required."),
    "must be text": _l("%(field)s contains characters that are not allowed."),
}


@bp.get("/letterheads")
def letterheads() -> ResponseReturnValue:
    """`/admin/letterheads`: the Ministry and the Departments with their letterheads."""
    return render_template(
        "admin/letterheads.html",
        lines=letterhead_service.list_letterheads(db_session(), page_actor()),
        labels=FIELD_LABELS,
    )


def _edit_page(
    unit_id: int,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> ResponseReturnValue:
    line = letterhead_service.get_letterhead(db_session(), page_actor(), unit_id)
    if values is None:
        current = line.letterhead
        values = {
            name: (getattr(current, name) if current is not None else "")
            for name in letterhead_service.FIELDS
        }
    return render_template(
        "admin/letterhead.html",
        line=line,
        values=values,
        errors=errors or {},
        labels=FIELD_LABELS,
        hints=FIELD_HINTS,
        required={n for n, (req, _longest) in letterhead_service.FIELDS.items() if req},
        longest={n: longest for n, (_req, longest) in letterhead_service.FIELDS.items()},
    ), status


@bp.get("/letterheads/<int:unit_id>")
def letterhead(unit_id: int) -> ResponseReturnValue:
    """One unit's letterhead, to edit."""
    return _edit_page(unit_id)


def _error_text(field: str, reason: str) -> str:
    label = str(FIELD_LABELS.get(field, field))
    if reason.startswith("at most "):
        return _(
            "%(field)s must be at most %(count)s characters.",
            field=label,
            count=reason.split()[2],
        )
    if field == "abbreviation" and reason not in FIELD_ERRORS:
        return _(
            "%(field)s must be capital letters and digits, parts joined by a hyphen (STC).",
            field=label,
        )
    template = FIELD_ERRORS.get(reason)
    if template is not None:
        return str(template) % {"field": label}
    return _("%(field)s is not valid.", field=label)


@bp.post("/letterheads/<int:unit_id>")
def letterhead_save(unit_id: int) -> ResponseReturnValue:
    """Save a unit's letterhead; a field that is not valid refuses the whole (422, named)."""
    if not ActionForm(request.form).validate():
        abort(400)
    values = {name: request.form.get(name, "") for name in letterhead_service.FIELDS}
    session = db_session()
    try:
        letterhead_service.save_letterhead(session, page_actor(), unit_id, values)
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        errors = {field: _error_text(field, reason) for field, reason in exc.fields.items()}
        for message in errors.values():
            flash(message, "danger")
        return _edit_page(unit_id, 422, values, errors)
    unit = letterhead_service.get_letterhead(session, page_actor(), unit_id).unit
    flash(_("The letterhead of %(unit)s is saved.", unit=unit.name), "success")
    return redirect(url_for("admin.letterheads"))
