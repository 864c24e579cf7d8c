"""Who may open the Office's report pages: the Office and the administrator."""

from __future__ import annotations

from webapp.permissions import Actor
from webapp.services.errors import PermissionDeniedError
from webapp.services.rounds.movements import OFFICE_ROLE


def require_office(actor: Actor) -> None:
    """Refuse (403) anyone but the Office and the administrator."""
    if not (actor.is_admin or actor.has_role(OFFICE_ROLE)):
        raise PermissionDeniedError("only the Office opens the reports")
