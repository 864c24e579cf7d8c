"""Letterheads: what an issuing unit's papers print (place, parent and issuing body, the name
used in sentences, the number's abbreviation, the signer's title), edited by the administrator
per unit. A unit's papers use its own letterhead or its nearest ancestor's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Letterhead, OrgUnit
from webapp.permissions import Actor
from webapp.services.errors import InvalidDataError, NotFoundError, PermissionDeniedError
from webapp.services.settings import settings_of

# Field -> (required, longest).
FIELDS: dict[str, tuple[bool, int]] = {
    "place": (True, 100),
    "parent_body": (False, 200),
    "issuing_body": (True, 200),
    "body_name": (True, 200),
    "abbreviation": (True, 20),
    "signer_title": (True, 100),
}
# Upper-case letters (Vietnamese Đ included), digits, inner hyphens: STC, BTC, UBND-HN.
_ABBREVIATION = re.compile(r"^[A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The place line of an unconfigured unit: dots to fill in by hand, never another unit's place.
BLANK_PLACE = "……………"
ISSUING_KINDS = ("department", "ministry")


@dataclass(frozen=True)
class LetterheadText:
    """The letterhead a paper prints; `unit_id` is the unit it was configured for (None: no
    letterhead was found and these are the fallbacks)."""

    place: str
    parent_body: str
    issuing_body: str
    body_name: str
    abbreviation: str
    signer_title: str
    unit_id: int | None = None


def _chain(session: Session, unit_id: int) -> list[OrgUnit]:
    # The unit and its ancestors, nearest first (bounded against a cycle in bad data).
    chain: list[OrgUnit] = []
    unit = session.get(OrgUnit, unit_id)
    while unit is not None and len(chain) < 20:
        chain.append(unit)
        unit = unit.parent
    return chain


def letterhead_for(session: Session, unit_id: int, *, kind: str | None = None) -> LetterheadText:
    """The letterhead of `unit_id`'s papers: its own or its nearest ancestor's; with `kind`
    ("ministry"), the letterhead of the nearest unit of that kind above or at it. Without any,
    the fallback names the unit and leaves the place to fill in by hand."""
    chain = _chain(session, unit_id)
    if kind is not None:
        chain = chain[next((i for i, u in enumerate(chain) if u.kind == kind), len(chain)) :]
    ids = [u.id for u in chain]
    found = (
        {
            row.unit_id: row
            for row in session.scalars(select(Letterhead).where(Letterhead.unit_id.in_(ids)))
        }
        if ids
        else {}
    )
    for unit in chain:
        row = found.get(unit.id)
        if row is not None:
            return LetterheadText(
                row.place,
                row.parent_body,
                row.issuing_body,
                row.body_name,
                row.abbreviation,
                row.signer_title,
                row.unit_id,
            )
    issuer = next((u for u in chain if u.kind in ISSUING_KINDS), chain[0] if chain else None)
    name = issuer.name if issuer is not None else ""
    return LetterheadText(
        BLANK_PLACE, "", name.upper(), name, settings_of(session).register_body, ""
    )


@dataclass(frozen=True)
class LetterheadLine:
    """An issuing unit on the administrator's page, with its letterhead if it has one."""

    unit: OrgUnit
    letterhead: Letterhead | None


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDeniedError("only an administrator edits letterheads")


def list_letterheads(session: Session, actor: Actor) -> list[LetterheadLine]:
    """The Ministry and the Departments (and any unit given a letterhead), by code."""
    _admin(actor)
    rows = {row.unit_id: row for row in session.scalars(select(Letterhead))}
    units = session.scalars(
        select(OrgUnit)
        .where(OrgUnit.kind.in_(ISSUING_KINDS) | OrgUnit.id.in_(list(rows)))
        .order_by(OrgUnit.kind.desc(), OrgUnit.code)
    )
    return [LetterheadLine(unit, rows.get(unit.id)) for unit in units]


def get_letterhead(session: Session, actor: Actor, unit_id: int) -> LetterheadLine:
    """One unit with its letterhead (None when it has none yet)."""
    _admin(actor)
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFoundError(f"unit {unit_id} not found")
    return LetterheadLine(unit, session.get(Letterhead, unit_id))


def clean_letterhead(payload: dict[str, Any]) -> dict[str, str]:
    """The fields, spaces collapsed; InvalidDataError naming every field that is not valid."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, (required, longest) in FIELDS.items():
        raw = payload.get(name)
        if raw is None:
            raw = ""
        if not isinstance(raw, str) or _CONTROL.search(re.sub(r"[\t\r\n]", " ", raw)):
            errors[name] = "must be text"
            continue
        value = " ".join(raw.split())
        if required and not value:
            errors[name] = "is required"
        elif len(value) > longest:
            errors[name] = f"at most {longest} characters"
        values[name] = value
    if "abbreviation" not in errors and not _ABBREVIATION.match(values["abbreviation"]):
        errors["abbreviation"] = "capital letters and digits, parts joined by '-' (STC)"
    if errors:
        raise InvalidDataError("the letterhead is not valid", errors)
    return values


def save_letterhead(
    session: Session, actor: Actor, unit_id: int, payload: dict[str, Any]
) -> Letterhead:
    """Set a unit's letterhead (created the first time). Refused as a whole when a field is
    not valid: nothing changes."""
    line = get_letterhead(session, actor, unit_id)
    values = clean_letterhead(payload)
    row = line.letterhead or Letterhead(unit_id=line.unit.id)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    row.updated_by_id = actor.user_id
    session.add(row)
    session.flush()
    return row
