"""Inbox, work-item page (dossier at a glance + the step's form), claim and release."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser_session
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import CombinedMultiDict

from webapp.db import utcnow
from webapp.dossier_view import AWARD_FORM_LABELS, dossier_context
from webapp.field_messages import file_refusal_message, refusal_message
from webapp.forms import ActionForm
from webapp.i18n import total_label
from webapp.movement_select import page_movement
from webapp.permissions import can_do_work_item
from webapp.request_db import db_session
from webapp.round_step_links import round_step_url
from webapp.services import attachments, council_session, work_items
from webapp.services.award_rules_catalog import DOCUMENT_CHECK_STEP
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.form_validation import FormInvalidError
from webapp.services.round_inbox import my_round_steps
from webapp.step_forms import attach_errors, build_form_class, form_data
from webapp.url_converters import query_page
from webapp.web_edge import page_actor

bp = Blueprint("work", __name__)
PER_PAGE = 50
# The session key naming the item just completed: the inbox confirms it once, then forgets it.
DONE_KEY = "work_done"
# What files attached at a step are, by default.
STEP_ATTACHMENT_KIND = {
    "prepare_dossier": "achievement_report",
    "conclude_council": "minutes",
    "sign_submission": "submission",
    "minister_decision": "decision",
    "record_central_result": "decision",
}


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    """The start page is the inbox."""
    return redirect(url_for("work.inbox"))


@bp.get("/work")
@login_required
def inbox() -> ResponseReturnValue:
    """Việc của tôi: the rounds' steps, then open items newest first or by due date, with
    paging; `movement=<code>` keeps one movement's.

    "Next page" carries where the page ended (`cursor=`, keyset: a deep page costs a page);
    `page` is the number shown, and alone (a bookmark, "previous") it pages by offset. The
    total stops counting at the bound ("hơn 10.000")."""
    actor = page_actor()
    order = request.args.get("order", "newest")
    order = order if order in work_items.ORDERS else "newest"
    page = max(request.args.get("page", 1, type=query_page) or 1, 1)
    cursor = request.args.get("cursor") or None
    session = db_session()
    chosen = page_movement(session)
    movement_id = chosen.movement.id if chosen.movement else None
    now = utcnow()
    bound = current_app.config.get("LIST_TOTAL_BOUND", work_items.TOTAL_BOUND)
    # A round's steps are few and wait on the whole round: they head the first page, and the
    # pages are counted over the dossiers' items.
    round_rows = my_round_steps(session, actor, movement_id=movement_id)
    counts = work_items.count_my_work_items(
        session, actor, now, movement_id=movement_id, bound=bound, rounds=round_rows
    )

    def read(cursor: str | None) -> list[work_items.InboxRow]:
        return work_items.my_work_items(
            session,
            actor,
            order=order,
            limit=PER_PAGE + 1,
            offset=(page - 1) * PER_PAGE,
            movement_id=movement_id,
            cursor=cursor,
        )

    try:
        rows = read(cursor)
    except InvalidDataError as exc:
        # A mangled cursor (or one of the other order) is read as none: the page by number.
        if cursor is None or "cursor" not in exc.fields:
            raise
        rows = read(None)
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    done = _just_done(actor, order)
    return render_template(
        "work/inbox.html",
        rows=rows,
        round_rows=[(row, round_step_url(row)) for row in round_rows] if page == 1 else [],
        done=done,
        total=counts.total,
        total_is_lower_bound=counts.total_is_lower_bound,
        total_label=total_label(counts.total, counts.total_is_lower_bound),
        overdue=counts.overdue,
        order=order,
        page=page,
        next_cursor=work_items.inbox_cursor(order, rows[-1]) if more else None,
        now=now,
        movement=chosen,
        award_form_labels=AWARD_FORM_LABELS,
    ), chosen.status


def _just_done(actor: Any, order: str) -> dict[str, Any] | None:
    """The step this user has just completed (shown once, above the inbox), and the item that
    comes next in the inbox, named so that opening it is the user's own choice."""
    done_id = browser_session.pop(DONE_KEY, None)
    if not isinstance(done_id, int):
        return None
    try:
        done = work_items.get_work_item(db_session(), actor, done_id)
    except NotFoundError:
        return None
    following = [
        row
        for row in work_items.my_work_items(db_session(), actor, order=order, limit=2)
        if row.id != done_id
    ]
    upcoming = None
    if following:
        next_item = work_items.get_work_item(db_session(), actor, following[0].id)
        upcoming = {
            "id": next_item.item.id,
            "step": next_item.item.title,
            "code": next_item.dossier.code,
            "title": next_item.dossier.title,
            "unit": next_item.dossier.unit.name,
            "same_dossier": next_item.dossier.id == done.dossier.id,
        }
    return {
        "step": done.item.title,
        "dossier_id": done.dossier.id,
        "code": done.dossier.code,
        "title": done.dossier.title,
        "next": upcoming,
    }


def _uploads(item_step: str) -> list[attachments.Upload]:
    kind = STEP_ATTACHMENT_KIND.get(item_step, "other")
    # At the Office's check the files may be what the rules require (a memo received on paper).
    chosen = request.form.get("attachment_kind")
    if item_step == DOCUMENT_CHECK_STEP and chosen in attachments.KINDS:
        kind = chosen
    return [
        attachments.Upload(f.filename or "", f.read(), kind=kind, field="attachments")
        for f in request.files.getlist("attachments")
        if f and f.filename
    ]


class RefusedUploadsError(Exception):
    """One or more files sent with a step were refused; one message per file, naming it."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _check_uploads(uploads: list[attachments.Upload]) -> None:
    """Check every file (not only up to the first refused one), so that the page can say
    at once which of them to replace and why."""
    refused = []
    for upload in uploads:
        try:
            attachments.check_upload(upload)
        except InvalidDataError as exc:
            refused.append(file_refusal_message(exc))
    if refused:
        raise RefusedUploadsError(refused)


@bp.route("/work/<int:item_id>", methods=["GET", "POST"])
@login_required
def item(item_id: int) -> ResponseReturnValue:
    """A work item: the dossier at a glance, then the step's form."""
    actor = page_actor()
    session = db_session()
    detail = work_items.get_work_item(session, actor, item_id)
    work_item, dossier = detail.item, detail.dossier
    if work_item.status != "open":
        if request.method == "POST":
            # Someone (maybe this user in another tab) completed it first.
            raise ConflictError("already completed", code="already_completed")
        return render_template("work/done.html", item=work_item, dossier=dossier)
    if request.method == "POST":
        # Whoever loses a race (someone else took the step meanwhile) gets 409, never 403.
        work_items.check_turn(actor, work_item)
    elif not can_do_work_item(actor, work_item):
        raise PermissionDeniedError("not your step")
    schema = detail.form or {"type": "object", "properties": {}}
    if schema.get("x-edits-dossier"):
        # Preparing or correcting the dossier: the same editor as creating one, which the
        # dossiers blueprint registers (blueprints do not import each other).
        return current_app.extensions["dossier_editor"](detail, done_key=DONE_KEY)
    lang = str(get_locale())
    form_class = build_form_class(schema, dossier.nominees, lang)
    status = 200
    attachment_errors: list[str] = []
    if request.method == "POST":
        form = form_class(CombinedMultiDict((request.files, request.form)))
        if form.validate():
            data = form_data(form, schema)
            try:
                uploads = _uploads(work_item.step)
                _check_uploads(uploads)
                # One use case: the step and its files, stored under its line in the history.
                work_items.complete_work_item(session, actor, item_id, data, uploads=uploads)
                session.commit()
            except RefusedUploadsError as exc:
                session.rollback()
                attachment_errors.extend(exc.messages)
                status = 422
            except FormInvalidError as exc:
                session.rollback()
                for message in attach_errors(form, exc.problems):
                    flash(message, "danger")
                status = 422
            except InvalidDataError as exc:
                session.rollback()
                field = next(iter(exc.fields), None)
                if field == "attachments":
                    attachment_errors.append(file_refusal_message(exc))
                else:
                    flash(refusal_message(exc), "danger")
                status = 422
            else:
                # Back to the inbox, never straight into another dossier's form: the inbox
                # confirms this step and names the next item for the user to choose.
                browser_session[DONE_KEY] = item_id
                return redirect(url_for("work.inbox"))
        else:
            status = 422
    else:
        form = form_class()
    context = dossier_context(session, actor, dossier)
    return render_template(
        "work/item.html",
        item=work_item,
        dossier=dossier,
        form=form,
        schema=schema,
        attachment_errors=attachment_errors,
        ballot=council_session.ballot_kind(session, work_item, schema),
        **context,
    ), status


@bp.post("/work/<int:item_id>/claim")
@login_required
def claim(item_id: int) -> ResponseReturnValue:
    """Take the item so that colleagues in the same role leave it to you."""
    if not ActionForm(request.form).validate():
        abort(400)
    session = db_session()
    work_items.claim_work_item(session, page_actor(), item_id)
    session.commit()
    flash(_("You took this step; colleagues will no longer see it in their list."), "info")
    return redirect(url_for("work.item", item_id=item_id))


@bp.post("/work/<int:item_id>/release")
@login_required
def release(item_id: int) -> ResponseReturnValue:
    """Give the item back to everyone in its role."""
    if not ActionForm(request.form).validate():
        abort(400)
    session = db_session()
    work_items.release_work_item(session, page_actor(), item_id)
    session.commit()
    flash(
        _("You no longer hold this step: everyone in your role sees it in their list again."),
        "info",
    )
    return redirect(url_for("work.inbox"))
