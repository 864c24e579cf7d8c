"""Move running dossiers to another version of their process, see first what would happen,
and undo a move. Every move is a line in the dossier's history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Dossier, InstanceMove, ProcessInstance, ProcessVersion, WorkItem
from webapp.permissions import Actor, can_manage_processes
from webapp.services.concurrency import conflicts_as_409
from webapp.services.errors import InvalidDataError, NotFoundError, PermissionDeniedError
from webapp.services.history import record
from webapp.services.instances import load_process
from webapp.services.process_versions import definition_of, get_version
from webapp.services.work_item_sync import sync_work_items
from workflows.migration import MigrationRefusedError, VersionMigration

MAX_BATCH = 1000
# A move's reason is a sentence or two for the history, not a document.
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class MovePreview:
    """What moving one dossier would do."""

    dossier_id: int
    dossier_code: str | None
    can_move: bool
    current: list[str]
    after: list[str] = field(default_factory=list)
    needs_mapping: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MoveResult:
    """A batch of moves: which dossiers moved and which stayed (with why)."""

    batch: str
    moved: list[int]
    stayed: list[MovePreview]


def _admin(actor: Actor) -> None:
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators move dossiers between versions")


def _candidates(
    session: Session, source: ProcessVersion, step: str | None, dossier_ids: list[int] | None
) -> list[ProcessInstance]:
    query = select(ProcessInstance).where(
        ProcessInstance.version_id == source.id, ProcessInstance.status == "running"
    )
    if step:
        waiting = select(WorkItem.instance_id).where(
            WorkItem.step == step, WorkItem.status == "open"
        )
        query = query.where(ProcessInstance.id.in_(waiting))
    if dossier_ids is not None:
        query = query.where(ProcessInstance.dossier_id.in_(dossier_ids))
    instances = list(session.scalars(query.order_by(ProcessInstance.id).limit(MAX_BATCH + 1)))
    if len(instances) > MAX_BATCH:
        raise InvalidDataError(
            f"at most {MAX_BATCH} dossiers move at once",
            {"step": "narrow the selection"},
            code="too_many_dossiers",
        )
    return instances


def preview_move(
    session: Session,
    actor: Actor,
    process_key: str,
    from_version: int,
    to_version: int,
    *,
    step: str | None = None,
    dossier_ids: list[int] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> list[MovePreview]:
    """For each selected running dossier: can it move, and where would it wait? (dry run)"""
    _admin(actor)
    source = get_version(session, process_key, from_version)
    target = get_version(session, process_key, to_version)
    move = VersionMigration(definition_of(source), definition_of(target))
    previews = []
    for instance in _candidates(session, source, step, dossier_ids):
        check = move.check(instance.state, mapping)
        dossier = session.get_one(Dossier, instance.dossier_id)
        previews.append(
            MovePreview(
                instance.dossier_id,
                dossier.code,
                check.can_move,
                check.current,
                check.after,
                check.needs_mapping,
                check.reasons,
            )
        )
    return previews


def move_reason(reason: str | None, *, required: bool = False) -> str | None:
    """The reason given for a move or an undo, trimmed; refused when too long (or missing
    and `required`)."""
    text = " ".join((reason or "").split())
    if not text:
        if required:
            raise InvalidDataError("say why the dossiers move", {"reason": "required"})
        return None
    if len(text) > MAX_REASON_CHARS:
        raise InvalidDataError(
            f"the reason is longer than {MAX_REASON_CHARS} characters",
            {"reason": f"at most {MAX_REASON_CHARS} characters"},
            code="reason_too_long",
        )
    return text


def _mapped_steps(
    source: ProcessVersion,
    target: ProcessVersion,
    mapping: Mapping[str, str] | None,
    waiting: set[str],
) -> list[dict[str, str | None]]:
    """The mapping entries that applied to a dossier waiting at `waiting`, with the steps'
    titles, so that its history names them without the diagrams at hand."""
    if not mapping:
        return []
    old, new = definition_of(source).diagram, definition_of(target).diagram
    return [
        {
            "from": step,
            "from_title": old.elements[step].name if step in old.elements else None,
            "to": chosen,
            "to_title": new.elements[chosen].name if chosen in new.elements else None,
        }
        for step, chosen in mapping.items()
        if step in waiting
    ]


def _open_steps(session: Session, instance: ProcessInstance) -> set[str]:
    return set(
        session.scalars(
            select(WorkItem.step).where(
                WorkItem.instance_id == instance.id, WorkItem.status == "open"
            )
        )
    )


def move_dossiers(
    session: Session,
    actor: Actor,
    process_key: str,
    from_version: int,
    to_version: int,
    *,
    step: str | None = None,
    dossier_ids: list[int] | None = None,
    mapping: Mapping[str, str] | None = None,
    reason: str | None = None,
) -> MoveResult:
    """Move every selected dossier that can move, together, in one transaction; the reason
    (optional here, asked for by the page) goes into each dossier's history."""
    _admin(actor)
    reason = move_reason(reason)
    if from_version == to_version:
        raise InvalidDataError("choose another version", {"to_version": "must differ"})
    source = get_version(session, process_key, from_version)
    target = get_version(session, process_key, to_version)
    if target.problems or not target.spec_json:
        raise InvalidDataError(
            "the target version has problems", {"to_version": "has problems and cannot run"}
        )
    if target.status == "draft":
        # A draft may still change under the dossiers that would run on it.
        raise InvalidDataError(
            "deploy the draft before moving dossiers to it",
            {"to_version": "is a draft"},
            code="target_is_draft",
        )
    move = VersionMigration(definition_of(source), definition_of(target))
    batch = str(uuid.uuid4())
    now = utcnow()
    moved: list[int] = []
    stayed: list[MovePreview] = []
    with conflicts_as_409():
        for instance in _candidates(session, source, step, dossier_ids):
            dossier = session.get_one(Dossier, instance.dossier_id)
            previous_state, previous_revision = instance.state, instance.revision
            waiting = _open_steps(session, instance) if mapping else set()
            try:
                new_state = move.migrate(instance.state, mapping)
            except MigrationRefusedError as refused:
                stayed.append(
                    MovePreview(dossier.id, dossier.code, False, [], [], [], refused.reasons)
                )
                continue
            instance.state = new_state
            instance.version_id = target.id
            instance.updated_at = now
            session.flush()
            process = load_process(session, instance)
            sync_work_items(session, dossier, instance, process.ready_human_tasks(), now)
            session.add(
                InstanceMove(
                    batch=batch,
                    instance_id=instance.id,
                    dossier_id=dossier.id,
                    from_version_id=source.id,
                    to_version_id=target.id,
                    previous_state=previous_state,
                    previous_revision=previous_revision,
                    new_revision=instance.revision,
                    mapping=dict(mapping or {}) or None,
                    moved_by_id=actor.user_id,
                    moved_at=now,
                )
            )
            record(
                session,
                dossier,
                "moved",
                actor=actor,
                at=now,
                data={
                    "from_version": from_version,
                    "to_version": to_version,
                    "batch": batch,
                    "mapping": dict(mapping or {}),
                    "steps": _mapped_steps(source, target, mapping, waiting),
                    "reason": reason,
                },
            )
            moved.append(dossier.id)
        session.flush()
    return MoveResult(batch, moved, stayed)


def undo_move(
    session: Session, actor: Actor, batch: str, *, reason: str | None = None
) -> MoveResult:
    """Put back every dossier of a batch that has not moved on since; the others stay. The
    reason, if any, goes into each dossier's history."""
    _admin(actor)
    reason = move_reason(reason)
    moves = list(
        session.scalars(
            select(InstanceMove).where(
                InstanceMove.batch == batch, InstanceMove.undone_at.is_(None)
            )
        )
    )
    if not moves:
        raise NotFoundError(f"no move {batch} to undo")
    now = utcnow()
    restored: list[int] = []
    stayed: list[MovePreview] = []
    with conflicts_as_409():
        for done in moves:
            instance = session.get_one(ProcessInstance, done.instance_id)
            dossier = session.get_one(Dossier, done.dossier_id)
            if instance.revision != done.new_revision or instance.version_id != done.to_version_id:
                stayed.append(
                    MovePreview(
                        dossier.id,
                        dossier.code,
                        False,
                        [],
                        [],
                        [],
                        ["the dossier has moved on since"],
                    )
                )
                continue
            instance.state = done.previous_state
            instance.version_id = done.from_version_id
            instance.updated_at = now
            session.flush()
            process = load_process(session, instance)
            sync_work_items(session, dossier, instance, process.ready_human_tasks(), now)
            done.undone_at, done.undone_by_id = now, actor.user_id
            from_version = session.get_one(ProcessVersion, done.from_version_id).version
            to_version = session.get_one(ProcessVersion, done.to_version_id).version
            record(
                session,
                dossier,
                "move_undone",
                actor=actor,
                at=now,
                data={
                    "from_version": to_version,
                    "to_version": from_version,
                    "batch": batch,
                    "reason": reason,
                },
            )
            restored.append(dossier.id)
        session.flush()
    return MoveResult(batch, restored, stayed)
