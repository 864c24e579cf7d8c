"""The bell's pages: the list (mark one or all read), the e-mail choice, and, for the
administrator, the mail that could not be sent (retry)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from webapp.db import utcnow
from webapp.forms import ActionForm
from webapp.request_db import db_session
from webapp.services import notifications
from webapp.services.errors import PermissionDeniedError
from webapp.services.notifications import outbox
from webapp.services.notifications.fanout import EMAIL_MODES
from webapp.services.notifications.wording import RESULTS, SENTENCES
from webapp.url_converters import query_page
from webapp.web_edge import page_actor

# cli_group=None: its command is `flask send-mail`, beside the others.
bp = Blueprint("notifications", __name__, cli_group=None)


def notification_text(kind: str, params: dict[str, Any] | None) -> str:
    """A notification's sentence in the reader's language."""
    sentence = SENTENCES.get(kind)
    if sentence is None:
        return kind
    shown = dict(params or {})
    if kind == "decision" and shown.get("result") in RESULTS:
        shown["result"] = _(RESULTS[shown["result"]])
    try:
        return _(sentence, **shown)
    except (KeyError, ValueError, TypeError):
        return _(sentence)


def unread_notifications() -> int:
    """The logged-in user's unread count for the bell (0 logged out or on a DB failure)."""
    if not current_user.is_authenticated:
        return 0
    try:
        return notifications.unread_count(db_session(), page_actor())
    except SQLAlchemyError:
        return 0


@bp.app_context_processor
def bell_context() -> dict[str, Any]:
    return {
        "unread_notifications": unread_notifications,
        "notification_bell_limit": notifications.BELL_LIMIT,
    }


@bp.get("/notifications")
@login_required
def notification_list() -> ResponseReturnValue:
    """Thông báo: the user's notifications newest first, older ones page by page."""
    before = request.args.get("before", type=query_page)
    rows = notifications.my_notifications(db_session(), page_actor(), before_id=before)
    texts = {row.id: notification_text(row.kind, row.params) for row in rows}
    older = rows[-1].id if len(rows) == notifications.PER_PAGE else None
    return render_template("notifications/list.html", rows=rows, texts=texts, older=older)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read; with `open`, go where it points."""
    if not ActionForm(request.form).validate():
        abort(400)
    session = db_session()
    notice = notifications.mark_read(session, page_actor(), notification_id, utcnow())
    session.commit()
    if request.form.get("open") and notice.link and notice.link.startswith("/"):
        return redirect(notice.link)
    return redirect(url_for("notifications.notification_list"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read() -> ResponseReturnValue:
    """Mark every notification read."""
    if not ActionForm(request.form).validate():
        abort(400)
    session = db_session()
    count = notifications.mark_all_read(session, page_actor(), utcnow())
    session.commit()
    flash(_("%(num)s notification(s) marked as read.", num=count), "info")
    return redirect(url_for("notifications.notification_list"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> ResponseReturnValue:
    """The user's choice of e-mail: at once, a daily digest, or none."""
    session = db_session()
    actor = page_actor()
    if request.method == "POST":
        if not ActionForm(request.form).validate():
            abort(400)
        mode = request.form.get("email_mode", "")
        if mode not in EMAIL_MODES:
            flash(_("E-mail: choose one of the offered options."), "danger")
            return render_template(
                "notifications/preferences.html", mode=notifications.email_mode_of(session, actor)
            ), 422
        notifications.set_email_mode(session, actor, mode)
        session.commit()
        flash(_("Your notification settings were saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template(
        "notifications/preferences.html", mode=notifications.email_mode_of(session, actor)
    )


def _administrator() -> None:
    if not page_actor().is_admin:
        raise PermissionDeniedError("administrators only")


@bp.get("/admin/mail")
@login_required
def failed_mail() -> ResponseReturnValue:
    """Thư không gửi được: the mail that gave up, with its error and a retry button."""
    _administrator()
    session = db_session()
    return render_template(
        "notifications/failed_mail.html",
        rows=outbox.failed_mails(session),
        counts=outbox.outbox_counts(session),
    )


@bp.post("/admin/mail/<int:mail_id>/retry")
@login_required
def retry_mail(mail_id: int) -> ResponseReturnValue:
    """Queue a failed mail again."""
    _administrator()
    if not ActionForm(request.form).validate():
        abort(400)
    session = db_session()
    outbox.retry_mail(session, mail_id, utcnow())
    session.commit()
    flash(_("The mail is queued again."), "success")
    return redirect(url_for("notifications.failed_mail"))
