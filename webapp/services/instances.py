"""The only place engine state is loaded and saved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import Dossier, ProcessInstance, ProcessVersion
from webapp.services.errors import ConflictError
from webapp.services.process_versions import definition_of
from workflows import SERIALIZER_VERSION, RunningProcess, StateLoadError


def load_process(session: Session, instance: ProcessInstance) -> RunningProcess:
    """The running engine instance of a dossier, at the revision read from the database."""
    version = session.get_one(ProcessVersion, instance.version_id)
    try:
        return RunningProcess.load(definition_of(version), instance.state)
    except StateLoadError as exc:
        raise ConflictError(
            f"the dossier's process state cannot be read: {exc}", code="state_unreadable"
        ) from exc


def new_instance(
    dossier: Dossier, version: ProcessVersion, process: RunningProcess, now: datetime
) -> ProcessInstance:
    """A process_instance row for a freshly started process."""
    instance = ProcessInstance(
        dossier_id=dossier.id,
        version_id=version.id,
        state=b"",
        serializer_version=SERIALIZER_VERSION,
        created_at=now,
    )
    save_process(instance, process, now)
    return instance


def save_process(instance: ProcessInstance, process: RunningProcess, now: datetime) -> None:
    """Store the engine state; the ORM bumps `revision` and refuses a stale one at flush."""
    status = process.status()
    instance.state = process.dump()
    instance.serializer_version = SERIALIZER_VERSION
    instance.updated_at = now
    instance.next_timer_at = status.next_timer_at
    if status.completed:
        instance.status = "completed"
        instance.completed_at = now
