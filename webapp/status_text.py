"""The sentence of where a dossier stands, in the reader's language (Vietnamese by default).

The service (webapp/services/status_sentence.py) says what the situation is; this edge module
says it in words through the translation catalog, and gives templates two helpers:
`status_text(sentence)` and `inbox_status(row)` (an inbox line's sentence, from the columns
the inbox query already reads).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import gettext as _
from flask_babel import ngettext

from webapp.db import utcnow
from webapp.request_db import db_session
from webapp.services import status_sentence as ss
from webapp.services.calendar import load_calendar
from webapp.services.dossiers import role_names


def _deadline(sentence: ss.StatusSentence) -> str:
    """The due date (end of its working day, in Vietnam) and the working days left or late."""
    if sentence.due_at is None:
        return ""
    due = request_calendar().local_date(sentence.due_at).strftime("%d/%m/%Y")
    if sentence.days_late is not None:
        if sentence.days_late == 0:
            return _("past its time limit since the end of today's working hours")
        return ngettext(
            "%(num)d working day overdue (due %(date)s)",
            "%(num)d working days overdue (due %(date)s)",
            sentence.days_late,
            date=due,
        )
    if sentence.days_left is None:
        return ""
    if sentence.days_left == 0:
        return _("due %(date)s, the end of today", date=due)
    return ngettext(
        "due %(date)s, %(num)d working day left",
        "due %(date)s, %(num)d working days left",
        sentence.days_left,
        date=due,
    )


def _waiting(sentence: ss.StatusSentence) -> str:
    who = ", ".join(sentence.waiting_for)
    if sentence.people > 1 and len(sentence.waiting_for) == 1:
        who = ngettext(
            "%(who)s (%(num)d person)", "%(who)s (%(num)d people)", sentence.people, who=who
        )
    return _("Waiting for %(who)s: %(step)s", who=who, step="; ".join(sentence.steps))


def _decision(sentence: ss.StatusSentence) -> str:
    if not sentence.decision_number:
        return ""
    if sentence.decision_date is None:
        return _("under Decision %(number)s", number=sentence.decision_number)
    return _(
        "under Decision %(number)s of %(date)s",
        number=sentence.decision_number,
        date=sentence.decision_date.strftime("%d/%m/%Y"),
    )


def status_text(sentence: ss.StatusSentence) -> str:
    """The sentence, in the current language."""
    kind = sentence.kind
    if kind in (ss.WAITING, ss.OVERDUE):
        head = _waiting(sentence)
    elif kind == ss.RETURNED and sentence.waiting_for:
        # Returned to whoever holds the step now: the unit, or the Office (by the Director).
        head = _(
            "Returned to %(who)s: %(step)s",
            who=", ".join(sentence.waiting_for),
            step="; ".join(sentence.steps),
        )
    elif kind == ss.RETURNED:
        head = _("Returned to the unit to be completed")
    elif kind == ss.PROCESSING:
        return _("Being processed")
    elif kind == ss.AWARDED:
        decision = _decision(sentence)
        return _("Awarded %(decision)s", decision=decision).strip() if decision else _("Awarded")
    elif kind == ss.PARTLY_AWARDED:
        text = _(
            "%(awarded)d of %(total)d nominees awarded",
            awarded=sentence.awarded,
            total=sentence.nominees,
        )
        decision = _decision(sentence)
        return f"{text} {decision}" if decision else text
    elif kind == ss.REFUSED:
        return _("Nobody in the dossier was awarded")
    else:
        return _("The unit withdrew the dossier")
    deadline = _deadline(sentence)
    return f"{head} — {deadline}" if deadline else head


def request_calendar() -> ss.WorkingCalendar:
    """The working-day calendar, read once per request."""
    if "working_calendar" not in g:
        g.working_calendar = load_calendar(db_session())
    calendar: ss.WorkingCalendar = g.working_calendar
    return calendar


def request_role_names() -> dict[str, str]:
    """Role code -> name, read once per request (a few rows)."""
    if "role_names" not in g:
        g.role_names = role_names(db_session())
    names: dict[str, str] = g.role_names
    return names


def inbox_status(row: Any) -> ss.StatusSentence:
    """The sentence of an inbox line: its dossier's status and the line's own open step."""
    step = ss.OpenStep(
        title=row.title,
        role_name=request_role_names().get(row.role or "", row.role),
        holder=None,
        created_at=row.created_at,
        due_at=row.due_at,
    )
    status = getattr(row, "dossier_status", None) or "in_progress"
    return ss.status_sentence(status, [step], ss.NO_OUTCOME, utcnow(), request_calendar())


def dossier_status(
    dossier: Any, open_items: list[Any], outcome: ss.Outcome | None = None
) -> ss.StatusSentence:
    """The sentence of a dossier whose open items are loaded (with the people who hold them);
    without `outcome`, its nominees are read from the dossier (the dossier page has them)."""
    names = request_role_names()
    steps = [
        ss.OpenStep(
            title=item.title,
            role_name=names.get(item.role or "", item.role),
            holder=(item.claimed_by or item.assignee).full_name
            if (item.claimed_by or item.assignee)
            else None,
            created_at=item.created_at,
            due_at=item.due_at,
        )
        for item in open_items
    ]
    return ss.status_sentence(
        dossier.status,
        steps,
        outcome if outcome is not None else ss.outcome_of(dossier.nominees),
        utcnow(),
        request_calendar(),
    )


def register(app: Flask) -> None:
    """Make the helpers available to every template."""
    app.jinja_env.filters["status_text"] = status_text
    app.jinja_env.globals["inbox_status"] = inbox_status
    app.jinja_env.globals["dossier_status"] = dossier_status
