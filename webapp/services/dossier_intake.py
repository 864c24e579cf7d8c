"""Creating a dossier from the web form: the dossier, its achievement reports, maybe submitted.

One use case, one transaction (the caller commits): every report is checked before anything is
written, the dossier is started, optionally its preparing step is completed, and the files are
stored last so that a refusal anywhere leaves neither rows nor files behind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Attachment, Dossier, Event, OrgUnit, User, WorkItem
from webapp.permissions import Actor, can_do_work_item
from webapp.services.attachments import Upload, check_upload, store_attachments
from webapp.services.dossier_effects import RETURN_DECISIONS
from webapp.services.dossiers import creator_unit_id, start_dossier
from webapp.services.errors import ConflictError, InvalidDataError
from webapp.services.rounds.lifecycle import join_round
from webapp.services.work_items import REPORT_KIND, NomineeReport, complete_work_item

__all__ = [
    "REPORT_KIND",
    "NomineeReport",
    "ReturnNote",
    "create_dossier",
    "creating_unit",
    "current_reports",
    "return_note",
]


@dataclass(frozen=True)
class CreatedDossier:
    """The new dossier, and the step that waits for the actor (None once submitted)."""

    dossier: Dossier
    open_items: list[WorkItem]
    own_item: WorkItem | None


def check_reports(reports: Sequence[NomineeReport], nominee_count: int) -> None:
    """Refuse the first report that is empty, too large, of a wrong type or for no nominee."""
    for report in reports:
        if not 0 <= report.index < nominee_count:
            raise InvalidDataError(
                "the report is for no nominee",
                {report.upload.field: "is not for a nominee of this dossier"},
            )
        check_upload(report.upload)


def creating_unit(session: Session, actor: Actor) -> OrgUnit | None:
    """The unit a dossier created by the actor will belong to (None if it cannot be told)."""
    unit_id = creator_unit_id(actor)
    return session.get(OrgUnit, unit_id) if unit_id is not None else None


def _open_items(session: Session, dossier: Dossier) -> list[WorkItem]:
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
            .order_by(WorkItem.id)
        )
    )


def _own_open_item(session: Session, actor: Actor, dossier: Dossier) -> WorkItem | None:
    """The open step the creator does next (the preparing step of the shipped diagram)."""
    return next(
        (item for item in _open_items(session, dossier) if can_do_work_item(actor, item)), None
    )


def _started_event_id(session: Session, dossier: Dossier) -> int | None:
    # The reports belong to the dossier's creation in its history, not to a later step.
    return session.scalar(
        select(Event.id)
        .where(Event.dossier_id == dossier.id, Event.action == "started")
        .order_by(Event.id)
        .limit(1)
    )


def create_dossier(
    session: Session,
    actor: Actor,
    payload: dict[str, Any],
    reports: Sequence[NomineeReport],
    *,
    submit: bool,
    round_id: int | None = None,
    documents: Sequence[Upload] = (),
) -> CreatedDossier:
    """Start a dossier with its nominees' achievement reports; with `submit`, also send it on.

    `payload` is the body of POST /api/v1/dossiers. Raises InvalidDataError (an upload's error
    names the upload's `field`), FormInvalidError for the payload, PermissionDeniedError, and
    ConflictError when `submit` is asked but the new dossier waits for no step of the actor.
    Nothing is written to disk unless every check passed; the caller commits.
    """
    nominees = payload.get("nominees")
    check_reports(reports, len(nominees) if isinstance(nominees, list) else 0)
    # The dossier's own typed files (memo, certification) are checked before anything else too.
    for document in documents:
        check_upload(document)
    if round_id is None:
        dossier = start_dossier(session, actor, payload)
    else:  # a proposal in a round runs the round's proposal process
        dossier = join_round(session, actor, round_id, payload)
    by_position = sorted(dossier.nominees, key=lambda n: n.position)
    uploads = [
        dataclasses.replace(
            report.upload, kind=REPORT_KIND, nominee_id=by_position[report.index].id
        )
        for report in reports
    ] + list(documents)
    own = _own_open_item(session, actor, dossier)
    if submit:
        if own is None:
            raise ConflictError("the new dossier waits for no step of yours", code="no_own_step")
        # The preparing step's form needs only the decision; the dossier's fields are set.
        complete_work_item(session, actor, own.id, {"decision": "submit"})
        own = None
    # Files last: everything that can refuse the dossier has run, so no orphan file is written.
    store_attachments(
        session, actor, dossier, uploads, event_id=_started_event_id(session, dossier)
    )
    return CreatedDossier(dossier, _open_items(session, dossier), own)


@dataclass(frozen=True)
class ReturnNote:
    """Why the dossier came back to its unit: the returning step, its comment, who and when."""

    step_title: str | None
    comment: str | None
    by: str | None
    at: datetime


def return_note(session: Session, dossier: Dossier) -> ReturnNote | None:
    """The step that last sent the dossier back, while it waits to be corrected (else None)."""
    if dossier.status != "returned":
        return None
    row = session.execute(
        select(Event.step_title, Event.comment, User.full_name, Event.at)
        .outerjoin(User, User.id == Event.actor_id)
        .where(
            Event.dossier_id == dossier.id,
            Event.action == "completed",
            Event.decision.in_(RETURN_DECISIONS),
        )
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    return ReturnNote(*row) if row is not None else None


def current_reports(session: Session, dossier: Dossier) -> dict[int, Attachment]:
    """Each nominee's current achievement report (the latest given), by nominee id."""
    latest: dict[int, Attachment] = {}
    for attachment in session.scalars(
        select(Attachment)
        .where(
            Attachment.dossier_id == dossier.id,
            Attachment.kind == REPORT_KIND,
            Attachment.nominee_id.is_not(None),
        )
        .order_by(Attachment.id)
    ):
        if attachment.nominee_id is not None:
            latest[attachment.nominee_id] = attachment
    return latest
