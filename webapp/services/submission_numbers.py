"""The tờ trình's number taken at the signing step: from the TTr register of the Department
for the current year, once per dossier (taking it again gives the same number back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier
from webapp.permissions import Actor, can_do_work_item
from webapp.services import registers
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.settings import settings_of
from webapp.services.work_items import get_work_item

FIELD = "submission_number"


@dataclass(frozen=True)
class TakenNumber:
    """The number for the step's field, and whether it had been taken before."""

    text: str
    again: bool


def take_submission_number(session: Session, actor: Actor, item_id: int) -> TakenNumber:
    """The dossier's tờ trình number for the open step the actor may do (a step whose form
    has the submission number), issuing one the first time."""
    detail = get_work_item(session, actor, item_id)  # NotFoundError when not visible
    item, dossier = detail.item, detail.dossier
    if item.status != "open":
        raise ConflictError("this step is already done", code="already_completed")
    if not can_do_work_item(actor, item):
        raise PermissionDeniedError("you may not do this step")
    if FIELD not in ((detail.form or {}).get("properties") or {}):
        raise InvalidDataError("this step takes no submission number", {FIELD: "not on this step"})
    # One dossier, one number: two clicks at once wait for each other here (PostgreSQL).
    session.execute(select(Dossier.id).where(Dossier.id == dossier.id).with_for_update())
    existing = registers.number_issued_for(session, registers.SUBMISSION, "dossier", dossier.id)
    if existing is not None:
        return TakenNumber(existing.text, again=True)
    settings = settings_of(session)
    year = datetime.now(ZoneInfo(settings.time_zone)).year
    issued = registers.issue_number(
        session,
        actor,
        registers.SUBMISSION,
        settings.register_body,
        year,
        subject_kind="dossier",
        subject_id=dossier.id,
        purpose=f"Tờ trình của hồ sơ {dossier.code}",
    )
    return TakenNumber(issued.text, again=False)
