"""The movement a list is filtered by: `movement=<code>` in a query, checked against the table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Movement
from webapp.services.errors import InvalidDataError

FIELD = "movement"
MAX_CODE_LENGTH = 200


def movement_by_code(session: Session, code: str | None) -> Movement | None:
    """The movement named by `code` (None when no filter is asked for); an unknown code is a
    422 naming the field, never an empty list that looks like 'nothing here'."""
    if code is None or code.strip() == "":
        return None
    if "\x00" in code or len(code) > MAX_CODE_LENGTH:  # no code holds them (PostgreSQL: 500)
        raise InvalidDataError("unknown movement", {FIELD: "is not a known movement code"})
    movement = session.scalar(select(Movement).where(Movement.code == code.strip()))
    if movement is None:
        raise InvalidDataError("unknown movement", {FIELD: "is not a known movement code"})
    return movement


def movement_choices(session: Session) -> list[tuple[str, str]]:
    """(code, 'code — name') of every movement, for a filter's select."""
    rows = session.execute(select(Movement.code, Movement.name).order_by(Movement.code))
    return [(code, f"{code} — {name}") for code, name in rows]
