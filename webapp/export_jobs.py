"""The periodic job that builds the queued workbooks of the tracking list (job queue: (session,
now)) and deletes those past their keeping time.

A workbook is built as the page would build it, in a request context of the application (the
same words, the same read-only session on PostgreSQL, no write lock held on SQLite), for the
user who asked, with their visibility as it is when the file is made.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.export_labels import FILE_LOCALE, export_labels
from webapp.models import ExportFile
from webapp.request_db import db_session
from webapp.services import background_exports, tracking_export
from webapp.services.actors import actor_for_user
from webapp.services.file_store import FileRef, file_store_of

log = logging.getLogger(__name__)
# Workbooks one pass builds: each may take a minute at national scale, and the pass's next
# run (due timers) waits for it. Several workers build several at once.
PER_PASS = 1


class ExportRefusedError(Exception):
    """The request cannot be served (its owner's account was disabled meanwhile)."""


def build_exports(session: Session, now: datetime) -> dict[str, int]:
    """Delete the expired workbooks, then build up to PER_PASS queued ones; how many of each.

    Outside an application context (a pass called bare, as some tests do) nothing is built:
    the words of the file need the application's catalog.
    """
    expired = background_exports.expire(session, now)
    session.commit()
    store = file_store_of(session)
    for digest in expired:
        store.delete(digest)
    built = failed = 0
    while has_app_context() and built + failed < PER_PASS:
        export = background_exports.claim_next(session, now)
        if export is None:
            break
        export_id = export.id
        session.commit()
        try:
            ref, rows = _build(export_id, now)
        except Exception as exc:
            log.exception("export %s could not be built", export_id)
            session.rollback()
            background_exports.fail(session, export_id, f"{type(exc).__name__}: {exc}", utcnow())
            session.commit()
            failed += 1
            continue
        background_exports.finish(session, export_id, ref, rows, utcnow())
        session.commit()
        built += 1
    return {"built": built, "failed": failed, "expired": len(expired)}


def _build(export_id: int, now: datetime) -> tuple[FileRef, int]:
    """Write the workbook to a temporary file and store it; (stored file, dossiers in it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.test_request_context("/dossiers/exports"):  # a GET: a read-only session
        session = db_session()
        export = session.get_one(ExportFile, export_id)
        owner = background_exports.owner_of(session, export)
        if owner is None:
            raise ExportRefusedError("the account that asked for it is disabled")
        actor = actor_for_user(session, owner)
        labels = export_labels()
        with tempfile.TemporaryFile() as file, force_locale(FILE_LOCALE):
            rows = tracking_export.write_xlsx(
                session,
                actor,
                background_exports.filters_of(export),
                labels,
                file,
                sort=export.sort,
                now=now,
            )
            file.seek(0)
            ref = file_store_of(session).put(file)
    return ref, rows
