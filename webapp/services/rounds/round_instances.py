"""Load, start and save a round's engine state (a dossier's lives in process_instance)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import ProcessVersion, Round, RoundInstance
from webapp.services.errors import ConflictError, ProcessFailedError
from webapp.services.process_versions import definition_of, deployed_version
from workflows import SERIALIZER_VERSION, ProcessRuntimeError, RunningProcess, StateLoadError

ROUND_PROCESS_KEY = "award_round"
PROPOSAL_PROCESS_KEY = "round_proposal"
MINISTRY_PROCESS_KEY = "ministry_round"


def start_round_process(
    session: Session,
    round_: Round,
    data: dict[str, Any],
    now: datetime,
    process_key: str = ROUND_PROCESS_KEY,
) -> tuple[RoundInstance, RunningProcess]:
    """Start the deployed round process (a Department's, or the Ministry's) for `round_`."""
    version = deployed_version(session, process_key)
    try:
        process, _steps = RunningProcess.start(definition_of(version), data)
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(exc.element_id, str(exc)) from exc
    holder = RoundInstance(
        round_id=round_.id,
        version_id=version.id,
        state=b"",
        serializer_version=SERIALIZER_VERSION,
        created_at=now,
    )
    save_round_process(holder, process, now)
    session.add(holder)
    session.flush()
    return holder, process


def load_round_process(session: Session, holder: RoundInstance) -> RunningProcess:
    """The running engine instance of a round, at the revision read from the database."""
    version = session.get_one(ProcessVersion, holder.version_id)
    try:
        return RunningProcess.load(definition_of(version), holder.state)
    except StateLoadError as exc:
        raise ConflictError(
            f"the round's process state cannot be read: {exc}", code="state_unreadable"
        ) from exc


def save_round_process(holder: RoundInstance, process: RunningProcess, now: datetime) -> None:
    """Store the engine state; the ORM bumps `revision` and refuses a stale one at flush."""
    status = process.status()
    holder.state = process.dump()
    holder.serializer_version = SERIALIZER_VERSION
    holder.updated_at = now
    holder.next_timer_at = status.next_timer_at
    if status.completed:
        holder.status = "completed"
        holder.completed_at = now
