"""The admin blueprint: every page needs a logged-in administrator."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from webapp.services.errors import PermissionDeniedError
from webapp.web_edge import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def administrators_only() -> None:
    """Anonymous users go to the login page; logged-in non-administrators get the 403 page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # type: ignore[no-any-return]
    if not current_user.is_admin:
        raise PermissionDeniedError("administrators only")
    return None
