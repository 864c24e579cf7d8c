"""Document registers (administrators only): each register's next number and last issued
one; setting where a register continues (never back over an issued number)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.admin.blueprint import bp
from webapp.forms import ActionForm
from webapp.request_db import db_session
from webapp.services import registers as register_service
from webapp.services.errors import InvalidDataError
from webapp.web_edge import page_actor

DOC_TYPE_LABELS = {
    "TTr": _l("Submission (tờ trình)"),
    "BB": _l("Minutes (biên bản)"),
    "QĐ": _l("Decision (quyết định)"),
    "TB": _l("Notice (thông báo)"),
    "BC": _l("Report (báo cáo)"),
    "KH": _l("Plan (kế hoạch)"),
}
FIELD_LABELS = {
    "doc_type": _l("Document type"),
    "body": _l("Issuing body"),
    "year": _l("Year"),
    "next_number": _l("Next number"),
}
ISSUE_LABELS = {"purpose": _l("For (document and subject)")}


def _this_year() -> int:
    return datetime.now(ZoneInfo(current_app.config.get("TIME_ZONE", "Asia/Ho_Chi_Minh"))).year


def _page(status: int = 200, form: dict[str, str] | None = None) -> ResponseReturnValue:
    session = db_session()
    return render_template(
        "admin/registers.html",
        lines=register_service.list_registers(session, page_actor()),
        recent=register_service.recent_issued(session, page_actor()),
        doc_types=DOC_TYPE_LABELS,
        default_body=register_service.DEFAULT_BODY,
        year=_this_year(),
        form=form or {},
    ), status


@bp.get("/registers")
def registers() -> ResponseReturnValue:
    """`/admin/registers`: every register with its next and last issued number."""
    return _page()


def _whole(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


@bp.post("/registers")
def registers_set_next() -> ResponseReturnValue:
    """Set the next number of a register (creating it for a new type, body or year)."""
    if not ActionForm(request.form).validate():
        abort(400)
    form = {k: request.form.get(k, "") for k in ("doc_type", "body", "year", "next_number")}
    session = db_session()
    year = _whole(form["year"])
    next_number = _whole(form["next_number"])
    try:
        if year is None:
            raise InvalidDataError("not a year", {"year": "must be a year"})
        if next_number is None:
            raise InvalidDataError("not a number", {"next_number": "must be a whole number"})
        register_service.set_next_number(
            session,
            page_actor(),
            form["doc_type"],
            form["body"].strip(),
            year,
            next_number,
        )
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for field, reason in exc.fields.items():
            label = FIELD_LABELS.get(field, field)
            if field == "next_number" and exc.code == "number_already_issued":
                last = reason.rsplit("than ", 1)[-1].split(",")[0]
                flash(
                    _(
                        "%(field)s must be greater than %(last)s, the last number issued.",
                        field=label,
                        last=last,
                    ),
                    "danger",
                )
            else:
                flash(_("%(field)s is not valid.", field=label), "danger")
        return _page(422, form)
    flash(
        _(
            "The register %(type)s-%(body)s of %(year)s continues at number %(number)s.",
            type=form["doc_type"],
            body=form["body"].strip(),
            year=year,
            number=next_number,
        ),
        "success",
    )
    return redirect(url_for("admin.registers"))


@bp.post("/registers/issue")
def registers_issue() -> ResponseReturnValue:
    """Give the next number of a register to a paper made outside the system (recorded with
    what it is for and by whom)."""
    if not ActionForm(request.form).validate():
        abort(400)
    form = {k: request.form.get(k, "") for k in ("doc_type", "body", "year", "purpose")}
    purpose = " ".join(form["purpose"].split())
    session = db_session()
    year = _whole(form["year"])
    try:
        fields = {}
        if year is None:
            fields["year"] = "must be a year"
        if not purpose or len(purpose) > 300:
            fields["purpose"] = "is required, at most 300 characters"
        if fields:
            raise InvalidDataError("cannot issue", fields)
        actor = page_actor()
        if not actor.is_admin:  # the blueprint already refuses others; the service trusts callers
            abort(403)
        issued = register_service.issue_number(
            session, actor, form["doc_type"], form["body"].strip(), year or 0, purpose=purpose
        )
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for field in exc.fields:
            label = ISSUE_LABELS.get(field) or FIELD_LABELS.get(field, field)
            flash(_("%(field)s is not valid.", field=label), "danger")
        return _page(422, form)
    flash(_("Number %(number)s issued.", number=issued.text), "success")
    return redirect(url_for("admin.registers"))
