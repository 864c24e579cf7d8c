"""What page views share: the acting user as an Actor, and Flask-Login's user loader."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user

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


login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> LoginUser | None:
    """Load the user of the session, if they still exist and are active."""
    try:
        user = db_session().get(User, int(user_id))
    except ValueError:
        return None
    return LoginUser(user) if user is not None and user.active else None


def page_actor() -> Actor:
    """The Actor of the logged-in user (login_required guarantees one)."""
    if "page_actor" not in g:
        user = db_session().get_one(User, int(current_user.id))
        g.page_actor = actor_for_user(db_session(), user)
    actor: Actor = g.page_actor
    return actor


def init_app(app: Flask) -> None:
    """Attach Flask-Login."""
    login_manager.init_app(app)
