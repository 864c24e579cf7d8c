"""Closing a council vote that cannot finish: members on leave, a member who left the council.

The council counts absent members as not agreeing, so a vote need not wait for every ballot.
The chair closes it: each ballot still open is completed with no opinion (an absence), the
engine counts the votes, and the dossier goes on, in one transaction at one new revision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.db import utcnow
from webapp.models import Dossier, ProcessInstance, ProcessVersion, WorkItem
from webapp.permissions import Actor, can_close_votes
from webapp.services import council_session
from webapp.services.concurrency import conflicts_as_409
from webapp.services.council_votes import OpenVote, ballots_of, open_vote
from webapp.services.dossier_effects import engine_context
from webapp.services.dossiers import DossierDetail, detail_of, get_visible_dossier
from webapp.services.engine_turns import finish_turn, mark_done
from webapp.services.errors import ConflictError, PermissionDeniedError, ProcessFailedError
from webapp.services.form_validation import validate_form
from webapp.services.history import record
from webapp.services.instances import load_process, save_process
from webapp.services.process_versions import form_schema
from workflows import AutomatedStep, ProcessRuntimeError, TaskNotReadyError
from workflows.operations import sealed_counts

__all__ = ["ABSENT", "OpenVote", "close_vote", "open_vote"]

ABSENT = "absent"
MAX_COMMENT = 4000
# The chair's reason, checked like any step's comment: required, not blank, bounded.
REASON_SCHEMA = {
    "type": "object",
    "required": ["comment"],
    "properties": {
        "comment": {"type": "string", "minLength": 1, "pattern": "\\S", "maxLength": MAX_COMMENT}
    },
}


def _absent_data(version: ProcessVersion, item: WorkItem) -> dict[str, Any]:
    # An empty opinion for every nominee map of the ballot's form: no vote on anyone.
    schema = form_schema(version, item.form) or {}
    return {
        name: {}
        for name, field in (schema.get("properties") or {}).items()
        if isinstance(field, dict) and field.get("x-nominee-map")
    }


def close_vote(session: Session, actor: Actor, dossier_id: int, comment: Any) -> DossierDetail:
    """Close the vote under way: every open ballot counts as an absence, then the engine
    counts the votes and the dossier goes on to the next step."""
    with conflicts_as_409():
        return _close(session, actor, dossier_id, comment)


def _close(session: Session, actor: Actor, dossier_id: int, comment: Any) -> DossierDetail:
    dossier = get_visible_dossier(session, actor, dossier_id)
    if not can_close_votes(actor, dossier):
        raise PermissionDeniedError("only the council's chair may close a vote")
    text = str(validate_form(REASON_SCHEMA, {"comment": comment})["comment"]).strip()
    waiting = [b for b in ballots_of(session, dossier) if b.status == "open"]
    if not waiting:
        raise ConflictError("no vote is under way on this dossier", code="no_open_vote")
    dossier = session.get_one(
        Dossier,
        dossier.id,
        options=[selectinload(Dossier.nominees), joinedload(Dossier.unit)],
    )
    instance = session.scalar(
        select(ProcessInstance)
        .where(ProcessInstance.id == waiting[0].instance_id)
        .with_for_update()
    )
    assert instance is not None  # a work item always has its instance
    version = session.get_one(ProcessVersion, instance.version_id)
    process = load_process(session, instance)
    context = engine_context(session, dossier)
    steps: list[AutomatedStep] = []
    # A secret vote is counted from its ballot box: the engine's ballots only say who voted.
    counts = council_session.sealed_counts_for_close(session, dossier, waiting[0].step)
    try:
        with sealed_counts(counts):
            for ballot in waiting:
                data = {**_absent_data(version, ballot), **context}
                steps += process.complete(ballot.task_id, data)
    except TaskNotReadyError as exc:
        raise ConflictError("someone voted at the same time; try again", code="stale") from exc
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(exc.element_id, str(exc)) from exc
    now = utcnow()
    save_process(instance, process, now)
    for ballot in waiting:
        mark_done(ballot, actor, ABSENT, now)
    record(
        session,
        dossier,
        "vote_closed",
        actor=actor,
        step=waiting[0].step,
        step_title=waiting[0].title,
        comment=text,
        data={
            "absent": [b.assignee.username for b in waiting if b.assignee],
            "absent_names": [b.assignee.full_name for b in waiting if b.assignee],
        },
        at=now,
    )
    finish_turn(session, dossier, instance, process, steps, None, now)
    council_session.after_turn(session, actor, dossier, None, {}, steps, now)
    session.flush()
    return detail_of(session, dossier, version)
