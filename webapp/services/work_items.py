"""Work-item use cases: my inbox, one item with its form, claim, release, complete."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, bindparam, case, false, func, or_, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.db import utcnow
from webapp.models import Dossier, Event, ProcessInstance, ProcessVersion, User, WorkItem
from webapp.permissions import Actor, can_do_work_item
from webapp.services import council_session
from webapp.services.attachments import Upload, check_upload, store_attachments
from webapp.services.award_rules_catalog import require_documents_at_check
from webapp.services.ballot_box import SEALED
from webapp.services.concurrency import conflicts_as_409
from webapp.services.documents import step_papers
from webapp.services.dossier_effects import (
    apply_dossier_edits,
    apply_step_data,
    engine_context,
)
from webapp.services.dossiers import DossierDetail, detail_of
from webapp.services.engine_turns import finish_turn, mark_done
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
    ProcessFailedError,
)
from webapp.services.form_validation import validate_form
from webapp.services.history import record
from webapp.services.id_lists import ids_in
from webapp.services.instances import load_process, save_process
from webapp.services.kept_statements import kept
from webapp.services.keyset import Key, after, decode_cursor, encode_cursor
from webapp.services.nominees_in_play import nominee_ids_in_play, nominee_ids_out_of_play
from webapp.services.process_versions import definition_of, form_schema
from webapp.services.round_inbox import RoundStepRow, my_round_steps
from webapp.services.shared_aliases import shared_alias
from workflows import ProcessRuntimeError, TaskNotReadyError
from workflows.operations import sealed_counts

# Form fields that change the dossier itself and are not handed to the engine.
DOSSIER_EDIT_FIELDS = frozenset(
    {"nominees", "title", "track", "simplified_reason", "simplified_case"}
)
REPORT_KIND = "achievement_report"
# The inbox's total stops counting past this many items (as the tracking list's does).
TOTAL_BOUND = 10_000
ORDERS = ("newest", "due")
# The columns each inbox order sorts by (the due date: soonest first, the undated last).
ORDER_KEYS = {
    "newest": [Key(WorkItem.created_at, datetime), Key(WorkItem.id, int)],
    "due": [Key(WorkItem.due_at, datetime, nullable=True), Key(WorkItem.id, int)],
}


@dataclass(frozen=True)
class NomineeReport:
    """The achievement report of the nominee at `index` in the form's nominee list (or, for a
    step that does not edit the list, in the dossier's own order)."""

    index: int
    upload: Upload


@dataclass(frozen=True)
class WorkItemDetail:
    """A work item with its dossier and the form to fill in."""

    item: WorkItem
    dossier: Dossier
    form: dict[str, Any] | None
    ui_form: dict[str, Any] | None


# Who claimed and who was assigned an item, in the inbox's and the export's statements.
CLAIMER = shared_alias(User, "claimer")
ASSIGNEE = shared_alias(User, "assignee")


def _owner(actor: Actor) -> tuple[int, tuple[tuple[str, tuple[int, ...]], ...]]:
    """What of the actor the inbox's reads depend on (their id and scopes): the key they are
    kept under (kept_statements)."""
    scopes = ((role, tuple(sorted(units))) for role, units in actor.scopes.items())
    return actor.user_id, tuple(sorted(scopes))


def _actor_scope(actor: Actor) -> Any:
    clauses = [
        and_(WorkItem.role == role, WorkItem.unit_id.in_(units))
        for role, units in actor.scopes.items()
        if units
    ]
    return or_(*clauses) if clauses else false()


class InboxRow(NamedTuple):
    """One line of an inbox, read as plain columns (no ORM objects: inboxes can be long)."""

    id: int
    dossier_id: int
    dossier_code: str | None
    dossier_title: str
    step: str
    title: str
    role: str | None
    status: str
    created_at: datetime
    due_at: datetime | None
    claimed_by: str | None
    assignee: str | None
    dossier_status: str = "in_progress"  # for the line's status sentence


def _mine(actor: Actor, movement_id: int | None = None) -> list[Any]:
    return [WorkItem.status == "open", _actor_scope(actor), *_not_others(actor, movement_id)]


def _not_others(actor: Actor, movement_id: int | None) -> list[Any]:
    """An item of the actor's scopes is theirs unless assigned to or taken by someone else
    (and, with `movement_id`, unless its dossier is of another movement)."""
    conditions = [
        or_(WorkItem.assignee_id.is_(None), WorkItem.assignee_id == actor.user_id),
        or_(WorkItem.claimed_by_id.is_(None), WorkItem.claimed_by_id == actor.user_id),
    ]
    if movement_id is not None:
        # The item's dossier by primary key, its movement checked there (no scan).
        conditions.append(
            WorkItem.dossier_id.in_(select(Dossier.id).where(Dossier.movement_id == movement_id))
        )
    return conditions


# Past this many (role, unit) scopes the newest-first page is one read of the open items
# rather than one read per scope.
MAX_MERGED_SCOPES = 64


def _every_scope(actor: Actor) -> list[tuple[str, int]]:
    """The actor's (role, unit) scopes, in order."""
    return sorted((role, unit) for role, units in actor.scopes.items() for unit in units)


def _scopes(actor: Actor) -> list[tuple[str, int]] | None:
    """The actor's (role, unit) scopes when they are read one by one and merged: None for one
    scope (a plain read is that scope's index range already) or for too many."""
    scopes = _every_scope(actor)
    return scopes if 1 < len(scopes) <= MAX_MERGED_SCOPES else None


def _in_scope(role: str, unit: int) -> list[Any]:
    """The open items of one (role, unit) scope: an index range of ix_work_item_inbox."""
    return [WorkItem.status == "open", WorkItem.role == role, WorkItem.unit_id == unit]


def _reads_due_first(session: Session, actor: Actor) -> bool:
    """Whether the inbox's count reads the actor's items by due date, overdue first: on
    PostgreSQL, whose merge of the scopes' ranges of ix_work_item_scope_due keeps their order
    (undated items last) and stops at the bound; SQLite's index puts the undated items first.
    Past the bound that one read counts the overdue items too, where a second read of them
    took as long again (the Office at 1,000,000 dossiers: 10,000 entries, 8 ms)."""
    scopes = len(_every_scope(actor))
    return 0 < scopes <= MAX_MERGED_SCOPES and session.get_bind().dialect.name == "postgresql"


def _due_dates_by_scope(actor: Actor, movement_id: int | None, *also: Any) -> Any:
    """The due dates of the actor's open items (meeting `also`), read scope by scope, each an
    index range on status, role and unit (and due date: ix_work_item_scope_due), where one read
    with the scopes OR-ed walked every open item (the Office at 100,000 dossiers on PostgreSQL:
    8 ms; its overdue ones past a 1,000-item bound, 11.2 ms against 2.0 per scope)."""
    scopes = _scopes(actor)
    if not scopes:
        return select(WorkItem.due_at).where(*_mine(actor, movement_id), *also)
    common = [*_not_others(actor, movement_id), *also]
    parts = [
        select(WorkItem.due_at).where(*_in_scope(role, unit), *common) for role, unit in scopes
    ]
    merged = union_all(*parts).subquery()
    return select(merged.c.due_at)


def _earliest_due_by_scope(actor: Actor, movement_id: int | None) -> Any:
    """The due dates of the actor's `wanted` (WANTED) earliest-due open items, undated last:
    each scope's earliest from its range of ix_work_item_scope_due, then merged in that order
    (one ORDER BY over the scopes' union sorted every item of them: 28 ms for the Office at
    1,000,000 dossiers)."""
    common = _not_others(actor, movement_id)
    return _merged_by_scope(
        _every_scope(actor), common, ["due_at"], lambda rows: [rows.due_at], shown="due_at"
    )


def _merged_by_scope(
    scopes: Sequence[tuple[str, int]],
    common: list[Any],
    columns: Sequence[str],
    order: Callable[[Any], list[Any]],
    *,
    shown: str,
) -> Any:
    """The `shown` column of the first `wanted` (WANTED) of the open items of `scopes` (meeting
    `common`) in `order`: each scope's first `wanted` read from its own index range, then
    merged. `order` gives the ORDER BY for the table or for the merged rows (same names)."""
    parts = [
        select(
            select(*(getattr(WorkItem, name) for name in columns))
            .where(*_in_scope(role, unit), *common)
            .order_by(*order(WorkItem))
            .limit(WANTED)
            # SQLite takes ORDER BY and LIMIT in a compound's member only inside a subquery.
            .subquery()
        )
        for role, unit in scopes
    ]
    merged = union_all(*parts).subquery()
    return select(merged.c[shown]).order_by(*order(merged.c)).limit(WANTED)


# The number of items a kept read stops at, given at each execution: a page number chosen by
# the client never makes another statement to keep.
WANTED = bindparam("wanted", type_=Integer)


def _newest_by_scope(actor: Actor, movement_id: int | None, resume: Any) -> Any | None:
    """The ids of the actor's `wanted` (a parameter: WANTED) newest items, read scope by scope,
    or None when the actor has one scope, none or too many.

    One ORDER BY over every open item that is theirs reads the open items newest first and
    filters them: for a council member, whose votes are a fifth of their scope's items, that
    walked the whole open index (14 ms at 100,000 dossiers on PostgreSQL). Read per (role,
    unit) from ix_work_item_inbox, each scope's newest `wanted` then merged: 0.7 ms.
    """
    if not _scopes(actor):
        return None
    if resume is None:
        key = ("inbox_newest", _owner(actor), movement_id)
        return kept(key, lambda: _build_newest(actor, movement_id, None))
    return _build_newest(actor, movement_id, resume)


def _build_newest(actor: Actor, movement_id: int | None, resume: Any) -> Any:
    scopes = _scopes(actor) or []
    common = _not_others(actor, movement_id)
    if resume is not None:
        common.append(after(ORDER_KEYS["newest"], resume, descending=True, nulls_low=False))
    return _merged_by_scope(
        scopes,
        common,
        ["id", "created_at"],
        lambda rows: [rows.created_at.desc(), rows.id.desc()],
        shown="id",
    )


def my_work_items(
    session: Session,
    actor: Actor,
    *,
    order: str = "newest",
    limit: int | None = None,
    offset: int = 0,
    movement_id: int | None = None,
    cursor: str | None = None,
) -> list[InboxRow]:
    """Open items the actor may do: their role reaches the dossier, and not someone else's.

    `order` is "newest" (default) or "due" (soonest deadline first); `limit`/`offset` page it,
    or `cursor` (`inbox_cursor` of a page's last row) starts after that row whatever its depth;
    `movement_id` keeps the dossiers of one movement.
    """
    if order not in ORDERS:
        raise InvalidDataError("order must be newest or due", {"order": "must be newest or due"})
    keys = ORDER_KEYS[order]
    resume = decode_cursor(cursor, order, keys) if cursor is not None else None
    query = _inbox_query(actor, movement_id)
    if order == "newest":
        if resume is not None:
            offset = 0
        newest = _newest_by_scope(actor, movement_id, resume) if limit else None
        if newest is not None:
            # The ids first, then their rows: one statement joining the merged reads with the
            # dossiers and people took PostgreSQL 5 ms to plan.
            ids = session.scalars(newest, {"wanted": (limit or 0) + offset})
            query = query.where(ids_in(session, WorkItem.id, ids))
        elif resume is not None:
            query = query.where(after(keys, resume, descending=True, nulls_low=False))
        query = query.order_by(WorkItem.created_at.desc(), WorkItem.id.desc())
        return _rows(session, query.limit(limit).offset(offset or None))
    if resume is None and offset:
        # A page by number (offset): one query, the undated last.
        query = query.order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id)
        return _rows(session, query.limit(limit).offset(offset))
    # By due date from the top or after a cursor: the dated items, then the undated ones, each
    # a range of the index on (status, due_at, id) read in its order (where one ORDER BY with
    # the undated last is a sort of every item, on SQLite and PostgreSQL alike).
    due, last_id = resume if resume is not None else (None, None)
    found: list[InboxRow] = []
    if resume is None or due is not None:
        dated = query.where(WorkItem.due_at.is_not(None))
        if resume is not None:
            dated = dated.where(after(keys, resume, descending=False, nulls_low=True))
        dated = dated.order_by(WorkItem.due_at, WorkItem.id)
        found = _rows(session, dated.limit(limit))
    if limit is None or len(found) < limit:
        undated = query.where(WorkItem.due_at.is_(None))
        if last_id is not None and due is None:
            undated = undated.where(WorkItem.id > last_id)
        undated = undated.order_by(WorkItem.id)
        found += _rows(session, undated.limit(None if limit is None else limit - len(found)))
    return found


def _inbox_query(actor: Actor, movement_id: int | None) -> Any:
    return kept(
        ("inbox_rows", _owner(actor), movement_id), lambda: _build_inbox(actor, movement_id)
    )


def _build_inbox(actor: Actor, movement_id: int | None) -> Any:
    claimer, assignee = CLAIMER, ASSIGNEE
    return (
        select(
            WorkItem.id,
            WorkItem.dossier_id,
            Dossier.code,
            Dossier.title,
            WorkItem.step,
            WorkItem.title,
            WorkItem.role,
            WorkItem.status,
            WorkItem.created_at,
            WorkItem.due_at,
            claimer.username,
            assignee.username,
            Dossier.status,
        )
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .outerjoin(claimer, claimer.id == WorkItem.claimed_by_id)
        .outerjoin(assignee, assignee.id == WorkItem.assignee_id)
        .where(*_mine(actor, movement_id))
    )


def _rows(session: Session, query: Any) -> list[InboxRow]:
    return [InboxRow._make(row) for row in session.execute(query)]


def inbox_cursor(order: str, row: InboxRow) -> str:
    """The cursor of `my_work_items` that starts after `row`."""
    values = [row.due_at, row.id] if order == "due" else [row.created_at, row.id]
    return encode_cursor(order, values)


class InboxCount(NamedTuple):
    """How many open items wait for the actor (counting stopped at the bound when
    `total_is_lower_bound`), and how many of them are overdue (likewise)."""

    total: int
    overdue: int
    total_is_lower_bound: bool = False
    overdue_is_lower_bound: bool = False


def count_my_work_items(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    movement_id: int | None = None,
    bound: int = TOTAL_BOUND,
    rounds: Sequence[RoundStepRow] | None = None,
) -> InboxCount:
    """How many open items wait for the actor (the rounds' steps included: `rounds` when the
    caller has read them already), and how many of them are overdue, counting no further than
    `bound` (a read that does not grow with the table: "more than 10,000" rather than an exact
    count of a huge inbox)."""
    if rounds is None:
        rounds = my_round_steps(session, actor, movement_id=movement_id)
    late_rounds = sum(1 for row in rounds if row.due_at is not None and row.due_at < now)
    room = max(bound - len(rounds), 0)
    due_first = _reads_due_first(session, actor)

    def build() -> Any:
        # One bounded read counts both: COUNT of a CASE without ELSE skips the items not
        # overdue. The time and the bound are given at each execution.
        if due_first:
            dates = _earliest_due_by_scope(actor, movement_id)
        else:
            dates = _due_dates_by_scope(actor, movement_id).limit(WANTED)
        mine = dates.subquery()
        late = mine.c.due_at < bindparam("now", type_=WorkItem.due_at.type)
        return select(func.count(), func.count(case((late, 1))))

    counted = kept(("inbox_count", _owner(actor), movement_id, due_first), build)
    found, overdue = session.execute(counted, {"now": now, "wanted": room + 1}).one()
    found, overdue = found or 0, overdue or 0
    if found <= room:
        return InboxCount(found + len(rounds), overdue + late_rounds)
    if not due_first:
        # More than the bound, read in no order: the overdue among the first rows read say
        # nothing of the others, counted apart (up to the bound too).
        late = _due_dates_by_scope(actor, movement_id, WorkItem.due_at < now).limit(room + 1)
        overdue = session.scalar(select(func.count()).select_from(late.subquery())) or 0
    # Read by due date, every overdue item came before the first one that is not: the first
    # read counted them as far as the bound, as a read of the overdue alone would.
    late_capped = overdue + late_rounds > bound
    return InboxCount(bound, min(overdue + late_rounds, bound), True, late_capped)


def _visible_item(session: Session, actor: Actor, item_id: int, *, lock: bool = False) -> WorkItem:
    query = select(WorkItem).where(WorkItem.id == item_id)
    if lock:
        # The row as it is once locked: an item read earlier in the request (the page reads it
        # before its form is posted) would otherwise keep the values from before the wait.
        query = query.with_for_update().execution_options(populate_existing=True)
    item = session.scalar(query)
    # A work item's unit is its dossier's unit: the same reach decides whether it is visible.
    if item is None or not (actor.is_admin or item.unit_id in actor.visible_units):
        raise NotFoundError(f"work item {item_id} not found")
    return item


def get_work_item(session: Session, actor: Actor, item_id: int) -> WorkItemDetail:
    """One work item the actor may see, with its dossier and form."""
    item = _visible_item(session, actor, item_id)
    version = session.get_one(ProcessVersion, item.version_id)
    element = definition_of(version).diagram.element(item.step)
    ui_form = form_schema(version, element.ui_form) if element else None
    return WorkItemDetail(item, item.dossier, form_schema(version, item.form), ui_form)


def claim_work_item(session: Session, actor: Actor, item_id: int) -> WorkItem:
    """Take an open item so that others in the same role leave it to the actor."""
    item = _visible_item(session, actor, item_id, lock=True)
    if item.status != "open":
        raise ConflictError("this step is already done", code="already_completed")
    if item.claimed_by_id not in (None, actor.user_id):
        raise ConflictError("someone else has claimed this step", code="claimed_by_other")
    if not can_do_work_item(actor, item):
        raise PermissionDeniedError("you may not do this step")
    if item.claimed_by_id is None:
        item.claimed_by_id = actor.user_id
        item.claimed_at = utcnow()
        record(
            session,
            item.dossier,
            "claimed",
            actor=actor,
            step=item.step,
            step_title=item.title,
            work_item=item,
        )
    session.flush()
    return item


def release_work_item(session: Session, actor: Actor, item_id: int) -> WorkItem:
    """Give a claimed item back to everyone who holds its role."""
    item = _visible_item(session, actor, item_id, lock=True)
    if item.status != "open":
        raise ConflictError("this step is already done", code="already_completed")
    if item.claimed_by_id is None:
        return item
    if item.claimed_by_id != actor.user_id:
        raise PermissionDeniedError("only the person who claimed this step can release it")
    item.claimed_by_id = None
    item.claimed_at = None
    record(
        session,
        item.dossier,
        "released",
        actor=actor,
        step=item.step,
        step_title=item.title,
        work_item=item,
    )
    session.flush()
    return item


def complete_work_item(
    session: Session,
    actor: Actor,
    item_id: int,
    data: Any,
    *,
    uploads: Sequence[Upload] = (),
    reports: Sequence[NomineeReport] = (),
) -> DossierDetail:
    """Complete a step with its files: authorise, validate, run the engine, save at revision+1,
    sync, record, then store the files under the step's line in the history.

    `uploads` are the step's own files; `reports` are nominees' achievement reports (a new one
    becomes the nominee's current report, the older stays in the history). Every file is
    checked before anything changes and stored last, so a refusal anywhere leaves neither rows
    nor files. Returns the dossier as it now stands.
    """
    for upload in [*uploads, *(report.upload for report in reports)]:
        check_upload(upload)
    with conflicts_as_409():
        detail, event = _complete(session, actor, item_id, data, {u.kind for u in uploads})
    if uploads and SEALED in (event.data or {}).values():
        # A file kept under a secret ballot's line could say what the member chose.
        raise InvalidDataError("a secret ballot takes no files", {"attachments": "not allowed"})
    # A signing step keeps its papers with the dossier in this transaction.
    step_papers.keep_dossier_step_papers(session, actor, detail.dossier, event.step or "", data)
    _store_step_files(session, actor, detail.dossier, uploads, reports, event)
    return detail


def _check_report_rows(reports: Sequence[NomineeReport], rows: int) -> None:
    for report in reports:
        if not 0 <= report.index < rows:
            raise InvalidDataError(
                "the report is for no nominee",
                {report.upload.field: "is not for a nominee of this dossier"},
            )


def _store_step_files(
    session: Session,
    actor: Actor,
    dossier: Dossier,
    uploads: Sequence[Upload],
    reports: Sequence[NomineeReport],
    event: Event,
) -> None:
    # The rows as they stand after the step's edits: a report's index is a row's position.
    by_position = sorted(dossier.nominees, key=lambda n: n.position)
    _check_report_rows(reports, len(by_position))
    files = list(uploads) + [
        dataclasses.replace(
            report.upload, kind=REPORT_KIND, nominee_id=by_position[report.index].id
        )
        for report in reports
    ]
    if files:
        store_attachments(session, actor, dossier, files, event_id=event.id)


def check_turn(actor: Actor, item: WorkItem) -> None:
    """Conflicts first, then permission: whoever loses a race for an item they could have done
    (it is done, or someone else took it meanwhile) gets 409, never 403."""
    if item.status != "open":
        raise ConflictError("this step has already been completed", code="already_completed")
    theirs_but_for_the_claim = (
        item.role is not None
        and item.unit_id in actor.scopes.get(item.role, frozenset())
        and item.assignee_id in (None, actor.user_id)
    )
    if item.claimed_by_id not in (None, actor.user_id) and theirs_but_for_the_claim:
        raise ConflictError("someone else has claimed this step", code="claimed_by_other")
    if not can_do_work_item(actor, item):
        raise PermissionDeniedError("you may not do this step")


def _complete(
    session: Session, actor: Actor, item_id: int, data: Any, adding: frozenset[str] | set[str]
) -> tuple[DossierDetail, Event]:
    item = _visible_item(session, actor, item_id, lock=True)
    check_turn(actor, item)
    # The nominees and the unit are needed below (form check, effects, the answer): load them now.
    dossier = session.get_one(
        Dossier,
        item.dossier_id,
        options=[selectinload(Dossier.nominees), joinedload(Dossier.unit)],
    )
    instance = session.get_one(ProcessInstance, item.instance_id)
    version = session.get_one(ProcessVersion, item.version_id)
    schema = form_schema(version, item.form) or {"type": "object"}
    # Per-nominee fields decide only on the nominees still in play (none rejected earlier).
    values = validate_form(
        schema,
        data,
        nominee_ids=nominee_ids_in_play(dossier),
        closed_nominee_ids=nominee_ids_out_of_play(dossier),
    )
    if schema.get("x-edits-dossier"):
        apply_dossier_edits(session, dossier, values)
    # The Office's check cannot approve while an enforced document is missing (rules lists).
    require_documents_at_check(session, dossier, item.step, values.get("decision"), adding=adding)
    # A secret ballot: from here on only THAT the member voted; the choices are in the box.
    ballot = council_session.take_ballot(session, dossier, item, schema, values)
    if ballot is not None:
        values = ballot.values
    engine_data = {k: copy.deepcopy(v) for k, v in values.items() if k not in DOSSIER_EDIT_FIELDS}
    engine_data.update(engine_context(session, dossier))
    process = load_process(session, instance)
    try:
        with sealed_counts(ballot.sealed_counts if ballot else None):
            steps = process.complete(item.task_id, engine_data)
    except TaskNotReadyError as exc:
        raise ConflictError(
            "this step has already been completed", code="already_completed"
        ) from exc
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(exc.element_id, str(exc)) from exc
    now = utcnow()
    save_process(instance, process, now)
    decision = values.get("decision")
    mark_done(item, actor, decision if isinstance(decision, str) else None, now)
    recorded = {
        k: v for k, v in values.items() if k not in {"comment", "decision"} and v is not None
    }
    event = record(
        session,
        dossier,
        "completed",
        actor=actor,
        step=item.step,
        step_title=item.title,
        work_item=item,
        decision=item.decision,
        comment=values.get("comment"),
        data=recorded or None,
        at=now,
    )
    apply_step_data(dossier, values)
    finish_turn(session, dossier, instance, process, steps, item.decision, now)
    council_session.after_turn(session, actor, dossier, item, values, steps, now)
    session.flush()
    return detail_of(session, dossier, version), event


def save_dossier_draft(
    session: Session,
    actor: Actor,
    item_id: int,
    data: Any,
    *,
    uploads: Sequence[Upload] = (),
    reports: Sequence[NomineeReport] = (),
) -> Dossier:
    """Keep the corrections made at the preparing step, with their files, without submitting.

    Files are checked before anything changes and stored last, under the draft's line in the
    history (a report given here is the nominee's current report from now on).
    """
    for upload in [*uploads, *(report.upload for report in reports)]:
        check_upload(upload)
    item = _visible_item(session, actor, item_id, lock=True)
    check_turn(actor, item)
    version = session.get_one(ProcessVersion, item.version_id)
    schema = form_schema(version, item.form) or {}
    if not schema.get("x-edits-dossier"):
        raise ConflictError("this step has no draft to save", code="no_draft")
    # A draft holds the dossier's own fields only, and none of them is required yet.
    draft_schema = {
        **{k: v for k, v in schema.items() if k != "allOf"},
        "required": [],
        "properties": {
            k: v
            for k, v in schema.get("properties", {}).items()
            if k in DOSSIER_EDIT_FIELDS or k == "procedure"
        },
    }
    dossier = session.get_one(Dossier, item.dossier_id)
    values = validate_form(draft_schema, data, nominee_ids=[str(n.id) for n in dossier.nominees])
    apply_dossier_edits(session, dossier, {k: v for k, v in values.items() if v is not None})
    dossier.updated_at = utcnow()
    event = record(
        session,
        dossier,
        "draft_saved",
        actor=actor,
        step=item.step,
        step_title=item.title,
        work_item=item,
    )
    session.flush()
    _store_step_files(session, actor, dossier, uploads, reports, event)
    return dossier
