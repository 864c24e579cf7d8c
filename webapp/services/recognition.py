"""The public recognition page's data: the awardees the Office has published, nothing more.

"Published" means the nominee was awarded AND its dossier has ended `awarded` or
`partly_awarded`, which happens only when the Office completes the `publish_result` step (or a
round's decision closes the dossier). A nominee awarded by a decision the Office has not yet
published, refused, failed or still pending never appears. Only the name, position (job title)
and unit of a person leave this module: no birth date, gender, achievement text or next of kin.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from webapp.models import Dossier, Movement, Nominee, OrgUnit
from webapp.services.errors import NotFoundError

PUBLISHED_DOSSIER_STATUSES = ("awarded", "partly_awarded")
PUBLIC_LIMIT = 500


@dataclass(frozen=True)
class PublicAwardee:
    """One published award as the public may see it."""

    public_id: str
    kind: str  # individual | collective
    name: str
    position: str | None
    unit: str
    award_form: str
    decision_number: str | None
    decision_date: date | None
    movement_code: str | None
    movement_name: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class PublicMovement:
    """A movement with at least one published awardee."""

    code: str
    name: str


def public_id(nominee_id: int, secret: str) -> str:
    """An opaque, unguessable id for a nominee: its number sealed with a keyed hash."""
    packed = struct.pack(">Q", nominee_id)
    mac = hmac.new(secret.encode(), packed, hashlib.sha256).digest()[:8]
    return base64.b32encode(packed + mac).decode().rstrip("=").lower()


def nominee_id_of(opaque: str, secret: str) -> int | None:
    """The nominee number behind an opaque id, or None when the seal does not match."""
    text = opaque.strip().upper()
    if len(text) != 26 or not text.isalnum():
        return None
    try:
        raw = base64.b32decode(text + "======")
    except ValueError:
        return None
    packed, mac = raw[:8], raw[8:]
    expected = hmac.new(secret.encode(), packed, hashlib.sha256).digest()[:8]
    if not hmac.compare_digest(mac, expected):
        return None
    return int(struct.unpack(">Q", packed)[0])


def _published_query() -> Select[Nominee, Dossier, OrgUnit, Movement]:
    return (
        select(Nominee, Dossier, OrgUnit, Movement)
        .join(Dossier, Dossier.id == Nominee.dossier_id)
        .join(OrgUnit, OrgUnit.id == Dossier.unit_id)
        .outerjoin(Movement, Movement.id == Dossier.movement_id)
        .where(
            Nominee.result == "awarded",
            Dossier.status.in_(PUBLISHED_DOSSIER_STATUSES),
        )
    )


def _public(
    nominee: Nominee, dossier: Dossier, unit: OrgUnit, movement: Movement | None, secret: str
) -> PublicAwardee:
    individual = nominee.kind == "individual"
    return PublicAwardee(
        public_id=public_id(nominee.id, secret),
        kind=nominee.kind,
        name=nominee.name,
        position=(nominee.job_title or None) if individual else None,
        unit=(nominee.work_unit or unit.name) if individual else unit.name,
        award_form=dossier.award_form,
        decision_number=nominee.decision_number,
        decision_date=nominee.decision_date,
        movement_code=movement.code if movement else None,
        movement_name=movement.name if movement else None,
        published_at=dossier.closed_at,
    )


def published_awardees(
    session: Session, secret: str, movement_code: str | None = None, limit: int = PUBLIC_LIMIT
) -> list[PublicAwardee]:
    """The published awardees, newest decision first, of one movement or of all."""
    query = _published_query()
    if movement_code is not None:
        query = query.where(Movement.code == movement_code)
    query = query.order_by(
        Dossier.closed_at.desc(), Dossier.award_form, Nominee.dossier_id, Nominee.position
    ).limit(limit)
    return [_public(n, d, u, m, secret) for n, d, u, m in session.execute(query)]


def published_movements(session: Session) -> list[PublicMovement]:
    """The movements that have published awardees, by code."""
    rows = session.execute(
        select(Movement.code, Movement.name)
        .where(
            Movement.id.in_(
                select(Dossier.movement_id)
                .join(Nominee, Nominee.dossier_id == Dossier.id)
                .where(
                    Nominee.result == "awarded",
                    Dossier.status.in_(PUBLISHED_DOSSIER_STATUSES),
                )
            )
        )
        .order_by(Movement.code)
    )
    return [PublicMovement(code=code, name=name) for code, name in rows]


def movement_named(session: Session, code: str) -> PublicMovement:
    """A movement by its code, for its public page; NotFoundError when there is none."""
    row = session.execute(select(Movement.code, Movement.name).where(Movement.code == code)).first()
    if row is None:
        raise NotFoundError("movement")
    return PublicMovement(code=row[0], name=row[1])


def published_awardee(session: Session, opaque: str, secret: str) -> PublicAwardee:
    """One published awardee by its opaque id; NotFoundError for anything else (unpublished,
    refused, unknown or forged look the same)."""
    nominee_id = nominee_id_of(opaque, secret)
    if nominee_id is None:
        raise NotFoundError("awardee")
    row = session.execute(_published_query().where(Nominee.id == nominee_id)).first()
    if row is None:
        raise NotFoundError("awardee")
    nominee, dossier, unit, movement = row
    return _public(nominee, dossier, unit, movement, secret)
