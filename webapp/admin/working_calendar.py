"""The working-day calendar (administrators only): a year's twelve months with weekends,
public holidays, announced days off and working weekend days; recording and removing the
government's announcements, each with its legal basis."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.admin.blueprint import bp
from webapp.forms import ActionForm
from webapp.request_db import db_session
from webapp.services import calendar_admin
from webapp.services.calendar import FIRST_YEAR, LAST_YEAR
from webapp.services.errors import InvalidDataError
from webapp.web_edge import page_actor

FIELD_LABELS = {
    "day": _l("Day"),
    "kind": _l("Kind"),
    "name": _l("Occasion"),
    "basis": _l("Legal basis"),
    "year": _l("Year"),
}
FIELD_PROBLEMS = {
    "day_taken": _l("%(field)s already has an exception: remove it first."),
    "already_day_off": _l("%(field)s is already a day off (a weekend or a public holiday)."),
    "already_working_day": _l("%(field)s is already a working day."),
}
KIND_LABELS = {
    "day_off": _l("Extra day off"),
    "working_day": _l("Working weekend day"),
}


def _this_year() -> int:
    return datetime.now(ZoneInfo(current_app.config.get("TIME_ZONE", "Asia/Ho_Chi_Minh"))).year


def _language() -> str:
    locale = get_locale()
    return "vi" if locale is None or locale.language == "vi" else "en_US"


def _year(value: str | None) -> int | None:
    text = (value or "").strip()
    if not (text.isdigit() and len(text) == 4):
        return None
    year = int(text)
    return year if FIRST_YEAR <= year <= LAST_YEAR else None


def _day(value: str | None) -> date | None:
    """A date typed as yyyy-mm-dd (the date picker) or dd/mm/yyyy."""
    text = (value or "").strip()
    try:
        if len(text) == 10 and text[4] == "-":
            return date.fromisoformat(text)
        if len(text) == 10 and text[2] == "/" and text[5] == "/":
            return date(int(text[6:]), int(text[3:5]), int(text[:2]))
    except ValueError:
        return None
    return None


def _page(year: int, status: int = 200, form: dict[str, str] | None = None) -> ResponseReturnValue:
    session = db_session()
    view = calendar_admin.year_calendar(session, page_actor(), year, _language())
    return render_template(
        "admin/calendar.html",
        view=view,
        kinds=KIND_LABELS,
        this_year=_this_year(),
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
        form=form or {},
    ), status


@bp.get("/calendar")
def working_calendar() -> ResponseReturnValue:
    """`/admin/calendar?year=2026`: the year's working-day calendar and its exceptions."""
    raw = request.args.get("year")
    year = _year(raw) if raw is not None else _this_year()
    if year is None:
        flash(_("%(field)s is not valid.", field=FIELD_LABELS["year"]), "danger")
        return _page(_this_year(), 422)
    return _page(year)


@bp.post("/calendar/exceptions")
def working_calendar_add() -> ResponseReturnValue:
    """Record an announced day off or working weekend day."""
    if not ActionForm(request.form).validate():
        abort(400)
    form = {k: request.form.get(k, "") for k in ("day", "kind", "name", "basis")}
    day = _day(form["day"])
    session = db_session()
    try:
        exception = calendar_admin.add_exception(
            session, page_actor(), day, form["kind"], form["name"], form["basis"]
        )
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for field in exc.fields:
            label = FIELD_LABELS.get(field, field)
            problem = FIELD_PROBLEMS.get(exc.code or "")
            if problem is not None and field == "day":
                flash(problem % {"field": label}, "danger")
            else:
                flash(_("%(field)s is not valid.", field=label), "danger")
        return _page(
            day.year if day and FIRST_YEAR <= day.year <= LAST_YEAR else _this_year(), 422, form
        )
    flash(
        _(
            "%(kind)s recorded on %(day)s.",
            kind=KIND_LABELS[exception.kind],
            day=exception.day.strftime("%d/%m/%Y"),
        ),
        "success",
    )
    return redirect(url_for("admin.working_calendar", year=exception.day.year))


@bp.post("/calendar/exceptions/<int:exception_id>/delete")
def working_calendar_remove(exception_id: int) -> ResponseReturnValue:
    """Remove a recorded exception (404 when there is none)."""
    if not ActionForm(request.form).validate():
        abort(400)
    session = db_session()
    removed = calendar_admin.remove_exception(session, page_actor(), exception_id)
    year, day = removed.day.year, removed.day.strftime("%d/%m/%Y")
    session.commit()
    flash(_("The exception on %(day)s was removed.", day=day), "success")
    return redirect(url_for("admin.working_calendar", year=year))
