"""What the moves page offers: the versions dossiers may move from and to, the steps to pick
and to map, dossier codes resolved, the recent batches of moves and their undo. The moves
themselves (dry run, move, undo) are services.version_moves."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Dossier, Event, InstanceMove, ProcessInstance, ProcessVersion
from webapp.permissions import Actor
from webapp.services import process_versions, version_moves
from webapp.services.errors import NotFoundError
from webapp.services.process_catalogue import (
    StepRow,
    VersionRow,
    human_steps,
    process_row,
    read_version_diagram,
    require_admin,
    user_names,
    waiting_by_step,
)
from workflows import DiagramInfo

# Codes are typed or pasted: separated by commas, semicolons, spaces or line breaks.
CODE_SEPARATORS = re.compile(r"[\s,;]+")
MAX_CODES = version_moves.MAX_BATCH


@dataclass(frozen=True)
class MoveOptions:
    """What the moves page offers for a pair of versions."""

    versions: list[VersionRow]
    sources: list[VersionRow]
    targets: list[VersionRow]
    steps: list[StepRow]
    # Steps of the source with no counterpart in the target: a dossier waiting there needs a
    # step of the target to wait at instead (mapping), or it stays.
    unmatched: list[StepRow]
    mapping_targets: list[StepRow]
    source_names: dict[str, str]
    target_names: dict[str, str]


def move_options(
    session: Session, actor: Actor, process_key: str, source: int | None, target: int | None
) -> MoveOptions:
    """Versions dossiers may move from (those with running dossiers) and to (deployed or
    retired ones: a draft may still change under the dossiers), and the steps of both."""
    require_admin(actor)
    process = process_row(session, actor, process_key)
    versions = process.versions if process else []
    sources = [v for v in versions if v.running_dossiers]
    targets = [v for v in versions if v.status != "draft" and v.problems == 0]
    steps: list[StepRow] = []
    unmatched: list[StepRow] = []
    mapping_targets: list[StepRow] = []
    source_diagram = target_diagram = None
    if source is not None:
        found = process_versions.get_version(session, process_key, source)
        source_diagram = read_version_diagram(found.bpmn_xml, f"{process_key}-v{source}.bpmn")
        steps = human_steps(source_diagram, waiting_by_step(session, found.id))
    if target is not None:
        found = process_versions.get_version(session, process_key, target)
        target_diagram = read_version_diagram(found.bpmn_xml, f"{process_key}-v{target}.bpmn")
    if target_diagram is not None:
        main = target_diagram.process_ids[0] if target_diagram.process_ids else None
        mapping_targets = [
            s
            for s in human_steps(target_diagram, {})
            if not target_diagram.elements[s.element_id].multi_instance
            and target_diagram.elements[s.element_id].process_id == main
        ]
        unmatched = [s for s in steps if s.element_id not in target_diagram.elements]
    return MoveOptions(
        versions=versions,
        sources=sources,
        targets=targets,
        steps=steps,
        unmatched=unmatched,
        mapping_targets=mapping_targets,
        source_names=_names(source_diagram),
        target_names=_names(target_diagram),
    )


def _names(diagram: DiagramInfo | None) -> dict[str, str]:
    if diagram is None:
        return {}
    return {i: e.name for i, e in diagram.elements.items() if e.name}


@dataclass(frozen=True)
class CodeLookup:
    """Dossier codes typed by the administrator, resolved."""

    dossier_ids: list[int]
    unknown: list[str]
    elsewhere: list[str]  # known, but not running on the chosen version


def parse_codes(text: str) -> list[str]:
    """The dossier codes in a pasted text, in order, without repeats."""
    return list(dict.fromkeys(c for c in CODE_SEPARATORS.split(text.strip()) if c))


def dossiers_by_code(
    session: Session, actor: Actor, process_key: str, number: int, codes: list[str]
) -> CodeLookup:
    """The dossiers with these codes, and the codes that are unknown or not on version
    `number` (running)."""
    require_admin(actor)
    version = process_versions.get_version(session, process_key, number)
    found: dict[str, tuple[int, int | None, str | None]] = {}
    for chunk_start in range(0, min(len(codes), MAX_CODES), 500):
        chunk = codes[chunk_start : chunk_start + 500]
        for row in session.execute(
            select(Dossier.code, Dossier.id, ProcessInstance.version_id, ProcessInstance.status)
            .outerjoin(ProcessInstance, ProcessInstance.dossier_id == Dossier.id)
            .where(Dossier.code.in_(chunk))
        ):
            if row[0] is not None:
                found[row[0]] = (row[1], row[2], row[3])
    ids, unknown, elsewhere = [], [], []
    for code in codes:
        if code not in found:
            unknown.append(code)
            continue
        dossier_id, version_id, status = found[code]
        if version_id != version.id or status != "running":
            elsewhere.append(code)
        else:
            ids.append(dossier_id)
    return CodeLookup(ids, unknown, elsewhere)


def dossier_codes(session: Session, actor: Actor, dossier_ids: Iterable[int]) -> dict[int, str]:
    """Dossier id -> code (or "#id" for a dossier without a code yet)."""
    require_admin(actor)
    wanted = set(dossier_ids)
    if not wanted:
        return {}
    return {
        dossier_id: code or f"#{dossier_id}"
        for dossier_id, code in session.execute(
            select(Dossier.id, Dossier.code).where(Dossier.id.in_(wanted))
        ).all()
    }


@dataclass(frozen=True)
class MoveBatch:
    """A batch of moves not undone yet: which versions, how many dossiers, who, when."""

    batch: str
    from_version: int
    to_version: int
    dossiers: int
    moved_by: str | None
    moved_at: datetime
    codes: list[str]
    reason: str | None = None


def recent_batches(
    session: Session, actor: Actor, process_key: str, limit: int = 20
) -> list[MoveBatch]:
    """The latest batches of moves of this process with something left to undo, newest first."""
    require_admin(actor)
    versions = dict(
        session.execute(
            select(ProcessVersion.id, ProcessVersion.version).where(
                ProcessVersion.process_key == process_key
            )
        ).all()
    )
    if not versions:
        return []
    rows = session.execute(
        select(
            InstanceMove.batch,
            InstanceMove.from_version_id,
            InstanceMove.to_version_id,
            InstanceMove.moved_by_id,
            func.max(InstanceMove.moved_at),
            func.count(),
        )
        .where(InstanceMove.undone_at.is_(None), InstanceMove.to_version_id.in_(versions))
        .group_by(
            InstanceMove.batch,
            InstanceMove.from_version_id,
            InstanceMove.to_version_id,
            InstanceMove.moved_by_id,
        )
        .order_by(func.max(InstanceMove.moved_at).desc())
        .limit(limit)
    ).all()
    names = user_names(session, [r[3] for r in rows])
    codes: dict[str, list[str]] = {}
    first_dossier: dict[str, int] = {}
    if rows:
        for batch, code, dossier_id in session.execute(
            select(InstanceMove.batch, Dossier.code, Dossier.id)
            .join(Dossier, Dossier.id == InstanceMove.dossier_id)
            .where(InstanceMove.batch.in_([r[0] for r in rows]), InstanceMove.undone_at.is_(None))
            .order_by(Dossier.id)
        ):
            codes.setdefault(batch, []).append(code or f"#{dossier_id}")
            first_dossier.setdefault(batch, dossier_id)
    reasons = _reasons(session, first_dossier)
    return [
        MoveBatch(
            batch=batch,
            from_version=versions[from_id],
            to_version=versions[to_id],
            dossiers=count,
            moved_by=names.get(moved_by) if moved_by else None,
            moved_at=moved_at,
            codes=codes.get(batch, []),
            reason=reasons.get(batch),
        )
        for batch, from_id, to_id, moved_by, moved_at, count in rows
    ]


def _reasons(session: Session, first_dossier: dict[str, int]) -> dict[str, str]:
    """Each batch's reason, as written in the history of one of its dossiers."""
    reasons: dict[str, str] = {}
    if not first_dossier:
        return reasons
    for data in session.scalars(
        select(Event.data).where(
            Event.dossier_id.in_(set(first_dossier.values())), Event.action == "moved"
        )
    ):
        if isinstance(data, dict) and data.get("batch") in first_dossier and data.get("reason"):
            reasons[data["batch"]] = str(data["reason"])
    return reasons


def undo_batch(
    session: Session, actor: Actor, process_key: str, batch: str, *, reason: str | None = None
) -> version_moves.MoveResult:
    """Undo a batch of moves of this process (NotFoundError when there is nothing to undo),
    with the reason given, if any."""
    require_admin(actor)
    pending = session.scalar(
        select(func.count())
        .select_from(InstanceMove)
        .join(ProcessVersion, ProcessVersion.id == InstanceMove.to_version_id)
        .where(
            InstanceMove.batch == batch,
            InstanceMove.undone_at.is_(None),
            ProcessVersion.process_key == process_key,
        )
    )
    if not pending:
        raise NotFoundError(f"no move {batch} of {process_key} to undo")
    return version_moves.undo_move(session, actor, batch, reason=reason)
