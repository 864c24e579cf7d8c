"""Thin views over services.rounds: each POST is one use case and one commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.field_messages import refusal_message
from webapp.models import Round
from webapp.request_db import db_session
from webapp.round_history_text import DEPARTMENT_LABELS
from webapp.round_text import apply_errors, field_text, round_refusals
from webapp.rounds.blueprint import bp
from webapp.rounds.forms import (
    KIND_LABELS,
    LEVEL_LABELS,
    ActionForm,
    DecisionForm,
    MovementForm,
    RoundForm,
    SignForm,
    award_form_choices,
)
from webapp.services.errors import InvalidDataError, PermissionDeniedError
from webapp.services.rounds import decisions, lifecycle, ministry, movements, steps
from webapp.services.rounds.movements import OFFICE_ROLE
from webapp.services.rounds.round_instances import load_round_process
from webapp.web_edge import page_actor

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")


def _labels() -> dict[str, Any]:
    return {
        "kinds": KIND_LABELS,
        "levels": LEVEL_LABELS,
        "forms": AWARD_FORM_LABELS,
        "round_statuses": {
            "intake": _("Receiving proposals"),
            "closed": _("Intake closed"),
            "finished": _("Finished"),
            # A Ministry round's own statuses (it is listed with the others).
            "appraisal": _("Receiving and appraising the Departments' submissions"),
            "council": _("The Ministry council is deciding"),
            "decision": _("Waiting for the Minister's decision"),
        },
        "entry_statuses": {
            "joined": _("Being prepared"),
            "received": _("Received"),
            "late": _("Late"),
        },
        "reasons": {
            "intake_closed": _(
                "The round closed its intake before the Office accepted this dossier."
            )
        },
        "results": {"passed": _("Passed"), "failed": _("Not passed")},
    }


# ----- movements ------------------------------------------------------------------------------


@bp.route("/movements", methods=["GET", "POST"])
@login_required
def movement_list() -> ResponseReturnValue:
    """Every movement; the Office creates a new one here."""
    actor = page_actor()
    session = db_session()
    can_create = movements.can_manage_movements(actor)
    form = MovementForm(request.form if request.method == "POST" else None)
    form.award_forms.choices = award_form_choices()
    status = 200
    if request.method == "POST":
        if not can_create:
            raise PermissionDeniedError("only the Office creates movements")
        if form.validate():
            try:
                created = movements.create_movement(session, actor, _movement_payload(form))
                session.commit()
            except InvalidDataError as exc:
                session.rollback()
                for message in apply_errors(form, exc):
                    flash(message, "danger")
            else:
                flash(_("The movement %(code)s was created.", code=created.code), "success")
                return redirect(url_for("rounds.movement_list"))
        status = 422
    context = {
        "movements": movements.list_movements(session),
        "form": form,
        "can_create": can_create,
        "labels": _labels(),
    }
    return render_template("rounds/movements.html", **context), status


def _movement_payload(form: MovementForm) -> dict[str, Any]:
    return {
        "code": form.code.data,
        "name": form.name.data,
        "plan_number": form.plan_number.data,
        "plan_date": form.plan_date.data,
        "issuing_level": form.issuing_level.data or None,
        "period_start": form.period_start.data,
        "period_end": form.period_end.data,
        "criteria": form.criteria.data,
        "award_forms": form.award_forms.data or [],
    }


# ----- rounds ---------------------------------------------------------------------------------


@bp.route("/rounds", methods=["GET", "POST"])
@login_required
def round_list() -> ResponseReturnValue:
    """The rounds the user may see; the Office opens a new one here."""
    actor = page_actor()
    session = db_session()
    can_open = actor.is_admin or actor.has_role(OFFICE_ROLE)
    form = RoundForm(request.form if request.method == "POST" else None)
    form.movement_id.choices = [
        SelectChoice(m.id, f"{m.code} — {m.name}") for m in movements.list_movements(session)
    ]
    form.award_forms.choices = award_form_choices()
    status = 200
    if request.method == "POST":
        if not can_open:
            raise PermissionDeniedError("only the Office opens rounds")
        if form.validate():
            deadline = form.intake_deadline.data
            payload = {
                "name": form.name.data,
                "movement_id": form.movement_id.data,
                "kind": form.kind.data,
                "award_forms": form.award_forms.data,
                "intake_deadline": deadline.replace(tzinfo=LOCAL_TIME)
                if isinstance(deadline, datetime)
                else None,
            }
            try:
                opened = lifecycle.open_round(session, actor, payload)
                session.commit()
            except InvalidDataError as exc:
                session.rollback()
                for message in apply_errors(form, exc):
                    flash(message, "danger")
            else:
                flash(_("The round “%(name)s” is open for proposals.", name=opened.name), "success")
                return redirect(url_for("rounds.show", round_id=opened.id))
        status = 422
    context = {
        "rounds": lifecycle.list_rounds(session, actor),
        "form": form,
        "can_open": can_open,
        "labels": _labels(),
    }
    return render_template("rounds/list.html", **context), status


def render_round(round_id: int, *, status: int = 200, **forms: Any) -> ResponseReturnValue:
    """The round's page (also re-rendered with a form's errors)."""
    actor = page_actor()
    detail = lifecycle.round_detail(db_session(), actor, round_id)
    round_ = detail.round
    sign_forms = forms.pop("sign_forms", {})
    decision_forms = forms.pop("decision_forms", {})
    may_decide = lifecycle.may(actor, decisions.MINISTRY_ROLE, round_.unit_id)
    if may_decide and round_.status == "finished":
        decided = {
            e.data.get("award_form") for e in detail.history if e.action == "decided" and e.data
        }
        for form_code in round_.award_forms:
            items = decisions.passed_items(db_session(), round_, form_code)
            if items and form_code not in decided and form_code not in decision_forms:
                decision_forms[form_code] = (DecisionForm(prefix=f"decide-{form_code}"), items)
    for task in detail.ready:
        if task.element_id == steps.SIGN_STEP and task.assignee not in sign_forms:
            sign_forms[task.assignee] = SignForm(prefix=f"sign-{task.assignee}")
    session = db_session()
    # Where the round's submission goes at the Ministry (several open: the signer chooses).
    ministry_choices = (
        ministry.open_ministry_rounds(session, round_.movement_id) if sign_forms else []
    )
    submitted_to = ministry.ministry_of(session, round_)
    returned = next(
        (e for e in reversed(detail.history) if e.action == "ministry_result" and e.data), None
    )
    context = {
        "detail": detail,
        "round": round_,
        "labels": _labels(),
        "button_form": ActionForm(),
        "sign_forms": sign_forms,
        "decision_forms": decision_forms,
        "dossier_codes": {e.dossier_id: e.dossier.code for e in detail.entries},
        "conclusion_errors": forms.pop("conclusion_errors", {}),
        "conclusion_values": forms.pop("conclusion_values", {}),
        "may_office": lifecycle.may(actor, OFFICE_ROLE, round_.unit_id),
        "may_chair": lifecycle.may(actor, steps.CHAIR_ROLE, round_.unit_id),
        "may_sign": lifecycle.may(actor, steps.DIRECTOR_ROLE, round_.unit_id),
        "may_join": actor.has_role("unit_officer") and round_.status == "intake",
        "steps": {t.element_id for t in detail.ready},
        "move_targets": [
            r
            for r in lifecycle.list_rounds(db_session(), actor, round_.movement_id)
            if r.id != round_.id and r.status == "intake"
        ]
        if any(e.status == "late" for e in detail.entries)
        else [],
        "ministry_choices": ministry_choices,
        "submitted_to": submitted_to,
        "ministry_return": returned.data if returned and returned.data.get("returned") else None,
        "history_labels": DEPARTMENT_LABELS,
    }
    return render_template("rounds/show.html", **context), status


@bp.get("/rounds/<int:round_id>")
@login_required
def show(round_id: int) -> ResponseReturnValue:
    """A round: where it stands, its diagram, its dossiers, its lists and its history."""
    session = db_session()
    round_ = lifecycle.get_round(session, page_actor(), round_id)
    if ministry.is_ministry_round(session, round_):
        return redirect(url_for("rounds.ministry_round_show", round_id=round_id))
    return render_round(round_id)


@bp.get("/rounds/<int:round_id>/diagram")
@login_required
def diagram(round_id: int) -> ResponseReturnValue:
    """The round's BPMN XML with its done and current steps, for the page's viewer."""
    session = db_session()
    detail = lifecycle.round_detail(session, page_actor(), round_id)
    if detail.holder is None:
        return {"xml": None}, 404
    process = load_round_process(session, detail.holder)
    version = detail.holder.version
    current = [t.element_id for t in detail.ready] or [
        w.element_id for w in process.waiting_messages()
    ]
    finished = process.status().completed
    response = {
        "xml": version.bpmn_xml,
        "process_key": version.process_key,
        "version": version.version,
        "completed": process.visit_counts(),
        "current": current,
        "flows": {},
        "finished": finished,
        "complete": True,
    }
    return response, 200, {"Cache-Control": "no-store"}


def _act(round_id: int, action: Any, done: str) -> ResponseReturnValue:
    form = ActionForm(request.form)
    if not form.validate():
        flash(_("The form expired. Please submit it again."), "danger")
        return render_round(round_id, status=422)
    session = db_session()
    try:
        action(session, page_actor(), round_id)
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        flash(refusal_message(exc), "danger")
        return render_round(round_id, status=422)
    flash(done, "success")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.post("/rounds/<int:round_id>/close")
@login_required
def close(round_id: int) -> ResponseReturnValue:
    """The Office ends intake now (before the deadline or at it)."""
    return _act(round_id, steps.close_intake, _("Intake is closed."))


@bp.post("/rounds/<int:round_id>/compile")
@login_required
def compile_lists(round_id: int) -> ResponseReturnValue:
    """The Office compiles one list per award form."""
    return _act(round_id, steps.compile_lists, _("The lists are compiled and sent to the council."))


@bp.post("/rounds/<int:round_id>/conclusion")
@login_required
def conclusion(round_id: int) -> ResponseReturnValue:
    """The chair records the council's conclusion for every nominee of the lists."""
    form = ActionForm(request.form)
    values = {
        key.removeprefix("result-"): value
        for key, value in request.form.items()
        if key.startswith("result-")
    }
    if not form.validate():
        flash(_("The form expired. Please submit it again."), "danger")
        return render_round(round_id, status=422, conclusion_values=values)
    session = db_session()
    try:
        steps.record_conclusion(session, page_actor(), round_id, values)
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        if exc.code == "paper_failed":
            flash(field_text("paper"), "danger")
            return render_round(round_id, status=422, conclusion_values=values)
        errors = {
            name.removeprefix("results."): _("Choose passed or not passed.") for name in exc.fields
        }
        flash(_("The conclusion was not saved: every nominee needs a result."), "danger")
        return render_round(
            round_id, status=422, conclusion_errors=errors, conclusion_values=values
        )
    flash(_("The council's conclusion is recorded."), "success")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.post("/rounds/<int:round_id>/sign/<award_form>")
@login_required
def sign(round_id: int, award_form: str) -> ResponseReturnValue:
    """The Director signs the tờ trình of one award form."""
    form = SignForm(request.form, prefix=f"sign-{award_form}")
    if not form.validate():
        return render_round(round_id, status=422, sign_forms={award_form: form})
    session = db_session()
    payload = {
        "submission_number": form.submission_number.data,
        "submission_date": form.submission_date.data,
        "ministry_round_id": request.form.get("ministry_round_id") or None,
    }
    try:
        steps.sign_submission(session, page_actor(), round_id, award_form, payload)
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for message in apply_errors(form, exc):
            flash(message, "danger")
        return render_round(round_id, status=422, sign_forms={award_form: form})
    flash(_("The submission is signed."), "success")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.post("/rounds/<int:round_id>/entries/<int:dossier_id>/move")
@login_required
def move_late(round_id: int, dossier_id: int) -> ResponseReturnValue:
    """The Office queues a late dossier for another round of the movement."""
    form = ActionForm(request.form)
    if not form.validate():
        flash(_("The form expired. Please submit it again."), "danger")
        return render_round(round_id, status=422)
    session = db_session()
    target = request.form.get("target_round_id", type=int) or 0
    try:
        lifecycle.move_late_dossier(session, page_actor(), dossier_id, target)
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for message in round_refusals(exc) or [field_text("round_id")]:
            flash(message, "danger")
        return render_round(round_id, status=422)
    flash(_("The dossier will go to the chosen round once the Office accepts it."), "success")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.post("/rounds/<int:round_id>/decision/<award_form>")
@login_required
def decide(round_id: int, award_form: str) -> ResponseReturnValue:
    """The Ministry records the decision for one award form; every dossier of it is told."""
    form = DecisionForm(request.form, prefix=f"decide-{award_form}")
    if not form.validate():
        return render_round(round_id, status=422, decision_forms=_decision_form(award_form, form))
    session = db_session()
    payload = {
        "decision_number": form.decision_number.data,
        "decision_date": form.decision_date.data,
        "refused": request.form.getlist(f"decide-{award_form}-refused", type=int),
    }
    try:
        count = decisions.record_ministry_decision(
            session, page_actor(), round_id, award_form, payload
        )
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for message in apply_errors(form, exc):
            flash(message, "danger")
        return render_round(round_id, status=422, decision_forms=_decision_form(award_form, form))
    flash(_("The decision is recorded in %(count)s dossier(s).", count=count), "success")
    return redirect(url_for("rounds.show", round_id=round_id))


def _decision_form(award_form: str, form: DecisionForm) -> dict[str, Any]:
    session = db_session()
    round_ = session.get(Round, request.view_args["round_id"]) if request.view_args else None
    if round_ is None:
        return {}
    return {award_form: (form, decisions.passed_items(session, round_, award_form))}
