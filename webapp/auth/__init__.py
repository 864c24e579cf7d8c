"""Log in and log out."""

from webapp.auth.views import bp

__all__ = ["bp"]
