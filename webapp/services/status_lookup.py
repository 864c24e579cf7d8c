"""The public status look-up: by a dossier's code, the step it is at and since when. Nothing
personal leaves here: no title (it may name people), no nominee, no person who holds or
took a step, no outcome per nominee; an unknown code and a malformed one get the same answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, WorkItem
from webapp.services.errors import NotFoundError

AT_STEP = "at_step"  # one or more steps are open
RETURNED = "returned"  # back with the proposing unit to complete
PROCESSING = "processing"  # no person's step is open (the system, or a level that records later)
FINISHED = "finished"  # awarded, refused or withdrawn: the unit is told the outcome
_FINISHED = frozenset({"awarded", "partly_awarded", "refused", "withdrawn"})
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,39}$")


@dataclass(frozen=True)
class PublicStep:
    """An open step: its title in the diagram and when it opened."""

    title: str
    since: datetime


@dataclass(frozen=True)
class PublicStatus:
    """What anyone holding a dossier's code may learn about it."""

    code: str
    award_form: str
    state: str
    since: datetime
    steps: tuple[PublicStep, ...]


def normalise_code(raw: str | None) -> str:
    """The code as stored (upper case, no surrounding spaces); "" when it cannot be a code."""
    code = (raw or "").strip().upper()
    return code if _CODE.match(code) else ""


def look_up_status(session: Session, raw_code: str | None) -> PublicStatus:
    """The public status of the dossier with exactly this code, or NotFoundError (the same
    for any code that matches none: no near match is ever suggested)."""
    code = normalise_code(raw_code)
    dossier = session.scalars(select(Dossier).where(Dossier.code == code)).first() if code else None
    if dossier is None or dossier.code is None:
        raise NotFoundError("no dossier has this code")
    items = session.scalars(
        select(WorkItem)
        .where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
        .order_by(WorkItem.created_at, WorkItem.id)
    ).all()
    steps = tuple(PublicStep(item.title, item.created_at) for item in items)
    if dossier.status in _FINISHED:
        state = FINISHED
        since = dossier.closed_at or dossier.updated_at
        steps = ()
    elif dossier.status == "returned":
        state = RETURNED
        since = steps[0].since if steps else dossier.updated_at
    elif steps:
        state = AT_STEP
        since = steps[0].since
    else:
        state = PROCESSING
        since = dossier.updated_at
    return PublicStatus(dossier.code, dossier.award_form, state, since, steps)
