"""The bell: notifications, the e-mail choice, and the administrator's failed mail."""

from webapp.notifications import commands  # noqa: F401 - registers `flask send-mail`
from webapp.notifications.views import bp

__all__ = ["bp"]
