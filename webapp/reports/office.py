"""Who may open the Office's report pages: the Office and the administrator."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.permissions import Actor
from webapp.services.errors import PermissionDeniedError
from webapp.services.rounds.movements import OFFICE_ROLE
from webapp.web_edge import page_actor


def require_office(actor: Actor) -> None:
    """Refuse (403) anyone but the Office and the administrator."""
    if not (actor.is_admin or actor.has_role(OFFICE_ROLE)):
        raise PermissionDeniedError("only the Office opens the reports")


def may_open_reports() -> bool:
    """For the navigation: whether the logged-in user may open the Office's reports."""
    if not current_user.is_authenticated:
        return False
    try:
        actor = page_actor()
    except SQLAlchemyError:  # the error page of a database failure still renders
        return False
    return actor.is_admin or actor.has_role(OFFICE_ROLE)
