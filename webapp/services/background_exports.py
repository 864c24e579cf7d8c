"""Workbooks of the tracking list made by the job queue, for lists too long to make while the
user waits.

A whole-list workbook of 100,000 dossiers takes about a minute to build (openpyxl writes every
cell), longer than a reverse proxy waits for the first byte (nginx: 60 s). Past
`direct_rows` dossiers the page therefore asks for it (`request_export`); a periodic job claims
the oldest request (`claim_next`), builds the file on a read-only session while the user
works on, stores it under its content hash and tells the user (`finish`). The file is the
owner's only and is kept KEEP_FOR, then deleted with its request (`expire`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from babel.numbers import format_decimal
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.models import Attachment, ExportFile, GeneratedDocument, User
from webapp.permissions import Actor
from webapp.services.dossiers import SORTS, DossierFilters, bounded_count, filter_conditions
from webapp.services.errors import ConflictError, InvalidDataError, NotFoundError
from webapp.services.file_store import FileRef, file_store_of
from webapp.services.notifications.fanout import notify
from webapp.services.notifications.wording import MAIL_LANGUAGE

QUEUED, RUNNING, READY, FAILED = "queued", "running", "ready", "failed"
PENDING = (QUEUED, RUNNING)
# Past this many dossiers a workbook is made by the job queue (about 6 s of building at 10,000
# on this kind of machine; the configuration's EXPORT_DIRECT_ROWS overrides it).
DIRECT_ROWS = 10_000
# How long a ready file stays downloadable.
KEEP_FOR = timedelta(days=7)
# A request some worker took but never finished (killed) is taken again after this.
LEASE = timedelta(minutes=30)
# Requests of one user waiting or being built at once: more are refused (409).
PENDING_PER_USER = 3
# How many of a user's requests their page lists.
LISTED = 20
NOTICE = "export_ready"


def count_up_to(
    session: Session, actor: Actor, filters: DossierFilters, limit: int, now: datetime
) -> tuple[int, bool]:
    """How many dossiers the list holds, counting no further than `limit`: (count, past it)."""
    return bounded_count(session, filter_conditions(actor, filters, now), limit)


def request_export(
    session: Session,
    actor: Actor,
    filters: DossierFilters,
    sort: str,
    query: Mapping[str, Any],
    now: datetime,
) -> ExportFile:
    """Queue a workbook of the list `filters` and `sort` give, for the actor; `query` is the
    list's query string (kept to show the request and link back to the list)."""
    if sort not in SORTS:
        raise InvalidDataError("unknown sort", {"sort": f"must be one of: {sorted(SORTS)}"})
    pending = session.scalar(
        select(func.count())
        .select_from(ExportFile)
        .where(ExportFile.user_id == actor.user_id, ExportFile.status.in_(PENDING))
    )
    if (pending or 0) >= PENDING_PER_USER:
        raise ConflictError(
            f"{PENDING_PER_USER} exports are already being prepared for you",
            code="too_many_exports",
        )
    export = ExportFile(
        user_id=actor.user_id,
        filters=dataclasses.asdict(filters),
        query={key: str(value) for key, value in query.items()},
        sort=sort,
        status=QUEUED,
        created_at=now,
    )
    session.add(export)
    session.flush()
    return export


def filters_of(export: ExportFile) -> DossierFilters:
    """The filters the request was made with."""
    known = {field.name for field in dataclasses.fields(DossierFilters)}
    return DossierFilters(**{k: v for k, v in export.filters.items() if k in known})


def claim_next(session: Session, now: datetime) -> ExportFile | None:
    """Take the oldest waiting request (or one a killed worker left past its lease) and mark
    it running; the caller commits. Workers at the same moment take different ones."""
    query = (
        select(ExportFile)
        .where(
            (ExportFile.status == QUEUED)
            | ((ExportFile.status == RUNNING) & (ExportFile.started_at < now - LEASE))
        )
        .order_by(ExportFile.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    export = session.scalars(query).first()
    if export is None:
        return None
    export.status, export.started_at, export.error = RUNNING, now, None
    session.flush()
    return export


def owner_of(session: Session, export: ExportFile) -> User | None:
    """The user who asked for it, while still active (a disabled account gets no file)."""
    user = session.get(User, export.user_id)
    return user if user is not None and user.active else None


def finish(session: Session, export_id: int, ref: FileRef, rows: int, now: datetime) -> None:
    """Record the stored file and tell its owner (in the app, and by mail if they chose it)."""
    export = session.get_one(ExportFile, export_id)
    export.status, export.content_hash, export.size, export.rows = READY, ref.hash, ref.size, rows
    export.finished_at = now
    session.flush()
    notify(
        session,
        select(User.id.label("user_id")).where(User.id == export.user_id),
        NOTICE,
        # Written into the notification as text, as its mail is: Vietnamese digit grouping.
        {"rows": format_decimal(rows, locale=MAIL_LANGUAGE)},
        "/dossiers/exports",
        now,
    )


def fail(session: Session, export_id: int, error: str, now: datetime) -> None:
    """Record why the file could not be made."""
    export = session.get_one(ExportFile, export_id)
    export.status, export.error, export.finished_at = FAILED, error[:300], now
    session.flush()


def exports_of(session: Session, actor: Actor, now: datetime) -> list[ExportFile]:
    """The actor's own requests, newest first (those still kept)."""
    return list(
        session.scalars(
            select(ExportFile)
            .where(ExportFile.user_id == actor.user_id, ExportFile.created_at >= now - KEEP_FOR)
            .order_by(ExportFile.id.desc())
            .limit(LISTED)
        )
    )


def open_ready(
    session: Session, actor: Actor, export_id: int, now: datetime
) -> tuple[ExportFile, BinaryIO]:
    """The actor's own ready, still kept export and its bytes as a stream (the caller closes
    it); NotFoundError for anyone else's, and when the store no longer has the file."""
    export = session.get(ExportFile, export_id)
    if (
        export is None
        or export.user_id != actor.user_id
        or export.status != READY
        or export.content_hash is None
        or export.created_at < now - KEEP_FOR
    ):
        raise NotFoundError(f"export {export_id} not found")
    try:
        return export, file_store_of(session).open(export.content_hash)
    except (FileNotFoundError, ValueError):
        raise NotFoundError(f"the file of export {export_id} is missing") from None


def expire(session: Session, now: datetime) -> list[str]:
    """Delete the requests past KEEP_FOR; the hashes of the files nothing refers to any more,
    for the caller to delete from the store once this is committed."""
    old = list(session.scalars(select(ExportFile).where(ExportFile.created_at < now - KEEP_FOR)))
    if not old:
        return []
    session.execute(delete(ExportFile).where(ExportFile.id.in_([e.id for e in old])))
    # Stored by content: the same bytes may be another export's, an upload or a paper.
    return [
        digest
        for digest in sorted({e.content_hash for e in old if e.content_hash})
        if not any(
            session.scalar(select(func.count()).select_from(model).where(column == digest))
            for model, column in (
                (ExportFile, ExportFile.content_hash),
                (Attachment, Attachment.content_hash),
                (GeneratedDocument, GeneratedDocument.content_hash),
            )
        )
    ]
