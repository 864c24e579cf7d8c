"""Login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from webapp import login_limits as limits
from webapp.auth.forms import LoginForm
from webapp.forms import ActionForm
from webapp.i18n import LANGUAGES
from webapp.request_db import db_session
from webapp.services import auth, seeding
from webapp.services.errors import NotAuthenticatedError
from webapp.web_edge import LoginUser

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme, //x) goes home."""
    if not target:
        return url_for("work.inbox")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("work.inbox")
    if "\\" in target:
        return url_for("work.inbox")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limits.guarded
def login() -> ResponseReturnValue:
    """The login page; the demo notice shows while the demo accounts are installed. Failed
    attempts are counted (per account and address) and slowed down with a 429 page."""
    if current_user.is_authenticated:
        return redirect(url_for("work.inbox"))
    form = LoginForm(request.form, meta={"csrf": True})
    if request.method == "POST" and form.validate():
        try:
            user = auth.authenticate(
                db_session(), form.username.data or "", form.password.data or ""
            )
        except NotAuthenticatedError:
            limits.note_failure()
            flash(_("Wrong username or password."), "danger")
        else:
            remember = bool(form.remember.data)
            auth.record_login(
                db_session(), user, address=limits.client_address(), via="page", remember=remember
            )
            db_session().commit()
            # Not a permanent session: Flask-Login's "strong" protection spares permanent ones.
            # The cookie ends with the browser; the server refuses it after SESSION_LIFETIME.
            login_user(LoginUser(user), remember=remember)
            return redirect(safe_next(request.args.get("next")))
    demo = seeding.demo_data_in_use(db_session())
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, demo=demo), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Log out (a POST with the CSRF token)."""
    form = ActionForm(request.form)
    if form.validate():
        # Every session and remember cookie of this user ends, not only this browser's.
        auth.log_out(db_session(), int(current_user.id), address=limits.client_address())
        db_session().commit()
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/language/<code>")
def switch_language(code: str) -> ResponseReturnValue:
    """Remember the chosen language for this browser session."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))
