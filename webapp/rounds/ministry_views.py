"""The Ministry round's pages: open it, its Departments' submissions (return one), close the
appraisal, the council's decision per nominee, the Minister's decision; and the Department
Office's resubmission of a returned submission. Thin views: one use case, one commit."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.models import Round, RoundEvent, RoundListItem
from webapp.request_db import db_session
from webapp.round_history_text import MINISTRY_LABELS
from webapp.round_text import field_text
from webapp.rounds.blueprint import bp
from webapp.rounds.forms import KIND_LABELS, ActionForm
from webapp.rounds.views import render_round
from webapp.services.errors import ConflictError, InvalidDataError, NotFoundError
from webapp.services.rounds import lifecycle, ministry, movements
from webapp.web_edge import page_actor

STATUS_LABELS = {
    "appraisal": _l("Receiving and appraising the Departments' submissions"),
    "council": _l("The Ministry council is deciding"),
    "decision": _l("Waiting for the Minister's decision"),
    "finished": _l("Finished"),
}
RESULT_LABELS = {
    "passed": _l("Passed"),
    "failed": _l("Dropped by the Ministry council"),
    "sent_up": _l("Sent up to the central level"),
}
HISTORY_LABELS = MINISTRY_LABELS
CONFLICTS = {
    "submission_returned": _l("A returned submission has not come back yet."),
    "nothing_submitted": _l("No Department has submitted yet."),
    "not_received": _l("This Department's submission is not waiting for appraisal."),
    "appraisal_closed": _l("The appraisal is already over."),
    "not_waiting": _l("The round is not at this step."),
}
TEXTS = {
    "reason": _l("Say what the Department must supplement (at most 4000 characters)."),
    "note": _l("Say what was supplemented (at most 4000 characters)."),
    "ministry_round_id": _l("Choose the Ministry round this submission goes to."),
}


def _message(exc: Exception) -> str:
    if isinstance(exc, ConflictError):
        return str(CONFLICTS.get(exc.code, _("The step could not be done now.")))
    assert isinstance(exc, InvalidDataError)
    return " ".join(str(TEXTS.get(n.split(".")[0], field_text(n))) for n in exc.fields) or str(exc)


def _ministry_round(round_id: int) -> Round:
    session = db_session()
    round_ = lifecycle.get_round(session, page_actor(), round_id)
    if not ministry.is_ministry_round(session, round_):
        raise NotFoundError(f"round {round_id} is not a Ministry round")
    return round_


@bp.route("/ministry-rounds", methods=["GET", "POST"])
@login_required
def ministry_round_list() -> ResponseReturnValue:
    """The Ministry rounds; the Ministry officer opens one for a movement here."""
    actor = page_actor()
    session = db_session()
    can_open = actor.is_admin or actor.has_role(ministry.MINISTRY_ROLE)
    status = 200
    if request.method == "POST":
        if not can_open:
            abort(403)
        if not ActionForm(request.form).validate():
            flash(_("The form expired. Please submit it again."), "danger")
            status = 422
        else:
            try:
                opened = ministry.open_ministry_round(session, actor, dict(request.form))
                session.commit()
            except InvalidDataError as exc:
                session.rollback()
                flash(_message(exc), "danger")
                status = 422
            else:
                flash(_("The Ministry round “%(name)s” is open.", name=opened.name), "success")
                return redirect(url_for("rounds.ministry_round_show", round_id=opened.id))
    rounds = [
        r for r in lifecycle.list_rounds(session, actor) if ministry.is_ministry_round(session, r)
    ]
    context = {
        "rounds": rounds,
        "can_open": can_open,
        "movements": movements.list_movements(session),
        "kinds": KIND_LABELS,
        "statuses": STATUS_LABELS,
        "button_form": ActionForm(),
    }
    return render_template("rounds/ministry_list.html", **context), status


def _render(round_id: int, status: int = 200) -> ResponseReturnValue:
    actor = page_actor()
    session = db_session()
    round_ = _ministry_round(round_id)
    lists: dict[str, list[RoundListItem]] = {}
    for item in session.scalars(
        select(RoundListItem)
        .where(RoundListItem.round_id == round_.id)
        .options(selectinload(RoundListItem.nominee), selectinload(RoundListItem.unit))
        .order_by(RoundListItem.award_form, RoundListItem.position)
    ):
        lists.setdefault(item.award_form, []).append(item)
    history = list(
        session.scalars(
            select(RoundEvent).where(RoundEvent.round_id == round_.id).order_by(RoundEvent.id)
        )
    )
    may_officer = lifecycle.may(actor, ministry.MINISTRY_ROLE, round_.unit_id)
    context = {
        "round": round_,
        "submissions": ministry.submissions(session, round_),
        "lists": lists,
        "history": history,
        "may_officer": may_officer,
        "may_minister": lifecycle.may(actor, ministry.MINISTER_ROLE, round_.unit_id),
        "button_form": ActionForm(),
        "forms": AWARD_FORM_LABELS,
        "statuses": STATUS_LABELS,
        "results": RESULT_LABELS,
        "history_labels": HISTORY_LABELS,
        "minister_forms": ministry.MINISTER_FORMS,
    }
    return render_template("rounds/ministry_show.html", **context), status


@bp.get("/ministry-rounds/<int:round_id>")
@login_required
def ministry_round_show(round_id: int) -> ResponseReturnValue:
    """A Ministry round: the Departments' submissions, its lists, its steps and its history."""
    return _render(round_id)


def _act(round_id: int, action: Any, done: str) -> ResponseReturnValue:
    _ministry_round(round_id)
    if not ActionForm(request.form).validate():
        flash(_("The form expired. Please submit it again."), "danger")
        return _render(round_id, 422)
    session = db_session()
    try:
        action(session)
        session.commit()
    except (InvalidDataError, ConflictError) as exc:
        session.rollback()
        flash(_message(exc), "danger")
        return _render(round_id, 422)
    flash(done, "success")
    return redirect(url_for("rounds.ministry_round_show", round_id=round_id))


@bp.post("/ministry-rounds/<int:round_id>/return/<int:department_round_id>")
@login_required
def ministry_return(round_id: int, department_round_id: int) -> ResponseReturnValue:
    """The Ministry officer returns one Department's submission to be supplemented."""
    reason = request.form.get("reason", "")

    def action(session: Any) -> None:
        ministry.return_submission(session, page_actor(), round_id, department_round_id, reason)

    return _act(
        round_id,
        action,
        _("The submission is returned to the Department."),
    )


@bp.post("/ministry-rounds/<int:round_id>/close")
@login_required
def ministry_close(round_id: int) -> ResponseReturnValue:
    """The Ministry officer ends the appraisal and compiles the lists for the council."""
    return _act(
        round_id,
        lambda s: ministry.close_appraisal(s, page_actor(), round_id),
        _("The appraisal is closed; the lists go to the Ministry council."),
    )


@bp.post("/ministry-rounds/<int:round_id>/council")
@login_required
def ministry_council(round_id: int) -> ResponseReturnValue:
    """The council's decision per nominee, recorded by the Ministry officer."""
    results = {
        key.removeprefix("result-"): value
        for key, value in request.form.items()
        if key.startswith("result-")
    }
    return _act(
        round_id,
        lambda s: ministry.record_council(s, page_actor(), round_id, results),
        _("The Ministry council's decision is recorded."),
    )


@bp.post("/ministry-rounds/<int:round_id>/decision")
@login_required
def ministry_decision(round_id: int) -> ResponseReturnValue:
    """The Minister signs the decision (and the tờ trình upward)."""
    payload = {"decision_date": request.form.get("decision_date", "")}
    return _act(
        round_id,
        lambda s: ministry.record_minister_decision(s, page_actor(), round_id, payload),
        _("The Minister's decision is recorded and sent to every Department and dossier."),
    )


@bp.post("/rounds/<int:round_id>/resubmit")
@login_required
def resubmit(round_id: int) -> ResponseReturnValue:
    """The Department's Office supplements a returned submission and sends it again."""
    session = db_session()
    lifecycle.get_round(session, page_actor(), round_id)
    if not ActionForm(request.form).validate():
        flash(_("The form expired. Please submit it again."), "danger")
        return render_round(round_id, status=422)
    try:
        ministry.resubmit(session, page_actor(), round_id, request.form.get("note", ""))
        session.commit()
    except (InvalidDataError, ConflictError) as exc:
        session.rollback()
        flash(_message(exc), "danger")
        return render_round(round_id, status=422)
    flash(_("The supplemented submission is sent to the Ministry again."), "success")
    return redirect(url_for("rounds.show", round_id=round_id))
