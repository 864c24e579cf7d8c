"""Replay finished dossiers on another version (a draft, usually): what would have changed.

Each dossier's recorded decisions (the "completed" events, in order, and any vote closed by the
chair) are fed to a fresh in-memory instance of the chosen version, started from the data the
dossier's own instance was started with. The report says, per dossier, where the original ended
and where the replay ends, each nominee's result then and now, and where a replay got stuck.

Nothing is written: the session is only read. Results are worked out on transient copies of the
dossier and its nominees (never added to the session) with the same effect functions the real
steps use, so the replay counts and decides exactly as a real dossier would.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.db import utcnow
from webapp.models import Dossier, Event, Nominee, ProcessInstance, ProcessVersion, WorkItem
from webapp.permissions import Actor, can_manage_processes
from webapp.services.ballot_box import SEALED
from webapp.services.council import council_members
from webapp.services.dossier_effects import apply_automated, apply_status, apply_step_data
from webapp.services.errors import InvalidDataError, PermissionDeniedError
from webapp.services.form_validation import validate_form
from webapp.services.nominees_in_play import nominee_ids_in_play, nominee_ids_out_of_play
from webapp.services.process_versions import definition_of, get_version, runnable
from webapp.services.sandbox_time import let_timers_pass
from webapp.services.work_items import DOSSIER_EDIT_FIELDS
from workflows import (
    ProcessDefinition,
    ProcessRuntimeError,
    RunningProcess,
    StateLoadError,
    WorkflowError,
)
from workflows.operations import sealed_counts
from workflows.records import HumanTask
from workflows.state_reading import start_data

DEFAULT_LAST = 20
MAX_DOSSIERS = 50
# Header fields a step may correct that the engine's conditions read.
_HEADER_FIELDS = ("title", "track", "procedure", "simplified_reason")

# Why a replay stopped before its end (the web edge words them).
MISSING_STEP = "missing_step"  # the draft has no step with the recorded step's id
NOT_WAITING = "not_waiting"  # the draft waits elsewhere when the dossier did this step
NO_BALLOT = "no_ballot"  # the draft's vote has no ballot for the member who voted
FIELD_REMOVED = "field_removed"  # the step's form no longer has a recorded field
DATA_REFUSED = "data_refused"  # the step's form refuses the recorded values
NO_DECISION = "no_decision"  # the draft waits for a step the dossier never did
ENGINE_ERROR = "engine_error"  # the draft's engine run failed (an expression, a budget...)
OUT_OF_TIME = "out_of_time"  # the report's time ran out before this dossier's turn
REPORT_SECONDS = 30.0


@dataclass(frozen=True)
class Stuck:
    """Where and why a replay stopped before the end."""

    reason: str
    step: str | None = None
    step_name: str | None = None
    fields: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    detail: str | None = None


@dataclass(frozen=True)
class NomineeReplay:
    """One nominee's results: as recorded, and as the replay decides."""

    nominee_id: int
    name: str
    original_result: str
    replayed_result: str
    original_council: str | None  # passed | failed | None (no council vote)
    replayed_council: str | None
    original_agree: int | None
    replayed_agree: int | None
    members: int | None

    @property
    def changed(self) -> bool:
        """Whether the nominee would pass or fail differently on the replayed version."""
        return (
            self.original_result != self.replayed_result
            or self.original_council != self.replayed_council
        )


@dataclass(frozen=True)
class DossierReplay:
    """One dossier's replay."""

    dossier_id: int
    code: str | None
    title: str
    original_status: str
    original_end: str | None
    original_end_name: str | None
    replayed_status: str | None  # None when the replay did not reach an end
    replayed_end: str | None
    replayed_end_name: str | None
    nominees: list[NomineeReplay]
    stuck: Stuck | None
    steps_replayed: int
    steps_unused: int  # recorded steps left over when the replay ended earlier
    path: list[str] = field(default_factory=list)  # elements completed on the replayed version

    @property
    def ends_elsewhere(self) -> bool:
        """Whether the replay ends at another end or with another status than the original."""
        return self.stuck is None and (
            self.replayed_end != self.original_end or self.replayed_status != self.original_status
        )

    @property
    def changed_nominees(self) -> list[NomineeReplay]:
        """The nominees who would pass or fail differently."""
        return [n for n in self.nominees if n.changed]


@dataclass(frozen=True)
class ReplayReport:
    """The replay of several finished dossiers on one version."""

    process_key: str
    number: int
    dossiers: list[DossierReplay]
    seconds: float

    @property
    def changed(self) -> list[tuple[DossierReplay, NomineeReplay]]:
        """Every nominee who would pass or fail differently, with its dossier."""
        return [(d, n) for d in self.dossiers for n in d.changed_nominees]

    @property
    def stuck(self) -> list[DossierReplay]:
        """The dossiers whose replay stopped before an end."""
        return [d for d in self.dossiers if d.stuck is not None]


@dataclass(frozen=True)
class _Recorded:
    """A recorded action to replay: a step completed, or a vote closed by the chair."""

    kind: str  # completed | vote_closed
    step: str
    member: str | None = None  # the ballot's member, for a vote's step
    decision: str | None = None
    comment: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    # A secret vote's ballots carry no choice: its recorded tally's counts are counted again.
    sealed_counts: dict[str, dict[str, int]] | None = None


def _require_admin(actor: Actor) -> None:
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators replay dossiers on a version")


def replay_on_version(
    session: Session,
    actor: Actor,
    process_key: str,
    number: int,
    dossier_codes: Sequence[str] | None = None,
    last: int = DEFAULT_LAST,
) -> ReplayReport:
    """Replay finished dossiers of `process_key` on its version `number`, writing nothing.

    The dossiers are those whose codes are given, or else the `last` finished most recently.
    A code that names no finished dossier of the process is refused (InvalidDataError on
    the field "codes").
    """
    _require_admin(actor)
    version = get_version(session, process_key, number)
    draft = runnable(version)  # ConflictError when the version cannot run
    began = time.perf_counter()
    dossiers = _chosen_dossiers(session, process_key, dossier_codes, last)
    results = []
    for dossier in dossiers:
        # An untrusted draft may spend its whole engine budget on every dossier: past the
        # report's own budget the rest are listed as not replayed rather than hang the page.
        if time.perf_counter() - began > REPORT_SECONDS:
            results.append(_not_replayed(session, dossier))
            continue
        results.append(_replay_one(session, dossier, version, draft.definition))
    return ReplayReport(process_key, number, results, time.perf_counter() - began)


def parse_codes(text: str | None) -> list[str]:
    """Dossier codes typed in a box, one per line or separated by commas or spaces."""
    raw = (text or "").replace(",", " ").split()
    seen: list[str] = []
    for code in raw:
        if code not in seen:
            seen.append(code)
    return seen


def _finished(process_key: str) -> Any:
    return (
        select(Dossier)
        .join(ProcessInstance, ProcessInstance.dossier_id == Dossier.id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(ProcessVersion.process_key == process_key, ProcessInstance.status == "completed")
        .options(selectinload(Dossier.nominees))
    )


def _chosen_dossiers(
    session: Session, process_key: str, codes: Sequence[str] | None, last: int
) -> list[Dossier]:
    if codes:
        if len(codes) > MAX_DOSSIERS:
            raise InvalidDataError(
                "too many dossiers", {"codes": f"at most {MAX_DOSSIERS} dossiers at a time"}
            )
        found = {
            d.code: d
            for d in session.scalars(_finished(process_key).where(Dossier.code.in_(codes)))
        }
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise InvalidDataError(
                "no finished dossier with these codes",
                {"codes": "no finished dossier of this process: " + ", ".join(unknown)},
                code="unknown_dossier",
            )
        return [found[code] for code in codes]
    if not 1 <= last <= MAX_DOSSIERS:
        raise InvalidDataError("bad count", {"last": f"must be 1..{MAX_DOSSIERS}"})
    query = _finished(process_key).order_by(
        ProcessInstance.completed_at.desc(), ProcessInstance.id.desc()
    )
    return list(session.scalars(query.limit(last)))


def _recorded_actions(session: Session, dossier_id: int) -> list[_Recorded]:
    """The dossier's completed steps and closed votes, oldest first."""
    events = session.scalars(
        select(Event)
        .where(
            Event.dossier_id == dossier_id,
            Event.action.in_(("completed", "vote_closed", "automated")),
        )
        .options(joinedload(Event.actor))
        .order_by(Event.id)
    )
    ballots = set(
        session.scalars(
            select(WorkItem.id).where(
                WorkItem.dossier_id == dossier_id, WorkItem.assignee_id.is_not(None)
            )
        )
    )
    actions: list[_Recorded] = []
    vote: list[int] = []  # this vote's ballots and closing, until its tally
    sealed_vote = False
    for event in events:
        if event.step is None:
            continue
        if event.action == "automated":
            tally = (event.data or {}).get("tally")
            if isinstance(tally, dict) and sealed_vote:
                counts = _tally_counts(tally)
                for index in vote:
                    actions[index] = dataclasses.replace(actions[index], sealed_counts=counts)
            if isinstance(tally, dict):
                vote, sealed_vote = [], False
            continue
        if event.action == "vote_closed":
            absent = (event.data or {}).get("absent") or []
            vote.append(len(actions))
            actions.append(
                _Recorded("vote_closed", event.step, absent=tuple(str(a) for a in absent))
            )
            continue
        is_ballot = event.work_item_id in ballots
        if is_ballot:
            vote.append(len(actions))
            sealed_vote = sealed_vote or SEALED in (event.data or {}).values()
        actions.append(
            _Recorded(
                "completed",
                event.step,
                member=event.actor.username if is_ballot and event.actor else None,
                decision=event.decision,
                comment=event.comment,
                data=copy.deepcopy(event.data or {}),
            )
        )
    return actions


def _tally_counts(tally: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {
        str(nominee): {"agree": int(row.get("agree", 0)), "disagree": int(row.get("disagree", 0))}
        for nominee, row in (tally.get("nominees") or {}).items()
        if isinstance(row, dict)
    }


def _members_by_action(actions: list[_Recorded], fallback: Any) -> list[Any]:
    """The council each action's engine data carries: the members of the vote that follows it
    (or, after the last vote, of that vote), as the dossier's own rounds showed them."""
    rounds: list[tuple[int, int, dict[str, str]]] = []  # first index, last index, members
    index = 0
    while index < len(actions):
        action = actions[index]
        if action.member is None and action.kind != "vote_closed":
            index += 1
            continue
        first, names = index, list[str]()
        while (
            index < len(actions)
            and actions[index].step == action.step
            and (actions[index].member is not None or actions[index].kind == "vote_closed")
        ):
            member = actions[index].member
            names += [member] if member else []
            names += list(actions[index].absent)
            closed = actions[index].kind == "vote_closed"
            index += 1
            if closed:
                break
        rounds.append((first, index - 1, {n: n for n in sorted(set(names))}))
    members = []
    for position in range(len(actions)):
        upcoming = [r for r in rounds if r[1] >= position]
        past = [r for r in rounds if r[1] < position]
        chosen = upcoming[0][2] if upcoming else (past[-1][2] if past else fallback)
        members.append(chosen)
    return members


def sandbox_dossier(dossier: Dossier) -> Dossier:
    """A transient copy of the dossier and its nominees (never added to any session), every
    nominee still pending: the effects of a replayed step land on it."""
    copy_ = Dossier(
        id=dossier.id,
        code=dossier.code,
        title=dossier.title,
        award_form=dossier.award_form,
        track=dossier.track,
        procedure=dossier.procedure,
        simplified_reason=dossier.simplified_reason,
        unit_id=dossier.unit_id,
        status="in_progress",
    )
    copy_.nominees = [
        Nominee(id=n.id, position=n.position, kind=n.kind, name=n.name, result="pending")
        for n in sorted(dossier.nominees, key=lambda n: n.position)
    ]
    return copy_


def context_of(dossier: Dossier, members: Any) -> dict[str, Any]:
    """What engine_context gives a step, from a transient dossier and a known council."""
    return {
        "dossier_id": dossier.id,
        "award_form": dossier.award_form,
        "procedure": dossier.procedure,
        "track": dossier.track,
        "nominee_ids": nominee_ids_in_play(dossier),
        "council_members": copy.deepcopy(members),
    }


def nominee_fields(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The names of a form's per-nominee maps and per-nominee lists."""
    properties = schema.get("properties") or {}
    maps = {k for k, p in properties.items() if isinstance(p, dict) and p.get("x-nominee-map")}
    lists = {k for k, p in properties.items() if isinstance(p, dict) and p.get("x-nominee-list")}
    return maps, lists


def _prune_closed(values: dict[str, Any], schema: dict[str, Any], in_play: list[str]) -> None:
    """Drop per-nominee entries for nominees the replay already decided (a failed nominee is
    no longer decided on at later steps, whatever the original recorded for it)."""
    maps, lists = nominee_fields(schema)
    keep = set(in_play)
    for name in maps:
        if isinstance(values.get(name), dict):
            values[name] = {k: v for k, v in values[name].items() if k in keep}
    for name in lists:
        if isinstance(values.get(name), list):
            values[name] = [k for k in values[name] if str(k) in keep]


def _original_end(session: Session, dossier_id: int) -> tuple[str | None, str | None]:
    event = session.scalars(
        select(Event)
        .where(Event.dossier_id == dossier_id, Event.action == "ended")
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    return (event.step, event.step_title) if event else (None, None)


def _council(nominee: Nominee) -> str | None:
    if nominee.council_agree is None:
        return None
    return "failed" if nominee.result == "failed" else "passed"


class _StuckError(Exception):
    def __init__(self, stuck: Stuck):
        super().__init__(stuck.reason)
        self.stuck = stuck


def _names(definition: ProcessDefinition, tasks: list[HumanTask]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.name for t in tasks))


def _step_name(definition: ProcessDefinition, step: str) -> str | None:
    element = definition.diagram.element(step)
    return element.name if element else None


def _replay_one(
    session: Session, dossier: Dossier, version: ProcessVersion, definition: ProcessDefinition
) -> DossierReplay:
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id)
    ).one()
    actions = _recorded_actions(session, dossier.id)
    try:
        start = start_data(definition_of(instance.version), instance.state)
    except (StateLoadError, WorkflowError, ValueError, KeyError, TypeError):
        # An unreadable saved state: start from the dossier's facts as they are now.
        start = {}
    sandbox = sandbox_dossier(dossier)
    fallback = start.get("council_members") or council_members(session, dossier.unit_id)
    if not start:
        start = context_of(sandbox, fallback)
    members = _members_by_action(actions, fallback)
    forms = runnable(version).forms
    now = utcnow()
    done = 0
    stuck: Stuck | None = None
    process: RunningProcess | None = None
    try:
        try:
            process, steps = RunningProcess.start(definition, start)
        except ProcessRuntimeError as exc:
            raise _StuckError(_engine_stuck(definition, exc)) from exc
        apply_automated(sandbox, steps)
        apply_status(sandbox, None, process.status(), now)
        for position, action in enumerate(actions):
            if process.status().completed:
                break
            apply_automated(sandbox, let_timers_pass(process))
            counts = action.sealed_counts
            with sealed_counts(functools.partial(dict, counts) if counts is not None else None):
                _replay_action(process, definition, forms, sandbox, action, members[position], now)
            done += 1
        apply_automated(sandbox, let_timers_pass(process))
        if not process.status().completed:
            ready = process.ready_human_tasks()
            raise _StuckError(
                Stuck(
                    NO_DECISION,
                    ready[0].element_id if ready else None,
                    ready[0].name if ready else None,
                    waiting=_names(definition, ready),
                )
            )
    except _StuckError as exc:
        stuck = exc.stuck
    status = process.status() if process is not None and stuck is None else None
    end = status.end_element_id if status else None
    original_end, original_end_name = _original_end(session, dossier.id)
    by_id = {n.id: n for n in sandbox.nominees}
    nominees = []
    for nominee in sorted(dossier.nominees, key=lambda n: n.position):
        replayed = by_id[nominee.id]
        nominees.append(
            NomineeReplay(
                nominee.id,
                nominee.name,
                nominee.result,
                replayed.result,  # when stuck: as far as the replay got
                _council(nominee),
                _council(replayed),
                nominee.council_agree,
                replayed.council_agree,
                replayed.council_members or nominee.council_members,
            )
        )
    return DossierReplay(
        dossier.id,
        dossier.code,
        dossier.title,
        dossier.status,
        original_end,
        original_end_name,
        sandbox.status if stuck is None else None,
        end,
        _step_name(definition, end) if end else None,
        nominees,
        stuck,
        done,
        len(actions) - done if stuck is None else 0,
        sorted(process.visit_counts()) if process is not None else [],
    )


def _not_replayed(session: Session, dossier: Dossier) -> DossierReplay:
    """A dossier left out of the report for lack of time: its nominees as recorded."""
    end, end_name = _original_end(session, dossier.id)
    nominees = [
        NomineeReplay(
            n.id,
            n.name,
            n.result,
            n.result,
            _council(n),
            _council(n),
            n.council_agree,
            n.council_agree,
            n.council_members,
        )
        for n in sorted(dossier.nominees, key=lambda n: n.position)
    ]
    return DossierReplay(
        dossier.id,
        dossier.code,
        dossier.title,
        dossier.status,
        end,
        end_name,
        None,
        None,
        None,
        nominees,
        Stuck(OUT_OF_TIME),
        0,
        0,
    )


def _engine_stuck(definition: ProcessDefinition, exc: ProcessRuntimeError) -> Stuck:
    step = exc.element_id
    return Stuck(
        ENGINE_ERROR, step, _step_name(definition, step) if step else None, detail=str(exc)
    )


def _replay_action(
    process: RunningProcess,
    definition: ProcessDefinition,
    forms: dict[str, dict[str, Any]],
    sandbox: Dossier,
    action: _Recorded,
    members: Any,
    now: datetime,
) -> None:
    ready = process.ready_human_tasks()
    candidates = [t for t in ready if t.element_id == action.step]
    name = _step_name(definition, action.step)
    if not candidates:
        if definition.diagram.element(action.step) is None:
            raise _StuckError(
                Stuck(MISSING_STEP, action.step, None, waiting=_names(definition, ready))
            )
        raise _StuckError(Stuck(NOT_WAITING, action.step, name, waiting=_names(definition, ready)))
    if action.kind == "vote_closed":
        targets = [t for t in candidates if t.assignee is None or t.assignee in action.absent]
        for task in targets or candidates:
            schema = forms.get(task.form or "") or {}
            maps, _lists = nominee_fields(schema)
            _complete(process, definition, sandbox, task, {m: {} for m in maps}, members, now)
        return
    task = candidates[0]
    if action.member is not None:
        mine = [t for t in candidates if t.assignee == action.member]
        if not mine and any(t.assignee for t in candidates):
            raise _StuckError(Stuck(NO_BALLOT, action.step, name, fields=(action.member,)))
        task = mine[0] if mine else task
    schema = forms.get(task.form or "") or {"type": "object"}
    if action.sealed_counts is not None and action.member is not None:
        # A secret ballot: only THAT the member voted; the counts come with the whole vote.
        _complete(process, definition, sandbox, task, dict(action.data), members, now)
        return
    payload = dict(action.data)
    if action.decision is not None:
        payload["decision"] = action.decision
    if action.comment is not None:
        payload["comment"] = action.comment
    properties = schema.get("properties")
    if isinstance(properties, dict):
        removed = tuple(k for k in payload if k not in properties)
        if removed:
            raise _StuckError(Stuck(FIELD_REMOVED, action.step, name, fields=removed))
    in_play = nominee_ids_in_play(sandbox)
    _prune_closed(payload, schema, in_play)
    try:
        values = validate_form(
            schema,
            payload,
            nominee_ids=in_play,
            closed_nominee_ids=nominee_ids_out_of_play(sandbox),
        )
    except InvalidDataError as exc:
        raise _StuckError(
            Stuck(DATA_REFUSED, action.step, name, fields=tuple(exc.fields), detail=str(exc))
        ) from exc
    for header in _HEADER_FIELDS:
        if values.get(header) is not None:
            setattr(sandbox, header, values[header])
    engine_data = {k: v for k, v in values.items() if k not in DOSSIER_EDIT_FIELDS}
    _complete(process, definition, sandbox, task, engine_data, members, now, values)


def _complete(
    process: RunningProcess,
    definition: ProcessDefinition,
    sandbox: Dossier,
    task: HumanTask,
    data: dict[str, Any],
    members: Any,
    now: datetime,
    values: dict[str, Any] | None = None,
) -> None:
    """Complete one task of the sandboxed instance and take its effects into the sandbox, in
    the order a real step does (work_items._complete, engine_turns.finish_turn)."""
    try:
        steps = process.complete(task.task_id, {**data, **context_of(sandbox, members)})
    except ProcessRuntimeError as exc:
        raise _StuckError(_engine_stuck(definition, exc)) from exc
    decision = (values or {}).get("decision")
    apply_step_data(sandbox, values or {})
    apply_automated(sandbox, steps)
    apply_status(sandbox, decision if isinstance(decision, str) else None, process.status(), now)
