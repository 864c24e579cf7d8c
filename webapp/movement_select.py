"""The movement filter of a page (`movement=<code>` in its query): the chosen movement, the
select's choices, and a message naming the field when the code is unknown."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from webapp.models import Movement
from webapp.services.errors import InvalidDataError
from webapp.services.movement_filter import movement_by_code, movement_choices


@dataclass(frozen=True)
class MovementChoice:
    """What a page's movement select shows; `error` is set (and `status` 422) for an unknown
    code, the list then showing every movement."""

    movement: Movement | None
    code: str
    choices: list[tuple[str, str]]
    error: str | None = None

    @property
    def status(self) -> int:
        """The page's HTTP status: 422 when the movement asked for is unknown."""
        return 422 if self.error else 200


def page_movement(session: Session) -> MovementChoice:
    """The movement the page's query asks for (checked against the table)."""
    code = (request.args.get("movement") or "").strip()
    choices = movement_choices(session)
    try:
        movement = movement_by_code(session, code)
    except InvalidDataError:
        return MovementChoice(
            None,
            "",
            choices,
            _("Movement: “%(code)s” is not a movement; choose one from the list.", code=code),
        )
    return MovementChoice(movement, movement.code if movement else "", choices)
