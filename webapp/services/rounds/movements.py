"""Movements (phong trào thi đua): the Office creates them; every round and dossier is in one."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Movement
from webapp.permissions import Actor
from webapp.services.dossier_schema import AWARD_FORMS
from webapp.services.errors import InvalidDataError, NotFoundError, PermissionDeniedError

OFFICE_ROLE = "office"
ISSUING_LEVELS = ("ministry", "department", "unit")


def can_manage_movements(actor: Actor) -> bool:
    """The Office (anywhere) and administrators create movements."""
    return actor.is_admin or actor.has_role(OFFICE_ROLE)


def _text(payload: dict[str, Any], name: str, limit: int, errors: dict[str, str]) -> str | None:
    value = payload.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        errors[name] = f"must be text of at most {limit} characters"
        return None
    return value.strip()


def parse_date(payload: dict[str, Any], name: str, errors: dict[str, str]) -> date | None:
    """A yyyy-mm-dd field, or None when empty; a bad one is named in `errors`."""
    value = payload.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = "must be a date (yyyy-mm-dd)"
        return None


def create_movement(session: Session, actor: Actor, payload: dict[str, Any]) -> Movement:
    """Create a movement from the Office's form (code, name, plan, level, period, criteria,
    award forms); every bad field is named."""
    if not can_manage_movements(actor):
        raise PermissionDeniedError("only the Office creates movements")
    errors: dict[str, str] = {}
    code = _text(payload, "code", 60, errors)
    name = _text(payload, "name", 500, errors)
    if code is None and "code" not in errors:
        errors["code"] = "is required"
    if name is None and "name" not in errors:
        errors["name"] = "is required"
    level = payload.get("issuing_level") or None
    if level is not None and level not in ISSUING_LEVELS:
        errors["issuing_level"] = f"must be one of: {', '.join(ISSUING_LEVELS)}"
    start = parse_date(payload, "period_start", errors)
    end = parse_date(payload, "period_end", errors)
    if start and end and end < start:
        errors["period_end"] = "must not be before the start of the period"
    forms = payload.get("award_forms") or []
    if not isinstance(forms, list) or any(f not in AWARD_FORMS for f in forms):
        errors["award_forms"] = f"must be among: {', '.join(AWARD_FORMS)}"
    if code and session.scalar(select(func.count()).where(Movement.code == code)):
        errors["code"] = "is already used by another movement"
    plan_number = _text(payload, "plan_number", 60, errors)
    plan_date = parse_date(payload, "plan_date", errors)
    criteria = _text(payload, "criteria", 10000, errors)
    if errors:
        raise InvalidDataError("the movement is not valid", errors)
    movement = Movement(
        code=code,
        name=name,
        plan_number=plan_number,
        plan_date=plan_date,
        issuing_level=level,
        period_start=start,
        period_end=end,
        criteria=criteria,
        award_forms=list(dict.fromkeys(forms)) or None,
    )
    session.add(movement)
    session.flush()
    return movement


def list_movements(session: Session) -> list[Movement]:
    """Every movement, newest first."""
    return list(session.scalars(select(Movement).order_by(Movement.id.desc())))


def get_movement(session: Session, movement_id: int) -> Movement:
    """One movement (movements are listed to every user, as on their page)."""
    movement = session.get(Movement, movement_id)
    if movement is None:
        raise NotFoundError(f"movement {movement_id} not found")
    return movement
