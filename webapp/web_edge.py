"""What page views share: the acting user as an Actor, and Flask-Login's user loader."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, user_loaded_from_cookie
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from webapp.models import User
from webapp.permissions import Actor
from webapp.request_db import db_session
from webapp.services.actors import actor_for_user


class LoginUser(UserMixin):
    """The logged-in person as Flask-Login sees them."""

    def __init__(self, user: User):
        self.id = user.id
        self.username = user.username
        self.full_name = user.full_name
        self.is_admin = user.is_admin
        self.session_generation = user.session_generation

    def get_id(self) -> str:
        """The id in the session and the remember cookie: user id and session generation, so
        that a logout, a password change or a deactivation ends every copy of them."""
        return f"{self.id}:{self.session_generation}"


login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str) -> LoginUser | None:
    """The user of a session or remember cookie, if they are active and the session's
    generation is still theirs (an older one was ended by a logout or a password change)."""
    user_id, _sep, generation = session_id.partition(":")
    if not all(part.isascii() and part.isdigit() for part in (user_id, generation)):
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return LoginUser(user)


def bind_restored_session(_app: Flask, user: LoginUser) -> None:
    """A session restored from the remember cookie belongs to this browser from now on, as one
    made by the login form does (without it "strong" protection ends it on the next request)."""
    session["_id"] = login_manager._session_identifier_generator()


def page_actor() -> Actor:
    """The Actor of the logged-in user (login_required guarantees one)."""
    if "page_actor" not in g:
        user = db_session().get_one(User, int(current_user.id))
        g.page_actor = actor_for_user(db_session(), user)
    actor: Actor = g.page_actor
    return actor


def cookies_secure() -> bool:
    """Cookies are marked Secure over HTTPS (as the proxy says, when one is trusted), or always
    when COOKIE_SECURE is set."""
    if current_app.config.get("COOKIE_SECURE"):
        return True
    return has_request_context() and request.is_secure


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or cookies_secure()


def secure_remember_cookie(response: Response) -> Response:
    """Add Secure to Flask-Login's remember cookie over HTTPS (its setting is one per app)."""
    if not cookies_secure():
        return response
    name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    cookies = response.headers.getlist("Set-Cookie")
    marked = [
        f"{cookie}; Secure"
        if cookie.startswith(f"{name}=") and "; secure" not in cookie.lower()
        else cookie
        for cookie in cookies
    ]
    if marked != cookies:
        response.headers.setlist("Set-Cookie", marked)
    return response


def init_app(app: Flask) -> None:
    """Cookies that end and stay on this site, the proxies to trust, and Flask-Login."""
    app.session_interface = SessionCookies()
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Client address and scheme from X-Forwarded-*: the login limits and Secure need them.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    # Registered before Flask-Login's own hook, so it runs after it (Flask runs them in reverse).
    app.after_request(secure_remember_cookie)
    login_manager.init_app(app)
    user_loaded_from_cookie.connect(bind_restored_session, app)
